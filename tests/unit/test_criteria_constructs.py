# ruff: noqa: E501 -- the table of refused editions reads best one case to a line

"""The format's second round: deductions, lower-is-better rates, requirements, level minimums,
a final cap, items by profile, conditional items and evidence on numbers.

Worked examples are the ones in criteria/README.md; the edition tests/data/criteria/jiading-2027.yaml
uses every construct.
"""

from collections.abc import Callable
from decimal import Decimal
from pathlib import Path

import pytest
import yaml
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from outlet_audit.criteria import Edition, Item, load_edition
from outlet_audit.criteria.loader import CriteriaError
from outlet_audit.scoring import UNANSWERED, Answer, evidence_required, score
from outlet_audit.scoring.engine import skipped_items
from tests.scoring_helpers import value_strategy

ROOT = Path(__file__).resolve().parents[2]
JIADING_PATH = ROOT / "tests" / "data" / "criteria" / "jiading-2027.yaml"
JIADING = load_edition(JIADING_PATH)
SHANGHAI = load_edition(ROOT / "criteria" / "shanghai-2025.yaml")
PUDONG = load_edition(ROOT / "tests" / "data" / "criteria" / "pudong-pilot-2026.yaml")
PACKS = {"brand": "顺丰", "district": "14"}  # an outlet with a packing bench
STATION = {"brand": "菜鸟", "district": "14"}  # a pickup station: the packing items do not apply
NO_BENCH = {"brand": "顺丰", "district": "14", "packing_bench": False}  # says it has no packing bench
LEVEL_RANK = {None: 0, "district": 1, "city": 2}


def answers(**changes) -> dict[str, Answer]:
    """The README's example answers for jiading-2027, with some changed (None: unanswered)."""
    base = {
        "R1": True,
        "R2": True,
        "D1": Decimal(1),
        "D2": Decimal("4.5"),
        "P1": True,
        "P2": Decimal(60),
        "C1": True,
        "C2": Decimal(30),
        "X1": Decimal(600),
    }
    base.update(changes)
    return {code: Answer(value) for code, value in base.items() if value is not None}


def reasons(result) -> dict[str, list[str]]:
    return {level: [str(m) for m in messages] for level, messages in result.reasons.items()}


# Snapshots of older editions keep their shape: their hashes (and stored scores) stay valid


def test_editions_without_new_constructs_keep_their_snapshot_shape_and_hash():
    assert PUDONG.content_hash == "19887671452ebaa22d56821789116a3db6552eff4d6469b98be6d6ec3a44c4f4"
    snapshot = SHANGHAI.to_snapshot()
    assert "final_cap" not in snapshot
    for section in snapshot["sections"]:
        for item in section["items"]:
            assert set(item) == {
                "code", "title", "guidance", "checked_by", "answer", "points",
                "not_applicable_allowed", "veto", "evidence",
            }  # fmt: skip
            assert set(item["evidence"]) == {"kind", "required", "when"}
            assert all(set(t) == {"min", "points"} for t in item["answer"].get("thresholds", ()))
    older_keys = {
        "min_score", "approvals", "certificate_validity_months", "no_veto_failed",
        "items_at_full_marks", "requires_valid_district_certificate",
    }  # fmt: skip
    # the approval steps and the joint team are the 2025 file's new constructs; a level without a
    # team has no key for it
    assert set(snapshot["levels"]["district"]) == older_keys
    assert set(snapshot["levels"]["city"]) == older_keys | {"inspection_team"}
    # an older edition's list of roles is kept as written, so its snapshot (and hash) stays as it was
    assert all(set(rules) == older_keys for rules in PUDONG.to_snapshot()["levels"].values())
    assert PUDONG.to_snapshot()["levels"]["city"]["approvals"] == ["city_bureau"]
    assert JIADING.to_snapshot()["levels"]["city"]["approvals"] == ["district_bureau", "city_bureau"]


def test_score_dict_of_an_older_edition_keeps_its_shape():
    result = score(SHANGHAI, {}).to_dict()
    assert all("skipped" not in line for line in result["items"])


