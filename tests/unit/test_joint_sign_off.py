"""Every inspector of a visit's team signs its record (workflow.states, the SIGN_OFF rows).

The first signature signs the open record; the application stays at its visit stage while other
members still have to sign, and moves on (to inspected) with the last. Only a member who has not
signed may sign; the others are refused with a reason.
"""

import dataclasses
from datetime import date, timedelta

import pytest

from outlet_audit.roles import Agency, Role
from outlet_audit.workflow.states import (
    TRANSITIONS,
    Action,
    Actor,
    ApplicationFacts,
    Level,
    Payload,
    Status,
    SubmissionGaps,
    TransitionRefused,
    available_actions,
    plan_transition,
)

TODAY = date(2026, 6, 2)
DISTRICT_ID = 3
POSTAL, SECOND_POSTAL, ECOLOGY, SECOND_ECOLOGY, OUTSIDER = 41, 42, 51, 52, 60
AGENCIES = {
    POSTAL: Agency.DISTRICT_POSTAL,
    SECOND_POSTAL: Agency.DISTRICT_POSTAL,
    ECOLOGY: Agency.DISTRICT_ECOLOGY,
    SECOND_ECOLOGY: Agency.DISTRICT_ECOLOGY,
    OUTSIDER: Agency.DISTRICT_POSTAL,
}
VISITS = [Status.INSPECTION_SCHEDULED, Status.RECTIFICATION_SUBMITTED]
SIGNED = Payload(today=TODAY, confirmed=True)

ALREADY = "you have signed this inspection already: it waits for the other inspectors of the team"
NOT_ON_TEAM = "only an inspector of this visit's team may sign it"
NOT_ASSIGNED = "only an assigned inspector may sign off"


def inspector(user_id: int) -> Actor:
    return Actor(Role.INSPECTOR, user_id=user_id, district_id=DISTRICT_ID, agency=AGENCIES[user_id])


def facts(status: Status, team, signed=(), *, assigned=None, **changes) -> ApplicationFacts:
    """An application at its visit whose newest record's team is `team`, `signed` of them signed."""
    team, signed = frozenset(team), frozenset(signed)
    base = ApplicationFacts(
        status=status,
        outlet_id=7,
        district_id=DISTRICT_ID,
        target_level=Level.CITY,
        assigned_inspector_ids=frozenset(assigned if assigned is not None else team),
        district_inspector_ids=frozenset(AGENCIES),
        inspector_agencies=AGENCIES,
        level_reached=Level.CITY if signed else None,
        approval_chains={},
        checklist_complete=True,
        submission_gaps=SubmissionGaps(),
        rectification_deadline=None,
        team_ids=team,
        unsigned_team_ids=team - signed,
        record_signed=bool(signed),
    )
    return dataclasses.replace(base, **changes)


def refusal(application: ApplicationFacts, actor: Actor, payload: Payload = SIGNED) -> str:
    with pytest.raises(TransitionRefused) as caught:
        plan_transition(application, Action.SIGN_OFF, actor, payload)
    return caught.value.message.template


@pytest.mark.parametrize("visit", VISITS)
@pytest.mark.parametrize(
    ("team", "signed", "signer", "expected"),
    [
        # a team of one: the one signature completes the inspection
        ({POSTAL}, set(), POSTAL, Status.INSPECTED),
        ({ECOLOGY}, set(), ECOLOGY, Status.INSPECTED),
        # a joint team of two: the first signature locks it, the second completes it
        ({POSTAL, ECOLOGY}, set(), POSTAL, "stays"),
        ({POSTAL, ECOLOGY}, set(), ECOLOGY, "stays"),  # either agency's inspector may sign first
        ({POSTAL, ECOLOGY}, {POSTAL}, ECOLOGY, Status.INSPECTED),  # the ecology inspector countersigns
        ({POSTAL, ECOLOGY}, {ECOLOGY}, POSTAL, Status.INSPECTED),
        # a full joint team of four: it waits until the fourth has signed
        ({POSTAL, SECOND_POSTAL, ECOLOGY, SECOND_ECOLOGY}, set(), SECOND_ECOLOGY, "stays"),
        ({POSTAL, SECOND_POSTAL, ECOLOGY, SECOND_ECOLOGY}, {POSTAL, ECOLOGY}, SECOND_POSTAL, "stays"),
        (
            {POSTAL, SECOND_POSTAL, ECOLOGY, SECOND_ECOLOGY},
            {POSTAL, ECOLOGY, SECOND_POSTAL},
            SECOND_ECOLOGY,
            Status.INSPECTED,
        ),  # noqa: E501
    ],
)
def test_each_member_signs_and_the_last_signature_moves_the_application_on(
    visit, team, signed, signer, expected
):
    reached = plan_transition(facts(visit, team, signed), Action.SIGN_OFF, inspector(signer), SIGNED)
    assert reached == (visit if expected == "stays" else expected)


