"""The checklist form generated from criteria data: every answer type, both editions, no app needed."""

from decimal import Decimal
from pathlib import Path

import pytest
from werkzeug.datastructures import MultiDict
from wtforms import BooleanField, DecimalField, IntegerField, RadioField

from outlet_audit.checklist.forms import (
    FIELD_BUILDERS,
    ON_PAGE,
    FieldBuilder,
    PlainAssessmentForm,
    build_assessment_form,
    display_answer,
    field_name,
    item_data,
    item_form_class,
    item_formdata,
    read_item,
)
from outlet_audit.criteria import load_edition
from outlet_audit.dashboards.export_rows import IN_SHEET
from outlet_audit.reports.data import IN_REPORT
from outlet_audit.scoring import ANSWER_TYPES, UNANSWERED, Answer, check_answers, score

ROOT = Path(__file__).resolve().parents[2]
SHANGHAI = load_edition(ROOT / "criteria" / "shanghai-2025.yaml")
PUDONG = load_edition(ROOT / "tests" / "data" / "criteria" / "pudong-pilot-2026.yaml")
EDITIONS = pytest.mark.parametrize("edition", [SHANGHAI, PUDONG], ids=["shanghai-2025", "pudong-pilot-2026"])


def all_items(edition):
    return (*edition.items(), *edition.bonus_items())


def posted(edition, formdata: dict):
    """The whole checklist form as the browser posts it, validated."""
    form = build_assessment_form(edition, "zh", base=PlainAssessmentForm)(formdata=MultiDict(formdata))
    form.validate()
    return form


def sub_form(item, **raw):
    form = item_form_class(item, "zh")(formdata=MultiDict(raw))
    form.validate()
    return form


def test_every_answer_type_of_the_engine_has_a_field_builder():
    assert set(FIELD_BUILDERS) == set(ANSWER_TYPES)


@pytest.mark.parametrize("answer_type", sorted(ANSWER_TYPES))
def test_every_answer_type_says_how_its_answers_read(answer_type):
    assert type(FIELD_BUILDERS[answer_type]).display is not FieldBuilder.display


@pytest.mark.parametrize(
    ("code", "answer", "lang", "page", "report", "sheet"),
    [
        ("1.1", Answer(True), "en", "Yes", "Yes", "是"),
        ("1.1", Answer(False), "zh", "No", "No", "否"),
        ("3.1", Answer("B"), "zh", "偶尔或试点使用", "B. 偶尔或试点使用", "B 偶尔或试点使用"),
        (
            "3.1",
            Answer("B"),
            "en",
            "Used occasionally or as a trial",
            "B. Used occasionally or as a trial",
            None,
        ),
        ("2.1", Answer(Decimal("96.50")), "en", "96.5 %", "96.5%", Decimal("96.50")),
        ("2.1", Answer(Decimal(100)), "zh", "100 %", "100%", Decimal(100)),
        ("5.2", Answer(Decimal(3)), "zh", "3 次", "3 次", Decimal(3)),
        ("5.2", Answer(12), "en", "12 sessions", "12 sessions", 12),
        ("1.1", Answer(None, not_applicable=True), "en", "Not applicable", "Not applicable", None),
        ("1.1", UNANSWERED, "en", "—", "", None),
    ],
)
def test_an_answer_reads_by_its_type_in_the_way_of_each_place(code, answer, lang, page, report, sheet):
    item = SHANGHAI.item(code)
    assert display_answer(item, answer, lang) == display_answer(item, answer, lang, ON_PAGE) == page
    assert display_answer(item, answer, lang, IN_REPORT) == report
    if sheet is not None:  # sheets are Chinese, and write N/A and unanswered in columns of their own
        cell = display_answer(item, answer, "zh", IN_SHEET)
        assert (cell, type(cell)) == (sheet, type(sheet))


def test_an_option_the_edition_no_longer_has_reads_as_stored():
    assert display_answer(SHANGHAI.item("3.1"), Answer("Z"), "zh") == "Z"


