"""The dashboard's maintained counts: what inspections answered and found, kept as running totals.

The item pass rates read every answer of every first inspection and the rectification figures
every finding: ten million rows at 100,000 outlets, so computing them cold grew with the data.
Now each figure sums a few hundred rows of `dashboard_item_counts` and `dashboard_finding_counts`
(models.py), whatever the number of outlets:

- Every fact is counted in 32 rows: its district, brand and level, each or "every" (8 ways),
  times its Shanghai day, month, year and all time. A filter reads one of the 8 and covers its
  date range with whole years, whole months and the days at its edges (`period_ranges`).
- The counts change in the transaction that changes what they count, on every path, by the
  flush hooks at the end of this module: before a flush, the current contribution of each
  application the flush touches is taken away; after it, the application's new contribution is
  added. So a sign-off, a correction that supersedes a record, a notice, an outlet's answer, a
  verification, a brand changed, a record deleted: each is counted exactly, by the same two SQL
  statements that `rebuild` runs over every application.
- Whether an answer earns full marks is the scoring code's question, asked once per distinct
  (edition, item, value) and kept in `dashboard_answer_scores`, so the counting stays in SQL.

tests/web/test_dashboard_counts.py holds the promise: after random sequences of operations
(sign-offs, corrections, notices, answers, verification, brand changes, revocation, deletion) the
figures read from the counts equal a recount from the records, on SQLite and PostgreSQL.
"""

import enum
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import MAXYEAR, date, timedelta
from decimal import Decimal

from sqlalchemy import and_, case, func, literal, literal_column, or_, select, text, union_all
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from outlet_audit.checklist.findings import VERIFIED  # closed or verified not closed: settled
from outlet_audit.checklist.kinds import AssessmentKind, FindingStatus, VisitType
from outlet_audit.checklist.models import Answer, Assessment, Finding, RectificationNotice
from outlet_audit.checklist.service import value_from_json
from outlet_audit.criteria.model import Edition, Item
from outlet_audit.criteria.stored import StoredEdition
from outlet_audit.outlets.models import Outlet
from outlet_audit.scoring import answer_type
from outlet_audit.workflow.models import Application

from .models import AnswerScore, FindingCount, ItemCount
from .sql import month_start, shanghai_date, shanghai_days_between, year_start

EVERY_DISTRICT, EVERY_BRAND, EVERY_LEVEL = 0, "", ""
ALL_TIME = date(1970, 1, 1)  # the period of the all-time rows
NO_DAY = date(1970, 1, 1)  # FindingCount.due_on of findings not waiting
NO_VALUE = ""  # AnswerScore.value of an answer without one, and of every N/A answer
NOT_CLOSED_DAYS = -1  # FindingCount.days of findings not closed after a notice

WAITING = (FindingStatus.ORDERED.value, FindingStatus.ANSWERED.value)  # for the outlet or the inspector


class Grain(enum.StrEnum):
    DAY = "D"
    MONTH = "M"
    YEAR = "Y"
    ALL = "A"


# --- periods (pure) ------------------------------------------------------------------------------


@dataclass(frozen=True)
class PeriodRange:
    """Rows of one grain whose period lies from `first` to `last`, both included."""

    grain: Grain
    first: date
    last: date


def period_ranges(start: date | None, end: date | None) -> list[PeriodRange]:
    """The rows that cover the Shanghai days from `start` to `end` (open where None) exactly once:
    whole years, then whole months and single days at the edges (at most about 85 rows per item)."""
    if start is None and end is None:
        return [PeriodRange(Grain.ALL, ALL_TIME, ALL_TIME)]
    start = start or date.min
    end = end or date.max
    if start > end:
        return []
    first_year = start.year if (start.month, start.day) == (1, 1) else start.year + 1
    last_year = end.year if (end.month, end.day) == (12, 31) else end.year - 1
    if first_year > last_year:
        return _month_ranges(start, end)
    ranges = [PeriodRange(Grain.YEAR, date(first_year, 1, 1), date(last_year, 1, 1))]
    if start < date(first_year, 1, 1):
        ranges += _month_ranges(start, date(first_year, 1, 1) - timedelta(days=1))
    if last_year < MAXYEAR and end > date(last_year, 12, 31):
        ranges += _month_ranges(date(last_year + 1, 1, 1), end)
    return ranges


