"""The impact preview end to end with an edition of the second round (tests/data/criteria/jiading-2027.yaml):
signed inspections pinned to jiading-2027, a draft jiading-2028 that changes its rules, and the figures
`measure_impact`, `flask criteria impact` and the preview page give, checked against the table below,
counted by hand (criteria/README.md explains every rule).

jiading-2027: R1, R2 requirements (R2 for the city level only); D1 10 points, 2 off per case found;
D2 10 (≤ 5 % → 10, ≤ 10 % → 5); P1 10, P2 10 (≥ 90 → 10, ≥ 50 → 4) for brands with a packing bench
(not 菜鸟); C1 10; C2 10 (≥ 100 → 10, ≥ 20 → 5) asked only when C1 is yes; district ≥ 60, total ≥ 55,
section D ≥ 50 %; city ≥ 85, total ≥ 80, D ≥ 80 %, C ≥ 50 %, a valid district certificate.

The draft jiading-2028: D1 costs 4 per case; C2 earns 10 from 60 trips; R2 blocks the district level
too (required_from dropped); district ≥ 65; D2's evidence only above 10 % (no effect on levels).

    outlet  district  brand  cert  answers not at full marks       now                draft
    A       FX        顺丰   no    none                            100.0 district     100.0 district
    B       FX        顺丰   yes   D1 = 2                          93.3 city (D 80%)  86.7 district (D 60%)
    C       FX        顺丰   yes   P2 = 60 %, C2 = 60              81.7 district      90.0 city
    D       FX        菜鸟   no    R2 no                           100.0 district     100.0 none (R2)
    E       QP        顺丰   no    D1 = 1, P1 no, P2 = 60, C2 = 30 61.7 district      58.3 none
    F       QP        菜鸟   no    D1 = 3, C2 = 20                 72.5 district      62.5 none
    G       QP        顺丰   yes   D1 = 1, C2 = 80                 88.3 city          93.3 city
    H       QP        顺丰   no    D2 = 8 %, P1 no, P2 = 60, C2=60 56.7 none          65.0 district

    B: D1 10 − 2 × 2 = 6 → 10 − 4 × 2 = 2; 56/60 → 52/60.  C: P2 4, C2 5 → 10; 49/60 → 54/60.
    D (a station: P1, P2 left out): 40/40 both ways; R2 failed blocks the city level, then every level.
    E: D1 8 → 6, P1 0, P2 4, C2 5 (30 < 60 either way); 37/60 → 35/60.  F (a station): D1 4 → 0, C2 5;
    29/40 → 25/40.  G: D1 8 → 6, C2 5 → 10; 53/60 → 56/60, D 18/20 → 16/20 = 80 %.  H: D2 5, P1 0, P2 4,
    C2 5 → 10; 34/60 = 56.7 < 60 → 39/60 = 65.0, exactly the draft's minimum.

Levels now → draft: none 1 → 3 (D, E, F), district 5 → 3 (A, B, H), city 2 → 2 (C, G).
Gained / lost: district +1 (H) −3 (D, E, F); city +1 (C) −1 (B). FX: 4 outlets, district +0 −1,
city +1 −1. QP: 4 outlets, district +1 −2, city +0 −0.
By item (points higher / lower; of those, level changed): D1 0 / 4 (B, E, F, G); 3 (B, E, F).
C2 3 / 0 (C, G, H); 2 (C, H). R2 earns nothing either way: D's lost level is no item's points.

Not read: A's older jiading inspection (9 cases of over-packaging, 60 days ago: only the latest counts),
one signed 400 days ago, one never signed off, and a shanghai-2025 inspection (no item code shared).
"""

import re
import shutil
from decimal import Decimal
from pathlib import Path

import pytest
import yaml

from outlet_audit.criteria import load_edition
from outlet_audit.criteria.impact import measure_impact
from outlet_audit.criteria.loader import read_edition_bytes
from outlet_audit.roles import Role
from tests.factories import login, make_outlet, make_user
from tests.impact_helpers import holds_certificate, signed_inspection
from tests.web.test_criteria_impact import cells, upload

