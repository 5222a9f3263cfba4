"""Seed a benchmark database: the schema from `flask db upgrade`, then synthetic rows by bulk insert.

    .venv/bin/python -m bench.seed --database-url sqlite:////tmp/bench.sqlite3 --outlets 10000

Every bench user (bench-admin, bench-city, bench-district, bench-inspector, bench-outlet, and
all other seeded accounts) has the password in `bench.synthetic.BENCH_PASSWORD`: this only
ever runs against a throwaway database the benchmark creates and drops.
"""

import argparse
import contextlib
import dataclasses
import io
import json
import os
import subprocess
import sys
import time
from pathlib import Path

from PIL import Image, ImageDraw
from sqlalchemy import select

from bench import synthetic as syn
from bench.bulk import insert_rows, reset_sequences
from bench.world import build_world

PROJECT_ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
SECRET_KEY = "bench-secret-key-" + "k" * 40  # production insists on 32+ characters
EDITION_FILE = "shanghai-2025.yaml"
SAMPLE_FILE = "sample.json"  # in the instance folder: what bench.profile_page reads back


def app_environment(database_url: str, instance_dir: Path) -> dict[str, str]:
    """The environment of the production configuration, pointed at the bench database."""
    return {
        **os.environ,
        "OUTLET_AUDIT_ENV": "production",
        "SECRET_KEY": SECRET_KEY,
        "DATABASE_URL": database_url,
        "OUTLET_AUDIT_INSTANCE": str(instance_dir),
        "EVIDENCE_DIR": str(instance_dir / "evidence"),
        "FLASK_APP": "wsgi.py",
        # The bench measures building an export of the 6,000 rows in the request, as issue #23 does:
        # at the default threshold (5,000) every request would queue a job instead, which then runs
        # inside the workers and slows every page measured after it.
        "EXPORT_INLINE_ROWS": "10000",
        # All requests come from one address: the per-address limits of the public pages and the
        # API would answer 429 within a second. The limiter still runs (its cost is measured).
        "RATELIMIT_PUBLIC": "10000000 per minute",
        "RATELIMIT_API": "10000000 per minute",
        "RATELIMIT_API_ANONYMOUS": "10000000 per minute",
    }


@contextlib.contextmanager
def environment(env: dict[str, str]):
    """Run with `env` as os.environ (create_app reads its settings from there)."""
    saved = dict(os.environ)
    os.environ.clear()
    os.environ.update(env)
    try:
        yield
    finally:
        os.environ.clear()
        os.environ.update(saved)


def make_app(env: dict[str, str]):
    from outlet_audit import create_app

    with environment(env):
        return create_app("production")


def upgrade_schema(env: dict[str, str]) -> None:
    """The schema, then a development signing chain (the production configuration signs every
    certificate PDF; a certificate downloaded in force is signed once and then served as kept)."""
    for command in (["db", "upgrade"], ["signing", "dev-chain", "--force"]):
        done = subprocess.run(
            [str(BIN / "flask"), *command],
            cwd=PROJECT_ROOT,
            env=env,
            capture_output=True,
            text=True,
            timeout=300,
        )
        if done.returncode != 0:
            raise RuntimeError(f"flask {' '.join(command)} failed:\n{done.stderr[-3000:]}")


def seed(database_url: str, instance_dir: Path, scale: syn.Scale, *, log=print) -> syn.Sample:
    """Create the schema and fill it; return the records the benchmark pages open."""
    from outlet_audit.accounts.organisations import Organisation
    from outlet_audit.criteria import load_edition
    from outlet_audit.criteria.editions import store_edition
    from outlet_audit.dashboards.counts import rebuild
    from outlet_audit.extensions import db
    from outlet_audit.outlets.models import District

    env = app_environment(database_url, instance_dir)
    started = time.perf_counter()
    upgrade_schema(env)
    app = make_app(env)
    with app.app_context():
        edition = load_edition(Path(app.config["CRITERIA_DIR"]) / EDITION_FILE)
        edition_pk = store_edition(edition).id
        db.session.commit()
        districts = db.session.execute(select(District.id, District.code, District.name_zh)).all()
        organisations = {
            code: (organisation_id, name_zh)
            for organisation_id, code, name_zh in db.session.execute(
                select(Organisation.id, Organisation.code, Organisation.name_zh)
            )
        }
        db.session.remove()  # SQLite: an open read transaction here would block the bulk insert's commit
        files = _stored_files(app.config["UPLOAD_MAX_BYTES"]) if scale.extras else None
        world = build_world(scale, edition, edition_pk, [tuple(d) for d in districts], organisations, files)
        counts, timings = {}, []
        with db.engine.connect() as conn:
            _skip_foreign_key_checks(conn)
            for name, columns, rows in world.tables:
                table_started = time.perf_counter()
                counts[name] = insert_rows(conn, db.metadata.tables[name], columns, rows)
                timings.append(f"{name} {time.perf_counter() - table_started:.1f}")
            reset_sequences(conn, [db.metadata.tables[name] for name, _c, _r in world.tables])
            conn.commit()
        # Bulk rows bypass the session's flush hooks: count them as `flask dashboards recount` does.
        counts_started = time.perf_counter()
        with db.engine.begin() as conn:
            rebuild(conn)
        timings.append(f"dashboard counts {time.perf_counter() - counts_started:.1f}")
        db.engine.dispose()  # SQLite: later connections check foreign keys again
        if db.engine.dialect.name == "postgresql":
            vacuum_started = time.perf_counter()
            with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
                conn.exec_driver_sql("VACUUM ANALYZE")  # what autovacuum would have done by now
            timings.append(f"vacuum analyze {time.perf_counter() - vacuum_started:.1f}")
        log(f"  seconds per table (generating and inserting): {', '.join(timings)}")
        _upload_showcase_evidence(world.sample, edition)
        _open_showcase_check(app, world.sample)
        world.sample.counts = counts
        (instance_dir / SAMPLE_FILE).write_text(json.dumps(dataclasses.asdict(world.sample)))
        db.session.remove()
        db.engine.dispose()
    log(
        f"  seeded in {time.perf_counter() - started:.0f} s: "
        + ", ".join(f"{n:,} {t}" for t, n in counts.items())
    )
    return world.sample


