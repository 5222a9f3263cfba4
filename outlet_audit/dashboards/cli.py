"""`flask dashboards refresh`: recompute the dashboard snapshots bureaus open first.

The job queue runs the same refresh every few minutes (jobs/periodic.py); the command stays for
operators who want it at once.
"""

import click
from flask.cli import AppGroup

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
