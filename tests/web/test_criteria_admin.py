"""The administrator's criteria pages: every edition previewed as a checklist, the active one chosen
and audited, and an invalid file shown with the loader's messages instead of breaking the page."""

import re
import shutil
from datetime import date
from pathlib import Path

import pytest
from markupsafe import escape
from sqlalchemy import func, select

from outlet_audit.audit.models import AuditEvent
from outlet_audit.checklist.forms import field_name
from outlet_audit.criteria.editions import active_edition
from outlet_audit.criteria.stored import EditionChoice
from outlet_audit.notifications.models import Notification
from outlet_audit.roles import Role
from outlet_audit.workflow.models import Application
from tests.checklist_helpers import PUDONG_PATH, pudong_edition
from tests.conftest import counted_statements
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


# --- effect dates and the explicit choice (issue 20) ---------------------------------------------


@pytest.fixture
def on(monkeypatch):
    """Set the day in Shanghai that the criteria code sees."""

    def set_day(text: str) -> date:
        day = date.fromisoformat(text)
        for module in ("outlet_audit.criteria.editions", "outlet_audit.criteria.views"):
            monkeypatch.setattr(f"{module}.today_in_shanghai", lambda: day)
        return day

    return set_day


def write_edition(folder: Path, source: Path, edition_id: str, start: str, end: str | None = None) -> None:
    """A copy of an edition under another id and effect dates."""
    text = source.read_text(encoding="utf-8")
    text = re.sub(r"(?m)^id: .*$", f"id: {edition_id}", text, count=1)
    text = re.sub(r"(?m)^effective_until: .*\n", "", text, count=1)
    dates = f"effective_from: {start}\n" + (f"effective_until: {end}\n" if end else "")
    text = re.sub(r"(?m)^effective_from: .*\n", dates, text, count=1)
    (folder / f"{edition_id}.yaml").write_text(text, encoding="utf-8")


def audit_events(db_session, *actions: str) -> list[AuditEvent]:
    return db_session.scalars(
        select(AuditEvent).where(AuditEvent.action.in_(actions)).order_by(AuditEvent.id)
    ).all()


def card(page: str, edition_id: str) -> str:
    return re.search(rf'data-edition="{edition_id}">(.*?)</article>', page, re.S)[1]


def test_a_new_file_in_the_folder_never_changes_the_edition_new_applications_use(
    app, tmp_path, monkeypatch, ctx, on
):
    monkeypatch.setitem(app.config, "CRITERIA_DIR", str(tmp_path))
    shutil.copy(SHANGHAI_PATH, tmp_path / SHANGHAI_PATH.name)
    on("2026-06-01")
    assert active_edition().id == "shanghai-2025"

    shutil.copy(PUDONG_PATH, tmp_path / PUDONG_PATH.name)  # newer, and in effect on the day

    assert active_edition().id == "shanghai-2025"


def test_a_future_edition_cannot_be_activated_but_can_be_scheduled(client, folder, admin, db_session, on):
    on("2026-12-06")
    write_edition(folder, PUDONG_PATH, "city-2027", "2027-01-01")
    page = client.get("/admin/criteria/").get_data(as_text=True)
    future = card(page, "city-2027")
    assert 'data-status="future"' in future and "/admin/criteria/active" not in future
    assert 'min="2027-01-01"' in future and 'value="2027-01-01"' in future  # the first day it may start

    refused = client.post("/admin/criteria/active", data={"edition": "city-2027"}, follow_redirects=True)

    assert "city-2027 is not in effect on 6 Dec 2026" in refused.get_data(as_text=True)
    assert active_edition().id == "shanghai-2025"
    assert audit_events(db_session, "criteria_edition_activated") == []

    schedule = {"edition": "city-2027", "active_from": "2027-01-01"}
    response = client.post("/admin/criteria/schedule", data=schedule, follow_redirects=True)

    page = response.get_data(as_text=True)
    assert "New applications will use" in page and "from 2027-01-01" in page
    assert 'data-scheduled="2027-01-01"' in card(page, "city-2027")
    assert "city-2027" in re.search(r'id="criteria-scheduled">(.*?)</ul>', page, re.S)[1]
    [event] = audit_events(db_session, "criteria_edition_scheduled")
    assert (event.old_value, event.new_value, event.actor_id) == ("shanghai-2025", "city-2027", admin.id)
    assert event.field == "active_edition from 2027-01-01"
    assert active_edition().id == "shanghai-2025"  # not before its day
    on("2027-01-01")
    assert active_edition().id == "city-2027"


