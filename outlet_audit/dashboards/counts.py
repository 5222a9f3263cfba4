"""The dashboard's maintained counts: every figure it shows, kept as running totals.

Counting from the records read every answer of every first inspection (ten million rows at
100,000 outlets), every finding, application and certificate: computing the dashboard cold grew
with the data. Now each figure sums a few hundred rows of the counts tables (models.py), whatever
the number of outlets:

- Every fact (facts.py) is counted in up to 32 rows: its district, brand and level, each or
  "every" (8 ways), times its Shanghai day, month, year and all time. A filter reads one of the 8
  and covers its date range with whole years, whole months and the days at its edges
  (`period_ranges`). What depends on today (expired, expiring, overdue, in force) is kept by the
  date it turns on, and read with today's date.
- The counts change in the transaction that changes what they count, on every path: the flush
  hooks (upkeep.py) take away what the touched applications and outlets counted before a flush
  and count them again after it, with the same statements `rebuild` runs over everything.

tests/web/test_dashboard_counts.py holds the promise: after random sequences of operations
(sign-offs, corrections, notices, answers, verification, brand changes, revocation, withdrawal)
the figures read from the counts equal a recount from the records, on SQLite and PostgreSQL.
"""

import enum
from dataclasses import dataclass, field
from datetime import MAXYEAR, date, timedelta
from functools import cache

from sqlalchemy import (
    Integer,
    and_,
    bindparam,
    case,
    func,
    literal,
    literal_column,
    or_,
    select,
    text,
    union_all,
)

from outlet_audit.outlets.reference import all_districts
from outlet_audit.workflow.states import Level

from . import facts
from .facts import EVERY_BRAND, EVERY_DISTRICT, EVERY_LEVEL
from .models import (
    ActiveCertificateCount,
    ApplicationCount,
    CertificateCount,
    ClosedFindingCount,
    CoverageCount,
    FindingCount,
    ItemCount,
    NoticeCount,
    OutletCount,
    WaitingFindingCount,
)
from .sql import month_start, upsert_insert, year_start

ALL_TIME = date(1970, 1, 1)  # the period of the all-time rows


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


def where_filtered(
    model,
    *,
    district_id=None,
    brand=None,
    level=None,
    date_from=None,
    date_to=None,
    by=(),
    ranges=None,
    dimensions=("district_id", "brand", "level"),
) -> list:
    """The rows of a counts table that hold one filter combination's figures; the dimensions in
    `by` (to group by) are read from their own rows instead of the "every" row, and those not in
    `dimensions` are left for the caller to choose."""
    ranges = period_ranges(date_from, date_to) if ranges is None else ranges
    periods = [
        and_(model.grain == r.grain.value, model.period >= r.first, model.period <= r.last) for r in ranges
    ]
    conditions = [or_(*periods) if periods else literal(False)]
    for name, value, every in (
        ("district_id", district_id, EVERY_DISTRICT),
        ("brand", brand, EVERY_BRAND),
        ("level", level, EVERY_LEVEL),
    ):
        if name not in dimensions:
            continue
        column = getattr(model, name)
        if value is not None:
            conditions.append(column == value)
        elif name == "district_id" and name in by:
            # A list the index can look up one by one (PostgreSQL scans the table for "<> 0").
            conditions.append(column.in_([district.id for district in all_districts()]))
        elif name == "level" and name in by:
            conditions.append(column.in_([level.value for level in Level]))
        elif name in by:
            conditions.append(column > every)  # '' sorts first: a range of the index
        else:
            conditions.append(column == every)
    return conditions


def month_ranges(start: date, end: date) -> list[PeriodRange]:
    """The rows that cover these days with whole months and the days at the edges (no years): for
    figures given month by month."""
    return _month_ranges(start, end) if start <= end else []


@dataclass(frozen=True)
class Counted:
    """A counts table and how its facts are found and placed."""

    model: type
    facts: object  # ids of the owners (None: all) -> the facts statement
    owner: str  # "application" or "outlet": whose ids select the facts
    keys: tuple[str, ...]  # the facts' columns after the four dimensions, also the table's
    measures: tuple[str, ...]
    rolled: tuple[str, ...] = ("district", "brand", "level")  # the dimensions with an "every" row
    grains: tuple = tuple(Grain)
    dated: bool = True  # every fact has a day (else the undated ones are in all-time rows only)


ITEMS = Counted(
    ItemCount,
    facts.item_facts,
    "answers",
    ("item_code", "edition_pk"),
    ("answers", "answered", "passed", "not_applicable"),
)
FINDINGS = Counted(
    FindingCount,
    facts.finding_facts,
    "answers",
    ("item_code",),
    ("found", "ordered", "not_required", "closed", "verified", "closed_on_time"),
)
WAITING_FINDINGS = Counted(
    WaitingFindingCount, facts.waiting_finding_facts, "answers", ("item_code", "due_on"), ("waiting",)
)
CLOSED_FINDINGS = Counted(
    ClosedFindingCount, facts.closed_finding_facts, "answers", ("item_code", "days"), ("closed",)
)
APPLICATIONS = Counted(
    ApplicationCount, facts.application_facts, "applications", ("status",), ("applications",), dated=False
)
NOTICES = Counted(
    NoticeCount, facts.notice_facts, "applications", ("due_on",), ("notices",), grains=(Grain.ALL,)
)
OUTLETS = Counted(
    OutletCount, facts.outlet_facts, "outlets", (), ("registered", "verified"), rolled=("district", "brand")
)
CERTIFICATES = Counted(CertificateCount, facts.certificate_facts, "outlets", ("state",), ("certificates",))
ACTIVE_CERTIFICATES = Counted(
    ActiveCertificateCount, facts.active_certificate_facts, "outlets", ("valid_until",), ("certificates",)
)
COVERAGE = Counted(
    CoverageCount,
    facts.coverage_facts,
    "outlets",
    ("until",),
    ("outlets",),
    rolled=("district", "brand"),  # level '' is "any level" here, counted as a fact, not a sum
    grains=(Grain.ALL,),
)
EVERYTHING = (
    ITEMS,
    FINDINGS,
    WAITING_FINDINGS,
    CLOSED_FINDINGS,
    APPLICATIONS,
    NOTICES,
    OUTLETS,
    CERTIFICATES,
    ACTIVE_CERTIFICATES,
    COVERAGE,
)


