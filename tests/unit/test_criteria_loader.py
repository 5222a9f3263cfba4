"""Criteria editions: the shipped 2025 file, strict validation, hashes and snapshots."""

import json
import os
import shutil
import signal
import time
from collections.abc import Callable
from contextlib import contextmanager
from decimal import Decimal
from pathlib import Path

import jsonschema
import pytest
import yaml

from outlet_audit.criteria import CriteriaError, Edition, Text, load_edition, load_editions, validate_paths
from outlet_audit.criteria.loader import CRITERIA_MAX_BYTES, CRITERIA_MAX_DEPTH, SCHEMA_PATH
from outlet_audit.criteria.model import ApprovalStep
from outlet_audit.roles import Act, Agency
from outlet_audit.scoring import Answer, score

ROOT = Path(__file__).resolve().parents[2]
SHANGHAI = ROOT / "criteria" / "shanghai-2025.yaml"
PUDONG = ROOT / "tests" / "data" / "criteria" / "pudong-pilot-2026.yaml"


def shanghai_data() -> dict:
    return yaml.safe_load(SHANGHAI.read_text(encoding="utf-8"))


def write_yaml(path: Path, data: dict) -> Path:
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return path


# The shipped edition


def test_schema_is_a_valid_draft_2020_12_schema():
    schema = json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))
    jsonschema.Draft202012Validator.check_schema(schema)
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"


def test_shanghai_2025_loads_with_100_points_in_six_sections():
    edition = load_edition(SHANGHAI)
    assert edition.id == "shanghai-2025"
    assert edition.total_points == Decimal(100)
    assert sum(item.points for item in edition.items()) == Decimal(100)
    assert [s.code for s in edition.sections] == ["1", "2", "3", "4", "5", "6"]
    assert len(edition.items()) == 15


def test_shanghai_2025_vetoes_exactly_the_banned_materials():
    edition = load_edition(SHANGHAI)
    vetoes = {item.code: item.title.zh for item in edition.items() if item.veto}
    assert set(vetoes) == {"1.3", "1.5"}
    assert "不可降解塑料胶带" in vetoes["1.3"]
    assert "一次性塑料编织袋" in vetoes["1.5"]


def test_shanghai_2025_no_second_packaging_targets_95_percent():
    item = load_edition(SHANGHAI).item("2.1")
    assert item.answer.type == "percentage"
    assert item.answer.thresholds[0].min == Decimal(95)
    assert item.answer.thresholds[0].points == item.points


def test_shanghai_2025_covers_every_topic_of_the_rule():
    edition = load_edition(SHANGHAI)
    titles = " ".join(
        text.zh for text in (*(s.title for s in edition.sections), *(i.title for i in edition.items()))
    )
    for topic in (
        "电子运单",
        "瘦身胶带",
        "可降解塑料包装袋",
        "二次包装",
        "可循环",
        "回收装置",
        "纸箱",
        "四分类",
        "台账",
        "责任人",
        "培训",
        "宣传",
    ):
        assert topic in titles, topic


def test_shanghai_2025_levels_bonus_and_eligibility():
    edition = load_edition(SHANGHAI)
    district, city = edition.level("district"), edition.level("city")
    assert (district.min_score, city.min_score) == (Decimal(80), Decimal(90))
    postal, ecology, city_postal = Agency.DISTRICT_POSTAL, Agency.DISTRICT_ECOLOGY, Agency.CITY_POSTAL
    assert district.approvals == (
        ApprovalStep(postal, Act.OPINION),
        ApprovalStep(ecology, Act.COSIGN),
        ApprovalStep(postal, Act.DECISION),
    )
    assert city.approvals == (
        ApprovalStep(postal, Act.RECOMMENDATION),
        ApprovalStep(ecology, Act.COSIGN),
        ApprovalStep(city_postal, Act.DECISION),
    )
    assert (district.issuer, city.issuer) == (postal, city_postal)
    assert (district.inspection_team, city.inspection_team) == ((), (postal, ecology))
    assert city.requires_valid_district_certificate and not district.requires_valid_district_certificate
    assert city.items_at_full_marks == ("1.1", "1.2", "4.1", "4.3")
    assert edition.bonus.cap == Decimal(5)
    assert [item.code for item in edition.bonus_items()] == ["B1", "B2", "B3"]
    assert [d.code for d in edition.eligibility] == ["E1", "E2", "E3", "E4", "E5", "E6"]
    assert "公共信用信息" in edition.eligibility[0].text.zh


