"""Migrations with data in every table: each step goes down and up again without losing rows it
does not own, and the whole chain goes down to base with the data still there.

tests/test_migrations.py proves the steps on an empty database; a real one is never empty, and
on SQLite a batch migration copies whole tables, where rows can be lost or refused.
"""

import json
from datetime import datetime, timedelta
from types import SimpleNamespace

import pyotp
import pytest
import sqlalchemy as sa
from alembic.script import ScriptDirectory
from flask import current_app
from flask_migrate import downgrade, upgrade

from outlet_audit.accounts.oidc import link_identity
from outlet_audit.accounts.people import request_handover
from outlet_audit.accounts.registrations import refuse_registration
from outlet_audit.accounts.two_factor import confirm_enrolment, start_enrolment
from outlet_audit.certificates.revocation import propose_revocation, revoke_certificate
from outlet_audit.core.time import today_in_shanghai, utcnow
from outlet_audit.criteria.editions import active_edition, choose_active_edition
from outlet_audit.dashboards.models import DashboardSnapshot
from outlet_audit.dashboards.queries import Filters
from outlet_audit.dashboards.snapshots import compute_figures, figures_to_json, snapshot_key
from outlet_audit.extensions import db
from outlet_audit.roles import Role
from outlet_audit.workflow.states import Action
from tests.conftest import fresh_database, make_test_app
from tests.factories import advance, certify, make_application, make_outlet, make_user
from tests.web.test_authorization_matrix import build_world
from tests.workflow_helpers import ready_to_submit


def seed_every_table() -> None:
    """The authorization matrix's world (three outlets in two districts, applications in inspection
    and approved, answers, photos, letters, certificates, notifications, audit trail), and more."""
    with current_app.test_request_context():
        world = build_world()
        choose_active_edition("shanghai-2025")
        bureau = make_user(Role.DISTRICT_BUREAU, district_code="PD")
        refused = make_outlet("PD", verified=False, pending_changes={"name": "新名称"})
        refuse_registration(refused, actor=bureau, reason="许可证号有误。")
        outlet = make_outlet("PD")
        make_user(Role.OUTLET, outlet=outlet, email="staff@example.test", locale="en")
        crew = SimpleNamespace(outlet=outlet, outlet_user=make_user(Role.OUTLET, outlet=outlet))
        leaving = make_user(Role.OUTLET, outlet=outlet, outlet_manager=True)
        request_handover(crew.outlet_user, actor=leaving, close_account=True)
        start_enrolment(bureau)
        confirm_enrolment(bureau, pyotp.TOTP(bureau.totp_secret).now())  # recovery codes too
        link_identity(bureau, "https://login.example.gov.cn", "citizen-0001", actor=bureau)  # single sign-on
        ready_to_submit(crew, status="returned", inputs={Action.RETURN: {"reasons": "缺少承诺书盖章。"}})
        make_application(make_outlet("PD"), status="withdrawn")
        rectify = {
            "rectification_item_codes": frozenset({"3.1"}),
            "rectification_deadline": today_in_shanghai() + timedelta(days=10),
        }
        make_application(
            make_outlet("PD"),
            status="rectification_requested",
            inputs={Action.REQUEST_RECTIFICATION: rectify},
        )
        reinspected = make_application(
            make_outlet("PD"),
            status="rectification_submitted",
            inputs={Action.REQUEST_RECTIFICATION: rectify},
        )
        advance(reinspected, "inspected")  # the re-inspection verifies 3.1: a check, a closed finding
        from outlet_audit.certificates.models import Certificate

        certificate = db.session.get(Certificate, world.targets["foreign"].certificate.id)
        # by its issuer, the Qingpu postal bureau (the foreign target is in Qingpu)
        revoke_certificate(certificate, make_user(Role.DISTRICT_BUREAU, district_code="QP"), "网点已停业。")
        # a city-level certificate its district's postal bureau proposes the city revoke
        city_certificate = certify(make_outlet("PD"), "city")
        propose_revocation(city_certificate, bureau, "复查发现仍使用不可降解胶带。")
        _seed_supervision(bureau)
        _seed_webhooks()
        city_wide = Filters(today_in_shanghai())
        figures = figures_to_json(compute_figures(city_wide, active_edition()))
        db.session.add(
            DashboardSnapshot(
                key=snapshot_key(city_wide, active_edition()), figures=figures, computed_at=utcnow()
            )
        )
        _seed_exports(bureau)
        db.session.commit()


def _seed_webhooks() -> None:
    """An attempt at the matrix world's webhook delivery (its endpoint, event and delivery are there),
    as the delivery job records one."""
    from outlet_audit.webhooks.models import WebhookAttempt, WebhookDelivery

    delivery = db.session.scalars(sa.select(WebhookDelivery).order_by(WebhookDelivery.id)).first()
    db.session.add(
        WebhookAttempt(
            delivery_id=delivery.id, status_code=500, duration_ms=12, error=None, response_excerpt="boom"
        )
    )
    db.session.flush()


def _seed_exports(bureau) -> None:
    """A large export built and kept (#21), and one still being prepared."""
    from outlet_audit.jobs.models import ExportFile

    now = utcnow()
    db.session.add_all(
        [
            ExportFile(
                user_id=bureau.id,
                kind="applications",
                fmt="xlsx",
                filters={"today": "2026-12-20"},
                status="ready",
                download_name="申请-20261220.xlsx",
                stored_name="0" * 32 + ".xlsx",
                size=1234,
                rows=6000,
                ready_at=now,
                expires_at=now + timedelta(hours=24),
            ),
            ExportFile(
                user_id=bureau.id,
                kind="inspections",
                fmt="csv",
                filters={"today": "2026-12-20"},
                download_name="检查结果-20261220.csv",
            ),
        ]
    )


