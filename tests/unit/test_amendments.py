"""What changed between two inspection records (`checklist.results.amendments`): pure, on stored rows."""

from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import pytest

from outlet_audit.checklist.results import amendments
from outlet_audit.criteria import load_edition

ROOT = Path(__file__).resolve().parents[2]
SHANGHAI = load_edition(ROOT / "criteria" / "shanghai-2025.yaml")
SIGNED = datetime(2026, 3, 10, 9, 0)
CHANGED = datetime(2026, 3, 12, 14, 30)
INSPECTOR, CORRECTOR = 7, 8


@dataclass
class Row:
    """An answer row as stored: value in its JSON text form."""

    value: str | None
    not_applicable: bool = False
    note: str | None = None
    updated_by_id: int | None = INSPECTOR
    updated_at: datetime = SIGNED


def copied(rows: dict[str, Row]) -> dict[str, Row]:
    """A later record as it starts: every row copied, who and when included."""
    return {
        code: Row(row.value, row.not_applicable, row.note, row.updated_by_id, row.updated_at)
        for code, row in rows.items()
    }


FIRST = {
    "1.1": Row("true"),
    "1.2": Row("false", note="封装台 3 处使用 60 毫米宽胶带"),
    "2.1": Row("91"),
    "3.1": Row('"C"'),
    "4.2": Row('"A"', note="宣传栏完整 "),
}


def test_a_copy_changes_nothing():
    assert amendments(SHANGHAI, FIRST, copied(FIRST)) == []


@pytest.mark.parametrize(
    ("code", "changed"),
    [
        ("1.2", Row("true", note="封装台 3 处使用 60 毫米宽胶带")),  # the answer
        ("1.2", Row("false", note="复查：仍有 1 处宽胶带")),  # the note only
        ("1.2", Row("false")),  # the note removed
        ("2.1", Row("96")),  # a number
        ("3.1", Row('"A"', note="")),  # an option
        ("3.1", Row(None, not_applicable=True)),  # now not applicable
    ],
)
def test_a_changed_answer_or_note_is_told_with_who_and_when(code, changed):
    later = copied(FIRST)
    later[code] = Row(changed.value, changed.not_applicable, changed.note, CORRECTOR, CHANGED)
    (amendment,) = amendments(SHANGHAI, FIRST, later)
    assert amendment.item.code == code
    assert amendment.before is FIRST[code] and amendment.after is later[code]
    assert (amendment.changed_by_id, amendment.changed_at) == (CORRECTOR, CHANGED)


def test_what_is_not_a_change():
    later = copied(FIRST)
    later["4.2"].note = "宣传栏完整"  # only the spaces around the note differ
    later["1.1"].updated_at = CHANGED  # saved again with the same answer
    both_na = {"3.1": Row('"C"', not_applicable=True)}
    stale = {"3.1": Row('"A"', not_applicable=True)}  # the value under N/A is not the answer
    assert amendments(SHANGHAI, FIRST, later) == []
    assert amendments(SHANGHAI, both_na, stale) == []
    assert amendments(SHANGHAI, {"4.2": Row('"A"', note="  ")}, {"4.2": Row('"A"')}) == []


def test_changes_come_in_the_editions_order_and_a_new_answer_has_nothing_before():
    later = {**copied(FIRST), "B1": Row("true")}
    later["3.1"] = Row('"A"', updated_by_id=CORRECTOR)
    later["1.2"] = Row("true", updated_by_id=CORRECTOR)
    changes = amendments(SHANGHAI, FIRST, later)
    assert [change.item.code for change in changes] == ["1.2", "3.1", "B1"]  # bonus items last
    assert changes[-1].before is None and changes[-1].after.value == "true"
    gone = amendments(SHANGHAI, FIRST, {})  # nothing answered later: every answer was taken back
    assert len(gone) == len(FIRST) and all(
        change.after is None and change.changed_by_id is None for change in gone
    )
