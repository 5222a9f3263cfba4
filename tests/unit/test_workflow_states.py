"""The workflow state machine, checked against an expectation table written out by hand here."""

import dataclasses
import itertools
from datetime import date, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from outlet_audit.roles import Role
from outlet_audit.text import Message
from outlet_audit.workflow.states import (
    ACTION_LABELS,
    FINAL_STATUSES,
    MAX_TEXT,
    STATUS_LABELS,
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
    can,
    plan_transition,
)

S, A, R = Status, Action, Role

# Written from the brief, not from the module: (status, action) -> (the one role allowed, new status).
EXPECTED = {
    (S.DRAFT, A.SUBMIT): (R.OUTLET, S.SUBMITTED),
    (S.SUBMITTED, A.RETURN): (R.DISTRICT_BUREAU, S.RETURNED),
    (S.SUBMITTED, A.ACCEPT): (R.DISTRICT_BUREAU, S.ACCEPTED),
    (S.SUBMITTED, A.REJECT): (R.DISTRICT_BUREAU, S.REJECTED),
    (S.RETURNED, A.RESUBMIT): (R.OUTLET, S.SUBMITTED),
    (S.ACCEPTED, A.SCHEDULE_INSPECTION): (R.DISTRICT_BUREAU, S.INSPECTION_SCHEDULED),
    (S.INSPECTION_SCHEDULED, A.RESCHEDULE_INSPECTION): (R.DISTRICT_BUREAU, S.INSPECTION_SCHEDULED),
    (S.INSPECTION_SCHEDULED, A.SIGN_OFF): (R.INSPECTOR, S.INSPECTED),
    (S.INSPECTED, A.REOPEN_INSPECTION): (R.DISTRICT_BUREAU, S.INSPECTION_SCHEDULED),
    (S.INSPECTED, A.REQUEST_RECTIFICATION): (R.DISTRICT_BUREAU, S.RECTIFICATION_REQUESTED),
    (S.INSPECTED, A.APPROVE): (R.DISTRICT_BUREAU, S.APPROVED),
    (S.INSPECTED, A.REJECT): (R.DISTRICT_BUREAU, S.REJECTED),
    (S.RECTIFICATION_REQUESTED, A.SUBMIT_RECTIFICATION): (R.OUTLET, S.RECTIFICATION_SUBMITTED),
    (S.RECTIFICATION_REQUESTED, A.REJECT): (R.DISTRICT_BUREAU, S.REJECTED),
    (S.RECTIFICATION_SUBMITTED, A.SIGN_OFF): (R.INSPECTOR, S.INSPECTED),
    (S.AWAITING_CITY_CONFIRMATION, A.CONFIRM_CITY_LEVEL): (R.CITY_BUREAU, S.APPROVED),
    (S.AWAITING_CITY_CONFIRMATION, A.DECLINE_CITY_LEVEL): (R.CITY_BUREAU, S.INSPECTED),
    (S.DRAFT, A.WITHDRAW): (R.OUTLET, S.WITHDRAWN),
    (S.SUBMITTED, A.WITHDRAW): (R.OUTLET, S.WITHDRAWN),
    (S.RETURNED, A.WITHDRAW): (R.OUTLET, S.WITHDRAWN),
    (S.ACCEPTED, A.WITHDRAW): (R.OUTLET, S.WITHDRAWN),
    (S.INSPECTION_SCHEDULED, A.WITHDRAW): (R.OUTLET, S.WITHDRAWN),
    (S.INSPECTED, A.WITHDRAW): (R.OUTLET, S.WITHDRAWN),
    (S.RECTIFICATION_REQUESTED, A.WITHDRAW): (R.OUTLET, S.WITHDRAWN),
    (S.RECTIFICATION_SUBMITTED, A.WITHDRAW): (R.OUTLET, S.WITHDRAWN),
    (S.AWAITING_CITY_CONFIRMATION, A.WITHDRAW): (R.OUTLET, S.WITHDRAWN),
}
# The only row whose target depends on the input: city level held for the city bureau.
DETOURS = {(S.INSPECTED, A.APPROVE): S.AWAITING_CITY_CONFIRMATION}
NEVER_LEFT = {S.APPROVED, S.REJECTED, S.WITHDRAWN}

