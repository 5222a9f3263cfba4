"""Who may edit or read a checklist, given its kind and the application's status. Pure.

The access rules (`access.py`) have already put the user in scope (own outlet, own district,
assigned inspector); this says what they may do with the checklist at this stage:

- the inspection: the assigned inspectors edit while the inspection is scheduled or a
  rectification awaits verification, and the checklist is not signed off (the first member's
  signature locks it for everyone, while the other members still sign it); bureaus read;
  the outlet never opens it, and sees what it holds (result page, report, evidence, history)
  only once its whole team has signed it: `inspection_visible_to`, the one rule every way in asks;
- the self-assessment: the outlet's users edit while the application is a draft or returned;
  bureaus and the assigned inspectors read;
- a supervision visit (after the certificate, on the approved application): its team edits while
  its check is scheduled and the record is unsigned; bureaus read; the outlet reads it once the
  whole team has signed (`inspection_visible_to`). Its stage is its check's status, not the
  application's (which stays approved);
- a yearly self-check: the outlet's users edit while it is open (and the certificate in force);
  bureaus read; inspectors never open it. Its stage is the self-check's status.
"""

import enum

from outlet_audit.checklist.kinds import AssessmentKind
from outlet_audit.roles import Role
from outlet_audit.supervision.kinds import CheckStatus, YearlyStatus
from outlet_audit.text import N_, Message


class Mode(enum.StrEnum):
    EDIT = "edit"
    READ = "read"


# The application's visit stages: its newest inspection record is filled in, then signed by each
# member of its team; the last signature moves the application on (to "inspected").
VISIT_STAGES = frozenset({"inspection_scheduled", "rectification_submitted"})
INSPECTION_EDITABLE = VISIT_STAGES
SELF_EDITABLE = frozenset({"draft", "returned"})
BUREAUS = frozenset({Role.DISTRICT_BUREAU, Role.CITY_BUREAU})

LOCKED = N_("This checklist is signed off and locked. Only the district bureau can reopen it.")
AWAITING_TEAM = N_(
    "This checklist is signed and locked. It is complete once every inspector of the team has signed it."
)
INSPECTION_CLOSED = N_("The inspection checklist can be changed only while the inspection is scheduled.")
SELF_CLOSED = N_("The self-assessment can be changed only while the application is a draft or returned.")
READ_ONLY = N_("You may read this checklist but not change it.")
VISIT_CLOSED = N_("The visit's checklist can be changed only while the visit is scheduled.")
YEARLY_CLOSED = N_("The yearly self-check can be changed only while it is open.")
# The kinds whose stage is their own (a check's or a self-check's status), not the application's.
SUPERVISION_KINDS = frozenset({AssessmentKind.SUPERVISION, AssessmentKind.YEARLY})
# The kinds the outlet sees only once the whole team has signed.
TEAM_RECORDS = frozenset({AssessmentKind.INSPECTION, AssessmentKind.SUPERVISION})


def checklist_mode(kind: AssessmentKind, status: str, role: Role, signed_off: bool) -> Mode | None:
    """EDIT, READ, or None when this role does not see this checklist at all.

    `status`: the application's; for a supervision visit its check's, for a yearly self-check its
    own (the caller passes something other than "open" once the certificate is no longer in force)."""
    if kind == AssessmentKind.SUPERVISION:
        if role == Role.INSPECTOR:
            return Mode.EDIT if status == CheckStatus.SCHEDULED and not signed_off else Mode.READ
        return Mode.READ if role in BUREAUS | {Role.OUTLET} else None
    if kind == AssessmentKind.YEARLY:
        if role == Role.OUTLET:
            return Mode.EDIT if status == YearlyStatus.OPEN else Mode.READ
        return Mode.READ if role in BUREAUS else None
    if kind == AssessmentKind.INSPECTION:
        if role == Role.INSPECTOR:
            return Mode.EDIT if status in INSPECTION_EDITABLE and not signed_off else Mode.READ
        return Mode.READ if role in BUREAUS else None
    if role == Role.OUTLET:
        return Mode.EDIT if status in SELF_EDITABLE else Mode.READ
    return Mode.READ if role in BUREAUS | {Role.INSPECTOR} else None