pytestmark = pytest.mark.usefixtures("english_ui")

JIADING_PATH = Path(__file__).resolve().parents[1] / "data" / "criteria" / "jiading-2027.yaml"
JIADING = load_edition(JIADING_PATH)

# name: (district, brand, holds a district certificate, answers not at full marks)
OUTLETS = {
    "A": ("FX", "顺丰", False, {}),
    "B": ("FX", "顺丰", True, {"D1": Decimal(2)}),
    "C": ("FX", "顺丰", True, {"P2": Decimal(60), "C2": Decimal(60)}),
    "D": ("FX", "菜鸟", False, {"R2": False}),
    "E": ("QP", "顺丰", False, {"D1": Decimal(1), "P1": False, "P2": Decimal(60), "C2": Decimal(30)}),
    "F": ("QP", "菜鸟", False, {"D1": Decimal(3), "C2": Decimal(20)}),
    "G": ("QP", "顺丰", True, {"D1": Decimal(1), "C2": Decimal(80)}),
    "H": ("QP", "顺丰", False, {"D2": Decimal(8), "P1": False, "P2": Decimal(60), "C2": Decimal(60)}),
}


def draft_text() -> str:
    """jiading-2027 with the rule changes the table above counts, as an editor writes the file."""
    data = yaml.safe_load(JIADING_PATH.read_text(encoding="utf-8"))
    data["id"], data["effective_from"] = "jiading-2028", "2028-01-01"
    items = {item["code"]: item for section in data["sections"] for item in section["items"]}
    items["D1"]["answer"]["deduction"]["each"] = 4
    items["C2"]["answer"]["thresholds"] = [{"min": 60, "points": 10}, {"min": 20, "points": 5}]
    del items["R2"]["required_from"]
    items["D2"]["evidence"]["above"] = 10
    data["levels"]["district"]["min_score"] = 65
    return yaml.safe_dump(data, allow_unicode=True, sort_keys=False)


def shared_rows() -> dict:
    """The outlets of the table, each with its latest signed jiading-2027 inspection, made once for the
    module (conftest.module_rows), and the inspections that must not be read."""
    outlets = {}
    for name, (district, brand, certified, values) in OUTLETS.items():
        outlets[name] = make_outlet(district, brand=brand)
        if certified:
            holds_certificate(outlets[name])
        if name == "A":  # older and worse: never A's latest
            signed_inspection(outlets[name], days_ago=60, edition=JIADING, values={"D1": Decimal(9)})
        signed_inspection(outlets[name], edition=JIADING, values=values)
    signed_inspection(make_outlet("QP"), days_ago=400, edition=JIADING, values={"R1": False})
    signed_inspection(make_outlet("QP"), signed=False, edition=JIADING, values={"D1": Decimal(5)})
    signed_inspection(make_outlet("FX"), ["1.1", "1.2"])  # shanghai-2025: shares no item code
    return {name: outlet.id for name, outlet in outlets.items()}


@pytest.fixture
def seeded(module_rows, ctx):
    return module_rows[1]


@pytest.fixture
def draft():
    edition, problems = read_edition_bytes(draft_text().encode(), "jiading-2028.yaml")
    assert problems == []
    return edition


@pytest.fixture
def jiading_folder(app, tmp_path, monkeypatch):
    """A criteria folder holding jiading-2027 alone: the edition the preview compares a draft with."""
    folder = tmp_path / "criteria"
    folder.mkdir()
    shutil.copy(JIADING_PATH, folder / JIADING_PATH.name)
    monkeypatch.setitem(app.config, "CRITERIA_DIR", str(folder))
    return folder


