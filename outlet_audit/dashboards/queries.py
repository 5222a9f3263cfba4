"""The bureau dashboard's figures, each one aggregate query (GROUP BY, COUNT, SUM over CASE).

Rows are never loaded to be counted in Python: every function returns a few dozen numbers
whatever the number of outlets. What each filter means:

- district: the scope (a district bureau's own district) or the city bureau's choice;
- brand: the outlet's brand, everywhere;
- level: an application's target level, a certificate's level;
- date range (Shanghai calendar days, both ends included): when an outlet registered, an
  application was submitted (drafts have no submission date, so a date range leaves them
  out), a certificate was issued, an inspection was signed off. Coverage is a picture of
  today and ignores the date range.
"""

import enum
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal

from sqlalchemy import Select, case, func, select

from outlet_audit.certificates.models import Certificate
from outlet_audit.certificates.queries import valid_certificate_clause
from outlet_audit.certificates.state import CertificateState, StoredCertificateState, certificate_state
from outlet_audit.criteria.editions import pinned_edition
from outlet_audit.criteria.model import Edition, Text
from outlet_audit.criteria.stored import StoredEdition
from outlet_audit.extensions import db
from outlet_audit.outlets.models import Outlet
from outlet_audit.outlets.reference import DistrictName, all_districts
from outlet_audit.workflow.models import Application
from outlet_audit.workflow.states import Status

from .counts import where_filtered
from .models import ItemCount
from .sql import shanghai_year_month, utc_end_of, utc_start_of, year_month

EXPIRING_WITHIN_DAYS = 90
DEFAULT_TREND_MONTHS = 12
MAX_TREND_MONTHS = 120


@dataclass(frozen=True)
class Filters:
    today: date  # Shanghai's date: certificate states are as of this day
    district_id: int | None = None  # None: every district
    date_from: date | None = None
    date_to: date | None = None
    level: str | None = None
    brand: str | None = None


class CertificateBucket(enum.StrEnum):
    """Disjoint states for counting: VALID and EXPIRING together are the certificates in force."""

    VALID = "valid"  # more than EXPIRING_WITHIN_DAYS left
    EXPIRING = "expiring"
    EXPIRED = "expired"  # stored as active, valid_until before today
    REVOKED = "revoked"
    SUPERSEDED = "superseded"


@dataclass(frozen=True)
class OutletTotals:
    registered: int
    verified: int


@dataclass(frozen=True)
class Coverage:
    outlets: int  # verified outlets
    certified: int  # of which hold a certificate in force today

    @property
    def share(self) -> Decimal | None:
        return percent(self.certified, self.outlets)


@dataclass(frozen=True)
class MonthFigures:
    month: str  # YYYY-MM
    submitted: int
    issued: int


@dataclass(frozen=True)
class ItemPassRate:
    code: str
    title: Text
    answered: int  # first inspections that answered the item (N/A excluded)
    passed: int  # of which earned full marks
    not_applicable: int

    @property
    def failed(self) -> int:
        return self.answered - self.passed

    @property
    def pass_rate(self) -> Decimal | None:
        return percent(self.passed, self.answered)

    @property
    def fail_rate(self) -> Decimal | None:
        return percent(self.failed, self.answered)


@dataclass(frozen=True)
class DistrictFigures:
    district: DistrictName
    outlets: OutletTotals
    applications: int
    certificates: int  # issued, in any state
    coverage: Coverage


def certificate_bucket(stored_state: str, valid_until: date, today: date) -> CertificateBucket:
    """One certificate's bucket, by the rule certificates.state gives every page (for row exports)."""
    state = certificate_state(stored_state, valid_until, today)
    if state is not CertificateState.VALID:
        return CertificateBucket(state.value)
    if valid_until <= today + timedelta(days=EXPIRING_WITHIN_DAYS):
        return CertificateBucket.EXPIRING
    return CertificateBucket.VALID


def percent(part: int, whole: int) -> Decimal | None:
    """part / whole as a percentage with one decimal, or None when there is no whole."""
    if not whole:
        return None
    return (Decimal(part) * 100 / Decimal(whole)).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)


# --- conditions --------------------------------------------------------------------------------


def with_brand(stmt: Select, outlet_id_column, f: Filters) -> Select:
    """Join the outlet only when the brand filter needs it."""
    if f.brand is None:
        return stmt
    return stmt.join(Outlet, Outlet.id == outlet_id_column).where(Outlet.brand == f.brand)


def outlet_conditions(f: Filters) -> list:
    conditions = []
    if f.district_id is not None:
        conditions.append(Outlet.district_id == f.district_id)
    if f.brand is not None:
        conditions.append(Outlet.brand == f.brand)
    return conditions


def in_period(column, f: Filters, *, timestamp: bool) -> list:
    """Keep rows whose date or naive-UTC timestamp falls within the filter's Shanghai days."""
    conditions = []
    if f.date_from is not None:
        conditions.append(column >= (utc_start_of(f.date_from) if timestamp else f.date_from))
    if f.date_to is not None:
        conditions.append(column < utc_end_of(f.date_to) if timestamp else column <= f.date_to)
    return conditions


