"""Opening a supervision check: the visit record, its team and the audit row, and what is refused."""

from datetime import timedelta

import pytest
from sqlalchemy import select

from outlet_audit.audit.models import AuditEvent
from outlet_audit.certificates.state import StoredCertificateState
from outlet_audit.checklist.kinds import AssessmentKind
from outlet_audit.checklist.service import inspection_records
from outlet_audit.core.time import today_in_shanghai, utcnow
from outlet_audit.extensions import db
from outlet_audit.roles import Role
from outlet_audit.supervision.kinds import CheckPurpose, CheckStatus
from outlet_audit.supervision.operations import open_check
from outlet_audit.text import Refused
from tests.factories import certify, make_outlet, make_user


@pytest.fixture
def certified(ctx):
    return certify(make_outlet("FX"))


def test_a_check_opens_with_its_visit_record_and_team(certified):
    bureau = make_user(Role.DISTRICT_BUREAU, district_code="FX")
    team = [make_user(Role.INSPECTOR, district_code="FX") for _ in range(2)]
    due = today_in_shanghai() + timedelta(days=20)
    check = open_check(
        certified, CheckPurpose.TARGETED, team, due_by=due, actor=bureau, reason="  yearly check missing "
    )
    assert check.number == f"JD-{utcnow().year:04d}-FX-{check.id:06d}"
    assert check.status == CheckStatus.SCHEDULED and check.reason == "yearly check missing"
    visit = check.assessment
    assert visit.kind == AssessmentKind.SUPERVISION and visit.application_id == certified.application_id
    assert visit.scheduled_for == due and visit.signed_off_at is None
    assert {user.id for user in visit.inspectors} == {user.id for user in team}
    # Not one of the application's inspection records: those stay as they were signed.
    assert all(
        record.kind == AssessmentKind.INSPECTION for record in inspection_records(certified.application_id)
    )
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "supervision_check_opened"))
    assert (event.field, event.new_value, event.outlet_id) == ("targeted", check.number, certified.outlet_id)


def test_one_open_check_per_certificate(certified):
    bureau = make_user(Role.DISTRICT_BUREAU, district_code="FX")
    inspector = make_user(Role.INSPECTOR, district_code="FX")
    due = today_in_shanghai() + timedelta(days=20)
    open_check(certified, CheckPurpose.TARGETED, [inspector], due_by=due, actor=bureau, reason="first")
    with db.session.begin_nested(), pytest.raises(Refused, match="already has a supervision check"):
        open_check(certified, CheckPurpose.TARGETED, [inspector], due_by=due, actor=bureau, reason="again")


@pytest.mark.parametrize("who", ["other_district", "bureau", "inactive", "nobody", "too_many"])
def test_the_team_is_the_districts_inspectors(certified, who):
    bureau = make_user(Role.DISTRICT_BUREAU, district_code="FX")
    team = {
        "other_district": [make_user(Role.INSPECTOR, district_code="HP")],
        "bureau": [bureau],
        "inactive": [make_user(Role.INSPECTOR, district_code="FX", active=False)],
        "nobody": [],
        "too_many": [make_user(Role.INSPECTOR, district_code="FX") for _ in range(5)],
    }[who]
    with pytest.raises(Refused):
        open_check(certified, CheckPurpose.TARGETED, team, due_by=today_in_shanghai(), actor=bureau)


def test_a_revoked_certificate_is_not_supervised(certified):
    bureau = make_user(Role.DISTRICT_BUREAU, district_code="FX")
    certified.state, certified.revoked_at, certified.revoked_reason = (
        StoredCertificateState.REVOKED,
        utcnow(),
        "x",
    )
    with pytest.raises(Refused, match="Only a valid certificate"):
        open_check(
            certified,
            CheckPurpose.TARGETED,
            [make_user(Role.INSPECTOR, district_code="FX")],
            due_by=today_in_shanghai(),
            actor=bureau,
        )
