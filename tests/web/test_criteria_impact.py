"""A draft edition's impact before anyone uses it: validated with the loader's located messages,
compared with the edition in use, re-scored against signed inspections (figures counted by hand
below), saved into the folder only when accepted, never over another file, never made active.

The seeded outlets, their answers under shanghai-2025 (100 points; district ≥ 80, city ≥ 90 with
1.1, 1.2, 4.1, 4.3 at full marks and a valid district certificate) and under the draft (1.1 worth
10 and 6.1 worth 2; district ≥ 85; city also needs 5.1 at full marks):

    outlet  district  answers not earning          now                    draft
    A       FX        none                         100 district           100 district
    B       FX        1.1                          92 district            90 district
    E       FX        1.3 (veto)                   92 none                92 none
    F       FX        none, holds a certificate    100 city               100 city
    G       FX        5.1, holds a certificate     98 city                98 district (5.1 not full)
    C       QP        1.1, 1.2                     86 district            84 none
    D       QP        3.2, 3.3, 4.1                80 district            80 none

Not read: an inspection signed 13 months ago, one not signed off, and an older signed inspection of
A (veto failed) — only each outlet's latest counts.
"""

import copy
import io
import os
import re
import shutil
import tempfile
from datetime import timedelta
from html import unescape
from pathlib import Path

import pytest
import yaml
from sqlalchemy import select

from outlet_audit.audit.models import AuditEvent
from outlet_audit.core.time import utcnow
from outlet_audit.criteria import load_edition
from outlet_audit.criteria.editions import active_edition
from outlet_audit.criteria.impact import measure_impact, months_before
from outlet_audit.criteria.loader import CRITERIA_MAX_BYTES, read_edition_bytes
from outlet_audit.criteria.stored import EditionChoice
from outlet_audit.roles import Role
from tests.factories import login, make_outlet, make_user
from tests.impact_helpers import (
    SHANGHAI_PATH,
    SHANGHAI_TEXT,
    draft_text,
    holds_certificate,
    signed_inspection,
)

pytestmark = pytest.mark.usefixtures("english_ui")


@pytest.fixture
def folder(app, tmp_path, monkeypatch):
    criteria = tmp_path / "criteria"
    criteria.mkdir()
    shutil.copy(SHANGHAI_PATH, criteria / SHANGHAI_PATH.name)
    monkeypatch.setitem(app.config, "CRITERIA_DIR", str(criteria))
    return criteria


@pytest.fixture
def admin(client, ctx, folder):
    user = make_user(Role.ADMIN)
    login(client, user)
    return user


@pytest.fixture
def seeded(ctx, folder):
    outlets = {
        "A": make_outlet("FX"),
        "B": make_outlet("FX"),
        "E": make_outlet("FX"),
        "F": make_outlet("FX"),
        "G": make_outlet("FX"),
        "C": make_outlet("QP"),
        "D": make_outlet("QP"),
    }
    signed_inspection(outlets["A"], ["1.3"], days_ago=60)  # older: A's latest below counts
    signed_inspection(outlets["A"])
    signed_inspection(outlets["B"], ["1.1"])
    signed_inspection(outlets["E"], ["1.3"])
    signed_inspection(outlets["F"])
    signed_inspection(outlets["G"], ["5.1"])
    signed_inspection(outlets["C"], ["1.1", "1.2"])
    signed_inspection(outlets["D"], ["3.2", "3.3", "4.1"])
    for name in "FG":
        holds_certificate(outlets[name])
    signed_inspection(make_outlet("QP"), ["1.1", "1.2", "1.3"], days_ago=400)  # outside 12 months
    signed_inspection(make_outlet("QP"), ["1.1"], signed=False)
    return outlets


@pytest.fixture
def draft():
    edition, problems = read_edition_bytes(draft_text().encode(), "draft.yaml")
    assert problems == []
    return edition