def _month_ranges(start: date, end: date) -> list[PeriodRange]:
    first_month = start if start.day == 1 else _next_month(start)
    last_month = end.replace(day=1)
    if end != _month_end(end):
        last_month = (last_month - timedelta(days=1)).replace(day=1)
    if first_month is None or first_month > last_month:
        return [PeriodRange(Grain.DAY, start, end)]
    ranges = [PeriodRange(Grain.MONTH, first_month, last_month)]
    if start < first_month:
        ranges.append(PeriodRange(Grain.DAY, start, first_month - timedelta(days=1)))
    after = _next_month(last_month)
    if after is not None and end >= after:
        ranges.append(PeriodRange(Grain.DAY, after, end))
    return ranges


def _next_month(day: date) -> date | None:
    """The first of the month after `day`'s (None after the last month there is)."""
    if day.month == 12:
        return None if day.year == MAXYEAR else date(day.year + 1, 1, 1)
    return date(day.year, day.month + 1, 1)


def _month_end(day: date) -> date:
    after = _next_month(day)
    return date.max if after is None else after - timedelta(days=1)


# --- reading ---------------------------------------------------------------------------------------


def where_filtered(model, *, district_id, brand, level, date_from, date_to) -> list:
    """The rows of a counts table that hold one filter combination's figures."""
    periods = [
        and_(model.grain == r.grain.value, model.period >= r.first, model.period <= r.last)
        for r in period_ranges(date_from, date_to)
    ]
    return [
        model.district_id == (EVERY_DISTRICT if district_id is None else district_id),
        model.brand == (EVERY_BRAND if brand is None else brand),
        model.level == (EVERY_LEVEL if level is None else level),
        or_(*periods) if periods else literal(False),
    ]


# --- what one application contributes ---------------------------------------------------------------


def first_visits() -> list:
    """The records that tell what outlets get wrong: each application's first inspection as it
    stands (signed; once a correction of it is signed, the correction instead).

    Re-inspections are left out: their answers are the rectified ones, and a failure found at the
    first visit stays counted after it was put right.
    """
    return [
        Assessment.kind == AssessmentKind.INSPECTION,
        Assessment.visit_type == VisitType.INITIAL,
        Assessment.signed_off_at.is_not(None),
        Assessment.superseded_at.is_(None),
    ]


def records_in_force() -> list:
    """The inspection records whose findings count: signed and not superseded by a correction
    (re-inspections included, supervision visits not)."""
    return [
        Assessment.kind == AssessmentKind.INSPECTION,
        Assessment.signed_off_at.is_not(None),
        Assessment.superseded_at.is_(None),
    ]


def _sum(expression):
    return func.coalesce(func.sum(expression), 0)


def _when(condition):
    return _sum(case((condition, 1), else_=0))


def _dimensions(day):
    return (
        Application.district_id.label("district_id"),
        Outlet.brand.label("brand"),
        func.coalesce(Application.target_level, EVERY_LEVEL).label("level"),
        day.label("day"),
    )