TODAY = date(2025, 6, 2)
OUTLET_ID, OTHER_OUTLET_ID = 7, 8
DISTRICT_ID, OTHER_DISTRICT_ID = 3, 4
INSPECTOR_ID, SECOND_INSPECTOR_ID, UNASSIGNED_INSPECTOR_ID, FOREIGN_INSPECTOR_ID = 41, 42, 43, 99

ACTORS = {
    R.OUTLET: Actor(R.OUTLET, user_id=1, outlet_id=OUTLET_ID),
    R.INSPECTOR: Actor(R.INSPECTOR, user_id=INSPECTOR_ID, district_id=DISTRICT_ID),
    R.DISTRICT_BUREAU: Actor(R.DISTRICT_BUREAU, user_id=2, district_id=DISTRICT_ID),
    R.CITY_BUREAU: Actor(R.CITY_BUREAU, user_id=5),
    R.ADMIN: Actor(R.ADMIN, user_id=6),
}
OTHER = "this application belongs to another outlet"
ELSEWHERE = "this application is in another district"
NOT_ASSIGNED = "only an assigned inspector may sign off"
OTHER_OUTLET = Actor(R.OUTLET, user_id=11, outlet_id=OTHER_OUTLET_ID)
OUTLETLESS_USER = Actor(R.OUTLET, user_id=12)
OTHER_DISTRICT_BUREAU = Actor(R.DISTRICT_BUREAU, user_id=12, district_id=OTHER_DISTRICT_ID)
UNASSIGNED_INSPECTOR = Actor(R.INSPECTOR, user_id=UNASSIGNED_INSPECTOR_ID, district_id=DISTRICT_ID)
SECOND_INSPECTOR = Actor(R.INSPECTOR, user_id=SECOND_INSPECTOR_ID, district_id=DISTRICT_ID)

VALID_PAYLOAD = Payload(
    today=TODAY,
    reasons="材料不全 / materials incomplete",
    opinion="符合区级要求 / meets district level",
    inspector_ids=frozenset({INSPECTOR_ID, SECOND_INSPECTOR_ID}),
    scheduled_on=TODAY + timedelta(days=7),
    rectification_item_codes=frozenset({"W1"}),
    rectification_deadline=TODAY + timedelta(days=14),
    granted_level=Level.DISTRICT,
    confirmed=True,
)


def make_facts(status: Status = S.DRAFT, **changes) -> ApplicationFacts:
    """Build facts under which every guard passes for VALID_PAYLOAD, then apply changes."""
    facts = ApplicationFacts(
        status=status,
        outlet_id=OUTLET_ID,
        district_id=DISTRICT_ID,
        target_level=Level.CITY,
        assigned_inspector_ids=frozenset({INSPECTOR_ID}),
        district_inspector_ids=frozenset({INSPECTOR_ID, SECOND_INSPECTOR_ID, UNASSIGNED_INSPECTOR_ID}),
        level_reached=Level.CITY,
        approvals_required_for_city=(R.DISTRICT_BUREAU,),
        checklist_complete=True,
        submission_gaps=SubmissionGaps(),
        rectification_deadline=TODAY - timedelta(days=1),
        open_finding_codes=frozenset({"W1", "W2"}),
    )
    return dataclasses.replace(facts, **changes)


def payload(**changes) -> Payload:
    return dataclasses.replace(VALID_PAYLOAD, **changes)


def refusal(facts: ApplicationFacts, action: Action, actor: Actor, action_input=VALID_PAYLOAD) -> str:
    """Return the English template of the refusal, failing the test if the action goes through."""
    with pytest.raises(TransitionRefused) as caught:
        plan_transition(facts, action, actor, action_input)
    return caught.value.message.template


# --- the whole table: every status x action x role ---


@pytest.mark.parametrize(("status", "action", "role"), list(itertools.product(Status, Action, Role)))
def test_every_status_action_and_role_follows_the_expectation_table(status, action, role):
    expected = EXPECTED.get((status, action))
    if expected and expected[0] == role:
        assert plan_transition(make_facts(status), action, ACTORS[role], VALID_PAYLOAD) == expected[1]
    else:
        refusal(make_facts(status), action, ACTORS[role])


