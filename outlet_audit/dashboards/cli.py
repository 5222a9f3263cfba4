"""`flask dashboards refresh`: recompute the dashboard snapshots bureaus open first. Run from cron."""

import click
from flask.cli import AppGroup
from sqlalchemy import select

from outlet_audit.core.time import today_in_shanghai
from outlet_audit.criteria.editions import reporting_edition
from outlet_audit.extensions import db
from outlet_audit.outlets.models import District

from .queries import Filters
from .snapshots import refresh as refresh_snapshot
from .snapshots import snapshot_seconds

dashboards_cli = AppGroup("dashboards", help="Bureau dashboards: stored figures.")


@dashboards_cli.command("refresh")
def refresh() -> None:
    """Recompute the city-wide dashboard and each district's, without filters, as of now.

    Run it more often than DASHBOARD_SNAPSHOT_SECONDS (e.g. every 5 minutes for the default 300)
    and bureaus opening their dashboard are served stored figures instead of waiting for them.
    """
    if snapshot_seconds() <= 0:
        click.echo("DASHBOARD_SNAPSHOT_SECONDS is 0: the dashboard computes its figures on every request.")
        return
    today, edition = today_in_shanghai(), reporting_edition()
    views = [("city-wide", Filters(today))]
    for district in db.session.scalars(select(District).order_by(District.sort_order)):
        views.append((f"{district.code} {district.name_en}", Filters(today, district_id=district.id)))
    for name, filters in views:
        figures = refresh_snapshot(filters, edition)
        db.session.commit()  # one view at a time: bureaus get each as soon as it is ready
        click.echo(f"{name}: {figures.outlets.registered:,} outlets")
    click.echo(f"{len(views)} dashboard views refreshed.")
