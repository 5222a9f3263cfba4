"""`flask yearly run`: the daily job that makes the year's self-checks and reminds the outlets."""

from datetime import date

import click
from flask.cli import AppGroup

from outlet_audit.core.cli import today_option
from outlet_audit.extensions import db
from outlet_audit.supervision.yearly import run_yearly_self_checks

yearly_cli = AppGroup("yearly", help="Yearly self-checks: make the year's, remind before the due date.")


@yearly_cli.command("run")
@today_option
def run(today: date) -> None:
    """Make the self-checks due this year (each once), send the reminders due today. Run daily."""
    done = run_yearly_self_checks(today)
    db.session.commit()
    for self_check in done.created:
        number, due = self_check.certificate.number, self_check.due_on.isoformat()
        click.echo(f"self-check {self_check.year} of certificate {number}: made, due {due}")
    for self_check in done.reminded:
        click.echo(f"self-check {self_check.year} of certificate {self_check.certificate.number}: reminded")
    made, reminded = len(done.created), len(done.reminded)
    click.echo(f"{made} self-check(s) made, {reminded} reminder(s) sent for {today.isoformat()}.")
