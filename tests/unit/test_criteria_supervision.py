"""An edition's `supervision:` section: the 2025 rules, the defaults, refusals, snapshot and hash."""

import json
from copy import deepcopy
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
import yaml
from flask import Flask

from outlet_audit.criteria import (
    Edition,
    RevocationGround,
    SpotCheckRules,
    SupervisionRules,
    Text,
    YearlyCheckRules,
    load_edition,
    validate_paths,
)
from outlet_audit.criteria.cli import criteria_cli

ROOT = Path(__file__).resolve().parents[2]
SHANGHAI = ROOT / "criteria" / "shanghai-2025.yaml"
PUDONG = ROOT / "tests" / "data" / "criteria" / "pudong-pilot-2026.yaml"
JIADING = ROOT / "tests" / "data" / "criteria" / "jiading-2027.yaml"
PUDONG_HASH = "19887671452ebaa22d56821789116a3db6552eff4d6469b98be6d6ec3a44c4f4"


def shanghai_data() -> dict:
    return yaml.safe_load(SHANGHAI.read_text(encoding="utf-8"))


def write_yaml(path: Path, data: dict) -> Path:
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return path


def with_supervision(tmp_path: Path, supervision: dict | None) -> tuple[Path, list[str]]:
    data = shanghai_data()
    if supervision is None:
        del data["supervision"]
    else:
        data["supervision"] = supervision
    path = write_yaml(tmp_path / "edited.yaml", data)
    return path, validate_paths([path])


# The 2025 edition


def test_the_2025_spot_check_covers_the_core_items_and_passes_at_80_percent():
    edition = load_edition(SHANGHAI)
    spot = edition.supervision.spot_check
    assert spot.item_codes == ("1.1", "1.2", "1.3", "1.4", "1.5", "2.1", "3.1", "4.1", "4.2")
    topics = " ".join(
        text.zh
        for code in spot.item_codes
        for text in (edition.item(code).title, edition.item(code).guidance)
    )
    for topic in ("电子运单", "瘦身胶带", "可降解塑料包装袋", "二次包装", "可循环", "四类收集容器"):
        assert topic in topics
    assert spot.min_percent == Decimal(80) and spot.no_veto_failed
    assert {item.code for item in edition.items() if item.veto} <= set(spot.item_codes)
    assert spot.covers("1.1") and not spot.covers("5.1") and not spot.covers("B1")
    assert edition.supervision.recusal_months == 12


def test_the_2025_grounds_revoke_with_notice_except_closure_and_the_outlets_own_request():
    supervision = load_edition(SHANGHAI).supervision
    assert [(g.code, g.immediate) for g in supervision.revocation_grounds] == [
        ("spot_check_failed", False),
        ("complaint_substantiated", False),
        ("false_materials", False),
        ("outlet_closed", True),
        ("at_own_request", True),
    ]
    assert supervision.ground("outlet_closed").label == Text(
        "网点已停业或注销", "Outlet closed or deregistered"
    )
    assert supervision.ground("spot_check_failed").label.get("en") == "Failed spot check"
    assert supervision.ground("no_such_ground") is None


def test_the_2025_yearly_self_check_is_a_few_photographed_items_due_by_31_march():
    edition = load_edition(SHANGHAI)
    yearly = edition.supervision.yearly
    assert yearly == YearlyCheckRules(("1.1", "1.2", "1.5", "3.2", "4.1"), 3, 31, 30)
    assert len(yearly.item_codes) < len(edition.supervision.spot_check.item_codes)
    assert all(edition.item(code).evidence.kind == "photo" for code in yearly.item_codes)
    assert yearly.due_on(2026) == date(2026, 3, 31)


# Defaults: an edition without the section


def test_an_edition_without_the_section_has_the_defaults_and_keeps_its_hash():
    pudong = load_edition(PUDONG)
    assert pudong.supervision == SupervisionRules()
    assert pudong.supervision.spot_check == SpotCheckRules(None, Decimal(80), True)
    assert pudong.supervision.spot_check.covers("any-code")
    assert [(g.code, g.label.zh, g.label.en, g.immediate) for g in pudong.supervision.revocation_grounds] == [
        ("spot_check_failed", "抽查不合格", "Failed spot check", False),
        ("complaint_substantiated", "投诉经查属实", "Substantiated complaint", False),
        ("false_materials", "提供虚假材料", "False materials", False),
    ]
    assert pudong.supervision.yearly is None and pudong.supervision.recusal_months == 12
    assert "supervision" not in pudong.to_snapshot()
    assert pudong.content_hash == PUDONG_HASH


