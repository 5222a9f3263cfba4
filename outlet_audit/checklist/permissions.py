"""Who may edit or read a checklist, given its kind and the application's status. Pure.

The access rules (`access.py`) have already put the user in scope (own outlet, own district,
assigned inspector); this says what they may do with the checklist at this stage:

- the inspection: the assigned inspectors edit while the inspection is scheduled or a
  rectification awaits verification, and the checklist is not signed off; bureaus read;
  the outlet never opens it, and sees what it holds (result page, report, evidence, history)
  only once it is signed off: `inspection_visible_to`, the one rule every way in asks;
- the self-assessment: the outlet's users edit while the application is a draft or returned;
  bureaus and the assigned inspectors read.
"""

import enum

from outlet_audit.checklist.kinds import AssessmentKind
from outlet_audit.roles import Role
from outlet_audit.text import N_, Message


class Mode(enum.StrEnum):
    EDIT = "edit"
    READ = "read"


INSPECTION_EDITABLE = frozenset({"inspection_scheduled", "rectification_submitted"})
SELF_EDITABLE = frozenset({"draft", "returned"})
BUREAUS = frozenset({Role.DISTRICT_BUREAU, Role.CITY_BUREAU})

LOCKED = N_("This checklist is signed off and locked. Only the district bureau can reopen it.")
INSPECTION_CLOSED = N_("The inspection checklist can be changed only while the inspection is scheduled.")
SELF_CLOSED = N_("The self-assessment can be changed only while the application is a draft or returned.")
READ_ONLY = N_("You may read this checklist but not change it.")


def checklist_mode(kind: AssessmentKind, status: str, role: Role, signed_off: bool) -> Mode | None:
    """EDIT, READ, or None when this role does not see this checklist at all."""
    if kind == AssessmentKind.INSPECTION:
        if role == Role.INSPECTOR:
            return Mode.EDIT if status in INSPECTION_EDITABLE and not signed_off else Mode.READ
        return Mode.READ if role in BUREAUS else None
    if role == Role.OUTLET:
        return Mode.EDIT if status in SELF_EDITABLE else Mode.READ
    return Mode.READ if role in BUREAUS | {Role.INSPECTOR} else None


def why_not_editable(kind: AssessmentKind, status: str, role: Role, signed_off: bool) -> Message | None:
    """Why this user cannot change the checklist now (for a banner or a refusal), or None."""
    mode = checklist_mode(kind, status, role, signed_off)
    if mode is Mode.EDIT:
        return None
    if mode is None or not refusal_is_state(kind, role):
        return Message(READ_ONLY)
    if signed_off:
        return Message(LOCKED)
    return Message(INSPECTION_CLOSED if kind == AssessmentKind.INSPECTION else SELF_CLOSED)


def refusal_is_state(kind: AssessmentKind, role: Role) -> bool:
    """True when the user is the checklist's editor and only the stage stops them (HTTP 409, not 403)."""
    return (kind == AssessmentKind.INSPECTION and role == Role.INSPECTOR) or (
        kind == AssessmentKind.SELF and role == Role.OUTLET
    )


def inspection_visible_to(user, assessment) -> bool:
    """Whether `user` may see what this assessment holds: answers, notes, score, evidence, report, history.

    The one rule for every way into an inspection (result page, report PDF, evidence files and
    thumbnails, the application's and the outlet's timelines, the application page's score): the
    outlet sees its inspection only once it is signed off, so it never watches the inspectors at
    work or argues with a half-filled checklist. A reopened inspection (or one unlocked to verify a
    rectification) is unsigned again and hidden again. Everyone else whose scope reaches the
    application always sees it. `assessment` None means no inspection yet: nothing signed off.
    A self-assessment is not the inspection: this rule does not hide it (the scope check decides).
    """
    if assessment is not None and assessment.kind != AssessmentKind.INSPECTION:
        return True
    signed_off = assessment is not None and assessment.signed_off_at is not None
    return signed_off or user.role != Role.OUTLET
