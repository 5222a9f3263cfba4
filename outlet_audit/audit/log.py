"""The audit log: every recorded act, newest first, read by person, kind and day.

The timelines (audit.queries) tell one record's story; this reads the whole trail across records,
which is where acts about accounts live (sign-ins, second factors, API tokens, exports, jobs) and
where an auditor asks "what did this person do that week". Only reads.

Pages go by the event id (keyset: "older than", "newer than"), not by OFFSET with a count: the
trail is the largest table and grows with every act, and a page costs the same on its millionth
row as on its first. Each row reads as in the timelines, through the same registry sentence.
"""

from dataclasses import dataclass
from datetime import date

from sqlalchemy import and_, exists, or_, select

from outlet_audit.accounts.models import User
from outlet_audit.audit.events import EVENT_TYPES, Kind
from outlet_audit.audit.models import AuditEvent
from outlet_audit.audit.queries import TimelineEntry, application_readings, entries_of, users_by_id
from outlet_audit.core.time import utc_end_of, utc_start_of
from outlet_audit.extensions import db
from outlet_audit.outlets.models import Outlet
from outlet_audit.text import N_
from outlet_audit.workflow.models import Application

LOG_PAGE_SIZE = 50
# Accounts a person filter may stand for: a few letters can match many names, and the page says
# when the filter needs more letters rather than reading the trail for hundreds of accounts.
MAX_PEOPLE = 200

# What the record an event is about is called, by audit_events.subject_type, where the row names
# neither an application nor an outlet. A test checks every subject type the code writes is here.
SUBJECT_LABELS = {
    "answer": N_("Checklist answer"),
    "api_token": N_("API token"),
    "application": N_("Application"),
    "assessment": N_("Checklist"),
    "campaign": N_("Spot-check campaign"),
    "certificate": N_("Certificate"),
    "complaint": N_("Complaint"),
    "criteria_edition": N_("Criteria edition"),
    "criteria_edition_choice": N_("Criteria edition in use"),
    "evidence": N_("File"),
    "export": N_("Export"),
    "finding": N_("Finding"),
    "invitation": N_("Invitation"),
    "job": N_("Background job"),
    "outlet": N_("Outlet"),
    "supervision_check": N_("Supervision check"),
    "user": N_("Account"),
    "webhook_endpoint": N_("Webhook endpoint"),
    "yearly_self_check": N_("Yearly self-check"),
}


@dataclass(frozen=True)
class LogFilters:
    person: str = ""  # part of a username or a name, as typed
    kind: Kind | None = None
    date_from: date | None = None  # Shanghai days, both ends included
    date_to: date | None = None


# Acts written without an actor that a person did, not the system: who it was is not known (the
# account they name is in "About").
NOT_SIGNED_IN_ACTS = frozenset({"sign_in_failed", "password_reset_requested"})


@dataclass(frozen=True)
class LogRow:
    event_id: int
    entry: TimelineEntry
    who: str  # N_ template of who acted when the trail names nobody ("" when it names someone)
    username: str | None  # of who acted (None: the system, or someone not signed in)
    record: str  # what the act is about: an application's reference, an outlet's name, "Account alice"
    record_label: str  # N_ template of the record's kind, translated by the page ("" for a reference)


@dataclass(frozen=True)
class LogPage:
    rows: list[LogRow]
    older_than: int | None  # the cursor of the next older page, if there is one
    newer_than: int | None  # the cursor of the next newer page, if there is one
    people_over: int | None = None  # the person filter matched more accounts than this: none read
    paged: bool = False  # asked for with a cursor (a page other than the newest)


def actions_of(kind: Kind) -> list[str]:
    """The actions the registry files under `kind`, for the filter."""
    return sorted(action for action, event_type in EVENT_TYPES.items() if event_type.kind is kind)