def test_second_edition_round_trips_through_its_snapshot():
    rebuilt = Edition.from_snapshot(JIADING.to_snapshot())
    assert rebuilt == JIADING
    assert rebuilt.content_hash == JIADING.content_hash
    assert JIADING.final_cap == Decimal(100)
    assert JIADING.item("D1").answer.deduction.each == Decimal(2)
    assert JIADING.item("D2").answer.thresholds[0].max == Decimal(5)
    assert JIADING.item("R2").required_from == "city"
    assert JIADING.item("C2").shown_when.item == "C1"
    assert [fact for fact, _values in JIADING.item("P1").applies_to] == ["brand", "packing_bench"]
    assert dict(JIADING.item("P2").applies_to)["packing_bench"] == (True,)
    assert JIADING.level("city").section_minimums == (("D", Decimal(80)), ("C", Decimal(50)))


# Worked examples (criteria/README.md, "Worked examples of the second round")


def test_worked_example_full_answers_for_an_outlet_with_a_packing_bench():
    result = score(JIADING, answers(), profile=PACKS, holds_valid_district_certificate=True)
    earned = {s.code: s.earned for s in result.items}
    assert earned == {"R1": 0, "R2": 0, "D1": 8, "D2": 10, "P1": 10, "P2": 4, "C1": 10, "C2": 5}
    assert (result.total, result.bonus, result.final) == (Decimal("78.3"), Decimal("5.0"), Decimal("83.3"))
    assert result.level == "district"
    assert reasons(result) == {"city": ["score 83.3 < 85", "score before bonus 78.3 < 80"]}


def test_worked_example_pickup_station_without_reusable_boxes():
    result = score(JIADING, answers(C1=False, P1=None, P2=None, C2=None), profile=STATION)
    assert [(s.code, s.skipped) for s in result.items if s.skipped] == [
        ("P1", "profile"),
        ("P2", "profile"),
        ("C2", "condition"),
    ]
    assert result.missing == ()
    assert (result.total, result.final) == (Decimal("60.0"), Decimal("65.0"))
    assert result.level == "district"
    assert reasons(result)["city"][:3] == [
        "score 65.0 < 85",
        "score before bonus 60.0 < 80",
        "section C at 0.0% < 50%",
    ]


@pytest.mark.parametrize(("found", "earned"), [(0, "10"), (1, "8"), (3, "4"), (5, "0"), (6, "0"), (40, "0")])
def test_deduction_costs_two_points_each_down_to_the_floor(found, earned):
    result = score(JIADING, answers(D1=Decimal(found)), profile=PACKS)
    assert result.item("D1").earned == Decimal(earned)


def test_deduction_floor_above_zero_is_kept():
    data = _jiading_data()
    data["sections"][1]["items"][0]["answer"]["deduction"]["floor"] = 3
    edition = Edition.from_snapshot(data)
    assert score(edition, answers(D1=Decimal(9)), profile=PACKS).item("D1").earned == Decimal(3)


@pytest.mark.parametrize(
    ("rate", "earned"), [("0", "10"), ("5", "10"), ("5.01", "5"), ("10", "5"), ("10.5", "0"), ("100", "0")]
)
def test_lower_is_better_rate_second_packaging(rate, earned):
    assert score(JIADING, answers(D2=Decimal(rate)), profile=PACKS).item("D2").earned == Decimal(earned)


def test_a_failed_requirement_blocks_every_level_without_touching_the_total():
    passed = score(JIADING, answers(), profile=PACKS)
    failed = score(JIADING, answers(R1=False), profile=PACKS)
    assert (failed.total, failed.final) == (passed.total, passed.final)
    assert failed.item("R1").possible == 0 and failed.item("R1").veto_failed
    assert failed.veto_failures == ("R1",)
    assert failed.level is None
    assert reasons(failed)["district"] == ["veto failed: R1"]


def test_a_requirement_for_the_city_level_leaves_the_district_level():
    full = answers(D1=Decimal(0), D2=Decimal(0), P2=Decimal(95), C2=Decimal(100), R2=False)
    result = score(JIADING, full, profile=PACKS, holds_valid_district_certificate=True)
    assert result.total == Decimal("100.0")
    assert result.level == "district"
    assert reasons(result) == {"city": ["veto failed: R2"]}
    passed = score(JIADING, full | {"R2": Answer(True)}, profile=PACKS, holds_valid_district_certificate=True)
    assert passed.level == "city"


def test_final_score_is_cut_to_the_cap():
    full = answers(D1=Decimal(0), D2=Decimal(0), P2=Decimal(95), C2=Decimal(100))
    result = score(JIADING, full, profile=PACKS)
    assert (result.total, result.bonus, result.final) == (Decimal("100.0"), Decimal("5.0"), Decimal("100.0"))