@pytest.mark.parametrize(("status", "role"), list(itertools.product(Status, Role)))
def test_available_actions_are_the_expected_rows_for_the_role(status, role):
    expected = {
        action for (row_status, action), (who, _) in EXPECTED.items() if (row_status, who) == (status, role)
    }
    offered = available_actions(make_facts(status), ACTORS[role])
    assert set(offered) == expected
    assert len(offered) == len(set(offered))
    assert all(can(make_facts(status), ACTORS[role], action) for action in expected)


@pytest.mark.parametrize(
    ("status", "template"),
    [
        (S.APPROVED, "this application is already approved"),
        (S.REJECTED, "this application is already rejected"),
        (S.WITHDRAWN, "this application was withdrawn"),
    ],
)
@pytest.mark.parametrize("action", list(Action))
def test_final_statuses_refuse_everything_and_say_why(status, template, action):
    for actor in ACTORS.values():
        assert refusal(make_facts(status), action, actor) == template


def test_final_statuses_are_exactly_the_three_decisions():
    assert FINAL_STATUSES == NEVER_LEFT


def test_table_has_exactly_the_expected_rows_and_none_out_of_a_final_status():
    assert set(TRANSITIONS) == set(EXPECTED)
    assert not {status for status, _ in TRANSITIONS} & NEVER_LEFT
    for key, rule in TRANSITIONS.items():
        assert rule.roles == {EXPECTED[key][0]}
        assert rule.targets == {EXPECTED[key][1], DETOURS.get(key, EXPECTED[key][1])}


@pytest.mark.parametrize(
    ("status", "action"), [(S.DRAFT, A.SUBMIT), (S.INSPECTED, A.APPROVE), (S.SUBMITTED, A.WITHDRAW)]
)
def test_admin_has_no_workflow_actions(status, action):
    assert (
        refusal(make_facts(status), action, ACTORS[R.ADMIN]) == "administrators take no part in the workflow"
    )


@pytest.mark.parametrize(
    ("status", "action", "role", "template"),
    [
        (S.INSPECTION_SCHEDULED, A.SIGN_OFF, R.DISTRICT_BUREAU, NOT_ASSIGNED),
        (S.INSPECTED, A.APPROVE, R.CITY_BUREAU,
         "only the district bureau of the outlet's district may do this"),
        (S.DRAFT, A.SUBMIT, R.DISTRICT_BUREAU, "only the applying outlet may do this"),
        (S.AWAITING_CITY_CONFIRMATION, A.CONFIRM_CITY_LEVEL, R.DISTRICT_BUREAU,
         "only the city bureau may confirm or decline city level"),
        (S.DRAFT, A.APPROVE, R.DISTRICT_BUREAU,
         "this action is not possible at the application's current stage"),
    ],
)  # fmt: skip
def test_wrong_role_or_stage_is_named_in_the_refusal(status, action, role, template):
    assert refusal(make_facts(status), action, ACTORS[role]) == template


# --- scope ---


@pytest.mark.parametrize(
    ("status", "action", "actor", "template"),
    [
        (S.DRAFT, A.SUBMIT, OTHER_OUTLET, OTHER),
        (S.DRAFT, A.SUBMIT, OUTLETLESS_USER, OTHER),
        (S.SUBMITTED, A.WITHDRAW, OTHER_OUTLET, OTHER),
        (S.RECTIFICATION_REQUESTED, A.SUBMIT_RECTIFICATION, OTHER_OUTLET, OTHER),
        (S.SUBMITTED, A.ACCEPT, OTHER_DISTRICT_BUREAU, ELSEWHERE),
        (S.INSPECTED, A.APPROVE, OTHER_DISTRICT_BUREAU, ELSEWHERE),
        (S.ACCEPTED, A.SCHEDULE_INSPECTION, OTHER_DISTRICT_BUREAU, ELSEWHERE),
        (S.INSPECTION_SCHEDULED, A.SIGN_OFF, UNASSIGNED_INSPECTOR, NOT_ASSIGNED),
        (S.RECTIFICATION_SUBMITTED, A.SIGN_OFF, UNASSIGNED_INSPECTOR, NOT_ASSIGNED),
    ],
)  # fmt: skip
def test_actors_out_of_scope_are_refused_and_offered_nothing(status, action, actor, template):
    facts = make_facts(status)
    assert refusal(facts, action, actor) == template
    assert available_actions(facts, actor) == []


