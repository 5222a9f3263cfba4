# ruff: noqa: E501 -- the tables of chains read best one case to a line

"""A level's approval steps and joint inspection team as edition data: what loads, what is refused
and why, and how an older edition's list of bureau roles still loads (with its snapshot and hash).

The steps are a path someone can walk: the district postal bureau, which received the application,
opens it; one settling act (a decision or a confirmation) ends it, and its agency issues the
certificate; an agency acts at most once in a row; city level is settled by a city agency.
"""

from pathlib import Path

import pytest
import yaml

from outlet_audit.criteria import CriteriaError, Edition, load_edition, validate_paths
from outlet_audit.criteria.model import ApprovalStep
from outlet_audit.roles import Act, Agency

ROOT = Path(__file__).resolve().parents[2]
SHANGHAI = ROOT / "criteria" / "shanghai-2025.yaml"
PUDONG = ROOT / "tests" / "data" / "criteria" / "pudong-pilot-2026.yaml"
# The hash the pilot edition had before approval steps existed: its applications are pinned by it.
PUDONG_HASH = "19887671452ebaa22d56821789116a3db6552eff4d6469b98be6d6ec3a44c4f4"

DP, DE, CP, CE = Agency.DISTRICT_POSTAL, Agency.DISTRICT_ECOLOGY, Agency.CITY_POSTAL, Agency.CITY_ECOLOGY


def shanghai_data() -> dict:
    return yaml.safe_load(SHANGHAI.read_text(encoding="utf-8"))


def steps(*pairs: str) -> list[dict]:
    """Steps as an editor writes them: steps("district_postal opinion", "city_postal decision")."""
    return [dict(zip(("agency", "act"), pair.split(), strict=True)) for pair in pairs]


def problems(tmp_path: Path, level: str, **changes) -> tuple[Path, list[str]]:
    """Every problem of the 2025 file with `changes` made to one of its levels."""
    data = shanghai_data()
    data["levels"][level].update(changes)
    path = tmp_path / "edited.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return path, validate_paths([path])


# --- what is refused, with the file and the place named ---

REFUSED = [
    # (level, approvals, inspection_team or None, the one expected problem)
    ("city", steps("district_postal recommendation", "district_ecology cosign", "city_postal decision")
     + [{"agency": "city_council", "act": "decision"}], None,
     'levels.city.approvals[3].agency: must be one of: "district_postal", "district_ecology",'
     ' "city_postal", "city_ecology"'),
    ("district", [{"agency": "district_postal", "act": "opinion"}, {"agency": "district_ecology", "act": "stamp"},
                  {"agency": "district_postal", "act": "decision"}], None,
     'levels.district.approvals[1].act: must be one of: "opinion", "recommendation", "cosign", "decision",'
     ' "confirmation"'),
    ("district", [{"agency": "district_postal", "act": "decision", "by": "me"}], None,
     "levels.district.approvals[0].by: unknown key"),
    ("district", [{"agency": "district_postal"}], None, "levels.district.approvals[0].act: is required"),
    ("district", [{"agency": "district_postal", "act": "opinion"}, "city_bureau"], None,
     "levels.district.approvals[1]: must be a mapping"),
    ("district", [], None, "levels.district.approvals: must not be empty"),
    ("city", ["district_bureau", "mayor"], None,
     'levels.city.approvals[1]: must be one of: "district_bureau", "city_bureau"'),
    ("district", steps("district_ecology opinion", "district_postal decision"), None,
     "levels.district.approvals[0]: the first step is the district postal bureau's (it proposes the level),"
     " not district_ecology's"),
    ("district", steps("district_postal cosign", "district_ecology opinion", "district_postal decision"), None,
     "levels.district.approvals[0]: the first step opens the approval (opinion, recommendation or decision),"
     " not cosign"),
    ("district", steps("district_postal decision", "district_ecology cosign", "city_postal decision"), None,
     "levels.district.approvals[0]: only the last step may be a decision"),
    ("city", steps("district_postal recommendation", "city_postal confirmation", "city_ecology decision"), None,
     "levels.city.approvals[1]: only the last step may be a confirmation"),
    ("district", steps("district_postal opinion", "district_ecology cosign", "district_ecology decision"), None,
     "levels.district.approvals[2]: district_ecology acts twice in a row; make it one step"),
    ("district", steps("district_postal opinion", "district_postal decision"), None,
     "levels.district.approvals[1]: district_postal acts twice in a row; make it one step"),
    ("city", steps("district_postal recommendation", "district_ecology cosign", "district_postal decision"), None,
     "levels.city.approvals[2]: city level is settled by a city agency, not district_postal"),
    ("city", steps("district_postal recommendation", "district_ecology decision"), None,
     "levels.city.approvals[1]: city level is settled by a city agency, not district_ecology"),
    ("district", steps("district_postal opinion", "district_ecology cosign"), None,
     "levels.district.approvals[1]: the last step settles the matter (a decision or confirmation), not cosign"),
    ("district", steps("district_postal opinion"), None,
     "levels.district.approvals[0]: the last step settles the matter (a decision or confirmation), not opinion"),
    ("city", steps("district_postal recommendation", "district_ecology cosign", "city_postal decision"),
     ["district_postal", "city_ecology"],
     'levels.city.inspection_team[1]: must be one of: "district_postal", "district_ecology"'),
    ("city", steps("district_postal recommendation", "district_ecology cosign", "city_postal decision"),
     ["city_postal"], 'levels.city.inspection_team[0]: must be one of: "district_postal", "district_ecology"'),
    ("city", steps("district_postal recommendation", "district_ecology cosign", "city_postal decision"),
     ["district_postal", "district_postal"], "levels.city.inspection_team: must not repeat an entry"),
]  # fmt: skip


