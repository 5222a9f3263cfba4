"""Which edition new applications use on a day: only the admin's recorded choices decide, each edition
only within its effect dates, falling back visibly to an earlier choice when the chosen one ends."""

from dataclasses import replace
from datetime import date
from pathlib import Path

import pytest

from outlet_audit.criteria import load_edition
from outlet_audit.criteria.schedule import Choice, edition_in_use, end_notice, pending_choices

ROOT = Path(__file__).resolve().parents[2]
SHANGHAI = load_edition(ROOT / "criteria" / "shanghai-2025.yaml")


def edition(edition_id: str, start: str, end: str | None = None):
    return replace(
        SHANGHAI,
        id=edition_id,
        effective_from=date.fromisoformat(start),
        effective_until=date.fromisoformat(end) if end else None,
    )


CITY_2025 = edition("city-2025", "2025-01-01")  # open-ended
PILOT_2026 = edition("pilot-2026", "2026-01-01", "2026-12-31")
CITY_2027 = edition("city-2027", "2027-01-01")  # future-dated
FOLDER = {e.id: e for e in (CITY_2025, PILOT_2026, CITY_2027)}
INSTALLED = Choice(1, "city-2025", None)  # recorded at installation


def day(text: str) -> date:
    return date.fromisoformat(text)


def test_a_file_in_the_folder_is_never_used_until_it_is_chosen():
    # pilot-2026 is newer and in effect on the day, but nobody chose it
    state = edition_in_use([INSTALLED], FOLDER, day("2026-06-01"))
    assert state.edition is CITY_2025 and not state.fallback


def test_nothing_chosen_means_no_edition_and_no_fallback():
    state = edition_in_use([], FOLDER, day("2026-06-01"))
    assert state.edition is None and state.latest is None and not state.fallback


def test_a_scheduled_choice_takes_over_on_its_day_and_not_before():
    choices = [INSTALLED, Choice(2, "city-2027", day("2027-01-01"))]
    assert edition_in_use(choices, FOLDER, day("2026-12-31")).edition is CITY_2025
    on_the_day = edition_in_use(choices, FOLDER, day("2027-01-01"))
    assert on_the_day.edition is CITY_2027 and not on_the_day.fallback
    assert pending_choices(choices, day("2026-12-31")) == [choices[1]]
    assert pending_choices(choices, day("2027-01-01")) == []


def test_an_edition_is_never_used_before_its_effective_from_even_when_chosen_for_that_day():
    # a choice whose day comes before the file's first day (the file was edited after the choice)
    choices = [INSTALLED, Choice(2, "city-2027", day("2026-12-01"))]
    state = edition_in_use(choices, FOLDER, day("2026-12-15"))
    assert state.edition is CITY_2025 and state.fallback and state.latest.edition_id == "city-2027"


def test_a_chosen_edition_that_ends_falls_back_to_the_newest_earlier_choice_still_in_effect():
    choices = [INSTALLED, Choice(2, "pilot-2026", day("2026-03-01"))]
    assert edition_in_use(choices, FOLDER, day("2026-12-31")).edition is PILOT_2026
    after = edition_in_use(choices, FOLDER, day("2027-01-01"))
    assert after.edition is CITY_2025 and after.fallback and after.latest.edition_id == "pilot-2026"


def test_when_no_chosen_edition_is_in_effect_there_is_none():
    ends = edition("city-2025", "2025-01-01", "2026-12-31")
    choices = [INSTALLED, Choice(2, "pilot-2026", day("2026-03-01"))]
    state = edition_in_use(choices, FOLDER | {"city-2025": ends}, day("2027-01-01"))
    assert state.edition is None and state.fallback and state.latest.id == 2


def test_a_chosen_edition_removed_from_the_folder_falls_back():
    choices = [INSTALLED, Choice(2, "pilot-2026", day("2026-03-01"))]
    state = edition_in_use(choices, {"city-2025": CITY_2025}, day("2026-06-01"))
    assert state.edition is CITY_2025 and state.fallback


def test_of_two_choices_for_the_same_day_the_later_one_decides():
    choices = [
        INSTALLED,
        Choice(2, "pilot-2026", day("2026-03-01")),
        Choice(3, "city-2025", day("2026-03-01")),
    ]
    state = edition_in_use(choices, FOLDER, day("2026-06-01"))
    assert state.edition is CITY_2025 and state.latest.id == 3 and not state.fallback


@pytest.mark.parametrize(
    ("today", "days", "expected"),
    [
        ("2026-12-01", 30, ("pilot-2026", "2026-12-31", "city-2025")),  # 30 days before: told
        ("2026-11-30", 30, None),  # 31 days before: not yet
        ("2026-12-20", 5, None),
        ("2026-12-31", 0, ("pilot-2026", "2026-12-31", "city-2025")),  # the last day
    ],
)
def test_the_admin_is_told_n_days_before_the_edition_in_use_ends(today, days, expected):
    choices = [INSTALLED, Choice(2, "pilot-2026", day("2026-03-01"))]
    notice = end_notice(choices, FOLDER, day(today), days)
    if expected is None:
        assert notice is None
    else:
        assert (notice.edition.id, notice.ends_on.isoformat(), notice.then.id) == expected
        assert notice.next_day == day("2027-01-01")


def test_the_notice_says_when_new_applications_will_be_refused():
    notice = end_notice([Choice(2, "pilot-2026", None)], FOLDER, day("2026-12-15"), 30)
    assert notice.edition is PILOT_2026 and notice.then is None


def test_no_notice_when_a_choice_is_scheduled_to_take_over_the_next_day():
    choices = [
        INSTALLED,
        Choice(2, "pilot-2026", day("2026-03-01")),
        Choice(3, "city-2027", day("2027-01-01")),
    ]
    assert end_notice(choices, FOLDER, day("2026-12-15"), 30) is None


def test_a_notice_when_the_scheduled_successor_leaves_a_gap():
    choices = [
        INSTALLED,
        Choice(2, "pilot-2026", day("2026-03-01")),
        Choice(3, "city-2027", day("2027-01-05")),
    ]
    notice = end_notice(choices, FOLDER, day("2026-12-15"), 30)
    assert notice is not None and notice.then is CITY_2025


def test_no_notice_for_an_open_ended_edition():
    assert end_notice([INSTALLED], FOLDER, day("2026-12-15"), 3650) is None
