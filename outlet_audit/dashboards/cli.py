"""`flask dashboards refresh`: recompute the dashboard snapshots bureaus open first.

The job queue runs the same refresh every few minutes (jobs/periodic.py); the command stays for
operators who want it at once.
"""

import time

import click
from flask.cli import AppGroup

from outlet_audit.extensions import db

from .counts import rebuild
from .refresh import refresh_every_view

dashboards_cli = AppGroup("dashboards", help="Bureau dashboards: stored figures.")


@dashboards_cli.command("refresh")
def refresh() -> None:
    """Recompute the city-wide dashboard and each district's, without filters, as of now.

    The job queue does it every 5 minutes (DASHBOARD_SNAPSHOT_SECONDS is 300 by default), so
    bureaus opening their dashboard are served stored figures instead of waiting for them.
    """
    count = refresh_every_view(
        lambda name, figures: click.echo(f"{name}: {figures.outlets.registered:,} outlets")
    )
    if not count:
        click.echo("DASHBOARD_SNAPSHOT_SECONDS is 0: the dashboard computes its figures on every request.")
        return
    click.echo(f"{count} dashboard views refreshed.")


@dashboards_cli.command("recount")
def recount() -> None:
    """Count the dashboard's maintained counts again from the records.

    They are kept exact in every transaction that changes what they count (dashboards/upkeep.py);
    this is for data written around the application (a restore, a bulk load into the tables).
    """
    started = time.perf_counter()
    rebuild(db.session.connection())
    db.session.commit()
    click.echo(f"Dashboard counts rebuilt in {time.perf_counter() - started:.1f} s.")
