"""The dashboard's rectification (整改) figures: what inspections found and what became of it.

The findings counted are those of inspection records still in force (not superseded by a signed
correction), as `checklist.findings` keeps them: one per item short of full marks at a signed
visit, a re-inspection's own shortfalls included. The filters select them as the other figures
select inspections: the application's district and level, the outlet's brand, and the sign-off
date of the record that found them. Overdue notices are a picture of today; the date range does
not apply to them.

The findings are read from the maintained counts (counts.py), a few hundred rows whatever the
number of findings; the median from their histogram of days to close.
"""

from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy import func, select

from outlet_audit.criteria.model import Text
from outlet_audit.extensions import db

from .counts import where_filtered
from .models import ClosedFindingCount, FindingCount, NoticeCount, WaitingFindingCount
from .queries import Filters, count_filters, percent


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


def _findings_by_item(f: Filters, codes: list[str]) -> dict[str, tuple[int, ...]]:
    """Per item with findings: found, ordered, not required, closed, settled, closed on time.

    Settled: verified either way, or still waiting after the notice's due date (as of today).
    """
    where = where_filtered(FindingCount, **count_filters(f))
    stmt = (
        select(
            FindingCount.item_code,
            func.sum(FindingCount.found),
            func.sum(FindingCount.ordered),
            func.sum(FindingCount.not_required),
            func.sum(FindingCount.closed),
            func.sum(FindingCount.verified),
            func.sum(FindingCount.closed_on_time),
        )
        .where(*where, FindingCount.item_code.in_(codes))
        .group_by(FindingCount.item_code)
    )
    overdue = dict(
        db.session.execute(
            select(WaitingFindingCount.item_code, func.sum(WaitingFindingCount.waiting))
            .where(
                *where_filtered(WaitingFindingCount, **count_filters(f)),
                WaitingFindingCount.item_code.in_(codes),
                WaitingFindingCount.due_on < f.today,
            )
            .group_by(WaitingFindingCount.item_code)
        ).all()
    )
    by_item = {}
    for code, found, ordered, not_required, closed, verified, on_time in db.session.execute(stmt):
        if found:  # counted once, taken away since (a record superseded, a brand changed)
            settled = verified + int(overdue.get(code) or 0)
            by_item[code] = tuple(int(n) for n in (found, ordered, not_required, closed, settled, on_time))
    return by_item


def _median_days_to_close(f: Filters, codes: list[str]) -> Decimal | None:
    """The median of the Shanghai days from each closed finding's notice to its closing, read from
    the counts' histogram: how many findings took each number of days."""
    stmt = (
        select(ClosedFindingCount.days, func.sum(ClosedFindingCount.closed))
        .where(
            *where_filtered(ClosedFindingCount, **count_filters(f)), ClosedFindingCount.item_code.in_(codes)
        )
        .group_by(ClosedFindingCount.days)
        .order_by(ClosedFindingCount.days)
    )
    histogram = [(int(days), int(n)) for days, n in db.session.execute(stmt) if n]
    return median_of(histogram)


def median_of(histogram: list[tuple[int, int]]) -> Decimal | None:
    """The median of values given as (value, how many), in ascending order of value: the middle
    one, or the mean of the middle two."""
    total = sum(n for _, n in histogram)
    if not total:
        return None
    wanted = {(total + 1) // 2, (total + 2) // 2}  # positions, from 1
    values, seen = [], 0
    for value, n in histogram:
        values += [value] * len({p for p in wanted if seen < p <= seen + n})
        seen += n
    return (Decimal(sum(values)) / len(values)).quantize(Decimal("0.1"))


def overdue_notices(f: Filters) -> int:
    """Notices still awaiting the outlet's answer after their due date, as of today.

    Only while the application waits in rectification: once the bureau rejected it for the missed
    deadline, or the outlet withdrew, there is nothing left for the bureau to chase.
    """
    conditions = where_filtered(NoticeCount, district_id=f.district_id, brand=f.brand, level=f.level)
    stmt = select(func.sum(NoticeCount.notices)).where(*conditions, NoticeCount.due_on < f.today)
    return int(db.session.scalar(stmt) or 0)
