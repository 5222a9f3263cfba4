"""The dashboard's figures for one filter combination, computed once and shared by every worker.

Computing them reads every answer of every first inspection (a million rows at 10,000
outlets, ten million at 100,000), so they are stored in `dashboard_snapshots` as JSON and served
from there while younger than DASHBOARD_SNAPSHOT_SECONDS (0: computed on every request, never
stored). The key covers everything the figures depend on: the filters (the district scope among
them, so one district never sees another's), today's Shanghai date (certificate states) and the
active criteria edition (the items counted). `flask dashboards refresh` recomputes the default
views from cron, so bureaus rarely wait for a computation.
"""

import hashlib
import json
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal

from flask import current_app
from sqlalchemy import delete, select

from outlet_audit.core.time import utcnow
from outlet_audit.criteria.model import Edition, Text
from outlet_audit.extensions import db
from outlet_audit.outlets.reference import all_districts
from outlet_audit.workflow.states import Status

from . import queries
from .models import DashboardSnapshot
from .queries import (
    CertificateBucket,
    Coverage,
    DistrictFigures,
    Filters,
    ItemPassRate,
    MonthFigures,
    OutletTotals,
)
from .rectification import ItemFindings, RectificationFigures, rectification_figures
from .sql import upsert_insert

# Part of the key: a change to what is stored (or how) makes older rows unreachable, not misread.
FIGURES_FORMAT = 2  # 2: item pass rates at first visits only; the rectification figures


@dataclass(frozen=True)
class Figures:
    """Everything the dashboard shows for one filter combination."""

    outlets: OutletTotals
    statuses: list[tuple[Status, int]]
    certificates: dict[tuple[str, CertificateBucket], int]
    trend: list[MonthFigures]
    brands: list[tuple[str, Coverage]]
    items: list[ItemPassRate]
    rectification: RectificationFigures
    districts: list[DistrictFigures]  # the breakdown of the city-wide view, else empty


@dataclass(frozen=True)
class Snapshot:
    figures: Figures
    computed_at: datetime  # naive UTC
    written: bool  # computed and stored by this request: the session holds a write to commit


def snapshot_seconds() -> int:
    return current_app.config["DASHBOARD_SNAPSHOT_SECONDS"]


def snapshot_key(f: Filters, edition: Edition) -> str:
    parts = {
        "format": FIGURES_FORMAT,
        "edition": edition.content_hash,
        "today": f.today.isoformat(),
        "district_id": f.district_id,
        "date_from": f.date_from and f.date_from.isoformat(),
        "date_to": f.date_to and f.date_to.isoformat(),
        "level": f.level,
        "brand": f.brand,
    }
    return hashlib.sha256(json.dumps(parts, sort_keys=True).encode()).hexdigest()


def compute_figures(f: Filters, edition: Edition) -> Figures:
    """The figures from the live tables (the breakdown by district for the city-wide view only)."""
    items = queries.item_pass_rates(f, edition)
    return Figures(
        outlets=queries.outlet_totals(f),
        statuses=queries.applications_by_status(f),
        certificates=queries.certificates_by_level_and_state(f),
        trend=queries.monthly_trend(f),
        brands=queries.coverage_by_brand(f),
        items=items,
        rectification=rectification_figures(f, {item.code: item.title for item in items}),
        districts=queries.district_breakdown(f) if f.district_id is None else [],
    )


def current_figures(f: Filters, edition: Edition) -> Snapshot:
    """The stored figures while fresh, else figures computed now and stored (flushed, not committed)."""
    seconds = snapshot_seconds()
    if seconds <= 0:
        return Snapshot(compute_figures(f, edition), utcnow(), written=False)
    key = snapshot_key(f, edition)
    stmt = select(DashboardSnapshot.figures, DashboardSnapshot.computed_at).where(
        DashboardSnapshot.key == key, DashboardSnapshot.computed_at > utcnow() - timedelta(seconds=seconds)
    )
    stored = db.session.execute(stmt).first()
    if stored is not None:
        return Snapshot(figures_from_json(stored.figures), stored.computed_at, written=False)
    started = utcnow()  # "as of": the figures may miss what changed while they were being computed
    figures = compute_figures(f, edition)
    store_figures(key, figures, started)
    return Snapshot(figures, started, written=True)