def test_city_bureau_confirms_in_every_district():
    facts = make_facts(S.AWAITING_CITY_CONFIRMATION, district_id=OTHER_DISTRICT_ID)
    assert set(available_actions(facts, ACTORS[R.CITY_BUREAU])) == {
        A.CONFIRM_CITY_LEVEL,
        A.DECLINE_CITY_LEVEL,
    }


def test_second_assigned_inspector_may_sign_off():
    facts = make_facts(
        S.INSPECTION_SCHEDULED, assigned_inspector_ids=frozenset({INSPECTOR_ID, SECOND_INSPECTOR_ID})
    )
    assert plan_transition(facts, A.SIGN_OFF, SECOND_INSPECTOR, VALID_PAYLOAD) == S.INSPECTED


# --- payload and fact checks ---

DISTRICT_ONLY = (R.DISTRICT_BUREAU,)
CITY_MUST_CONFIRM = (R.DISTRICT_BUREAU, R.CITY_BUREAU)
DAY = timedelta(days=1)

LETTER_MISSING = SubmissionGaps(commitment=(Message("The signed commitment letter is not uploaded."),))
NOT_YET_SUBMITTABLE = "The application cannot be submitted yet: %(count)d things are missing. %(missing)s"
NOT_CONFIRMED = "confirm that these answers and this evidence are what you found on site"
TOO_LONG = "keep what you write within %(max)d characters"