def application_conditions(f: Filters) -> list:
    conditions = in_period(Application.submitted_at, f, timestamp=True)
    if f.district_id is not None:
        conditions.append(Application.district_id == f.district_id)
    if f.level is not None:
        conditions.append(Application.target_level == f.level)
    return conditions


def certificate_conditions(f: Filters) -> list:
    conditions = in_period(Certificate.issued_on, f, timestamp=False)
    if f.district_id is not None:
        conditions.append(Certificate.district_id == f.district_id)
    if f.level is not None:
        conditions.append(Certificate.level == f.level)
    return conditions


def _certified_outlets(f: Filters):
    """Outlets holding a certificate in force today (of the chosen level), one row each."""
    conditions = [valid_certificate_clause(f.today)]
    if f.level is not None:
        conditions.append(Certificate.level == f.level)
    return select(Certificate.outlet_id).where(*conditions).group_by(Certificate.outlet_id).subquery()


def _counts(rows: Iterable) -> dict:
    return {key: count for key, count in rows}


# --- figures -------------------------------------------------------------------------------------


def outlet_totals(f: Filters) -> OutletTotals:
    verified = func.coalesce(func.sum(case((Outlet.verified.is_(True), 1), else_=0)), 0)
    stmt = select(func.count(Outlet.id), verified).where(
        *outlet_conditions(f), *in_period(Outlet.created_at, f, timestamp=True)
    )
    registered, verified_count = db.session.execute(stmt).one()
    return OutletTotals(registered, int(verified_count))


def applications_by_status(f: Filters) -> list[tuple[Status, int]]:
    """Every status, in workflow order, with its count (zero included)."""
    stmt = select(Application.status, func.count(Application.id)).where(*application_conditions(f))
    stmt = with_brand(stmt, Application.outlet_id, f).group_by(Application.status)
    counts = _counts(db.session.execute(stmt))
    return [(status, counts.get(status.value, 0)) for status in Status]


def certificates_by_level_and_state(f: Filters) -> dict[tuple[str, CertificateBucket], int]:
    # The same rule as certificate_bucket (and certificates.state), written as SQL.
    bucket = case(
        (Certificate.state == StoredCertificateState.REVOKED, CertificateBucket.REVOKED.value),
        (Certificate.state == StoredCertificateState.SUPERSEDED, CertificateBucket.SUPERSEDED.value),
        (Certificate.valid_until < f.today, CertificateBucket.EXPIRED.value),
        (
            Certificate.valid_until <= f.today + timedelta(days=EXPIRING_WITHIN_DAYS),
            CertificateBucket.EXPIRING.value,
        ),
        else_=CertificateBucket.VALID.value,
    )
    inner = select(Certificate.level.label("level"), bucket.label("bucket")).where(*certificate_conditions(f))
    # Grouped outside: PostgreSQL would see the CASE's parameters in GROUP BY as other expressions.
    sub = with_brand(inner, Certificate.outlet_id, f).subquery()
    stmt = select(sub.c.level, sub.c.bucket, func.count()).group_by(sub.c.level, sub.c.bucket)
    return {(level, CertificateBucket(name)): count for level, name, count in db.session.execute(stmt)}


def trend_months(f: Filters) -> tuple[date, date, list[str]]:
    """The trend's first and last day and its months: the date range, else the last 12 months."""
    end = f.date_to or f.today
    start = f.date_from or _add_months(end.replace(day=1), 1 - DEFAULT_TREND_MONTHS)
    earliest = _add_months(end.replace(day=1), 1 - MAX_TREND_MONTHS)
    start = max(start, earliest)
    months, month = [], start.replace(day=1)
    while month <= end:
        months.append(f"{month:%Y-%m}")
        month = _add_months(month, 1)
    return start, end, months


def monthly_trend(f: Filters) -> list[MonthFigures]:
    """Applications submitted and certificates issued per month (Shanghai time), zeros included."""
    start, end, months = trend_months(f)
    window = Filters(f.today, f.district_id, start, end, f.level, f.brand)

    submitted_month = shanghai_year_month(Application.submitted_at).label("month")
    inner = select(submitted_month).where(*application_conditions(window))
    sub = with_brand(inner, Application.outlet_id, f).subquery()
    submitted = _counts(db.session.execute(select(sub.c.month, func.count()).group_by(sub.c.month)))

    issued_month = year_month(Certificate.issued_on).label("month")
    inner = select(issued_month).where(*certificate_conditions(window))
    sub = with_brand(inner, Certificate.outlet_id, f).subquery()
    issued = _counts(db.session.execute(select(sub.c.month, func.count()).group_by(sub.c.month)))
    return [MonthFigures(month, submitted.get(month, 0), issued.get(month, 0)) for month in months]


