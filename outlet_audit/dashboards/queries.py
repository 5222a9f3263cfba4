"""The bureau dashboard's figures, each read from the maintained counts (counts.py): a sum over a
few hundred rows whatever the number of outlets, records never scanned. What each filter means:

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

from sqlalchemy import case, func, select

from outlet_audit.certificates.models import Certificate
from outlet_audit.certificates.state import CertificateState, StoredCertificateState, certificate_state
from outlet_audit.core.time import utc_end_of, utc_start_of
from outlet_audit.criteria.editions import pinned_edition
from outlet_audit.criteria.model import Edition, Text
from outlet_audit.criteria.stored import StoredEdition
from outlet_audit.extensions import db
from outlet_audit.outlets.reference import DistrictName, all_districts
from outlet_audit.workflow.models import Application
from outlet_audit.workflow.states import Status

from .counts import month_ranges, where_filtered
from .models import (
    ActiveCertificateCount,
    ApplicationCount,
    CertificateCount,
    CoverageCount,
    ItemCount,
    OutletCount,
)
from .sql import year_month

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


def _counts(rows: Iterable) -> dict:
    return {key: int(count) for key, count in rows}


def _by_district(model, measure, f: Filters) -> dict:
    """A measure of a counts table within the filters, per district."""
    conditions = where_filtered(model, **count_filters(f), by=("district_id",))
    stmt = select(model.district_id, func.sum(measure)).where(*conditions).group_by(model.district_id)
    return _counts(db.session.execute(stmt))


def outlet_totals(f: Filters) -> OutletTotals:
    """Outlets that registered in the date range (level does not apply), and of them verified."""
    conditions = where_filtered(OutletCount, **count_filters(f) | {"level": None})
    registered, verified = db.session.execute(
        select(func.sum(OutletCount.registered), func.sum(OutletCount.verified)).where(*conditions)
    ).one()
    return OutletTotals(int(registered or 0), int(verified or 0))


def applications_by_status(f: Filters) -> list[tuple[Status, int]]:
    """Every status, in workflow order, with its count (zero included)."""
    stmt = (
        select(ApplicationCount.status, func.sum(ApplicationCount.applications))
        .where(*where_filtered(ApplicationCount, **count_filters(f)))
        .group_by(ApplicationCount.status)
    )
    counts = _counts(db.session.execute(stmt))
    return [(status, counts.get(status.value, 0)) for status in Status]


def certificates_by_level_and_state(f: Filters) -> dict[tuple[str, CertificateBucket], int]:
    """Certificates issued in the date range, by level and state as of today (zeros left out).

    The same rule as certificate_bucket (and certificates.state): of the active ones, those whose
    last valid day is past are expired, and those it comes within EXPIRING_WITHIN_DAYS expiring.
    Only active certificates still valid today are read by their last day (an index range).
    """
    stored = (
        select(CertificateCount.level, CertificateCount.state, func.sum(CertificateCount.certificates))
        .where(*where_filtered(CertificateCount, **count_filters(f), by=("level",)))
        .group_by(CertificateCount.level, CertificateCount.state)
    )
    figures: dict[tuple[str, CertificateBucket], int] = defaultdict(int)
    active: dict[str, int] = defaultdict(int)
    for level, state, count in db.session.execute(stored):
        if state == StoredCertificateState.ACTIVE:
            active[level] += int(count)
        else:
            figures[(level, CertificateBucket(state))] += int(count)
    expiring_until = f.today + timedelta(days=EXPIRING_WITHIN_DAYS)
    counted = ActiveCertificateCount
    still_valid = (
        select(
            counted.level,
            func.sum(case((counted.valid_until <= expiring_until, counted.certificates), else_=0)),
            func.sum(counted.certificates),
        )
        .where(
            *where_filtered(counted, **count_filters(f), by=("level",)),
            counted.valid_until >= f.today,
        )
        .group_by(counted.level)
    )
    for level, expiring, valid_today in db.session.execute(still_valid):
        figures[(level, CertificateBucket.EXPIRING)] += int(expiring)
        figures[(level, CertificateBucket.VALID)] += int(valid_today) - int(expiring)
    for level, count in active.items():
        in_force_count = (
            figures[(level, CertificateBucket.EXPIRING)] + figures[(level, CertificateBucket.VALID)]
        )
        figures[(level, CertificateBucket.EXPIRED)] += count - in_force_count
    return {key: count for key, count in figures.items() if count}


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
    ranges = month_ranges(start, end)
    per_month = {}
    for model, measure in (
        (ApplicationCount, ApplicationCount.applications),
        (CertificateCount, CertificateCount.certificates),
    ):
        month = year_month(model.period)
        conditions = where_filtered(
            model, district_id=f.district_id, brand=f.brand, level=f.level, ranges=ranges
        )
        per_month[model] = _counts(
            db.session.execute(select(month, func.sum(measure)).where(*conditions).group_by(month))
        )
    submitted, issued = per_month[ApplicationCount], per_month[CertificateCount]
    return [MonthFigures(month, submitted.get(month, 0), issued.get(month, 0)) for month in months]


def coverage_by(f: Filters, by: str) -> dict:
    """Verified outlets and certified ones (a certificate of the chosen level in force today),
    grouped by "brand" or "district_id". Neither the date range nor (for outlets) the level apply."""
    dimensions = {"district_id": f.district_id, "brand": f.brand}
    outlets = {
        key: int(verified)
        for key, verified in db.session.execute(
            select(getattr(OutletCount, by), func.sum(OutletCount.verified))
            .where(*where_filtered(OutletCount, **dimensions, by=(by,)))
            .group_by(getattr(OutletCount, by))
        )
        if verified
    }
    if not outlets:
        return {}
    # One index range per group (those with verified outlets): outlets in force from today on.
    counted = CoverageCount
    column = getattr(counted, by)
    certified = _counts(
        db.session.execute(
            select(column, func.sum(counted.outlets))
            .where(
                *where_filtered(
                    counted,
                    **dimensions,
                    level=f.level,
                    dimensions=tuple(name for name in ("district_id", "brand", "level") if name != by),
                ),
                column.in_(sorted(outlets)),
                counted.until >= f.today,
            )
            .group_by(column)
        )
    )
    return {key: Coverage(verified, certified.get(key, 0)) for key, verified in outlets.items()}


def coverage_by_brand(f: Filters) -> list[tuple[str, Coverage]]:
    """Brands with at least one verified outlet, the largest first."""
    coverage = coverage_by(f, "brand")
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
    conditions = where_filtered(OutletCount, **count_filters(f) | {"level": None}, by=("district_id",))
    outlet_rows = db.session.execute(
        select(OutletCount.district_id, func.sum(OutletCount.registered), func.sum(OutletCount.verified))
        .where(*conditions)
        .group_by(OutletCount.district_id)
    )
    outlets = {district_id: OutletTotals(int(n), int(v)) for district_id, n, v in outlet_rows}
    applications = _by_district(ApplicationCount, ApplicationCount.applications, f)
    certificates = _by_district(CertificateCount, CertificateCount.certificates, f)
    coverage = coverage_by(f, "district_id")
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
