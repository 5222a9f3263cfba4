"""`flask supervision redraw --check NUMBER`: re-run a campaign's draw from its recorded seed and
inputs and compare it with the checks it opened (outlets and teams)."""

import sys

import click
from flask.cli import AppGroup
from sqlalchemy import select

from outlet_audit.extensions import db
from outlet_audit.supervision.campaigns import draw_differences
from outlet_audit.supervision.models import Campaign

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