def read_log(filters: LogFilters, *, before: int | None = None, after: int | None = None) -> LogPage:
    """The page of events matching `filters` just older than `before`, just newer than `after`, or
    the newest; newest first in every case."""
    conditions = []
    if filters.person:
        people = db.session.scalars(
            select(User.id)
            .where(
                or_(
                    User.username.icontains(filters.person, autoescape=True),
                    User.display_name.icontains(filters.person, autoescape=True),
                )
            )
            .limit(MAX_PEOPLE + 1)
        ).all()
        if not people or len(people) > MAX_PEOPLE:
            return LogPage([], None, None, people_over=MAX_PEOPLE if people else None)
        # What they did, and what was done to their accounts: a refused sign-in or a reset link
        # asked for has no actor, only the account it was about.
        conditions.append(
            or_(
                AuditEvent.actor_id.in_(people),
                and_(AuditEvent.subject_type == "user", AuditEvent.subject_id.in_(people)),
            )
        )
    if filters.kind is not None:
        conditions.append(AuditEvent.action.in_(actions_of(filters.kind)))
    if filters.date_from is not None:
        conditions.append(AuditEvent.occurred_at >= utc_start_of(filters.date_from))
    if filters.date_to is not None:
        conditions.append(AuditEvent.occurred_at < utc_end_of(filters.date_to))

    query = select(AuditEvent).where(*conditions).limit(LOG_PAGE_SIZE + 1)
    if after is not None:  # the page above: read upwards from the cursor, shown newest first
        events = list(db.session.scalars(query.where(AuditEvent.id > after).order_by(AuditEvent.id)).all())
        newer = len(events) > LOG_PAGE_SIZE
        events = events[:LOG_PAGE_SIZE][::-1]
        older = bool(events) and _any(*conditions, AuditEvent.id < events[-1].id)
    else:
        if before is not None:
            query = query.where(AuditEvent.id < before)
        events = list(db.session.scalars(query.order_by(AuditEvent.id.desc())).all())
        older = len(events) > LOG_PAGE_SIZE
        events = events[:LOG_PAGE_SIZE]
        # Asked, not assumed: a cursor typed or bookmarked may stand anywhere.
        newer = before is not None and bool(events) and _any(*conditions, AuditEvent.id > events[0].id)
    return LogPage(
        _rows(events),
        older_than=events[-1].id if older else None,
        newer_than=events[0].id if newer else None,
        paged=before is not None or after is not None,
    )


def _any(*conditions) -> bool:
    return bool(db.session.scalar(select(exists().where(*conditions))))


def _rows(events: list[AuditEvent]) -> list[LogRow]:
    """The page's rows: who acted and the accounts acted on in one query, the applications (for
    their references and the editions that name checklist items) in one, the outlets in one."""
    accounts = users_by_id(
        {e.actor_id for e in events if e.actor_id}
        | {e.subject_id for e in events if e.subject_type == "user" and e.subject_id}
    )
    application_ids = {e.application_id for e in events if e.application_id}
    editions, references = (
        application_readings(Application.id.in_(application_ids)) if application_ids else ({}, {})
    )
    outlet_ids = {e.outlet_id for e in events if e.outlet_id and not e.application_id}
    outlets = (
        dict(db.session.execute(select(Outlet.id, Outlet.name).where(Outlet.id.in_(outlet_ids))).all())
        if outlet_ids
        else {}
    )
    entries = entries_of(events, accounts, editions, references)
    rows = []
    for event, entry in zip(events, entries, strict=True):
        actor = accounts.get(event.actor_id)
        record, label = _record(event, references, outlets, accounts)
        unknown = actor is None and event.action in NOT_SIGNED_IN_ACTS
        who = N_("Someone not signed in") if unknown else ""
        rows.append(LogRow(event.id, entry, who, actor.username if actor else None, record, label))
    return rows


def _record(event: AuditEvent, references: dict, outlets: dict, accounts: dict) -> tuple[str, str]:
    """What an event is about, as (text, label template): the application it belongs to, else the
    account, else its outlet, else the record by its kind and number."""
    if event.application_id in references:
        return references[event.application_id], N_("Application")
    # Before the outlet: an outlet clerk's account events carry the outlet too, but are about the
    # account (whose second factor was reset, who asked for a link).
    if event.subject_type == "user" and event.subject_id in accounts:
        return accounts[event.subject_id].username, N_("Account")
    if event.outlet_id in outlets:
        return outlets[event.outlet_id], N_("Outlet")
    label = SUBJECT_LABELS.get(event.subject_type)
    number = f"#{event.subject_id}" if event.subject_id is not None else ""
    if label is None:  # a kind no version of the code wrote: shown as stored, never hidden
        return f"{event.subject_type} {number}".strip(), ""
    return number, label
