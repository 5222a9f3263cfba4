"""The processing time limit (办理时限): the day by which the bureaus must decide an application.

Pure: no Flask, no database, no clock; the caller gives the days and the configuration.

The limit is counted in working days by default, as Chinese administrative law counts the time
limits of administrative acts (行政许可法 第八十二条: 以工作日计算，不含法定节假日). Weekends are not
working days; the State Council's public holidays and the weekend days worked instead (调休) are
published each year and are configured (`PUBLIC_HOLIDAYS`, `MAKEUP_WORKDAYS`): without them the
holidays count as working days and the warning comes early, never late. `PROCESSING_DAYS_KIND =
"calendar"` counts every day instead.

The clock runs from the day of submission (the day itself not counted) and stops while the
application waits for the outlet: a returned application is submitted again and counted anew,
and the days from a rectification notice to the outlet's answer are added to the limit.
"""

import enum
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, timedelta

WORKING, CALENDAR = "working", "calendar"
DEFAULT_PROCESSING_DAYS = 20
DEFAULT_DUE_SOON_DAYS = 5


@dataclass(frozen=True)
class ProcessingRules:
    days: int = DEFAULT_PROCESSING_DAYS
    kind: str = WORKING  # WORKING or CALENDAR
    due_soon: int = DEFAULT_DUE_SOON_DAYS  # warn this many counted days ahead
    holidays: frozenset[date] = frozenset()  # weekdays off (法定节假日)
    makeup_workdays: frozenset[date] = frozenset()  # weekend days worked instead (调休上班)

    def counts(self, day: date) -> bool:
        """Tell whether `day` counts towards the limit."""
        if self.kind == CALENDAR:
            return True
        if day in self.makeup_workdays:
            return True
        return day.weekday() < 5 and day not in self.holidays

    def add(self, start: date, days: int) -> date:
        """The day on which `days` counted days after `start` (not itself counted) are over."""
        if self.kind == CALENDAR:
            return start + timedelta(days=days)
        day = start
        while days > 0:
            day += timedelta(days=1)
            if self.counts(day):
                days -= 1
        return day

    def between(self, start: date, end: date) -> int:
        """How many counted days lie after `start` up to and including `end` (0 when end <= start)."""
        if end <= start:
            return 0
        if self.kind == CALENDAR:
            return (end - start).days
        return sum(1 for n in range(1, (end - start).days + 1) if self.counts(start + timedelta(days=n)))


def rules_from(config: Mapping) -> ProcessingRules:
    """The rules as the application's configuration sets them (config.py documents each key)."""
    return ProcessingRules(
        days=int(config.get("PROCESSING_DAYS", DEFAULT_PROCESSING_DAYS)),
        kind=config.get("PROCESSING_DAYS_KIND", WORKING),
        due_soon=int(config.get("PROCESSING_DUE_SOON_DAYS", DEFAULT_DUE_SOON_DAYS)),
        holidays=frozenset(config.get("PUBLIC_HOLIDAYS", ())),
        makeup_workdays=frozenset(config.get("MAKEUP_WORKDAYS", ())),
    )


@dataclass(frozen=True)
class Pause:
    """Days the application waited for the outlet: from `start` (not counted) to `end`."""

    start: date
    end: date


def processing_deadline(submitted_on: date, rules: ProcessingRules, pauses: Iterable[Pause] = ()) -> date:
    """The last day of the limit for an application submitted on `submitted_on`."""
    waited = sum(rules.between(pause.start, pause.end) for pause in pauses)
    return rules.add(submitted_on, rules.days + waited)


class Urgency(enum.StrEnum):
    ON_TIME = "on_time"
    DUE_SOON = "due_soon"
    OVERDUE = "overdue"


def urgency(deadline: date, today: date, rules: ProcessingRules) -> Urgency:
    """Overdue after the last day; due soon when `rules.due_soon` counted days or fewer are left."""
    if today > deadline:
        return Urgency.OVERDUE
    if rules.between(today, deadline) <= rules.due_soon:
        return Urgency.DUE_SOON
    return Urgency.ON_TIME