def test_shanghai_2025_evidence_rules_photos_for_observations_documents_for_records():
    edition = load_edition(SHANGHAI)
    for item in edition.items():
        if item.checked_by == "observation":
            assert item.evidence.kind in ("photo", "photo_or_document"), item.code
    assert edition.item("4.3").evidence.kind == "document"
    assert edition.item("4.3").evidence.required == "always"
    assert edition.item("3.1").evidence.when == ("A", "B")


def test_every_text_has_chinese_and_english():
    edition = load_edition(SHANGHAI)
    texts = [edition.title, edition.rule, *(d.text for d in edition.eligibility)]
    for item in (*edition.items(), *edition.bonus_items()):
        texts += [item.title, item.guidance, *(o.label for o in item.answer.options)]
    assert all(text.zh and text.en for text in texts)


def test_item_lookup_and_bonus_items():
    edition = load_edition(SHANGHAI)
    assert edition.item("B2").title.en.startswith("Incentives")
    assert "B1" not in [item.code for item in edition.items()]
    with pytest.raises(KeyError):
        edition.item("9.9")


@pytest.mark.parametrize(
    ("locale", "expected"),
    [
        ("zh", "中文"),
        ("zh_CN", "中文"),
        ("en", "English"),
        ("en_GB", "English"),
        ("fr", "中文"),
        (None, "中文"),
    ],
)
def test_text_get_falls_back_to_chinese(locale, expected):
    assert Text(zh="中文", en="English").get(locale) == expected


# Strict validation: every message names file, path and problem


def _item(data: dict, s: int, i: int) -> dict:
    return data["sections"][s]["items"][i]