def test_the_figures_are_the_ones_counted_by_hand(seeded, draft):
    impact = measure_impact(draft)

    assert (impact.read, impact.total.outlets, impact.not_comparable) == (7, 7, 0)
    assert [
        (level, impact.total.at(level, draft=False), impact.total.at(level, draft=True))
        for level in (None, "district", "city")
    ] == [
        (None, 1, 3),
        ("district", 4, 3),
        ("city", 2, 1),
    ]
    assert (impact.total.gained("district"), impact.total.lost("district")) == (0, 2)  # C, D
    assert (impact.total.gained("city"), impact.total.lost("city")) == (0, 1)  # G
    rows = {d.code: t for d, t in impact.district_rows()}
    assert (rows["FX"].outlets, rows["FX"].lost("district"), rows["FX"].lost("city")) == (5, 0, 1)
    assert (rows["QP"].outlets, rows["QP"].lost("district"), rows["QP"].lost("city")) == (2, 2, 0)
    # 1.1 earns more for A, D, E, F, G (8 → 10); 6.1 fewer for all seven (4 → 2)
    assert (
        impact.by_item["1.1"].higher,
        impact.by_item["1.1"].lower,
        impact.by_item["1.1"].level_changed,
    ) == (
        5,
        0,
        2,  # D and G
    )
    assert (
        impact.by_item["6.1"].higher,
        impact.by_item["6.1"].lower,
        impact.by_item["6.1"].level_changed,
    ) == (
        0,
        7,
        3,  # C, D, G
    )
    assert set(impact.by_item) == {"1.1", "6.1"}


def test_one_district_and_a_shorter_window(seeded, draft):
    qp = measure_impact(draft, district_code="qp")
    assert (qp.read, qp.total.lost("district"), [d.code for d, _ in qp.district_rows()]) == (2, 2, ["QP"])

    one_month = measure_impact(draft, months=1)
    assert one_month.read == 7  # A's older inspection (60 days) was never A's latest
    assert measure_impact(draft, now=utcnow() + timedelta(days=400), months=12).read == 0


def test_batches_cut_anywhere_give_the_same_figures(seeded, draft):
    whole = measure_impact(draft)
    for size in (1, 2, 3):
        cut = measure_impact(draft, batch_size=size)
        assert (cut.read, cut.total.moves, cut.by_item) == (whole.read, whole.total.moves, whole.by_item)


def test_inspections_without_an_answer_to_a_new_item_are_counted_apart(seeded):
    data = yaml.safe_load(SHANGHAI_TEXT)
    data["id"] = "shanghai-2026"
    sixth = data["sections"][-1]["items"]
    new = copy.deepcopy(sixth[0])
    new["code"] = "6.2"
    sixth[0]["points"] = 2
    new["points"] = 2
    sixth.append(new)
    edition, problems = read_edition_bytes(yaml.safe_dump(data, allow_unicode=True).encode(), "draft.yaml")
    assert problems == []

    impact = measure_impact(edition)

    assert (impact.read, impact.total.outlets, impact.not_comparable) == (7, 0, 7)
    assert impact.unanswered == {"6.2": 7}


@pytest.mark.parametrize("value", [0, 61])
def test_months_out_of_range_are_refused(seeded, draft, value):
    with pytest.raises(ValueError):
        measure_impact(draft, months=value)


def test_months_before_keeps_the_day_or_the_months_end():
    moment = utcnow().replace(year=2026, month=3, day=31, hour=5)
    assert months_before(moment, 1).date().isoformat() == "2026-02-28"
    assert months_before(moment, 12).date().isoformat() == "2025-03-31"
    assert months_before(moment, 15).date().isoformat() == "2024-12-31"


# --- the page --------------------------------------------------------------------------------


def upload(client, text: str | bytes, name="draft.yaml", **fields):
    data = text.encode() if isinstance(text, str) else text
    form = {"months": "12", "district": "", **fields, "file": (io.BytesIO(data), name)}
    return client.post("/admin/criteria/drafts/impact", data=form, content_type="multipart/form-data")


def cells(page: str, table: str, row_attr: str, row: str) -> str:
    body = re.search(rf'<table[^>]*id="{table}".*?</table>', page, re.S)[0]
    return re.search(rf'<tr {row_attr}="{row}">(.*?)</tr>', body, re.S)[1]


def test_the_preview_page_shows_the_diff_and_the_figures(client, admin, seeded):
    response = upload(client, draft_text())

    page = response.get_data(as_text=True)
    assert response.status_code == 200, page
    diff = re.search(r'<tbody data-item="1.1">(.*?)</tbody>', page, re.S)[1]
    assert "<code>points</code>" in diff and ">8<" in diff and ">10<" in diff
    assert re.search(r'<tbody data-level="district">.*?min_score.*?>80<.*?>85<', page, re.S)
    levels = cells(page, "impact-levels", "data-level", "district")
    assert re.findall(r">(\d+)<", levels) == ["4", "3", "0", "2"]
    assert re.findall(r">(\d+)<", cells(page, "impact-levels", "data-level", "city")) == ["2", "1", "0", "1"]
    qp = cells(page, "impact-districts", "data-district", "QP")
    assert re.findall(r">(\d+)<", qp) == ["2", "0", "2", "0", "0"]
    assert re.findall(r">(\d+)<", cells(page, "impact-items", "data-item", "6.1")) == ["0", "7", "3"]
    assert "7 outlets read; 7 scored again; 0 cannot be compared." in page
    assert "shanghai-2026.yaml" in page and 'name="draft"' in page


