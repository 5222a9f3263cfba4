"""`spot_check_outcome`: the edition's spot-check rule over the covered items of a scored checklist."""

from dataclasses import replace
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from outlet_audit.criteria import Edition, Item, SpotCheckRules, load_edition
from outlet_audit.scoring import Answer, SpotCheckOutcome, score, spot_check_outcome

ROOT = Path(__file__).resolve().parents[2]
SHANGHAI = load_edition(ROOT / "criteria" / "shanghai-2025.yaml")
COVERED = SHANGHAI.supervision.spot_check.item_codes
UNCOVERED = tuple(item.code for item in SHANGHAI.items() if item.code not in COVERED)

PERFECT = {
    **{item.code: Answer(True) for item in SHANGHAI.items() if item.answer.type == "yes_no"},
    "2.1": Answer(Decimal(96)),
    "3.1": Answer("A"),
    "4.2": Answer("A"),
    "5.2": Answer(Decimal(2)),
}


def with_rule(edition: Edition, **rule) -> Edition:
    spot = edition.supervision.spot_check
    return replace(edition, supervision=replace(edition.supervision, spot_check=replace(spot, **rule)))


def answer_strategy(item: Item) -> st.SearchStrategy[Answer]:
    spec = item.answer
    if spec.type == "yes_no":
        values = st.sampled_from([True, False])
    elif spec.type == "choice":
        values = st.sampled_from([option.code for option in spec.options])
    elif spec.type == "percentage":
        values = st.integers(0, 1000).map(lambda tenths: Decimal(tenths) / 10)
    else:
        values = st.integers(0, 5).map(Decimal)
    answers = values.map(Answer)
    if item.not_applicable_allowed:
        answers = answers | st.just(Answer(not_applicable=True))
    return answers | st.just(Answer())  # unanswered: 0 of its points, as the normal scoring counts it


ANSWERS = st.fixed_dictionaries({item.code: answer_strategy(item) for item in SHANGHAI.items()})
PERCENTS = st.integers(0, 1000).map(lambda tenths: Decimal(tenths) / 10)


@settings(max_examples=300, deadline=None)
@given(answers=ANSWERS, min_percent=PERCENTS, no_veto_failed=st.booleans())
def test_passes_exactly_when_the_covered_percent_reaches_the_minimum_and_no_covered_veto_failed(
    answers, min_percent, no_veto_failed
):
    edition = with_rule(SHANGHAI, min_percent=min_percent, no_veto_failed=no_veto_failed)
    result = score(edition, answers)
    outcome = spot_check_outcome(edition, result)
    covered = [s for s in result.items if s.code in COVERED]
    earned, possible = sum(s.earned for s in covered), sum(s.possible for s in covered)
    assert (outcome.earned, outcome.possible) == (earned, possible)
    expected = (
        (earned * 100 / possible).quantize(Decimal("0.1"), ROUND_HALF_UP) if possible else Decimal("0.0")
    )
    assert outcome.percent == expected
    assert outcome.failed_vetoes == tuple(s.code for s in covered if s.veto_failed)
    assert outcome.short_items == tuple(s.code for s in covered if s.earned < s.possible)
    vetoes_block = no_veto_failed and bool(outcome.failed_vetoes)
    assert outcome.passed == (outcome.percent >= min_percent and not vetoes_block)


@settings(max_examples=200, deadline=None)
@given(
    answers=ANSWERS,
    others=st.fixed_dictionaries({code: answer_strategy(SHANGHAI.item(code)) for code in UNCOVERED}),
)
def test_an_uncovered_item_never_changes_the_outcome(answers, others):
    before = spot_check_outcome(SHANGHAI, score(SHANGHAI, answers))
    after = spot_check_outcome(SHANGHAI, score(SHANGHAI, answers | others))
    assert after == before


