"""The lists each role works from: the bureaus' queue, the approvals awaiting them, inspectors' visits."""

from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import Select, and_, case, exists, or_, select
from sqlalchemy.orm import aliased, selectinload

from outlet_audit.checklist.findings import OF_INSPECTION
from outlet_audit.checklist.kinds import AssessmentKind
from outlet_audit.checklist.models import Assessment, RectificationNotice
from outlet_audit.core.time import shanghai_date, today_in_shanghai, utc_end_of, utc_start_of
from outlet_audit.extensions import db
from outlet_audit.outlets.models import District, Outlet
from outlet_audit.roles import Agency
from outlet_audit.workflow.deadlines import Pause
from outlet_audit.workflow.models import Application, application_reference, inspection_assignments
from outlet_audit.workflow.states import FINAL_STATUSES, Level, Status

OPEN = "open"  # everything the bureau still has to deal with (the default)
ALL = "all"
# Drafts are the outlet's own work in progress: no bureau list shows them.
QUEUE_STATUSES = tuple(status for status in Status if status != Status.DRAFT)
OPEN_STATUSES = tuple(status.value for status in QUEUE_STATUSES if status not in FINAL_STATUSES)
VISIT_STATUSES = (Status.INSPECTION_SCHEDULED.value, Status.RECTIFICATION_SUBMITTED.value)
# The processing time limit runs while the bureaus hold the application: not while it is returned
# to the outlet (it is counted anew from the next submission) nor while the outlet rectifies.
CLOCK_STATUSES = frozenset(
    {
        Status.SUBMITTED,
        Status.ACCEPTED,
        Status.INSPECTION_SCHEDULED,
        Status.INSPECTED,
        Status.RECTIFICATION_SUBMITTED,
        Status.IN_APPROVAL,
    }
)

# The columns the queue sorts by: a name in the `sort` parameter ("-name": descending). Each
# ends with the id, so rows that tie keep one order from page to page.
SORT_KEYS = ("submitted", "outlet", "district", "level", "status", "inspection", "score")
_STATUS_ORDER = case({status.value: n for n, status in enumerate(Status)}, value=Application.status)
_LEVEL_ORDER = case({level.value: level.rank for level in Level}, value=Application.target_level)
# Aliases of the inspection records a list joins, made once: building an aliased entity on every
# request was a tenth of the queue's time. Each stands in its own place of a statement (the joined
# record, the later one an EXISTS looks for), so one of each serves every statement.
_RECORD = aliased(Assessment, name="record")
_LATER = aliased(Assessment, name="later_record")


@dataclass(frozen=True)
class QueueFilters:
    status: str = OPEN
    q: str = ""
    brand: str = ""
    target_level: str = ""
    district_id: int | None = None
    submitted_from: date | None = None
    submitted_to: date | None = None
    sort: str = ""  # a key of SORT_KEYS, "-" before it for descending; "" the status's usual order


def default_sort(status: str) -> str:
    """A work queue puts whoever waited longest first; any other list the newest submission."""
    return "submitted" if status == OPEN else "-submitted"


def queue_query(filters: QueueFilters, *, only_district_id: int | None) -> Select:
    """The ids of the applications matching the filters, in queue order, narrowed to one district
    unless `only_district_id` is None (queue_rows reads what a page shows of them)."""
    query = select(Application.id)
    if filters.q or filters.brand:
        query = query.join(Outlet, Outlet.id == Application.outlet_id)
    if only_district_id is not None:
        query = query.where(Application.district_id == only_district_id)
    elif filters.district_id:
        query = query.where(Application.district_id == filters.district_id)
    if filters.status == OPEN:
        query = query.where(Application.status.in_(OPEN_STATUSES))
    elif filters.status in {status.value for status in QUEUE_STATUSES}:
        query = query.where(Application.status == filters.status)
    else:
        query = query.where(Application.status != Status.DRAFT.value)
    if filters.q:
        query = query.where(
            or_(
                Outlet.name.icontains(filters.q, autoescape=True),
                Outlet.permit_number.icontains(filters.q, autoescape=True),
            )
        )
    if filters.brand:
        query = query.where(Outlet.brand == filters.brand)
    if filters.target_level:
        query = query.where(Application.target_level == filters.target_level)
    if filters.submitted_from:
        query = query.where(Application.submitted_at >= utc_start_of(filters.submitted_from))
    if filters.submitted_to:
        query = query.where(Application.submitted_at < utc_end_of(filters.submitted_to))
    sort = filters.sort or default_sort(filters.status)
    return _sorted(query, sort, joined_outlet=bool(filters.q or filters.brand))