@EDITIONS
def test_every_item_reads_every_value_it_accepts(edition):
    for item in all_items(edition):
        spec = item.answer
        values = {
            "yes_no": [True, False],
            "choice": [option.code for option in spec.options],
            "percentage": [Decimal(0), Decimal("33.3"), Decimal(100)],
            "number": [Decimal(0), Decimal(7)],
        }[spec.type]
        for value in values:
            assert display_answer(item, Answer(value), "zh").strip()


@pytest.mark.parametrize(
    "code", ["1.1", "1-1", "11", "A1", "A.1.2", "A-1.2", "A.1-2", "B-2-1", "2.1.10", "2.11.0"]
)
def test_field_names_are_identifiers_and_never_collide(code):
    others = ["1.1", "1-1", "11", "A1", "A.1.2", "A-1.2", "A.1-2", "B-2-1", "2.1.10", "2.11.0"]
    assert field_name(code).isidentifier()
    assert [field_name(other) for other in others].count(field_name(code)) == 1


@EDITIONS
def test_one_sub_form_per_item_named_from_its_code(edition):
    form = build_assessment_form(edition, "zh", base=PlainAssessmentForm)()
    names = [field.name for field in form]
    assert names == [field_name(item.code) for item in all_items(edition)]
    for item, sub in form.item_forms():
        assert sub.item is item
        assert form[field_name(item.code)].label.text == item.title.zh


@EDITIONS
def test_not_applicable_only_where_the_item_allows_it(edition):
    form = build_assessment_form(edition, "zh", base=PlainAssessmentForm)()
    for item, sub in form.item_forms():
        assert ("not_applicable" in sub._fields) is item.not_applicable_allowed, item.code
        if item.not_applicable_allowed:
            assert isinstance(sub.not_applicable, BooleanField)


@EDITIONS
def test_each_answer_type_gets_its_own_field(edition):
    expected = {
        "yes_no": RadioField,
        "choice": RadioField,
        "percentage": DecimalField,
        "number": IntegerField,
    }
    form = build_assessment_form(edition, "en", base=PlainAssessmentForm)()
    for item, sub in form.item_forms():
        assert isinstance(sub.value, expected[item.answer.type]), item.code
        if item.answer.type == "choice":
            assert [(c.value, c.label) for c in sub.value.choices] == [
                (option.code, option.label.en) for option in item.answer.options
            ]


def test_the_form_class_is_built_once_per_edition_and_language():
    zh = build_assessment_form(SHANGHAI, "zh", base=PlainAssessmentForm)
    assert build_assessment_form(SHANGHAI, "zh", base=PlainAssessmentForm) is zh
    assert build_assessment_form(SHANGHAI, "en", base=PlainAssessmentForm) is not zh
    assert build_assessment_form(PUDONG, "zh", base=PlainAssessmentForm) is not zh


@pytest.mark.parametrize(
    ("edition", "code", "raw", "value"),
    [
        (SHANGHAI, "1.1", "yes", True),
        (SHANGHAI, "1.1", "no", False),
        (PUDONG, "B2", "no", False),  # earns_on false: still the plain answer "no"
        (SHANGHAI, "3.1", "B", "B"),
        (PUDONG, "A1", "G3", "G3"),
        (PUDONG, "X1", "gold", "gold"),
        (SHANGHAI, "2.1", "96.5", Decimal("96.5")),
        (SHANGHAI, "2.1", "0", Decimal("0")),
        (SHANGHAI, "2.1", "100", Decimal("100")),
        (PUDONG, "B1", "30", Decimal("30")),
        (SHANGHAI, "5.2", "2", 2),
        (PUDONG, "A2", "0", 0),
        (PUDONG, "X2", "1200", 1200),
        (SHANGHAI, "1.1", "", None),
        (SHANGHAI, "2.1", "", None),
    ],
)
def test_valid_input_becomes_the_engines_value(edition, code, raw, value):
    item = edition.item(code)
    sub = sub_form(item, value=raw)
    assert sub.errors == {}
    given = read_item(sub)
    assert given.value == value and type(given.value) is type(value)
    assert check_answers(edition, {code: Answer(given.value)}) == {}


