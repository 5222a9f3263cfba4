"""The rules only the operations hold (outlet_audit.workflow.invariants), over data they made.

Applications in every status (in approval at the ecology bureau's co-signature and at the city's
decision), rectified, reopened, disagreed with by the city and approved, certificates issued,
revoked, superseded and renewed: all through workflow.seeding with real uploads, so every
row is one an operation wrote. Each rule is also shown to catch what it is about, on a copy of that
data changed behind the operations' back. tests/test_bench_seed.py runs the same rules over the
benchmark's bulk load.
"""

from datetime import datetime, timedelta

import pytest
from sqlalchemy import delete, insert, select, update

from outlet_audit.accounts.models import User
from outlet_audit.accounts.organisations import Organisation
from outlet_audit.audit.models import AuditEvent
from outlet_audit.certificates.models import Certificate
from outlet_audit.certificates.revocation import revoke_certificate
from outlet_audit.checklist.models import Answer, Assessment, Finding
from outlet_audit.core.time import clock_at, today_in_shanghai
from outlet_audit.evidence.models import Evidence
from outlet_audit.extensions import db
from outlet_audit.roles import Role
from outlet_audit.workflow.invariants import INVARIANTS, broken_invariants
from outlet_audit.workflow.models import Application, ApprovalRecord, inspection_assignments
from outlet_audit.workflow.seeding import take, upload_evidence
from outlet_audit.workflow.states import Action, Status
from tests.factories import (
    advance,
    cast_for,
    certify,
    make_application,
    make_outlet,
    make_user,
    shanghai_moment,
)


def made(outlet, status, **fields):
    """Made with real uploads (factories.evidence_row skips the upload and its audit row)."""
    return make_application(outlet, status=status, attach=upload_evidence, **fields)


def certified(outlet, **fields):
    return certify(outlet, attach=upload_evidence, **fields)


def shared_rows() -> dict:
    """One application in every status, and the detours the table allows, made once for the module
    (conftest.module_rows) by the operations; returns the ids of the first ones, by status."""
    make_user(Role.CITY_BUREAU)
    made_by_status = {status: made(make_outlet("FX"), status) for status in Status}
    # City level, the ecology bureau's co-signature given, awaiting the city's decision (an outlet
    # certified at district level applies).
    city_applicant = make_outlet("FX")
    certified(city_applicant)
    awaiting_city = made(city_applicant, Status.IN_APPROVAL, target_level="city")
    take(awaiting_city, Action.AGREE, cast_for(city_applicant, awaiting_city.inspectors))
    # Reopened and signed off again; rectified and verified; disagreed with by the city, then approved.
    reopened = made(make_outlet("FX"), Status.INSPECTED)
    advance(reopened, Status.INSPECTION_SCHEDULED, {Action.REOPEN_INSPECTION: {}})
    advance(reopened, Status.APPROVED)
    rectified = made(make_outlet("QP"), Status.RECTIFICATION_SUBMITTED)
    advance(rectified, Status.APPROVED)
    city_outlet = make_outlet("FX")
    certified(city_outlet, issued_on=today_in_shanghai() - timedelta(days=200))
    declined = made(city_outlet, Status.IN_APPROVAL, target_level="city")
    take(declined, Action.AGREE, cast_for(city_outlet, declined.inspectors))  # the co-signature
    advance(declined, Status.INSPECTED, {Action.DISAGREE: {"opinion": "台账不完整。"}})  # the city's
    advance(declined, Status.APPROVED)
    # A certificate revoked, one renewed, one that ran out long ago.
    revoked = certified(make_outlet("PD"))
    revoke_certificate(revoked, make_user(Role.DISTRICT_BUREAU, district_code="PD"), "停业。")
    renewed = certified(
        make_outlet("FX"), issued_on=today_in_shanghai() - timedelta(days=680)
    )  # in its renewal window
    certified(renewed.outlet, renewal_of=renewed)
    certified(make_outlet("QP"), issued_on=today_in_shanghai() - timedelta(days=3 * 365))
    # A rectification deadline missed: requested three weeks ago, rejected now.
    late = make_outlet("QP")
    due = {
        "rectification_item_codes": frozenset({"3.1"}),
        "rectification_deadline": today_in_shanghai() - timedelta(days=1),
    }
    with clock_at(shanghai_moment(today_in_shanghai() - timedelta(days=21))):
        requested = made(late, Status.RECTIFICATION_REQUESTED, inputs={Action.REQUEST_RECTIFICATION: due})
    rejection = {"reasons": "逾期未整改。"}
    advance(requested, Status.REJECTED, {Action.REJECT: rejection}, cast_for(late, requested.inspectors))
    assert awaiting_city.awaiting_agency == "city_postal" and declined.status == Status.APPROVED
    return {
        **{status: application.id for status, application in made_by_status.items()},
        "rectified": rectified.id,
        "awaiting_city": awaiting_city.id,
    }


@pytest.fixture
def lived_in(module_rows, ctx):
    """The module's applications by status, read in this test's session."""
    return {status: db.session.get(Application, key) for status, key in module_rows[1].items()}


def test_data_made_by_the_operations_keeps_every_rule(lived_in, db_session):
    assert broken_invariants(db_session) == {}


