"""The diff between two editions, on hand-made pairs: each change made to a copy of shanghai-2025 is
the change reported, by item code and by its path in the file, and nothing else is."""

import copy
from pathlib import Path

import pytest

from outlet_audit.criteria import load_edition
from outlet_audit.criteria.diff import (
    CodeNames,
    FieldChange,
    describe,
    describe_field,
    diff_editions,
    diff_lines,
)
from outlet_audit.criteria.model import Edition, Text

SHANGHAI = load_edition(Path(__file__).resolve().parents[2] / "criteria" / "shanghai-2025.yaml")


def edited(change) -> Edition:
    """A copy of shanghai-2025 with `change(snapshot)` applied, under another id."""
    data = copy.deepcopy(SHANGHAI.to_snapshot())
    data["id"] = "shanghai-2026"
    change(data)
    return Edition.from_snapshot(data)


def item(data: dict, code: str) -> dict:
    return next(i for s in data["sections"] for i in s["items"] if i["code"] == code)


def section(data: dict, code: str) -> dict:
    return next(s for s in data["sections"] if s["code"] == code)


def test_the_same_rules_under_another_id_differ_in_nothing():
    diff = diff_editions(SHANGHAI, edited(lambda data: None))
    assert diff.identical_rules
    assert diff_lines(diff) == ["changes from shanghai-2025 to shanghai-2026:", "  no rule differs"]


def test_changed_points_are_reported_on_the_item_and_the_total():
    def change(data):
        item(data, "1.1")["points"] = "10"
        item(data, "6.1")["points"] = "2"

    diff = diff_editions(SHANGHAI, edited(change))

    assert [(e.code, e.changes) for e in diff.items.changed] == [
        ("1.1", (FieldChange("points", "8", "10"),)),
        ("6.1", (FieldChange("points", "4", "2"),)),
    ]
    assert diff.edition == ()  # the total is still 100
    assert not diff.items.added and not diff.items.removed and not diff.levels


def test_added_and_removed_items_name_their_section():
    def change(data):
        new = copy.deepcopy(item(data, "6.1"))
        new["code"] = "6.2"
        section(data, "6")["items"].append(new)
        section(data, "5")["items"] = [i for i in section(data, "5")["items"] if i["code"] != "5.2"]

    diff = diff_editions(SHANGHAI, edited(change))

    assert [(e.code, e.where) for e in diff.items.added] == [("6.2", "6")]
    assert [(e.code, e.where) for e in diff.items.removed] == [("5.2", "5")]
    assert diff.items.added[0].title == SHANGHAI.item("6.1").title
    assert diff.items.changed == ()


def test_an_answer_type_change_lists_each_part_of_the_answer_that_differs():
    def change(data):
        item(data, "5.2")["answer"] = {"type": "yes_no", "earns_on": True}

    [entry] = diff_editions(SHANGHAI, edited(change)).items.changed

    fields = {c.field: (c.before, c.after) for c in entry.changes}
    assert entry.code == "5.2"
    assert fields["answer.type"] == ("number", "yes_no")
    assert fields["answer.earns_on"] == (None, True)
    assert fields["answer.thresholds"][1] is None and fields["answer.thresholds"][0]
    assert describe(fields["answer.thresholds"][0]).startswith("≥ ")


def test_an_evidence_rule_change_is_one_change_described_as_the_guide_says_it():
    def change(data):
        item(data, "3.3")["evidence"] = {"kind": "photo", "required": "always", "when": []}

    [entry] = diff_editions(SHANGHAI, edited(change)).items.changed

    assert [c.field for c in entry.changes] == ["evidence"]
    assert (describe(entry.changes[0].before), describe(entry.changes[0].after)) == (
        "photo when yes",
        "photo always",
    )


def test_level_thresholds_and_rules_are_reported_per_level():
    def change(data):
        data["levels"]["district"]["min_score"] = "85"
        data["levels"]["city"]["items_at_full_marks"] = ["1.1", "1.2", "4.1", "4.3", "5.1"]

    diff = diff_editions(SHANGHAI, edited(change))

    assert {e.code: e.changes for e in diff.levels.changed} == {
        "district": (FieldChange("min_score", "80", "85"),),
        "city": (
            FieldChange(
                "items_at_full_marks", ["1.1", "1.2", "4.1", "4.3"], ["1.1", "1.2", "4.1", "4.3", "5.1"]
            ),
        ),
    }


