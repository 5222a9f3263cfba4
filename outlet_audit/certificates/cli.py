"""`flask certificates remind`: the daily job that reminds outlets and bureaus of expiring certificates."""

from datetime import date

import click
from flask.cli import AppGroup

from outlet_audit.certificates.operations import send_expiry_reminders
from outlet_audit.certificates.state import REMINDER_DAYS
from outlet_audit.core.cli import today_option
from outlet_audit.extensions import db

certificates_cli = AppGroup("certificates", help="Certificates: expiry reminders.")


@certificates_cli.command("remind")
@today_option
def remind(today: date) -> None:
    """Send the reminders due today (90 and 30 days before expiry), each once. Run daily from cron."""
    reminded = send_expiry_reminders(today)
    db.session.commit()
    for certificate, days in reminded:
        click.echo(
            f"{certificate.number}: {days}-day reminder (expires {certificate.valid_until.isoformat()})"
        )
    days_text = " and ".join(str(days) for days in REMINDER_DAYS)
    click.echo(f"{len(reminded)} reminder(s) sent for {today.isoformat()} ({days_text} days before expiry).")
