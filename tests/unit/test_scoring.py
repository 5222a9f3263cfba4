"""Scoring: worked examples on the 2025 edition, rounding, answer checks, and properties of any edition."""

import json
from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from outlet_audit.criteria import Edition, Item, load_edition
from outlet_audit.scoring import (
    UNANSWERED,
    Answer,
    InvalidAnswers,
    ScoreResult,
    answers_from_json,
    check_answers,
    evidence_required,
    score,
    validate_answer,
)
from outlet_audit.scoring.answer_types import number_from_text
from tests.scoring_helpers import value_strategy

ROOT = Path(__file__).resolve().parents[2]
SHANGHAI = load_edition(ROOT / "criteria" / "shanghai-2025.yaml")
PUDONG = load_edition(ROOT / "tests" / "data" / "criteria" / "pudong-pilot-2026.yaml")
JIADING = load_edition(ROOT / "tests" / "data" / "criteria" / "jiading-2027.yaml")  # profile and conditions
LEVEL_RANK = {None: 0, "district": 1, "city": 2}


def best_value(item: Item):
    spec = item.answer
    if spec.type == "yes_no":
        return spec.earns_on
    if spec.type == "choice":
        return max(spec.options, key=lambda option: option.points).code
    return spec.thresholds[0].min


def full_marks(edition: Edition) -> dict[str, Answer]:
    """Every scored item at full marks, no bonus."""
    return {item.code: Answer(best_value(item)) for item in edition.items()}


def reason_texts(result) -> dict[str, list[str]]:
    return {level: [str(message) for message in messages] for level, messages in result.reasons.items()}


# Worked examples on shanghai-2025


def test_full_marks_reach_district_without_a_certificate_and_city_with_one():
    result = score(SHANGHAI, full_marks(SHANGHAI))
    assert (result.total, result.bonus, result.final) == (Decimal("100.0"), Decimal("0.0"), Decimal("100.0"))
    assert result.level == "district"
    assert reason_texts(result) == {"city": ["no valid district certificate"]}
    with_certificate = score(SHANGHAI, full_marks(SHANGHAI), holds_valid_district_certificate=True)
    assert with_certificate.level == "city"
    assert with_certificate.reasons == {}


@pytest.mark.parametrize(
    ("percent", "earned"),
    [
        ("100", "15"),
        ("95", "15"),
        ("94.9", "10"),
        ("90", "10"),
        ("89.99", "5"),
        ("80", "5"),
        ("79.9", "0"),
        ("0", "0"),
    ],
)
def test_percentage_thresholds_no_second_packaging(percent, earned):
    result = score(SHANGHAI, full_marks(SHANGHAI) | {"2.1": Answer(Decimal(percent))})
    assert result.item("2.1").earned == Decimal(earned)
    assert result.total == Decimal(85 + int(earned)).quantize(Decimal("0.1"))


@pytest.mark.parametrize(("sessions", "earned"), [(0, 0), (1, 1), (2, 3), (12, 3)])
def test_count_thresholds_training_sessions(sessions, earned):
    result = score(SHANGHAI, full_marks(SHANGHAI) | {"5.2": Answer(Decimal(sessions))})
    assert result.item("5.2").earned == earned
    assert result.item("5.2").full_marks is (earned == 3)


@pytest.mark.parametrize(("option", "earned"), [("A", 8), ("B", 4), ("C", 0)])
def test_choice_grades_reusable_packaging(option, earned):
    result = score(SHANGHAI, full_marks(SHANGHAI) | {"3.1": Answer(option)})
    assert result.item("3.1").earned == earned
    assert result.sections[2].earned == 12 + earned
    assert result.sections[2].possible == 20


@pytest.mark.parametrize("code", ["1.3", "1.5"])
def test_veto_failure_fails_the_assessment_whatever_the_score(code):
    answers = full_marks(SHANGHAI) | {code: Answer(False)}
    result = score(SHANGHAI, answers, holds_valid_district_certificate=True)
    assert result.total == Decimal("92.0")  # far above both minimums
    assert result.veto_failures == (code,)
    assert result.item(code).veto_failed
    assert result.level is None
    assert reason_texts(result) == {
        "district": [f"veto failed: {code}"],
        "city": [f"veto failed: {code}", "district level not reached"],
    }