def test_bonus_cannot_make_up_a_total_below_min_total():
    # D 10/20, P 10/20, C 10/20: total 50.0, with 5 bonus a final 55.0; the district needs 55 before bonus
    low = answers(D1=Decimal(0), D2=Decimal(50), P1=False, P2=Decimal(95), C2=Decimal(0))
    result = score(JIADING, low, profile=PACKS)
    assert (result.total, result.final) == (Decimal("50.0"), Decimal("55.0"))
    assert "score before bonus 50.0 < 55" in reasons(result)["district"]


def test_section_minimum_is_a_percentage_of_the_section():
    # D: 0 + 5 of 20 = 25.0 % < 50 %, though the total (40 of 60 = 66.7) and final (71.7) pass the district
    result = score(JIADING, answers(D1=Decimal(5), D2=Decimal(8), P2=Decimal(95)), profile=PACKS)
    assert (result.total, result.final) == (Decimal("66.7"), Decimal("71.7"))
    assert reasons(result)["district"] == ["section D at 25.0% < 50%"]
    assert result.level is None


def test_without_a_profile_every_item_applies():
    assert "P1" in score(JIADING, answers(P1=None)).missing
    assert skipped_items(JIADING, answers(), None) == {}
    assert skipped_items(JIADING, answers(), STATION) == {"P1": "profile", "P2": "profile"}


@pytest.mark.parametrize(
    ("bench", "left_out"),
    [(True, False), (False, True), (None, False)],
    ids=["has-a-bench", "no-bench", "not-stated"],
)
def test_the_packing_bench_of_the_profile_decides_the_packing_items(bench, left_out):
    """An outlet that says it has no bench is not asked P1, P2; one that has not said is asked them
    (an unstated fact leaves nothing out), whatever its brand allows."""
    profile = {**PACKS, "packing_bench": bench}
    skipped = skipped_items(JIADING, answers(), profile)
    assert skipped == ({"P1": "profile", "P2": "profile"} if left_out else {})
    result = score(JIADING, answers(P1=None, P2=None), profile=profile)
    assert (("P1" in result.missing) and ("P2" in result.missing)) is not left_out


def test_a_bench_does_not_bring_the_packing_items_to_a_brand_they_exclude():
    """Every fact named must match: a 菜鸟 station with a bench is still left out by its brand."""
    assert skipped_items(JIADING, answers(), {**STATION, "packing_bench": True}) == {
        "P1": "profile",
        "P2": "profile",
    }


def test_worked_example_an_outlet_without_a_packing_bench_scores_as_the_station():
    """README worked example 2: a 顺丰 outlet with no bench, C1 no, is scored as the 菜鸟 station."""
    station = score(JIADING, answers(C1=False, P1=None, P2=None, C2=None), profile=STATION)
    no_bench = score(JIADING, answers(C1=False, P1=None, P2=None, C2=None), profile=NO_BENCH)
    assert [(s.code, s.skipped) for s in no_bench.items if s.skipped] == [
        ("P1", "profile"),
        ("P2", "profile"),
        ("C2", "condition"),
    ]
    assert (no_bench.total, no_bench.final, no_bench.level) == (station.total, station.final, station.level)
    assert (no_bench.total, no_bench.final) == (Decimal("60.0"), Decimal("65.0"))


@pytest.mark.parametrize(("c1", "shown"), [(True, True), (False, False), (None, False)])
def test_conditional_item_is_shown_and_scored_only_when_the_answer_says_so(c1, shown):
    result = score(JIADING, answers(C1=c1, C2=Decimal(0)), profile=PACKS)
    assert (result.item("C2").skipped is None) is shown
    assert result.item("C2").possible == (Decimal(10) if shown else 0)


def test_a_stale_answer_of_a_hidden_item_is_ignored():
    with_stale = score(JIADING, answers(C1=False, C2=Decimal(100)), profile=PACKS)
    without = score(JIADING, answers(C1=False, C2=None), profile=PACKS)
    assert with_stale.to_dict() == without.to_dict()


@pytest.mark.parametrize(
    ("code", "value", "required"),
    [
        ("D1", Decimal(0), False),  # nothing found: no dummy upload
        ("D1", Decimal(1), True),
        ("D2", Decimal(5), False),
        ("D2", Decimal("5.1"), True),
        ("C2", Decimal(0), False),
        ("C2", Decimal(3), True),
    ],
)
def test_evidence_only_above_the_bound(code, value, required):
    assert evidence_required(JIADING.item(code), Answer(value)) is required


