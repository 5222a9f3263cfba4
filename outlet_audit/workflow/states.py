"""The application workflow: statuses, actions and the one table that links them.

Pure: no Flask, no database, no clock. Views and operations describe an application as
`ApplicationFacts`, the user as an `Actor` and the form input as a `Payload`, then ask
`plan_transition` for the new status (or a `TransitionRefused` with a message to show) and
`available_actions` for the buttons to offer.

A refusal is checked in this order: final status, action possible at this stage, role,
scope (own outlet, own district, assigned inspector; to sign a visit's record, a member of its
team who has not signed it), the length of what was written, then the row's guard (facts and
payload). `available_actions` stops before the input checks: they
belong to submit time. Whatever an action's rules need from the person acting (a reason, the
inspector's confirmation) is a field of `Payload` checked here, so no route can skip it.
"""

import enum
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import NoReturn

from outlet_audit.criteria.model import ApprovalStep
from outlet_audit.roles import AGENCY_LABELS, Agency, Role
from outlet_audit.text import N_, Message, Refused

# The longest reason, opinion or answer a person may write into any action (forms say the same).
MAX_TEXT = 4000
# The most inspectors on one visit: two of each agency make a full joint team.
MAX_TEAM = 4


class Status(enum.StrEnum):
    DRAFT = "draft"
    SUBMITTED = "submitted"
    RETURNED = "returned"
    ACCEPTED = "accepted"  # 受理
    INSPECTION_SCHEDULED = "inspection_scheduled"
    INSPECTED = "inspected"  # checklist signed off
    RECTIFICATION_REQUESTED = "rectification_requested"  # 整改
    RECTIFICATION_SUBMITTED = "rectification_submitted"
    IN_APPROVAL = "in_approval"  # the edition's approval steps are being signed, one agency after another
    APPROVED = "approved"
    REJECTED = "rejected"
    WITHDRAWN = "withdrawn"


class Action(enum.StrEnum):
    SUBMIT = "submit"
    RESUBMIT = "resubmit"
    WITHDRAW = "withdraw"
    RETURN = "return"
    ACCEPT = "accept"
    REJECT = "reject"
    SCHEDULE_INSPECTION = "schedule_inspection"
    RESCHEDULE_INSPECTION = "reschedule_inspection"
    SIGN_OFF = "sign_off"
    REOPEN_INSPECTION = "reopen_inspection"
    REQUEST_RECTIFICATION = "request_rectification"
    SUBMIT_RECTIFICATION = "submit_rectification"
    APPROVE = "approve"  # the district postal bureau proposes the level: the first approval step
    AGREE = "agree"  # the next step's agency agrees (co-signs, decides, confirms...)
    DISAGREE = "disagree"  # ... disagrees: the path stops, the outlet and earlier steps are told why
    RETURN_STEP = "return_step"  # ... sends it back to the district postal bureau to complete the file


class Level(enum.StrEnum):
    DISTRICT = "district"  # 区级
    CITY = "city"  # 市级

    @property
    def rank(self) -> int:
        """Order the levels: string order would put city below district."""
        return _LEVEL_RANKS[self]


_LEVEL_RANKS = {Level.DISTRICT: 1, Level.CITY: 2}


@dataclass(frozen=True)
class LevelLabel:
    """A level's names: `text` on screen, translated for the reader; `zh` and `en` as the bilingual
    certificate and inspection report print it and the Chinese exports and letters write it, in
    whatever language the reader uses (`zh` is the catalog's translation of `text`, by test)."""

    text: str
    zh: str
    en: str


LEVEL_LABELS = {
    Level.DISTRICT: LevelLabel(N_("District level"), zh="区级", en="District Level"),
    Level.CITY: LevelLabel(N_("City level"), zh="市级", en="City Level"),
}

FINAL_STATUSES = frozenset({Status.APPROVED, Status.REJECTED, Status.WITHDRAWN})