MUTATIONS: list[tuple[str, Callable[[dict], None], str]] = [
    (
        "zero points",
        lambda d: _item(d, 2, 1).update(points=0),
        "sections[2].items[1].points: must be greater than 0",
    ),
    (
        "unknown item key",
        lambda d: _item(d, 0, 0).update(colour="red"),
        "sections[0].items[0].colour: unknown key",
    ),
    ("unknown top key", lambda d: d.update(author="me"), "author: unknown key"),
    ("missing key", lambda d: _item(d, 0, 0).pop("guidance"), "sections[0].items[0].guidance: is required"),
    (
        "missing english",
        lambda d: _item(d, 0, 0)["title"].pop("en"),
        "sections[0].items[0].title.en: is required",
    ),
    (
        "text not a mapping",
        lambda d: d.update(title="标题"),
        "title: must be a mapping with zh: and en: texts",
    ),
    (
        "unquoted code",
        lambda d: _item(d, 1, 0).update(code=2.1),
        'sections[1].items[0].code: must be a code such as "2.1" or "B1" (letters, digits, dots, hyphens),'
        " written in quotes",
    ),
    ("bad date", lambda d: d.update(effective_from="2025-02-30"), "effective_from: must be a date written"),
    (
        "unknown answer type",
        lambda d: _item(d, 0, 0)["answer"].update(type="stars"),
        'sections[0].items[0].answer.type: must be one of: "yes_no", "choice", "percentage", "number"',
    ),
    (
        "yes_no with thresholds",
        lambda d: _item(d, 0, 0)["answer"].update(thresholds=[{"min": 1, "points": 8}]),
        "sections[0].items[0].answer.thresholds: unknown key",
    ),
    (
        "percentage above 100",
        lambda d: _item(d, 1, 0)["answer"]["thresholds"][0].update(min=101),
        "sections[1].items[0].answer.thresholds[0].min: must be at most 100",
    ),
    (
        "negative count threshold",
        lambda d: _item(d, 4, 1)["answer"]["thresholds"][1].update(min=-1),
        "sections[4].items[1].answer.thresholds[1].min: must be at least 0",
    ),
    (
        "unknown approval role",
        lambda d: d["levels"]["city"].update(approvals=["district_bureau", "mayor"]),
        'levels.city.approvals[1]: must be one of: "district_bureau", "city_bureau"',
    ),
    (
        "when without values",
        lambda d: _item(d, 0, 0).update(evidence={"kind": "photo", "required": "when"}),
        "sections[0].items[0].evidence.when: is required",
    ),
    (
        "duplicate item code",
        lambda d: _item(d, 2, 2).update(code="3.2"),
        "sections[2].items[2].code: duplicate item code '3.2' (also at sections[2].items[1].code)",
    ),
    (
        "bonus code repeats an item code",
        lambda d: d["bonus"]["items"][0].update(code="1.1"),
        "bonus.items[0].code: duplicate item code '1.1' (also at sections[0].items[0].code)",
    ),
    (
        "thresholds out of order",
        lambda d: _item(d, 1, 0)["answer"]["thresholds"].reverse(),
        "sections[1].items[0].answer.thresholds[1].min: thresholds must go from the highest min to the lowest"
        " without repeats (90 follows 80)",
    ),
    (
        "duplicate threshold",
        lambda d: _item(d, 1, 0)["answer"]["thresholds"][1].update(min=95),
        "sections[1].items[0].answer.thresholds[1].min: thresholds must go from the highest min to the lowest"
        " without repeats (95 follows 95)",
    ),
    (
        "lower threshold earns more",
        lambda d: _item(d, 1, 0)["answer"]["thresholds"][2].update(points=12),
        "sections[1].items[0].answer.thresholds[2].points: a lower threshold must earn fewer points"
        " (12 follows 10)",
    ),
    (
        "choice maximum below item points",
        lambda d: _item(d, 2, 0)["answer"]["options"][0].update(points=7),
        "sections[2].items[0].answer.options: the best option earns 7 points, but the item is worth 8",
    ),
    (
        "duplicate option code",
        lambda d: _item(d, 2, 0)["answer"]["options"][1].update(code="A"),
        "sections[2].items[0].answer.options[1].code: duplicate option code 'A'",
    ),
    (
        "level names an unknown item",
        lambda d: d["levels"]["city"]["items_at_full_marks"].append("9.9"),
        "levels.city.items_at_full_marks[4]: unknown item '9.9' (bonus items cannot be required)",
    ),
    (
        "level requires full marks on an N/A item",
        lambda d: d["levels"]["city"]["items_at_full_marks"].append("2.1"),
        "levels.city.items_at_full_marks[4]: item '2.1' allows N/A, so it cannot be required at full marks",
    ),
    (
        "points do not add up",
        lambda d: d.update(total_points=98),
        "total_points: the items add up to 100, but total_points says 98",
    ),
    (
        "veto item allows N/A",
        lambda d: _item(d, 0, 2).update(not_applicable_allowed=True),
        "sections[0].items[2].not_applicable_allowed: a veto item may not allow N/A",
    ),
    (
        "veto bonus item",
        lambda d: d["bonus"]["items"][0].update(veto=True),
        "bonus.items[0].veto: a bonus item cannot be a veto item",
    ),
    (
        "city minimum below district",
        lambda d: d["levels"]["city"].update(min_score=75),
        "levels.city.min_score: 75 is below levels.district.min_score (80)",
    ),
    (
        "evidence value that is no answer",
        lambda d: _item(d, 2, 0)["evidence"].update(when=["A", "Z"]),
        'sections[2].items[0].evidence.when[1]: "Z" is not a possible answer',
    ),
    (
        "evidence when on a percentage",
        lambda d: _item(d, 1, 0).update(evidence={"kind": "document", "required": "when", "when": [True]}),
        "sections[1].items[0].evidence.required: 'when' works only with yes_no and choice answers",
    ),
    (
        "evidence values without required: when",
        lambda d: _item(d, 0, 0)["evidence"].update(when=[True]),
        "sections[0].items[0].evidence.when: only used with required: when",
    ),
    (
        "effective until before from",
        lambda d: d.update(effective_until="2024-12-31"),
        "effective_until: comes before effective_from",
    ),
    (
        "a title of spaces",
        lambda d: _item(d, 0, 0)["title"].update(zh="   "),
        "sections[0].items[0].title.zh: must be a text with something to read, not empty or only spaces",
    ),
    (
        "guidance of full-width spaces and a line break",
        lambda d: _item(d, 0, 0)["guidance"].update(en="\u3000\u3000\n"),
        "sections[0].items[0].guidance.en: must be a text with something to read, not empty or only spaces",
    ),
    (
        "an empty option label",
        lambda d: _item(d, 2, 0)["answer"]["options"][1]["label"].update(en=""),
        "sections[2].items[0].answer.options[1].label.en: must be a text with something to read",
    ),
    (
        "a rule of spaces",
        lambda d: d["rule"].update(zh=" "),
        "rule.zh: must be a text with something to read, not empty or only spaces",
    ),
]