PAYLOAD_REFUSALS = [
    # (status, action, fact changes, payload changes, template)
    (S.DRAFT, A.SUBMIT, {"submission_gaps": LETTER_MISSING}, {}, NOT_YET_SUBMITTABLE),
    (S.RETURNED, A.RESUBMIT, {"submission_gaps": LETTER_MISSING}, {}, NOT_YET_SUBMITTABLE),
    (S.SUBMITTED, A.RETURN, {}, {"reasons": "x" * (MAX_TEXT + 1)}, TOO_LONG),
    (S.INSPECTED, A.REOPEN_INSPECTION, {}, {"reasons": "x" * (MAX_TEXT + 1)}, TOO_LONG),
    (S.INSPECTED, A.APPROVE, {}, {"opinion": "x" * (MAX_TEXT + 1)}, TOO_LONG),
    (S.SUBMITTED, A.RETURN, {}, {"reasons": ""}, "give the reasons"),
    (S.SUBMITTED, A.RETURN, {}, {"reasons": "  \n "}, "give the reasons"),
    (S.SUBMITTED, A.REJECT, {}, {"reasons": ""}, "give the reasons"),
    (S.INSPECTED, A.REJECT, {}, {"reasons": ""}, "give the reasons"),
    (S.INSPECTED, A.REOPEN_INSPECTION, {}, {"reasons": " "}, "give the reasons"),
    (S.AWAITING_CITY_CONFIRMATION, A.DECLINE_CITY_LEVEL, {}, {"reasons": ""}, "give the reasons"),
    (S.ACCEPTED, A.SCHEDULE_INSPECTION, {}, {"inspector_ids": frozenset()}, "choose one or two inspectors"),
    (S.ACCEPTED, A.SCHEDULE_INSPECTION, {}, {"inspector_ids": frozenset({41, 42, 43})},
     "choose one or two inspectors"),
    (S.INSPECTION_SCHEDULED, A.RESCHEDULE_INSPECTION, {}, {"inspector_ids": frozenset({41, 42, 43})},
     "choose one or two inspectors"),
    (S.ACCEPTED, A.SCHEDULE_INSPECTION, {}, {"inspector_ids": frozenset({41, FOREIGN_INSPECTOR_ID})},
     "choose inspectors of the outlet's district"),
    (S.ACCEPTED, A.SCHEDULE_INSPECTION, {}, {"scheduled_on": None}, "choose the inspection date"),
    (S.ACCEPTED, A.SCHEDULE_INSPECTION, {}, {"scheduled_on": TODAY - DAY},
     "the inspection date cannot be in the past"),
    (S.INSPECTION_SCHEDULED, A.RESCHEDULE_INSPECTION, {}, {"scheduled_on": TODAY - DAY},
     "the inspection date cannot be in the past"),
    (S.INSPECTION_SCHEDULED, A.SIGN_OFF, {"checklist_complete": False}, {},
     "answer every checklist item before signing off"),
    (S.INSPECTION_SCHEDULED, A.SIGN_OFF, {}, {"confirmed": False}, NOT_CONFIRMED),
    (S.RECTIFICATION_SUBMITTED, A.SIGN_OFF, {}, {"confirmed": False}, NOT_CONFIRMED),
    (S.RECTIFICATION_SUBMITTED, A.SIGN_OFF, {"checklist_complete": False}, {},
     "answer every checklist item before signing off"),
    (S.RECTIFICATION_SUBMITTED, A.SIGN_OFF, {"unverified_findings": 1}, {},
     "verify every rectified item before signing off: %(count)d not verified yet"),
    (S.INSPECTED, A.REQUEST_RECTIFICATION, {}, {"rectification_item_codes": frozenset()},
     "choose the findings to rectify"),
    (S.INSPECTED, A.REQUEST_RECTIFICATION, {}, {"rectification_item_codes": frozenset({"W1", "T1"})},
     "only items short of full marks at the inspection can be rectified, not %(codes)s"),
    (S.INSPECTED, A.REQUEST_RECTIFICATION, {}, {"rectification_deadline": None},
     "set a rectification deadline"),
    (S.INSPECTED, A.REQUEST_RECTIFICATION, {}, {"rectification_deadline": TODAY},
     "a rectification deadline must be in the future"),
    (S.INSPECTED, A.REQUEST_RECTIFICATION, {}, {"rectification_deadline": TODAY - DAY},
     "a rectification deadline must be in the future"),
    (S.RECTIFICATION_REQUESTED, A.SUBMIT_RECTIFICATION, {"unanswered_findings": 1}, {},
     "answer every item to rectify before sending: %(count)d not answered yet"),
    (S.RECTIFICATION_REQUESTED, A.REJECT, {"rectification_deadline": TODAY}, {},
     "the rectification deadline has not passed yet"),
    (S.RECTIFICATION_REQUESTED, A.REJECT, {"rectification_deadline": None}, {},
     "the rectification deadline has not passed yet"),
    (S.RECTIFICATION_REQUESTED, A.REJECT, {}, {"reasons": ""}, "give the reasons"),
    (S.INSPECTED, A.APPROVE, {}, {"opinion": " "}, "write the decision opinion"),
    (S.INSPECTED, A.APPROVE, {}, {"granted_level": None}, "choose the level to grant"),
    (S.INSPECTED, A.APPROVE, {"level_reached": None}, {},
     "the checklist reached no level: request rectification or reject"),
    (S.INSPECTED, A.APPROVE, {"target_level": Level.DISTRICT}, {"granted_level": Level.CITY},
     "the outlet applied for district level: city level cannot be granted"),
    (S.INSPECTED, A.APPROVE, {"level_reached": Level.DISTRICT}, {"granted_level": Level.CITY},
     "city level was not reached: choose district or reject"),
]  # fmt: skip


@pytest.mark.parametrize(
    ("status", "action", "fact_changes", "payload_changes", "template"), PAYLOAD_REFUSALS
)
def test_bad_input_is_refused_with_a_specific_message(
    status, action, fact_changes, payload_changes, template
):
    facts = make_facts(status, **fact_changes)
    assert refusal(facts, action, ACTORS[EXPECTED[status, action][0]], payload(**payload_changes)) == template
    # Input is checked at submit time only: the button is still offered.
    assert action in available_actions(facts, ACTORS[EXPECTED[status, action][0]])


def test_items_that_are_no_findings_are_listed_in_the_message():
    facts = make_facts(S.INSPECTED)
    bad = payload(rectification_item_codes=frozenset({"W1", "ZZ9", "AA1"}))
    with pytest.raises(TransitionRefused) as caught:
        plan_transition(facts, A.REQUEST_RECTIFICATION, ACTORS[R.DISTRICT_BUREAU], bad)
    expected = "only items short of full marks at the inspection can be rectified, not AA1, ZZ9"
    assert str(caught.value.message) == expected and str(caught.value) == expected