def _seed_supervision(bureau) -> None:
    """A campaign's drawn check with a signed-in answer and a photo, a complaint that opened a visit,
    a revocation case with a statement document, and a yearly self-check with an answer: a row in
    every supervision table, and supervision and yearly records among the assessments."""
    from outlet_audit.checklist.kinds import AssessmentKind
    from outlet_audit.checklist.models import Answer, Assessment
    from outlet_audit.evidence.models import Evidence
    from outlet_audit.supervision.kinds import CheckPurpose
    from outlet_audit.supervision.models import Campaign, Complaint, RevocationCase, YearlySelfCheck
    from outlet_audit.supervision.operations import open_check

    today = today_in_shanghai()
    inspector = make_user(Role.INSPECTOR, district_code="PD")
    campaign = Campaign(
        number="CC-2026-PD-01", organisation_id=bureau.organisation_id, title="2026 年抽查",
        district_ids=[bureau.district_id], levels=["district"], brands=[], per_district=1,
        window_from=today, window_until=today + timedelta(days=30), edition_id="shanghai-2025",
        recusal_months=12, team_size=1, quota_per_inspector=3, status="drawn", seed="ab" * 32,
        inputs={"districts": []}, drawn_at=utcnow(), drawn_by_id=bureau.id, created_by_id=bureau.id,
    )  # fmt: skip
    db.session.add(campaign)
    db.session.flush()
    drawn = open_check(
        certify(make_outlet("PD")), CheckPurpose.SPOT_CHECK, [inspector],
        due_by=campaign.window_until, actor=bureau, campaign=campaign,
    )  # fmt: skip
    db.session.add(
        Answer(assessment_id=drawn.assessment_id, item_code="1.1", value="true", updated_by_id=inspector.id)
    )
    template = db.session.scalars(sa.select(Evidence).where(Evidence.purpose == "item")).first()
    columns = ("kind", "mime_type", "filename", "size_bytes", "original_sha256", "stored_sha256")
    photo = {name: getattr(template, name) for name in columns}
    annotates_id = None
    for filename in (photo["filename"], "marked-copy.jpg"):  # a photo and a marked copy of it (0015)
        drawn_photo = Evidence(
            outlet_id=drawn.outlet_id,
            application_id=drawn.application_id,
            assessment_id=drawn.assessment_id,
            item_code="1.1",
            purpose="item",
            uploaded_by_id=inspector.id,
            annotates_id=annotates_id,
            **{**photo, "filename": filename},
        )
        db.session.add(drawn_photo)
        db.session.flush()
        annotates_id = drawn_photo.id
    certificate = certify(make_outlet("PD"))
    complaint = Complaint(
        reference="TS-2026-PD-000001", outlet_id=certificate.outlet_id, certificate_id=certificate.id,
        district_id=certificate.district_id, category="materials", description="仍用宽胶带。",
        status="visit_opened", triaged_at=utcnow(), triaged_by_id=bureau.id,
    )  # fmt: skip
    db.session.add(complaint)
    db.session.flush()
    open_check(
        certificate, CheckPurpose.COMPLAINT, [inspector], due_by=today, actor=bureau, complaint=complaint
    )
    revoked = certify(make_outlet("PD"))
    case = RevocationCase(
        number="CX-2026-PD-000001", certificate_id=revoked.id, organisation_id=revoked.issuer_organisation_id,
        ground="false_materials", grounds="提供虚假材料。", response_due=today + timedelta(days=5),
        notified_at=utcnow(), statement="材料属实。", statement_at=utcnow(), status="statement",
        created_by_id=bureau.id,
    )  # fmt: skip
    db.session.add(case)
    db.session.flush()
    db.session.add(
        Evidence(outlet_id=revoked.outlet_id, revocation_case_id=case.id, purpose="statement",
                 uploaded_by_id=bureau.id, **photo)
    )  # fmt: skip
    yearly_record = Assessment(application_id=revoked.application_id, kind=AssessmentKind.YEARLY, sequence=1)
    db.session.add(yearly_record)
    db.session.flush()
    db.session.add(Answer(assessment_id=yearly_record.id, item_code="1.1", value="true"))
    db.session.add(
        YearlySelfCheck(
            certificate_id=revoked.id,
            outlet_id=revoked.outlet_id,
            district_id=revoked.district_id,
            year=today.year,
            due_on=today + timedelta(days=60),
            assessment_id=yearly_record.id,
        )
    )
    db.session.flush()


# What going down a step loses by design (its docstring says so): below 0011 an application has one
# inspection record, so the older visits of a re-inspected application (their answers and files) go.
# Below 0013 there is no supervision: its visits and yearly self-checks (assessments of those kinds,
# with their answers, files, teams, findings and rectification notices) and the statements' documents go.
# Tables whose values a data step rewrites on purpose, both ways (its own test checks them exactly):
# 0019 seals the webhook secrets going up and unseals them going down.
REWRITES = {"0019": ("webhook_endpoints",)}
LOSSY_DOWN = {
    "0011": ("assessments", "answers", "evidence"),
    "0013": (
        "assessments",
        "answers",
        "evidence",
        "visit_inspectors",
        "findings",
        "finding_checks",
        "rectification_notices",
    ),
}


def revisions_head_first(app) -> list:
    config = app.extensions["migrate"].migrate.get_config(directory=app.extensions["migrate"].directory)
    return list(ScriptDirectory.from_config(config).walk_revisions())