def coverage_by(f: Filters, column) -> dict:
    """Verified outlets and certified ones, grouped by an Outlet column (brand, district_id)."""
    certified = _certified_outlets(f)
    stmt = (
        select(column, func.count(Outlet.id), func.count(certified.c.outlet_id))
        .select_from(Outlet)
        .outerjoin(certified, certified.c.outlet_id == Outlet.id)
        .where(Outlet.verified.is_(True), *outlet_conditions(f))
        .group_by(column)
    )
    return {
        key: Coverage(outlets, certified_count) for key, outlets, certified_count in db.session.execute(stmt)
    }


def coverage_by_brand(f: Filters) -> list[tuple[str, Coverage]]:
    """Brands with at least one verified outlet, the largest first."""
    coverage = coverage_by(f, Outlet.brand)
    return sorted(coverage.items(), key=lambda pair: (-pair[1].outlets, pair[0]))


def item_pass_rates(f: Filters, active: Edition) -> list[ItemPassRate]:
    """How often each scored item of the active edition earned full marks at first inspections.

    Read from the maintained counts (counts.py), which score each distinct answer by the edition
    the application was made against. Items no longer in the active edition are left out; an
    item's title is the wording of the newest edition it was answered under.
    """
    codes = [item.code for item in active.items()]
    stmt = (
        select(
            ItemCount.item_code,
            ItemCount.edition_pk,
            func.sum(ItemCount.answers),
            func.sum(ItemCount.answered),
            func.sum(ItemCount.passed),
            func.sum(ItemCount.not_applicable),
        )
        .where(*where_filtered(ItemCount, **count_filters(f)), ItemCount.item_code.in_(codes))
        .group_by(ItemCount.item_code, ItemCount.edition_pk)
    )
    answered, passed, not_applicable = defaultdict(int), defaultdict(int), defaultdict(int)
    titles: dict[str, tuple[int, Text]] = {}
    for code, edition_pk, answers, answered_count, passed_count, na_count in db.session.execute(stmt):
        if not answers:
            continue  # counted once, taken away since (a record superseded, a brand changed)
        if edition_pk >= titles.get(code, (-1, None))[0]:
            item = next(item for item in pinned_by_pk(edition_pk).items() if item.code == code)
            titles[code] = (edition_pk, item.title)  # the newest edition's wording
        answered[code] += int(answered_count)
        passed[code] += int(passed_count)
        not_applicable[code] += int(na_count)
    return [
        ItemPassRate(
            item.code,
            titles.get(item.code, (0, item.title))[1],
            answered[item.code],
            passed[item.code],
            not_applicable[item.code],
        )
        for item in active.items()
    ]


def count_filters(f: Filters) -> dict:
    return {
        "district_id": f.district_id,
        "brand": f.brand,
        "level": f.level,
        "date_from": f.date_from,
        "date_to": f.date_to,
    }


def district_breakdown(f: Filters) -> list[DistrictFigures]:
    """The city bureau's table: every district (or the chosen one) with its figures."""
    districts = all_districts()
    if f.district_id is not None:
        districts = [d for d in districts if d.id == f.district_id]

    verified = func.coalesce(func.sum(case((Outlet.verified.is_(True), 1), else_=0)), 0)
    outlet_rows = db.session.execute(
        select(Outlet.district_id, func.count(Outlet.id), verified)
        .where(*outlet_conditions(f), *in_period(Outlet.created_at, f, timestamp=True))
        .group_by(Outlet.district_id)
    )
    outlets = {district_id: OutletTotals(n, int(v)) for district_id, n, v in outlet_rows}
    stmt = select(Application.district_id, func.count(Application.id)).where(*application_conditions(f))
    applications = _counts(
        db.session.execute(with_brand(stmt, Application.outlet_id, f).group_by(Application.district_id))
    )
    stmt = select(Certificate.district_id, func.count(Certificate.id)).where(*certificate_conditions(f))
    certificates = _counts(
        db.session.execute(with_brand(stmt, Certificate.outlet_id, f).group_by(Certificate.district_id))
    )
    coverage = coverage_by(f, Outlet.district_id)
    return [
        DistrictFigures(
            district,
            outlets.get(district.id, OutletTotals(0, 0)),
            applications.get(district.id, 0),
            certificates.get(district.id, 0),
            coverage.get(district.id, Coverage(0, 0)),
        )
        for district in districts
    ]


def total_coverage(parts: Sequence[Coverage]) -> Coverage:
    return Coverage(sum(c.outlets for c in parts), sum(c.certified for c in parts))


def pinned_by_pk(edition_pk: int) -> Edition:
    return pinned_edition(db.session.get(StoredEdition, edition_pk))


def _add_months(day: date, months: int) -> date:
    """The first of the month `months` away from a first of the month."""
    index = day.year * 12 + day.month - 1 + months
    return date(index // 12, index % 12 + 1, 1)
