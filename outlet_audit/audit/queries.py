"""Reading the audit trail as a timeline: who did what, when, from what to what, and why.

Only reads. Each event becomes a `TimelineEntry` whose sentence and values are translated for
the reader through the registry (audit.events, audit.display), so the partial
`audit/_timeline.html` just lays them out: newest first, by day, a visit's steps (a
self-assessment, an inspection round) and a run of declarations folded into one entry each.
"""

from dataclasses import dataclass
from datetime import UTC, date, datetime

from babel.lists import format_list as babel_format_list
from flask_babel import ngettext
from markupsafe import Markup
from sqlalchemy import and_, func, not_, or_, select
from sqlalchemy.orm import joinedload

from outlet_audit.accounts.forms import ROLE_LABELS
from outlet_audit.accounts.models import User
from outlet_audit.audit.display import Readings, event_text, t
from outlet_audit.audit.events import KIND_LABELS, Kind, assessment_kind, event_type
from outlet_audit.audit.models import AuditEvent
from outlet_audit.checklist.kinds import ASSESSMENT_KIND_LABELS, AssessmentKind
from outlet_audit.checklist.models import Assessment
from outlet_audit.checklist.permissions import inspection_visible_to
from outlet_audit.core.i18n import current_language, request_locale
from outlet_audit.core.time import SHANGHAI
from outlet_audit.criteria.editions import pinned_edition
from outlet_audit.extensions import db
from outlet_audit.outlets.reference import all_districts
from outlet_audit.text import N_
from outlet_audit.workflow.models import Application
from outlet_audit.workflow.states import Action

OUTLET_TIMELINE_LIMIT = 200
# Events about an inspection name it in their field, "inspection:<item code>": answers saved,
# evidence uploaded or removed, signatures drawn (the checklist writes them so).
INSPECTION_FIELD_PREFIX = f"{AssessmentKind.INSPECTION}:"
# After the certificate (supervision visits, yearly self-checks): not the application's story, which
# ends with its certificate; the outlet reads a visit on its check's page once the team has signed.
SUPERVISION_FIELD_PREFIX = f"{AssessmentKind.SUPERVISION}:"
AFTER_CERTIFICATE_PREFIXES = (SUPERVISION_FIELD_PREFIX, f"{AssessmentKind.YEARLY}:")


@dataclass(frozen=True)
class TimelineEntry:
    occurred_at: datetime
    actor: str
    actor_role: str
    what: str  # the sentence (Markup: its values are escaped into it)
    old: str | None
    new: str | None
    reason: str | None  # as a person typed it
    details: tuple["TimelineEntry", ...] = ()  # the steps of a folded entry, oldest first
    kind: str = ""  # the filter groups (audit.events.Kind) it belongs to, space-separated
    show_change: bool = False  # show "old → new" under the sentence
    change_label: str | None = None
    note: str | None = None  # what the system wrote about it (Markup), translated
    application_id: int | None = None
    application_ref: str | None = None  # named on the outlet's timeline, which spans applications
    action: str = ""  # the audit row's action ("" for a folded run)

    @property
    def local(self) -> datetime:
        """When it happened, in Shanghai (the database keeps naive UTC)."""
        return self.occurred_at.replace(tzinfo=UTC).astimezone(SHANGHAI)

    @property
    def day(self) -> date:
        return self.local.date()

    @property
    def clock(self) -> str:
        return self.local.strftime("%H:%M")


class Timeline(list):
    """TimelineEntry items, newest first, with what the page lays them out by."""

    @property
    def days(self) -> list[tuple[date, list[TimelineEntry]]]:
        days: list[tuple[date, list[TimelineEntry]]] = []
        for entry in self:
            if not days or days[-1][0] != entry.day:
                days.append((entry.day, []))
            days[-1][1].append(entry)
        return days

    @property
    def filters(self) -> list[tuple[str, str]]:
        """(kind, label) of every filter group some entry belongs to, in the registry's order."""
        present = {kind for entry in self for kind in entry.kind.split()}
        return [(kind.value, t(KIND_LABELS[kind])) for kind in Kind if kind in present]