STATUS_LABELS = {
    Status.DRAFT: N_("Draft"),
    Status.SUBMITTED: N_("Submitted"),
    Status.RETURNED: N_("Returned for changes"),
    Status.ACCEPTED: N_("Accepted"),
    Status.INSPECTION_SCHEDULED: N_("Inspection scheduled"),
    Status.INSPECTED: N_("Inspected"),
    Status.RECTIFICATION_REQUESTED: N_("Rectification requested"),
    Status.RECTIFICATION_SUBMITTED: N_("Rectification submitted"),
    Status.IN_APPROVAL: N_("In approval"),
    Status.APPROVED: N_("Approved"),
    Status.REJECTED: N_("Rejected"),
    Status.WITHDRAWN: N_("Withdrawn"),
}

ACTION_LABELS = {
    Action.SUBMIT: N_("Submit"),
    Action.RESUBMIT: N_("Resubmit"),
    Action.WITHDRAW: N_("Withdraw"),
    Action.RETURN: N_("Return for changes"),
    Action.ACCEPT: N_("Accept"),
    Action.REJECT: N_("Reject"),
    Action.SCHEDULE_INSPECTION: N_("Schedule inspection"),
    Action.RESCHEDULE_INSPECTION: N_("Reschedule inspection"),
    Action.SIGN_OFF: N_("Sign off checklist"),
    Action.REOPEN_INSPECTION: N_("Reopen inspection"),
    Action.REQUEST_RECTIFICATION: N_("Request rectification"),
    Action.SUBMIT_RECTIFICATION: N_("Send the rectification for re-inspection"),
    Action.APPROVE: N_("Approve"),
    Action.AGREE: N_("Agree"),
    Action.DISAGREE: N_("Disagree"),
    Action.RETURN_STEP: N_("Return to the district postal bureau"),
}


@dataclass(frozen=True)
class Actor:
    role: Role
    user_id: int
    district_id: int | None = None  # inspectors and district bureaus
    outlet_id: int | None = None  # outlet staff
    agency: Agency | None = None  # the agency of a member of staff's organisation
    approver: bool = False  # may sign approval steps for it


@dataclass(frozen=True)
class SubmissionGaps:
    """What still stops a submission, grouped as the application page shows it."""

    eligibility: tuple[Message, ...] = ()
    self_assessment: tuple[Message, ...] = ()
    commitment: tuple[Message, ...] = ()  # 承诺书
    level: tuple[Message, ...] = ()
    self_assessment_items: int = 0  # the self-assessment's gaps item by item (shown merged)

    def __bool__(self) -> bool:
        return bool(self.eligibility or self.self_assessment or self.commitment or self.level)

    def count(self) -> int:
        """How many things are missing, each item of the self-assessment counted alone."""
        return len(self.eligibility) + self.self_assessment_items + len(self.commitment) + len(self.level)

    def messages(self) -> tuple[Message, ...]:
        """Every gap as one sentence, in the page's order (items named as the self-assessment's)."""
        in_self_assessment = tuple(
            Message(N_("Self-assessment: %(gap)s."), {"gap": gap}) if "code" in gap.params else gap
            for gap in self.self_assessment
        )
        return (*self.eligibility, *in_self_assessment, *self.commitment, *self.level)


@dataclass(frozen=True)
class ApplicationFacts:
    """What the guards need to know about one application, as plain values."""

    status: Status
    outlet_id: int
    district_id: int
    target_level: Level
    assigned_inspector_ids: frozenset[int]
    district_inspector_ids: frozenset[int]  # active inspectors of the application's district
    level_reached: Level | None  # from the score of the signed-off checklist
    approval_chains: Mapping[Level, tuple[ApprovalStep, ...]]  # each level's steps, from the edition
    checklist_complete: bool
    submission_gaps: SubmissionGaps  # what still stops a submission (empty once nothing is missing)
    rectification_deadline: date | None  # of the open rectification notice
    open_finding_codes: frozenset[str] = frozenset()  # items short of full marks at the signed record
    unanswered_findings: int = 0  # ordered findings the outlet has not answered yet
    unverified_findings: int = 0  # answered findings the open re-inspection has not verified yet
    # The agency of each active inspector of the district (both agencies' inspectors may visit), and
    # the agencies the edition wants on the team of a visit for the level applied for.
    inspector_agencies: Mapping[int, Agency] = field(default_factory=dict)
    team_required: tuple[Agency, ...] = ()
    # The newest inspection record's team, and those of it who have not signed it yet; whether the
    # record is signed (by its first member) while the application is still at its visit stage.
    team_ids: frozenset[int] = frozenset()
    unsigned_team_ids: frozenset[int] = frozenset()
    record_signed: bool = False
    # While in approval: the level proposed in the current round and how many of its steps agreed.
    approval_level: Level | None = None
    approval_position: int = 0

    @property
    def current_step(self) -> ApprovalStep | None:
        """The approval step that waits to be signed, or None when the application is not in approval."""
        if self.status != Status.IN_APPROVAL or self.approval_level is None:
            return None
        steps = self.approval_chains[self.approval_level]
        return steps[self.approval_position] if self.approval_position < len(steps) else None