def _sorted(query: Select, sort: str, *, joined_outlet: bool) -> Select:
    """Order by the sort named (SORT_KEYS), then by id the same way; empty values last either way.

    Only the inspection date and the score can be empty: the other columns are ordered plainly, so
    the usual order (by submission, which every listed application has) still walks the index
    (district_id, status, submitted_at, id) forwards or backwards. PostgreSQL reads "DESC NULLS
    LAST" from no ascending index.
    """
    key = sort.removeprefix("-")
    descending = sort.startswith("-")
    nullable = key in ("inspection", "score")
    if key == "outlet":
        if not joined_outlet:
            query = query.join(Outlet, Outlet.id == Application.outlet_id)
        column = Outlet.name
    elif key == "district":
        query = query.join(District, District.id == Application.district_id)
        column = District.sort_order
    elif key == "level":
        column = _LEVEL_ORDER
    elif key == "status":
        column = _STATUS_ORDER
    elif key == "inspection":
        column = Application.scheduled_for
    elif key == "score":
        joined = and_(_RECORD.application_id == Application.id, current_record(_RECORD))
        query = query.outerjoin(_RECORD, joined)
        column = _RECORD.final
    else:
        column = Application.submitted_at
    if descending:
        first = column.desc().nulls_last() if nullable else column.desc()
        return query.order_by(first, Application.id.desc())
    return query.order_by(column.asc().nulls_last() if nullable else column.asc(), Application.id.asc())


@dataclass(frozen=True)
class QueueRow:
    """What a bureau list shows of one application, read with its outlet and inspection score."""

    id: int
    created_at: datetime
    status: str
    target_level: str
    district_id: int
    submitted_at: datetime | None
    scheduled_for: date | None
    outlet_name: str
    brand: str
    permit_number: str
    final: object  # Decimal | None: the current score (the newest signed record in force)
    level_reached: str | None
    rectify_by: date | None  # the due date of a rectification notice the outlet has not answered yet
    awaiting_agency: str | None = None  # in approval: whose step comes next
    # The outlet's rectifications, from each notice to its answer (today while unanswered): the
    # processing time limit stops for them (workflow.deadlines).
    pauses: tuple[Pause, ...] = ()

    @property
    def reference(self) -> str:
        return application_reference(self.created_at, self.id)

    @property
    def submitted_on(self) -> date | None:
        return shanghai_date(self.submitted_at) if self.submitted_at else None

    @property
    def clock_runs(self) -> bool:
        """Tell whether the processing time limit runs now (the bureaus hold the application)."""
        return self.submitted_at is not None and self.status in CLOCK_STATUSES