@pytest.mark.parametrize(
    ("status", "action", "payload_changes", "target"),
    [
        (S.ACCEPTED, A.SCHEDULE_INSPECTION, {"scheduled_on": TODAY, "inspector_ids": frozenset({42})},
         S.INSPECTION_SCHEDULED),
        (S.INSPECTION_SCHEDULED, A.RESCHEDULE_INSPECTION, {"inspector_ids": frozenset({43})},
         S.INSPECTION_SCHEDULED),
        (S.INSPECTED, A.REQUEST_RECTIFICATION, {"rectification_deadline": TODAY + DAY},
         S.RECTIFICATION_REQUESTED),
        (S.RECTIFICATION_REQUESTED, A.SUBMIT_RECTIFICATION, {}, S.RECTIFICATION_SUBMITTED),
        (S.DRAFT, A.WITHDRAW, {"reasons": ""}, S.WITHDRAWN),
        (S.AWAITING_CITY_CONFIRMATION, A.CONFIRM_CITY_LEVEL, {"opinion": ""}, S.APPROVED),
    ],
)  # fmt: skip
def test_boundary_input_is_accepted(status, action, payload_changes, target):
    actor = ACTORS[EXPECTED[status, action][0]]
    assert plan_transition(make_facts(status), action, actor, payload(**payload_changes)) == target


@pytest.mark.parametrize(
    ("target", "reached", "granted", "approvals", "new_status"),
    [
        (Level.CITY, Level.CITY, Level.CITY, DISTRICT_ONLY, S.APPROVED),
        (Level.CITY, Level.CITY, Level.CITY, CITY_MUST_CONFIRM, S.AWAITING_CITY_CONFIRMATION),
        (Level.CITY, Level.CITY, Level.CITY, (R.CITY_BUREAU,), S.AWAITING_CITY_CONFIRMATION),
        (Level.CITY, Level.CITY, Level.DISTRICT, CITY_MUST_CONFIRM, S.APPROVED),
        (Level.CITY, Level.DISTRICT, Level.DISTRICT, CITY_MUST_CONFIRM, S.APPROVED),
        (Level.DISTRICT, Level.CITY, Level.DISTRICT, CITY_MUST_CONFIRM, S.APPROVED),
        (Level.DISTRICT, Level.DISTRICT, Level.DISTRICT, DISTRICT_ONLY, S.APPROVED),
    ],
)
def test_granted_level_decides_whether_the_city_bureau_must_confirm(
    target, reached, granted, approvals, new_status
):
    facts = make_facts(
        S.INSPECTED, target_level=target, level_reached=reached, approvals_required_for_city=approvals
    )
    decision = payload(granted_level=granted)
    assert plan_transition(facts, A.APPROVE, ACTORS[R.DISTRICT_BUREAU], decision) == new_status


def test_levels_rank_city_above_district():
    assert Level.CITY.rank > Level.DISTRICT.rank


def test_every_status_and_action_has_a_label():
    assert set(STATUS_LABELS) == set(Status)
    assert set(ACTION_LABELS) == set(Action)


# --- whole journeys ---


def advance(facts: ApplicationFacts, action: Action, actor: Actor, action_input: Payload = VALID_PAYLOAD):
    """Apply one action as an operation would: new status, plus the facts that action records."""
    new_status = plan_transition(facts, action, actor, action_input)
    changes = {"status": new_status}
    if action in (A.SCHEDULE_INSPECTION, A.RESCHEDULE_INSPECTION):
        changes["assigned_inspector_ids"] = action_input.inspector_ids
    if action == A.REQUEST_RECTIFICATION:
        changes["rectification_deadline"] = action_input.rectification_deadline
    return dataclasses.replace(facts, **changes)


def run(facts: ApplicationFacts, steps) -> tuple[ApplicationFacts, list[Status]]:
    statuses = [facts.status]
    for action, actor, action_input, fact_changes in steps:
        facts = advance(dataclasses.replace(facts, **fact_changes), action, actor, action_input)
        statuses.append(facts.status)
    return facts, statuses


OUTLET, DISTRICT, CITY, INSPECTOR = (
    ACTORS[r] for r in (R.OUTLET, R.DISTRICT_BUREAU, R.CITY_BUREAU, R.INSPECTOR)
)