def test_evidence_below_a_bound():
    data = _jiading_data()
    data["sections"][2]["items"][1]["evidence"] = {"kind": "photo", "required": "when", "below": 50}
    item = Edition.from_snapshot(data).item("P2")
    assert evidence_required(item, Answer(Decimal(49))) and not evidence_required(item, Answer(Decimal(50)))


@pytest.mark.parametrize(
    ("code", "bound", "value", "required"),
    [
        ("D1", {"above": 100}, Decimal(101), True),  # a count may pass any bound
        ("D1", {"below": 0.5}, Decimal(0), True),  # only nothing found
        ("D2", {"above": 99.9}, Decimal(100), True),
        ("D2", {"below": 100}, Decimal("99.9"), True),
        ("D2", {"below": 100}, Decimal(100), False),
    ],
)
def test_bounds_at_the_edges_of_the_answers_are_taken(tmp_path, code, bound, value, required):
    data = _jiading_data()
    item = next(i for s in data["sections"] for i in s["items"] if i["code"] == code)
    item["evidence"] = {"kind": "photo", "required": "when", **bound}
    path = tmp_path / "edges.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    assert evidence_required(load_edition(path).item(code), Answer(value)) is required


@pytest.mark.parametrize("answer", [Answer(None), Answer(None, not_applicable=True)])
def test_no_evidence_for_an_unanswered_or_na_count(answer):
    assert not evidence_required(JIADING.item("D1"), answer)


# B3 of shanghai-2025 (events held, 0–3+) asks for evidence always, so "0 次" needs an upload of
# nothing. That edition is pinned by its hash in every application and certificate made under it, and
# the guide says rules change in a new edition (criteria/README.md): its successor writes the rule below.
B3_SUCCESSOR_EVIDENCE = {"kind": "photo_or_document", "required": "when", "above": 0}


@pytest.fixture
def shanghai_successor(tmp_path) -> Edition:
    data = yaml.safe_load((ROOT / "criteria" / "shanghai-2025.yaml").read_text(encoding="utf-8"))
    data["id"], data["effective_from"] = "shanghai-2026", "2026-01-01"
    b3 = next(item for item in data["bonus"]["items"] if item["code"] == "B3")
    b3["evidence"] = B3_SUCCESSOR_EVIDENCE
    path = tmp_path / "shanghai-2026.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return load_edition(path)


@pytest.mark.parametrize(("events", "evidence", "earned"), [(0, False, 0), (1, True, 1), (4, True, 2)])
def test_b3_in_a_successor_edition_asks_evidence_only_for_events_held(
    shanghai_successor, events, evidence, earned
):
    answer = Answer(Decimal(events))
    assert evidence_required(shanghai_successor.item("B3"), answer) is evidence
    assert evidence_required(SHANGHAI.item("B3"), answer)  # the 2025 rule, pinned: always
    assert score(shanghai_successor, {"B3": answer}).item("B3").earned == earned


def test_show_prints_the_successors_rule_on_the_item_line(shanghai_successor):
    from outlet_audit.criteria.cli import evidence_rule_text

    assert evidence_rule_text(shanghai_successor.item("B3")) == "evidence: photo_or_document when above 0"
    assert evidence_rule_text(SHANGHAI.item("B3")) == "evidence: photo_or_document always"


def test_the_successor_differs_from_2025_only_in_that_rule(shanghai_successor):
    from outlet_audit.criteria.diff import diff_editions, diff_lines

    diff = diff_editions(SHANGHAI, shanghai_successor)
    assert [(entry.code, [c.field for c in entry.changes]) for entry in diff.items.changed] == [
        ("B3", ["evidence"])
    ]
    assert "      evidence: photo_or_document always → photo_or_document when above 0" in diff_lines(diff)
    assert not (diff.items.added or diff.items.removed or diff.sections or diff.levels)
    assert score(shanghai_successor, {}).to_dict()["items"] == score(SHANGHAI, {}).to_dict()["items"]


# Malformed uses are refused with the place named


def _jiading_data() -> dict:
    return yaml.safe_load(JIADING_PATH.read_text(encoding="utf-8"))