@pytest.mark.parametrize(("mutate", "expected"), [m[1:] for m in MUTATIONS], ids=[m[0] for m in MUTATIONS])
def test_invalid_edition_is_rejected_with_file_path_and_problem(tmp_path, mutate, expected):
    data = shanghai_data()
    mutate(data)
    path = write_yaml(tmp_path / "broken.yaml", data)
    with pytest.raises(CriteriaError) as raised:
        load_edition(path)
    assert any(message.startswith(f"{path}: {expected}") for message in raised.value.messages), (
        raised.value.messages
    )


def test_all_problems_are_reported_not_just_the_first(tmp_path):
    data = shanghai_data()
    _item(data, 0, 2).update(not_applicable_allowed=True)
    data["levels"]["city"]["min_score"] = 70
    _item(data, 2, 0)["answer"]["options"][0]["points"] = 7
    _item(data, 5, 0)["points"] = 3
    _item(data, 5, 0)["code"] = "1.1"
    path = write_yaml(tmp_path / "broken.yaml", data)
    assert validate_paths([path]) == [
        f"{path}: sections[5].items[0].code: duplicate item code '1.1' (also at sections[0].items[0].code)",
        f"{path}: sections[0].items[2].not_applicable_allowed: a veto item may not allow N/A",
        f"{path}: sections[2].items[0].answer.options: the best option earns 7 points,"
        " but the item is worth 8",
        f"{path}: total_points: the items add up to 99, but total_points says 100",
        f"{path}: levels.city.min_score: 70 is below levels.district.min_score (80)",
    ]


def test_schema_problems_are_all_listed(tmp_path):
    data = shanghai_data()
    _item(data, 0, 1)["points"] = -1
    _item(data, 3, 0)["checked_by"] = "smell"
    data["levels"]["district"].pop("approvals")
    path = write_yaml(tmp_path / "broken.yaml", data)
    messages = validate_paths([path])
    assert messages == [
        f"{path}: levels.district.approvals: is required",
        f"{path}: sections[0].items[1].points: must be greater than 0",
        f"{path}: sections[3].items[0].checked_by: must be one of:"
        ' "observation", "document", "count", "percentage"',
    ]


def test_message_names_the_file_as_given_relative_to_the_working_directory(tmp_path, monkeypatch):
    data = shanghai_data()
    _item(data, 2, 1)["points"] = 0
    (tmp_path / "criteria").mkdir()
    write_yaml(tmp_path / "criteria" / "shanghai-2025.yaml", data)
    monkeypatch.chdir(tmp_path)
    with pytest.raises(CriteriaError) as raised:
        load_edition(tmp_path / "criteria" / "shanghai-2025.yaml")
    assert (
        raised.value.messages[0]
        == "criteria/shanghai-2025.yaml: sections[2].items[1].points: must be greater than 0"
    )


def test_yaml_syntax_error_names_the_line(tmp_path):
    path = tmp_path / "bad.yaml"
    path.write_text("id: x\ntitle: {zh: 标题\n  en: Title\nsections: [\n", encoding="utf-8")
    messages = validate_paths([path])
    assert len(messages) == 1
    assert messages[0].startswith(f"{path}: line 3, column ")
    assert "YAML syntax error" in messages[0]


def test_duplicate_yaml_keys_are_refused_not_silently_merged(tmp_path):
    text = SHANGHAI.read_text(encoding="utf-8").replace(
        "total_points: 100\n", "total_points: 100\ntotal_points: 90\n"
    )
    path = tmp_path / "dup.yaml"
    path.write_text(text, encoding="utf-8")
    line = text.splitlines().index("total_points: 90") + 1
    assert validate_paths([path]) == [
        f"{path}: line {line}, column 1: YAML syntax error: duplicate key 'total_points'"
    ]


@pytest.mark.parametrize(
    ("content", "expected"), [("", "must be a mapping"), ("- a\n- b\n", "must be a mapping")]
)
def test_a_file_that_is_not_a_mapping_is_rejected(tmp_path, content, expected):
    path = tmp_path / "x.yaml"
    path.write_text(content, encoding="utf-8")
    assert validate_paths([path]) == [f"{path}: {expected}"]


# Numbers written plainly, as answers take them: YAML 1.1 reads more as numbers than anyone means