@dataclass(frozen=True)
class Payload:
    """The input of one action; `today` comes from the caller so this module never reads the clock."""

    today: date
    reasons: str = ""
    opinion: str = ""
    inspector_ids: frozenset[int] = frozenset()
    scheduled_on: date | None = None
    rectification_item_codes: frozenset[str] = frozenset()
    rectification_deadline: date | None = None
    granted_level: Level | None = None
    confirmed: bool = False  # the inspector confirms the answers and evidence are what was found
    outlet_representative: str = ""  # the outlet's person present when the inspector signs


class TransitionRefused(Refused):
    """The state machine says no; `message` says why."""


def _refuse(template: str, **params) -> NoReturn:
    raise TransitionRefused(Message(template, params))


Guard = Callable[[ApplicationFacts, Payload], None]


# Guards: each raises TransitionRefused or returns None.


def no_condition(facts: ApplicationFacts, payload: Payload) -> None:
    pass


def nothing_missing(facts: ApplicationFacts, payload: Payload) -> None:
    gaps = facts.submission_gaps
    if gaps:
        _refuse(
            N_("The application cannot be submitted yet: %(count)d things are missing. %(missing)s"),
            count=gaps.count(),
            missing=gaps.messages(),
        )


def reasons_given(facts: ApplicationFacts, payload: Payload) -> None:
    if not payload.reasons.strip():
        _refuse(N_("give the reasons"))


def inspection_plan_valid(facts: ApplicationFacts, payload: Payload) -> None:
    if facts.record_signed:
        # The visit took place and part of its team has signed what it found: the team and the
        # date are part of that record, so they stay until the others have signed too.
        _refuse(N_("the inspection is already signed by part of its team: it cannot be rescheduled"))
    if not 1 <= len(payload.inspector_ids) <= MAX_TEAM:
        _refuse(N_("choose one to %(max)d inspectors"), max=MAX_TEAM)
    if not payload.inspector_ids <= facts.district_inspector_ids:
        _refuse(N_("choose inspectors of the outlet's district"))
    on_team = {facts.inspector_agencies.get(inspector) for inspector in payload.inspector_ids}
    for agency in facts.team_required:
        if agency not in on_team:
            _refuse(
                N_("this level needs a joint team: choose at least one inspector of the %(agency)s"),
                agency=Message(AGENCY_LABELS[agency]),
            )
    if payload.scheduled_on is None:
        _refuse(N_("choose the inspection date"))
    if payload.scheduled_on < payload.today:
        _refuse(N_("the inspection date cannot be in the past"))


def inspection_attested(facts: ApplicationFacts, payload: Payload) -> None:
    """Each member confirms what the record holds. Who may sign (a member of the record's team who
    has not signed it) is the row's `team` check, before this guard; the first signature also
    needs the record complete, every later one signs the record as that one locked it."""
    if not payload.confirmed:
        _refuse(N_("confirm that these answers and this evidence are what you found on site"))
    if facts.record_signed:
        return
    if not facts.checklist_complete:
        _refuse(N_("answer every checklist item before signing off"))
    if facts.unverified_findings:
        _refuse(
            N_("verify every rectified item before signing off: %(count)d not verified yet"),
            count=facts.unverified_findings,
        )