def test_a_section_that_only_restates_the_defaults_is_the_same_content(tmp_path):
    without, messages = with_supervision(tmp_path, None)
    assert messages == []
    bare = load_edition(without)
    path, messages = with_supervision(
        tmp_path, {"recusal_months": 12, "spot_check": {"pass": {"min_percent": 80}}}
    )
    assert messages == []
    assert load_edition(path).content_hash == bare.content_hash


def test_partial_section_fills_the_rest_with_defaults(tmp_path):
    path, messages = with_supervision(tmp_path, {"recusal_months": 6})
    assert messages == []
    supervision = load_edition(path).supervision
    assert supervision == SupervisionRules(recusal_months=6)
    assert supervision.revocation_grounds == SupervisionRules().revocation_grounds


def test_the_three_standard_grounds_need_not_be_listed(tmp_path):
    grounds = [{"code": "outlet_closed", "label": {"zh": "网点已停业或注销", "en": "Outlet closed"}}]
    path, messages = with_supervision(tmp_path, {"revocation_grounds": grounds})
    assert messages == []
    supervision = load_edition(path).supervision
    assert supervision.revocation_grounds == (
        RevocationGround("outlet_closed", Text("网点已停业或注销", "Outlet closed"), immediate=False),
    )
    assert supervision.ground("spot_check_failed") is None


def test_a_due_date_on_the_last_day_of_february_is_the_28th():
    assert YearlyCheckRules(("1.1",), 2, 28, 0).due_on(2028) == date(2028, 2, 28)


# Snapshot and hash


@pytest.mark.parametrize("path", [SHANGHAI, PUDONG, JIADING], ids=lambda p: p.stem)
def test_supervision_round_trips_through_the_json_snapshot(path):
    edition = load_edition(path)
    snapshot = json.loads(json.dumps(edition.to_snapshot()))
    rebuilt = Edition.from_snapshot(snapshot)
    assert rebuilt.supervision == edition.supervision
    assert rebuilt == edition and rebuilt.content_hash == edition.content_hash
    assert rebuilt.to_snapshot() == snapshot


def test_the_2025_snapshot_writes_the_section_in_the_files_shape():
    written = shanghai_data()["supervision"]
    snapshot = load_edition(SHANGHAI).to_snapshot()["supervision"]
    assert snapshot["spot_check"] == {
        "items": written["spot_check"]["items"],
        "pass": {"min_percent": "80", "no_veto_failed": True},
    }
    assert snapshot["revocation_grounds"] == written["revocation_grounds"]
    assert snapshot["yearly_self_check"] == written["yearly_self_check"]
    assert snapshot["recusal_months"] == 12


def test_a_past_snapshot_without_the_section_reads_with_the_defaults():
    snapshot = load_edition(SHANGHAI).to_snapshot()
    del snapshot["supervision"]  # as stored before editions had the section
    assert Edition.from_snapshot(snapshot).supervision == SupervisionRules()


@pytest.mark.parametrize(
    "change",
    [
        lambda s: s.update(recusal_months=6),
        lambda s: s["spot_check"]["pass"].update(min_percent=85),
        lambda s: s["spot_check"]["pass"].update(no_veto_failed=False),
        lambda s: s["spot_check"]["items"].pop(),
        lambda s: s["revocation_grounds"][3].update(immediate=False),
        lambda s: s["yearly_self_check"]["due"].update(day=30),
        lambda s: s["yearly_self_check"].update(remind_days=14),
    ],
)
def test_every_supervision_rule_is_part_of_the_hash(tmp_path, change):
    supervision = shanghai_data()["supervision"]
    change(supervision)
    path, messages = with_supervision(tmp_path, supervision)
    assert messages == []
    assert load_edition(path).content_hash != load_edition(SHANGHAI).content_hash


# Refusals, located as the loader's others


def _set(path: tuple, value):
    def change(supervision: dict) -> None:
        target = supervision
        for key in path[:-1]:
            target = target[key]
        target[path[-1]] = value

    return change


GROUND = {
    "code": "outlet_closed",
    "label": {"zh": "网点已停业或注销", "en": "Outlet closed"},
    "immediate": True,
}