def _item_facts(application_ids: list[int] | None):
    """First-inspection answers of scored items, summed per district, brand, level, day, item and
    edition (of these applications; None: of all)."""
    value_key = case((Answer.not_applicable.is_(True), NO_VALUE), else_=func.coalesce(Answer.value, NO_VALUE))
    keys = (*_dimensions(shanghai_date(Assessment.signed_off_at)), Answer.item_code, Application.edition_pk)
    stmt = (
        select(
            *keys,
            func.count().label("answers"),
            _sum(AnswerScore.answered).label("answered"),
            _sum(AnswerScore.passed).label("passed"),
            _when(Answer.not_applicable.is_(True)).label("not_applicable"),
        )
        .select_from(Answer)
        .join(Assessment, Assessment.id == Answer.assessment_id)
        .join(Application, Application.id == Assessment.application_id)
        .join(Outlet, Outlet.id == Application.outlet_id)
        .join(
            AnswerScore,
            and_(
                AnswerScore.edition_pk == Application.edition_pk,
                AnswerScore.item_code == Answer.item_code,
                AnswerScore.not_applicable == Answer.not_applicable,
                AnswerScore.value == value_key,
            ),
        )
        .where(*first_visits())
        .group_by(*keys)
    )
    if application_ids is not None:
        stmt = stmt.where(Application.id.in_(application_ids))
    return stmt


def _finding_facts(application_ids: list[int] | None):
    """Findings of records in force, summed per district, brand, level, day, item, due date of those
    still waiting, and days to close of those closed after a notice."""
    closed = Finding.status == FindingStatus.CLOSED.value
    waiting = Finding.status.in_(WAITING)
    due = case((waiting, RectificationNotice.due_on), else_=literal(NO_DAY))
    days = case(
        (
            and_(closed, RectificationNotice.id.is_not(None)),
            shanghai_days_between(RectificationNotice.issued_at, Finding.closed_at),
        ),
        else_=NOT_CLOSED_DAYS,
    )
    keys = (
        *_dimensions(shanghai_date(Assessment.signed_off_at)),
        Finding.item_code,
        due.label("due_on"),
        days.label("days"),
    )
    stmt = (
        select(
            *keys,
            func.count().label("found"),
            _when(Finding.notice_id.is_not(None)).label("ordered"),
            _when(Finding.status == FindingStatus.NOT_REQUIRED.value).label("not_required"),
            _when(closed).label("closed"),
            _when(Finding.status.in_(VERIFIED)).label("verified"),
            _when(and_(closed, shanghai_date(Finding.closed_at) <= RectificationNotice.due_on)).label(
                "closed_on_time"
            ),
            _when(waiting).label("waiting"),
        )
        .select_from(Finding)
        .join(Assessment, Assessment.id == Finding.assessment_id)
        .join(Application, Application.id == Finding.application_id)
        .join(Outlet, Outlet.id == Application.outlet_id)
        .outerjoin(RectificationNotice, RectificationNotice.id == Finding.notice_id)
        .where(*records_in_force())
        .group_by(*keys)
    )
    if application_ids is not None:
        stmt = stmt.where(Application.id.in_(application_ids))
    return stmt


@dataclass(frozen=True)
class Counted:
    model: type
    facts: object  # application ids (None: all) -> the facts statement
    keys: tuple[str, ...]  # the facts' columns after the four dimensions, also the table's
    measures: tuple[str, ...]


ITEMS = Counted(
    ItemCount, _item_facts, ("item_code", "edition_pk"), ("answers", "answered", "passed", "not_applicable")
)
FINDINGS = Counted(
    FindingCount,
    _finding_facts,
    ("item_code", "due_on", "days"),
    ("found", "ordered", "not_required", "closed", "verified", "closed_on_time", "waiting"),
)


def _ways(grains: tuple[Grain, ...]):
    """The rows each fact is counted in: each dimension kept or rolled up (8 ways), times the grains."""
    rows = [
        select(
            literal_column(str(district)).label("by_district"),
            literal_column(str(brand)).label("by_brand"),
            literal_column(str(level)).label("by_level"),
            literal_column(f"'{grain.value}'").label("grain"),
        )
        for district in (0, 1)
        for brand in (0, 1)
        for level in (0, 1)
        for grain in grains
    ]
    return union_all(*rows).subquery("ways")


