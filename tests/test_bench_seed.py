"""The benchmark's bulk loader writes only rows the operations could have written.

It loads its rows directly, for speed, with the database's foreign-key checks off (bench/seed.py);
here it runs at a tiny size on a fresh database (SQLite, or PostgreSQL with TEST_DATABASE_URL), and
every rule the operations keep (outlet_audit.workflow.invariants, also checked over operation-made
data in tests/web/test_data_invariants.py, and bench.approval_rules for approval steps, joint teams
and issuers) must hold for what it wrote. Each approval rule is shown to catch what it is about, on
the seeded data changed behind the operations' back (in a transaction rolled back).
"""

import pytest
import sqlalchemy as sa

from bench import synthetic as syn
from bench.approval_rules import APPROVAL_RULES
from bench.check import check_database, report
from bench.seed import seed
from tests.conftest import fresh_database

QUIET = {"log": lambda _line: None}


@pytest.fixture(scope="module")
def seeded(tmp_path_factory):
    """A database seeded with every extra (the full run's), for the tests that read it."""
    with fresh_database(tmp_path_factory) as url:
        instance = tmp_path_factory.mktemp("instance")
        sample = seed(url, instance, syn.Scale.for_outlets(30), **QUIET)
        yield url, sample


def test_the_bulk_load_keeps_every_rule_of_the_operations(seeded):
    url, sample = seeded
    assert sample.counts["applications"] == 90 and sample.counts["answers"] > 0
    # Rectification ordered, answered and verified at re-inspections: the dashboards' figures have rows.
    assert min(sample.counts[table] for table in ("rectification_notices", "findings", "finding_checks")) > 0
    assert sample.counts["approval_records"] > 0

    broken = check_database(url)

    assert broken == {}, report(broken)


def test_the_lean_load_keeps_every_rule_it_does_not_waive(tmp_path_factory):
    with fresh_database(tmp_path_factory) as url:
        instance = tmp_path_factory.mktemp("instance")
        sample = seed(url, instance, syn.Scale.for_outlets(30, extras=False), **QUIET)
        assert sample.counts["audit_events"] == 0 and sample.counts["approval_records"] > 0

        broken = check_database(url, lean=True)

    assert broken == {}, report(broken)


def test_the_approvals_wait_for_every_agency_and_the_teams_are_joint(seeded):
    url, _sample = seeded
    engine = sa.create_engine(url)
    with engine.connect() as conn:
        awaiting = set(
            conn.scalars(
                sa.text("SELECT DISTINCT awaiting_agency FROM applications WHERE status = 'in_approval'")
            )
        )
        signatures = conn.execute(
            sa.text(
                "SELECT count(*), count(vi.signed_at) FROM visit_inspectors vi"
                " JOIN assessments a ON a.id = vi.assessment_id WHERE a.signed_off_at IS NOT NULL"
            )
        ).one()
        issuers = {
            tuple(row)
            for row in conn.execute(
                sa.text(
                    "SELECT c.level, o.code, c.issuing_bureau = o.name_zh FROM certificates c"
                    " JOIN organisations o ON o.id = c.issuer_organisation_id"
                )
            )
        }
    engine.dispose()
    assert awaiting == {"district_ecology", "district_postal", "city_postal"}
    assert signatures[0] > 0 and signatures[0] == signatures[1]  # every member signed every signed visit
    assert {(level, code.endswith("-postal"), named) for level, code, named in issuers} == {
        ("district", True, True),
        ("city", True, True),
    }
    assert {code for level, code, _named in issuers if level == "city"} == {"SH-postal"}


