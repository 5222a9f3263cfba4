"""What the daily `flask ... remind` commands share: the day they run as."""

from datetime import date

import click

from outlet_audit.core.time import today_in_shanghai


def _day(_ctx, _param, text: str | None) -> date:
    try:
        return date.fromisoformat(text) if text else today_in_shanghai()
    except ValueError:
        raise click.BadParameter("use the form YYYY-MM-DD", param_hint="--today") from None


today_option = click.option(
    "--today",
    callback=_day,
    metavar="YYYY-MM-DD",
    help="Run as if it were this day in Shanghai (default: today). For testing and catching up.",
)