def queue_rows(ids: list[int], today: date | None = None) -> list[QueueRow]:
    """The rows of one page of application ids, in that order, in one statement.

    Lists page over ids (db.paginate counts and orders them) and then read only the columns a
    row shows: no ORM objects, JSON columns or separate queries for districts and scores. An
    application comes back once per rectification notice (its pauses; the unanswered one's due
    date), so the notices cost no statement of their own.
    """
    if not ids:
        return []
    today = today or today_in_shanghai()
    inspection = _RECORD
    stmt = (
        select(
            Application.id,
            Application.created_at,
            Application.status,
            Application.target_level,
            Application.district_id,
            Application.submitted_at,
            Application.scheduled_for,
            Outlet.name,
            Outlet.brand,
            Outlet.permit_number,
            inspection.final,
            inspection.level_reached,
            Application.awaiting_agency,
            RectificationNotice.issued_at,
            RectificationNotice.submitted_at,
            RectificationNotice.due_on,
        )
        .join(Outlet, Outlet.id == Application.outlet_id)
        .outerjoin(inspection, and_(inspection.application_id == Application.id, current_record(inspection)))
        .outerjoin(
            RectificationNotice, and_(RectificationNotice.application_id == Application.id, OF_INSPECTION)
        )
        .where(Application.id.in_(ids))
        .order_by(Application.id, RectificationNotice.id)
    )
    columns: dict[int, tuple] = {}
    pauses: dict[int, list[Pause]] = {}
    rectify_by: dict[int, date] = {}
    for *row, issued_at, answered_at, due_on in db.session.execute(stmt):
        application_id = row[0]
        columns[application_id] = tuple(row)
        pauses.setdefault(application_id, [])
        if issued_at is None:
            continue  # no notice
        answered = shanghai_date(answered_at) if answered_at else today
        pauses[application_id].append(Pause(shanghai_date(issued_at), answered))
        if answered_at is None:
            rectify_by[application_id] = due_on  # the newest unanswered notice's, read last
    return [
        _row(columns[application_id], rectify_by.get(application_id), pauses[application_id])
        for application_id in ids
        if application_id in columns
    ]


def _row(columns: tuple, rectify_by: date | None, pauses: list[Pause]) -> QueueRow:
    *head, awaiting_agency = columns
    return QueueRow(*head, rectify_by, awaiting_agency, tuple(pauses))


def current_record(record):
    """The condition that `record` (an alias of Assessment) is its application's current inspection
    record: signed, not superseded, and no later one is (lists show its score)."""
    later = _LATER
    return and_(
        record.kind == AssessmentKind.INSPECTION,
        record.signed_off_at.is_not(None),
        record.superseded_at.is_(None),
        ~exists().where(
            later.application_id == record.application_id,
            later.kind == AssessmentKind.INSPECTION,
            later.signed_off_at.is_not(None),
            later.superseded_at.is_(None),
            later.sequence > record.sequence,
        ),
    )


def inspections_of(applications) -> dict[int, Assessment]:
    """The newest inspection record of each application, in one query (lists show its state and
    score: the visit being filled in, or the last one signed)."""
    ids = [application.id for application in applications]
    if not ids:
        return {}
    rows = db.session.scalars(
        select(Assessment)
        .where(Assessment.application_id.in_(ids), Assessment.kind == AssessmentKind.INSPECTION)
        .order_by(Assessment.sequence)
    )
    return {assessment.application_id: assessment for assessment in rows}  # the newest wins


def awaiting_query(agency: Agency | None, district_id: int | None) -> Select:
    """The applications whose next approval step is the agency's (in the district, for a district
    agency), longest waiting first."""
    query = select(Application.id).where(
        Application.status == Status.IN_APPROVAL.value,
        Application.awaiting_agency == (agency.value if agency is not None else None),
    )
    if district_id is not None:
        query = query.where(Application.district_id == district_id)
    return query.order_by(Application.updated_at.asc(), Application.id.asc())


def assignments_query(inspector_id: int, *, upcoming: bool) -> Select:
    """An inspector's visits: those still to do (soonest first) or those done (latest first)."""
    query = (
        select(Application)
        .options(selectinload(Application.inspectors))
        .join(inspection_assignments, inspection_assignments.c.application_id == Application.id)
        .where(inspection_assignments.c.inspector_id == inspector_id)
    )
    if upcoming:
        return query.where(Application.status.in_(VISIT_STATUSES)).order_by(
            Application.scheduled_for.asc(), Application.id.asc()
        )
    return query.where(Application.status.not_in(VISIT_STATUSES)).order_by(
        Application.scheduled_for.desc(), Application.id.desc()
    )