@pytest.mark.parametrize(
    ("edition", "code", "raw"),
    [
        (SHANGHAI, "1.1", "maybe"),
        (SHANGHAI, "1.1", "true"),
        (SHANGHAI, "3.1", "D"),
        (PUDONG, "A1", "A"),  # an option of another item
        (SHANGHAI, "2.1", "100.5"),
        (SHANGHAI, "2.1", "-1"),
        (SHANGHAI, "2.1", "abc"),
        (SHANGHAI, "2.1", "NaN"),
        (SHANGHAI, "2.1", "Infinity"),
        (SHANGHAI, "5.2", "-1"),
        (SHANGHAI, "5.2", "2.5"),
        (PUDONG, "A2", "many"),
    ],
)
def test_invalid_input_is_refused_with_a_message(edition, code, raw):
    sub = sub_form(edition.item(code), value=raw)
    assert sub.value.errors, f"{code} accepted {raw!r}"


def test_not_applicable_wins_over_a_value_given_with_it():
    given = read_item(sub_form(SHANGHAI.item("2.1"), value="50", not_applicable="y"))
    assert (given.value, given.not_applicable) == (None, True)


def test_not_applicable_is_ignored_where_the_item_does_not_allow_it():
    given = read_item(sub_form(SHANGHAI.item("1.3"), value="yes", not_applicable="y"))
    assert (given.value, given.not_applicable) == (True, False)


def test_note_is_stripped_and_too_long_a_note_refused():
    assert (
        read_item(sub_form(SHANGHAI.item("1.1"), value="yes", note="  纸质运单 0 张 ")).note
        == "纸质运单 0 张"
    )
    assert read_item(sub_form(SHANGHAI.item("1.1"), value="yes", note="   ")).note is None
    assert sub_form(SHANGHAI.item("1.1"), note="x" * 2001).note.errors


def samples(item):
    spec = item.answer
    if spec.type == "yes_no":
        return [True, False]
    if spec.type == "choice":
        return [option.code for option in spec.options]
    if spec.type == "percentage":
        return [Decimal("0"), Decimal("92.5"), Decimal("100")]
    return [Decimal("0"), Decimal("7"), Decimal("1500")]  # as answers_from_json reads stored numbers


@EDITIONS
def test_stored_answers_prefill_the_form_and_read_back_unchanged(edition):
    """Value → form data → rendered input → posted text → value, for every item and answer."""
    for item in all_items(edition):
        for value in samples(item):
            cls = item_form_class(item, "en")
            shown = cls(data=item_data(item, value, False, "note", 3))
            text = FIELD_BUILDERS[item.answer.type].to_text(value)
            if item.answer.type in ("yes_no", "choice"):
                assert f'value="{text}"' in str(shown.value) and "checked" in str(shown.value)
            else:
                assert f'value="{text}"' in str(shown.value)
            back = read_item(sub_form(item, value=text, note="note"))
            assert back.value == value, (item.code, value)


@EDITIONS
def test_a_posted_form_scores_exactly_as_the_engine_on_the_same_answers(edition):
    chosen = {}
    for i, item in enumerate(all_items(edition)):
        options = samples(item)
        chosen[item.code] = options[i % len(options)]
    formdata = {
        f"{field_name(code)}-value": FIELD_BUILDERS[edition.item(code).answer.type].to_text(value)
        for code, value in chosen.items()
    }
    form = posted(edition, formdata)
    assert form.errors == {}
    from_form = {item.code: Answer(read_item(sub).value) for item, sub in form.item_forms()}
    assert score(edition, from_form) == score(edition, {code: Answer(v) for code, v in chosen.items()})


def test_json_from_the_page_reads_like_the_plain_form():
    item = SHANGHAI.item("1.1")
    assert read_item(sub_form(item, **item_formdata(item, {"value": True}).to_dict())).value is True
    assert read_item(sub_form(item, **item_formdata(item, {"value": "no"}).to_dict())).value is False
    number = SHANGHAI.item("5.2")
    assert read_item(sub_form(number, **item_formdata(number, {"value": 3}).to_dict())).value == 3
    na = SHANGHAI.item("1.4")
    given = read_item(sub_form(na, **item_formdata(na, {"value": None, "not_applicable": True}).to_dict()))
    assert (given.value, given.not_applicable) == (None, True)
    assert "not_applicable" not in item_formdata(na, {"not_applicable": "yes"})  # only a real true counts