NUMBER_ADVICE = (
    "write digits with an optional sign and decimal point, e.g. 10 or 2.5, or put a text in quotes"
)


@pytest.mark.parametrize(
    ("written", "read"),
    [
        ("1_00", "100"),  # underscores group digits in YAML 1.1
        ("0100", "64"),  # a leading 0 is octal in YAML 1.1 (VS Code's YAML 1.2 reads 100)
        ("0x64", "100"),
        ("0b1100100", "100"),
        ("1:40", "100"),  # minutes and seconds: 1 × 60 + 40
        ("1_00.0", "100.0"),
        ("1.0e+2", "100.0"),
        (".inf", "inf"),
        (".NaN", "nan"),
    ],
)
def test_a_number_not_written_plainly_is_refused_at_its_line(tmp_path, written, read):
    text = SHANGHAI.read_text(encoding="utf-8")
    assert text.count("total_points: 100\n") == 1
    path = tmp_path / "numbers.yaml"
    path.write_text(text.replace("total_points: 100\n", f"total_points: {written}\n"), encoding="utf-8")
    line = text.splitlines().index("total_points: 100") + 1
    assert validate_paths([path]) == [
        f"{path}: line {line}, column 15: {written} is not a number written plainly"
        f" (YAML would read it as {read}): {NUMBER_ADVICE}"
    ]


def test_a_decimal_number_too_long_for_a_float_is_refused_at_its_line(tmp_path):
    text = SHANGHAI.read_text(encoding="utf-8")
    path = tmp_path / "long.yaml"
    path.write_text(text.replace("total_points: 100\n", f"total_points: {'1' * 400}.5\n"), encoding="utf-8")
    line = text.splitlines().index("total_points: 100") + 1
    assert validate_paths([path]) == [f"{path}: line {line}, column 15: the number has too many digits"]


@pytest.mark.parametrize("written", ["100", "+100", "100.0", "100.", "0100.0"])
def test_plain_numbers_are_read(tmp_path, written):
    text = SHANGHAI.read_text(encoding="utf-8").replace("total_points: 100\n", f"total_points: {written}\n")
    path = tmp_path / "plain.yaml"
    path.write_text(text, encoding="utf-8")
    assert load_edition(path).total_points == Decimal(100)


def test_full_width_digits_are_text_not_a_number(tmp_path):
    data = shanghai_data()
    _item(data, 0, 0)["points"] = "８"
    path = write_yaml(tmp_path / "wide.yaml", data)
    assert f"{path}: sections[0].items[0].points: must be a number" in validate_paths([path])


NOTHING_TO_READ = "must be a text with something to read, not empty or only spaces"


@pytest.mark.parametrize(
    "text",
    ["\u200b", "\u200b\u3000\u200d", "\ufeff", "\u00ad ", "\u2060\u202e", "\u3164"],
    ids=[
        "zero-width-space",
        "with-full-width-space-and-joiner",
        "bom",
        "soft-hyphen",
        "word-joiner-bidi",
        "hangul-filler",
    ],
)
def test_a_text_of_invisible_characters_is_refused(tmp_path, text):
    data = shanghai_data()
    _item(data, 0, 0)["title"]["zh"] = text
    path = write_yaml(tmp_path / "invisible.yaml", data)
    assert validate_paths([path]) == [f"{path}: sections[0].items[0].title.zh: {NOTHING_TO_READ}"]


def test_invisible_characters_around_a_text_are_kept(tmp_path):
    data = shanghai_data()
    _item(data, 0, 0)["title"]["zh"] = "\u200b电子面单\ufeff"
    assert load_edition(write_yaml(tmp_path / "ok.yaml", data)).item("1.1").title.zh == "\u200b电子面单\ufeff"


def test_missing_file_is_reported(tmp_path):
    assert validate_paths([tmp_path / "nope.yaml"]) == [f"{tmp_path / 'nope.yaml'}: file not found"]


# Hostile editions: refused quickly, with a located message, never with a traceback


@contextmanager
def time_limit(seconds: float):
    """Fail the test instead of letting a regression run for minutes and eat gigabytes."""

    def expire(_signum, _frame):
        raise TimeoutError(f"still running after {seconds} s")

    previous = signal.signal(signal.SIGALRM, expire)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def billion_laughs() -> str:
    """Nine levels of nine aliases (9**9 strings once expanded) where the schema walks every node."""
    lines = [
        "id: laughs-2025",
        "title: {zh: 笑, en: Laughs}",
        'lol0: &lol0 "lol lol lol lol lol lol lol lol"',
    ]
    lines += [f"lol{n}: &lol{n} [{', '.join([f'*lol{n - 1}'] * 9)}]" for n in range(1, 10)]
    return "\n".join([*lines, "eligibility: *lol9", "sections: *lol9", ""])


