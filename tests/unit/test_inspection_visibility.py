"""The one rule for what of an inspection a user sees (checklist.permissions.inspection_visible_to)."""

from datetime import datetime
from types import SimpleNamespace

import pytest

from outlet_audit.checklist.permissions import awaiting_team, inspection_visible_to
from outlet_audit.roles import Role
from outlet_audit.workflow.states import Status

SIGNED = datetime(2026, 3, 1, 8, 0)
VISITS = (Status.INSPECTION_SCHEDULED, Status.RECTIFICATION_SUBMITTED)


def assessment(kind="inspection", signed_off_at=None):
    return SimpleNamespace(kind=kind, signed_off_at=signed_off_at)


@pytest.mark.parametrize("role", list(Role))
@pytest.mark.parametrize(
    ("record", "status", "newest", "outlet_sees"),
    [
        (None, None, True, False),  # no inspection yet: nothing signed off
        (assessment(), Status.INSPECTION_SCHEDULED, True, False),  # under way, or reopened
        (assessment(signed_off_at=SIGNED), Status.INSPECTED, True, True),  # the whole team signed
        (assessment(signed_off_at=SIGNED), Status.APPROVED, True, True),
        # signed by part of its team: the application waits at its visit for the others
        (assessment(signed_off_at=SIGNED), Status.INSPECTION_SCHEDULED, True, False),
        (assessment(signed_off_at=SIGNED), Status.RECTIFICATION_SUBMITTED, True, False),
        # an earlier record, complete, while a later one is under way or being signed
        (assessment(signed_off_at=SIGNED), Status.RECTIFICATION_SUBMITTED, False, True),
        (assessment(signed_off_at=SIGNED), Status.INSPECTION_SCHEDULED, False, True),
        (assessment(signed_off_at=SIGNED), None, True, False),  # where it stands unknown: deny
        (assessment(kind="self"), Status.INSPECTION_SCHEDULED, True, True),  # not hidden by this rule
    ],
)
def test_the_outlet_sees_a_record_once_its_whole_team_signed_it(role, record, status, newest, outlet_sees):
    expected = outlet_sees if role == Role.OUTLET else True
    user = SimpleNamespace(role=role)
    assert inspection_visible_to(user, record, status and status.value, newest=newest) is expected


@pytest.mark.parametrize("status", list(Status))
@pytest.mark.parametrize("newest", [True, False])
@pytest.mark.parametrize("signed", [True, False])
def test_a_record_waits_for_its_team_only_when_signed_newest_and_at_its_visit(status, newest, signed):
    record = assessment(signed_off_at=SIGNED if signed else None)
    expected = signed and newest and status in VISITS
    assert awaiting_team(record, status.value, newest=newest) is expected