@pytest.mark.parametrize(
    ("typed", "error"),
    [
        ("2026-12-20", "city-2027 is not in effect on 20 Dec 2026"),  # before the edition's first day
        ("2026-12-06", "Choose a later day"),  # today: that is activating, not scheduling
        ("2027-02-30", "Not a valid date value"),
        ("", "Enter the first day."),
    ],
)
def test_a_refused_schedule_comes_back_with_the_error_and_what_was_typed(
    client, folder, admin, db_session, on, typed, error
):
    on("2026-12-06")
    write_edition(folder, PUDONG_PATH, "city-2027", "2027-01-01")

    response = client.post("/admin/criteria/schedule", data={"edition": "city-2027", "active_from": typed})

    assert response.status_code == 422
    form = card(response.get_data(as_text=True), "city-2027")
    assert error in form and f'value="{typed}"' in form and "is-invalid" in form
    assert audit_events(db_session, "criteria_edition_scheduled") == []


def test_a_scheduled_choice_can_be_withdrawn_before_its_day_and_the_audit_trail_keeps_it(
    client, folder, admin, db_session, on
):
    on("2026-12-06")
    write_edition(folder, PUDONG_PATH, "city-2027", "2027-01-01")
    client.post("/admin/criteria/schedule", data={"edition": "city-2027", "active_from": "2027-01-01"})
    page = client.get("/admin/criteria/").get_data(as_text=True)
    choice_id = re.search(r'<li [^>]*data-choice="(\d+)"', page)[1]

    response = client.post(f"/admin/criteria/choices/{choice_id}/withdraw", follow_redirects=True)

    page = response.get_data(as_text=True)
    assert "is withdrawn" in page and "criteria-scheduled" not in page
    [event] = audit_events(db_session, "criteria_edition_schedule_withdrawn")
    assert (event.old_value, event.actor_id) == ("city-2027", admin.id)
    on("2027-01-01")
    assert active_edition().id == "shanghai-2025"


def test_a_choice_already_in_use_cannot_be_withdrawn(client, folder, admin, db_session, on):
    on("2026-12-06")
    client.post("/admin/criteria/active", data={"edition": "pudong-pilot-2026"})
    choice_id = db_session.scalar(select(EditionChoice.id).order_by(EditionChoice.id.desc()))

    response = client.post(f"/admin/criteria/choices/{choice_id}/withdraw", follow_redirects=True)

    assert "Only an edition scheduled for a later day can be withdrawn" in response.get_data(as_text=True)
    assert active_edition().id == "pudong-pilot-2026"


def test_the_admin_is_warned_on_the_page_before_the_chosen_edition_ends(client, folder, admin, on):
    on("2026-06-01")
    client.post("/admin/criteria/active", data={"edition": "pudong-pilot-2026"})
    assert "criteria-ending" not in client.get("/admin/criteria/").get_data(as_text=True)  # 213 days left

    on("2026-12-10")
    page = client.get("/admin/criteria/").get_data(as_text=True)

    warning = re.search(r'id="criteria-ending">(.*?)</div>', page, re.S)[1]
    assert "ends on 31 Dec 2026" in warning and "From 1 Jan 2027 new applications will use" in warning
    assert "shanghai-2025" in warning


def test_an_edition_that_ends_while_chosen_falls_back_visibly_to_the_earlier_choice(
    client, folder, admin, db_session, on
):
    on("2026-06-01")
    client.post("/admin/criteria/active", data={"edition": "pudong-pilot-2026"})
    assert active_edition().id == "pudong-pilot-2026"

    on("2027-01-02")

    assert active_edition().id == "shanghai-2025"
    page = client.get("/admin/criteria/").get_data(as_text=True)
    fallback = re.search(r'id="criteria-fallback"[^>]*>(.*?)</div>', page, re.S)[1]
    assert "pudong-pilot-2026" in fallback and "shanghai-2025" in fallback
    assert 'data-status="ended"' in card(page, "pudong-pilot-2026")


def test_with_no_chosen_edition_in_effect_new_applications_are_refused_with_a_clear_message(
    client, folder, admin, db_session, on
):
    write_edition(folder, SHANGHAI_PATH, "shanghai-2025", "2025-01-01", "2026-12-31")
    on("2027-01-02")
    page = client.get("/admin/criteria/").get_data(as_text=True)
    refused = re.search(r'id="criteria-none">(.*?)</div>', page, re.S)[1]
    assert "No chosen edition is in effect today" in refused

    outlet_user = make_user(Role.OUTLET)
    login(client, outlet_user)
    for response in (
        client.get("/applications/new"),
        client.post("/applications/new", data={"target_level": "district"}),
    ):
        assert response.status_code == 409
        assert "No criteria edition is in effect today" in response.get_data(as_text=True)
    assert db_session.scalar(select(func.count()).select_from(Application)) == 0


def test_the_footer_cites_the_rule_of_the_edition_in_use_without_a_query(client, folder, admin, on):
    on("2026-06-01")
    client.post("/admin/criteria/active", data={"edition": "pudong-pilot-2026"})
    client.get("/verify")  # the first page after a change reads the choice again

    with counted_statements() as statements:
        page = client.get("/verify").get_data(as_text=True)

    footer = re.search(r"<footer.*?</footer>", page, re.S)[0]
    assert "Criteria: Pudong postal bureau zero-waste outlet pilot scheme (for tests)" in footer
    assert "2025" not in footer
    assert not [s for s in statements if "criteria" in s]


