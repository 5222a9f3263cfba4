"""The processing time limit (办理时限): working days from submission, holidays and make-up working
days as configured, the outlet's rectification not counted, and when it is due soon or overdue."""

from datetime import date, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from outlet_audit.workflow.deadlines import (
    CALENDAR,
    Pause,
    ProcessingRules,
    Urgency,
    processing_deadline,
    rules_from,
    urgency,
)

MONDAY = date(2026, 12, 7)
WORKING = ProcessingRules()


def test_twenty_working_days_from_a_monday_end_four_weeks_later():
    assert processing_deadline(MONDAY, WORKING) == date(2027, 1, 4)


def test_the_day_of_submission_is_not_counted_and_weekends_are_skipped():
    friday = date(2026, 12, 11)
    assert WORKING.add(friday, 1) == date(2026, 12, 14)  # the next Monday
    saturday = date(2026, 12, 12)
    assert WORKING.add(saturday, 1) == date(2026, 12, 14)


def test_configured_holidays_and_make_up_working_days_count_as_the_state_council_says():
    holidays = ProcessingRules(holidays=frozenset({date(2027, 1, 1)}))
    assert processing_deadline(MONDAY, holidays) == date(2027, 1, 5)
    makeup = ProcessingRules(makeup_workdays=frozenset({date(2026, 12, 12)}))  # a Saturday worked
    assert processing_deadline(MONDAY, makeup) == date(2027, 1, 1)  # the Friday before


def test_calendar_days_count_every_day():
    assert processing_deadline(MONDAY, ProcessingRules(days=30, kind=CALENDAR)) == date(2027, 1, 6)


def test_the_outlets_rectification_is_not_counted():
    # Notice on Wednesday 16 Dec, answered Wednesday 23 Dec: five working days added.
    pause = Pause(date(2026, 12, 16), date(2026, 12, 23))
    assert processing_deadline(MONDAY, WORKING, [pause]) == WORKING.add(date(2027, 1, 4), 5)
    two = [pause, Pause(date(2027, 1, 4), date(2027, 1, 4))]  # answered the day it was issued: nothing
    assert processing_deadline(MONDAY, WORKING, two) == WORKING.add(date(2027, 1, 4), 5)


@pytest.mark.parametrize(
    ("today", "expected"),
    [
        (date(2026, 12, 24), Urgency.ON_TIME),  # 7 working days left
        (date(2026, 12, 28), Urgency.DUE_SOON),  # 5 left
        (date(2027, 1, 4), Urgency.DUE_SOON),  # the last day
        (date(2027, 1, 5), Urgency.OVERDUE),
    ],
)
def test_due_soon_and_overdue(today, expected):
    assert urgency(date(2027, 1, 4), today, WORKING) is expected


def test_rules_read_from_the_configuration():
    rules = rules_from(
        {
            "PROCESSING_DAYS": 15,
            "PROCESSING_DAYS_KIND": "calendar",
            "PROCESSING_DUE_SOON_DAYS": 3,
            "PUBLIC_HOLIDAYS": (date(2027, 1, 1),),
            "MAKEUP_WORKDAYS": (),
        }
    )
    assert rules == ProcessingRules(15, CALENDAR, 3, frozenset({date(2027, 1, 1)}))
    assert rules_from({}) == ProcessingRules()


days = st.dates(min_value=date(2025, 1, 1), max_value=date(2030, 12, 31))


@given(
    submitted=days,
    limit=st.integers(min_value=1, max_value=60),
    holidays=st.frozensets(days, max_size=20),
    waited=st.integers(min_value=0, max_value=40),
)
def test_the_deadline_is_a_working_day_exactly_the_limit_plus_the_pauses_after_submission(
    submitted, limit, holidays, waited
):
    rules = ProcessingRules(days=limit, holidays=holidays)
    pause = Pause(submitted + timedelta(days=3), submitted + timedelta(days=3 + waited))
    deadline = processing_deadline(submitted, rules, [pause])
    assert rules.counts(deadline)
    assert rules.between(submitted, deadline) == limit + rules.between(pause.start, pause.end)
    assert processing_deadline(submitted + timedelta(days=1), rules, [pause]) >= deadline  # monotone