def test_not_applicable_item_leaves_earned_and_possible():
    result = score(
        SHANGHAI, full_marks(SHANGHAI) | {"2.1": Answer(None, not_applicable=True), "1.1": Answer(False)}
    )
    item = result.item("2.1")
    assert (item.earned, item.possible, item.not_applicable, item.answered) == (0, 0, True, True)
    assert result.sections[1].possible == 0
    assert result.total == Decimal("90.6")  # 77 of 85 = 90.588...
    assert result.missing == ()


@pytest.mark.parametrize(
    ("changes", "certificate", "level", "reasons"),
    [
        ({}, True, "city", {}),
        ({"2.1": Answer(Decimal(85))}, True, "city", {}),  # 90.0: exactly the city minimum
        ({"2.1": Answer(Decimal(70))}, True, "district", {"city": ["score 85.0 < 90"]}),
        ({"1.1": Answer(False)}, True, "district", {"city": ["1.1 not at full marks"]}),
        (
            {"1.2": Answer(False), "4.3": Answer(False)},
            False,
            "district",
            {
                "city": [
                    "score 88.0 < 90",
                    "1.2 not at full marks",
                    "4.3 not at full marks",
                    "no valid district certificate",
                ]
            },
        ),
        (
            {"3.1": Answer("C"), "2.1": Answer(Decimal(0)), "3.2": Answer(False)},
            True,
            None,
            {"district": ["score 71.0 < 80"], "city": ["score 71.0 < 90", "district level not reached"]},
        ),
        (
            {"6.1": UNANSWERED, "5.1": UNANSWERED},
            True,
            None,
            {
                "district": ["2 items unanswered"],
                "city": ["2 items unanswered", "district level not reached"],
            },
        ),
        (
            {"1.3": Answer(False), "6.1": UNANSWERED},
            False,
            None,
            {
                "district": ["1 items unanswered", "veto failed: 1.3"],
                "city": [
                    "1 items unanswered",
                    "veto failed: 1.3",
                    "score 88.0 < 90",
                    "no valid district certificate",
                    "district level not reached",
                ],
            },
        ),
    ],
    ids=[
        "perfect",
        "city-on-the-line",
        "below-city",
        "city-item-short",
        "several",
        "below-both",
        "unanswered",
        "veto",
    ],
)
def test_level_and_reasons(changes, certificate, level, reasons):
    answers = full_marks(SHANGHAI) | changes
    result = score(SHANGHAI, answers, holds_valid_district_certificate=certificate)
    assert result.level == level
    assert reason_texts(result) == reasons


def test_unanswered_items_are_missing_and_earn_nothing():
    answers = full_marks(SHANGHAI)
    del answers["6.1"], answers["2.1"]
    result = score(SHANGHAI, answers, holds_valid_district_certificate=True)
    assert result.missing == ("2.1", "6.1")
    assert result.item("6.1").answered is False
    assert not UNANSWERED.answered and Answer(None, not_applicable=True).answered
    assert result.total == Decimal("81.0")
    assert result.level is None
    assert result.reasons["district"][0].params == {"count": 2}


def test_bonus_is_capped_and_added_to_the_final_score():
    answers = full_marks(SHANGHAI) | {"B1": Answer(True), "B2": Answer(True), "B3": Answer(Decimal(5))}
    result = score(SHANGHAI, answers)
    assert sum(item.earned for item in result.bonus_items) == 6
    assert (result.total, result.bonus, result.final) == (Decimal("100.0"), Decimal("5.0"), Decimal("105.0"))


def test_unanswered_bonus_items_are_not_missing():
    result = score(SHANGHAI, full_marks(SHANGHAI))
    assert result.missing == ()
    assert [item.answered for item in result.bonus_items] == [False, False, False]


@pytest.mark.parametrize(
    ("bonus", "level"), [({}, None), ({"B1": Answer(True), "B2": Answer(True)}, "district")]
)
def test_bonus_points_can_lift_the_final_score_over_a_minimum(bonus, level):
    answers = (
        full_marks(SHANGHAI) | {"2.1": Answer(Decimal(0)), "3.3": Answer(False), "5.1": Answer(False)} | bonus
    )
    result = score(SHANGHAI, answers)
    assert result.total == Decimal("77.0")
    assert result.level == level


# Rounding, on small editions made for the purpose