def snapshot() -> dict[str, dict]:
    """Every table's columns and rows (by primary key), read by reflection: the models may not match."""
    metadata = sa.MetaData()
    metadata.reflect(bind=db.engine)
    tables = {}
    with db.engine.connect() as connection:
        for table in (metadata.tables[name] for name in sorted(metadata.tables)):
            if table.name == "alembic_version":
                continue
            key = [column.name for column in table.primary_key.columns] or [c.name for c in table.columns]
            rows = connection.execute(sa.select(table).order_by(*(table.c[name] for name in key))).mappings()
            tables[table.name] = {
                "columns": {column.name for column in table.columns},
                "rows": [{name: _comparable(value) for name, value in row.items()} for row in rows],
            }
    return tables


def _comparable(value):
    if isinstance(value, str) and value[:1] in "[{":
        try:
            return json.loads(value)  # a JSON column read back as text on one database, decoded on the other
        except ValueError:
            return value
    return value


def lost_rows(before: dict, after: dict) -> list[str]:
    """Rows of `before` missing from `after`, on the columns both schemas have."""
    problems = []
    for name, table in before.items():
        if name not in after:
            continue  # the step owns the table: dropping it on the way down is its job
        common = table["columns"] & after[name]["columns"]
        old = [{k: row[k] for k in common} for row in table["rows"]]
        new = [{k: row[k] for k in common} for row in after[name]["rows"]]
        if old != new:
            problems.append(f"{name}: {len(old)} rows before, {len(new)} after, or values changed")
    return problems


@pytest.fixture
def migrated(tmp_path_factory, tmp_path):
    with fresh_database(tmp_path_factory) as url:
        app = make_test_app(url, tmp_path)
        with app.app_context():
            upgrade()
            yield app
            db.session.remove()
            db.engine.dispose()


def test_every_table_gets_rows(migrated):
    seed_every_table()
    db.session.remove()
    empty = [name for name, table in snapshot().items() if not table["rows"]]
    assert empty == [], f"seed_every_table leaves these tables empty: {empty}"


def test_each_step_goes_down_and_up_with_data_and_keeps_the_rows_it_does_not_own(migrated):
    seed_every_table()
    db.session.remove()
    revisions = revisions_head_first(migrated)
    assert len(revisions) >= 2
    for revision in revisions:
        if revision.down_revision is None:
            continue  # the first step creates every table; going below it is the next test
        # From this step's level: the later steps' tables are gone (they own them), and a column
        # a later step added came back with its default the last time round.
        downgrade(revision=revision.revision)
        at_this_step = snapshot()
        downgrade(revision=revision.down_revision)
        below = snapshot()
        rewritten = REWRITES.get(revision.revision, ())
        lost = [
            line
            for line in lost_rows(at_this_step, below)
            if line.split(":")[0] not in (*LOSSY_DOWN.get(revision.revision, ()), *rewritten)
        ]
        assert lost == [], f"down from {revision.revision}"
        upgrade(revision=revision.revision)
        again = snapshot()
        assert set(again) == set(at_this_step), f"up to {revision.revision} does not bring back every table"
        changed = [line for line in lost_rows(below, again) if line.split(":")[0] not in rewritten]
        assert changed == [], f"up again to {revision.revision}"
        for name in rewritten:  # rewritten down and up again: as they were
            assert again[name] == at_this_step[name], f"down and up again to {revision.revision}: {name}"
    upgrade()


def test_the_whole_chain_goes_down_to_base_with_data_and_up_again(migrated):
    seed_every_table()
    db.session.remove()
    downgrade(revision="base")
    assert set(sa.inspect(db.engine).get_table_names()) <= {"alembic_version"}
    upgrade()
    tables = snapshot()
    assert len(tables["districts"]["rows"]) == 16  # the reference data comes back with the schema
    assert tables["outlets"]["rows"] == []
    seed_every_table()  # and the app works on it again


def test_0007_releases_accounts_locked_under_the_old_rule(tmp_path_factory, tmp_path):
    """Accounts locked until an administrator unlocked them come out free, with their failure count
    started again, and can sign in; going down brings nobody back locked."""
    from werkzeug.security import generate_password_hash

    insert = sa.text(
        "INSERT INTO users (username, display_name, password_hash, role, active, session_token, "
        "failed_logins, locked_at, created_at) VALUES (:username, :username, :hash, 'admin', :active, "
        ":username, :failed, :locked_at, :now)"
    )
    password = "harbour lantern 58 kites"
    with fresh_database(tmp_path_factory) as url:
        app = make_test_app(url, tmp_path)
        with app.app_context():
            upgrade(revision="0006")
            now = utcnow()
            with db.engine.begin() as connection:
                for username, failed, locked_at in (("locked-admin", 10, now), ("typist", 3, None)):
                    connection.execute(
                        insert,
                        {
                            "username": username,
                            "hash": generate_password_hash(password, method="pbkdf2:sha256:1000"),
                            "active": True,
                            "failed": failed,
                            "locked_at": locked_at,
                            "now": now,
                        },
                    )
            upgrade(revision="0007")
            read = sa.text("SELECT username, failed_logins, login_blocked_until FROM users ORDER BY username")
            with db.engine.connect() as connection:
                assert connection.execute(read).all() == [("locked-admin", 0, None), ("typist", 3, None)]
            upgrade()  # signing in reads the users table as the models have it: the head's
            client = app.test_client()
            answer = client.post("/login", data={"username": "locked-admin", "password": password})
            assert answer.status_code == 302
            db.session.remove()
            with db.engine.begin() as connection:
                connection.execute(sa.text("UPDATE users SET login_blocked_until = :t"), {"t": now})
            downgrade(revision="0006")
            with db.engine.connect() as connection:
                rows = connection.execute(sa.text("SELECT locked_at FROM users")).scalars().all()
            assert rows == [None, None]
            db.session.remove()
            db.engine.dispose()