def _at(data: dict, s: int, i: int) -> dict:
    return data["sections"][s]["items"][i]


REFUSALS: list[tuple[str, Callable[[dict], None], str]] = [
    ("floor above the points", lambda d: _at(d, 1, 0)["answer"]["deduction"].update(floor=12),
     "sections[1].items[0].answer.deduction.floor: the floor (12) must be below the item's points (10)"),
    ("deduction and thresholds", lambda d: _at(d, 1, 0)["answer"].update(thresholds=[{"min": 1, "points": 10}]),
     "sections[1].items[0].answer: needs either thresholds or deduction, not both"),
    ("min and max mixed", lambda d: _at(d, 1, 1)["answer"]["thresholds"][1].update(min=1, max=None),
     "sections[1].items[1].answer.thresholds[1].max: must be a number"),
    ("min and max in one list", lambda d: _at(d, 1, 1)["answer"]["thresholds"].__setitem__(1, {"min": 1, "points": 5}),
     "sections[1].items[1].answer.thresholds[1]: use min on every threshold"),
    ("max going down", lambda d: _at(d, 1, 1)["answer"]["thresholds"][1].update(max=3),
     "sections[1].items[1].answer.thresholds[1].max: thresholds must go from the lowest max to the highest"),
    ("requirement with points", lambda d: _at(d, 0, 0).update(points=5),
     "sections[0].items[0]: a requirement (requirement: true) has no points of its own: remove points"),
    ("requirement not yes_no", lambda d: _at(d, 0, 0).update(answer={"type": "percentage", "thresholds": [{"min": 1, "points": 1}]}),
     "sections[0].items[0].answer.type: a requirement is answered yes or no (yes_no)"),
    ("requirement with N/A", lambda d: _at(d, 0, 0).update(not_applicable_allowed=True),
     "sections[0].items[0].not_applicable_allowed: a requirement may not allow N/A"),
    ("required_from on a plain item", lambda d: _at(d, 3, 0).update(required_from="city"),
     "sections[3].items[0].required_from: only a veto or requirement item blocks levels"),
    ("ordinary item without points", lambda d: _at(d, 3, 0).pop("points"),
     "sections[3].items[0].points: is required"),
    ("unknown profile fact", lambda d: _at(d, 2, 0).update(applies_to={"has_bench": ["yes"]}),
     "sections[2].items[0].applies_to.has_bench: unknown key"),
    ("packing bench not true or false", lambda d: _at(d, 2, 0).update(applies_to={"packing_bench": ["yes"]}),
     "sections[2].items[0].applies_to.packing_bench[0]: must be true or false"),
    ("condition on an unknown item", lambda d: _at(d, 3, 1)["shown_when"].update(item="C9"),
     "sections[3].items[1].shown_when.item: unknown item 'C9'"),
    ("condition on itself", lambda d: _at(d, 3, 1)["shown_when"].update(item="C2"),
     "sections[3].items[1].shown_when.item: an item cannot be shown depending on its own answer"),
    ("conditions in a loop", lambda d: _at(d, 3, 0).update(shown_when={"item": "C2", "above": 0}),
     "sections[3].items[0].shown_when.item: the conditions go round in a loop (C1 → C2 → C1)"),
    ("condition with an impossible answer", lambda d: _at(d, 3, 1)["shown_when"].update(answers=["yes"]),
     "sections[3].items[1].shown_when.answers[0]: \"yes\" is not a possible answer of item 'C1'"),
    ("condition above on a yes_no item", lambda d: _at(d, 3, 1).update(shown_when={"item": "C1", "above": 0}),
     "sections[3].items[1].shown_when.above: item 'C1' is not answered with a number"),
    ("condition with two tests", lambda d: _at(d, 3, 1)["shown_when"].update(above=1),
     "sections[3].items[1].shown_when: give exactly one of answers, above or below"),
    ("evidence above on a yes_no item", lambda d: _at(d, 3, 0).update(evidence={"kind": "photo", "required": "when", "above": 0}),
     "sections[3].items[0].evidence.above: only for percentage and number answers"),
    ("evidence above without when", lambda d: _at(d, 1, 0).update(evidence={"kind": "photo", "required": "always", "above": 0}),
     "sections[1].items[0].evidence.above: only used with required: when"),
    ("evidence above and below", lambda d: _at(d, 1, 0)["evidence"].update(below=3),
     "sections[1].items[0].evidence: give either above or below, not both"),
    ("evidence above and answers", lambda d: _at(d, 1, 0)["evidence"].update(when=[True]),
     "sections[1].items[0].evidence.when: use either when or above, not both"),
    ("evidence below 0", lambda d: _at(d, 1, 0).update(evidence={"kind": "photo", "required": "when", "below": 0}),
     "sections[1].items[0].evidence.below: no answer is below 0, so evidence would never be asked for; write required: never"),
    ("evidence above 100 %", lambda d: _at(d, 1, 1)["evidence"].update(above=100),
     "sections[1].items[1].evidence.above: no percentage is above 100, so evidence would never be asked for; write required: never"),
    ("evidence below more than 100 %", lambda d: _at(d, 1, 1).update(evidence={"kind": "document", "required": "when", "below": 100.5}),
     "sections[1].items[1].evidence.below: every percentage is below 100.5, so evidence would always be asked for; write required: always"),
    ("evidence when without anything", lambda d: _at(d, 1, 0)["evidence"].pop("above"),
     "sections[1].items[0].evidence.when: is required"),
    ("section minimum of an unknown section", lambda d: d["levels"]["city"]["section_minimums"].update(Z=10),
     "levels.city.section_minimums.Z: unknown section 'Z'"),
    ("final cap below a minimum", lambda d: d.update(final_cap=80),
     "levels.city.min_score: 85 is above final_cap (80), so the level could never be reached"),
    ("requirement at full marks", lambda d: d["levels"]["city"].update(items_at_full_marks=["R1"]),
     "levels.city.items_at_full_marks[0]: item 'R1' is a requirement with no points"),
]  # fmt: skip


