"""The one rule for what of an inspection a user sees (checklist.permissions.inspection_visible_to)."""

from datetime import datetime
from types import SimpleNamespace

import pytest

from outlet_audit.checklist.permissions import inspection_visible_to
from outlet_audit.roles import Role

SIGNED = datetime(2026, 3, 1, 8, 0)


def assessment(kind="inspection", signed_off_at=None):
    return SimpleNamespace(kind=kind, signed_off_at=signed_off_at)


@pytest.mark.parametrize("role", list(Role))
@pytest.mark.parametrize(
    ("record", "outlet_sees"),
    [
        (None, False),  # no inspection yet: nothing signed off
        (assessment(), False),  # under way, or reopened (sign-off cleared)
        (assessment(signed_off_at=SIGNED), True),
        (assessment(kind="self"), True),  # the self-assessment is not hidden by this rule
    ],
)
def test_only_the_outlet_waits_for_the_sign_off(role, record, outlet_sees):
    expected = outlet_sees if role == Role.OUTLET else True
    assert inspection_visible_to(SimpleNamespace(role=role), record) is expected