@pytest.mark.parametrize(
    ("setup", "carried_over"),
    [
        (
            ["INSERT INTO settings (key, value) VALUES ('active_criteria_edition', 'pudong-pilot-2026')"],
            "pudong-pilot-2026",
        ),
        (
            [  # no setting: the old rule used the newest edition in effect, as the latest application did
                "INSERT INTO criteria_editions (edition_id, content_hash, snapshot, stored_at)"
                " VALUES ('shanghai-2025', 'a', '{}', CURRENT_TIMESTAMP)",
                "INSERT INTO criteria_editions (edition_id, content_hash, snapshot, stored_at)"
                " VALUES ('shanghai-2026', 'b', '{}', CURRENT_TIMESTAMP)",
            ],
            "shanghai-2026",
        ),
        ([], "shanghai-2025"),  # a new installation: the edition this release ships
    ],
    ids=["setting", "latest-application", "new-installation"],
)
def test_0008_records_the_edition_in_use_as_an_explicit_choice_and_gives_it_back_going_down(
    tmp_path_factory, tmp_path, setup, carried_over
):
    choices = "SELECT edition_id, active_from, chosen_by_id FROM criteria_edition_choices ORDER BY id"
    with fresh_database(tmp_path_factory) as url:
        app = make_test_app(url, tmp_path)
        with app.app_context():
            upgrade(revision="0007")
            with db.engine.begin() as connection:
                for statement in setup:
                    connection.execute(sa.text(statement))
            upgrade(revision="0008")
            with db.engine.connect() as connection:
                assert connection.execute(sa.text(choices)).all() == [(carried_over, None, None)]
            assert "settings" not in sa.inspect(db.engine).get_table_names()
            with db.engine.begin() as connection:  # a later choice in use, and one scheduled for next year
                connection.execute(
                    sa.text(
                        "INSERT INTO criteria_edition_choices (edition_id, active_from, chosen_at)"
                        " VALUES ('in-use', :today, CURRENT_TIMESTAMP),"
                        " ('next-year', :later, CURRENT_TIMESTAMP)"
                    ),
                    {
                        "today": today_in_shanghai() - timedelta(days=1),
                        "later": today_in_shanghai() + timedelta(days=365),
                    },
                )
            downgrade(revision="0007")
            with db.engine.connect() as connection:
                setting = connection.execute(sa.text("SELECT key, value FROM settings")).all()
            assert setting == [("active_criteria_edition", "in-use")]
            assert "criteria_edition_choices" not in sa.inspect(db.engine).get_table_names()
            db.session.remove()
            db.engine.dispose()


def test_0010_keeps_every_account_and_one_identity_opens_one_account(tmp_path_factory, tmp_path):
    with fresh_database(tmp_path_factory) as url:
        app = make_test_app(url, tmp_path)
        with app.app_context():
            upgrade()
            seed_every_table()
            db.session.remove()
            users = "SELECT id, username, oidc_issuer, oidc_subject FROM users ORDER BY id"
            with db.engine.connect() as connection:
                before = connection.execute(sa.text(users)).all()
            assert [row[2:] for row in before if row[3]] == [("https://login.example.gov.cn", "citizen-0001")]
            downgrade(revision="0009")
            with db.engine.connect() as connection:
                assert connection.execute(sa.text("SELECT id, username FROM users ORDER BY id")).all() == [
                    row[:2] for row in before
                ]
            upgrade()
            with db.engine.begin() as connection:
                connection.execute(
                    sa.text("UPDATE users SET oidc_issuer = 'https://i', oidc_subject = 's' WHERE id = :id"),
                    {"id": before[0][0]},
                )
            with pytest.raises(sa.exc.IntegrityError), db.engine.begin() as connection:
                connection.execute(
                    sa.text("UPDATE users SET oidc_issuer = 'https://i', oidc_subject = 's' WHERE id = :id"),
                    {"id": before[1][0]},
                )
            db.session.remove()
            db.engine.dispose()