@pytest.mark.parametrize(("mutate", "expected"), [r[1:] for r in REFUSALS], ids=[r[0] for r in REFUSALS])
def test_malformed_uses_are_refused_with_the_place_named(tmp_path, mutate, expected):
    data = _jiading_data()
    mutate(data)
    path = tmp_path / "broken.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    with pytest.raises(CriteriaError) as raised:
        load_edition(path)
    assert any(message.startswith(f"{path}: {expected}") for message in raised.value.messages), (
        raised.value.messages
    )


# Properties on the second edition: deductions and conditional items


@st.composite
def jiading_cases(draw):
    answers_ = {}
    for item in (*JIADING.items(), *JIADING.bonus_items()):
        if draw(st.booleans()):
            answers_[item.code] = Answer(draw(value_strategy(item, max_count=200)))
        elif draw(st.booleans()):
            answers_[item.code] = UNANSWERED
    profile = draw(st.sampled_from([None, PACKS, STATION, NO_BENCH]))
    return answers_, profile


PROPERTY_SETTINGS = settings(max_examples=150, deadline=None)


@PROPERTY_SETTINGS
@given(jiading_cases(), st.data())
def test_answer_order_does_not_matter(case, data):
    answers_, profile = case
    shuffled = dict(data.draw(st.permutations(list(answers_.items()))))
    assert (
        score(JIADING, shuffled, profile=profile).to_dict()
        == score(JIADING, answers_, profile=profile).to_dict()
    )


def _better_or_equal(item: Item, old: Answer, new: Answer, answers_: dict, profile) -> bool:
    """Is the new answer at least as good on the item's own scale (whatever points it carries)?

    Judged among the other answers: a conditional item alone is not asked and earns nothing either way.
    """
    if old.value is None:
        return True
    probe = tuple(
        score(JIADING, answers_ | {item.code: answer}, profile=profile).item(item.code)
        for answer in (old, new)
    )
    if item.requirement:
        return probe[1].full_marks or not probe[0].full_marks
    return probe[1].earned >= probe[0].earned


CONTROLLERS = {item.shown_when.item for item in JIADING.items() if item.shown_when}


@PROPERTY_SETTINGS
@given(jiading_cases(), st.data())
def test_improving_one_answer_never_lowers_the_total_or_level(case, data):
    answers_, profile = case
    item = data.draw(st.sampled_from([i for i in JIADING.items() if i.code not in CONTROLLERS]))
    old, new = answers_.get(item.code, UNANSWERED), Answer(data.draw(value_strategy(item, max_count=200)))
    assume(_better_or_equal(item, old, new, answers_, profile))
    before = score(JIADING, answers_, profile=profile)
    after = score(JIADING, answers_ | {item.code: new}, profile=profile)
    if old.value is not None:  # an unanswered item newly answered may add possible points
        assert after.total >= before.total
        assert after.final >= before.final
        assert LEVEL_RANK[after.level] >= LEVEL_RANK[before.level]


