"""`flask criteria ...` on a minimal app whose CRITERIA_DIR is a temporary folder."""

import json
import shutil
from pathlib import Path

import pytest
from flask import Flask

from outlet_audit.criteria import load_edition
from outlet_audit.criteria.cli import criteria_cli

ROOT = Path(__file__).resolve().parents[2]
SHANGHAI = ROOT / "criteria" / "shanghai-2025.yaml"
PUDONG = ROOT / "tests" / "data" / "criteria" / "pudong-pilot-2026.yaml"
JIADING = ROOT / "tests" / "data" / "criteria" / "jiading-2027.yaml"


@pytest.fixture
def criteria_dir(tmp_path):
    folder = tmp_path / "criteria"
    folder.mkdir()
    shutil.copy(SHANGHAI, folder)
    shutil.copy(PUDONG, folder)
    return folder


@pytest.fixture
def run(criteria_dir):
    app = Flask(__name__)
    app.config["CRITERIA_DIR"] = str(criteria_dir)
    app.cli.add_command(criteria_cli)
    runner = app.test_cli_runner()
    return lambda *args: runner.invoke(args=["criteria", *map(str, args)])


def write_answers(path: Path, data: dict) -> Path:
    path.write_text(json.dumps(data), encoding="utf-8")
    return path


SHANGHAI_PERFECT = {
    **{code: True for code in ("1.1", "1.2", "1.3", "1.4", "1.5", "3.2", "3.3", "4.1", "4.3", "5.1", "6.1")},
    "2.1": 96.5,
    "3.1": "A",
    "4.2": "A",
    "5.2": 2,
}


def test_list_shows_id_hash_dates_items_and_total(run):
    result = run("list")
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert len(lines) == 2
    assert lines[0].startswith(
        f"pudong-pilot-2026  {load_edition(PUDONG).content_hash[:12]}  2026-01-01 – 2026-12-31"
    )
    assert "6 items +2 bonus  60 points" in lines[0]
    assert lines[1].startswith(
        f"shanghai-2025  {load_edition(SHANGHAI).content_hash[:12]}  2025-01-01 – open"
    )
    assert "15 items +3 bonus  100 points" in lines[1]


def test_list_refuses_a_folder_with_an_invalid_file(run, criteria_dir):
    (criteria_dir / "broken.yaml").write_text("id: broken\n", encoding="utf-8")
    result = run("list")
    assert result.exit_code == 1
    assert f"{criteria_dir / 'broken.yaml'}: title: is required" in result.stderr


def test_validate_defaults_to_every_file_in_the_criteria_folder(run):
    result = run("validate")
    assert result.exit_code == 0, result.output
    assert result.output.startswith("2 edition file(s) valid")


def test_validate_reports_every_problem_and_exits_1(run, tmp_path):
    broken = tmp_path / "broken.yaml"
    text = SHANGHAI.read_text(encoding="utf-8").replace("total_points: 100", "total_points: 99")
    broken.write_text(text.replace("min_score: 90", "min_score: 60"), encoding="utf-8")
    result = run("validate", broken)
    assert result.exit_code == 1
    assert result.stderr.splitlines() == [
        f"{broken}: total_points: the items add up to 100, but total_points says 99",
        f"{broken}: levels.city.min_score: 60 is below levels.district.min_score (80)",
    ]


def test_validate_accepts_files_and_folders(run, criteria_dir, tmp_path):
    result = run("validate", SHANGHAI, criteria_dir)
    assert result.exit_code == 1  # shanghai-2025 twice: a duplicate id
    assert "duplicate edition id 'shanghai-2025'" in result.stderr
    assert run("validate", PUDONG, SHANGHAI).exit_code == 0


def test_validate_an_empty_folder_fails(run, tmp_path):
    empty = tmp_path / "empty"
    empty.mkdir()
    result = run("validate", empty)
    assert result.exit_code == 1
    assert "no *.yaml edition files" in result.stderr


def test_show_outlines_sections_items_marks_and_levels(run):
    result = run("show", "shanghai-2025")
    assert result.exit_code == 0, result.output
    out = result.output
    assert "shanghai-2025: 上海市无废快递网点评估标准（2025 年版）" in out
    assert "1  源头减量  (36 points)" in out
    assert "  1.3      8  不使用不可降解塑料胶带  [yes_no, VETO, evidence: photo always]" in out
    assert (
        "  2.1     15  电商快件原装直发比例（目标 95%）"
        "  [percentage, N/A allowed, evidence: photo_or_document always]" in out
    )
    assert "bonus (cap 5 points)" in out
    assert "  B1    +   2" in out
    assert (
        "  city: final score ≥ 90; no veto item failed; full marks on 1.1, 1.2, 4.1, 4.3;"
        " valid district certificate" in out
    )
    assert (
        "    approval: district_postal opinion → district_ecology cosign → district_postal decision;"
        " certificate valid 24 months" in out
    )
    assert (
        "    approval: district_postal recommendation → district_ecology cosign → city_postal decision;"
        " certificate valid 24 months\n    inspection team: district_postal + district_ecology\n" in out
    )
    assert out.count("inspection team:") == 1  # district level wants no joint team


