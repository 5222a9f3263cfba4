"""The workflow state machine, checked against an expectation table written out by hand here.

Who may act is a role, an agency and a scope: the district postal bureau of the outlet's district
runs the case and proposes the level (the first approval step); each later step is signed by
whoever the edition's step names (the district ecology bureau's co-signature, the city postal
bureau's decision...), and only by staff who may sign approval steps for their organisation.
The approval chains here are written from the 2025 edition's text, not read from the module.
"""

import dataclasses
import itertools
from datetime import date, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from outlet_audit.criteria.model import ApprovalStep
from outlet_audit.roles import AGENCY_LABELS, Act, Agency, Role
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
DP, DE, CP, CE = Agency.DISTRICT_POSTAL, Agency.DISTRICT_ECOLOGY, Agency.CITY_POSTAL, Agency.CITY_ECOLOGY

# The 2025 edition: the district postal bureau opens, the district ecology bureau co-signs, and the
# district postal bureau (district level) or the city postal bureau (city level) decides.
CHAINS_2025 = {
    Level.DISTRICT: (
        ApprovalStep(DP, Act.OPINION),
        ApprovalStep(DE, Act.COSIGN),
        ApprovalStep(DP, Act.DECISION),
    ),
    Level.CITY: (
        ApprovalStep(DP, Act.RECOMMENDATION),
        ApprovalStep(DE, Act.COSIGN),
        ApprovalStep(CP, Act.DECISION),
    ),
}
# An older edition's chains: the district decides alone; city level is recommended and confirmed.
CHAINS_LEGACY = {
    Level.DISTRICT: (ApprovalStep(DP, Act.DECISION),),
    Level.CITY: (ApprovalStep(DP, Act.RECOMMENDATION), ApprovalStep(CP, Act.CONFIRMATION)),
}
# A longer one: the district postal bureau signs twice (opens and decides), the city ecology bureau
# gives an opinion between.
CHAINS_LONG = {
    Level.DISTRICT: (
        ApprovalStep(DP, Act.OPINION),
        ApprovalStep(DE, Act.COSIGN),
        ApprovalStep(CE, Act.OPINION),
        ApprovalStep(DP, Act.DECISION),
    ),
    Level.CITY: CHAINS_2025[Level.CITY],
}

TODAY = date(2025, 6, 2)
OUTLET_ID, OTHER_OUTLET_ID = 7, 8
DISTRICT_ID, OTHER_DISTRICT_ID = 3, 4
INSPECTOR_ID, SECOND_INSPECTOR_ID, UNASSIGNED_INSPECTOR_ID, FOREIGN_INSPECTOR_ID = 41, 42, 43, 99
ECOLOGY_INSPECTOR_ID = 44


def staff(role: Role, user_id: int, agency: Agency, *, district_id=DISTRICT_ID, approver=True) -> Actor:
    district = district_id if role in (R.DISTRICT_BUREAU, R.INSPECTOR) else None
    return Actor(role, user_id=user_id, district_id=district, agency=agency, approver=approver)


# Everyone the table speaks of, by a name the expectations use.
ACTORS = {
    "outlet": Actor(R.OUTLET, user_id=1, outlet_id=OUTLET_ID),
    "inspector": staff(R.INSPECTOR, INSPECTOR_ID, DP, approver=False),
    "postal": staff(R.DISTRICT_BUREAU, 2, DP),  # the district postal bureau, an approver
    "postal_clerk": staff(R.DISTRICT_BUREAU, 3, DP, approver=False),  # ... who may not sign steps
    "ecology": staff(R.DISTRICT_BUREAU, 4, DE),  # the district ecology and environment bureau
    "city": staff(R.CITY_BUREAU, 5, CP),  # the city postal bureau
    "city_ecology": staff(R.CITY_BUREAU, 7, CE),
    "admin": Actor(R.ADMIN, user_id=6),
}
DISTRICT_STAFF = ("postal", "postal_clerk")  # who runs the case: the district postal bureau

# Written from the brief, not from the module: (status, action) -> (who may act under the default
# facts below, first the one the input tests act as; the status reached under those facts).
# In approval the default facts wait for the ecology bureau's co-signature of a city-level proposal.
EXPECTED = {
    (S.DRAFT, A.SUBMIT): (("outlet",), S.SUBMITTED),
    (S.SUBMITTED, A.RETURN): (DISTRICT_STAFF, S.RETURNED),
    (S.SUBMITTED, A.ACCEPT): (DISTRICT_STAFF, S.ACCEPTED),
    (S.SUBMITTED, A.REJECT): (DISTRICT_STAFF, S.REJECTED),
    (S.RETURNED, A.RESUBMIT): (("outlet",), S.SUBMITTED),
    (S.ACCEPTED, A.SCHEDULE_INSPECTION): (DISTRICT_STAFF, S.INSPECTION_SCHEDULED),
    (S.INSPECTION_SCHEDULED, A.RESCHEDULE_INSPECTION): (DISTRICT_STAFF, S.INSPECTION_SCHEDULED),
    (S.INSPECTION_SCHEDULED, A.SIGN_OFF): (("inspector",), S.INSPECTED),
    (S.INSPECTED, A.REOPEN_INSPECTION): (DISTRICT_STAFF, S.INSPECTION_SCHEDULED),
    (S.INSPECTED, A.REQUEST_RECTIFICATION): (DISTRICT_STAFF, S.RECTIFICATION_REQUESTED),
    (S.INSPECTED, A.APPROVE): (("postal",), S.IN_APPROVAL),  # proposing is signing the first step
    (S.INSPECTED, A.REJECT): (DISTRICT_STAFF, S.REJECTED),
    (S.RECTIFICATION_REQUESTED, A.SUBMIT_RECTIFICATION): (("outlet",), S.RECTIFICATION_SUBMITTED),
    (S.RECTIFICATION_REQUESTED, A.REJECT): (DISTRICT_STAFF, S.REJECTED),
    (S.RECTIFICATION_SUBMITTED, A.SIGN_OFF): (("inspector",), S.INSPECTED),
    (S.IN_APPROVAL, A.AGREE): (("ecology",), S.IN_APPROVAL),  # the city's decision follows
    (S.IN_APPROVAL, A.DISAGREE): (("ecology",), S.INSPECTED),
    (S.IN_APPROVAL, A.RETURN_STEP): (("ecology",), S.INSPECTED),
    **{(status, A.WITHDRAW): (("outlet",), S.WITHDRAWN) for status in S if status not in FINAL_STATUSES},
}
# Rows whose status depends on the chain: approved when no step follows the one signed.
ALSO_REACHED = {
    (S.INSPECTED, A.APPROVE): S.APPROVED,
    (S.IN_APPROVAL, A.AGREE): S.APPROVED,
    # a member's signature while others of the team have yet to sign leaves the visit where it is
    (S.INSPECTION_SCHEDULED, A.SIGN_OFF): S.INSPECTION_SCHEDULED,
    (S.RECTIFICATION_SUBMITTED, A.SIGN_OFF): S.RECTIFICATION_SUBMITTED,
}
NEVER_LEFT = {S.APPROVED, S.REJECTED, S.WITHDRAWN}
OPEN_STATUSES = [status for status in S if status not in NEVER_LEFT]
STEP_ACTIONS = (A.AGREE, A.DISAGREE, A.RETURN_STEP)