ANCHORS_REFUSED = "anchors and aliases (&name, *name) are not allowed in an edition"


def test_a_billion_laughs_file_is_refused_at_its_first_anchor_in_well_under_a_second(tmp_path):
    path = tmp_path / "laughs.yaml"
    path.write_text(billion_laughs(), encoding="utf-8")
    started = time.perf_counter()
    with time_limit(3):
        messages = validate_paths([path])
    assert time.perf_counter() - started < 1  # the old loader took 43 s and 5.9 GB
    assert messages == [f"{path}: line 3, column 7: {ANCHORS_REFUSED}"]


@pytest.mark.parametrize(
    ("old", "new"),
    [
        pytest.param("total_points: 100\n", "total_points: &total 100\n", id="an-anchor-alone"),
        pytest.param("total_points: 100\n", "total_points: *total\n", id="an-undefined-alias"),
        pytest.param("\nlevels:\n", "\nextra: &base {a: 1}\nlevels:\n  <<: *base\n", id="a-merge-key"),
    ],
)
def test_anchors_and_aliases_are_refused_at_their_line(tmp_path, old, new):
    text = SHANGHAI.read_text(encoding="utf-8")
    assert text.count(old) == 1
    text = text.replace(old, new)
    path = tmp_path / "anchored.yaml"
    path.write_text(text, encoding="utf-8")
    line = next(n for n, content in enumerate(text.splitlines(), 1) if "&" in content or "*" in content)
    (message,) = validate_paths([path])
    assert message.startswith(f"{path}: line {line}, column ")
    assert message.endswith(ANCHORS_REFUSED)


def test_an_oversize_file_is_refused_before_parsing(tmp_path, monkeypatch):
    text = SHANGHAI.read_text(encoding="utf-8")
    path = tmp_path / "padded.yaml"
    path.write_text(text + "#" * (CRITERIA_MAX_BYTES - len(text.encode()) + 1), encoding="utf-8")
    monkeypatch.setattr(
        "outlet_audit.criteria.loader.yaml.load", lambda *args, **kwargs: pytest.fail("the file was parsed")
    )
    assert validate_paths([path]) == [
        f"{path}: the file is larger than {CRITERIA_MAX_BYTES} bytes, far more than an edition needs"
    ]


def test_the_shipped_editions_are_far_inside_the_bounds():
    for path in (SHANGHAI, PUDONG):
        assert path.stat().st_size * 16 < CRITERIA_MAX_BYTES
        assert load_edition(path).id  # and still load


def test_deep_nesting_is_refused_at_its_line_not_with_a_recursion_error(tmp_path):
    path = tmp_path / "deep.yaml"
    path.write_text("id: deep-2025\nsections: " + "[" * 100_000 + "\n", encoding="utf-8")
    (message,) = validate_paths([path])
    assert message.startswith(f"{path}: line 2, column ")
    assert message.endswith(f"nested deeper than {CRITERIA_MAX_DEPTH} levels")


def test_a_number_of_thousands_of_digits_is_refused_at_its_line_not_with_a_value_error(tmp_path):
    path = tmp_path / "digits.yaml"
    path.write_text("id: digits-2025\ntotal_points: " + "9" * 5000 + "\n", encoding="utf-8")
    assert validate_paths([path]) == [f"{path}: line 2, column 15: the number has too many digits"]


@pytest.mark.parametrize("kind", ["folder", "fifo"])
def test_a_yaml_name_that_is_not_a_regular_file_is_refused_without_reading(tmp_path, kind):
    path = tmp_path / "odd.yaml"
    if kind == "folder":
        path.mkdir()
    else:
        os.mkfifo(path)  # opening it for reading would block until a writer came
    with time_limit(5):
        assert validate_paths([path]) == [f"{path}: cannot read the file: not a regular file"]


# Folders of editions


def criteria_folder(tmp_path: Path) -> Path:
    folder = tmp_path / "criteria"
    folder.mkdir()
    shutil.copy(SHANGHAI, folder)
    shutil.copy(PUDONG, folder)
    return folder


