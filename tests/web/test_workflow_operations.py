"""apply_transition: the state machine's answer applied to the database, audited and notified."""

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from outlet_audit.audit.models import AuditEvent
from outlet_audit.certificates.models import Certificate
from outlet_audit.core.time import today_in_shanghai
from outlet_audit.notifications.models import Notification
from outlet_audit.roles import Agency, Role
from outlet_audit.workflow.approvals import records_of
from outlet_audit.workflow.operations import apply_transition, make_payload
from outlet_audit.workflow.seeding import affirm_declarations
from outlet_audit.workflow.states import Action, Level, TransitionRefused
from tests.factories import make_application, make_outlet, make_user
from tests.workflow_helpers import answer_all, attach, give_certificate


@pytest.fixture
def people(ctx):
    outlet = make_outlet("FX")
    return {
        "outlet": make_user(Role.OUTLET, outlet=outlet),
        "bureau": make_user(Role.DISTRICT_BUREAU, district_code="FX"),
        "inspector": make_user(Role.INSPECTOR, district_code="FX"),
        "city": make_user(Role.CITY_BUREAU),
        "ecology": make_user(Role.DISTRICT_BUREAU, district_code="FX", agency=Agency.DISTRICT_ECOLOGY),
    }


def test_happy_path_to_approval_is_audited_and_notified(people, db_session):
    outlet_user, bureau, inspector = people["outlet"], people["bureau"], people["inspector"]
    application = make_application(outlet_user.outlet)
    with pytest.raises(TransitionRefused) as refused:
        apply_transition(application, Action.SUBMIT, outlet_user, make_payload())  # nothing filled in
    missing = [message.template for message in refused.value.message.params["missing"]]
    assert "The signed commitment letter is not uploaded." in missing
    assert "The self-assessment has not been started." in missing
    affirm_declarations(application, outlet_user)
    answer_all(application, "self", outlet_user)
    attach(application, outlet_user)
    apply_transition(application, Action.SUBMIT, outlet_user, make_payload())
    apply_transition(application, Action.ACCEPT, bureau, make_payload())
    apply_transition(
        application,
        Action.SCHEDULE_INSPECTION,
        bureau,
        make_payload(
            inspector_ids=frozenset({inspector.id}), scheduled_on=today_in_shanghai() + timedelta(days=3)
        ),
    )
    answer_all(application, "inspection", inspector)
    with pytest.raises(TransitionRefused):  # the inspector's confirmation is part of the input
        apply_transition(application, Action.SIGN_OFF, inspector, make_payload())
    apply_transition(application, Action.SIGN_OFF, inspector, make_payload(confirmed=True))
    apply_transition(
        application, Action.APPROVE, bureau, make_payload(opinion="符合要求", granted_level=Level.DISTRICT)
    )
    # the 2025 edition: the ecology bureau co-signs, then the postal bureau decides
    assert (application.status, application.awaiting_agency) == ("in_approval", "district_ecology")
    apply_transition(application, Action.AGREE, people["ecology"], make_payload(opinion="会签同意"))
    assert (application.status, application.awaiting_agency) == ("in_approval", "district_postal")
    apply_transition(application, Action.AGREE, bureau, make_payload(opinion="同意认定区级"))
    assert application.status == "approved" and application.granted_level == "district"
    assert application.awaiting_agency is None and application.decision_opinion == "同意认定区级"
    transitions = db_session.execute(
        select(AuditEvent.field, AuditEvent.new_value, AuditEvent.actor_id)
        .where(AuditEvent.application_id == application.id, AuditEvent.action == "transition")
        .order_by(AuditEvent.id)
    ).all()
    assert [(field, new) for field, new, _ in transitions] == [
        ("submit", "submitted"), ("accept", "accepted"),
        ("schedule_inspection", "inspection_scheduled"), ("sign_off", "inspected"),
        ("approve", "in_approval"), ("agree", "in_approval"), ("agree", "approved"),
    ]  # fmt: skip
    assert [actor for *_, actor in transitions][-3:] == [bureau.id, people["ecology"].id, bureau.id]
    steps = [
        (record.agency, record.act, record.outcome, record.user_id) for record in records_of(application.id)
    ]
    assert steps == [
        ("district_postal", "opinion", "agree", bureau.id),
        ("district_ecology", "cosign", "agree", people["ecology"].id),
        ("district_postal", "decision", "agree", bureau.id),
    ]
    kinds = set(db_session.scalars(select(Notification.kind)))
    assert {
        "application_submitted",
        "assignment",
        "inspection_signed_off",
        "approval_step",
        "decision",
    } <= kinds
    asked = db_session.scalars(select(Notification.user_id).where(Notification.kind == "approval_step")).all()
    assert set(asked) == {people["ecology"].id, bureau.id}  # each step's agency is asked in turn


def test_refused_transition_changes_nothing(people, db_session):
    application = make_application(people["outlet"].outlet, status="submitted")
    trail = select(func.count()).select_from(AuditEvent).where(AuditEvent.application_id == application.id)
    before = db_session.scalar(trail)
    with pytest.raises(TransitionRefused):
        apply_transition(application, Action.ACCEPT, people["inspector"], make_payload())
    assert application.status == "submitted"
    assert db_session.scalar(trail) == before


def test_a_valid_city_certificate_counts_as_holding_district_status(people, db_session):
    from outlet_audit.checklist.service import holds_valid_district_certificate

    outlet = people["outlet"].outlet
    assert not holds_valid_district_certificate(outlet.id)
    city = give_certificate(outlet, "city", valid_days=700)
    district = db_session.scalar(select(Certificate).where(Certificate.superseded_by_id == city.id))
    assert district.level == "district"  # the city certificate replaced it
    assert holds_valid_district_certificate(outlet.id)  # a city holder may renew at city level
