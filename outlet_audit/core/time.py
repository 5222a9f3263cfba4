"""Time in one convention: the database holds naive UTC; pages show Asia/Shanghai via Flask-Babel."""

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

SHANGHAI = ZoneInfo("Asia/Shanghai")

# Set only by `clock_at`: seeding (demo data, tests) makes a history by running the real operations
# at past moments, so every time they write (and every default) reads as that moment.
_clock_at: ContextVar[datetime | None] = ContextVar("clock_at", default=None)


def utcnow() -> datetime:
    moment = _clock_at.get()
    return moment if moment is not None else datetime.now(UTC).replace(tzinfo=None)


def today_in_shanghai() -> date:
    """The calendar date for deadlines and certificate validity, which follow Shanghai's day."""
    moment = _clock_at.get()
    if moment is not None:
        return shanghai_date(moment)
    return datetime.now(SHANGHAI).date()


def shanghai_date(moment: datetime) -> date:
    """The day a stored (naive UTC) moment fell on in Shanghai."""
    return moment.replace(tzinfo=UTC).astimezone(SHANGHAI).date()


def utc_start_of(day: date) -> datetime:
    """The naive-UTC instant at which this Shanghai calendar day begins (a filter's "from")."""
    return datetime.combine(day, time(), tzinfo=SHANGHAI).astimezone(UTC).replace(tzinfo=None)


def utc_end_of(day: date) -> datetime:
    """The naive-UTC instant at which this Shanghai calendar day ends (a filter's "to", exclusive)."""
    return utc_start_of(day + timedelta(days=1))


@contextmanager
def clock_at(moment: datetime) -> Iterator[None]:
    """Inside the block the clock reads `moment` (naive UTC): operations run then as on that day."""
    token = _clock_at.set(moment)
    try:
        yield
    finally:
        _clock_at.reset(token)