@settings(max_examples=100, deadline=None)
@given(answers=ANSWERS)
def test_covering_every_item_gives_the_checklists_total(answers):
    everything = with_rule(SHANGHAI, item_codes=None)
    result = score(everything, answers)
    outcome = spot_check_outcome(everything, result)
    assert outcome.percent == result.total
    assert outcome.failed_vetoes == result.veto_failures


# The worked example of criteria/README.md ("Supervision"): 73 points covered, 80 % needed


def test_the_guides_worked_example():
    answers = PERFECT | {"2.1": Answer(Decimal(85)), "4.2": Answer("B"), "5.1": Answer(False)}
    outcome = spot_check_outcome(SHANGHAI, score(SHANGHAI, answers))
    # 2.1 earns 5 of 15 (85 % is in the 80 % step), 4.2 earns 3 of 6: 60 of 73 = 82.2 %; 5.1 is not covered
    assert outcome == SpotCheckOutcome(
        passed=True,
        earned=Decimal(60),
        possible=Decimal(73),
        percent=Decimal("82.2"),
        failed_vetoes=(),
        short_items=("2.1", "4.2"),
    )
    worse = answers | {"3.1": Answer("B")}  # reusable packaging only as a trial: 56 of 73 = 76.7 %
    outcome = spot_check_outcome(SHANGHAI, score(SHANGHAI, worse))
    assert (outcome.percent, outcome.passed, outcome.short_items) == (
        Decimal("76.7"),
        False,
        ("2.1", "3.1", "4.2"),
    )


def test_a_failed_covered_veto_fails_a_spot_check_whatever_the_percent():
    answers = PERFECT | {"1.3": Answer(False)}  # non-degradable tape found
    outcome = spot_check_outcome(SHANGHAI, score(SHANGHAI, answers))
    assert outcome.percent == Decimal("89.0")  # 65 of 73
    assert outcome.failed_vetoes == ("1.3",) and not outcome.passed
    lenient = with_rule(SHANGHAI, no_veto_failed=False)
    assert spot_check_outcome(lenient, score(lenient, answers)).passed


def test_not_applicable_counts_as_in_the_normal_scoring():
    answers = PERFECT | {"2.1": Answer(not_applicable=True), "1.4": Answer(not_applicable=True)}
    outcome = spot_check_outcome(SHANGHAI, score(SHANGHAI, answers))
    assert (outcome.earned, outcome.possible, outcome.percent) == (Decimal(52), Decimal(52), Decimal("100.0"))
    assert outcome.passed and outcome.short_items == ()


def test_a_checklist_with_only_the_covered_items_answered_is_judged_on_them():
    answers = {code: PERFECT[code] for code in COVERED}
    result = score(SHANGHAI, answers)
    assert result.missing and result.level is None  # the uncovered items were never asked
    outcome = spot_check_outcome(SHANGHAI, result)
    assert outcome.passed and outcome.percent == Decimal("100.0")


@pytest.mark.parametrize(("minimum", "passed"), [(Decimal("89.0"), True), (Decimal("89.04"), False)])
def test_the_minimum_is_compared_with_the_percent_rounded_to_one_decimal(minimum, passed):
    answers = PERFECT | {"1.1": Answer(False)}  # 65 / 73 = 89.041… %, rounded 89.0 as every score is
    edition = with_rule(SHANGHAI, min_percent=minimum)
    assert spot_check_outcome(edition, score(edition, answers)).passed is passed


def test_nothing_possible_is_zero_percent_and_fails():
    edition = with_rule(SHANGHAI, item_codes=("1.4", "2.1"))
    answers = PERFECT | {"1.4": Answer(not_applicable=True), "2.1": Answer(not_applicable=True)}
    outcome = spot_check_outcome(edition, score(edition, answers))
    assert (outcome.possible, outcome.percent, outcome.passed) == (Decimal(0), Decimal("0.0"), False)
    assert SpotCheckRules(("1.4",), Decimal(0)).covers("1.4")