def test_load_editions_reads_every_yaml_file_keyed_by_id(tmp_path):
    folder = criteria_folder(tmp_path)
    (folder / "README.md").write_text("not an edition", encoding="utf-8")
    (folder / "edition.schema.json").write_text("{}", encoding="utf-8")
    editions = load_editions(folder)
    assert list(editions) == ["pudong-pilot-2026", "shanghai-2025"]
    assert editions["shanghai-2025"].source.endswith("shanghai-2025.yaml")


def test_load_editions_rejects_duplicate_ids(tmp_path):
    folder = criteria_folder(tmp_path)
    shutil.copy(SHANGHAI, folder / "zz-copy.yaml")
    with pytest.raises(CriteriaError) as raised:
        load_editions(folder)
    first, copy = folder / "shanghai-2025.yaml", folder / "zz-copy.yaml"
    assert raised.value.messages == [f"{copy}: id: duplicate edition id 'shanghai-2025' (also in {first})"]


def test_load_editions_reports_problems_of_every_file(tmp_path):
    folder = criteria_folder(tmp_path)
    (folder / "a.yaml").write_text("id: [", encoding="utf-8")
    (folder / "b.yaml").write_text("id: b\n", encoding="utf-8")
    with pytest.raises(CriteriaError) as raised:
        load_editions(folder)
    assert raised.value.messages[0].startswith(f"{folder / 'a.yaml'}: line 1")
    assert f"{folder / 'b.yaml'}: title: is required" in raised.value.messages


def test_load_editions_of_a_missing_folder(tmp_path):
    with pytest.raises(CriteriaError, match="criteria folder not found"):
        load_editions(tmp_path / "nowhere")


# Hash and snapshot


def test_content_hash_ignores_layout_comments_and_number_spelling(tmp_path):
    original = load_edition(SHANGHAI)
    data = shanghai_data()
    data = {key: data[key] for key in reversed(list(data))}  # other key order
    _item(data, 1, 0)["points"] = 15.0  # same number, other spelling
    path = write_yaml(tmp_path / "same.yaml", data)  # no comments, other layout
    assert load_edition(path).content_hash == original.content_hash
    assert len(original.content_hash) == 64 and int(original.content_hash, 16) >= 0


def test_content_hash_changes_with_any_content(tmp_path):
    data = shanghai_data()
    _item(data, 0, 0)["guidance"]["en"] += " Also ask the staff."
    changed = load_edition(write_yaml(tmp_path / "changed.yaml", data))
    assert changed.content_hash != load_edition(SHANGHAI).content_hash


@pytest.mark.parametrize("path", [SHANGHAI, PUDONG], ids=lambda p: p.stem)
def test_snapshot_round_trips_through_json(path):
    edition = load_edition(path)
    snapshot = json.loads(json.dumps(edition.to_snapshot()))
    rebuilt = Edition.from_snapshot(snapshot)
    assert rebuilt == edition
    assert rebuilt.content_hash == edition.content_hash
    assert rebuilt.to_snapshot() == snapshot


def test_snapshot_keeps_a_past_score_when_the_file_changes_later(tmp_path):
    path = tmp_path / "shanghai-2025.yaml"
    shutil.copy(SHANGHAI, path)
    answers = {item.code: Answer(True) for item in load_edition(path).items() if item.answer.type == "yes_no"}
    answers |= {
        "2.1": Answer(Decimal("96")),
        "3.1": Answer("A"),
        "4.2": Answer("A"),
        "5.2": Answer(Decimal(2)),
    }

    edition = load_edition(path)
    stored_hash, stored_snapshot = edition.content_hash, json.dumps(edition.to_snapshot(), ensure_ascii=False)
    stored_total = score(edition, answers).total
    assert stored_total == Decimal("100.0")

    text = path.read_text(encoding="utf-8")
    assert text.count("- {min: 95, points: 15}") == 1
    path.write_text(text.replace("- {min: 95, points: 15}", "- {min: 98, points: 15}"), encoding="utf-8")

    reloaded = load_edition(path)
    assert reloaded.content_hash != stored_hash
    assert score(reloaded, answers).total == Decimal("95.0")  # 96 % now earns 10 of 15
    pinned = Edition.from_snapshot(json.loads(stored_snapshot))
    assert pinned.content_hash == stored_hash
    assert score(pinned, answers).total == stored_total