def test_the_footer_in_chinese_cites_the_rule_in_chinese(app, client, folder, on, monkeypatch):
    monkeypatch.setitem(app.config, "BABEL_DEFAULT_LOCALE", "zh_CN")
    on("2026-06-01")
    footer = re.search(r"<footer.*?</footer>", client.get("/verify").get_data(as_text=True), re.S)[0]
    assert "评估依据：《上海市“无废城市细胞”建设评估细则（2025 年版）》快递网点部分" in footer


def test_the_footer_leaves_the_citation_out_when_no_edition_is_in_effect(client, folder, on):
    write_edition(folder, SHANGHAI_PATH, "shanghai-2025", "2025-01-01", "2026-12-31")
    on("2027-01-02")
    footer = re.search(r"<footer.*?</footer>", client.get("/verify").get_data(as_text=True), re.S)[0]
    assert "Criteria:" not in footer


# --- `flask criteria remind` ------------------------------------------------------------------------


def remind(app, day: str, *extra: str) -> str:
    result = app.test_cli_runner().invoke(args=["criteria", "remind", "--today", day, *extra])
    assert result.exit_code == 0, result.output
    return result.output


def criteria_notes(db_session, user) -> list[Notification]:
    return db_session.scalars(
        select(Notification)
        .where(Notification.kind == "criteria_edition", Notification.user_id == user.id)
        .order_by(Notification.id)
    ).all()


def test_remind_tells_the_admins_once_n_days_before_the_end_and_once_when_it_has_lapsed(
    app, client, folder, admin, db_session, on
):
    on("2026-06-01")
    client.post("/admin/criteria/active", data={"edition": "pudong-pilot-2026"})
    bureau = make_user(Role.DISTRICT_BUREAU)

    assert "0 notice(s) sent" in remind(app, "2026-11-30")  # 31 days before the end
    output = remind(app, "2026-12-01")
    assert "ending: The criteria edition pudong-pilot-2026 ends on 2026-12-31" in output
    remind(app, "2026-12-02")  # the daily job again: nothing new
    [note] = criteria_notes(db_session, admin)
    assert note.link == "/admin/criteria/"
    assert note.params == {
        "edition": "pudong-pilot-2026",
        "date": "2026-12-31",
        "next": "2027-01-01",
        "fallback": "shanghai-2025",
    }

    output = remind(app, "2027-01-02")
    remind(app, "2027-01-03")

    assert "lapsed: The criteria edition chosen for new applications, pudong-pilot-2026" in output
    assert len(criteria_notes(db_session, admin)) == 2
    assert criteria_notes(db_session, bureau) == []  # applications still open: the bureaus need not act


def test_remind_tells_the_bureaus_too_when_new_applications_are_refused(app, folder, admin, db_session):
    write_edition(folder, SHANGHAI_PATH, "shanghai-2025", "2025-01-01", "2026-12-31")
    bureau, city = make_user(Role.DISTRICT_BUREAU), make_user(Role.CITY_BUREAU)

    output = remind(app, "2027-01-02")

    assert "new applications are refused" in output
    for user in (admin, bureau, city):
        assert len(criteria_notes(db_session, user)) == 1


def test_remind_takes_the_notice_period_from_the_option_or_the_configuration(
    app, client, folder, admin, db_session, on, monkeypatch
):
    on("2026-06-01")
    client.post("/admin/criteria/active", data={"edition": "pudong-pilot-2026"})
    assert "0 notice(s)" in remind(app, "2026-12-15", "--days", "10")
    monkeypatch.setitem(app.config, "CRITERIA_NOTICE_DAYS", 20)
    assert "1 notice(s) sent for 2026-12-15 (notice period: 20 days)" in remind(app, "2026-12-15")


def test_with_no_chosen_edition_in_effect_the_dashboards_still_show_their_figures(
    app, client, folder, db_session, on, monkeypatch
):
    """Figures describe applications already made: they must not vanish with the edition for new ones."""
    write_edition(folder, SHANGHAI_PATH, "shanghai-2025", "2025-01-01", "2026-12-31")
    on("2027-01-02")
    login(client, make_user(Role.CITY_BUREAU))

    response = client.get("/dashboard/")

    assert response.status_code == 200
    assert "No criteria edition is in effect today" not in response.get_data(as_text=True)
    monkeypatch.setitem(app.config, "DASHBOARD_SNAPSHOT_SECONDS", 300)
    result = app.test_cli_runner().invoke(args=["dashboards", "refresh"])
    assert result.exit_code == 0, result.output
    assert "dashboard views refreshed" in result.output