def _stored_files(max_bytes: int, count: int = 24) -> syn.StoredFiles:
    """Phone photos and a letter, processed and stored as uploads are (thumbnails included)."""
    from outlet_audit.evidence.files import inspect_upload
    from outlet_audit.evidence.operations import evidence_store

    store, photos = evidence_store(), []
    for n in range(count):
        upload = inspect_upload(_photo(n), f"IMG_{n}.jpg", max_bytes=max_bytes)
        stored, thumbnail = store.put(upload.stored_bytes), store.put(upload.thumbnail_bytes)
        photos.append((stored, thumbnail, upload.size_bytes, upload.width, upload.height))
    letter = inspect_upload(_pdf_letter(), "letter.pdf", max_bytes=max_bytes)
    return syn.StoredFiles(photos, (store.put(letter.stored_bytes), letter.size_bytes))


def _skip_foreign_key_checks(conn) -> None:
    """The rows refer to each other correctly by construction; checking every reference row by
    row (a trigger per row in PostgreSQL) would triple the load time."""
    if conn.dialect.name == "postgresql":
        conn.exec_driver_sql("SET LOCAL session_replication_role = replica")
    else:  # must run outside a transaction, so on the driver's connection before SQLAlchemy begins one
        conn.connection.driver_connection.execute("PRAGMA foreign_keys=OFF")


def _open_showcase_check(app, sample: syn.Sample) -> None:
    """A supervision check of the showcase certificate, opened as a bureau opens one (its visit
    record and team made by `open_check`), for the check page."""
    from datetime import timedelta

    from outlet_audit.accounts.models import User
    from outlet_audit.certificates.models import Certificate
    from outlet_audit.core.time import today_in_shanghai
    from outlet_audit.extensions import db
    from outlet_audit.supervision.kinds import CheckPurpose
    from outlet_audit.supervision.operations import open_check

    with app.test_request_context():
        users = {
            key: db.session.scalar(select(User).where(User.username == sample.usernames[key]))
            for key in ("district_bureau", "inspector")
        }
        check = open_check(
            db.session.get(Certificate, sample.certificate_id),
            CheckPurpose.TARGETED,
            [users["inspector"]],
            due_by=today_in_shanghai() + timedelta(days=14),
            actor=users["district_bureau"],
            reason="bench",
        )
        db.session.commit()
        sample.check_id, sample.check_assessment_id = check.id, check.assessment_id


