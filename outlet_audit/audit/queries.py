"""Reading the audit trail as a timeline: who did what, when, from what to what, and why.

Only reads. Each event becomes a `TimelineEntry` whose texts are translated for the reader,
so the partial `audit/_timeline.html` just lays them out.
"""

from dataclasses import dataclass
from datetime import datetime

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import and_, or_, select

from outlet_audit.accounts.forms import ROLE_LABELS
from outlet_audit.accounts.models import User
from outlet_audit.audit.models import AuditEvent
from outlet_audit.core.i18n import current_language, translate_message
from outlet_audit.extensions import db
from outlet_audit.outlets.reference import all_districts
from outlet_audit.text import Message
from outlet_audit.workflow.states import ACTION_LABELS, STATUS_LABELS, Action, Status

OUTLET_TIMELINE_LIMIT = 200

# Outlet columns as the profile form names them.
OUTLET_FIELD_LABELS = {
    "name": _l("Outlet name"),
    "brand": _l("Brand"),
    "district_id": _l("District"),
    "address": _l("Address"),
    "permit_number": _l("Permit or filing number"),
    "manager": _l("Manager"),
    "phone": _l("Contact phone"),
    "opening_hours": _l("Opening hours"),
    "verified": _l("Verified"),
}
LEVEL_LABELS = {"district": _l("District level"), "city": _l("City level")}
UPLOAD_LABELS = {
    "commitment": _l("Commitment letter uploaded"),
    "rectification": _l("Rectification evidence uploaded"),
    "item": _l("Evidence uploaded"),
    "signature": _l("Signature added"),
}
PROFILE_ACTIONS = {
    "profile_updated": _l("Profile changed: %(field)s"),
    "profile_change_requested": _l("Change requested: %(field)s"),
    "profile_change_accepted": _l("Change accepted: %(field)s"),
    "profile_change_rejected": _l("Change rejected: %(field)s"),
    "profile_change_withdrawn": _l("Change request taken back: %(field)s"),
}
SIMPLE_ACTIONS = {
    "certificate_issued": _l("Certificate issued"),
    "certificate_superseded": _l("Certificate superseded"),
    "certificate_revoked": _l("Certificate revoked"),
    "outlet_verified": _l("Outlet verified"),
}


@dataclass(frozen=True)
class TimelineEntry:
    occurred_at: datetime
    actor: str
    actor_role: str
    what: str
    old: str | None
    new: str | None
    reason: str | None
    details: tuple["TimelineEntry", ...] = ()  # a run of small changes shown as one line, each kept here


def application_timeline(application_id: int) -> list[TimelineEntry]:
    """Every event of one application, oldest first: the story of the application.

    A run of answers (or declarations) saved by one person in a row becomes one entry whose
    details list every change, so the steps stay readable and nothing is left out.
    """
    query = select(AuditEvent).where(AuditEvent.application_id == application_id).order_by(AuditEvent.id)
    events = db.session.scalars(query).all()
    return _grouped(events, _entries(events))


def _run_key(event: AuditEvent):
    if event.action == "answer_saved":
        return ("answer", event.actor_id, (event.field or "").partition(":")[0])
    if event.action == "draft_saved" and (event.field or "").startswith("eligibility:"):
        return ("declaration", event.actor_id)
    return None


def _grouped(events: list[AuditEvent], entries: list[TimelineEntry]) -> list[TimelineEntry]:
    grouped: list[TimelineEntry] = []
    run: list[TimelineEntry] = []
    run_key = None
    for event, entry in [*zip(events, entries, strict=True), (None, None)]:
        key = _run_key(event) if event is not None else None
        if run and (key is None or key != run_key):
            grouped.append(run[0] if len(run) == 1 else _summary(run_key, run))
            run = []
        if event is None:
            break
        if key is None:
            grouped.append(entry)
        else:
            run.append(entry)
            run_key = key
    return grouped


def _summary(key, run: list[TimelineEntry]) -> TimelineEntry:
    if key[0] == "declaration":
        what = _("%(count)d declarations answered", count=len(run))
    elif key[2] == "self":
        what = _("Self-assessment: %(count)d answers saved", count=len(run))
    else:
        what = _("Inspection: %(count)d answers saved", count=len(run))
    last = run[-1]
    return TimelineEntry(last.occurred_at, last.actor, last.actor_role, what, None, None, None, tuple(run))


def outlet_timeline(outlet_id: int, limit: int = OUTLET_TIMELINE_LIMIT) -> list[TimelineEntry]:
    """The outlet's profile changes and its applications' events, newest first."""
    query = (
        select(AuditEvent)
        .where(
            or_(
                AuditEvent.outlet_id == outlet_id,
                and_(AuditEvent.subject_type == "outlet", AuditEvent.subject_id == outlet_id),
            )
        )
        .order_by(AuditEvent.id.desc())
        .limit(limit)
    )
    events = db.session.scalars(query).all()
    return _grouped(events, _entries(events))


def _entries(events: list[AuditEvent]) -> list[TimelineEntry]:
    actor_ids = {event.actor_id for event in events if event.actor_id}
    actors = {user.id: user for user in db.session.scalars(select(User).where(User.id.in_(actor_ids)))}
    districts = _district_names() if any(event.field == "district_id" for event in events) else {}
    entries = []
    for event in events:
        actor = actors.get(event.actor_id)
        old, new = _values(event, districts)
        entries.append(
            TimelineEntry(
                occurred_at=event.occurred_at,
                actor=actor.display_name if actor else _("System"),
                actor_role=str(ROLE_LABELS.get(actor.role, "")) if actor else "",
                what=describe(event),
                old=old,
                new=new,
                reason=event.reason,
            )
        )
    return entries


def _district_names() -> dict[str, str]:
    lang = current_language()
    return {str(d.id): d.name(lang) for d in all_districts()}


def describe(event: AuditEvent) -> str:
    """Say in the reader's language what the event was."""
    action, field = event.action, event.field or ""
    if action == "transition" and field in Action.__members__.values():
        return translate_message(Message(ACTION_LABELS[Action(field)]))
    if action == "application_created":
        return _("Application opened")
    if action == "draft_saved":
        if field == "target_level":
            return _("Target level changed")
        return _("Declaration %(code)s answered", code=field.partition(":")[2])
    if action == "answer_saved":
        kind, _sep, code = field.partition(":")
        if kind == "self":
            return _("Self-assessment item %(code)s answered", code=code)
        return _("Inspection item %(code)s answered", code=code)
    if action == "evidence_uploaded":
        return str(UPLOAD_LABELS.get(field, _("File uploaded")))
    if action in PROFILE_ACTIONS:
        return str(PROFILE_ACTIONS[action]) % {"field": OUTLET_FIELD_LABELS.get(field, field)}
    if action in SIMPLE_ACTIONS:
        return str(SIMPLE_ACTIONS[action])
    return f"{action} {field}".strip()


def _values(event: AuditEvent, districts: dict[str, str]) -> tuple[str | None, str | None]:
    return _value(event, event.old_value, districts), _value(event, event.new_value, districts)


def _value(event: AuditEvent, value: str | None, districts: dict[str, str]) -> str | None:
    if value is None:
        return None
    if event.action == "transition" and value in Status.__members__.values():
        return translate_message(Message(STATUS_LABELS[Status(value)]))
    if event.field == "target_level" and value in LEVEL_LABELS:
        return str(LEVEL_LABELS[value])
    if event.action == "draft_saved":
        return _("Yes") if value == "yes" else _("No") if value == "no" else value
    if event.field == "district_id":
        return districts.get(value, value)
    return value
