"""The rules joint teams add to the invariants (outlet_audit.workflow.invariants), over data the
operations made: a city-level visit signed by both agencies' inspectors, one waiting for its
second signature, a re-inspection waiting the same way, and a correction signed by the team again.
Each rule is shown to catch what it is about on a copy of that data changed behind their back.
"""

from datetime import timedelta

import pytest
from sqlalchemy import insert, update

from outlet_audit.checklist.kinds import AssessmentKind
from outlet_audit.checklist.models import Assessment, visit_inspectors
from outlet_audit.checklist.service import assessment_of
from outlet_audit.extensions import db
from outlet_audit.roles import Agency, Role
from outlet_audit.workflow.invariants import broken_invariants
from outlet_audit.workflow.models import Application, inspection_assignments
from outlet_audit.workflow.operations import apply_transition, make_payload
from outlet_audit.workflow.seeding import answer_checklist, upload_evidence, verify_findings
from outlet_audit.workflow.states import Action, Status
from tests.factories import advance, cast_for, certify, make_application, make_outlet, make_user

# The rules this module's data exercises (the whole list is test_data_invariants.py's).
TEAM_RULES = (
    "inspection plan",
    "signed off in these statuses",
    "team signatures",
    "whole team signed",
    "findings of signed records",
    "signed off by an assigned inspector",
    "signed-off scores kept",
    "complete when signed off",
    "evidence, audited",
    "transitions, audited",
)


def joint(status: Status):
    """A city-level application of a district-certified outlet, its visit by a joint team."""
    outlet = make_outlet("FX")
    certify(outlet, attach=upload_evidence)
    postal = make_user(Role.INSPECTOR, district_code="FX")
    ecology = make_user(Role.INSPECTOR, district_code="FX", agency=Agency.DISTRICT_ECOLOGY)
    cast = cast_for(outlet, [postal], ecology_inspector=ecology)
    application = make_application(
        outlet, status=status, target_level="city", cast=cast, attach=upload_evidence
    )
    return application, cast, postal


def waiting(status: Status):
    """A joint visit signed by its postal inspector alone, the application still at `status`."""
    application, _cast, postal = joint(status)
    verify_findings(application, postal, attach=upload_evidence)
    answer_checklist(application, AssessmentKind.INSPECTION, postal, attach=upload_evidence)
    apply_transition(application, Action.SIGN_OFF, postal, make_payload(confirmed=True))
    assert application.status == status.value
    return application


def shared_rows() -> dict:
    make_user(Role.CITY_BUREAU)
    inspected, cast, _postal = joint(Status.INSPECTED)
    reopened, reopen_cast, _ = joint(Status.INSPECTED)
    advance(reopened, Status.INSPECTION_SCHEDULED, {Action.REOPEN_INSPECTION: {}}, cast=reopen_cast)
    advance(reopened, Status.INSPECTED, cast=reopen_cast)
    return {
        "inspected": inspected.id,
        "reopened": reopened.id,
        "waiting": waiting(Status.INSPECTION_SCHEDULED).id,
        "waiting_reinspection": waiting(Status.RECTIFICATION_SUBMITTED).id,
    }


@pytest.fixture
def lived_in(module_rows, ctx):
    return {name: db.session.get(Application, key) for name, key in module_rows[1].items()}


def newest(application) -> Assessment:
    return assessment_of(application, AssessmentKind.INSPECTION)


def test_the_team_data_keeps_every_rule(lived_in, db_session):
    assert {status: app.status for status, app in lived_in.items()} == {
        "inspected": "inspected",
        "reopened": "inspected",
        "waiting": "inspection_scheduled",
        "waiting_reinspection": "rectification_submitted",
    }
    assert {name: found for name, found in broken_invariants(db_session).items() if name in TEAM_RULES} == {}


def _signature(application, agency: Agency, signed_at):
    record = newest(application)
    member = next(user for user in record.inspectors if user.agency == agency)
    return (
        update(visit_inspectors)
        .where(visit_inspectors.c.assessment_id == record.id, visit_inspectors.c.inspector_id == member.id)
        .values(signed_at=signed_at)
    )


def _fifth_inspector(data):
    application = data["inspected"]
    extra = [make_user(Role.INSPECTOR, district_code="FX") for _ in range(4)]
    return insert(inspection_assignments).values(
        [{"application_id": application.id, "inspector_id": user.id} for user in extra]
    )


CORRUPTIONS = {
    # The last signature given behind the state machine's back: the application should have moved on.
    "signed off in these statuses": lambda data: _signature(
        data["waiting"], Agency.DISTRICT_ECOLOGY, newest(data["waiting"]).signed_off_at
    ),
    # A signature older than the record's first (or on a record nobody signed).
    "team signatures": lambda data: _signature(
        data["waiting_reinspection"],
        Agency.DISTRICT_ECOLOGY,
        newest(data["waiting_reinspection"]).signed_off_at - timedelta(hours=1),
    ),
    # A visit that moved on with one agency's signature missing.
    "whole team signed": lambda data: _signature(data["inspected"], Agency.DISTRICT_ECOLOGY, None),
    "inspection plan": _fifth_inspector,
}


def test_the_first_signer_must_have_signed(lived_in, db_session):
    with db_session.begin_nested() as changed:
        db_session.execute(_signature(lived_in["waiting"], Agency.DISTRICT_POSTAL, None))
        assert "team signatures" in broken_invariants(db_session)
        changed.rollback()


@pytest.mark.parametrize("name", sorted(CORRUPTIONS))
def test_each_team_rule_catches_what_it_is_about(lived_in, db_session, name):
    with db_session.begin_nested() as changed:
        db_session.execute(CORRUPTIONS[name](lived_in))
        assert name in broken_invariants(db_session)
        changed.rollback()


@pytest.mark.parametrize(("other_signed", "broken"), [(False, False), (True, True)])
def test_a_record_signed_for_its_team_before_members_signed_one_by_one_keeps_the_rules(
    lived_in, db_session, other_signed, broken
):
    """Migration 0012 gave a signed visit its signer's signature alone, and no member's signature
    has an audit row: no broken rule. Another member's signature beside it would be one given one by
    one, and then every member must have signed."""
    application = lived_in["inspected"]
    done = newest(application)
    postal, ecology = sorted(done.inspectors, key=lambda user: user.agency != Agency.DISTRICT_POSTAL)
    third = make_user(Role.INSPECTOR, district_code="FX")
    with db_session.begin_nested() as changed:
        legacy = db_session.execute(
            insert(Assessment)
            .values(
                application_id=application.id,
                kind="inspection",
                sequence=done.sequence + 1,
                visit_type="initial",
                signed_off_at=done.signed_off_at,
                signed_off_by_id=postal.id,
                created_at=done.created_at,
            )
            .returning(Assessment.id)
        ).scalar_one()
        db_session.execute(
            insert(visit_inspectors).values(
                [
                    {"assessment_id": legacy, "inspector_id": postal.id, "signed_at": done.signed_off_at},
                    {"assessment_id": legacy, "inspector_id": ecology.id, "signed_at": None},
                    {
                        "assessment_id": legacy,
                        "inspector_id": third.id,
                        "signed_at": done.signed_off_at if other_signed else None,
                    },
                ]
            )
        )
        found = broken_invariants(db_session).get("whole team signed", [])
        assert (legacy in found) is broken
        changed.rollback()