def test_the_upload_is_not_written_anywhere_before_it_is_accepted(client, admin, seeded, app, folder):
    def files():
        roots = (folder, Path(app.instance_path), Path(tempfile.gettempdir()))
        # os.walk skips what other tests running in parallel remove while it looks.
        return {Path(top, name) for root in roots for top, _dirs, names in os.walk(root) for name in names}

    before = files()
    marker = "unique-marker-" + os.urandom(6).hex()
    text = draft_text(title={"zh": marker, "en": marker})

    assert upload(client, text).status_code == 200

    def holds_marker(path: Path) -> bool:
        try:
            return marker.encode() in path.read_bytes()
        except FileNotFoundError:  # another test's temporary file (an SQLite journal) came and went
            return False

    new = files() - before
    assert not [p for p in new if holds_marker(p)], new
    assert sorted(p.name for p in folder.iterdir()) == ["shanghai-2025.yaml"]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            "id: &a x\nother: *a\n",
            "bad.yaml: line 1, column 5: anchors and aliases (&amp;name, *name) are not allowed",
        ),
        (
            draft_text().replace("min_score: 85", "min_score: -5"),
            "bad.yaml: levels.district.min_score: must be at least 0",
        ),
        ("a:\n" + "".join("  " * n + "- \n" for n in range(1, 40)), "nested deeper than 32 levels"),
        (b"\xff\xfe not utf-8", "bad.yaml: cannot read the file"),
        (b"#" * (CRITERIA_MAX_BYTES + 1), f"bad.yaml: the file is larger than {CRITERIA_MAX_BYTES} bytes"),
    ],
    ids=["anchors", "schema", "depth", "encoding", "size"],
)
def test_a_bad_draft_comes_back_with_the_located_messages(client, admin, text, message):
    response = upload(client, text, name="../../bad.yaml")

    page = response.get_data(as_text=True)
    assert response.status_code == 422
    problems = re.search(r'id="draft-problems"(.*?)</div>', page, re.S)[1]
    assert message in problems, problems
    assert 'name="draft"' not in page


def test_the_upload_form_keeps_what_was_typed_and_says_what_is_wrong(client, admin):
    response = client.post(
        "/admin/criteria/drafts/impact",
        data={"months": "99", "district": "ZZ"},
        content_type="multipart/form-data",
    )
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "Choose the draft file." in page and 'value="99"' in page
    assert "Enter a number of months from 1 to 60." in page


def accept(client, page: str):
    fields = dict(re.findall(r'<input id="(\w+)" name="\w+" type="hidden" value="([^"]*)"', page))
    return client.post(
        "/admin/criteria/drafts/save",
        data={name: unescape(value) for name, value in fields.items()},
        content_type="multipart/form-data",
    )


def test_accepting_saves_the_file_under_its_id_and_does_not_make_it_active(
    client, admin, seeded, folder, db_session
):
    text = draft_text()
    preview = upload(client, text).get_data(as_text=True)
    before = active_edition().id
    choices = db_session.scalars(select(EditionChoice)).all()

    response = accept(client, preview)

    assert response.status_code == 302
    saved = folder / "shanghai-2026.yaml"
    assert saved.read_text(encoding="utf-8") == text
    assert active_edition().id == before and db_session.scalars(select(EditionChoice)).all() == choices
    event = db_session.scalar(select(AuditEvent).where(AuditEvent.action == "criteria_edition_saved"))
    assert (event.actor_id, event.field, event.new_value[:14]) == (
        admin.id,
        "shanghai-2026.yaml",
        "shanghai-2026 ",
    )
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "is saved in the criteria folder" in page and 'data-edition="shanghai-2026"' in page

    again = accept(client, preview)
    assert again.status_code == 302
    assert "already in the criteria folder with these rules" in client.get("/admin/criteria/").get_data(
        as_text=True
    )