def make_edition(points: list[int], *, district_min: int = 80, not_applicable: bool = False) -> Edition:
    text = {"zh": "测试", "en": "test"}
    items = [
        {
            "code": f"I{n}",
            "title": text,
            "guidance": text,
            "checked_by": "observation",
            "answer": {"type": "yes_no"},
            "points": p,
            "not_applicable_allowed": not_applicable,
            "evidence": {"kind": "photo", "required": "never"},
        }
        for n, p in enumerate(points)
    ]
    level = {"approvals": ["district_bureau"], "certificate_validity_months": 12}
    return Edition.from_snapshot(
        {
            "id": "test",
            "title": text,
            "rule": text,
            "effective_from": "2025-01-01",
            "total_points": sum(points),
            "eligibility": [],
            "sections": [{"code": "S", "title": text, "items": items}],
            "levels": {"district": {"min_score": district_min, **level}, "city": {"min_score": 100, **level}},
        }
    )


@pytest.mark.parametrize(
    ("points", "earned_items", "total"),
    [
        ([1, 399], 1, "0.3"),  # 0.25 → half up (half-even would give 0.2)
        ([3, 397], 1, "0.8"),  # 0.75
        ([2, 1], 1, "66.7"),  # 66.666...
        ([1, 2], 1, "33.3"),  # 33.333...
        ([1, 1], 2, "100.0"),
        ([1, 1], 0, "0.0"),
    ],
)
def test_total_is_rounded_half_up_to_one_decimal(points, earned_items, total):
    edition = make_edition(points)
    answers = {item.code: Answer(n < earned_items) for n, item in enumerate(edition.items())}
    assert str(score(edition, answers).total) == total


@pytest.mark.parametrize(("earned", "total", "level"), [(1599, "80.0", "district"), (1598, "79.9", None)])
def test_minimum_is_compared_with_the_rounded_score(earned, total, level):
    edition = make_edition([earned, 2000 - earned])  # 1599 / 2000 = 79.95
    result = score(edition, {"I0": Answer(True), "I1": Answer(False)})
    assert (str(result.final), result.level) == (total, level)


def test_every_item_not_applicable_scores_zero_not_an_error():
    edition = make_edition([5, 5], not_applicable=True)
    result = score(edition, {item.code: Answer(None, not_applicable=True) for item in edition.items()})
    assert result.total == Decimal("0.0")


# Answer checks shared with forms and the API


@pytest.mark.parametrize(
    ("code", "answer", "template"),
    [
        ("1.1", Answer(True), None),
        ("1.1", Answer(None), None),
        ("1.1", Answer("yes"), "must be yes or no"),
        ("1.1", Answer(1), "must be yes or no"),
        ("3.1", Answer("A"), None),
        ("3.1", Answer("Z"), "unknown option %(option)s"),
        ("3.1", Answer(True), "unknown option %(option)s"),
        ("2.1", Answer(Decimal(0)), None),
        ("2.1", Answer(Decimal(100)), None),
        ("2.1", Answer(100), None),
        ("2.1", Answer(Decimal("100.1")), "must be between 0 and 100"),
        ("2.1", Answer(Decimal("-0.1")), "must be between 0 and 100"),
        ("2.1", Answer(95.0), "must be a number"),
        ("2.1", Answer(Decimal("NaN")), "must be a number"),
        ("2.1", Answer("95"), "must be a number"),
        ("2.1", Answer(None, not_applicable=True), None),
        ("5.2", Answer(Decimal("2.0")), None),
        ("5.2", Answer(Decimal(-1)), "must not be negative"),
        ("5.2", Answer(Decimal("1.5")), "must be a whole number"),
        ("5.2", Answer(True), "must be a number"),
        ("1.3", Answer(None, not_applicable=True), "N/A is not allowed for this item"),
        ("1.1", Answer(True, not_applicable=True), "N/A is not allowed for this item"),
    ],
)
def test_validate_answer(code, answer, template):
    message = validate_answer(SHANGHAI.item(code), answer)
    assert (message.template if message else None) == template


def test_unknown_option_message_names_the_option():
    assert str(validate_answer(SHANGHAI.item("3.1"), Answer("Z"))) == "unknown option Z"


def test_score_refuses_invalid_and_unknown_answers():
    answers = full_marks(SHANGHAI) | {"2.1": Answer(Decimal(101)), "9.9": Answer(True)}
    assert set(check_answers(SHANGHAI, answers)) == {"2.1", "9.9"}
    with pytest.raises(InvalidAnswers) as raised:
        score(SHANGHAI, answers)
    assert str(raised.value.problems["9.9"]) == "unknown item 9.9"
    assert raised.value.problems["2.1"].template == "must be between 0 and 100"


