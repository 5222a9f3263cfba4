"""certificate_state and due_reminder: pure functions of the stored state, the dates and today."""

from datetime import date, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from outlet_audit.certificates.state import (
    REMINDER_DAYS,
    STATE_COLOURS,
    STATE_LABELS,
    CertificateState,
    Standing,
    certificate_standing,
    certificate_state,
    due_reminder,
)

VALID_UNTIL = date(2027, 3, 14)


@pytest.mark.parametrize(
    "stored, today, shown",
    [
        ("active", date(2025, 3, 15), CertificateState.VALID),
        ("active", VALID_UNTIL, CertificateState.VALID),  # valid through its last day
        ("active", VALID_UNTIL + timedelta(days=1), CertificateState.EXPIRED),
        ("active", date(2030, 1, 1), CertificateState.EXPIRED),
        ("revoked", date(2025, 3, 15), CertificateState.REVOKED),
        ("revoked", date(2030, 1, 1), CertificateState.REVOKED),  # revoked stays revoked after expiry
        ("superseded", date(2025, 3, 15), CertificateState.SUPERSEDED),
        ("superseded", date(2030, 1, 1), CertificateState.SUPERSEDED),
    ],
)
def test_certificate_state(stored, today, shown):
    assert certificate_state(stored, VALID_UNTIL, today) is shown


def test_an_unknown_stored_state_is_an_error():
    with pytest.raises(ValueError, match="expired"):
        certificate_state("expired", VALID_UNTIL, date(2025, 1, 1))  # expiry is never stored


def test_every_state_has_a_label_and_a_colour():
    assert set(STATE_LABELS) == set(STATE_COLOURS) == set(CertificateState)


def days_before(days: int) -> date:
    return VALID_UNTIL - timedelta(days=days)


@pytest.mark.parametrize(
    "days_left, sent, due",
    [
        (120, frozenset(), None),  # too early
        (91, frozenset(), None),
        (90, frozenset(), 90),
        (60, frozenset(), 90),  # the job missed day 90: the 90-day reminder still goes out
        (60, frozenset({90}), None),  # once
        (31, frozenset({90}), None),
        (30, frozenset({90}), 30),
        (30, frozenset(), 30),  # missed the 90-day window entirely: only the 30-day one
        (5, frozenset({90}), 30),
        (5, frozenset({90, 30}), None),
        (5, frozenset({30}), None),
        (0, frozenset({90}), 30),  # the last valid day
        (-1, frozenset(), None),  # expired: no reminder
        (60, frozenset({30}), None),  # a smaller one already went out (e.g. dates changed)
    ],
)
def test_due_reminder(days_left, sent, due):
    assert due_reminder(VALID_UNTIL, days_before(days_left), sent) == due


@given(
    st.lists(st.integers(min_value=-5, max_value=200), min_size=1, max_size=40).map(
        lambda days: sorted(days, reverse=True)
    )
)
def test_running_the_job_on_any_days_sends_each_reminder_at_most_once(days_left_each_run):
    sent: set[int] = set()
    sent_in_order = []
    for days_left in days_left_each_run:
        due = due_reminder(VALID_UNTIL, days_before(days_left), frozenset(sent))
        if due is not None:
            assert due not in sent and days_left <= due and days_left >= 0
            sent.add(due)
            sent_in_order.append(due)
    assert sent_in_order == sorted(sent_in_order, reverse=True)
    assert set(sent_in_order) <= set(REMINDER_DAYS)


def test_a_daily_job_sends_exactly_the_two_reminders():
    sent: set[int] = set()
    for days_left in range(120, -3, -1):
        due = due_reminder(VALID_UNTIL, days_before(days_left), frozenset(sent))
        if due is not None:
            sent.add(due)
            assert days_left == due
    assert sent == {90, 30}


REVOKED_ON, REPLACED_ON = date(2025, 9, 2), date(2025, 11, 20)


@pytest.mark.parametrize(
    "stored, today, standing",
    [
        ("active", VALID_UNTIL, Standing(CertificateState.VALID)),
        ("active", VALID_UNTIL + timedelta(days=1), Standing(CertificateState.EXPIRED, VALID_UNTIL)),
        ("revoked", date(2030, 1, 1), Standing(CertificateState.REVOKED, REVOKED_ON, reason="停业")),
        (
            "superseded",
            date(2025, 12, 1),
            Standing(CertificateState.SUPERSEDED, REPLACED_ON, replaced_by="WFKD-2025-FX-S-0001"),
        ),
    ],
)
def test_certificate_standing_says_since_when_and_why(stored, today, standing):
    found = certificate_standing(
        stored,
        VALID_UNTIL,
        today,
        revoked_on=REVOKED_ON,
        revoked_reason="停业",
        replaced_by="WFKD-2025-FX-S-0001",
        replaced_on=REPLACED_ON,
    )
    assert found == standing
    assert found.in_force is (standing.state is CertificateState.VALID)
    assert (found.label, found.colour) == (STATE_LABELS[found.state], STATE_COLOURS[found.state])