def refresh(f: Filters, edition: Edition) -> Figures:
    """Compute and store these figures whatever the age of the stored ones (flushed, not committed)."""
    started = utcnow()
    figures = compute_figures(f, edition)
    store_figures(snapshot_key(f, edition), figures, started)
    return figures


def store_figures(key: str, figures: Figures, computed_at: datetime) -> None:
    """Insert or replace the key's row, and delete every expired row of any key.

    Safe when workers store at once: the upsert never fails on the key another worker just
    inserted (the newer computation wins), and the clean-up skips rows other transactions hold,
    so two workers never wait on each other's rows (which could deadlock).
    """
    table = DashboardSnapshot.__table__
    stmt = upsert_insert(db.session.get_bind().dialect.name)(table).values(
        key=key, figures=figures_to_json(figures), computed_at=computed_at
    )
    db.session.execute(
        stmt.on_conflict_do_update(
            index_elements=[table.c.key],
            set_={"figures": stmt.excluded.figures, "computed_at": stmt.excluded.computed_at},
            where=table.c.computed_at <= stmt.excluded.computed_at,
        )
    )
    cutoff = utcnow() - timedelta(seconds=snapshot_seconds())
    expired = select(table.c.key).where(table.c.computed_at <= cutoff).with_for_update(skip_locked=True)
    db.session.execute(delete(table).where(table.c.key.in_(expired)))


# --- JSON ----------------------------------------------------------------------------------------


def figures_to_json(figures: Figures) -> dict:
    return {
        "outlets": [figures.outlets.registered, figures.outlets.verified],
        "statuses": [[status.value, count] for status, count in figures.statuses],
        "certificates": [[level, bucket.value, n] for (level, bucket), n in figures.certificates.items()],
        "trend": [[m.month, m.submitted, m.issued] for m in figures.trend],
        "brands": [[brand, c.outlets, c.certified] for brand, c in figures.brands],
        "items": [
            [i.code, i.title.zh, i.title.en, i.answered, i.passed, i.not_applicable] for i in figures.items
        ],
        "rectification": rectification_to_json(figures.rectification),
        "districts": [
            [
                d.district.id,
                d.outlets.registered,
                d.outlets.verified,
                d.applications,
                d.certificates,
                d.coverage.outlets,
                d.coverage.certified,
            ]
            for d in figures.districts
        ],
    }


def figures_from_json(data: dict) -> Figures:
    districts = {d.id: d for d in all_districts()} if data["districts"] else {}
    return Figures(
        outlets=OutletTotals(*data["outlets"]),
        statuses=[(Status(status), count) for status, count in data["statuses"]],
        certificates={(level, CertificateBucket(bucket)): n for level, bucket, n in data["certificates"]},
        trend=[MonthFigures(*month) for month in data["trend"]],
        brands=[(brand, Coverage(outlets, certified)) for brand, outlets, certified in data["brands"]],
        items=[
            ItemPassRate(code, Text(zh, en), answered, passed, na)
            for code, zh, en, answered, passed, na in data["items"]
        ],
        rectification=rectification_from_json(data["rectification"]),
        districts=[
            DistrictFigures(
                districts[district_id],
                OutletTotals(registered, verified),
                applications,
                certificates,
                Coverage(outlets, certified),
            )
            for district_id, registered, verified, applications, certificates, outlets, certified in data[
                "districts"
            ]
        ],
    )


def rectification_to_json(figures: RectificationFigures) -> dict:
    return {
        "items": [
            [i.code, i.title.zh, i.title.en, i.found, i.ordered, i.not_required, i.closed]
            for i in figures.items
        ],
        "settled": figures.settled,
        "closed_on_time": figures.closed_on_time,
        "closed": figures.closed,
        "median_days": None if figures.median_days is None else str(figures.median_days),
        "overdue_notices": figures.overdue_notices,
    }


def rectification_from_json(data: dict) -> RectificationFigures:
    median = data["median_days"]
    return RectificationFigures(
        items=[ItemFindings(code, Text(zh, en), *counts) for code, zh, en, *counts in data["items"]],
        settled=data["settled"],
        closed_on_time=data["closed_on_time"],
        closed=data["closed"],
        median_days=None if median is None else Decimal(median),
        overdue_notices=data["overdue_notices"],
    )