OTHER = "this application belongs to another outlet"
ELSEWHERE = "this application is in another district"
NOT_ASSIGNED = "only an assigned inspector may sign off"
POSTAL_ONLY = "only the district postal bureau of the outlet's district may do this"
APPROVERS_ONLY = "only an approver of your organisation may sign approval steps"
STEP_IS_FOR = "this step is for the %(agency)s"
BUREAU_STAFF_ONLY = "only bureau staff sign approval steps"
NO_STEP = "this application waits for no approval step"
NOT_NOW = "this action is not possible at the application's current stage"

OTHER_OUTLET = Actor(R.OUTLET, user_id=11, outlet_id=OTHER_OUTLET_ID)
OUTLETLESS_USER = Actor(R.OUTLET, user_id=12)
OTHER_DISTRICT_POSTAL = staff(R.DISTRICT_BUREAU, 13, DP, district_id=OTHER_DISTRICT_ID)
OTHER_DISTRICT_ECOLOGY = staff(R.DISTRICT_BUREAU, 14, DE, district_id=OTHER_DISTRICT_ID)
UNASSIGNED_INSPECTOR = staff(R.INSPECTOR, UNASSIGNED_INSPECTOR_ID, DP, approver=False)
SECOND_INSPECTOR = staff(R.INSPECTOR, SECOND_INSPECTOR_ID, DP, approver=False)
ECOLOGY_INSPECTOR = staff(R.INSPECTOR, ECOLOGY_INSPECTOR_ID, DE, approver=False)
ECOLOGY_CLERK = staff(R.DISTRICT_BUREAU, 15, DE, approver=False)
CITY_CLERK = staff(R.CITY_BUREAU, 16, CP, approver=False)

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
    """Build facts under which every guard passes for VALID_PAYLOAD, then apply changes.

    In approval, the city-level round waits for its second step: the ecology bureau's co-signature.
    """
    in_approval = status == S.IN_APPROVAL
    facts = ApplicationFacts(
        status=status,
        outlet_id=OUTLET_ID,
        district_id=DISTRICT_ID,
        target_level=Level.CITY,
        assigned_inspector_ids=frozenset({INSPECTOR_ID}),
        district_inspector_ids=frozenset(
            {INSPECTOR_ID, SECOND_INSPECTOR_ID, UNASSIGNED_INSPECTOR_ID, ECOLOGY_INSPECTOR_ID}
        ),
        inspector_agencies={
            INSPECTOR_ID: DP,
            SECOND_INSPECTOR_ID: DP,
            UNASSIGNED_INSPECTOR_ID: DP,
            ECOLOGY_INSPECTOR_ID: DE,
        },
        level_reached=Level.CITY,
        approval_chains=CHAINS_2025,
        approval_level=Level.CITY if in_approval else None,
        approval_position=1 if in_approval else 0,
        checklist_complete=True,
        submission_gaps=SubmissionGaps(),
        rectification_deadline=TODAY - timedelta(days=1),
        open_finding_codes=frozenset({"W1", "W2"}),
    )
    facts = dataclasses.replace(facts, **changes)
    # The visit's team is the inspectors assigned, none of whom has signed, unless a test says otherwise.
    team = changes.get("team_ids", facts.assigned_inspector_ids)
    return dataclasses.replace(facts, team_ids=team, unsigned_team_ids=changes.get("unsigned_team_ids", team))


def awaiting(agency: Agency, chains=CHAINS_2025, level: Level = Level.CITY, **changes) -> ApplicationFacts:
    """Facts in approval at the (first) step of `level` that `agency` signs after the proposal."""
    position = next(i for i, step in enumerate(chains[level]) if i and step.agency == agency)
    return make_facts(S.IN_APPROVAL, approval_chains=chains, approval_level=level, approval_position=position,
                      **changes)  # fmt: skip


def payload(**changes) -> Payload:
    return dataclasses.replace(VALID_PAYLOAD, **changes)


def refusal(facts: ApplicationFacts, action: Action, actor: Actor, action_input=VALID_PAYLOAD) -> str:
    """Return the English template of the refusal, failing the test if the action goes through."""
    return refused(facts, action, actor, action_input).template


def refused(facts: ApplicationFacts, action: Action, actor: Actor, action_input=VALID_PAYLOAD) -> Message:
    with pytest.raises(TransitionRefused) as caught:
        plan_transition(facts, action, actor, action_input)
    return caught.value.message


def first_actor(status: Status, action: Action) -> Actor:
    return ACTORS[EXPECTED[status, action][0][0]]


# --- the whole table: every status x action x actor ---


@pytest.mark.parametrize(("status", "action", "name"), list(itertools.product(Status, Action, ACTORS)))
def test_every_status_action_and_actor_follows_the_expectation_table(status, action, name):
    expected = EXPECTED.get((status, action))
    if expected and name in expected[0]:
        assert plan_transition(make_facts(status), action, ACTORS[name], VALID_PAYLOAD) == expected[1]
    else:
        refusal(make_facts(status), action, ACTORS[name])


@pytest.mark.parametrize(("status", "name"), list(itertools.product(Status, ACTORS)))
def test_available_actions_are_the_expected_rows_for_the_actor(status, name):
    expected = {
        action for (row_status, action), (who, _) in EXPECTED.items() if row_status == status and name in who
    }
    offered = available_actions(make_facts(status), ACTORS[name])
    assert set(offered) == expected
    assert len(offered) == len(set(offered))
    assert all(can(make_facts(status), ACTORS[name], action) for action in expected)


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
        who, reached = EXPECTED[key]
        assert {ACTORS[name].role for name in who} <= rule.roles
        assert rule.targets == {reached, ALSO_REACHED.get(key, reached)}