@pytest.mark.parametrize("visit", VISITS)
@pytest.mark.parametrize(
    ("team", "signed", "signer", "reason"),
    [
        ({POSTAL}, {POSTAL}, POSTAL, ALREADY),  # (the application would have moved on: still refused)
        ({POSTAL, ECOLOGY}, {POSTAL}, POSTAL, ALREADY),  # a member refused twice
        ({POSTAL, ECOLOGY}, {ECOLOGY}, ECOLOGY, ALREADY),
        ({POSTAL, ECOLOGY}, {POSTAL}, OUTSIDER, NOT_ASSIGNED),  # an inspector of the district, elsewhere
        ({POSTAL, ECOLOGY}, set(), OUTSIDER, NOT_ASSIGNED),
    ],
)
def test_only_a_member_who_has_not_signed_may_sign(visit, team, signed, signer, reason):
    assert refusal(facts(visit, team, signed), inspector(signer)) == reason


@pytest.mark.parametrize("visit", VISITS)
def test_an_inspector_assigned_to_the_application_but_not_on_the_record_is_refused(visit):
    """The record's team signs it: the application's list is not enough."""
    application = facts(visit, {POSTAL, ECOLOGY}, {POSTAL}, assigned={POSTAL, ECOLOGY, SECOND_ECOLOGY})
    assert refusal(application, inspector(SECOND_ECOLOGY)) == NOT_ON_TEAM


@pytest.mark.parametrize("visit", VISITS)
@pytest.mark.parametrize("signed", [set(), {POSTAL}])
def test_every_member_confirms_what_the_record_holds(visit, signed):
    application = facts(visit, {POSTAL, ECOLOGY}, signed)
    reason = refusal(application, inspector(ECOLOGY), dataclasses.replace(SIGNED, confirmed=False))
    assert reason == "confirm that these answers and this evidence are what you found on site"


@pytest.mark.parametrize("visit", VISITS)
def test_the_first_signature_needs_the_complete_record_a_later_one_signs_it_as_locked(visit):
    unfinished = facts(visit, {POSTAL, ECOLOGY}, checklist_complete=False, unverified_findings=2)
    assert refusal(unfinished, inspector(POSTAL)) == "answer every checklist item before signing off"
    # Once signed the record is locked as it was (complete then); nothing is re-checked.
    locked = facts(visit, {POSTAL, ECOLOGY}, {POSTAL}, checklist_complete=False, unverified_findings=2)
    assert plan_transition(locked, Action.SIGN_OFF, inspector(ECOLOGY), SIGNED) == Status.INSPECTED


@pytest.mark.parametrize("visit", VISITS)
@pytest.mark.parametrize(
    ("signed", "offered"),
    [
        (set(), {POSTAL: True, ECOLOGY: True, OUTSIDER: False}),
        ({POSTAL}, {POSTAL: False, ECOLOGY: True, OUTSIDER: False}),
    ],
)
def test_the_sign_off_is_offered_to_the_members_still_to_sign(visit, signed, offered):
    application = facts(visit, {POSTAL, ECOLOGY}, signed)
    assert {
        user_id: Action.SIGN_OFF in available_actions(application, inspector(user_id)) for user_id in offered
    } == offered


def test_a_visit_signed_by_part_of_its_team_cannot_be_rescheduled():
    bureau = Actor(Role.DISTRICT_BUREAU, user_id=2, district_id=DISTRICT_ID, agency=Agency.DISTRICT_POSTAL)
    plan = Payload(
        today=TODAY, inspector_ids=frozenset({POSTAL, ECOLOGY}), scheduled_on=TODAY + timedelta(days=3)
    )
    open_visit = facts(Status.INSPECTION_SCHEDULED, {POSTAL, ECOLOGY})
    assert (
        plan_transition(open_visit, Action.RESCHEDULE_INSPECTION, bureau, plan) == Status.INSPECTION_SCHEDULED
    )
    signed = facts(Status.INSPECTION_SCHEDULED, {POSTAL, ECOLOGY}, {POSTAL})
    with pytest.raises(TransitionRefused) as caught:
        plan_transition(signed, Action.RESCHEDULE_INSPECTION, bureau, plan)
    assert caught.value.message.template == (
        "the inspection is already signed by part of its team: it cannot be rescheduled"
    )


@pytest.mark.parametrize("visit", VISITS)
def test_a_sign_off_row_stays_at_its_visit_or_reaches_inspected(visit):
    rule = TRANSITIONS[(visit, Action.SIGN_OFF)]
    assert rule.team and rule.targets == {visit, Status.INSPECTED}
