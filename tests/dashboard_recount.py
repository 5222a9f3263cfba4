"""The dashboard's item and rectification figures counted from the records, row by row: the
live queries the dashboard ran before its maintained counts (dashboards/counts.py), kept as the
reference the counts are compared with (test_dashboard_counts.py, test_migrations_with_data.py).
"""

from collections import defaultdict
from decimal import Decimal

from sqlalchemy import and_, case, func, or_, select

from outlet_audit.checklist.kinds import AssessmentKind, FindingStatus
from outlet_audit.checklist.models import Answer as AnswerRow
from outlet_audit.checklist.models import Assessment, Finding, RectificationNotice
from outlet_audit.criteria.model import Edition, Text
from outlet_audit.dashboards.counts import VERIFIED, WAITING, earns_full_marks, first_visits
from outlet_audit.dashboards.queries import (
    Filters,
    ItemPassRate,
    in_period,
    pinned_by_pk,
    with_brand,
)
from outlet_audit.dashboards.rectification import ItemFindings, RectificationFigures, overdue_notices
from outlet_audit.dashboards.sql import shanghai_date, shanghai_days_between
from outlet_audit.extensions import db
from outlet_audit.workflow.models import Application


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