@pytest.mark.parametrize(("level", "approvals", "team", "expected"), REFUSED, ids=[row[3] for row in REFUSED])
def test_a_level_whose_steps_or_team_cannot_be_walked_is_refused_saying_where_and_why(
    tmp_path, level, approvals, team, expected
):
    changes = {"approvals": approvals} | ({"inspection_team": team} if team is not None else {})
    path, messages = problems(tmp_path, level, **changes)
    assert messages == [f"{path}: {expected}"]
    with pytest.raises(CriteriaError):
        load_edition(path)


def test_every_problem_of_a_chain_is_reported_at_once(tmp_path):
    path, messages = problems(
        tmp_path,
        "city",
        approvals=steps("district_ecology cosign", "city_postal decision", "city_postal opinion"),
    )
    assert messages == [
        f"{path}: levels.city.approvals[0]: the first step is the district postal bureau's (it proposes the"
        " level), not district_ecology's",
        f"{path}: levels.city.approvals[0]: the first step opens the approval (opinion, recommendation or"
        " decision), not cosign",
        f"{path}: levels.city.approvals[2]: the last step settles the matter (a decision or confirmation), not"
        " opinion",
        f"{path}: levels.city.approvals[1]: only the last step may be a decision",
        f"{path}: levels.city.approvals[2]: city_postal acts twice in a row; make it one step",
    ]


# --- what loads ---

ACCEPTED = [
    # (level, approvals written, steps loaded, issuer)
    ("district", steps("district_postal decision"), ((DP, Act.DECISION),), DP),
    ("district", steps("district_postal opinion", "district_ecology cosign", "city_ecology opinion",
                       "district_postal decision"),
     ((DP, Act.OPINION), (DE, Act.COSIGN), (CE, Act.OPINION), (DP, Act.DECISION)), DP),
    ("district", steps("district_postal opinion", "city_postal decision"),
     ((DP, Act.OPINION), (CP, Act.DECISION)), CP),
    ("city", steps("district_postal recommendation", "city_postal confirmation"),
     ((DP, Act.RECOMMENDATION), (CP, Act.CONFIRMATION)), CP),
    ("city", steps("district_postal recommendation", "district_ecology cosign", "city_postal opinion",
                   "city_ecology decision"),
     ((DP, Act.RECOMMENDATION), (DE, Act.COSIGN), (CP, Act.OPINION), (CE, Act.DECISION)), CE),
]  # fmt: skip


