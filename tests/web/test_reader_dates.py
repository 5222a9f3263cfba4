"""Dates in the reader's form: 2026年12月20日 in Chinese, 20 Dec 2026 in English; never ISO days,
never numbers alone (12/6/26 is 6 December to one reader and 12 June to another)."""

from datetime import date, datetime

import pytest
from flask_babel import force_locale

from outlet_audit.core.i18n import readable_date, readable_datetime, readable_params, translate_message
from outlet_audit.notifications.operations import notify, render_notification
from outlet_audit.roles import Role
from outlet_audit.text import Message
from tests.factories import login, make_user

DAY = date(2026, 12, 20)
MOMENT = datetime(2026, 12, 6, 7, 4)  # UTC: 15:04 in Shanghai


@pytest.mark.parametrize(
    ("locale", "day", "moment"),
    [("zh_CN", "2026年12月20日", "2026年12月6日 15:04"), ("en", "20 Dec 2026", "6 Dec 2026 15:04")],
)
@pytest.mark.parametrize("width", [None, "short", "medium"])
def test_days_and_moments_read_the_same_everywhere(ctx, locale, day, moment, width):
    with force_locale(locale):
        assert readable_date(DAY, width) == day
        assert readable_datetime(MOMENT, width) == moment


def test_long_and_full_forms_stay_words(ctx):
    with force_locale("en"):
        assert readable_date(DAY, "long") == "20 December 2026"
        assert readable_date(DAY, "full") == "Sunday, 20 December 2026"
    with force_locale("zh_CN"):
        assert readable_date(DAY, "full") == "2026年12月20日星期日"


def test_parameters_that_are_days_are_shown_as_dates_and_nothing_else_changes(ctx):
    with force_locale("en"):
        assert readable_params({"date": "2026-12-20", "day": DAY, "ref": "SQ2026-000001", "n": 3}) == {
            "date": "20 Dec 2026",
            "day": "20 Dec 2026",
            "ref": "SQ2026-000001",
            "n": 3,
        }
        # Not a day on its own: left as typed.
        assert readable_params({"note": "2026-12-20 前整改"}) == {"note": "2026-12-20 前整改"}
        # Shaped like a day but no day (an item code someone typed): left as typed, never an error.
        assert readable_params({"item": "2025-02-30"}) == {"item": "2025-02-30"}
        assert translate_message(Message("due %(date)s", {"date": "2026-12-20"})) == "due 20 Dec 2026"


@pytest.mark.parametrize(("locale", "shown"), [("zh_CN", "2026年12月20日"), ("en", "20 Dec 2026")])
def test_a_stored_notification_shows_its_day_in_each_readers_language(client, ctx, locale, shown):
    user = make_user(Role.OUTLET, locale=locale)
    (note,) = notify(
        [user],
        "rectification",
        "Rectification requested for %(ref)s by %(date)s.",
        None,
        ref="SQ2026-000001",
        date="2026-12-20",
    )
    with force_locale(locale):
        assert shown in render_notification(note)
    login(client, user)
    page = client.get("/notifications/").get_data(as_text=True)
    assert shown in page and "2026-12-20" not in page