def test_show_spells_an_older_editions_roles_as_the_steps_they_mean(run):
    out = run("show", PUDONG).output
    assert "    approval: district_postal decision; certificate valid 12 months" in out
    assert "    approval: district_postal recommendation → city_postal confirmation;" in out
    assert "inspection team" not in out


@pytest.mark.parametrize("path", [SHANGHAI, PUDONG, JIADING], ids=lambda p: p.stem)
def test_show_prints_every_evidence_rule_in_full(run, path):
    edition = load_edition(path)
    output = run("show", path).output  # a file path: jiading-2027 is kept out of the criteria folder
    for item in (*edition.items(), *edition.bonus_items()):
        rule = item.evidence
        if rule.required == "never":
            expected = "evidence: never"
        elif rule.required == "always":
            expected = f"evidence: {rule.kind} always"
        else:
            words = [("yes" if value else "no") if isinstance(value, bool) else value for value in rule.when]
            words += [
                f"{key} {value}"
                for key, value in (("above", rule.above), ("below", rule.below))
                if value is not None
            ]
            assert words, item.code  # a `when` rule always says when
            expected = f"evidence: {rule.kind} when {' or '.join(words)}"
        [line] = [line for line in output.splitlines() if line.startswith(f"  {item.code} ")]
        assert line.endswith(f"{expected}]"), line


def test_show_says_when_a_count_or_percentage_needs_evidence(run):
    output = run("show", JIADING, "--lang", "en").output
    assert (
        "  D1      10  Over-packaging found  [number, −2 each, floor 0, evidence: photo when above 0]"
        in output
    )
    assert "[percentage, evidence: document when above 5]" in output
    assert "  X1    +   5  Used boxes taken back  [number, evidence: document when above 0]" in output
    assert "when]" not in output and "when ]" not in output


def test_show_names_the_answers_that_need_evidence(run):
    output = run("show", "shanghai-2025").output
    assert "  3.1      8  推广使用可循环快递包装  [choice, evidence: photo_or_document when A or B]" in output
    assert "  3.3      6  完好瓦楞纸箱回收复用  [yes_no, evidence: photo when yes]" in output
    assert "[percentage, N/A allowed, evidence: never]" in run("show", "pudong-pilot-2026").output


def test_show_in_english(run):
    result = run("show", "pudong-pilot-2026", "--lang", "en")
    assert result.exit_code == 0, result.output
    assert "Sealing tape compliance grade  [choice, VETO, evidence: photo when G3 or D]" in result.output
    assert "  district: final score ≥ 70; no veto item failed" in result.output


def test_show_unknown_edition(run):
    result = run("show", "beijing-2030")
    assert result.exit_code == 1
    assert "no edition 'beijing-2030'" in result.stderr
    assert "known: pudong-pilot-2026, shanghai-2025" in result.stderr


def test_score_prints_the_result_as_json(run, tmp_path):
    answers = write_answers(
        tmp_path / "answers.json",
        {"holds_valid_district_certificate": True, "answers": SHANGHAI_PERFECT | {"B1": True}},
    )
    result = run("score", "shanghai-2025", answers)
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert (data["total"], data["bonus"], data["final"], data["level"]) == ("100.0", "2.0", "102.0", "city")
    assert data["edition"]["content_hash"] == load_edition(SHANGHAI).content_hash


def test_score_with_not_applicable_and_missing_answers(run, tmp_path):
    answers = SHANGHAI_PERFECT | {"2.1": {"not_applicable": True}}
    del answers["6.1"]
    result = run("score", "shanghai-2025", write_answers(tmp_path / "a.json", {"answers": answers}))
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert data["missing"] == ["6.1"]
    assert data["level"] is None
    assert data["reasons"]["district"][0]["text"] == "1 items unanswered"