@pytest.mark.parametrize("status", OPEN_STATUSES)
def test_the_outlet_may_withdraw_from_every_open_status(status):
    assert (
        plan_transition(make_facts(status), A.WITHDRAW, ACTORS["outlet"], Payload(today=TODAY)) == S.WITHDRAWN
    )
    assert A.WITHDRAW in available_actions(make_facts(status), ACTORS["outlet"])
    assert refusal(make_facts(status), A.WITHDRAW, OTHER_OUTLET) == OTHER


@pytest.mark.parametrize(
    ("status", "action"), [(S.DRAFT, A.SUBMIT), (S.INSPECTED, A.APPROVE), (S.SUBMITTED, A.WITHDRAW),
                           (S.IN_APPROVAL, A.AGREE)]
)  # fmt: skip
def test_admin_has_no_workflow_actions(status, action):
    assert (
        refusal(make_facts(status), action, ACTORS["admin"]) == "administrators take no part in the workflow"
    )


@pytest.mark.parametrize(
    ("status", "action", "name", "template"),
    [
        (S.INSPECTION_SCHEDULED, A.SIGN_OFF, "postal", NOT_ASSIGNED),
        (S.INSPECTED, A.APPROVE, "city", POSTAL_ONLY),
        (S.DRAFT, A.SUBMIT, "postal", "only the applying outlet may do this"),
        (S.IN_APPROVAL, A.AGREE, "inspector", STEP_IS_FOR),
        (S.DRAFT, A.APPROVE, "postal", NOT_NOW),
        (S.INSPECTED, A.AGREE, "ecology", NOT_NOW),
        (S.IN_APPROVAL, A.APPROVE, "postal", NOT_NOW),
    ],
)  # fmt: skip
def test_wrong_role_or_stage_is_named_in_the_refusal(status, action, name, template):
    assert refusal(make_facts(status), action, ACTORS[name]) == template


# --- the district postal bureau runs the case ---

# Every act of the case before approval, and the proposal itself.
CASE_ACTS = [
    (S.SUBMITTED, A.ACCEPT),
    (S.SUBMITTED, A.RETURN),
    (S.SUBMITTED, A.REJECT),
    (S.ACCEPTED, A.SCHEDULE_INSPECTION),
    (S.INSPECTION_SCHEDULED, A.RESCHEDULE_INSPECTION),
    (S.INSPECTED, A.REOPEN_INSPECTION),
    (S.INSPECTED, A.REQUEST_RECTIFICATION),
    (S.INSPECTED, A.REJECT),
    (S.RECTIFICATION_REQUESTED, A.REJECT),
    (S.INSPECTED, A.APPROVE),
]


@pytest.mark.parametrize(("status", "action"), CASE_ACTS)
@pytest.mark.parametrize(
    ("actor", "template"),
    [
        (ACTORS["ecology"], POSTAL_ONLY),  # a district bureau member, of the other agency
        (ECOLOGY_CLERK, POSTAL_ONLY),
        (OTHER_DISTRICT_ECOLOGY, POSTAL_ONLY),
        (ACTORS["city"], POSTAL_ONLY),
        (ACTORS["city_ecology"], POSTAL_ONLY),
        (OTHER_DISTRICT_POSTAL, ELSEWHERE),
        (ACTORS["inspector"], POSTAL_ONLY),
        (ECOLOGY_INSPECTOR, POSTAL_ONLY),
        (ACTORS["outlet"], POSTAL_ONLY),
    ],
    ids=["ecology", "ecology-clerk", "other-ecology", "city", "city-ecology", "other-postal", "inspector",
         "ecology-inspector", "outlet"],
)  # fmt: skip
def test_only_the_district_postal_bureau_of_the_district_runs_the_case(status, action, actor, template):
    facts = make_facts(status)
    assert plan_transition(facts, action, ACTORS["postal"], VALID_PAYLOAD) == EXPECTED[status, action][1]
    assert refusal(facts, action, actor) == template
    assert action not in available_actions(facts, actor)


@pytest.mark.parametrize(("status", "action"), [row for row in CASE_ACTS if row != (S.INSPECTED, A.APPROVE)])
def test_a_postal_bureau_member_who_is_no_approver_still_runs_the_case(status, action):
    clerk = ACTORS["postal_clerk"]
    assert plan_transition(make_facts(status), action, clerk, VALID_PAYLOAD) == EXPECTED[status, action][1]
    assert action in available_actions(make_facts(status), clerk)


def test_a_postal_bureau_member_who_is_no_approver_cannot_propose_the_level():
    facts = make_facts(S.INSPECTED)
    assert refusal(facts, A.APPROVE, ACTORS["postal_clerk"]) == APPROVERS_ONLY
    assert set(available_actions(facts, ACTORS["postal_clerk"])) == {
        A.REOPEN_INSPECTION, A.REQUEST_RECTIFICATION, A.REJECT
    }  # fmt: skip
    assert set(available_actions(facts, ACTORS["postal"])) == {
        A.REOPEN_INSPECTION, A.REQUEST_RECTIFICATION, A.REJECT, A.APPROVE
    }  # fmt: skip


# --- scope ---


@pytest.mark.parametrize(
    ("status", "action", "actor", "template"),
    [
        (S.DRAFT, A.SUBMIT, OTHER_OUTLET, OTHER),
        (S.DRAFT, A.SUBMIT, OUTLETLESS_USER, OTHER),
        (S.SUBMITTED, A.WITHDRAW, OTHER_OUTLET, OTHER),
        (S.IN_APPROVAL, A.WITHDRAW, OTHER_OUTLET, OTHER),
        (S.RECTIFICATION_REQUESTED, A.SUBMIT_RECTIFICATION, OTHER_OUTLET, OTHER),
        (S.SUBMITTED, A.ACCEPT, OTHER_DISTRICT_POSTAL, ELSEWHERE),
        (S.INSPECTED, A.APPROVE, OTHER_DISTRICT_POSTAL, ELSEWHERE),
        (S.ACCEPTED, A.SCHEDULE_INSPECTION, OTHER_DISTRICT_POSTAL, ELSEWHERE),
        (S.IN_APPROVAL, A.AGREE, OTHER_DISTRICT_ECOLOGY, ELSEWHERE),
        (S.IN_APPROVAL, A.DISAGREE, OTHER_DISTRICT_ECOLOGY, ELSEWHERE),
        (S.IN_APPROVAL, A.RETURN_STEP, OTHER_DISTRICT_ECOLOGY, ELSEWHERE),
        (S.INSPECTION_SCHEDULED, A.SIGN_OFF, UNASSIGNED_INSPECTOR, NOT_ASSIGNED),
        (S.RECTIFICATION_SUBMITTED, A.SIGN_OFF, UNASSIGNED_INSPECTOR, NOT_ASSIGNED),
    ],
)  # fmt: skip
def test_actors_out_of_scope_are_refused_and_offered_nothing(status, action, actor, template):
    facts = make_facts(status)
    assert refusal(facts, action, actor) == template
    assert available_actions(facts, actor) == []