def test_0011_turns_rectification_columns_into_notices_and_findings_and_back(tmp_path_factory, tmp_path):
    """Down to 0010 the open notice becomes the application's rectification columns again (items,
    deadline, answer) and only the newest record stays; up again each inspection is a visit of its
    own, the signed ones have their findings, and the open request is a notice ordering them."""
    with fresh_database(tmp_path_factory) as url:
        app = make_test_app(url, tmp_path)
        with app.app_context(), app.test_request_context():
            upgrade()
            deadline = today_in_shanghai() + timedelta(days=10)
            rectify = {
                "rectification_item_codes": frozenset({"1.2", "3.1"}),
                "rectification_deadline": deadline,
                "reasons": "请整改。",
            }
            requested = make_application(
                make_outlet("PD"),
                status="rectification_requested",
                inputs={Action.REQUEST_RECTIFICATION: rectify},
            )
            answered = make_application(
                make_outlet("PD"),
                status="rectification_submitted",
                inputs={Action.REQUEST_RECTIFICATION: rectify},
            )
            closed = make_application(
                make_outlet("PD"),
                status="rectification_submitted",
                inputs={Action.REQUEST_RECTIFICATION: rectify},
            )
            advance(closed, "inspected")
            ids = requested.id, answered.id, closed.id
            db.session.commit()
            db.session.remove()

            downgrade(revision="0010")
            with db.engine.connect() as connection:
                rows = {
                    row.id: row
                    for row in connection.execute(
                        sa.text(
                            "SELECT id, rectification_items, rectification_deadline, rectification_response"
                            " FROM applications WHERE id IN (:a, :b, :c)"
                        ),
                        dict(zip("abc", ids, strict=True)),
                    )
                }
                records = dict(
                    connection.execute(
                        sa.text(
                            "SELECT application_id, count(*) FROM assessments"
                            " WHERE kind = 'inspection' GROUP BY application_id"
                        )
                    ).all()
                )
            for application_id in ids[:2]:
                items = rows[application_id].rectification_items
                assert sorted(json.loads(items) if isinstance(items, str) else items) == ["1.2", "3.1"]
                assert str(rows[application_id].rectification_deadline)[:10] == deadline.isoformat()
            assert rows[ids[0]].rectification_response is None
            assert rows[ids[1]].rectification_response == "已按要求整改，整改照片见附件。"
            assert rows[ids[2]].rectification_items is None  # verified and done: no open request
            assert [records[application_id] for application_id in ids] == [1, 1, 1]  # the newest record stays

            upgrade()
            with db.engine.connect() as connection:
                findings = connection.execute(
                    sa.text(
                        "SELECT f.application_id, f.item_code, f.status, f.response, n.due_on, a.visit_type,"
                        " a.signed_off_at IS NOT NULL AS signed"
                        " FROM findings f JOIN assessments a ON a.id = f.assessment_id"
                        " LEFT JOIN rectification_notices n ON n.id = f.notice_id"
                        " WHERE f.application_id IN (:a, :b) ORDER BY f.application_id, f.item_code"
                    ),
                    dict(zip("ab", ids[:2], strict=True)),
                ).all()
            assert [(row.application_id, row.item_code, row.status) for row in findings] == [
                (ids[0], "1.2", "ordered"),
                (ids[0], "3.1", "ordered"),
                (ids[1], "1.2", "answered"),
                (ids[1], "3.1", "answered"),
            ]
            assert {str(row.due_on)[:10] for row in findings} == {deadline.isoformat()}
            assert {row.response for row in findings if row.application_id == ids[1]} == {
                "已按要求整改，整改照片见附件。"
            }
            # the reopened record of the answered one is kept as the re-inspection it had become
            assert {(row.application_id, row.visit_type, bool(row.signed)) for row in findings} == {
                (ids[0], "initial", True),
                (ids[1], "reinspection", False),
            }
            db.session.remove()
            db.engine.dispose()


# --- 0012: organisations and approval steps, from data the old workflow left -------------------

DAY_0012 = datetime(2026, 3, 2, 1, 0)  # naive UTC, as the database keeps times


def _at(hours: int) -> datetime:
    return DAY_0012 + timedelta(hours=hours)


def _insert(connection, table: sa.Table, **values) -> int:
    return connection.execute(table.insert().values(**values)).inserted_primary_key[0]


def _seed_at_0011(connection) -> SimpleNamespace:
    """What the old workflow left, written as rows of the 0011 schema (the models are the head's)."""
    metadata = sa.MetaData()
    metadata.reflect(bind=connection)
    t = metadata.tables
    ids = SimpleNamespace(certificates={})
    ids.fengxian = connection.scalar(sa.select(t["districts"].c.id).where(t["districts"].c.code == "FX"))
    edition = _insert(
        connection,
        t["criteria_editions"],
        edition_id="shanghai-2025",
        content_hash="0" * 64,
        snapshot={},
        stored_at=DAY_0012,
    )

    def user(username, role, district_id=None) -> int:
        return _insert(
            connection,
            t["users"],
            username=username,
            display_name=username,
            password_hash="x",
            role=role,
            district_id=district_id,
            active=True,
            session_token=username,
            failed_logins=0,
            created_at=DAY_0012,
            outlet_manager=False,
        )

    ids.bureau = user("fx-bureau", "district_bureau", ids.fengxian)
    ids.city = user("city-bureau", "city_bureau")
    ids.inspector = user("fx-inspector", "inspector", ids.fengxian)
    ids.partner = user("fx-inspector-2", "inspector", ids.fengxian)

    def application(name, status, target, granted=None, opinion=None) -> int:
        outlet = _insert(
            connection,
            t["outlets"],
            name=name,
            brand="顺丰",
            district_id=ids.fengxian,
            address=f"{name}路 1 号",
            permit_number=f"SH-KD-{name}",
            manager="王测试",
            phone="13800000000",
            verified=True,
            created_at=DAY_0012,
            updated_at=DAY_0012,
        )
        return _insert(
            connection,
            t["applications"],
            outlet_id=outlet,
            district_id=ids.fengxian,
            edition_pk=edition,
            target_level=target,
            status=status,
            eligibility={},
            granted_level=granted,
            decision_opinion=opinion,
            decided_at=_at(9) if granted else None,
            created_at=DAY_0012,
            updated_at=DAY_0012,
            version=1,
        )

    ids.waiting = application("waiting", "awaiting_city_confirmation", "city")
    ids.district_level = application("district", "approved", "district", "district", "同意区级。")
    ids.city_level = application("city", "approved", "city", "city", "确认市级。")
    ids.declined = application("declined", "approved", "city", "district", "改认定区级。")

    def transition(application_id, hour, action, actor, new, reason) -> None:
        _insert(
            connection,
            t["audit_events"],
            occurred_at=_at(hour),
            actor_id=actor,
            application_id=application_id,
            subject_type="application",
            subject_id=application_id,
            action="transition",
            field=action,
            old_value="inspected" if action == "approve" else "awaiting_city_confirmation",
            new_value=new,
            reason=reason,
        )

    transition(ids.waiting, 1, "approve", ids.bureau, "awaiting_city_confirmation", "推荐市级。")
    transition(ids.district_level, 2, "approve", ids.bureau, "approved", "同意区级。")
    transition(ids.city_level, 3, "approve", ids.bureau, "awaiting_city_confirmation", "推荐市级。")
    transition(ids.city_level, 4, "confirm_city_level", ids.city, "approved", "确认市级。")
    transition(ids.declined, 5, "approve", ids.bureau, "awaiting_city_confirmation", "推荐市级。")
    transition(ids.declined, 6, "decline_city_level", ids.city, "inspected", "台账不完整。")
    transition(ids.declined, 7, "approve", ids.bureau, "approved", None)  # no opinion kept then

    for key, application_id, level, number in (
        ("district", ids.district_level, "district", "SH-FX-2026-Q-0001"),
        ("city", ids.city_level, "city", "SH-FX-2026-S-0001"),
        ("declined", ids.declined, "district", "SH-FX-2026-Q-0002"),
    ):
        ids.certificates[key] = _insert(
            connection,
            t["certificates"],
            number=number,
            application_id=application_id,
            outlet_id=connection.scalar(
                sa.select(t["applications"].c.outlet_id).where(t["applications"].c.id == application_id)
            ),
            district_id=ids.fengxian,
            level=level,
            score=95,
            edition_id="shanghai-2025",
            edition_hash="0" * 64,
            issuing_bureau="旧名称",
            issued_on=DAY_0012.date(),
            valid_until=DAY_0012.date() + timedelta(days=730),
            state="active",
            created_at=DAY_0012,
        )
    ids.visit = _insert(
        connection,
        t["assessments"],
        application_id=ids.waiting,
        kind="inspection",
        sequence=1,
        visit_type="initial",
        signed_off_at=_at(0),
        signed_off_by_id=ids.inspector,
        created_at=DAY_0012,
    )
    for member in (ids.inspector, ids.partner):
        _insert(connection, t["visit_inspectors"], assessment_id=ids.visit, inspector_id=member)
    return ids