def rectification_request_valid(facts: ApplicationFacts, payload: Payload) -> None:
    if not payload.rectification_item_codes:
        _refuse(N_("choose the findings to rectify"))
    unknown = payload.rectification_item_codes - facts.open_finding_codes
    if unknown:
        _refuse(
            N_("only items short of full marks at the inspection can be rectified, not %(codes)s"),
            codes=", ".join(sorted(unknown)),
        )
    if payload.rectification_deadline is None:
        _refuse(N_("set a rectification deadline"))
    if payload.rectification_deadline <= payload.today:
        _refuse(N_("a rectification deadline must be in the future"))


def findings_answered(facts: ApplicationFacts, payload: Payload) -> None:
    if facts.unanswered_findings:
        _refuse(
            N_("answer every item to rectify before sending: %(count)d not answered yet"),
            count=facts.unanswered_findings,
        )


def rectification_deadline_missed(facts: ApplicationFacts, payload: Payload) -> None:
    if facts.rectification_deadline is None or payload.today <= facts.rectification_deadline:
        _refuse(N_("the rectification deadline has not passed yet"))
    reasons_given(facts, payload)


def decision_sound(facts: ApplicationFacts, payload: Payload) -> None:
    if not payload.opinion.strip():
        _refuse(N_("write the decision opinion"))
    granted = payload.granted_level
    if granted is None:
        _refuse(N_("choose the level to grant"))
    if facts.level_reached is None:
        _refuse(N_("the checklist reached no level: request rectification or reject"))
    if granted.rank > facts.target_level.rank:
        _refuse(N_("the outlet applied for district level: city level cannot be granted"))
    if granted.rank > facts.level_reached.rank:
        _refuse(N_("city level was not reached: choose district or reject"))


def steps_follow(facts: ApplicationFacts, payload: Payload) -> bool:
    """Tell whether more steps follow the proposal of the level being granted."""
    return payload.granted_level is not None and len(facts.approval_chains[payload.granted_level]) > 1


def steps_remain(facts: ApplicationFacts, payload: Payload) -> bool:
    """Tell whether more steps follow the one being signed."""
    if facts.approval_level is None:
        return False
    return facts.approval_position + 1 < len(facts.approval_chains[facts.approval_level])


def others_to_sign(facts: ApplicationFacts, payload: Payload) -> bool:
    """Tell whether members besides the one signing still have to sign the record. The signer is
    one of `unsigned_team_ids` (the row's `team` check), so others remain when more than one is."""
    return len(facts.unsigned_team_ids) > 1


def opinion_written(facts: ApplicationFacts, payload: Payload) -> None:
    if not payload.opinion.strip():
        _refuse(N_("write your opinion"))


@dataclass(frozen=True)
class Detour:
    """Send the application to `status` instead of the row's target when `when` holds."""

    status: Status
    when: Callable[[ApplicationFacts, Payload], bool]


@dataclass(frozen=True)
class Rule:
    """One row: the status reached, who may act and what must hold.

    `agencies` narrows the roles to staff of these agencies (the district postal bureau runs the
    case; an ecology bureau member is a district bureau user too). `approver`: only staff who may
    sign approval steps. `at_step`: the actor is whoever the current approval step names.
    `team`: the actor is a member of the newest inspection record's team who has not signed it.
    """

    to: Status
    roles: frozenset[Role]
    guard: Guard = no_condition
    detour: Detour | None = None
    agencies: frozenset[Agency] | None = None
    approver: bool = False
    at_step: bool = False
    team: bool = False

    @property
    def targets(self) -> frozenset[Status]:
        return frozenset({self.to} | ({self.detour.status} if self.detour else set()))


OUTLET = frozenset({Role.OUTLET})
DISTRICT = frozenset({Role.DISTRICT_BUREAU})
INSPECTOR = frozenset({Role.INSPECTOR})
BUREAUS = frozenset({Role.DISTRICT_BUREAU, Role.CITY_BUREAU})
POSTAL = frozenset({Agency.DISTRICT_POSTAL})

MORE_STEPS = Detour(Status.IN_APPROVAL, when=steps_follow)
NEXT_STEP = Detour(Status.IN_APPROVAL, when=steps_remain)