def _add(
    connection, counted: Counted, application_ids: list[int] | None, sign: int, grains=tuple(Grain)
) -> None:
    """Add (sign 1) or take away (sign -1) these applications' facts, as they are stored now."""
    facts = counted.facts(application_ids).subquery("facts")
    ways = _ways(grains)
    period = case(
        (ways.c.grain == Grain.DAY.value, facts.c.day),
        (ways.c.grain == Grain.MONTH.value, month_start(facts.c.day)),
        (ways.c.grain == Grain.YEAR.value, year_start(facts.c.day)),
        else_=literal(ALL_TIME),
    )
    keys = (
        case((ways.c.by_district == 1, facts.c.district_id), else_=EVERY_DISTRICT).label("district_id"),
        case((ways.c.by_brand == 1, facts.c.brand), else_=EVERY_BRAND).label("brand"),
        case((ways.c.by_level == 1, facts.c.level), else_=EVERY_LEVEL).label("level"),
        ways.c.grain.label("grain"),
        period.label("period"),
        *(facts.c[key] for key in counted.keys),
    )
    rows = (
        select(*keys, *(func.sum(facts.c[m] * sign).label(m) for m in counted.measures))
        .select_from(facts.join(ways, literal(True)))
        .where(literal(True))  # SQLite reads "ON CONFLICT" after a join as the join's ON without it
        .group_by(*keys)
    )
    _upsert(connection, counted, [key.name for key in keys], rows)


def _upsert(connection, counted: Counted, names: list[str], rows) -> None:
    """Insert the rows, or add their measures to the rows already there."""
    table = counted.model.__table__
    insert = {"postgresql": postgresql_insert, "sqlite": sqlite_insert}[connection.dialect.name]
    stmt = insert(table).from_select(names + list(counted.measures), rows)
    key_columns = [column.name for column in table.primary_key.columns]
    connection.execute(
        stmt.on_conflict_do_update(
            index_elements=key_columns,
            set_={m: table.c[m] + stmt.excluded[m] for m in counted.measures},
        )
    )


# --- scores -------------------------------------------------------------------------------------


_EDITIONS: dict[str, dict] = {}  # content hash -> scored items by code (an edition never changes)


def _scored_items(connection, edition_pk: int) -> dict:
    content_hash = connection.execute(
        select(StoredEdition.content_hash).where(StoredEdition.id == edition_pk)
    ).scalar_one()
    if content_hash not in _EDITIONS:
        snapshot = connection.execute(
            select(StoredEdition.snapshot).where(StoredEdition.id == edition_pk)
        ).scalar_one()
        edition = Edition.from_snapshot(snapshot, source=f"snapshot {content_hash[:12]}")
        _EDITIONS[content_hash] = {item.code: item for item in edition.items()}
    return _EDITIONS[content_hash]


def score_answers(connection, application_ids: list[int] | None) -> None:
    """Keep the score of every distinct answer of these applications' first inspections that has none."""
    value_key = case((Answer.not_applicable.is_(True), NO_VALUE), else_=func.coalesce(Answer.value, NO_VALUE))
    missing = (
        select(Application.edition_pk, Answer.item_code, Answer.not_applicable, value_key)
        .select_from(Answer)
        .join(Assessment, Assessment.id == Answer.assessment_id)
        .join(Application, Application.id == Assessment.application_id)
        .where(*first_visits())
        .where(
            ~select(AnswerScore.edition_pk)
            .where(
                AnswerScore.edition_pk == Application.edition_pk,
                AnswerScore.item_code == Answer.item_code,
                AnswerScore.not_applicable == Answer.not_applicable,
                AnswerScore.value == value_key,
            )
            .exists()
        )
        .distinct()
    )
    if application_ids is not None:
        missing = missing.where(Application.id.in_(application_ids))
    rows = connection.execute(missing).all()
    if not rows:
        return
    editions = {edition_pk: _scored_items(connection, edition_pk) for edition_pk in {row[0] for row in rows}}
    scores = []
    for edition_pk, code, not_applicable, value in rows:
        item = editions[edition_pk].get(code)
        if item is None:
            continue  # a bonus item, or not in the edition: counted nowhere
        answered, passed = (0, 0) if not_applicable or value == NO_VALUE else answer_score(item, value)
        scores.append(
            {
                "edition_pk": edition_pk,
                "item_code": code,
                "not_applicable": not_applicable,
                "value": value,
                "answered": answered,
                "passed": passed,
            }
        )
    if scores:
        insert = {"postgresql": postgresql_insert, "sqlite": sqlite_insert}[connection.dialect.name]
        connection.execute(insert(AnswerScore.__table__).on_conflict_do_nothing(), scores)