@pytest.mark.parametrize(
    ("edition", "code", "answer", "required"),
    [
        (SHANGHAI, "1.1", Answer(True), True),  # always
        (SHANGHAI, "1.1", Answer(False), True),
        (SHANGHAI, "1.1", UNANSWERED, False),
        (SHANGHAI, "3.1", Answer("A"), True),  # when [A, B]
        (SHANGHAI, "3.1", Answer("B"), True),
        (SHANGHAI, "3.1", Answer("C"), False),
        (SHANGHAI, "3.3", Answer(True), True),  # when [true]
        (SHANGHAI, "3.3", Answer(False), False),
        (SHANGHAI, "2.1", Answer(None, not_applicable=True), False),
        (SHANGHAI, "B1", Answer(True), True),
        (SHANGHAI, "B1", Answer(False), False),
        (PUDONG, "B1", Answer(Decimal(70)), False),  # never
        (PUDONG, "B2", Answer(True), True),  # a finding must be photographed
        (PUDONG, "B2", Answer(False), False),
        (PUDONG, "A1", Answer("D"), True),
        (PUDONG, "A1", Answer("G1"), False),
    ],
)
def test_evidence_required(edition, code, answer, required):
    assert evidence_required(edition.item(code), answer) is required


def test_answers_from_json_reads_every_answer_type():
    answers = answers_from_json(
        SHANGHAI,
        {
            "1.1": True,
            "2.1": 96.5,
            "3.1": "A",
            "5.2": "2",
            "1.4": {"not_applicable": True},
            "6.1": None,
            "4.2": {"value": "B"},
            "9.9": 1,
        },
    )
    assert answers["1.1"] == Answer(True)
    assert answers["2.1"] == Answer(Decimal("96.5"))
    assert answers["3.1"] == Answer("A")
    assert answers["5.2"] == Answer(Decimal(2))
    assert answers["1.4"] == Answer(None, not_applicable=True)
    assert answers["6.1"] == UNANSWERED
    assert answers["4.2"] == Answer("B")
    assert set(check_answers(SHANGHAI, answers)) == {"9.9"}


@pytest.mark.parametrize(
    ("text", "number"),
    [
        ("10", Decimal(10)),
        (" 96.5 ", Decimal("96.5")),
        ("+3", Decimal(3)),
        ("-0", Decimal(0)),  # read; `check` refuses what is out of range
        (".5", Decimal("0.5")),
        ("5.", Decimal(5)),
        ("１０", None),  # full-width digits: int(), float() and Decimal() all take them
        ("٣", None),  # Arabic-Indic digit
        ("1_0", None),  # underscores: Python's grouping, nobody's typing
        ("1e2", None),
        ("NaN", None),
        ("Infinity", None),
        ("", None),
        ("   ", None),
        ("1,5", None),
        ("0x10", None),
    ],
)
def test_a_number_typed_as_text_is_only_read_when_written_plainly(text, number):
    assert number_from_text(text) == number


@pytest.mark.parametrize(
    ("code", "raw"),
    [("5.2", "１０"), ("5.2", "1_0"), ("2.1", "96_5"), ("2.1", "９６.５"), ("5.2", "   "), ("2.1", "nan")],
)
def test_full_width_digits_underscores_and_spaces_are_not_numbers(code, raw):
    with pytest.raises(InvalidAnswers) as raised:
        score(SHANGHAI, answers_from_json(SHANGHAI, {code: raw}))
    assert str(raised.value.problems[code]) == "must be a number"


@pytest.mark.parametrize(("code", "raw"), [("3.1", "   "), ("1.1", " "), ("3.1", "")])
def test_a_text_answer_of_spaces_is_refused_not_read_as_unanswered(code, raw):
    assert code in check_answers(SHANGHAI, answers_from_json(SHANGHAI, {code: raw}))


def all_not_applicable_edition(district_min: int) -> Edition:
    """shanghai-2025 with every scored item allowing N/A (no vetoes, no full-mark rules)."""
    data = SHANGHAI.to_snapshot()
    for section in data["sections"]:
        for item in section["items"]:
            item.update(not_applicable_allowed=True, veto=False)
    for rules in data["levels"].values():
        rules["items_at_full_marks"] = []
    data["levels"]["district"]["min_score"] = district_min
    return Edition.from_snapshot(data)


@pytest.mark.parametrize(("district_min", "level"), [(80, None), (2, "district")])
def test_all_items_na_scores_zero_plus_bonus_as_the_guide_says(district_min, level):
    edition = all_not_applicable_edition(district_min)
    answers = {item.code: Answer(None, not_applicable=True) for item in edition.items()}
    answers["B1"] = Answer(True)
    result = score(edition, answers)
    assert (result.total, result.bonus, result.final, result.level) == (
        Decimal("0.0"),
        Decimal("2.0"),
        Decimal("2.0"),
        level,
    )
    if level is None:
        assert reason_texts(result)["district"] == ["score 2.0 < 80"]


