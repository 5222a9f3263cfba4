"""Time in one convention: the database holds naive UTC; pages show Asia/Shanghai via Flask-Babel."""

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

SHANGHAI = ZoneInfo("Asia/Shanghai")


def utcnow() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


def today_in_shanghai() -> date:
    """The calendar date for deadlines and certificate validity, which follow Shanghai's day."""
    return datetime.now(SHANGHAI).date()