REFUSALS = [
    (
        "unknown spot-check item",
        _set(("spot_check", "items"), ["1.1", "9.9"]),
        ["supervision.spot_check.items[1]: unknown item '9.9'"],
    ),
    (
        "duplicate spot-check item",
        _set(("spot_check", "items"), ["1.1", "1.2", "1.1"]),
        ["supervision.spot_check.items[2]: duplicate item '1.1' (also at supervision.spot_check.items[0])"],
    ),
    (
        "bonus item in a spot check",
        _set(("spot_check", "items"), ["1.1", "B1"]),
        ["supervision.spot_check.items[1]: 'B1' is a bonus item; only scored items can be checked"],
    ),
    (
        "empty spot-check list",
        _set(("spot_check", "items"), []),
        ["supervision.spot_check.items: must not be empty"],
    ),
    (
        "unquoted code",
        _set(("spot_check", "items"), [1.1]),
        ["supervision.spot_check.items[0]: must be a code such as"],
    ),
    (
        "min_percent above 100",
        _set(("spot_check", "pass", "min_percent"), 101),
        ["supervision.spot_check.pass.min_percent: must be at most 100"],
    ),
    (
        "min_percent below 0",
        _set(("spot_check", "pass", "min_percent"), -1),
        ["supervision.spot_check.pass.min_percent: must be at least 0"],
    ),
    ("negative recusal", _set(("recusal_months",), -1), ["supervision.recusal_months: must be at least 0"]),
    (
        "recusal over 5 years",
        _set(("recusal_months",), 61),
        ["supervision.recusal_months: must be at most 60"],
    ),
    (
        "30 February",
        _set(("yearly_self_check", "due"), {"month": 2, "day": 30}),
        ["supervision.yearly_self_check.due: month 2 has no day 30 in every year"],
    ),
    (
        "29 February",
        _set(("yearly_self_check", "due"), {"month": 2, "day": 29}),
        ["supervision.yearly_self_check.due: month 2 has no day 29 in every year"],
    ),
    (
        "month 13",
        _set(("yearly_self_check", "due", "month"), 13),
        ["supervision.yearly_self_check.due.month: must be at most 12"],
    ),
    (
        "day 0",
        _set(("yearly_self_check", "due", "day"), 0),
        ["supervision.yearly_self_check.due.day: must be at least 1"],
    ),
    (
        "negative reminder",
        _set(("yearly_self_check", "remind_days"), -1),
        ["supervision.yearly_self_check.remind_days: must be at least 0"],
    ),
    (
        "reminder over half a year",
        _set(("yearly_self_check", "remind_days"), 181),
        ["supervision.yearly_self_check.remind_days: must be at most 180"],
    ),
    (
        "unknown yearly item",
        _set(("yearly_self_check", "items"), ["1.1", "7.1"]),
        ["supervision.yearly_self_check.items[1]: unknown item '7.1'"],
    ),
    (
        "bonus yearly item",
        _set(("yearly_self_check", "items"), ["B2"]),
        ["supervision.yearly_self_check.items[0]: 'B2' is a bonus item; only scored items can be checked"],
    ),
    (
        "duplicate yearly item",
        _set(("yearly_self_check", "items"), ["4.1", "4.1"]),
        [
            "supervision.yearly_self_check.items[1]: duplicate item '4.1'"
            " (also at supervision.yearly_self_check.items[0])"
        ],
    ),
    (
        "yearly without a date",
        lambda s: s["yearly_self_check"].pop("due"),
        ["supervision.yearly_self_check.due: is required"],
    ),
    (
        "duplicate ground",
        _set(("revocation_grounds",), [deepcopy(GROUND), deepcopy(GROUND)]),
        [
            "supervision.revocation_grounds[1].code: duplicate ground 'outlet_closed'"
            " (also at supervision.revocation_grounds[0])"
        ],
    ),
    (
        "ground code with capitals",
        _set(("revocation_grounds",), [deepcopy(GROUND) | {"code": "Outlet-Closed"}]),
        ["supervision.revocation_grounds[0].code: must be 3 to 40 lower-case letters and underscores"],
    ),
    (
        "ground code too short",
        _set(("revocation_grounds",), [GROUND | {"code": "ab"}]),
        ["supervision.revocation_grounds[0].code: must be 3 to 40 lower-case letters and underscores"],
    ),
    (
        "ground without a label",
        _set(("revocation_grounds",), [{"code": "outlet_closed"}]),
        ["supervision.revocation_grounds[0].label: is required"],
    ),
    (
        "ground label without English",
        _set(("revocation_grounds",), [GROUND | {"label": {"zh": "停业"}}]),
        ["supervision.revocation_grounds[0].label.en: is required"],
    ),
    (
        "no grounds at all",
        _set(("revocation_grounds",), []),
        ["supervision.revocation_grounds: must not be empty"],
    ),
    ("unknown key", _set(("spot_checks",), {}), ["supervision.spot_checks: unknown key"]),
    (
        "immediate as text",
        _set(("revocation_grounds",), [GROUND | {"immediate": "yes"}]),
        ["supervision.revocation_grounds[0].immediate: must be true or false"],
    ),
]


