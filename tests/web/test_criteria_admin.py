"""The administrator's criteria pages: every edition previewed as a checklist, the active one chosen
and audited, and an invalid file shown with the loader's messages instead of breaking the page."""

import re
import shutil
from pathlib import Path

import pytest
from markupsafe import escape
from sqlalchemy import select

from outlet_audit.audit.models import AuditEvent
from outlet_audit.checklist.forms import field_name
from outlet_audit.criteria.editions import active_edition
from outlet_audit.roles import Role
from tests.checklist_helpers import PUDONG_PATH, pudong_edition
from tests.factories import login, make_user

pytestmark = pytest.mark.usefixtures("english_ui")  # these tests read English messages


SHANGHAI_PATH = Path(__file__).resolve().parents[2] / "criteria" / "shanghai-2025.yaml"


@pytest.fixture
def folder(app, tmp_path, monkeypatch):
    """A criteria folder with both editions, used by the app for this test only."""
    shutil.copy(SHANGHAI_PATH, tmp_path / SHANGHAI_PATH.name)
    shutil.copy(PUDONG_PATH, tmp_path / PUDONG_PATH.name)
    monkeypatch.setitem(app.config, "CRITERIA_DIR", str(tmp_path))
    return tmp_path


@pytest.fixture
def admin(client, ctx):
    user = make_user(Role.ADMIN)
    login(client, user)
    return user


def test_every_edition_in_the_folder_is_listed_with_the_active_one_marked(client, folder, admin):
    page = client.get("/admin/criteria/").get_data(as_text=True)
    rows = dict(re.findall(r'<article class="card mb-3" data-edition="([^"]+)">(.*?)</article>', page, re.S))
    assert set(rows) == {"shanghai-2025", "pudong-pilot-2026"}
    active = active_edition().id
    assert "data-active" in rows[active]
    assert all("data-active" not in row for code, row in rows.items() if code != active)
    assert pudong_edition().content_hash[:12] in rows["pudong-pilot-2026"]


@pytest.mark.parametrize("edition_code", ["shanghai-2025", "pudong-pilot-2026"])
def test_the_preview_is_the_checklist_built_by_the_same_form_builder_read_only(
    client, folder, admin, edition_code
):
    from outlet_audit.criteria import load_edition

    edition = load_edition(folder / f"{edition_code}.yaml")

    response = client.get(f"/admin/criteria/{edition_code}")

    page = response.get_data(as_text=True)
    assert response.status_code == 200
    for item in (*edition.items(), *edition.bonus_items()):
        assert f'data-item-code="{item.code}"' in page and str(escape(item.guidance.en)) in page
        assert (f'name="{field_name(item.code)}-not_applicable"' in page) is item.not_applicable_allowed
    assert page.count('<fieldset class="item-answer" disabled') == len(edition.items()) + len(
        edition.bonus_items()
    )
    assert "<form" not in re.search(r"<main.*</main>", page, re.S)[0]  # nothing to submit in a preview
    assert "capture=" not in page
    for rules in edition.levels:
        assert f"final score at least {rules.min_score}" in page


def test_an_unknown_edition_is_404(client, folder, admin):
    assert client.get("/admin/criteria/nope-2030").status_code == 404


def test_the_admin_chooses_the_active_edition_and_the_audit_trail_keeps_it(client, folder, admin, db_session):
    before = active_edition().id
    chosen = "pudong-pilot-2026" if before != "pudong-pilot-2026" else "shanghai-2025"

    response = client.post("/admin/criteria/active", data={"edition": chosen}, follow_redirects=True)

    assert response.status_code == 200 and "New applications now use" in response.get_data(as_text=True)
    assert active_edition().id == chosen
    event = db_session.scalar(select(AuditEvent).where(AuditEvent.action == "criteria_edition_activated"))
    assert (event.old_value, event.new_value, event.actor_id) == (before, chosen, admin.id)


def test_an_edition_that_is_not_in_the_folder_cannot_be_chosen(client, folder, admin, db_session):
    before = active_edition().id
    response = client.post("/admin/criteria/active", data={"edition": "shanghai-2099"}, follow_redirects=True)
    assert "no such edition" in response.get_data(as_text=True)
    assert active_edition().id == before
    assert (
        db_session.scalar(select(AuditEvent).where(AuditEvent.action == "criteria_edition_activated")) is None
    )


def test_an_invalid_file_shows_the_loaders_messages_and_blocks_the_choice(client, folder, admin, db_session):
    broken = (
        (folder / "pudong-pilot-2026.yaml")
        .read_text(encoding="utf-8")
        .replace("points: 12\n", "pointz: 12\n", 1)
    )
    (folder / "broken.yaml").write_text(
        broken.replace("id: pudong-pilot-2026", "id: broken-2026"), encoding="utf-8"
    )

    response = client.get("/admin/criteria/")

    page = response.get_data(as_text=True)
    assert response.status_code == 200
    problems = re.search(r'<ul class="mb-0 criteria-problems">(.*?)</ul>', page, re.S)[1]
    assert "broken.yaml: sections[0].items[0].pointz: unknown key" in problems
    assert "broken.yaml: sections[0].items[0].points: is required" in problems
    card = re.search(r'data-edition="shanghai-2025">(.*?)</article>', page, re.S)[1]
    assert "disabled" in card and "/admin/criteria/shanghai-2025" in card  # previewable, not choosable
    assert client.get("/admin/criteria/shanghai-2025").status_code == 200
    client.post("/admin/criteria/active", data={"edition": "shanghai-2025"})
    assert (
        db_session.scalar(select(AuditEvent).where(AuditEvent.action == "criteria_edition_activated")) is None
    )


def test_a_yaml_syntax_error_is_reported_not_raised(client, folder, admin):
    (folder / "typo.yaml").write_text("id: typo\ntitle: [unclosed\n", encoding="utf-8")
    page = client.get("/admin/criteria/").get_data(as_text=True)
    assert "typo.yaml: line" in page and "YAML syntax error" in page


@pytest.mark.parametrize("role", [Role.OUTLET, Role.INSPECTOR, Role.DISTRICT_BUREAU, Role.CITY_BUREAU])
def test_only_the_admin_sees_the_criteria_pages(client, ctx, folder, role):
    login(client, make_user(role))
    assert client.get("/admin/criteria/").status_code == 403
    assert client.get("/admin/criteria/shanghai-2025").status_code == 403
    assert client.post("/admin/criteria/active", data={"edition": "shanghai-2025"}).status_code == 403