@PROPERTY_SETTINGS
@given(jiading_cases())
def test_hidden_and_profile_skipped_items_count_for_nothing(case):
    answers_, profile = case
    result = score(JIADING, answers_, profile=profile)
    for line in (*result.items, *result.bonus_items):
        if line.skipped:
            assert (line.earned, line.possible, line.veto_failed) == (0, 0, False)
            assert line.code not in result.missing
    deductions = [i for i in JIADING.items() if i.answer.deduction]
    for item in deductions:
        line = result.item(item.code)
        if line.answered and not line.skipped:
            assert item.answer.deduction.floor <= line.earned <= item.points
    assert result.final <= JIADING.final_cap


# The second edition through the generated checklist form and the inspection report, no code change


def test_generated_form_takes_every_new_construct():
    from werkzeug.datastructures import MultiDict

    from outlet_audit.checklist.forms import PlainAssessmentForm, build_assessment_form, field_name, item_data

    form_class = build_assessment_form(JIADING, "zh", base=PlainAssessmentForm)
    data = {}
    for code, answer in answers().items():
        item = JIADING.item(code)
        for key, value in item_data(item, answer.value, False, None, 0).items():
            data[f"{field_name(code)}-{key}"] = "y" if value is True else ("" if value is False else value)
    form = form_class(formdata=MultiDict({k: v for k, v in data.items() if v not in (None, "")}))
    assert form.validate(), form.errors
    for item in (*JIADING.items(), *JIADING.bonus_items()):
        assert field_name(item.code) in form._fields


def test_report_renders_the_second_edition():
    from datetime import datetime

    from outlet_audit.reports.report_pdf import (
        ReportData,
        ReportItem,
        ReportSection,
        ReportVisit,
        render_inspection_report,
    )
    from tests.certificate_helpers import pdf_text

    result = score(JIADING, answers(R1=False, C1=False), profile=STATION)
    lines = {line.code: line for line in result.items}
    sections = tuple(
        ReportSection(
            code=section.code,
            title=section.title.zh,
            items=tuple(
                ReportItem(
                    code=item.code,
                    title=item.title.zh,
                    answer="—",
                    points_earned=lines[item.code].earned,
                    points_possible=lines[item.code].possible,
                    not_applicable=lines[item.code].not_applicable,
                    veto_triggered=lines[item.code].veto_failed,
                )
                for item in section.items
            ),
            points_earned=totals.earned,
            points_possible=totals.possible,
        )
        for section, totals in zip(JIADING.sections, result.sections, strict=True)
    )
    pdf = render_inspection_report(
        ReportData(
            application_number="JD-2027-0001",
            outlet_name="测试驿站",
            outlet_address="嘉定区",
            brand="菜鸟",
            district="嘉定区",
            criteria_edition_id=JIADING.id,
            criteria_content_hash=JIADING.content_hash,
            visits=(
                ReportVisit(
                    sequence=1,
                    visit_type="initial",
                    dates=(),
                    inspectors=("检查员",),
                    sections=sections,
                    total_points=result.total,
                    possible_points=Decimal(100),
                    bonus_points=result.bonus,
                    final_score=result.final,
                    veto_findings=result.veto_failures,
                    level_reached=result.level,
                    levels_not_reached=(),
                ),
            ),
            generated_at=datetime(2027, 3, 1, 9, 0),
        )
    )
    text = pdf_text(pdf)
    assert "jiading-2027" in text and "R1" in text and "C2" in text


def test_the_checklist_page_says_the_successors_rule_in_words(app, shanghai_successor):
    from flask_babel import force_locale

    from outlet_audit.checklist.page import evidence_rule_text as page_rule_text

    with app.test_request_context(), force_locale("en"):
        assert page_rule_text(shanghai_successor.item("B3"), "en").startswith(
            "Photo or document required when the"
        )
        assert page_rule_text(shanghai_successor.item("B3"), "en").endswith("is above 0 events")
    with app.test_request_context(), force_locale("zh_Hans_CN"):
        text = page_rule_text(shanghai_successor.item("B3"), "zh")
        assert "大于" in text and "0" in text and "：" not in text