def test_the_rules_have_distinct_names_and_say_what_holds():
    names = [invariant.name for invariant in INVARIANTS]
    assert len(names) == len(set(names)) and all(invariant.rule for invariant in INVARIANTS)


def test_a_waived_rule_must_exist(db_session):
    with pytest.raises(ValueError):
        broken_invariants(db_session, waived={"no such rule"})


def _later_expiry(data):
    certificate = db.session.scalar(
        select(Certificate).where(Certificate.application_id == data[Status.APPROVED].id)
    )
    return (
        update(Certificate)
        .where(Certificate.id == certificate.id)
        .values(valid_until=certificate.valid_until + timedelta(days=1))
    )


def _self_signed_off(data):
    submitted = data[Status.SUBMITTED]
    return (
        update(Assessment)
        .where(Assessment.application_id == submitted.id, Assessment.kind == "self")
        .values(signed_off_at=submitted.submitted_at, signed_off_by_id=_a_user())
    )


def _a_user() -> int:
    return db.session.scalar(select(User.id).order_by(User.id).limit(1))


# Each change is one a hand-written builder or a bulk load could make; each rule names what it breaks.
CORRUPTIONS = {
    "submission time": lambda data: (
        update(Application).where(Application.id == data[Status.ACCEPTED].id).values(submitted_at=None)
    ),
    "decision time": lambda data: (
        update(Application).where(Application.id == data[Status.REJECTED].id).values(decided_at=None)
    ),
    "return reasons": lambda data: (
        update(Application).where(Application.id == data[Status.RETURNED].id).values(return_reasons=" ")
    ),
    "rectification request": lambda data: (
        update(Finding)
        .where(Finding.application_id == data[Status.RECTIFICATION_REQUESTED].id)
        .values(notice_id=None, status="open")
    ),
    "findings of signed records": lambda data: (
        update(Finding)
        .where(Finding.application_id == data[Status.RECTIFICATION_REQUESTED].id)
        .values(
            assessment_id=select(Assessment.id)
            .where(
                Assessment.application_id == data[Status.RECTIFICATION_REQUESTED].id,
                Assessment.kind == "self",
            )
            .scalar_subquery()
        )
    ),
    "verified findings": lambda data: (
        update(Finding)
        .where(Finding.application_id == data["rectified"].id, Finding.status == "closed")
        .values(status="not_closed")
    ),
    "superseded by a signed correction": lambda data: (
        update(Assessment)
        .where(Assessment.application_id == data[Status.APPROVED].id, Assessment.kind == "inspection")
        .values(superseded_at=datetime(2026, 1, 2, 3, 4))
    ),
    "inspection plan": lambda data: delete(inspection_assignments).where(
        inspection_assignments.c.application_id == data[Status.INSPECTED].id
    ),
    "self-assessment never signed off": _self_signed_off,
    "signed off in these statuses": lambda data: (
        update(Application)
        .where(Application.id == data[Status.INSPECTION_SCHEDULED].id)
        .values(status=Status.INSPECTED.value)
    ),
    "signed-off scores kept": lambda data: (
        update(Assessment)
        .where(Assessment.application_id == data[Status.INSPECTED].id, Assessment.kind == "inspection")
        .values(result=None)
    ),
    "complete when signed off": lambda data: delete(Evidence).where(
        Evidence.application_id == data[Status.INSPECTED].id,
        Evidence.purpose == "item",
        Evidence.item_code == "1.1",
    ),
    "answers the edition accepts": lambda data: (
        update(Answer).where(Answer.item_code == "1.1").values(value='"maybe"')
    ),
    "commitment letter": lambda data: delete(Evidence).where(
        Evidence.application_id == data[Status.SUBMITTED].id, Evidence.purpose == "commitment"
    ),
    "certificate as issued": _later_expiry,
    "certificate of an approved application": lambda data: (
        update(Certificate).where(Certificate.application_id == data[Status.APPROVED].id).values(level="city")
    ),
    "application created, audited": lambda data: insert(Application).values(
        outlet_id=make_outlet("FX").id,
        district_id=data[Status.DRAFT].district_id,
        edition_pk=data[Status.DRAFT].edition_pk,
        target_level="district",
        status=Status.DRAFT.value,
        eligibility={},
    ),
    "approval steps": lambda data: (
        update(ApprovalRecord)
        .where(ApprovalRecord.application_id == data[Status.APPROVED].id, ApprovalRecord.position == 0)
        .values(agency="district_ecology")
    ),
    "staff organisations": lambda data: (
        update(User)
        .where(User.id == data[Status.APPROVED].inspectors[0].id)
        .values(
            organisation_id=select(Organisation.id).where(Organisation.code == "SH-postal").scalar_subquery()
        )
    ),
    "transitions, audited": lambda data: insert(AuditEvent).values(
        action="transition",
        subject_type="application",
        subject_id=data[Status.SUBMITTED].id,
        application_id=data[Status.SUBMITTED].id,
        field="accept",
        old_value="submitted",
        new_value="accepted",
    ),
}


@pytest.mark.parametrize("name", sorted(CORRUPTIONS))
def test_each_rule_catches_what_it_is_about(lived_in, db_session, name):
    assert name in {invariant.name for invariant in INVARIANTS}
    with db_session.begin_nested() as changed:
        db_session.execute(CORRUPTIONS[name](lived_in))
        assert name in broken_invariants(db_session)
        changed.rollback()