def test_the_final_score_exceeds_100_by_at_most_the_bonus_cap_as_the_guide_says():
    every_bonus = {item.code: Answer(best_value(item)) for item in SHANGHAI.bonus_items()}
    result = score(SHANGHAI, full_marks(SHANGHAI) | every_bonus)
    assert (result.total, result.bonus, result.final) == (Decimal("100.0"), Decimal("5.0"), Decimal("105.0"))


NO_ANSWER_GIVEN = 'no answer given: write {"not_applicable": true} for N/A, or the value itself'


@pytest.mark.parametrize(
    ("raw", "problem"),
    [
        ({"not_applicable": False}, NO_ANSWER_GIVEN),
        ({}, NO_ANSWER_GIVEN),
        ({"not_applicable": "yes"}, "not_applicable must be true or false"),
        ({"not_applicable": 1}, "not_applicable must be true or false"),
        ({"not_applicable": True, "value": 80}, "an answer cannot be N/A and have a value"),
        ({"valeu": 80}, "unknown key valeu in the answer"),
    ],
)
def test_an_answer_object_that_says_neither_value_nor_na_is_an_error(raw, problem):
    with pytest.raises(InvalidAnswers) as raised:
        answers_from_json(SHANGHAI, {"2.1": raw, "1.1": "perhaps", "9.9": True})
    problems = {code: str(message) for code, message in raised.value.problems.items()}
    # every problem at once: the malformed object, a wrong value and an unknown item
    assert problems == {"2.1": problem, "1.1": "must be yes or no", "9.9": "unknown item 9.9"}


@pytest.mark.parametrize(
    ("raw", "answer"),
    [
        ({"not_applicable": True}, Answer(None, not_applicable=True)),
        ({"not_applicable": True, "value": None}, Answer(None, not_applicable=True)),  # as stored rows read
        ({"value": None, "not_applicable": False}, UNANSWERED),  # a stored row with only a note
        ({"value": 80}, Answer(Decimal(80))),
        ({"value": "80", "not_applicable": False}, Answer(Decimal(80))),
    ],
)
def test_answer_objects_that_say_what_they_mean_are_read(raw, answer):
    assert answers_from_json(SHANGHAI, {"2.1": raw}) == {"2.1": answer}


def test_result_to_dict_is_json_with_decimals_as_strings():
    answers = full_marks(SHANGHAI) | {"2.1": Answer(Decimal("92.5")), "1.3": Answer(False)}
    data = json.loads(json.dumps(score(SHANGHAI, answers).to_dict()))
    assert data["edition"] == {"id": "shanghai-2025", "content_hash": SHANGHAI.content_hash}
    assert (data["total"], data["bonus"], data["final"], data["level"]) == ("87.0", "0.0", "87.0", None)
    assert data["veto_failures"] == ["1.3"]
    assert data["items"][2] == {
        "code": "1.3",
        "earned": "0",
        "possible": "8",
        "answered": True,
        "not_applicable": False,
        "veto_failed": True,
        "full_marks": False,
    }
    assert data["reasons"]["district"] == [
        {"template": "veto failed: %(code)s", "params": {"code": "1.3"}, "text": "veto failed: 1.3"}
    ]
    assert data["sections"][1] == {"code": "2", "earned": "10", "possible": "15"}


# Properties, on both editions


def answer_strategy(item: Item) -> st.SearchStrategy:
    values = value_strategy(item, max_count=2000).map(Answer)
    choices = [st.just(UNANSWERED), values, values]
    if item.not_applicable_allowed:
        choices.append(st.just(Answer(None, not_applicable=True)))
    return st.one_of(choices)


@st.composite
def editions_with_answers(draw) -> tuple[Edition, dict[str, Answer]]:
    edition = draw(st.sampled_from([SHANGHAI, PUDONG]))
    answers = {}
    for item in (*edition.items(), *edition.bonus_items()):
        answer = draw(answer_strategy(item))
        if answer != UNANSWERED or draw(st.booleans()):  # unanswered: sometimes explicit, sometimes absent
            answers[item.code] = answer
    return edition, answers


PROPERTY_SETTINGS = settings(max_examples=150, deadline=None)


