"""The password policy (ASVS 2.1) and the sign-in wait, as pure functions."""

from datetime import datetime, timedelta

import pytest

from outlet_audit.accounts.password_policy import (
    ADVICE,
    CONTAINS_NAME,
    MAX_PASSWORD_LENGTH,
    TOO_LONG,
    TOO_SHORT,
    password_problem,
)
from outlet_audit.accounts.throttle import ThrottleRule

NAMES = ("nanqiao-sf", "王建国", "Wang Jianguo")


@pytest.mark.parametrize(
    "password",
    [
        "correct horse battery staple",  # a passphrase: no digits, no capitals, and welcome
        "lantern orchard 47 kites",
        "我的快递网点在奉贤南桥镇",  # any Unicode, counted in characters
        "Tr0ub4dor&3 x",
        # long is fine, up to the maximum
        (
            "the ferry to chongming leaves at seven and the tea on the upper deck is always too "
            "sweet but the view of the river makes up for it"
        )[:MAX_PASSWORD_LENGTH],
    ],
)
def test_strong_passwords_and_passphrases_pass(password):
    assert password_problem(password, NAMES) is None


@pytest.mark.parametrize(
    "password, template",
    [
        ("short1", TOO_SHORT),
        ("a" * (MAX_PASSWORD_LENGTH + 1), TOO_LONG),
        ("password1234", ADVICE["common"]),
        ("iloveyou2024", ADVICE["common"]),
        ("P@ssw0rd2024", ADVICE["common"]),
        ("qwertyuiop12", ADVICE["common"]),
        ("zxcvbnm,./;'", ADVICE["keyboard"]),
        ("aaaaaaaaaaaaaa", ADVICE["repeat"]),
        ("abcdefghijkl1", ADVICE["sequence"]),
        ("1990-01-011990", ADVICE["date"]),
        ("nanqiao-sf-2026!", CONTAINS_NAME),
        ("NANQIAO rivers and kites", CONTAINS_NAME),  # a part of the username, any case
        ("jianguo lantern orchard", CONTAINS_NAME),  # a part of the display name
        ("王建国的快递网点密码", CONTAINS_NAME),
    ],
)
def test_weak_passwords_are_refused_with_a_reason_of_our_own(password, template):
    problem = password_problem(password, NAMES)
    assert problem is not None and problem.template == template


def test_short_name_parts_do_not_forbid_ordinary_words():
    assert password_problem("an orchard of lanterns 4", ("an", "li")) is None


def test_a_lone_surrogate_is_refused_not_hashed():
    problem = password_problem("\udcff" * 12, NAMES)
    assert problem is not None and "cannot be stored" in problem.template


RULE = ThrottleRule(free_failures=5, base_seconds=15, max_seconds=900)


@pytest.mark.parametrize(
    "failures, seconds",
    [
        (0, None),
        (1, None),
        (4, None),
        (5, 15),
        (6, 30),
        (7, 60),
        (10, 480),
        (11, 900),
        (40, 900),
        (10**6, 900),
    ],
)
def test_the_wait_doubles_from_the_free_failures_up_to_the_ceiling(failures, seconds):
    wait = RULE.wait_after(failures)
    assert (wait.total_seconds() if wait else None) == seconds


def test_the_wait_ends_at_a_time():
    now = datetime(2026, 11, 24, 8, 0)
    assert RULE.blocked_until(6, now) == now + timedelta(seconds=30)
    assert RULE.blocked_until(2, now) is None


def test_nonsense_settings_are_bounded():
    rule = ThrottleRule.from_config(
        {
            "LOGIN_THROTTLE_AFTER_FAILURES": 0,
            "LOGIN_THROTTLE_BASE_SECONDS": -5,
            "LOGIN_THROTTLE_MAX_SECONDS": 0,
        }
    )
    assert rule == ThrottleRule(free_failures=1, base_seconds=1, max_seconds=1)