def test_happy_path_to_city_level_with_city_confirmation():
    facts = make_facts(
        S.DRAFT, assigned_inspector_ids=frozenset(), approvals_required_for_city=CITY_MUST_CONFIRM
    )
    facts, statuses = run(
        facts,
        [
            (A.SUBMIT, OUTLET, VALID_PAYLOAD, {}),
            (A.ACCEPT, DISTRICT, VALID_PAYLOAD, {}),
            (A.SCHEDULE_INSPECTION, DISTRICT, payload(inspector_ids=frozenset({41})), {}),
            (A.RESCHEDULE_INSPECTION, DISTRICT, payload(inspector_ids=frozenset({41, 42})), {}),
            (A.SIGN_OFF, SECOND_INSPECTOR, VALID_PAYLOAD, {"level_reached": Level.CITY}),
            (A.APPROVE, DISTRICT, payload(granted_level=Level.CITY), {}),
            (A.CONFIRM_CITY_LEVEL, CITY, VALID_PAYLOAD, {}),
        ],
    )
    assert statuses == [
        S.DRAFT, S.SUBMITTED, S.ACCEPTED, S.INSPECTION_SCHEDULED, S.INSPECTION_SCHEDULED,
        S.INSPECTED, S.AWAITING_CITY_CONFIRMATION, S.APPROVED,
    ]  # fmt: skip
    assert available_actions(facts, OUTLET) == []
    assert refusal(facts, A.WITHDRAW, OUTLET) == "this application is already approved"


def test_rectification_path_with_return_and_resubmission():
    facts = make_facts(S.DRAFT, assigned_inspector_ids=frozenset(), level_reached=None)
    facts, statuses = run(
        facts,
        [
            (A.SUBMIT, OUTLET, VALID_PAYLOAD, {}),
            (A.RETURN, DISTRICT, VALID_PAYLOAD, {}),
            (A.RESUBMIT, OUTLET, VALID_PAYLOAD, {}),
            (A.ACCEPT, DISTRICT, VALID_PAYLOAD, {}),
            (A.SCHEDULE_INSPECTION, DISTRICT, VALID_PAYLOAD, {}),
            (A.SIGN_OFF, INSPECTOR, VALID_PAYLOAD, {"level_reached": None}),
            (
                A.REQUEST_RECTIFICATION,
                DISTRICT,
                payload(rectification_item_codes=frozenset({"W1", "W2"})),
                {},
            ),
            (A.SUBMIT_RECTIFICATION, OUTLET, VALID_PAYLOAD, {}),
            (A.SIGN_OFF, INSPECTOR, VALID_PAYLOAD, {"level_reached": Level.DISTRICT}),
            (A.APPROVE, DISTRICT, payload(granted_level=Level.DISTRICT), {}),
        ],
    )
    assert statuses == [
        S.DRAFT, S.SUBMITTED, S.RETURNED, S.SUBMITTED, S.ACCEPTED, S.INSPECTION_SCHEDULED, S.INSPECTED,
        S.RECTIFICATION_REQUESTED, S.RECTIFICATION_SUBMITTED, S.INSPECTED, S.APPROVED,
    ]  # fmt: skip


def test_city_declines_then_district_grants_district_level():
    facts = make_facts(S.INSPECTED, approvals_required_for_city=CITY_MUST_CONFIRM)
    _, statuses = run(
        facts,
        [
            (A.APPROVE, DISTRICT, payload(granted_level=Level.CITY), {}),
            (A.DECLINE_CITY_LEVEL, CITY, VALID_PAYLOAD, {}),
            (A.APPROVE, DISTRICT, payload(granted_level=Level.DISTRICT), {}),
        ],
    )
    assert statuses == [S.INSPECTED, S.AWAITING_CITY_CONFIRMATION, S.INSPECTED, S.APPROVED]


def test_reopened_checklist_is_signed_off_again_and_rejected():
    _, statuses = run(
        make_facts(S.INSPECTED),
        [
            (A.REOPEN_INSPECTION, DISTRICT, VALID_PAYLOAD, {}),
            (A.SIGN_OFF, INSPECTOR, VALID_PAYLOAD, {}),
            (A.REJECT, DISTRICT, VALID_PAYLOAD, {}),
        ],
    )
    assert statuses == [S.INSPECTED, S.INSPECTION_SCHEDULED, S.INSPECTED, S.REJECTED]