def answer_score(item: Item, stored_value: str) -> tuple[int, int]:
    """(answered, passed) of a stored answer: answered once it holds a value, passed when it earns
    full marks (a value not valid for the item earns nothing)."""
    return 1, int(earns_full_marks(item, stored_value))


def read_stored_answer(item: Item, stored_value: str | None):
    """The engine's value of a stored answer (JSON text); None when absent or not valid for the item."""
    try:
        value = value_from_json(item, stored_value)
    except ValueError:
        return None
    if value is None or answer_type(item.answer.type).check(item.answer, value) is not None:
        return None
    return value


def points_earned(item: Item, value) -> Decimal:
    return answer_type(item.answer.type).earned(item.answer, item.points, value)


def earns_full_marks(item: Item, stored_value: str | None) -> bool:
    value = read_stored_answer(item, stored_value)
    return value is not None and points_earned(item, value) == item.points


# --- maintaining them ---------------------------------------------------------------------------------


def _serialise(connection) -> None:
    """One maintainer at a time on PostgreSQL: every maintainer adds to the same all-time rows, and
    two that took row locks in different orders over several flushes could deadlock."""
    if connection.dialect.name == "postgresql":
        connection.execute(text("SELECT pg_advisory_xact_lock(2325)"))


def take_away(connection, application_ids: Iterable[int]) -> None:
    ids = sorted(set(application_ids))
    if ids:
        _serialise(connection)
        for counted in (ITEMS, FINDINGS):
            _add(connection, counted, ids, -1)


def put_back(connection, application_ids: Iterable[int]) -> None:
    ids = sorted(set(application_ids))
    if ids:
        score_answers(connection, ids)
        for counted in (ITEMS, FINDINGS):
            _add(connection, counted, ids, 1)


def rebuild(connection) -> None:
    """Count everything again from the records (migrations, seeding, `flask dashboards recount`)."""
    _serialise(connection)
    for counted in (ITEMS, FINDINGS):
        connection.execute(counted.model.__table__.delete())
    score_answers(connection, None)
    for counted in (ITEMS, FINDINGS):
        # The days from the records, then each grain from the one below: ten million answers are
        # read once and grouped 8 ways, not 32.
        _add(connection, counted, None, 1, grains=(Grain.DAY,))
        for grain, below, start in (
            (Grain.MONTH, Grain.DAY, month_start),
            (Grain.YEAR, Grain.MONTH, year_start),
            (Grain.ALL, Grain.YEAR, lambda _period: literal(ALL_TIME)),
        ):
            _roll_up(connection, counted, grain, below, start)


def _roll_up(connection, counted: Counted, grain: Grain, below: Grain, start) -> None:
    table = counted.model.__table__
    period = start(table.c.period)
    kept = (table.c.district_id, table.c.brand, table.c.level, *(table.c[key] for key in counted.keys))
    rows = (
        select(
            *kept[:3],
            literal_column(f"'{grain.value}'").label("grain"),
            period.label("period"),
            *kept[3:],
            *(func.sum(table.c[m]).label(m) for m in counted.measures),
        )
        .where(table.c.grain == below.value)
        # No constant in GROUP BY: PostgreSQL refuses one (the all-time period is one).
        .group_by(*kept, *([] if grain is Grain.ALL else [period]))
    )
    names = ["district_id", "brand", "level", "grain", "period", *counted.keys]
    _upsert(connection, counted, names, rows)