def _district(to: Status, guard: Guard = no_condition, **options) -> Rule:
    """A row for the district postal bureau, which receives the application and runs the case."""
    return Rule(to, DISTRICT, guard, agencies=POSTAL, **options)


def _sign_off(at: Status) -> Rule:
    """A row for signing the record of a visit: each member of its team signs; the application
    stays at its visit stage (`at`) until the last of them has."""
    return Rule(
        Status.INSPECTED, INSPECTOR, inspection_attested, detour=Detour(at, when=others_to_sign), team=True
    )


def _step(to: Status, detour: Detour | None = None) -> Rule:
    """A row for whoever the current approval step names."""
    return Rule(to, BUREAUS, opinion_written, detour=detour, approver=True, at_step=True)


S, A = Status, Action
TRANSITIONS: dict[tuple[Status, Action], Rule] = {
    (S.DRAFT, A.SUBMIT): Rule(S.SUBMITTED, OUTLET, nothing_missing),
    (S.SUBMITTED, A.RETURN): _district(S.RETURNED, reasons_given),
    (S.SUBMITTED, A.ACCEPT): _district(S.ACCEPTED),
    # 不予受理: an outlet barred from applying (credit record, false materials) is refused outright.
    (S.SUBMITTED, A.REJECT): _district(S.REJECTED, reasons_given),
    (S.RETURNED, A.RESUBMIT): Rule(S.SUBMITTED, OUTLET, nothing_missing),
    (S.ACCEPTED, A.SCHEDULE_INSPECTION): _district(S.INSPECTION_SCHEDULED, inspection_plan_valid),
    (S.INSPECTION_SCHEDULED, A.RESCHEDULE_INSPECTION): _district(
        S.INSPECTION_SCHEDULED, inspection_plan_valid
    ),
    (S.INSPECTION_SCHEDULED, A.SIGN_OFF): _sign_off(S.INSPECTION_SCHEDULED),
    (S.INSPECTED, A.REOPEN_INSPECTION): _district(S.INSPECTION_SCHEDULED, reasons_given),
    (S.INSPECTED, A.REQUEST_RECTIFICATION): _district(S.RECTIFICATION_REQUESTED, rectification_request_valid),
    (S.RECTIFICATION_REQUESTED, A.SUBMIT_RECTIFICATION): Rule(
        S.RECTIFICATION_SUBMITTED, OUTLET, findings_answered
    ),
    # Without this an outlet that never answers would hold its application open for ever.
    (S.RECTIFICATION_REQUESTED, A.REJECT): _district(S.REJECTED, rectification_deadline_missed),
    (S.RECTIFICATION_SUBMITTED, A.SIGN_OFF): _sign_off(S.RECTIFICATION_SUBMITTED),
    # The proposal is the first approval step; with one step it is the decision itself.
    (S.INSPECTED, A.APPROVE): _district(S.APPROVED, decision_sound, detour=MORE_STEPS, approver=True),
    (S.INSPECTED, A.REJECT): _district(S.REJECTED, reasons_given),
    (S.IN_APPROVAL, A.AGREE): _step(S.APPROVED, detour=NEXT_STEP),
    # Either ends the round: the district postal bureau decides again, knowing why.
    (S.IN_APPROVAL, A.DISAGREE): _step(S.INSPECTED),
    (S.IN_APPROVAL, A.RETURN_STEP): _step(S.INSPECTED),
    # The outlet may withdraw at any point before the decision is final.
    **{(status, A.WITHDRAW): Rule(S.WITHDRAWN, OUTLET) for status in S if status not in FINAL_STATUSES},
}
del S, A


_FINAL_REFUSALS = {
    Status.APPROVED: N_("this application is already approved"),
    Status.REJECTED: N_("this application is already rejected"),
    Status.WITHDRAWN: N_("this application was withdrawn"),
}

_ROLE_REFUSALS = {
    Role.OUTLET: N_("only the applying outlet may do this"),
    Role.DISTRICT_BUREAU: N_("only the district postal bureau of the outlet's district may do this"),
    Role.INSPECTOR: N_("only an assigned inspector may sign off"),
    Role.CITY_BUREAU: N_("only the city bureau may do this"),
}