def test_second_assigned_inspector_may_sign_off():
    facts = make_facts(
        S.INSPECTION_SCHEDULED, assigned_inspector_ids=frozenset({INSPECTOR_ID, SECOND_INSPECTOR_ID})
    )
    # either may sign first; the visit is done when the second has signed too
    assert plan_transition(facts, A.SIGN_OFF, SECOND_INSPECTOR, VALID_PAYLOAD) == S.INSPECTION_SCHEDULED
    first_signed = dataclasses.replace(facts, unsigned_team_ids=frozenset({SECOND_INSPECTOR_ID}))
    assert plan_transition(first_signed, A.SIGN_OFF, SECOND_INSPECTOR, VALID_PAYLOAD) == S.INSPECTED


# --- approval steps: whoever the current step names ---


@pytest.mark.parametrize("action", STEP_ACTIONS)
def test_the_ecology_bureau_signs_its_co_signature_in_its_own_district(action):
    facts = awaiting(DE)
    assert facts.current_step == ApprovalStep(DE, Act.COSIGN)
    assert (
        plan_transition(facts, action, ACTORS["ecology"], VALID_PAYLOAD) == EXPECTED[S.IN_APPROVAL, action][1]
    )
    assert set(available_actions(facts, ACTORS["ecology"])) == set(STEP_ACTIONS)
    assert refusal(facts, action, OTHER_DISTRICT_ECOLOGY) == ELSEWHERE


@pytest.mark.parametrize("action", STEP_ACTIONS)
@pytest.mark.parametrize("name", ["postal", "postal_clerk", "city", "city_ecology", "outlet"])
def test_nobody_else_signs_the_ecology_bureaus_step(action, name):
    message = refused(awaiting(DE), action, ACTORS[name])
    assert message.template == STEP_IS_FOR and message.params == {"agency": AGENCY_LABELS[DE]}
    assert set(available_actions(awaiting(DE), ACTORS[name])) == ({A.WITHDRAW} if name == "outlet" else set())


@pytest.mark.parametrize("action", STEP_ACTIONS)
@pytest.mark.parametrize("agency", [CP, DP, CE])
def test_the_ecology_bureau_signs_no_step_of_another_agency(action, agency):
    facts = awaiting(agency, chains=CHAINS_LONG, level=Level.DISTRICT) if agency != CP else awaiting(CP)
    assert facts.current_step.agency == agency
    message = refused(facts, action, ACTORS["ecology"])
    assert message.template == STEP_IS_FOR and message.params == {"agency": AGENCY_LABELS[agency]}
    assert available_actions(facts, ACTORS["ecology"]) == []


@pytest.mark.parametrize("action", STEP_ACTIONS)
@pytest.mark.parametrize("district_id", [DISTRICT_ID, OTHER_DISTRICT_ID])
def test_the_city_postal_bureau_signs_a_city_postal_step_in_every_district(action, district_id):
    facts = awaiting(CP, district_id=district_id)
    assert facts.current_step == ApprovalStep(CP, Act.DECISION)
    assert plan_transition(facts, action, ACTORS["city"], VALID_PAYLOAD) in {S.APPROVED, S.INSPECTED}
    assert set(available_actions(facts, ACTORS["city"])) == set(STEP_ACTIONS)
    for name in ("postal", "ecology", "city_ecology"):
        assert refusal(facts, action, ACTORS[name]) == STEP_IS_FOR
        assert available_actions(facts, ACTORS[name]) == []


def test_the_city_ecology_bureau_signs_its_own_step_only():
    facts = awaiting(CE, chains=CHAINS_LONG, level=Level.DISTRICT)
    assert plan_transition(facts, A.AGREE, ACTORS["city_ecology"], VALID_PAYLOAD) == S.IN_APPROVAL
    assert refusal(facts, A.AGREE, ACTORS["city"]) == STEP_IS_FOR
    assert refusal(awaiting(CP), A.AGREE, ACTORS["city_ecology"]) == STEP_IS_FOR


def test_the_district_postal_bureau_signs_a_later_step_of_its_own():
    facts = dataclasses.replace(awaiting(CE, chains=CHAINS_LONG, level=Level.DISTRICT), approval_position=3)
    assert facts.current_step == ApprovalStep(DP, Act.DECISION)
    assert plan_transition(facts, A.AGREE, ACTORS["postal"], VALID_PAYLOAD) == S.APPROVED
    assert refusal(facts, A.AGREE, OTHER_DISTRICT_POSTAL) == ELSEWHERE
    assert refusal(facts, A.AGREE, ACTORS["postal_clerk"]) == APPROVERS_ONLY
    # the inspector belongs to the same agency, but signs no step
    assert refusal(facts, A.AGREE, ACTORS["inspector"]) == BUREAU_STAFF_ONLY


@pytest.mark.parametrize("action", STEP_ACTIONS)
@pytest.mark.parametrize(
    ("facts", "clerk"),
    [(awaiting(DE), ECOLOGY_CLERK), (awaiting(CP), CITY_CLERK)],
    ids=["ecology", "city"],
)
def test_staff_who_are_no_approvers_sign_no_step(action, facts, clerk):
    assert refusal(facts, action, clerk) == APPROVERS_ONLY
    assert available_actions(facts, clerk) == []


@pytest.mark.parametrize("action", STEP_ACTIONS)
@pytest.mark.parametrize("opinion", ["", "  \n ", "x" * (MAX_TEXT + 1)])
def test_every_step_needs_an_opinion_within_bounds(action, opinion):
    facts = awaiting(DE)
    expected = (
        "keep what you write within %(max)d characters" if opinion.startswith("x") else "write your opinion"
    )
    assert refusal(facts, action, ACTORS["ecology"], payload(opinion=opinion)) == expected
    assert action in available_actions(facts, ACTORS["ecology"])  # input is checked at submit time only