@dataclass
class Touched:
    """What a flush may change: applications whose answers and findings count ("answers"), whose
    status and notices count ("applications"), outlets whose registration and certificates count."""

    answers: set = field(default_factory=set)  # application ids
    applications: set = field(default_factory=set)  # application ids
    outlets: set = field(default_factory=set)  # outlet ids

    def __bool__(self) -> bool:
        return bool(self.answers or self.applications or self.outlets)

    def ids(self, counted: Counted) -> list[int]:
        return sorted(i for i in getattr(self, counted.owner) if i is not None)


def _ways(counted: Counted, grains: tuple[Grain, ...]):
    """The rows each fact is counted in: each dimension kept, or rolled up into its "every" row
    where it has one (8 ways at most), times the grains."""
    kept_only = (1,)
    rows = [
        select(
            literal_column(str(district)).label("by_district"),
            literal_column(str(brand)).label("by_brand"),
            literal_column(str(level)).label("by_level"),
            literal_column(f"'{grain.value}'").label("grain"),
        )
        for district in ((0, 1) if "district" in counted.rolled else kept_only)
        for brand in ((0, 1) if "brand" in counted.rolled else kept_only)
        for level in ((0, 1) if "level" in counted.rolled else kept_only)
        for grain in grains
    ]
    return union_all(*rows).subquery("ways")


def _add(connection, counted: Counted, ids: list[int] | None, sign: int, grains=None) -> None:
    """Add (sign 1) or take away (sign -1) the facts of these owners (None: all), as stored now."""
    grains = counted.grains if grains is None else tuple(grains)
    stmt = _adding(counted, grains, connection.dialect.name, ids is not None)
    connection.execute(stmt, {"sign": sign} | ({} if ids is None else {"ids": ids}))


@cache
def _adding(counted: Counted, grains: tuple, dialect: str, some: bool):
    """The statement that adds :sign times the facts of the owners :ids (all when not `some`),
    built once: a flush runs it with new parameters, not a new statement to build and compile."""
    facts = counted.facts(bindparam("ids", expanding=True) if some else None).subquery("facts")
    ways = _ways(counted, grains)
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
    sign = bindparam("sign", type_=Integer)
    rows = (
        select(*keys, *(func.sum(facts.c[m] * sign).label(m) for m in counted.measures))
        .select_from(facts.join(ways, literal(True)))
        # Also keeps SQLite from reading "ON CONFLICT" after the join as the join's ON.
        .where(or_(ways.c.grain == Grain.ALL.value, facts.c.day.is_not(None)))
        .group_by(*keys)
    )
    return _upsert(dialect, counted, [key.name for key in keys], rows)


def _upsert(dialect: str, counted: Counted, names: list[str], rows):
    """Insert the rows, or add their measures to the rows already there."""
    table = counted.model.__table__
    stmt = upsert_insert(dialect)(table).from_select(names + list(counted.measures), rows)
    return stmt.on_conflict_do_update(
        index_elements=[column.name for column in table.primary_key.columns],
        set_={m: table.c[m] + stmt.excluded[m] for m in counted.measures},
    )


# --- maintaining them ---------------------------------------------------------------------------------


def _serialise(connection) -> None:
    """One maintainer at a time on PostgreSQL: every maintainer adds to the same all-time rows, and
    two that took row locks in different orders over several flushes could deadlock."""
    if connection.dialect.name == "postgresql":
        connection.execute(text("SELECT pg_advisory_xact_lock(2325)"))


def take_away(connection, touched: Touched) -> None:
    """Before a flush: what the touched records count, as stored, leaves the counts."""
    if touched:
        _serialise(connection)
        for counted in EVERYTHING:
            if ids := touched.ids(counted):
                _add(connection, counted, ids, -1)


def put_back(connection, touched: Touched) -> None:
    """After it: they count again, as they now are."""
    if touched.answers:
        facts.score_answers(connection, touched.ids(ITEMS))
    for counted in EVERYTHING:
        if ids := touched.ids(counted):
            _add(connection, counted, ids, 1)


def rebuild(connection) -> None:
    """Count everything again from the records (migrations, seeding, `flask dashboards recount`)."""
    _serialise(connection)
    for counted in EVERYTHING:
        connection.execute(counted.model.__table__.delete())
    facts.score_answers(connection, None)
    for counted in EVERYTHING:
        if Grain.DAY not in counted.grains:
            _add(connection, counted, None, 1)
            continue
        # The days from the records, then each grain from the one below: ten million answers are
        # read once and grouped 8 ways, not 32 (undated facts go to the all-time rows directly).
        _add(connection, counted, None, 1, grains=(Grain.DAY,) if counted.dated else (Grain.DAY, Grain.ALL))
        for grain, below, start in (
            (Grain.MONTH, Grain.DAY, month_start),
            (Grain.YEAR, Grain.MONTH, year_start),
            *([(Grain.ALL, Grain.YEAR, lambda _period: literal(ALL_TIME))] if counted.dated else []),
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
    connection.execute(_upsert(connection.dialect.name, counted, names, rows))
