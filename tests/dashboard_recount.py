"""The dashboard's figures counted from the records, row by row: the live queries the dashboard
ran before its maintained counts (dashboards/counts.py), kept as the reference the counts are
compared with (test_dashboard_counts.py, test_migrations_with_data.py).
"""

from collections import defaultdict
from collections.abc import Iterable
from datetime import timedelta
from decimal import Decimal

from sqlalchemy import and_, case, func, or_, select

from outlet_audit.certificates.models import Certificate
from outlet_audit.certificates.queries import valid_certificate_clause
from outlet_audit.certificates.state import StoredCertificateState
from outlet_audit.checklist.kinds import AssessmentKind, FindingStatus
from outlet_audit.checklist.models import Answer as AnswerRow
from outlet_audit.checklist.models import Assessment, Finding, RectificationNotice
from outlet_audit.criteria.model import Edition, Text
from outlet_audit.dashboards.facts import VERIFIED, WAITING, earns_full_marks, first_visits
from outlet_audit.dashboards.queries import (
    EXPIRING_WITHIN_DAYS,
    CertificateBucket,
    Coverage,
    DistrictFigures,
    Filters,
    ItemPassRate,
    MonthFigures,
    OutletTotals,
    application_conditions,
    certificate_conditions,
    in_period,
    pinned_by_pk,
    trend_months,
)
from outlet_audit.dashboards.rectification import ItemFindings, RectificationFigures
from outlet_audit.dashboards.sql import shanghai_date, shanghai_days_between, shanghai_year_month, year_month
from outlet_audit.extensions import db
from outlet_audit.outlets.models import Outlet
from outlet_audit.outlets.reference import all_districts
from outlet_audit.workflow.models import Application
from outlet_audit.workflow.states import Status


def with_brand(stmt, outlet_id_column, f: Filters):
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


def item_pass_rates(f: Filters, active: Edition) -> list[ItemPassRate]:
    """How often each scored item of the active edition earned full marks at first inspections.

    Answers are counted in SQL by (edition, item, value); whether a value earns full marks is
    then asked of the edition the application was made against, so a value is scored once per
    distinct answer, not once per inspection. Items no longer in the active edition are left out.
    """
    codes = [item.code for item in active.items()]
    conditions = [
        *first_visits(),
        AnswerRow.item_code.in_(codes),
        *in_period(Assessment.signed_off_at, f, timestamp=True),
    ]
    groups = (AnswerRow.item_code, AnswerRow.not_applicable, AnswerRow.value)
    counted = (*groups, func.count())
    stmt = (
        select(Application.edition_pk, *counted)
        .select_from(AnswerRow)
        .join(Assessment, Assessment.id == AnswerRow.assessment_id)
        .join(Application, Application.id == Assessment.application_id)
        .where(*conditions)
        .group_by(Application.edition_pk, *groups)
    )
    if f.district_id is not None:
        stmt = stmt.where(Application.district_id == f.district_id)
    if f.level is not None:
        stmt = stmt.where(Application.target_level == f.level)
    rows = db.session.execute(with_brand(stmt, Application.outlet_id, f))

    answered, passed, not_applicable = defaultdict(int), defaultdict(int), defaultdict(int)
    titles: dict[str, tuple[int, Text]] = {}
    editions: dict[int, Edition] = {}
    for edition_pk, code, is_na, value, count in rows:
        edition = editions.get(edition_pk) or editions.setdefault(edition_pk, pinned_by_pk(edition_pk))
        item = next((item for item in edition.items() if item.code == code), None)
        if item is None:
            continue  # the code is a bonus item in that edition, or not in it at all
        if edition_pk >= titles.get(code, (-1, None))[0]:
            titles[code] = (edition_pk, item.title)  # the newest edition's wording
        if is_na:
            not_applicable[code] += count
        elif value is not None:
            answered[code] += count
            if earns_full_marks(item, value):
                passed[code] += count
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


def _in_force(f: Filters, codes: list[str]) -> list:
    """Findings of records in force, of these items, within the filters (the application joined)."""
    conditions = [
        Assessment.kind == AssessmentKind.INSPECTION,  # not a supervision visit's findings
        Assessment.superseded_at.is_(None),
        Finding.item_code.in_(codes),
        *in_period(Assessment.signed_off_at, f, timestamp=True),
    ]
    if f.district_id is not None:
        conditions.append(Application.district_id == f.district_id)
    if f.level is not None:
        conditions.append(Application.target_level == f.level)
    return conditions