def application_timeline(application_id: int, *, viewer, inspection: Assessment | None) -> Timeline:
    """Every event of one application the viewer may see, newest first: the story of the application.

    `inspection` is the application's inspection as the caller has read it (None: there is none);
    while the viewer may not see it, its events are left out by the query itself.
    A visit's steps on one day (answers, files and signatures of the self-assessment or of one
    inspection round) and a run of declarations become one entry whose details list every step,
    so the history stays readable and nothing is left out.
    """
    # The page has read the application and its edition: both come from the session, no query.
    application = db.session.get(Application, application_id)
    status = application.status if application is not None else None
    visible = {application_id} if inspection_visible_to(viewer, inspection, status) else set()
    query = (
        select(AuditEvent)
        .where(
            AuditEvent.application_id == application_id,
            _inspection_events_only_of(visible),
            ~_about(AFTER_CERTIFICATE_PREFIXES),
        )
        .order_by(AuditEvent.id)
    )
    events = db.session.scalars(query).all()
    editions = {application_id: pinned_edition(application.edition)} if application else {}
    return _timeline(events, editions, {})


def _about(prefixes: tuple[str, ...]):
    """A condition: the event is about a checklist of one of these kinds ("supervision:1.3")."""
    field = func.coalesce(AuditEvent.field, "")
    return or_(*(field.startswith(prefix) for prefix in prefixes))


def _inspection_events_only_of(application_ids: set[int]):
    """A condition: no event about an inspection unless it is of one of these applications.

    Deny by default: an inspection event of any other application, or of none, is left out.
    """
    about_inspection = func.coalesce(AuditEvent.field, "").startswith(INSPECTION_FIELD_PREFIX)
    return or_(not_(about_inspection), AuditEvent.application_id.in_(application_ids))


def outlet_timeline(outlet_id: int, *, viewer, limit: int = OUTLET_TIMELINE_LIMIT) -> Timeline:
    """The outlet's profile changes and its applications' events the viewer may see, newest first."""
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
    # Whoever sees even an inspection not signed off (or not begun) sees every inspection: no
    # need to read them. Everyone else sees the events of the inspections the rule lets them see,
    # as the application's timeline does: by its newest record (the events name an item, not the
    # record, so a correction under way would otherwise show through a signed record before it).
    if not inspection_visible_to(viewer, None, None):
        inspections = db.session.execute(
            select(Assessment, Application.status)
            .join(Application, Application.id == Assessment.application_id)
            .where(Application.outlet_id == outlet_id, Assessment.kind == AssessmentKind.INSPECTION)
            .order_by(Assessment.sequence)
        )
        newest = {a.application_id: (a, status) for a, status in inspections}
        visible = {
            application_id
            for application_id, (a, status) in newest.items()
            if inspection_visible_to(viewer, a, status)
        }
        query = query.where(_inspection_events_only_of(visible), ~_about((SUPERVISION_FIELD_PREFIX,)))
    events = list(reversed(db.session.scalars(query).all()))
    editions, references = application_readings(Application.outlet_id == outlet_id)
    return _timeline(events, editions, references)


def application_readings(condition) -> tuple[dict, dict]:
    """The editions (which name checklist items) and references of the applications `condition`
    selects, by application id, in one query: what entries about them need to read."""
    applications = db.session.scalars(
        select(Application).where(condition).options(joinedload(Application.edition))
    ).all()
    return {a.id: pinned_edition(a.edition) for a in applications}, {a.id: a.reference for a in applications}


def users_by_id(ids: set[int]) -> dict[int, User]:
    """The accounts with these ids (none read when there are none)."""
    return {user.id: user for user in db.session.scalars(select(User).where(User.id.in_(ids)))} if ids else {}


def subject_timeline(subject_type: str, subject_id: int) -> Timeline:
    """Every event recorded about one record that is neither an application nor an outlet (a public
    complaint), newest first; its page decides who may read it."""
    events = db.session.scalars(
        select(AuditEvent)
        .where(AuditEvent.subject_type == subject_type, AuditEvent.subject_id == subject_id)
        .order_by(AuditEvent.id)
    ).all()
    return _timeline(list(events), {}, {})


# --- from rows to entries --------------------------------------------------------------------


def _timeline(events: list[AuditEvent], editions: dict, references: dict[int, str]) -> Timeline:
    """Entries for events given oldest first: folded by visit and day, then newest first."""
    actors = users_by_id({event.actor_id for event in events if event.actor_id})
    entries = entries_of(events, actors, editions, references)
    return Timeline(reversed(_folded(events, entries)))


def entries_of(
    events: list[AuditEvent], actors: dict[int, User], editions: dict, references: dict[int, str]
) -> list[TimelineEntry]:
    """One entry per event, in the given order: its sentence and values as the reader reads them.
    `actors`: the accounts that acted, by id (an event whose actor is missing is the system's)."""
    readings = Readings(current_language(), editions, _district_names() if _names_a_district(events) else {})
    system = t(N_("The system"))
    entries = []
    for event in events:
        actor = actors.get(event.actor_id)
        text = event_text(event, actor.display_name if actor else system, readings)
        entries.append(
            TimelineEntry(
                occurred_at=event.occurred_at,
                actor=actor.display_name if actor else system,
                actor_role=str(ROLE_LABELS.get(actor.role, "")) if actor else "",
                what=text.what,
                old=text.old,
                new=text.new,
                reason=text.reason,
                kind=text.kind.value,
                show_change=text.show_change,
                change_label=text.change_label,
                note=text.note,
                application_id=event.application_id,
                application_ref=references.get(event.application_id),
                action=event.action,
            )
        )
    return entries