def why_not_editable(
    kind: AssessmentKind, status: str, role: Role, signed_off: bool, *, awaiting: bool = False
) -> Message | None:
    """Why this user cannot change the checklist now (for a banner or a refusal), or None.

    `awaiting`: the record is signed and waits for the rest of its team (`awaiting_team`)."""
    mode = checklist_mode(kind, status, role, signed_off)
    if mode is Mode.EDIT:
        return None
    if mode is None or not refusal_is_state(kind, role):
        return Message(READ_ONLY)
    if signed_off:
        return Message(AWAITING_TEAM if awaiting else LOCKED)
    closed = {
        AssessmentKind.INSPECTION: INSPECTION_CLOSED,
        AssessmentKind.SUPERVISION: VISIT_CLOSED,
        AssessmentKind.YEARLY: YEARLY_CLOSED,
    }
    return Message(closed.get(kind, SELF_CLOSED))


def refusal_is_state(kind: AssessmentKind, role: Role) -> bool:
    """True when the user is the checklist's editor and only the stage stops them (HTTP 409, not 403)."""
    editors = {
        AssessmentKind.INSPECTION: Role.INSPECTOR,
        AssessmentKind.SUPERVISION: Role.INSPECTOR,
        AssessmentKind.SELF: Role.OUTLET,
        AssessmentKind.YEARLY: Role.OUTLET,
    }
    return editors.get(kind) == role


def awaiting_team(assessment, application_status: str | None, *, newest: bool = True) -> bool:
    """Whether this inspection record is signed by part of its team and waits for the others.

    Read from where the application stands, not from the signatures themselves: the application
    stays at its visit stage exactly until the last member signs its newest record, and a record
    signed before members signed one by one (migration 0012) names only its signer. So the record
    waits when it is the newest (`newest`: the caller says so of an older one), it is signed, and
    the application is still at a visit stage. An unknown status (None) counts as waiting: deny.

    A supervision visit has its own check: `application_status` is then the check's status, which
    stays "scheduled" exactly until the last member signs (`supervision.visits`).
    """
    if assessment is None or assessment.kind not in TEAM_RECORDS or assessment.signed_off_at is None:
        return False
    if assessment.kind == AssessmentKind.SUPERVISION:
        return application_status is None or application_status == CheckStatus.SCHEDULED
    return newest and (application_status is None or application_status in VISIT_STAGES)


def inspection_visible_to(user, assessment, application_status: str | None, *, newest: bool = True) -> bool:
    """Whether `user` may see what this assessment holds: answers, notes, score, evidence, report, history.

    The one rule for every way into an inspection (result page, report PDF, evidence files and
    thumbnails, the application's and the outlet's timelines, the application page's score): the
    outlet sees an inspection record only once it is complete, signed by every inspector of its
    team, so it never watches the inspectors at work, argues with a half-filled checklist, or
    reads a record one agency's inspector has signed and the other's has not (yet). A reopened
    inspection (or one unlocked to verify a rectification) is a new record, unsigned, and hidden
    until its team has signed it. Everyone else whose scope reaches the application always sees it.

    `assessment` None means no inspection yet: nothing signed. `application_status` is the
    application's (see `awaiting_team`); `newest` False for a record a later one follows.
    A self-assessment is not the inspection: this rule does not hide it (the scope check decides).
    """
    if assessment is not None and assessment.kind not in TEAM_RECORDS:
        return True
    if user.role != Role.OUTLET:
        return True
    signed_off = assessment is not None and assessment.signed_off_at is not None
    return signed_off and not awaiting_team(assessment, application_status, newest=newest)