def test_a_moved_item_says_from_which_section_to_which():
    def change(data):
        moved = item(data, "5.1")
        section(data, "5")["items"].remove(moved)
        section(data, "6")["items"].append(moved)

    [entry] = diff_editions(SHANGHAI, edited(change)).items.changed
    assert entry.changes == (FieldChange("section", "5", "6"),)


def test_edition_wide_settings_bonus_cap_and_veto_marks():
    def change(data):
        data["effective_from"] = "2026-01-01"
        data["bonus"]["cap"] = "3"
        item(data, "1.2")["veto"] = True
        item(data, "1.2")["title"] = {"zh": "瘦身胶带", "en": "Slim tape"}

    diff = diff_editions(SHANGHAI, edited(change))

    assert FieldChange("effective_from", "2025-01-01", "2026-01-01") in diff.edition
    assert FieldChange("bonus.cap", "5", "3") in diff.edition
    [entry] = diff.items.changed
    assert [c.field for c in entry.changes] == ["title", "veto"]
    assert describe(entry.changes[0].after, "en") == "Slim tape"
    assert describe(entry.changes[0].after, "zh") == "瘦身胶带"


def test_the_lines_the_cli_prints():
    def change(data):
        item(data, "1.1")["points"] = "10"
        item(data, "6.1")["points"] = "2"
        data["levels"]["district"]["min_score"] = "85"

    lines = diff_lines(diff_editions(SHANGHAI, edited(change)), "en")

    assert "  ~ item 1.1 [1]  Electronic waybills for all parcels" in lines
    assert "      points: 8 → 10" in lines
    assert "  ~ level district" in lines
    assert "      min_score: 80 → 85" in lines


def test_a_key_left_at_its_default_reads_as_the_default():
    """Snapshots leave out `required_from: district`; the diff fills it in rather than show "—"."""
    city = edited(lambda data: item(data, "1.3").update(required_from="city"))

    dropped = diff_editions(city, SHANGHAI)
    assert [(e.code, e.changes) for e in dropped.items.changed] == [
        ("1.3", (FieldChange("required_from", "city", "district"),)),
    ]
    assert "      required_from: city → district" in diff_lines(dropped)


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (None, "—"),
        (True, "yes"),
        ([], "—"),
        ([{"min": "95", "points": "15"}, {"min": "80", "points": "10"}], "≥ 95 → 15; ≥ 80 → 10"),
        ({"kind": "document", "required": "when", "when": ["A", "B"]}, "document when A, B"),
        ({"kind": "photo", "required": "never", "when": []}, "photo never"),
        ({"kind": "photo", "required": "when", "when": [], "above": "0"}, "photo when above 0"),
        ({"kind": "document", "required": "when", "when": [], "below": "50"}, "document when below 50"),
        ([{"max": "5", "points": "10"}, {"max": "10", "points": "5"}], "≤ 5 → 10; ≤ 10 → 5"),
        ({"zh": "是", "en": "Yes"}, "Yes"),
    ],
)
def test_values_read_as_people_write_them(value, text):
    assert describe(value, "en") == text


def test_rules_that_name_codes_read_with_their_titles():
    names = CodeNames(
        items={"1.1": Text("包装规范", "Packing rules"), "C1": Text("循环箱", "Reusable boxes")},
        sections={"D": Text("违规", "Violations")},
    )
    assert describe_field("items_at_full_marks", ["1.1", "9.9"], "en", names) == "1.1 (Packing rules); 9.9"
    assert describe_field("section_minimums", {"D": "80"}, "zh", names) == "D (违规) ≥ 80%"
    assert (
        describe_field("shown_when", {"item": "C1", "answers": [True]}, "en", names)
        == "C1 (Reusable boxes); answers: yes"
    )
    assert describe_field("points", "1.1", "en", names) == "1.1"  # a value that is no code stays as it is
    assert describe_field("items_at_full_marks", [], "en", names) == "—"