def test_unanswered_rectification_can_be_rejected_once_the_deadline_has_passed():
    facts = make_facts(S.INSPECTED)
    facts = advance(facts, A.REQUEST_RECTIFICATION, DISTRICT, payload(rectification_deadline=TODAY + 3 * DAY))
    assert refusal(facts, A.REJECT, DISTRICT, payload(today=TODAY + 3 * DAY)) == (
        "the rectification deadline has not passed yet"
    )
    assert plan_transition(facts, A.REJECT, DISTRICT, payload(today=TODAY + 4 * DAY)) == S.REJECTED


def test_the_submission_refusal_lists_every_gap_once_as_a_sentence():
    gaps = SubmissionGaps(
        eligibility=(Message("Declaration %(code)s is not affirmed.", {"code": "E1"}),),
        self_assessment=(Message("%(code)s: no answer", {"code": "1.2, 4.3"}),),
        commitment=LETTER_MISSING.commitment,
        self_assessment_items=2,
    )
    with pytest.raises(TransitionRefused) as caught:
        plan_transition(make_facts(S.DRAFT, submission_gaps=gaps), A.SUBMIT, ACTORS[R.OUTLET], VALID_PAYLOAD)
    message = caught.value.message
    assert message.template == NOT_YET_SUBMITTABLE and message.params["count"] == 4
    assert [str(sentence) for sentence in message.params["missing"]] == [
        "Declaration E1 is not affirmed.",
        "Self-assessment: 1.2, 4.3: no answer.",
        "The signed commitment letter is not uploaded.",
    ]


def test_text_as_long_as_allowed_passes():
    facts = make_facts(S.SUBMITTED)
    assert (
        plan_transition(facts, A.RETURN, ACTORS[R.DISTRICT_BUREAU], payload(reasons="x" * MAX_TEXT))
        == S.RETURNED
    )


# --- random walks ---

ALL_ACTORS = [*ACTORS.values(), OTHER_OUTLET, OTHER_DISTRICT_BUREAU, UNASSIGNED_INSPECTOR, SECOND_INSPECTOR]
PAYLOADS = [
    VALID_PAYLOAD,
    Payload(today=TODAY),
    payload(granted_level=Level.CITY),
    payload(inspector_ids=frozenset({41, 42, 43})),
    payload(inspector_ids=frozenset({UNASSIGNED_INSPECTOR_ID})),
    payload(rectification_deadline=TODAY),
    payload(today=TODAY + timedelta(days=30)),
]
# Withdrawal ends a walk from anywhere: draw it less often so walks get deep.
WEIGHTED_ACTIONS = [*[action for action in Action if action != A.WITHDRAW] * 4, A.WITHDRAW]
steps = st.lists(
    st.tuples(
        st.sampled_from(WEIGHTED_ACTIONS),
        st.sampled_from(ALL_ACTORS),
        st.sampled_from(PAYLOADS),
        st.booleans(),
        st.sampled_from([None, Level.DISTRICT, Level.CITY]),
    ),
    max_size=40,
)


@settings(max_examples=500)
@given(
    start=st.sampled_from(list(Status)),
    steps=steps,
    approvals=st.sampled_from([DISTRICT_ONLY, CITY_MUST_CONFIRM]),
)
def test_random_walks_stay_inside_the_table_and_never_leave_a_final_status(start, steps, approvals):
    facts = make_facts(start, approvals_required_for_city=approvals)
    for action, actor, given_payload, checklist_complete, level_reached in steps:
        facts = dataclasses.replace(facts, checklist_complete=checklist_complete, level_reached=level_reached)
        before = facts
        try:
            facts = advance(facts, action, actor, given_payload)
        except TransitionRefused as refused:
            assert refused.message.template
            continue
        assert before.status not in NEVER_LEFT
        role, target = EXPECTED[before.status, action]
        assert actor.role == role
        assert facts.status in {target, DETOURS.get((before.status, action), target)}
        assert action in available_actions(before, actor)