def test_an_existing_file_with_other_content_is_never_overwritten(client, admin, seeded, folder):
    preview = upload(client, draft_text()).get_data(as_text=True)
    other = draft_text(total_points=100, effective_from="2027-01-01")
    (folder / "shanghai-2026.yaml").write_text(other, encoding="utf-8")

    response = accept(client, preview)

    assert response.status_code == 409
    assert "is already in the criteria folder with other content" in response.get_data(as_text=True)
    assert (folder / "shanghai-2026.yaml").read_text(encoding="utf-8") == other


def test_the_same_id_in_a_file_of_another_name_is_refused(client, admin, seeded, folder):
    preview = upload(client, draft_text()).get_data(as_text=True)
    (folder / "next.yaml").write_text(draft_text(effective_from="2027-01-01"), encoding="utf-8")

    response = accept(client, preview)

    assert response.status_code == 409 and "in next.yaml" in response.get_data(as_text=True)
    assert not (folder / "shanghai-2026.yaml").exists()


def test_a_draft_changed_after_its_preview_is_not_saved(client, admin, seeded, folder):
    preview = upload(client, draft_text()).get_data(as_text=True)
    tampered = preview.replace("min_score: 85", "min_score: 70")

    response = accept(client, tampered)

    assert response.status_code == 409 and "not the one previewed" in response.get_data(as_text=True)
    assert not (folder / "shanghai-2026.yaml").exists()


def test_the_cli_prints_the_diff_and_the_figures(app, seeded, tmp_path, db_session):
    path = tmp_path / "draft.yaml"
    path.write_text(draft_text(), encoding="utf-8")

    result = app.test_cli_runner().invoke(args=["criteria", "impact", str(path), "--lang", "en"])

    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert "  ~ item 1.1 [1]  Electronic waybills for all parcels" in lines
    assert "      points: 8 → 10" in lines and "      min_score: 80 → 85" in lines
    assert any(
        line.startswith("signed inspections since") and "7 outlets read, 7 re-scored" in line
        for line in lines
    )
    assert "  district      4 → 3" in lines and "  city          2 → 1" in lines
    assert re.search(r"^  QP\s+2\s+0\s+2\s+0\s+0$", result.output, re.M)

    qp = app.test_cli_runner().invoke(
        args=["criteria", "impact", str(path), "--district", "QP", "--months", "3"]
    )
    assert qp.exit_code == 0 and "2 outlets read" in qp.output and "  FX " not in qp.output


def test_the_cli_refuses_a_bad_draft_with_located_messages_and_an_unknown_district(app, seeded, tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text(draft_text().replace("min_score: 85", "min_score: -5"), encoding="utf-8")
    result = app.test_cli_runner().invoke(args=["criteria", "impact", str(bad)])
    assert result.exit_code == 1 and "levels.district.min_score: must be at least 0" in result.output

    good = tmp_path / "good.yaml"
    good.write_text(draft_text(), encoding="utf-8")
    unknown = app.test_cli_runner().invoke(args=["criteria", "impact", str(good), "--district", "ZZ"])
    assert unknown.exit_code == 2 and "no district 'ZZ'" in unknown.output


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_the_diff_names_items_and_sections_with_their_labels_in_the_readers_language(
    client, admin, seeded, app, monkeypatch, lang
):
    """Not codes alone: a changed item, the items a level wants at full marks and a section minimum
    read with their titles, in the reader's language."""
    if lang == "zh":
        monkeypatch.setitem(app.config, "BABEL_DEFAULT_LOCALE", "zh_Hans_CN")
    base = load_edition(SHANGHAI_PATH)
    text = draft_text()
    data = yaml.safe_load(text)
    data["levels"]["city"]["section_minimums"] = {"1": 50}
    response = upload(client, yaml.safe_dump(data, allow_unicode=True, sort_keys=False))

    page = unescape(response.get_data(as_text=True))
    assert response.status_code == 200, page
    item = re.search(r'<tbody data-item="1.1">(.*?)</tbody>', page, re.S)[1]
    assert base.item("1.1").title.get(lang) in item
    city = re.search(r'<tbody data-level="city">(.*?)</tbody>', page, re.S)[1]
    assert f"5.1 ({base.item('5.1').title.get(lang)})" in city
    assert f"1 ({base.sections[0].title.get(lang)}) ≥ 50%" in city
    other = "en" if lang == "zh" else "zh"
    assert base.item("5.1").title.get(other) not in city