def _read(connection, sql: str, **params) -> list:
    return [tuple(row) for row in connection.execute(sa.text(sql), params)]


def test_0012_gives_staff_their_organisations_and_records_the_approvals_made_before_steps(
    tmp_path_factory, tmp_path
):
    """Seeded at 0011 as the old workflow left it: a district bureau, the city bureau and two
    inspectors of Fengxian; an application awaiting the city's confirmation (its "approve" in the
    audit trail), one approved at district level, one confirmed at city level, one the city declined
    before the district approved it at district level; their certificates; a visit signed by one of
    its two inspectors.

    Up to 0012 every district and the city have their organisations; staff join their postal bureau
    and bureau staff are approvers; the waiting application is in approval awaiting the city postal
    bureau, its recommendation recorded; the approvals made have their steps; certificates name their
    issuer; the signer of the visit has signed it. Down to 0011 the waiting one awaits the city again.
    """
    with fresh_database(tmp_path_factory) as url:
        app = make_test_app(url, tmp_path)
        with app.app_context():
            upgrade(revision="0011")
            with db.engine.begin() as connection:
                ids = _seed_at_0011(connection)

            upgrade(revision="0012")
            with db.engine.connect() as connection:
                organisations = {
                    (agency, district_id): (organisation_id, code)
                    for organisation_id, agency, district_id, code in _read(
                        connection, "SELECT id, agency, district_id, code FROM organisations"
                    )
                }
                districts = [row[0] for row in _read(connection, "SELECT id FROM districts")]
                staff = {
                    row[0]: (row[1], bool(row[2]))
                    for row in _read(connection, "SELECT id, organisation_id, approver FROM users")
                }
                applications = {
                    row[0]: row[1:]
                    for row in _read(connection, "SELECT id, status, awaiting_agency FROM applications")
                }
                steps = _read(
                    connection,
                    "SELECT application_id, round, position, level, agency, act, outcome, opinion,"
                    " organisation_id, user_id FROM approval_records"
                    " ORDER BY application_id, round, position",
                )
                issuers = dict(_read(connection, "SELECT id, issuer_organisation_id FROM certificates"))
                signatures = dict(
                    _read(
                        connection,
                        "SELECT inspector_id, signed_at FROM visit_inspectors WHERE assessment_id = :v",
                        v=ids.visit,
                    )
                )

            assert len(districts) == 16 and len(organisations) == 2 * 16 + 2
            for district_id in districts:
                assert {("district_postal", district_id), ("district_ecology", district_id)} <= set(
                    organisations
                )
            assert {("city_postal", None), ("city_ecology", None)} <= set(organisations)
            (postal, postal_code), (city, city_code) = (
                organisations[("district_postal", ids.fengxian)],
                organisations[("city_postal", None)],
            )
            assert (postal_code, city_code) == ("FX-postal", "SH-postal")
            assert staff == {
                ids.bureau: (postal, True),
                ids.city: (city, True),
                ids.inspector: (postal, False),
                ids.partner: (postal, False),
            }
            assert applications == {
                ids.waiting: ("in_approval", "city_postal"),
                ids.district_level: ("approved", None),
                ids.city_level: ("approved", None),
                ids.declined: ("approved", None),
            }
            recommended = (
                "city",
                "district_postal",
                "recommendation",
                "agree",
                "推荐市级。",
                postal,
                ids.bureau,
            )
            confirmed = ("city", "city_postal", "confirmation", "agree", "确认市级。", city, ids.city)
            declined = ("city", "city_postal", "confirmation", "disagree", "台账不完整。", city, ids.city)
            decided = ("district", "district_postal", "decision", "agree")
            assert steps == [
                (ids.waiting, 1, 0, *recommended),
                (ids.district_level, 1, 0, *decided, "同意区级。", postal, ids.bureau),
                (ids.city_level, 1, 0, *recommended),
                (ids.city_level, 1, 1, *confirmed),
                (ids.declined, 1, 0, *recommended),
                (ids.declined, 1, 1, *declined),
                (ids.declined, 2, 0, *decided, "（迁移前未记录意见）", postal, ids.bureau),
            ]
            assert issuers == {
                ids.certificates["district"]: postal,
                ids.certificates["city"]: city,
                ids.certificates["declined"]: postal,
            }
            assert str(signatures[ids.inspector])[:19] == str(_at(0))[:19]  # the signer signed
            assert signatures[ids.partner] is None  # the other member of the team had not

            downgrade(revision="0011")
            with db.engine.connect() as connection:
                statuses = dict(_read(connection, "SELECT id, status FROM applications"))
                user_columns = {column["name"] for column in sa.inspect(connection).get_columns("users")}
                tables = set(sa.inspect(connection).get_table_names())
            assert statuses == {
                ids.waiting: "awaiting_city_confirmation",
                ids.district_level: "approved",
                ids.city_level: "approved",
                ids.declined: "approved",
            }
            assert not {"organisation_id", "approver"} & user_columns
            assert not {"organisations", "approval_records", "certificate_documents"} & tables
            db.session.remove()
            db.engine.dispose()