@pytest.mark.parametrize(("change", "expected"), [r[1:] for r in REFUSALS], ids=[r[0] for r in REFUSALS])
def test_a_wrong_supervision_rule_is_refused_at_its_place(tmp_path, change, expected):
    supervision = shanghai_data()["supervision"]
    change(supervision)
    path, messages = with_supervision(tmp_path, supervision)
    assert len(messages) == len(expected), messages
    for message, start in zip(messages, expected, strict=True):
        assert message.startswith(f"{path}: {start}"), messages


def test_every_supervision_problem_is_reported_at_once(tmp_path):
    supervision = shanghai_data()["supervision"]
    supervision["spot_check"]["items"] = ["1.1", "X9"]
    supervision["yearly_self_check"]["due"] = {"month": 4, "day": 31}
    supervision["revocation_grounds"].append(deepcopy(supervision["revocation_grounds"][0]))
    path, messages = with_supervision(tmp_path, supervision)
    assert [message.split(": ")[1] for message in messages] == [
        "supervision.spot_check.items[1]",
        "supervision.yearly_self_check.due",
        "supervision.revocation_grounds[5].code",
    ]


# `flask criteria show`


def _show(edition: str | Path, *options: str) -> str:
    app = Flask(__name__)
    app.config["CRITERIA_DIR"] = str(SHANGHAI.parent)
    app.cli.add_command(criteria_cli)
    result = app.test_cli_runner().invoke(args=["criteria", "show", str(edition), *options])
    assert result.exit_code == 0, result.output
    return result.output


def test_show_prints_the_supervision_section():
    out = _show("shanghai-2025")
    assert out.endswith(
        "supervision:\n"
        "  recusal: not an inspector who inspected the outlet in the last 12 months\n"
        "  spot check: 1.1, 1.2, 1.3, 1.4, 1.5, 2.1, 3.1, 4.1, 4.2; pass at ≥ 80 % of their points,"
        " no veto item failed\n"
        "  revocation grounds:\n"
        "    spot_check_failed  抽查不合格  [after notice]\n"
        "    complaint_substantiated  投诉经查属实  [after notice]\n"
        "    false_materials  提供虚假材料  [after notice]\n"
        "    outlet_closed  网点已停业或注销  [immediate]\n"
        "    at_own_request  网点申请注销称号  [immediate]\n"
        "  yearly self-check: 1.1, 1.2, 1.5, 3.2, 4.1; due 03-31 each year, reminder 30 days before\n"
    )
    assert "    outlet_closed  Outlet closed or deregistered  [immediate]" in _show(
        "shanghai-2025", "--lang", "en"
    )


def test_show_prints_the_defaults_of_an_edition_without_the_section():
    out = _show(PUDONG)
    assert "  spot check: every scored item; pass at ≥ 80 % of their points, no veto item failed\n" in out
    assert "    false_materials  提供虚假材料  [after notice]\n" in out
    assert out.endswith("  yearly self-check: none\n")


# The editor's guide says what the 2025 file holds


def test_the_guides_supervision_example_is_the_2025_section():
    guide = (ROOT / "criteria" / "README.md").read_text(encoding="utf-8")
    section = guide[guide.index("### Supervision after the certificate") :]
    example = yaml.safe_load(section[section.index("```yaml") + len("```yaml") : section.index("```\n")])
    assert example["supervision"] == shanghai_data()["supervision"]
    shown = _show("shanghai-2025")
    start = section.index("```\nsupervision:") + len("```\n")
    printed = section[start : section.index("```\n", start)].splitlines()
    assert len(printed) == 8 and printed[0] == "supervision:"
    for line in printed:
        assert line == "    ..." or line in shown.splitlines(), line


def test_the_diff_names_each_supervision_rule_that_changes_against_the_defaults(tmp_path):
    from outlet_audit.criteria.diff import diff_editions

    bare_path, _ = with_supervision(tmp_path, None)
    bare = load_edition(bare_path)
    assert diff_editions(bare, bare).identical_rules
    supervision = {"recusal_months": 6, "spot_check": {"pass": {"min_percent": 80}}}
    path, messages = with_supervision(tmp_path, supervision)
    assert messages == []
    changes = diff_editions(bare, load_edition(path)).edition
    assert [(c.field, c.before, c.after) for c in changes] == [("supervision.recusal_months", 12, 6)]