@pytest.mark.parametrize(
    ("chains", "level", "position", "signer", "reached"),
    [
        (CHAINS_2025, Level.DISTRICT, 1, "ecology", S.IN_APPROVAL),
        (CHAINS_2025, Level.DISTRICT, 2, "postal", S.APPROVED),
        (CHAINS_2025, Level.CITY, 1, "ecology", S.IN_APPROVAL),
        (CHAINS_2025, Level.CITY, 2, "city", S.APPROVED),
        (CHAINS_LEGACY, Level.CITY, 1, "city", S.APPROVED),
        (CHAINS_LONG, Level.DISTRICT, 1, "ecology", S.IN_APPROVAL),
        (CHAINS_LONG, Level.DISTRICT, 2, "city_ecology", S.IN_APPROVAL),
        (CHAINS_LONG, Level.DISTRICT, 3, "postal", S.APPROVED),
    ],
)
def test_the_last_agreeing_step_approves_and_an_earlier_one_waits_for_the_next(
    chains, level, position, signer, reached
):
    facts = make_facts(
        S.IN_APPROVAL, approval_chains=chains, approval_level=level, approval_position=position
    )
    assert plan_transition(facts, A.AGREE, ACTORS[signer], VALID_PAYLOAD) == reached
    # disagreeing or returning at any step ends the round: the district postal bureau decides again
    assert plan_transition(facts, A.DISAGREE, ACTORS[signer], VALID_PAYLOAD) == S.INSPECTED
    assert plan_transition(facts, A.RETURN_STEP, ACTORS[signer], VALID_PAYLOAD) == S.INSPECTED


@pytest.mark.parametrize(
    ("chains", "target", "reached", "granted", "new_status"),
    [
        (CHAINS_2025, Level.CITY, Level.CITY, Level.CITY, S.IN_APPROVAL),
        (CHAINS_2025, Level.CITY, Level.CITY, Level.DISTRICT, S.IN_APPROVAL),
        (CHAINS_2025, Level.DISTRICT, Level.DISTRICT, Level.DISTRICT, S.IN_APPROVAL),
        (CHAINS_LEGACY, Level.CITY, Level.CITY, Level.CITY, S.IN_APPROVAL),
        (CHAINS_LEGACY, Level.CITY, Level.CITY, Level.DISTRICT, S.APPROVED),
        (CHAINS_LEGACY, Level.CITY, Level.DISTRICT, Level.DISTRICT, S.APPROVED),
        (CHAINS_LEGACY, Level.DISTRICT, Level.CITY, Level.DISTRICT, S.APPROVED),
    ],
)
def test_the_proposal_decides_alone_only_when_its_levels_chain_has_one_step(
    chains, target, reached, granted, new_status
):
    facts = make_facts(S.INSPECTED, approval_chains=chains, target_level=target, level_reached=reached)
    assert plan_transition(facts, A.APPROVE, ACTORS["postal"], payload(granted_level=granted)) == new_status


def test_in_approval_without_a_round_no_step_can_be_signed():
    facts = make_facts(S.IN_APPROVAL, approval_level=None)
    assert facts.current_step is None
    for name in ("postal", "ecology", "city"):
        assert refusal(facts, A.AGREE, ACTORS[name]) == NO_STEP
        assert available_actions(facts, ACTORS[name]) == []
    past_the_end = make_facts(S.IN_APPROVAL, approval_position=3)
    assert past_the_end.current_step is None
    assert refusal(past_the_end, A.AGREE, ACTORS["city"]) == NO_STEP


@pytest.mark.parametrize(
    ("facts", "offers"),
    [
        (awaiting(DE), {"ecology": set(STEP_ACTIONS), "outlet": {A.WITHDRAW}}),
        (awaiting(CP), {"city": set(STEP_ACTIONS), "outlet": {A.WITHDRAW}}),
        (awaiting(CP, chains=CHAINS_LEGACY), {"city": set(STEP_ACTIONS), "outlet": {A.WITHDRAW}}),
        (awaiting(CE, chains=CHAINS_LONG, level=Level.DISTRICT),
         {"city_ecology": set(STEP_ACTIONS), "outlet": {A.WITHDRAW}}),
    ],
    ids=["ecology-cosign", "city-decision", "city-confirmation", "city-ecology-opinion"],
)  # fmt: skip
def test_in_approval_each_actor_is_offered_exactly_its_steps(facts, offers):
    for name, actor in ACTORS.items():
        assert set(available_actions(facts, actor)) == offers.get(name, set()), name


# --- payload and fact checks ---

DAY = timedelta(days=1)

LETTER_MISSING = SubmissionGaps(commitment=(Message("The signed commitment letter is not uploaded."),))
NOT_YET_SUBMITTABLE = "The application cannot be submitted yet: %(count)d things are missing. %(missing)s"
NOT_CONFIRMED = "confirm that these answers and this evidence are what you found on site"
TOO_LONG = "keep what you write within %(max)d characters"
TEAM_SIZE = "choose one to %(max)d inspectors"
JOINT_TEAM = "this level needs a joint team: choose at least one inspector of the %(agency)s"
FIVE = frozenset({INSPECTOR_ID, SECOND_INSPECTOR_ID, UNASSIGNED_INSPECTOR_ID, ECOLOGY_INSPECTOR_ID, 45})
BOTH_AGENCIES = (DP, DE)

