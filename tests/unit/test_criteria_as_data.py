"""Criteria are data: a second, different edition loads and scores with no code change."""

import shutil
from decimal import Decimal
from pathlib import Path

import pytest

from outlet_audit.criteria import load_editions
from outlet_audit.criteria.model import ApprovalStep
from outlet_audit.roles import Act, Agency
from outlet_audit.scoring import Answer, evidence_required, score

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def editions(tmp_path):
    folder = tmp_path / "criteria"
    folder.mkdir()
    shutil.copy(ROOT / "criteria" / "shanghai-2025.yaml", folder)
    shutil.copy(ROOT / "tests" / "data" / "criteria" / "pudong-pilot-2026.yaml", folder)
    return load_editions(folder)


@pytest.fixture
def pudong(editions):
    return editions["pudong-pilot-2026"]


def perfect(**changes) -> dict[str, Answer]:
    answers = {
        "A1": Answer("G1"),
        "A2": Answer(Decimal(50)),
        "B1": Answer(Decimal(60)),
        "B2": Answer(False),  # "packaging found in dry waste?" — no earns the points
        "C1": Answer(True),
        "C2": Answer(True),
    }
    return answers | changes


def test_the_pilot_differs_from_2025_in_shape(editions, pudong):
    shanghai = editions["shanghai-2025"]
    assert pudong.total_points == 60 != shanghai.total_points
    assert [s.code for s in pudong.sections] == ["A", "B", "C"]
    assert pudong.bonus.cap == 3 != shanghai.bonus.cap
    assert pudong.item("A1").veto and pudong.item("A1").answer.type == "choice"
    assert len(pudong.item("A1").answer.options) == 4
    # written as an older edition's list of roles: the city bureau confirms the district's recommendation
    assert pudong.level("city").approvals == (
        ApprovalStep(Agency.DISTRICT_POSTAL, Act.RECOMMENDATION),
        ApprovalStep(Agency.CITY_POSTAL, Act.CONFIRMATION),
    )
    assert pudong.level("city").approvals != shanghai.level("city").approvals
    assert pudong.level("district").certificate_validity_months == 12
    assert pudong.effective_until.isoformat() == "2026-12-31"


def test_perfect_pilot_answers_reach_city_without_a_district_certificate(pudong):
    answers = perfect(X1=Answer("gold"), X2=Answer(Decimal(1000)))
    result = score(pudong, answers)
    assert (result.total, result.bonus, result.final) == (Decimal("100.0"), Decimal("3.0"), Decimal("103.0"))
    assert result.level == "city"  # this edition's city level does not ask for a district certificate


@pytest.mark.parametrize(
    ("grade", "earned", "vetoed"), [("G1", 12, False), ("G2", 8, False), ("G3", 4, False), ("D", 0, True)]
)
def test_a_choice_can_be_a_veto_item(pudong, grade, earned, vetoed):
    result = score(pudong, perfect(A1=Answer(grade)))
    assert result.item("A1").earned == earned
    assert (result.veto_failures == ("A1",)) is vetoed
    assert (result.level is None) is vetoed


@pytest.mark.parametrize(
    ("bags", "earned"), [(0, 0), (4, 0), (5, 2), (19, 2), (20, 6), (49, 6), (50, 10), (500, 10)]
)
def test_count_thresholds(pudong, bags, earned):
    assert score(pudong, perfect(A2=Answer(Decimal(bags)))).item("A2").earned == earned


@pytest.mark.parametrize(("found", "earned", "photo"), [(False, 8, False), (True, 0, True)])
def test_a_yes_no_item_can_earn_on_no(pudong, found, earned, photo):
    item = pudong.item("B2")
    assert score(pudong, perfect(B2=Answer(found))).item("B2").earned == earned
    assert evidence_required(item, Answer(found)) is photo


def test_not_applicable_items_shrink_the_possible_points(pudong):
    answers = perfect(
        B1=Answer(None, not_applicable=True), C2=Answer(None, not_applicable=True), A2=Answer(Decimal(5))
    )
    result = score(pudong, answers)
    assert sum(item.possible for item in result.items) == 40
    assert result.total == Decimal("80.0")  # 32 of 40
    assert result.level == "district"
    assert [str(m) for m in result.reasons["city"]] == ["score 80.0 < 85"]


def test_city_needs_full_marks_on_the_pilot_items(pudong):
    result = score(pudong, perfect(A1=Answer("G2")))
    assert result.total == Decimal("93.3")  # 56 of 60
    assert result.level == "district"
    assert [str(m) for m in result.reasons["city"]] == ["A1 not at full marks"]


def test_pilot_bonus_cap_is_its_own(pudong):
    result = score(pudong, perfect(X1=Answer("silver"), X2=Answer(Decimal(1000))))
    assert result.bonus == Decimal("3.0")  # 1 + 2, exactly the cap
    result = score(pudong, perfect(X1=Answer("gold"), X2=Answer(Decimal(1000))))
    assert result.bonus == Decimal("3.0")  # 4 capped at 3


@pytest.mark.parametrize(
    ("bags", "reuse", "total", "level"),
    [(5, Decimal(60), "70.0", "district"), (20, Decimal(30), "68.3", None)],  # 42 / 60 and 41 / 60
)
def test_pilot_district_minimum_is_70(pudong, bags, reuse, total, level):
    answers = perfect(A2=Answer(Decimal(bags)), B1=Answer(reuse), C2=Answer(False))
    result = score(pudong, answers)
    assert (str(result.total), result.level) == (total, level)