def _joined(stmt, f: Filters):
    stmt = stmt.join(Assessment, Assessment.id == Finding.assessment_id).join(
        Application, Application.id == Finding.application_id
    )
    return with_brand(stmt, Application.outlet_id, f)


def _count_when(condition):
    return func.coalesce(func.sum(case((condition, 1), else_=0)), 0)


def _findings_by_item(f: Filters, codes: list[str]) -> dict[str, tuple[int, ...]]:
    """Per item: found, ordered, not required, closed, settled, closed on time."""
    closed = Finding.status == FindingStatus.CLOSED.value
    settled = or_(
        Finding.status.in_(VERIFIED),
        and_(Finding.status.in_(WAITING), RectificationNotice.due_on < f.today),
    )
    on_time = and_(closed, shanghai_date(Finding.closed_at) <= RectificationNotice.due_on)
    stmt = select(
        Finding.item_code,
        func.count(Finding.id),
        _count_when(Finding.notice_id.is_not(None)),
        _count_when(Finding.status == FindingStatus.NOT_REQUIRED.value),
        _count_when(closed),
        _count_when(settled),
        _count_when(on_time),
    ).select_from(Finding)
    stmt = _joined(stmt, f).outerjoin(RectificationNotice, RectificationNotice.id == Finding.notice_id)
    rows = db.session.execute(stmt.where(*_in_force(f, codes)).group_by(Finding.item_code))
    return {code: tuple(int(n) for n in counts) for code, *counts in rows}


def _median_days_to_close(f: Filters, codes: list[str]) -> Decimal | None:
    """The median of the Shanghai days from each closed finding's notice to its closing."""
    days = shanghai_days_between(RectificationNotice.issued_at, Finding.closed_at).label("days")
    inner = select(
        days,
        func.row_number().over(order_by=days).label("position"),
        func.count().over().label("total"),
    ).select_from(Finding)
    inner = _joined(inner, f).join(RectificationNotice, RectificationNotice.id == Finding.notice_id)
    ranked = inner.where(*_in_force(f, codes), Finding.status == FindingStatus.CLOSED.value).subquery()
    # The middle row, or the middle two when their number is even (integer division on both).
    middle = ranked.c.position.in_([(ranked.c.total + 1) // 2, (ranked.c.total + 2) // 2])
    values = db.session.scalars(select(ranked.c.days).where(middle)).all()
    if not values:
        return None
    return (Decimal(sum(int(value) for value in values)) / len(values)).quantize(Decimal("0.1"))


def rectification_figures(f: Filters, titles: dict[str, Text]) -> RectificationFigures:
    by_item = _findings_by_item(f, list(titles))
    items = sorted(
        (ItemFindings(code, titles[code], *counts[:4]) for code, counts in by_item.items()),
        key=lambda item: (-item.found, item.code),
    )
    closed = sum(item.closed for item in items)
    return RectificationFigures(
        items=items,
        settled=sum(counts[4] for counts in by_item.values()),
        closed_on_time=sum(counts[5] for counts in by_item.values()),
        closed=closed,
        median_days=_median_days_to_close(f, list(titles)) if closed else None,
        overdue_notices=overdue_notices(f),
    )


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


def overdue_notices(f: Filters) -> int:
    """Notices still awaiting the outlet's answer after their due date, as of today.

    Only while the application waits in rectification: once the bureau rejected it for the missed
    deadline, or the outlet withdrew, there is nothing left for the bureau to chase.
    """
    stmt = (
        select(func.count(RectificationNotice.id))
        .join(Application, Application.id == RectificationNotice.application_id)
        .where(
            RectificationNotice.submitted_at.is_(None),
            RectificationNotice.due_on < f.today,
            Application.status == Status.RECTIFICATION_REQUESTED.value,
        )
    )
    if f.district_id is not None:
        stmt = stmt.where(Application.district_id == f.district_id)
    if f.level is not None:
        stmt = stmt.where(Application.target_level == f.level)
    return db.session.scalar(with_brand(stmt, Application.outlet_id, f))