def test_the_sample_names_the_records_the_new_pages_open(seeded):
    """#23's bench pages: an application of the bench district whose findings the outlet answered,
    a complaint about the showcase outlet, and the showcase check's visit with the bench inspector."""
    url, sample = seeded
    engine = sa.create_engine(url)
    with engine.connect() as conn:
        rectification = conn.execute(
            sa.text(
                "SELECT o.district_id, n.submitted_at IS NOT NULL, count(f.responded_at)"
                " FROM applications a JOIN outlets o ON o.id = a.outlet_id"
                " JOIN rectification_notices n ON n.application_id = a.id"
                " JOIN findings f ON f.notice_id = n.id WHERE a.id = :id"
                " GROUP BY o.district_id, n.submitted_at"
            ),
            {"id": sample.rectification_application_id},
        ).one()
        complaint = conn.execute(
            sa.text("SELECT outlet_id, district_id FROM complaints WHERE id = :id"),
            {"id": sample.complaint_id},
        ).one()
        visit = conn.execute(
            sa.text(
                "SELECT c.assessment_id, u.username FROM supervision_checks c"
                " JOIN visit_inspectors vi ON vi.assessment_id = c.assessment_id"
                " JOIN users u ON u.id = vi.inspector_id WHERE c.id = :id"
            ),
            {"id": sample.check_id},
        ).all()
    engine.dispose()
    assert rectification[0] == sample.district_id and rectification[1] and rectification[2] >= 1
    assert tuple(complaint) == (sample.outlet_id, sample.district_id)
    assert visit == [(sample.check_assessment_id, sample.usernames["inspector"])]


# Each approval rule, and one change behind the operations' back that breaks it (SQL run on the
# seeded database in a transaction that is rolled back).
CORRUPTIONS = {
    "approval steps as the edition's": (
        "UPDATE approval_records SET act = 'confirmation'"
        " WHERE id = (SELECT min(id) FROM approval_records WHERE position = 1)"
    ),
    "approval standing": (
        "UPDATE applications SET awaiting_agency = 'city_ecology'"
        " WHERE id = (SELECT min(id) FROM applications WHERE status = 'in_approval')"
    ),
    # (the trail is append-only: a step audited that nobody signed)
    "approval steps, audited": (
        "INSERT INTO audit_events (occurred_at, application_id, outlet_id, subject_type, subject_id,"
        " action, field, old_value, new_value) SELECT updated_at, id, outlet_id, 'application', id,"
        " 'transition', 'agree', 'in_approval', 'in_approval' FROM applications WHERE status = 'in_approval'"
    ),
    "certificate issuer": (
        "UPDATE certificates SET issuer_organisation_id ="
        " (SELECT id FROM organisations WHERE code = 'SH-postal')"
        " WHERE id = (SELECT min(id) FROM certificates WHERE level = 'district')"
    ),
    "joint team": (
        "DELETE FROM inspection_assignments"
        " WHERE application_id = (SELECT min(id) FROM applications WHERE target_level = 'city'"
        " AND status = 'approved') AND inspector_id IN (SELECT u.id FROM users u"
        " JOIN organisations o ON o.id = u.organisation_id WHERE o.agency = 'district_ecology')"
    ),
    "team signatures": (
        "UPDATE visit_inspectors SET signed_at = NULL"
        " WHERE assessment_id = (SELECT min(id) FROM assessments WHERE signed_off_at IS NOT NULL)"
    ),
}


def test_every_approval_rule_has_a_corruption():
    assert set(CORRUPTIONS) == {rule.name for rule in APPROVAL_RULES}


@pytest.mark.parametrize("rule", APPROVAL_RULES, ids=[rule.name for rule in APPROVAL_RULES])
def test_each_approval_rule_catches_what_it_is_about(seeded, rule):
    url, _sample = seeded
    engine = sa.create_engine(url)
    try:
        with engine.connect() as conn:  # one transaction, rolled back
            assert list(rule.find(conn)) == []
            assert conn.execute(sa.text(CORRUPTIONS[rule.name])).rowcount >= 1
            found = list(rule.find(conn))
            conn.rollback()
        assert found, f"{rule.name} missed: {CORRUPTIONS[rule.name]}"
    finally:
        engine.dispose()
