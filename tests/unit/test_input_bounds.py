"""The pure gatekeepers of typed input: the text cleaner, bounded numbers and dates, JSON depth."""

import unicodedata
from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st
from werkzeug.datastructures import MultiDict
from wtforms import Form, SelectField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import Optional

from outlet_audit.core.forms import BoundedDateField, PlainBaseForm
from outlet_audit.core.params import FIRST_DAY, LAST_DAY, MAX_PAGE, bounded_int
from outlet_audit.core.security import MAX_JSON_DEPTH, json_depth_exceeds
from outlet_audit.text import clean_text

INVISIBLE = [
    "\u202a", "\u202b", "\u202c", "\u202d", "\u202e",  # embeddings and overrides
    "\u2066", "\u2067", "\u2068", "\u2069",  # isolates
    "\u200e", "\u200f", "\u061c",  # marks
    "\u200b", "\u200c", "\u200d", "\u2060", "\ufeff",  # zero-width
    "\x00", "\x07", "\x1b", "\x7f", "\x9b", "\ud800", "\udfff",  # controls, lone surrogates
]  # fmt: skip


@pytest.mark.parametrize("char", INVISIBLE, ids=lambda c: f"U+{ord(c):04X}")
@pytest.mark.parametrize("multiline", [False, True])
def test_invisible_characters_are_removed(char, multiline):
    assert clean_text(f"  网点{char}名称{char}  ", multiline=multiline).replace(" ", "") == "网点名称"


def test_a_right_to_left_override_cannot_disguise_a_name():
    assert clean_text("顺丰\u202egpj.exe") == "顺丰gpj.exe"


def test_text_areas_keep_their_lines_and_tabs_and_single_lines_make_them_spaces():
    typed = " 第一行\r\n第二行\r第三行\u2028\t缩进\x85末行 "
    assert clean_text(typed, multiline=True) == "第一行\n第二行\n第三行\n\t缩进\n末行"
    assert clean_text(typed) == "第一行 第二行 第三行  缩进 末行"


def test_text_is_nfc_normalised_and_private_use_characters_stay():
    assert clean_text("Cafe\u0301") == "Café"
    assert clean_text("\ue000记") == "\ue000记"  # a rare character of a name, encoded in the private-use area


def test_what_is_not_text_passes_through():
    assert clean_text(None) is None
    assert clean_text(7) == 7


@given(st.text())
def test_cleaned_text_can_always_be_stored(text):
    for multiline in (False, True):
        cleaned = clean_text(text, multiline=multiline)
        cleaned.encode("utf-8")  # no lone surrogate left
        assert cleaned == cleaned.strip()
        assert unicodedata.is_normalized("NFC", cleaned)
        assert not any(unicodedata.category(char) in {"Cf", "Cs"} for char in cleaned)
        allowed = "\n\t" if multiline else ""
        assert not any(unicodedata.category(char) == "Cc" and char not in allowed for char in cleaned)
        assert clean_text(cleaned, multiline=multiline) == cleaned


class _Typed(PlainBaseForm):
    name = StringField()


def test_every_text_field_of_a_base_form_is_cleaned_before_its_own_filters_and_validators():
    seen = []

    class Form_(PlainBaseForm):
        name = StringField(filters=[lambda value: seen.append(value) or value])

    form = Form_(MultiDict({"name": " 网点\u202e\u200b名 "}))
    assert form.name.data == "网点名" and seen[-1] == "网点名"
    assert _Typed(MultiDict({"name": "a\ud800b"})).name.data == "ab"


def test_a_choice_of_spaces_is_no_choice():
    """Optional() passes "  " as empty and stops checking: without cleaning, "  " reached the code."""

    class Choosing(PlainBaseForm):
        level = SelectField(
            choices=[SelectChoice("", "all"), SelectChoice("city", "city")], validators=[Optional()]
        )

    for typed, chosen in (("  ", ""), (" city\u200b", "city")):
        form = Choosing(MultiDict({"level": typed}))
        assert form.validate() and form.level.data == chosen