def _names_a_district(events: list[AuditEvent]) -> bool:
    return any(event.field == "district_id" for event in events)


def _district_names() -> dict[str, str]:
    lang = current_language()
    return {str(d.id): d.name(lang) for d in all_districts()}


def _folded(events: list[AuditEvent], entries: list[TimelineEntry]) -> list[TimelineEntry]:
    """Fold each run of steps of one visit on one day (and each run of declarations) into one entry."""
    rounds: dict[int | None, int] = {}  # inspection round of each application, from its reopenings
    folded: list[TimelineEntry] = []
    run: list[TimelineEntry] = []
    run_key = None
    for event, entry in zip(events, entries, strict=True):
        key = _fold_key(event, entry, rounds)
        if run and key != run_key:
            folded.append(run[0] if len(run) == 1 else _summary(run_key, run))
            run = []
        if key is None:
            folded.append(entry)
        else:
            run.append(entry)
            run_key = key
        if event.action == "transition" and event.field == Action.REOPEN_INSPECTION:
            rounds[event.application_id] = rounds.get(event.application_id, 1) + 1
    if run:
        folded.append(run[0] if len(run) == 1 else _summary(run_key, run))
    return folded


def _fold_key(event: AuditEvent, entry: TimelineEntry, rounds: dict) -> tuple | None:
    kind = assessment_kind(event.field)
    if kind and event_type(event.action).visit:
        round_number = rounds.get(event.application_id, 1) if kind == AssessmentKind.INSPECTION else 1
        return ("visit", event.application_id, kind, round_number, entry.day)
    if event.action == "draft_saved" and (event.field or "").startswith("eligibility:"):
        return ("declarations", event.application_id, entry.day)
    return None


def _summary(key: tuple, run: list[TimelineEntry]) -> TimelineEntry:
    """One entry for a run: what was done in it, by whom; each step kept in `details`."""
    if key[0] == "declarations":
        what = t(N_("%(count)d declarations answered")) % {"count": len(run)}
    else:
        _visit, _application, kind, round_number, _day = key
        what = t(N_("%(visit)s: %(summary)s")) % {
            "visit": _visit_label(kind, round_number),
            "summary": format_list([part for part in _counts(run) if part]),
        }
    last = run[-1]
    names = list(dict.fromkeys(entry.actor for entry in run))
    roles = list(dict.fromkeys(entry.actor_role for entry in run if entry.actor_role))
    kinds = {kind for entry in run for kind in entry.kind.split()}
    return TimelineEntry(
        occurred_at=last.occurred_at,
        actor=format_list(names),
        actor_role=format_list(roles) if roles else "",
        what=Markup.escape(what),
        old=None,
        new=None,
        reason=None,
        details=tuple(run),
        kind=" ".join(kind.value for kind in Kind if kind in kinds),
        application_id=last.application_id,
        application_ref=last.application_ref,
    )


def format_list(parts: list[str]) -> str:
    """Parts joined as the reader's language joins a list (“A、B和C”, “A, B, and C”)."""
    return babel_format_list(parts, locale=request_locale())


def _visit_label(kind: AssessmentKind, round_number: int) -> str:
    if kind == AssessmentKind.INSPECTION and round_number > 1:
        return t(N_("Inspection, round %(round)d")) % {"round": round_number}
    return t(ASSESSMENT_KIND_LABELS[kind])


def _counts(run: list[TimelineEntry]) -> list[str]:
    """What a visit's run holds, counted: answers saved, files uploaded and removed, signatures."""
    actions = [entry.action for entry in run]
    return [
        ngettext("%(num)d answer saved", "%(num)d answers saved", n)
        if (n := actions.count("answer_saved"))
        else "",
        ngettext("%(num)d file uploaded", "%(num)d files uploaded", n)
        if (n := actions.count("evidence_uploaded") + actions.count("evidence_marked"))
        else "",
        ngettext("%(num)d file removed", "%(num)d files removed", n)
        if (n := actions.count("evidence_deleted"))
        else "",
        ngettext("%(num)d signature added", "%(num)d signatures added", n)
        if (n := actions.count("signature_added"))
        else "",
    ]
