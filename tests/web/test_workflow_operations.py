"""apply_transition: the state machine's answer applied to the database, audited and notified."""

from datetime import timedelta

import pytest
from sqlalchemy import select

from outlet_audit.audit.models import AuditEvent
from outlet_audit.checklist.service import get_or_create_assessment, save_answer
from outlet_audit.core.time import today_in_shanghai
from outlet_audit.criteria.editions import pinned_edition
from outlet_audit.evidence.models import Evidence
from outlet_audit.notifications.models import Notification
from outlet_audit.roles import Role
from outlet_audit.workflow.operations import apply_transition, make_payload
from outlet_audit.workflow.states import Action, Level, TransitionRefused
from tests.factories import make_application, make_outlet, make_user


def attach(application, purpose="commitment", user=None, **fields):
    evidence = Evidence(
        outlet_id=application.outlet_id,
        application_id=application.id,
        purpose=purpose,
        kind="document",
        mime_type="application/pdf",
        filename="letter.pdf",
        size_bytes=100,
        original_sha256="a" * 64,
        stored_sha256="a" * 64,
        uploaded_by_id=user.id,
        **fields,
    )
    from outlet_audit.extensions import db

    db.session.add(evidence)
    db.session.flush()
    return evidence


@pytest.fixture
def people(ctx):
    outlet = make_outlet("FX")
    return {
        "outlet": make_user(Role.OUTLET, outlet=outlet),
        "bureau": make_user(Role.DISTRICT_BUREAU, district_code="FX"),
        "inspector": make_user(Role.INSPECTOR, district_code="FX"),
        "city": make_user(Role.CITY_BUREAU),
    }


def answer_everything_full_marks(application, inspector):
    edition = pinned_edition(application.edition)
    inspection = get_or_create_assessment(application, "inspection")
    for item in edition.items():
        spec = item.answer
        if spec.type == "yes_no":
            value = spec.pass_value if hasattr(spec, "pass_value") else True
        elif spec.type == "choice":
            value = max(spec.options, key=lambda o: o.points).code
        else:
            value = max(t.min for t in spec.thresholds)
        save_answer(
            inspection,
            edition,
            item.code,
            value=value,
            not_applicable=False,
            note=None,
            expected_version=0,
            actor=inspector,
        )
        from outlet_audit.scoring import Answer, evidence_required

        if evidence_required(item, Answer(value)):
            attach(
                application, purpose="item", user=inspector, assessment_id=inspection.id, item_code=item.code
            )
    return inspection


def test_happy_path_to_approval_is_audited_and_notified(people, db_session):
    outlet_user, bureau, inspector = people["outlet"], people["bureau"], people["inspector"]
    application = make_application(outlet_user.outlet)
    with pytest.raises(TransitionRefused):
        apply_transition(application, Action.SUBMIT, outlet_user, make_payload())  # no commitment letter
    attach(application, user=outlet_user)
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
    answer_everything_full_marks(application, inspector)
    apply_transition(application, Action.SIGN_OFF, inspector, make_payload())
    apply_transition(
        application, Action.APPROVE, bureau, make_payload(opinion="符合要求", granted_level=Level.DISTRICT)
    )
    assert application.status == "approved" and application.granted_level == "district"
    actions = db_session.scalars(
        select(AuditEvent.field).where(
            AuditEvent.application_id == application.id, AuditEvent.action == "transition"
        )
    ).all()
    assert actions == ["submit", "accept", "schedule_inspection", "sign_off", "approve"]
    kinds = set(db_session.scalars(select(Notification.kind)))
    assert {"application_submitted", "assignment", "inspection_signed_off", "decision"} <= kinds


def test_refused_transition_changes_nothing(people, db_session):
    application = make_application(people["outlet"].outlet, status="submitted")
    with pytest.raises(TransitionRefused):
        apply_transition(application, Action.ACCEPT, people["inspector"], make_payload())
    assert application.status == "submitted"
    assert db_session.scalar(select(AuditEvent).where(AuditEvent.application_id == application.id)) is None


def test_a_valid_city_certificate_counts_as_holding_district_status(people, db_session):
    from outlet_audit.certificates.models import Certificate
    from outlet_audit.checklist.service import holds_valid_district_certificate

    outlet = people["outlet"].outlet
    application = make_application(outlet, status="approved", target_level="city")
    assert not holds_valid_district_certificate(outlet.id)
    today = today_in_shanghai()
    db_session.add(
        Certificate(
            number="WFKD-2025-FX-S-0001",
            application_id=application.id,
            outlet_id=outlet.id,
            district_id=outlet.district_id,
            level="city",
            score=95,
            edition_id="x",
            edition_hash="0" * 64,
            issuing_bureau="上海市邮政管理局",
            issued_on=today,
            valid_until=today + timedelta(days=700),
        )
    )
    db_session.flush()
    assert holds_valid_district_certificate(outlet.id)  # a city holder may renew at city level