def test_score_a_draft_file_not_yet_in_the_folder(run, tmp_path):
    draft = tmp_path / "draft.yaml"
    draft.write_text(
        SHANGHAI.read_text(encoding="utf-8").replace("- {min: 95, points: 15}", "- {min: 99, points: 15}")
    )
    answers = write_answers(tmp_path / "a.json", {"answers": SHANGHAI_PERFECT})
    assert json.loads(run("score", draft, answers).output)["total"] == "95.0"
    assert json.loads(run("score", "shanghai-2025", answers).output)["total"] == "100.0"


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ({"answers": SHANGHAI_PERFECT | {"2.1": 101}}, "answers.2.1: must be between 0 and 100"),
        ({"answers": SHANGHAI_PERFECT | {"3.1": "Z"}}, "answers.3.1: unknown option Z"),
        (
            {"answers": SHANGHAI_PERFECT | {"1.3": {"not_applicable": True}}},
            "answers.1.3: N/A is not allowed",
        ),
        ({"answers": {"7.7": True}}, "answers.7.7: unknown item 7.7"),
        (
            {"answers": SHANGHAI_PERFECT | {"2.1": {"not_applicable": False}}},
            'answers.2.1: no answer given: write {"not_applicable": true} for N/A',
        ),
        ({"answers": SHANGHAI_PERFECT | {"5.2": "１０"}}, "answers.5.2: must be a number"),
        ({"answers": SHANGHAI_PERFECT | {"5.2": "1_0"}}, "answers.5.2: must be a number"),
        ({"answers": SHANGHAI_PERFECT | {"2.1": "   "}}, "answers.2.1: must be a number"),
        ({"answers": {}, "certificate": True}, "certificate: unknown key"),
        ({"answers": {}, "holds_valid_district_certificate": "yes"}, "must be true or false"),
        ([1, 2], 'expected an object with "answers"'),
    ],
)
def test_score_refuses_bad_answers_files(run, tmp_path, content, message):
    path = write_answers(tmp_path / "bad.json", content)
    result = run("score", "shanghai-2025", path)
    assert result.exit_code == 1
    assert message in result.stderr


def test_score_refuses_a_file_that_is_not_json(run, tmp_path):
    path = tmp_path / "bad.json"
    path.write_text("{answers: }", encoding="utf-8")
    result = run("score", "shanghai-2025", path)
    assert result.exit_code == 1
    assert "not valid JSON" in result.stderr


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        (b'{"answers": {"5.2": ' + b"1" * 5000 + b"}}", "not valid JSON: Exceeds the limit"),
        (b'{"answers": {"1.1": "\xff"}}', "not valid JSON: 'utf-8' codec can't decode byte 0xff"),
        (b'{"answers": {"2.1": NaN}}', "answers.2.1: must be a number"),
        (b'{"answers": {"2.1": -Infinity}}', "answers.2.1: must be a number"),
    ],
    ids=["5000-digits", "not-utf-8", "nan", "infinity"],
)
def test_score_refuses_what_json_reads_badly_with_a_message(run, tmp_path, raw, message):
    path = tmp_path / "bad.json"
    path.write_bytes(raw)
    result = run("score", "shanghai-2025", path)
    assert result.exit_code == 1, result.output
    assert message in result.stderr and "Traceback" not in result.output


def test_show_prints_every_levels_minimums_the_final_cap_and_each_items_scope(run):
    """jiading-2027 has every kind of minimum: each is printed on its level's line, with the cap."""
    out = run("show", JIADING, "--lang", "en").output
    assert "total: 60 points\nfinal score capped at 100\n" in out
    assert (
        "  district: final score ≥ 60; score before bonus ≥ 55;"
        " section D (Violations and second packaging) ≥ 50%; no veto item failed\n"
        "    requirements to pass: R1\n" in out
    )
    assert (
        "  city: final score ≥ 85; score before bonus ≥ 80;"
        " section D (Violations and second packaging) ≥ 80%; section C (Reusable packaging) ≥ 50%;"
        " no veto item failed; valid district certificate\n"
        "    requirements to pass: R1, R2\n" in out
    )
    assert "[yes_no, REQUIREMENT, blocks from city, evidence: never]" in out
    assert (
        "  D1      10  Over-packaging found  [number, −2 each, floor 0, evidence: photo when above 0]" in out
    )
    assert (
        "  P1      10  Slim tape at the packing bench  [yes_no, evidence: photo when no]\n          only for"
        in out
    )
    assert out.count("; packing_bench yes\n") == 2
    assert "  C2      10  Reusable box trips per month  [number, evidence: document when above 0]\n" in out
    assert "\n          asked only when C1 is yes\n" in out


def test_show_prints_no_minimum_an_edition_does_not_set(run):
    out = run("show", "shanghai-2025").output
    assert "capped" not in out and "before bonus" not in out and "section 1 (" not in out
    assert (
        "requirements to pass" not in out and "only for outlets" not in out and "asked only when" not in out
    )