PAYLOAD_REFUSALS = [
    # (status, action, fact changes, payload changes, template)
    (S.DRAFT, A.SUBMIT, {"submission_gaps": LETTER_MISSING}, {}, NOT_YET_SUBMITTABLE),
    (S.RETURNED, A.RESUBMIT, {"submission_gaps": LETTER_MISSING}, {}, NOT_YET_SUBMITTABLE),
    (S.SUBMITTED, A.RETURN, {}, {"reasons": "x" * (MAX_TEXT + 1)}, TOO_LONG),
    (S.INSPECTED, A.REOPEN_INSPECTION, {}, {"reasons": "x" * (MAX_TEXT + 1)}, TOO_LONG),
    (S.INSPECTED, A.APPROVE, {}, {"opinion": "x" * (MAX_TEXT + 1)}, TOO_LONG),
    (S.IN_APPROVAL, A.AGREE, {}, {"opinion": "x" * (MAX_TEXT + 1)}, TOO_LONG),
    (S.SUBMITTED, A.RETURN, {}, {"reasons": ""}, "give the reasons"),
    (S.SUBMITTED, A.RETURN, {}, {"reasons": "  \n "}, "give the reasons"),
    (S.SUBMITTED, A.REJECT, {}, {"reasons": ""}, "give the reasons"),
    (S.INSPECTED, A.REJECT, {}, {"reasons": ""}, "give the reasons"),
    (S.INSPECTED, A.REOPEN_INSPECTION, {}, {"reasons": " "}, "give the reasons"),
    (S.IN_APPROVAL, A.AGREE, {}, {"opinion": ""}, "write your opinion"),
    (S.IN_APPROVAL, A.DISAGREE, {}, {"opinion": " "}, "write your opinion"),
    (S.IN_APPROVAL, A.RETURN_STEP, {}, {"opinion": ""}, "write your opinion"),
    (S.ACCEPTED, A.SCHEDULE_INSPECTION, {}, {"inspector_ids": frozenset()}, TEAM_SIZE),
    (S.ACCEPTED, A.SCHEDULE_INSPECTION, {}, {"inspector_ids": FIVE}, TEAM_SIZE),
    (S.INSPECTION_SCHEDULED, A.RESCHEDULE_INSPECTION, {}, {"inspector_ids": FIVE}, TEAM_SIZE),
    (S.ACCEPTED, A.SCHEDULE_INSPECTION, {}, {"inspector_ids": frozenset({41, FOREIGN_INSPECTOR_ID})},
     "choose inspectors of the outlet's district"),
    (S.ACCEPTED, A.SCHEDULE_INSPECTION, {"team_required": BOTH_AGENCIES}, {}, JOINT_TEAM),
    (S.INSPECTION_SCHEDULED, A.RESCHEDULE_INSPECTION, {"team_required": BOTH_AGENCIES},
     {"inspector_ids": frozenset({ECOLOGY_INSPECTOR_ID})}, JOINT_TEAM),
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
    actor = first_actor(status, action)
    assert refusal(facts, action, actor, payload(**payload_changes)) == template
    # Input is checked at submit time only: the button is still offered.
    assert action in available_actions(facts, actor)


def test_a_joint_team_names_the_agency_it_lacks():
    facts = make_facts(S.ACCEPTED, team_required=BOTH_AGENCIES)
    message = refused(facts, A.SCHEDULE_INSPECTION, ACTORS["postal"])
    assert message.params["agency"] == Message(AGENCY_LABELS[DE])
    joint = payload(inspector_ids=frozenset({INSPECTOR_ID, ECOLOGY_INSPECTOR_ID}))
    assert plan_transition(facts, A.SCHEDULE_INSPECTION, ACTORS["postal"], joint) == S.INSPECTION_SCHEDULED


def test_items_that_are_no_findings_are_listed_in_the_message():
    facts = make_facts(S.INSPECTED)
    bad = payload(rectification_item_codes=frozenset({"W1", "ZZ9", "AA1"}))
    with pytest.raises(TransitionRefused) as caught:
        plan_transition(facts, A.REQUEST_RECTIFICATION, ACTORS["postal"], bad)
    expected = "only items short of full marks at the inspection can be rectified, not AA1, ZZ9"
    assert str(caught.value.message) == expected and str(caught.value) == expected


@pytest.mark.parametrize(
    ("status", "action", "payload_changes", "target"),
    [
        (S.ACCEPTED, A.SCHEDULE_INSPECTION, {"scheduled_on": TODAY, "inspector_ids": frozenset({42})},
         S.INSPECTION_SCHEDULED),
        (S.ACCEPTED, A.SCHEDULE_INSPECTION,
         {"inspector_ids": frozenset({41, 42, 43, ECOLOGY_INSPECTOR_ID})}, S.INSPECTION_SCHEDULED),
        (S.INSPECTION_SCHEDULED, A.RESCHEDULE_INSPECTION, {"inspector_ids": frozenset({43})},
         S.INSPECTION_SCHEDULED),
        (S.INSPECTED, A.REQUEST_RECTIFICATION, {"rectification_deadline": TODAY + DAY},
         S.RECTIFICATION_REQUESTED),
        (S.RECTIFICATION_REQUESTED, A.SUBMIT_RECTIFICATION, {}, S.RECTIFICATION_SUBMITTED),
        (S.DRAFT, A.WITHDRAW, {"reasons": ""}, S.WITHDRAWN),
        (S.IN_APPROVAL, A.WITHDRAW, {"reasons": "", "opinion": ""}, S.WITHDRAWN),
        (S.IN_APPROVAL, A.AGREE, {"opinion": "x" * MAX_TEXT}, S.IN_APPROVAL),
    ],
)  # fmt: skip
def test_boundary_input_is_accepted(status, action, payload_changes, target):
    actor = first_actor(status, action)
    assert plan_transition(make_facts(status), action, actor, payload(**payload_changes)) == target


def test_levels_rank_city_above_district():
    assert Level.CITY.rank > Level.DISTRICT.rank


def test_every_status_and_action_has_a_label():
    assert set(STATUS_LABELS) == set(Status)
    assert set(ACTION_LABELS) == set(Action)


# --- whole journeys ---


def advance(facts: ApplicationFacts, action: Action, actor: Actor, action_input: Payload = VALID_PAYLOAD):
    """Apply one action as an operation would: new status, plus the facts that action records
    (a proposal opens a round at its second step; an agreement moves it on; the end of a round
    closes it)."""
    new_status = plan_transition(facts, action, actor, action_input)
    changes: dict = {"status": new_status}
    if action in (A.SCHEDULE_INSPECTION, A.RESCHEDULE_INSPECTION):
        team = action_input.inspector_ids
        changes |= {"assigned_inspector_ids": team, "team_ids": team, "unsigned_team_ids": team}
    if action == A.SIGN_OFF:  # the signer has signed; a new record (correction, re-inspection) signs afresh
        left = facts.unsigned_team_ids - {actor.user_id}
        changes["unsigned_team_ids"] = left or facts.team_ids
    if action == A.REQUEST_RECTIFICATION:
        changes["rectification_deadline"] = action_input.rectification_deadline
    if new_status == S.IN_APPROVAL and action == A.APPROVE:
        changes |= {"approval_level": action_input.granted_level, "approval_position": 1}
    elif new_status == S.IN_APPROVAL:
        changes["approval_position"] = facts.approval_position + 1
    elif facts.status == S.IN_APPROVAL:
        changes |= {"approval_level": None, "approval_position": 0}
    return dataclasses.replace(facts, **changes)


def run(facts: ApplicationFacts, steps) -> tuple[ApplicationFacts, list[Status]]:
    statuses = [facts.status]
    for action, actor, action_input, fact_changes in steps:
        facts = advance(dataclasses.replace(facts, **fact_changes), action, actor, action_input)
        statuses.append(facts.status)
    return facts, statuses


OUTLET, POSTAL, ECOLOGY, CITY, INSPECTOR = (
    ACTORS[n] for n in ("outlet", "postal", "ecology", "city", "inspector")
)


def test_happy_path_to_city_level_through_the_co_signature_and_the_city_decision():
    facts = make_facts(S.DRAFT, assigned_inspector_ids=frozenset(), team_required=BOTH_AGENCIES)
    joint = frozenset({INSPECTOR_ID, ECOLOGY_INSPECTOR_ID})
    facts, statuses = run(
        facts,
        [
            (A.SUBMIT, OUTLET, VALID_PAYLOAD, {}),
            (A.ACCEPT, ACTORS["postal_clerk"], VALID_PAYLOAD, {}),
            (A.SCHEDULE_INSPECTION, ACTORS["postal_clerk"], payload(inspector_ids=joint), {}),
            (A.RESCHEDULE_INSPECTION, POSTAL, payload(inspector_ids=joint | {SECOND_INSPECTOR_ID}), {}),
            # every member of the joint team signs; the last signature ends the visit
            (A.SIGN_OFF, SECOND_INSPECTOR, VALID_PAYLOAD, {"level_reached": Level.CITY}),
            (A.SIGN_OFF, ECOLOGY_INSPECTOR, VALID_PAYLOAD, {}),
            (A.SIGN_OFF, INSPECTOR, VALID_PAYLOAD, {}),
            (A.APPROVE, POSTAL, payload(granted_level=Level.CITY), {}),
            (A.AGREE, ECOLOGY, VALID_PAYLOAD, {}),
            (A.AGREE, CITY, VALID_PAYLOAD, {}),
        ],
    )
    assert statuses == [
        S.DRAFT, S.SUBMITTED, S.ACCEPTED, S.INSPECTION_SCHEDULED, S.INSPECTION_SCHEDULED,
        S.INSPECTION_SCHEDULED, S.INSPECTION_SCHEDULED, S.INSPECTED, S.IN_APPROVAL, S.IN_APPROVAL, S.APPROVED,
    ]  # fmt: skip
    assert available_actions(facts, OUTLET) == []
    assert refusal(facts, A.WITHDRAW, OUTLET) == "this application is already approved"


def test_the_ecology_bureau_cannot_sign_before_the_proposal_nor_the_city_before_the_co_signature():
    facts = make_facts(S.INSPECTED)
    assert (
        refusal(facts, A.AGREE, ECOLOGY) == "this action is not possible at the application's current stage"
    )
    facts = advance(facts, A.APPROVE, POSTAL, payload(granted_level=Level.CITY))
    assert facts.current_step == ApprovalStep(DE, Act.COSIGN)
    assert refusal(facts, A.AGREE, CITY) == STEP_IS_FOR
    facts = advance(facts, A.AGREE, ECOLOGY)
    assert refusal(facts, A.AGREE, ECOLOGY) == STEP_IS_FOR  # its step is signed: it waits for the city
    assert advance(facts, A.AGREE, CITY).status == S.APPROVED


def test_rectification_path_with_return_and_resubmission():
    facts = make_facts(S.DRAFT, assigned_inspector_ids=frozenset(), level_reached=None)
    facts, statuses = run(
        facts,
        [
            (A.SUBMIT, OUTLET, VALID_PAYLOAD, {}),
            (A.RETURN, POSTAL, VALID_PAYLOAD, {}),
            (A.RESUBMIT, OUTLET, VALID_PAYLOAD, {}),
            (A.ACCEPT, POSTAL, VALID_PAYLOAD, {}),
            (A.SCHEDULE_INSPECTION, POSTAL, VALID_PAYLOAD, {}),
            (A.SIGN_OFF, INSPECTOR, VALID_PAYLOAD, {"level_reached": None}),
            (A.SIGN_OFF, SECOND_INSPECTOR, VALID_PAYLOAD, {}),  # the team of two both sign
            (A.REQUEST_RECTIFICATION, POSTAL, payload(rectification_item_codes=frozenset({"W1", "W2"})), {}),
            (A.SUBMIT_RECTIFICATION, OUTLET, VALID_PAYLOAD, {}),
            (A.SIGN_OFF, SECOND_INSPECTOR, VALID_PAYLOAD, {"level_reached": Level.DISTRICT}),
            (A.SIGN_OFF, INSPECTOR, VALID_PAYLOAD, {}),
            (A.APPROVE, POSTAL, payload(granted_level=Level.DISTRICT), {}),
            (A.AGREE, ECOLOGY, VALID_PAYLOAD, {}),
            (A.AGREE, POSTAL, VALID_PAYLOAD, {}),
        ],
    )
    assert statuses == [
        S.DRAFT, S.SUBMITTED, S.RETURNED, S.SUBMITTED, S.ACCEPTED, S.INSPECTION_SCHEDULED,
        S.INSPECTION_SCHEDULED, S.INSPECTED, S.RECTIFICATION_REQUESTED, S.RECTIFICATION_SUBMITTED,
        S.RECTIFICATION_SUBMITTED, S.INSPECTED, S.IN_APPROVAL, S.IN_APPROVAL, S.APPROVED,
    ]  # fmt: skip


def test_city_disagrees_then_district_grants_district_level():
    _, statuses = run(
        make_facts(S.INSPECTED),
        [
            (A.APPROVE, POSTAL, payload(granted_level=Level.CITY), {}),
            (A.AGREE, ECOLOGY, VALID_PAYLOAD, {}),
            (A.DISAGREE, CITY, VALID_PAYLOAD, {}),
            (A.APPROVE, POSTAL, payload(granted_level=Level.DISTRICT), {}),
            (A.AGREE, ECOLOGY, VALID_PAYLOAD, {}),
            (A.AGREE, POSTAL, VALID_PAYLOAD, {}),
        ],
    )
    assert statuses == [S.INSPECTED, S.IN_APPROVAL, S.IN_APPROVAL, S.INSPECTED, S.IN_APPROVAL, S.IN_APPROVAL,
                        S.APPROVED]  # fmt: skip


def test_ecology_returns_the_file_and_the_postal_bureau_reopens_the_inspection():
    _, statuses = run(
        make_facts(S.INSPECTED),
        [
            (A.APPROVE, POSTAL, payload(granted_level=Level.DISTRICT), {}),
            (A.RETURN_STEP, ECOLOGY, VALID_PAYLOAD, {}),
            (A.REOPEN_INSPECTION, POSTAL, VALID_PAYLOAD, {}),
            (A.SIGN_OFF, INSPECTOR, VALID_PAYLOAD, {}),
            (A.APPROVE, POSTAL, payload(granted_level=Level.DISTRICT), {}),
        ],
    )
    assert statuses == [S.INSPECTED, S.IN_APPROVAL, S.INSPECTED, S.INSPECTION_SCHEDULED, S.INSPECTED,
                        S.IN_APPROVAL]  # fmt: skip


def test_reopened_checklist_is_signed_off_again_and_rejected():
    _, statuses = run(
        make_facts(S.INSPECTED),
        [
            (A.REOPEN_INSPECTION, POSTAL, VALID_PAYLOAD, {}),
            (A.SIGN_OFF, INSPECTOR, VALID_PAYLOAD, {}),
            (A.REJECT, POSTAL, VALID_PAYLOAD, {}),
        ],
    )
    assert statuses == [S.INSPECTED, S.INSPECTION_SCHEDULED, S.INSPECTED, S.REJECTED]


def test_unanswered_rectification_can_be_rejected_once_the_deadline_has_passed():
    facts = make_facts(S.INSPECTED)
    facts = advance(facts, A.REQUEST_RECTIFICATION, POSTAL, payload(rectification_deadline=TODAY + 3 * DAY))
    assert refusal(facts, A.REJECT, POSTAL, payload(today=TODAY + 3 * DAY)) == (
        "the rectification deadline has not passed yet"
    )
    assert plan_transition(facts, A.REJECT, POSTAL, payload(today=TODAY + 4 * DAY)) == S.REJECTED


def test_the_submission_refusal_lists_every_gap_once_as_a_sentence():
    gaps = SubmissionGaps(
        eligibility=(Message("Declaration %(code)s is not affirmed.", {"code": "E1"}),),
        self_assessment=(Message("%(code)s: no answer", {"code": "1.2, 4.3"}),),
        commitment=LETTER_MISSING.commitment,
        self_assessment_items=2,
    )
    with pytest.raises(TransitionRefused) as caught:
        plan_transition(make_facts(S.DRAFT, submission_gaps=gaps), A.SUBMIT, OUTLET, VALID_PAYLOAD)
    message = caught.value.message
    assert message.template == NOT_YET_SUBMITTABLE and message.params["count"] == 4
    assert [str(sentence) for sentence in message.params["missing"]] == [
        "Declaration E1 is not affirmed.",
        "Self-assessment: 1.2, 4.3: no answer.",
        "The signed commitment letter is not uploaded.",
    ]


def test_text_as_long_as_allowed_passes():
    facts = make_facts(S.SUBMITTED)
    assert plan_transition(facts, A.RETURN, POSTAL, payload(reasons="x" * MAX_TEXT)) == S.RETURNED


# --- random walks ---

ALL_ACTORS = [
    *ACTORS.values(),
    OTHER_OUTLET,
    OTHER_DISTRICT_POSTAL,
    OTHER_DISTRICT_ECOLOGY,
    UNASSIGNED_INSPECTOR,
    SECOND_INSPECTOR,
    ECOLOGY_INSPECTOR,
    ECOLOGY_CLERK,
    CITY_CLERK,
]
PAYLOADS = [
    VALID_PAYLOAD,
    Payload(today=TODAY),
    payload(granted_level=Level.CITY),
    payload(inspector_ids=FIVE),
    payload(inspector_ids=frozenset({UNASSIGNED_INSPECTOR_ID})),
    payload(rectification_deadline=TODAY),
    payload(today=TODAY + timedelta(days=30)),
]
# Withdrawal ends a walk from anywhere: draw it less often so walks get deep.
WEIGHTED_ACTIONS = [*[action for action in Action if action != A.WITHDRAW] * 4, A.WITHDRAW]
walk_steps = st.lists(
    st.tuples(
        st.sampled_from(WEIGHTED_ACTIONS),
        st.sampled_from(ALL_ACTORS),
        st.sampled_from(PAYLOADS),
        st.booleans(),
        st.sampled_from([None, Level.DISTRICT, Level.CITY]),
    ),
    max_size=40,
)


def may_act(facts: ApplicationFacts, action: Action, actor: Actor) -> bool:
    """Who may take a row's action, said once more in other words than the module's."""
    if action in STEP_ACTIONS:
        step = facts.current_step
        in_scope = actor.role == R.CITY_BUREAU or actor.district_id == facts.district_id
        return (
            step is not None
            and actor.role in (R.DISTRICT_BUREAU, R.CITY_BUREAU)
            and actor.agency == step.agency
            and actor.approver
            and in_scope
        )
    if action in (A.SUBMIT, A.RESUBMIT, A.WITHDRAW, A.SUBMIT_RECTIFICATION):
        return actor.role == R.OUTLET and actor.outlet_id == facts.outlet_id
    if action == A.SIGN_OFF:
        return actor.role == R.INSPECTOR and actor.user_id in facts.assigned_inspector_ids
    postal = actor.role == R.DISTRICT_BUREAU and actor.agency == DP and actor.district_id == facts.district_id
    return postal and (actor.approver or action != A.APPROVE)


@settings(max_examples=500)
@given(
    start=st.sampled_from(list(Status)),
    steps=walk_steps,
    chains=st.sampled_from([CHAINS_2025, CHAINS_LEGACY, CHAINS_LONG]),
)
def test_random_walks_stay_inside_the_table_and_never_leave_a_final_status(start, steps, chains):
    facts = make_facts(start, approval_chains=chains)
    for action, actor, given_payload, checklist_complete, level_reached in steps:
        facts = dataclasses.replace(facts, checklist_complete=checklist_complete, level_reached=level_reached)
        before = facts
        try:
            facts = advance(facts, action, actor, given_payload)
        except TransitionRefused as refused_move:
            assert refused_move.message.template
            continue
        assert before.status not in NEVER_LEFT
        _, target = EXPECTED[before.status, action]
        assert may_act(before, action, actor)
        assert facts.status in {target, ALSO_REACHED.get((before.status, action), target)}
        assert action in available_actions(before, actor)
        if facts.status == S.IN_APPROVAL:
            assert facts.current_step is not None and facts.current_step.act