CERTIFICATION_ROWS = {
    "assessments": "SELECT id FROM assessments WHERE kind IN ('self', 'inspection') ORDER BY id",
    "answers": "SELECT id FROM answers WHERE assessment_id NOT IN"
    " (SELECT id FROM assessments WHERE kind IN ('supervision', 'yearly')) ORDER BY id",
    "evidence": "SELECT id FROM evidence WHERE purpose != 'statement' AND (assessment_id IS NULL"
    " OR assessment_id NOT IN (SELECT id FROM assessments WHERE kind IN ('supervision', 'yearly')))"
    " ORDER BY id",
    "visit_inspectors": "SELECT assessment_id, inspector_id FROM visit_inspectors"
    " WHERE assessment_id NOT IN (SELECT id FROM assessments WHERE kind IN ('supervision', 'yearly'))"
    " ORDER BY 1, 2",
}


def test_0013_going_down_drops_only_what_supervision_owns(migrated):
    """Down from 0013 the supervision and yearly records go with their answers, files and teams, and
    the statements' documents; every inspection record, self-assessment, answer, file and team of the
    certification workflow stays as it was, and is there again after going up."""
    seed_every_table()
    db.session.remove()
    with db.engine.connect() as connection:
        kept = {name: _read(connection, sql) for name, sql in CERTIFICATION_ROWS.items()}
        supervised = _read(
            connection,
            "SELECT count(*) FROM answers"
            " WHERE assessment_id IN (SELECT id FROM assessments WHERE kind IN ('supervision', 'yearly'))",
        )
    assert supervised == [(2,)] and all(kept.values())
    downgrade(revision="0012")
    with db.engine.connect() as connection:
        assert _read(connection, "SELECT id FROM assessments ORDER BY id") == kept["assessments"]
        assert _read(connection, "SELECT count(*) FROM evidence WHERE purpose = 'statement'") == [(0,)]
        assert {name: _read(connection, sql) for name, sql in CERTIFICATION_ROWS.items()} == kept
        tables = set(sa.inspect(connection).get_table_names())
    supervision = {
        "supervision_campaigns",
        "supervision_checks",
        "complaints",
        "revocation_cases",
        "yearly_self_checks",
    }
    assert not supervision & tables
    upgrade()
    with db.engine.connect() as connection:
        assert {name: _read(connection, sql) for name, sql in CERTIFICATION_ROWS.items()} == kept


def test_0014_gives_existing_outlets_an_unstated_packing_bench(tmp_path_factory, tmp_path):
    """Outlets registered before the question are "not stated" (NULL) after 0014, so every item still
    applies to them; going down drops only the column and keeps every outlet."""
    with fresh_database(tmp_path_factory) as url:
        app = make_test_app(url, tmp_path)
        with app.app_context():
            upgrade()
            seed_every_table()
            db.session.remove()
            outlets = "SELECT id, name, permit_number FROM outlets ORDER BY id"
            with db.engine.begin() as connection:
                before = connection.execute(sa.text(outlets)).all()
                connection.execute(sa.text("UPDATE outlets SET has_packing_bench = :no"), {"no": False})
            downgrade(revision="0013")
            assert "has_packing_bench" not in {
                c["name"] for c in sa.inspect(db.engine).get_columns("outlets")
            }
            upgrade(revision="0014")
            with db.engine.connect() as connection:
                assert connection.execute(sa.text(outlets)).all() == before
                benches = connection.execute(sa.text("SELECT DISTINCT has_packing_bench FROM outlets")).all()
            assert benches == [(None,)]
            db.session.remove()
            db.engine.dispose()


