"""`flask backup` / `flask restore`: a round trip brings back every row and every evidence file
that a row names (and no other); restore refuses an archive of another schema revision."""

import io
import json
import tarfile

import pytest
import sqlalchemy as sa
from alembic.script import ScriptDirectory
from flask_migrate import upgrade

from outlet_audit.evidence.operations import evidence_store
from outlet_audit.extensions import db
from outlet_audit.roles import Role
from tests.conftest import fresh_database, make_test_app
from tests.factories import make_evidence, make_outlet, make_user


def count(table: str) -> int:
    return db.session.execute(sa.text(f"SELECT count(*) FROM {table}")).scalar()  # noqa: S608 - fixed names


def evidence_in(archive) -> set[str]:
    with tarfile.open(archive, "r:gz") as tar:
        return {name.rsplit("/", 1)[-1] for name in tar.getnames() if name.startswith("evidence/")}


def test_backup_and_restore_round_trip(tmp_path_factory, tmp_path):
    with fresh_database(tmp_path_factory) as url:
        app = make_test_app(url, tmp_path)
        runner = app.test_cli_runner()
        archive = tmp_path / "backup.tar.gz"
        with app.app_context():
            upgrade()
            outlet = make_outlet("PD", name="备份测试网点")
            user = make_user(Role.OUTLET, outlet=outlet, username="backup-user")
            photo_hash = evidence_store().put(b"evidence bytes that must survive")
            deleted_hash = evidence_store().put(b"bytes of evidence deleted before the backup")
            make_evidence(outlet, user, photo_hash, filename="letter.pdf")
            db.session.delete(make_evidence(outlet, user, deleted_hash, filename="letter.pdf"))
            db.session.commit()
            outlets_before = count("outlets")

            result = runner.invoke(args=["backup", str(archive)])
            assert result.exit_code == 0, result.output
            assert archive.stat().st_mode & 0o077 == 0  # not readable by others
            assert evidence_in(archive) == {photo_hash}  # the deleted evidence's bytes stay out

            db.session.execute(sa.text("DELETE FROM evidence WHERE filename = 'letter.pdf'"))
            db.session.execute(sa.text("DELETE FROM users WHERE username = 'backup-user'"))
            db.session.execute(sa.text("DELETE FROM outlets WHERE name = '备份测试网点'"))
            db.session.commit()
            evidence_store().path_for(photo_hash).unlink()
            assert count("outlets") == outlets_before - 1

            refused = runner.invoke(args=["restore", str(archive)])
            assert refused.exit_code != 0 and "--yes" in refused.output
            result = runner.invoke(args=["restore", "--yes", str(archive)])
            assert result.exit_code == 0, result.output

            db.session.remove()
            assert count("outlets") == outlets_before
            assert count("evidence") == 1
            assert (
                db.session.execute(
                    sa.text("SELECT count(*) FROM users WHERE username = 'backup-user'")
                ).scalar()
                == 1
            )
            assert evidence_store().open(photo_hash) == b"evidence bytes that must survive"
            db.session.remove()
            db.engine.dispose()


# --- the schema revision -------------------------------------------------------------------------


@pytest.fixture(scope="module")
def backed_up(tmp_path_factory):
    """A database of its own with one outlet, and a backup of it: (app, archive)."""
    tmp_path = tmp_path_factory.mktemp("revision")
    with fresh_database(tmp_path_factory) as url:
        app = make_test_app(url, tmp_path)
        archive = tmp_path / "backup.tar.gz"
        with app.app_context():
            upgrade()
            make_outlet("PD", name="修订检查网点")
            db.session.commit()
            result = app.test_cli_runner().invoke(args=["backup", str(archive)])
            assert result.exit_code == 0, result.output
            db.session.remove()
        yield app, archive
        with app.app_context():
            db.engine.dispose()


def with_manifest(archive, target, change) -> None:
    """Copy `archive` to `target` with its manifest changed by `change(manifest)` (None: no manifest)."""
    with tarfile.open(archive, "r:gz") as source, tarfile.open(target, "w:gz") as copy:
        for member in source.getmembers():
            data = source.extractfile(member).read() if member.isfile() else None
            if member.name == "manifest.json":
                manifest = change(json.loads(data))
                if manifest is None:
                    continue
                data = json.dumps(manifest).encode()
                member.size = len(data)
            copy.addfile(member, io.BytesIO(data) if data is not None else None)


def migrations(app):
    with app.app_context():
        return ScriptDirectory.from_config(app.extensions["migrate"].migrate.get_config())


def test_the_manifest_records_the_revision_of_the_code_that_wrote_it(backed_up):
    app, archive = backed_up
    with tarfile.open(archive, "r:gz") as tar:
        assert tar.getnames()[0] == "manifest.json"
        manifest = json.loads(tar.extractfile("manifest.json").read())

    assert manifest["revision"] == migrations(app).get_current_head()


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (
            lambda m, base: {**m, "revision": base},
            ["older than this version's", "nothing was restored", "flask db upgrade"],
        ),
        (
            lambda m, base: {**m, "revision": "20991231_0099"},
            ["does not know", "newer or another version", "nothing was restored"],
        ),
        (lambda m, base: {**m, "revision": None}, ["records no schema revision", "nothing was restored"]),
        (lambda m, base: {**m, "revision": ["a", "list"]}, ["records no schema revision"]),
        (lambda m, base: None, ["not an archive written by `flask backup`"]),
    ],
    ids=["older", "unknown", "none", "not-a-string", "no-manifest"],
)
def test_restore_refuses_another_schema_revision_and_touches_nothing(backed_up, tmp_path, change, expected):
    app, archive = backed_up
    base = migrations(app).get_base()
    altered = tmp_path / "altered.tar.gz"
    with_manifest(archive, altered, lambda manifest: change(manifest, base))
    with app.app_context():
        make_outlet("PD", name="备份之后的网点")
        db.session.commit()

        result = app.test_cli_runner().invoke(args=["restore", "--yes", str(altered)])

        assert result.exit_code == 1
        assert isinstance(result.exception, SystemExit)  # a message, not a traceback
        for text in expected:
            assert text in result.output
        db.session.remove()
        names = db.session.scalars(sa.text("SELECT name FROM outlets WHERE name LIKE '%网点'")).all()
        assert "备份之后的网点" in names  # the refused restore replaced nothing
        db.session.execute(sa.text("DELETE FROM outlets WHERE name = '备份之后的网点'"))
        db.session.commit()
        db.session.remove()


def test_a_file_that_is_not_an_archive_is_refused_with_a_message(backed_up, tmp_path):
    app, _ = backed_up
    junk = tmp_path / "junk.tar.gz"
    junk.write_bytes(b"not a gzip file at all")
    with app.app_context():
        result = app.test_cli_runner().invoke(args=["restore", "--yes", str(junk)])

    assert result.exit_code == 1 and isinstance(result.exception, SystemExit)
    assert "not an archive written by `flask backup`" in result.output
