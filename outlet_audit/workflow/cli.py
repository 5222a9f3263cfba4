"""`flask rectification remind`: the daily job that reminds outlets of rectification falling due."""

from datetime import date

import click
from flask.cli import AppGroup

from outlet_audit.core.cli import today_option
from outlet_audit.extensions import db
from outlet_audit.workflow.reminders import REMIND_DAYS_BEFORE, send_rectification_reminders

rectification_cli = AppGroup("rectification", help="Rectification notices: reminders before the due date.")


@rectification_cli.command("remind")
@today_option
def remind(today: date) -> None:
    """Remind each outlet once, up to 3 days before its notice falls due. Run daily from cron."""
    reminded = send_rectification_reminders(today)
    db.session.commit()
    for notice in reminded:
        click.echo(f"{notice.number}: reminded (due {notice.due_on.isoformat()})")
    window = f"up to {REMIND_DAYS_BEFORE} days before the due date"
    click.echo(f"{len(reminded)} reminder(s) sent for {today.isoformat()} ({window}).")