@PROPERTY_SETTINGS
@given(editions_with_answers())
def test_scores_stay_within_bounds(case):
    edition, answers = case
    result = score(edition, answers)
    assert Decimal(0) <= result.total <= Decimal(100)
    assert Decimal(0) <= result.bonus <= edition.bonus.cap
    assert result.final == result.total + result.bonus <= Decimal(100) + edition.bonus.cap


@PROPERTY_SETTINGS
@given(st.data())
def test_a_better_answer_never_lowers_the_score_or_level(data):
    edition, answers = data.draw(editions_with_answers())
    item = data.draw(st.sampled_from(edition.items()))
    assume(not answers.get(item.code, UNANSWERED).not_applicable)
    changed = answers | {item.code: data.draw(value_strategy(item, max_count=2000).map(Answer))}
    before, after = score(edition, answers), score(edition, changed)
    if after.item(item.code).earned >= before.item(item.code).earned:
        assert after.total >= before.total
        assert after.final >= before.final
        assert LEVEL_RANK[after.level] >= LEVEL_RANK[before.level]
    else:
        assert after.total <= before.total


@PROPERTY_SETTINGS
@given(editions_with_answers(), st.booleans())
def test_any_veto_failure_means_no_level(case, certificate):
    edition, answers = case
    result = score(edition, answers, holds_valid_district_certificate=certificate)
    assert result.veto_failures == tuple(s.code for s in result.items if s.veto_failed)
    if result.veto_failures:
        assert result.level is None
        for code in result.veto_failures:
            assert f"veto failed: {code}" in [str(m) for m in result.reasons["district"]]
    if result.missing:
        assert result.level is None


@PROPERTY_SETTINGS
@given(st.data())
def test_no_level_while_anything_is_unanswered(data):
    edition = data.draw(st.sampled_from([SHANGHAI, PUDONG]))
    dropped = data.draw(st.sets(st.sampled_from([item.code for item in edition.items()]), min_size=1))
    answers = {code: answer for code, answer in full_marks(edition).items() if code not in dropped}
    result = score(edition, answers, holds_valid_district_certificate=True)
    assert set(result.missing) == dropped
    assert result.level is None
    assert str(result.reasons["district"][0]) == f"{len(dropped)} items unanswered"


def edition_without(edition: Edition, code: str) -> Edition:
    snapshot = edition.to_snapshot()
    for section in snapshot["sections"]:
        section["items"] = [item for item in section["items"] if item["code"] != code]
    return Edition.from_snapshot(snapshot)


@PROPERTY_SETTINGS
@given(st.data())
def test_not_applicable_removes_the_item_from_both_sides(data):
    edition, answers = data.draw(editions_with_answers())
    item = data.draw(st.sampled_from([i for i in edition.items() if i.not_applicable_allowed]))
    answers[item.code] = Answer(None, not_applicable=True)
    result = score(edition, answers)
    others = {code: answer for code, answer in answers.items() if code != item.code}
    without = score(edition_without(edition, item.code), others)
    assert (result.item(item.code).earned, result.item(item.code).possible) == (0, 0)
    assert (result.total, result.final, result.level) == (without.total, without.final, without.level)


@PROPERTY_SETTINGS
@given(st.data())
def test_answer_order_does_not_matter(data):
    edition, answers = data.draw(editions_with_answers())
    shuffled = dict(data.draw(st.permutations(list(answers.items()))))
    assert score(edition, shuffled).to_dict() == score(edition, answers).to_dict()


PROFILES = [None, {"brand": "菜鸟", "district": "JD"}, {"brand": "顺丰", "district": "JD"}]


@PROPERTY_SETTINGS
@given(st.data())
def test_a_stored_score_reads_back_as_it_was_scored(data):
    edition = data.draw(st.sampled_from([SHANGHAI, PUDONG, JIADING]))
    answers = {
        item.code: data.draw(answer_strategy(item)) for item in (*edition.items(), *edition.bonus_items())
    }
    result = score(
        edition,
        answers,
        holds_valid_district_certificate=data.draw(st.booleans()),
        profile=data.draw(st.sampled_from(PROFILES)),
    )
    stored = json.loads(json.dumps(result.to_dict()))  # as the assessment's JSON column keeps it
    read = ScoreResult.from_dict(stored)
    assert read == result
    assert read.to_dict() == stored


def test_items_left_out_read_back_as_left_out():
    result = score(JIADING, {}, profile={"brand": "菜鸟", "district": "JD"})
    assert result.item("P1").skipped == "profile"
    assert ScoreResult.from_dict(result.to_dict()).item("P1").skipped == "profile"