def test_the_figures_are_the_ones_counted_by_hand(seeded, draft):
    impact = measure_impact(draft)

    assert (impact.read, impact.total.outlets, impact.not_comparable) == (8, 8, 0)
    assert [
        (level, impact.total.at(level, draft=False), impact.total.at(level, draft=True))
        for level in (None, "district", "city")
    ] == [(None, 1, 3), ("district", 5, 3), ("city", 2, 2)]
    total = impact.total
    assert [total.gained("district"), total.lost("district"), total.gained("city"), total.lost("city")] == [
        1,  # H
        3,  # D, E, F
        1,  # C
        1,  # B
    ]
    by_district = {
        district.code: (
            tally.outlets,
            tally.gained("district"),
            tally.lost("district"),
            tally.gained("city"),
            tally.lost("city"),
        )
        for district, tally in impact.district_rows()
    }
    assert by_district == {"FX": (4, 0, 1, 1, 1), "QP": (4, 1, 2, 0, 0)}
    by_item = {code: (t.higher, t.lower, t.level_changed) for code, t in impact.by_item.items()}
    assert by_item == {"D1": (0, 4, 3), "C2": (3, 0, 2)}


def test_one_district_gives_its_row_of_the_whole(seeded, draft):
    qp = measure_impact(draft, district_code="QP")
    assert (qp.read, [d.code for d, _ in qp.district_rows()]) == (4, ["QP"])
    assert (qp.total.gained("district"), qp.total.lost("district"), qp.total.lost("city")) == (1, 2, 0)
    assert {code: (t.higher, t.lower, t.level_changed) for code, t in qp.by_item.items()} == {
        "D1": (0, 3, 2),  # E, F, G; E and F lose the district level
        "C2": (2, 0, 1),  # G, H; H gains it
    }


def test_the_cli_prints_the_changed_rules_and_the_figures(app, seeded, jiading_folder, tmp_path):
    path = tmp_path / "jiading-2028.yaml"
    path.write_text(draft_text(), encoding="utf-8")

    result = app.test_cli_runner().invoke(args=["criteria", "impact", str(path), "--lang", "en"])

    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0] == "changes from jiading-2027 to jiading-2028:"
    for line in (
        "  ~ item D1 [D]  Over-packaging found",
        "      answer.deduction: each: 2; floor: 0 → each: 4; floor: 0",
        "      evidence: document when above 5 → document when above 10",
        "      answer.thresholds: ≥ 100 → 10; ≥ 20 → 5 → ≥ 60 → 10; ≥ 20 → 5",
        "      required_from: city → district",
        "      min_score: 60 → 65",
        "  none          1 → 3",
        "  district      5 → 3",
        "  city          2 → 2",
    ):
        assert line in lines, (line, lines)
    assert any(
        line.startswith("signed inspections since")
        and "8 outlets read, 8 re-scored, 0 not comparable" in line
        for line in lines
    )
    assert re.search(r"^  FX\s+4\s+0\s+1\s+1\s+1$", result.output, re.M)
    assert re.search(r"^  QP\s+4\s+1\s+2\s+0\s+0$", result.output, re.M)
    assert "  D1       +0      -4      level changed 3" in lines
    assert "  C2       +3      -0      level changed 2" in lines


def test_the_preview_page_shows_the_same_figures(client, seeded, jiading_folder):
    login(client, make_user(Role.ADMIN))

    response = upload(client, draft_text(), name="jiading-2028.yaml")

    page = response.get_data(as_text=True)
    assert response.status_code == 200, page
    numbers = lambda table, attr, row: re.findall(r">(\d+)<", cells(page, table, attr, row))  # noqa: E731
    assert numbers("impact-levels", "data-level", "district") == ["5", "3", "1", "3"]
    assert numbers("impact-levels", "data-level", "city") == ["2", "2", "1", "1"]
    assert numbers("impact-districts", "data-district", "FX") == ["4", "0", "1", "1", "1"]
    assert numbers("impact-districts", "data-district", "QP") == ["4", "1", "2", "0", "0"]
    assert numbers("impact-items", "data-item", "D1") == ["0", "4", "3"]
    assert numbers("impact-items", "data-item", "C2") == ["3", "0", "2"]
    assert "8 outlets read; 8 scored again; 0 cannot be compared." in page
    evidence = re.search(r'<tbody data-item="D2">(.*?)</tbody>', page, re.S)[1]
    assert "document when above 5" in evidence and "document when above 10" in evidence
