"""Refreshing every stored dashboard view: the periodic job's work, and `flask dashboards refresh`."""

from collections.abc import Callable

from sqlalchemy import select

from outlet_audit.core.time import today_in_shanghai
from outlet_audit.criteria.editions import reporting_edition
from outlet_audit.extensions import db
from outlet_audit.outlets.models import District

from .queries import Filters
from .snapshots import Figures, snapshot_seconds
from .snapshots import refresh as refresh_snapshot


def refresh_every_view(on_each: Callable[[str, Figures], None] = lambda name, figures: None) -> int:
    """Recompute the city-wide dashboard and each district's, without filters, as of now; commit
    each as soon as it is ready, so bureaus get it at once. The number refreshed (0: snapshots off)."""
    if snapshot_seconds() <= 0:
        return 0
    today, edition = today_in_shanghai(), reporting_edition()
    views = [("city-wide", Filters(today))]
    for district in db.session.scalars(select(District).order_by(District.sort_order)):
        views.append((f"{district.code} {district.name_en}", Filters(today, district_id=district.id)))
    for name, filters in views:
        figures = refresh_snapshot(filters, edition)
        db.session.commit()
        on_each(name, figures)
    return len(views)