def _upload_showcase_evidence(sample: syn.Sample, edition) -> None:
    """Real files for the records the pages open: item photos, a commitment letter, a signature.

    Each is audited as its upload would be (the bulk rows of bench/records.py are too).
    """
    from outlet_audit.accounts.models import User
    from outlet_audit.checklist.attachments import audit_evidence
    from outlet_audit.checklist.kinds import AssessmentKind
    from outlet_audit.checklist.models import Answer, Assessment
    from outlet_audit.checklist.service import scoring_answers
    from outlet_audit.evidence.operations import store_upload
    from outlet_audit.extensions import db
    from outlet_audit.scoring import evidence_required
    from outlet_audit.workflow.drafting import record_upload
    from outlet_audit.workflow.models import Application

    inspector = db.session.scalar(select(User).where(User.username == sample.usernames["inspector"]))
    staff = db.session.scalar(select(User).where(User.username == sample.usernames["outlet"]))
    for application_id in (sample.application_id, sample.open_application_id):
        application = db.session.get(Application, application_id)
        letter = store_upload(
            _pdf_letter(),
            "承诺书.pdf",
            outlet_id=application.outlet_id,
            actor=staff,
            purpose="commitment",
            application_id=application.id,
        )
        record_upload(application, letter, staff)
        inspection = db.session.scalar(
            select(Assessment).where(
                Assessment.application_id == application.id, Assessment.kind == "inspection"
            )
        )
        rows = db.session.scalars(select(Answer).where(Answer.assessment_id == inspection.id)).all()
        for n, (code, answer) in enumerate(scoring_answers(edition, rows).items()):
            if evidence_required(edition.item(code), answer):
                photo = store_upload(
                    _photo(n + application_id),
                    f"IMG_{code}.jpg",
                    outlet_id=application.outlet_id,
                    actor=inspector,
                    application_id=application.id,
                    assessment_id=inspection.id,
                    item_code=code,
                )
                audit_evidence(
                    photo, "evidence_uploaded", inspector, kind=AssessmentKind.INSPECTION, new=photo.filename
                )
        if inspection.signed_off_at is not None:
            signature = store_upload(
                _signature(),
                "signature-inspector.png",
                outlet_id=application.outlet_id,
                actor=inspector,
                purpose="signature",
                application_id=application.id,
                assessment_id=inspection.id,
                item_code="inspector",
            )
            audit_evidence(
                signature, "signature_added", inspector, kind=AssessmentKind.INSPECTION, new="inspector"
            )
    db.session.commit()


def _photo(n: int) -> bytes:
    """A phone-sized photo (1600 x 1200 JPEG) with some structure, so it compresses like one."""
    image = Image.new("RGB", (1600, 1200), (120 + n * 7 % 100, 140, 110))
    draw = ImageDraw.Draw(image)
    for k in range(60):
        x, y = (k * 97 + n * 31) % 1600, (k * 53 + n * 17) % 1200
        draw.rectangle((x, y, x + 180, y + 90), fill=((k * 40) % 255, (k * 90) % 255, (n * 60) % 255))
    buffer = io.BytesIO()
    image.save(buffer, format="JPEG", quality=85)
    return buffer.getvalue()


def _signature() -> bytes:
    image = Image.new("RGBA", (600, 200), (0, 0, 0, 0))
    ImageDraw.Draw(image).line(
        [(20, 150), (120, 40), (220, 160), (330, 50), (560, 120)], fill="black", width=6
    )
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return buffer.getvalue()


def _pdf_letter() -> bytes:
    from reportlab.pdfgen.canvas import Canvas

    buffer = io.BytesIO()
    canvas = Canvas(buffer)
    canvas.drawString(72, 720, "Commitment letter (bench)")
    canvas.showPage()
    canvas.save()
    return buffer.getvalue()


def current_answer_targets(
    database_url: str, instance_dir: Path, sample: syn.Sample
) -> list[syn.AnswerTarget]:
    """The answer-save targets with the versions they have now (after earlier runs saved them)."""
    import sqlalchemy as sa

    engine = sa.create_engine(database_url)
    ids = sorted({t.assessment_id for t in sample.answer_targets})
    with engine.connect() as conn:
        versions = {
            (row.assessment_id, row.item_code): row.version
            for row in conn.execute(
                sa.text(
                    "SELECT assessment_id, item_code, version FROM answers WHERE assessment_id IN :ids"
                ).bindparams(sa.bindparam("ids", expanding=True)),
                {"ids": ids},
            )
        }
    engine.dispose()
    return [
        syn.AnswerTarget(t.assessment_id, t.item_code, versions.get((t.assessment_id, t.item_code), 0))
        for t in sample.answer_targets
    ]


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--database-url", required=True, help="an empty database (SQLite file or PostgreSQL)")
    parser.add_argument("--instance", type=Path, default=Path("/tmp/oa-bench-instance"))
    parser.add_argument("--outlets", type=int, default=syn.Scale.outlets)
    parser.add_argument("--no-answers", action="store_true")
    parser.add_argument(
        "--lean", action="store_true", help="no evidence, audit trail, notifications or result JSON"
    )
    args = parser.parse_args()
    args.instance.mkdir(parents=True, exist_ok=True)
    scale = syn.Scale.for_outlets(args.outlets, with_answers=not args.no_answers, extras=not args.lean)
    sample = seed(args.database_url, args.instance, scale)
    print(
        f"sample: application {sample.application_id}, certificate {sample.certificate_number}, "
        f"{len(sample.answer_targets)} answer targets; password {sample.password}"
    )


if __name__ == "__main__":
    main()
