"""`flask supervision redraw --check NUMBER`: re-run a campaign's draw from its recorded seed and
inputs and compare it with the checks it opened (outlets and teams). `flask yearly run`: make the
year's self-checks and send their reminders (daily, from cron)."""

import sys
from datetime import date

import click
from flask.cli import AppGroup
from sqlalchemy import select

from outlet_audit.core.cli import today_option
from outlet_audit.extensions import db
from outlet_audit.supervision.campaigns import draw_differences
from outlet_audit.supervision.models import Campaign
from outlet_audit.supervision.yearly import run_yearly_self_checks

supervision_cli = AppGroup("supervision", help="Supervision after the certificate: spot-check campaigns.")


@supervision_cli.command("redraw")
@click.option("--check", "number", required=True, metavar="NUMBER", help="The campaign's number (CJ-...).")
def redraw(number: str) -> None:
    """Re-run the draw of campaign NUMBER; exit 0 when it is identical to the checks recorded."""
    campaign = db.session.scalar(select(Campaign).where(Campaign.number == number))
    if campaign is None:
        click.echo(f"No campaign {number}.", err=True)
        sys.exit(2)
    if campaign.seed is None:
        click.echo(f"{number} is not drawn yet: there is nothing to compare.", err=True)
        sys.exit(2)
    differences = draw_differences(campaign)
    if differences:
        click.echo(f"{number}: the recorded checks differ from the draw ({len(differences)}):")
        for difference in differences:
            click.echo(f"  {difference}")
        sys.exit(1)
    click.echo(f"{number}: identical ({len(campaign.checks)} outlets and teams).")


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