@pytest.mark.parametrize(("level", "approvals", "loaded", "issuer"), ACCEPTED)
def test_a_walkable_chain_loads_and_its_settling_agency_issues(tmp_path, level, approvals, loaded, issuer):
    path, messages = problems(tmp_path, level, approvals=approvals)
    assert messages == []
    rules = load_edition(path).level(level)
    assert rules.approvals == tuple(ApprovalStep(agency, act) for agency, act in loaded)
    assert rules.issuer == issuer


def test_steps_and_team_round_trip_through_the_snapshot(tmp_path):
    path, _ = problems(
        tmp_path,
        "district",
        approvals=steps("district_postal opinion", "district_ecology cosign", "district_postal decision"),
        inspection_team=["district_ecology", "district_postal"],
    )
    edition = load_edition(path)
    district = edition.to_snapshot()["levels"]["district"]
    assert district["approvals"] == steps(
        "district_postal opinion", "district_ecology cosign", "district_postal decision"
    )
    assert district["inspection_team"] == ["district_ecology", "district_postal"]  # as written
    rebuilt = Edition.from_snapshot(edition.to_snapshot())
    assert rebuilt == edition and rebuilt.content_hash == edition.content_hash
    # the team is part of what the hash pins: another team, another edition
    _, other_messages = problems(tmp_path, "district", inspection_team=["district_postal"])
    assert other_messages == []
    assert load_edition(tmp_path / "edited.yaml").content_hash != edition.content_hash


# --- an older edition's roles: the steps they meant, and the snapshot as written ---

LEGACY = [
    ("district", ["district_bureau"], ((DP, Act.DECISION),)),
    ("district", ["city_bureau"], ((DP, Act.RECOMMENDATION), (CP, Act.CONFIRMATION))),
    ("city", ["city_bureau"], ((DP, Act.RECOMMENDATION), (CP, Act.CONFIRMATION))),
    ("city", ["district_bureau", "city_bureau"], ((DP, Act.RECOMMENDATION), (CP, Act.CONFIRMATION))),
]


@pytest.mark.parametrize(("level", "roles", "meant"), LEGACY)
def test_an_older_list_of_roles_loads_as_the_steps_it_meant_and_keeps_its_snapshot(
    tmp_path, level, roles, meant
):
    path, messages = problems(tmp_path, level, approvals=roles)
    assert messages == []
    edition = load_edition(path)
    assert edition.level(level).approvals == tuple(ApprovalStep(agency, act) for agency, act in meant)
    assert edition.to_snapshot()["levels"][level]["approvals"] == roles
    rebuilt = Edition.from_snapshot(edition.to_snapshot())
    assert rebuilt.level(level).approvals == edition.level(level).approvals
    assert rebuilt.content_hash == edition.content_hash


def test_an_older_city_level_the_district_bureau_granted_alone_is_refused_as_its_steps_would_be(tmp_path):
    path, messages = problems(tmp_path, "city", approvals=["district_bureau"])
    assert messages == [
        f"{path}: levels.city.approvals[0]: city level is settled by a city agency, not district_postal"
    ]


def test_the_pilot_edition_written_with_roles_keeps_its_hash():
    pudong = load_edition(PUDONG)
    assert pudong.content_hash == PUDONG_HASH
    assert pudong.level("district").approvals == (ApprovalStep(DP, Act.DECISION),)
    assert pudong.level("city").issuer == CP
    assert Edition.from_snapshot(pudong.to_snapshot()).content_hash == PUDONG_HASH


# --- the editor's guide says what the loader does ---


def test_the_guides_levels_example_is_the_2025_chain_and_its_show_line_is_the_clis():
    guide = (ROOT / "criteria" / "README.md").read_text(encoding="utf-8")
    section = guide[guide.index("### Levels") :]
    example = yaml.safe_load(section[section.index("```yaml") + len("```yaml") : section.index("```\n")])
    shipped = load_edition(SHANGHAI)
    for level in ("district", "city"):
        written = example["levels"][level]
        assert [ApprovalStep(Agency(s["agency"]), Act(s["act"])) for s in written["approvals"]] == list(
            shipped.level(level).approvals
        )
        assert (
            tuple(Agency(a) for a in written.get("inspection_team", ()))
            == shipped.level(level).inspection_team
        )
    steps_line = " → ".join(f"{step.agency} {step.act}" for step in shipped.level("city").approvals)
    assert f"`approval: {steps_line}`" in " ".join(guide.split())