def _scope_refusal(facts: ApplicationFacts, actor: Actor) -> str | None:
    """Say why the actor cannot act on this application, or None when it is in scope."""
    if actor.role == Role.OUTLET and actor.outlet_id != facts.outlet_id:
        return N_("this application belongs to another outlet")
    if actor.role == Role.DISTRICT_BUREAU and actor.district_id != facts.district_id:
        return N_("this application is in another district")
    if actor.role == Role.INSPECTOR and actor.user_id not in facts.assigned_inspector_ids:
        return N_("only an assigned inspector may sign off")
    return None  # the city bureau reaches every district


def _step_refusal(facts: ApplicationFacts, actor: Actor) -> Message | None:
    """Say why the actor cannot sign the current approval step, or None when it is theirs."""
    step = facts.current_step
    if step is None:
        return Message(N_("this application waits for no approval step"))
    if actor.agency != step.agency:
        return Message(N_("this step is for the %(agency)s"), {"agency": AGENCY_LABELS[step.agency]})
    return None


def _team_refusal(facts: ApplicationFacts, actor: Actor) -> str | None:
    """Say why the actor cannot sign the newest inspection record, or None when their signature is due."""
    if actor.user_id not in facts.team_ids:
        return N_("only an inspector of this visit's team may sign it")
    if actor.user_id not in facts.unsigned_team_ids:
        return N_("you have signed this inspection already: it waits for the other inspectors of the team")
    return None


def _rule_for(facts: ApplicationFacts, action: Action, actor: Actor) -> Rule:
    """Find the row and check stage, role, agency and scope; leave the guard to the caller."""
    if facts.status in FINAL_STATUSES:
        _refuse(_FINAL_REFUSALS[facts.status])
    rule = TRANSITIONS.get((facts.status, action))
    if rule is None:
        _refuse(N_("this action is not possible at the application's current stage"))
    if actor.role not in rule.roles:
        if actor.role == Role.ADMIN:
            _refuse(N_("administrators take no part in the workflow"))
        if rule.at_step:
            raise TransitionRefused(
                _step_refusal(facts, actor) or Message(N_("only bureau staff sign approval steps"))
            )
        _refuse(_ROLE_REFUSALS[min(rule.roles)])  # every other row names one role
    if rule.at_step:
        refusal = _step_refusal(facts, actor)
        if refusal:
            raise TransitionRefused(refusal)
    elif rule.agencies is not None and actor.agency not in rule.agencies:
        _refuse(N_("only the district postal bureau of the outlet's district may do this"))
    if rule.approver and not actor.approver:
        _refuse(N_("only an approver of your organisation may sign approval steps"))
    refusal = _scope_refusal(facts, actor) or (_team_refusal(facts, actor) if rule.team else None)
    if refusal:
        _refuse(refusal)
    return rule


def plan_transition(facts: ApplicationFacts, action: Action, actor: Actor, payload: Payload) -> Status:
    """Return the status the application moves to, or raise TransitionRefused saying why not."""
    rule = _rule_for(facts, action, actor)
    _text_within_bounds(payload)
    rule.guard(facts, payload)
    if rule.detour and rule.detour.when(facts, payload):
        return rule.detour.status
    return rule.to


def _text_within_bounds(payload: Payload) -> None:
    if len(payload.outlet_representative) > 100:
        _refuse(N_("keep the representative's name within %(max)d characters"), max=100)
    if max(len(payload.reasons), len(payload.opinion)) > MAX_TEXT:
        _refuse(N_("keep what you write within %(max)d characters"), max=MAX_TEXT)


def available_actions(facts: ApplicationFacts, actor: Actor) -> list[Action]:
    """List the actions to offer this actor now; their payload is checked when submitted."""
    offered = []
    for action in Action:
        try:
            _rule_for(facts, action, actor)
        except TransitionRefused:
            continue
        offered.append(action)
    return offered


def can(facts: ApplicationFacts, actor: Actor, action: Action) -> bool:
    """Tell whether the actor may start this action now (role, scope and stage)."""
    return action in available_actions(facts, actor)