def test_a_plain_wtforms_form_would_not_clean():
    """The check above is not vacuous: without the base form the text arrives as typed."""

    class Raw(Form):
        name = StringField()

    assert Raw(MultiDict({"name": " a\u202eb "})).name.data == " a\u202eb "


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("1", 1),
        ("42", 42),
        (str(MAX_PAGE), MAX_PAGE),
        (str(MAX_PAGE + 1), None),
        ("0", None),
        ("-1", None),
        ("99999999999999999999999", None),
        ("1e3", None),
        ("1.0", None),
        ("1_000", None),
        (" 7", None),
        ("٣", None),  # an Arabic-Indic digit, which int() would take
        ("", None),
        (None, None),
    ],
)
def test_bounded_int_takes_only_plain_digits_within_bounds(text, expected):
    assert bounded_int(text, maximum=MAX_PAGE) == expected


class _Dated(PlainBaseForm):
    day = BoundedDateField()


@pytest.mark.parametrize("typed", ["9999-12-31", "0001-01-01", "1999-12-31", "2101-01-01"])
def test_a_date_outside_the_range_is_an_error_on_its_field(app, typed):
    with app.test_request_context():
        form = _Dated(MultiDict({"day": typed}))
        assert not form.validate()
        assert form.day.data is None and "2000-01-01" in str(form.day.errors[0])


@pytest.mark.parametrize("typed", [FIRST_DAY.isoformat(), "2025-06-30", LAST_DAY.isoformat()])
def test_a_date_inside_the_range_is_kept(app, typed):
    with app.test_request_context():
        form = _Dated(MultiDict({"day": typed}))
        assert form.validate() and form.day.data == date.fromisoformat(typed)


def nested(depth: int):
    value: object = "leaf"
    for level in range(depth):
        value = [value] if level % 2 else {"k": value}
    return value


@pytest.mark.parametrize(
    ("depth", "too_deep"),
    [(0, False), (1, False), (MAX_JSON_DEPTH, False), (MAX_JSON_DEPTH + 1, True), (5000, True)],
)
def test_json_depth_is_measured_without_recursion(depth, too_deep):
    assert json_depth_exceeds(nested(depth), MAX_JSON_DEPTH) is too_deep


# --- where text comes in -----------------------------------------------------------------------


def test_the_generated_checklist_form_cleans_notes_and_keeps_their_lines():
    from pathlib import Path

    from outlet_audit.checklist.forms import PlainAssessmentForm, build_assessment_form, field_name
    from outlet_audit.criteria import load_edition

    edition = load_edition(Path(__file__).resolve().parents[2] / "criteria" / "shanghai-2025.yaml")
    name = field_name(edition.items()[0].code)
    form = build_assessment_form(edition, "zh", base=PlainAssessmentForm)(
        formdata=MultiDict({f"{name}-note": " 胶带\u202e未更换\u200b\r\n第二行\ud800 "})
    )
    assert form[name].form.note.data == "胶带未更换\n第二行"


def test_imported_cells_are_cleaned_like_typed_text():
    import csv
    import io

    from outlet_audit.outlets.outlet_import import EXAMPLE_ROW, TEMPLATE_HEADER, parse_import_file

    text = io.StringIO()
    name, address = "\u202e顺丰\u200b南桥\ufeff营业部 ", "奉贤区\u2066测试路\u2069 1 号"
    csv.writer(text).writerows([TEMPLATE_HEADER, [name, *EXAMPLE_ROW[1:3], address, *EXAMPLE_ROW[4:]]])
    [parsed] = parse_import_file(text.getvalue().encode("utf-8-sig"), "outlets.csv")
    assert parsed.values["name"] == "顺丰南桥营业部"
    assert parsed.values["address"] == "奉贤区测试路 1 号"


def test_every_form_of_the_app_inherits_the_cleaning_base(app):
    """A new form on FlaskForm or Form would take text as typed: every one must use the base."""
    from outlet_audit.core.forms import BaseForm

    def subclasses(cls):
        for sub in cls.__subclasses__():
            yield sub
            yield from subclasses(sub)

    ours = {cls for cls in subclasses(Form) if cls.__module__.startswith("outlet_audit.")}
    assert len(ours) > 20
    bare = sorted(
        f"{cls.__module__}.{cls.__qualname__}"
        for cls in ours
        if not issubclass(cls, (BaseForm, PlainBaseForm))
    )
    assert bare == [], f"inherit outlet_audit.core.forms.BaseForm (or PlainBaseForm): {bare}"