def test_0017_api_tokens_go_down_with_their_table_and_their_audit_rows_stay(tmp_path_factory, tmp_path):
    """Going down from 0017 drops the tokens (the table is its own; the other tables' rows are the
    step test's) and keeps the audit trail of their making; up again, tokens are made and read."""
    from outlet_audit.accounts.organisations import Organisation
    from outlet_audit.api.tokens import issue_token, token_for

    def make_token():
        with current_app.test_request_context():
            organisation = db.session.scalar(sa.select(Organisation).where(Organisation.code == "FX-postal"))
            issued = issue_token(
                organisation, name="证照共享平台", scopes=["certificates:read"], expires_at=None,
                actor=make_user(Role.ADMIN),
            )  # fmt: skip
            db.session.commit()
            return issued.plain

    with fresh_database(tmp_path_factory) as url:
        app = make_test_app(url, tmp_path)
        with app.app_context():
            upgrade()
            make_token()
            db.session.remove()
            audit = "SELECT id, action, subject_id FROM audit_events WHERE subject_type = 'api_token'"
            with db.engine.connect() as connection:
                made = connection.execute(sa.text(audit)).all()
            assert len(made) == 1
            downgrade(revision="0016")
            assert "api_tokens" not in sa.inspect(db.engine).get_table_names()
            upgrade(revision="0017")
            with db.engine.connect() as connection:
                assert connection.execute(sa.text(audit)).all() == made
            plain = make_token()
            with current_app.test_request_context():
                assert token_for(plain) is not None
            db.session.remove()
            db.engine.dispose()


def test_0015_marked_copies_stay_as_photos_going_down_and_mark_nothing_after_going_up(migrated):
    """Down from 0015 only the pointer goes: the marked copy and its original stay as photos of their
    item; up again, no row marks another (nothing says which it marked any more)."""
    seed_every_table()
    db.session.remove()
    files = "SELECT id, assessment_id, item_code, filename, stored_sha256 FROM evidence ORDER BY id"
    marks = "SELECT id, annotates_id FROM evidence WHERE annotates_id IS NOT NULL"
    with db.engine.connect() as connection:
        before = connection.execute(sa.text(files)).all()
        [(copy_id, original_id)] = connection.execute(sa.text(marks)).all()
    assert {row.id for row in before} >= {copy_id, original_id}
    downgrade(revision="0014")
    assert "annotates_id" not in {c["name"] for c in sa.inspect(db.engine).get_columns("evidence")}
    upgrade(revision="0015")
    with db.engine.connect() as connection:
        assert connection.execute(sa.text(files)).all() == before
        assert connection.execute(sa.text(marks)).all() == []
    upgrade()


def test_0016_going_down_drops_only_the_export_files_and_going_up_starts_them_empty(migrated):
    """The export rows are the step's own (their files expire within a day anyway); every other row
    stays, and the table is back, empty, after going up."""
    seed_every_table()
    db.session.remove()
    before = snapshot()
    assert len(before["export_files"]["rows"]) >= 2  # the two seeded here, and the matrix world's
    downgrade(revision="0015")
    after = snapshot()
    assert "export_files" not in after and lost_rows(before, after) == []
    upgrade()
    with db.engine.connect() as connection:
        assert _read(connection, "SELECT count(*) FROM export_files") == [(0,)]


def test_0019_seals_the_webhook_secrets_and_going_down_gives_them_back_as_they_were(migrated):
    """The matrix world's endpoint was made at head (sealed); going down writes the secret itself
    back, going up seals it again to the very same text (deterministic sealing), and the endpoint
    still signs with the secret it was given."""
    from outlet_audit.webhooks.models import WebhookEndpoint
    from outlet_audit.webhooks.sealing import SEALED_PREFIX, unseal

    seed_every_table()
    db.session.remove()
    query = "SELECT id, secret FROM webhook_endpoints ORDER BY id"
    with db.engine.connect() as connection:
        sealed = _read(connection, query)
    assert sealed and all(text.startswith(SEALED_PREFIX) for _id, text in sealed)
    plain = [(endpoint_id, unseal(text)) for endpoint_id, text in sealed]
    assert all(secret.startswith("whsec_") for _id, secret in plain)
    downgrade(revision="0018")
    with db.engine.connect() as connection:
        assert _read(connection, query) == plain
    upgrade()
    with db.engine.connect() as connection:
        assert _read(connection, query) == sealed
    assert db.session.get(WebhookEndpoint, plain[0][0]).secret == plain[0][1]


def test_0020_counts_what_is_there_as_the_flush_hooks_counted_it(migrated):
    """Going up over existing records fills the dashboard's counts from them: the very rows the
    flush hooks kept while the records were made, and figures equal to a recount."""
    from outlet_audit.criteria.editions import active_edition
    from outlet_audit.dashboards.counts import EVERYTHING
    from outlet_audit.dashboards.queries import item_pass_rates
    from outlet_audit.dashboards.rectification import rectification_figures
    from tests import dashboard_recount as recount

    seed_every_table()
    db.session.remove()
    queries = [
        sa.select(table)
        .where(sa.or_(*(table.c[measure] != 0 for measure in counted.measures)))
        .order_by(*table.primary_key.columns)
        for counted in EVERYTHING
        for table in [counted.model.__table__]
    ]
    with db.engine.connect() as connection:
        kept = [connection.execute(query).all() for query in queries]
    assert all(kept)
    downgrade(revision="0019")
    upgrade()
    with db.engine.connect() as connection:
        assert [connection.execute(query).all() for query in queries] == kept
    with current_app.test_request_context():
        city_wide, edition = Filters(today_in_shanghai()), active_edition()
        items = item_pass_rates(city_wide, edition)
        assert items == recount.item_pass_rates(city_wide, edition)
        assert any(item.answered for item in items)
        titles = {item.code: item.title for item in items}
        assert rectification_figures(city_wide, titles) == recount.rectification_figures(city_wide, titles)
