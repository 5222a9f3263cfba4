"""The dashboard's rectification (整改) figures: what inspections found and what became of it.

The findings counted are those of inspection records still in force (not superseded by a signed
correction), as `checklist.findings` keeps them: one per item short of full marks at a signed
visit, a re-inspection's own shortfalls included. The filters select them as the other figures
select inspections: the application's district and level, the outlet's brand, and the sign-off
date of the record that found them. Overdue notices are a picture of today; the date range does
not apply to them.

Each figure is one aggregate query, whatever the number of findings; the median is read in SQL
too: a window numbers the closed findings by their days to close and only the middle one or two
rows come back (the same statement on SQLite and PostgreSQL, no percentile function needed).
"""

from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy import and_, case, func, or_, select

from outlet_audit.checklist.kinds import AssessmentKind, FindingStatus
from outlet_audit.checklist.models import Assessment, Finding, RectificationNotice
from outlet_audit.criteria.model import Text
from outlet_audit.extensions import db
from outlet_audit.workflow.models import Application
from outlet_audit.workflow.states import Status

from .queries import Filters, in_period, percent, with_brand
from .sql import shanghai_date, shanghai_days_between

# Verified by an inspector: the finding's outcome is settled.
VERIFIED = (FindingStatus.CLOSED.value, FindingStatus.NOT_CLOSED.value)
# Ordered and waiting: for the outlet's answer, or for the inspector's verification.
WAITING = (FindingStatus.ORDERED.value, FindingStatus.ANSWERED.value)


@dataclass(frozen=True)
class ItemFindings:
    code: str
    title: Text
    found: int  # findings of the item at records in force
    ordered: int  # of which the bureau ordered rectified (in a notice)
    not_required: int  # of which it did not require rectified
    closed: int  # ordered and verified closed


@dataclass(frozen=True)
class RectificationFigures:
    items: list[ItemFindings]  # items with findings, the most found first
    settled: int  # ordered findings closed, verified not closed, or past their due date unclosed
    closed_on_time: int  # closed (Shanghai date of the closing sign-off) on or before the due date
    closed: int  # ordered findings verified closed: the median's sample
    median_days: Decimal | None  # days from the notice to the closing sign-off, None without any
    overdue_notices: int  # notices past their due date the outlet has not answered (today)

    @property
    def found(self) -> int:
        return sum(item.found for item in self.items)

    @property
    def ordered(self) -> int:
        return sum(item.ordered for item in self.items)

    @property
    def on_time_share(self) -> Decimal | None:
        return percent(self.closed_on_time, self.settled)


def rectification_figures(f: Filters, titles: dict[str, Text]) -> RectificationFigures:
    """The figures for the items in `titles` (the active edition's scored items, as the pass rates
    name them); findings of other items are left out as the pass rates leave them out."""
    by_item = _findings_by_item(f, list(titles))
    items = sorted(
        (ItemFindings(code, titles[code], *counts[:4]) for code, counts in by_item.items()),
        key=lambda item: (-item.found, item.code),
    )
    settled = sum(counts[4] for counts in by_item.values())
    on_time = sum(counts[5] for counts in by_item.values())
    closed = sum(item.closed for item in items)
    return RectificationFigures(
        items=items,
        settled=settled,
        closed_on_time=on_time,
        closed=closed,
        median_days=_median_days_to_close(f, list(titles)) if closed else None,
        overdue_notices=overdue_notices(f),
    )


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
