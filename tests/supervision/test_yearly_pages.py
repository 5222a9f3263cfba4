"""The yearly self-check's pages through the test client: the outlet opens its checklist and submits
(refused while incomplete), the bureau lists by filter, reviews (accept, fail with a note) and opens
a targeted visit from a missing one; and who may reach each route."""

from datetime import timedelta

import pytest
from sqlalchemy import select

from outlet_audit.core.time import today_in_shanghai
from outlet_audit.extensions import db
from outlet_audit.roles import Agency, Role
from outlet_audit.supervision.kinds import CheckPurpose, YearlyStatus
from outlet_audit.supervision.models import SupervisionCheck
from outlet_audit.supervision.yearly import create_self_check, edition_by_hash, submit_self_check
from tests.factories import login, make_user
from tests.supervision.yearly_helpers import answer_covered, certified_outlet, outlet_user

pytestmark = pytest.mark.usefixtures("english_ui")


def self_check_due(certificate, days_from_today: int):
    """The certificate's self-check falling due this many days from today (negative: past due)."""
    due = today_in_shanghai() + timedelta(days=days_from_today)
    return create_self_check(certificate, due.year, due)


@pytest.fixture
def certificate(ctx):
    return certified_outlet(issued_on=today_in_shanghai() - timedelta(days=200))


@pytest.fixture
def bureau(ctx):
    return make_user(Role.DISTRICT_BUREAU, district_code="FX")


def test_the_outlet_opens_its_checklist_and_is_refused_while_incomplete(client, certificate):
    self_check = self_check_due(certificate, 20)
    user = outlet_user(certificate)
    login(client, user)
    mine = client.get("/yearly-self-checks/mine")
    assert f"/yearly-self-checks/{self_check.id}" in mine.text
    page = client.get(f"/yearly-self-checks/{self_check.id}")
    assert page.status_code == 200
    assert f'href="/checklist/{self_check.assessment_id}"' in page.text
    assert 'data-yearly-status="open"' in page.text and "1.1: no answer" in page.text
    refused = client.post(f"/yearly-self-checks/{self_check.id}/submit")
    assert refused.status_code == 422 and "cannot be submitted yet" in refused.text
    db.session.refresh(self_check)
    assert self_check.status == YearlyStatus.OPEN


def test_the_checklist_link_opens_the_yearly_checklist(client, certificate):
    """The checklist page is the checklist's (H-visits: kind `yearly`); here only: it answers, no error."""
    self_check = self_check_due(certificate, 20)
    login(client, outlet_user(certificate))
    assert client.get(f"/checklist/{self_check.assessment_id}").status_code < 500


def test_the_outlet_submits_a_complete_self_check(client, certificate):
    self_check = self_check_due(certificate, 20)
    user = outlet_user(certificate)
    answer_covered(self_check, user)
    login(client, user)
    done = client.post(f"/yearly-self-checks/{self_check.id}/submit")
    assert done.status_code == 302
    page = client.get(done.headers["Location"])
    assert "is submitted to the district bureau" in page.text
    assert 'data-yearly-status="submitted"' in page.text and "Submit the self-check" not in page.text
    db.session.refresh(self_check)
    assert self_check.status == YearlyStatus.SUBMITTED and self_check.assessment.signed_off_by_id == user.id


@pytest.fixture
def four(ctx, certificate):
    """One self-check in each state the bureau filters by: open, missing, submitted, failed."""
    others = [certified_outlet(issued_on=today_in_shanghai() - timedelta(days=200)) for _ in range(3)]
    open_ = self_check_due(certificate, 20)
    missing = self_check_due(others[0], -3)
    submitted = self_check_due(others[1], 10)
    failed = self_check_due(others[2], 10)
    for self_check in (submitted, failed):
        user = outlet_user(self_check.certificate)
        answer_covered(self_check, user)
        submit_self_check(self_check, edition_by_hash(self_check.certificate.edition_hash), user)
    failed.status, failed.reviewed_at, failed.review_note = "failed", failed.submitted_at, "no photos"
    db.session.flush()
    return {"open": open_, "missing": missing, "submitted": submitted, "failed": failed}


@pytest.mark.parametrize("shown", ["open", "missing", "submitted", "failed"])
def test_the_bureau_lists_by_filter(client, four, bureau, shown):
    login(client, bureau)
    page = client.get(f"/yearly-self-checks/?show={shown}")
    listed = {
        self_check.id for self_check in four.values() if f'data-self-check="{self_check.id}"' in page.text
    }
    assert listed == {four[shown].id}
    for name in four:
        assert f'data-count="{name}">1<' in page.text


def test_a_bureau_of_another_district_lists_none_of_them(client, four):
    login(client, make_user(Role.DISTRICT_BUREAU, district_code="HP"))
    page = client.get("/yearly-self-checks/?show=all")
    assert not any(f'data-self-check="{s.id}"' in page.text for s in four.values())


def test_the_review_page_shows_the_answers_and_photos(client, four, bureau):
    submitted = four["submitted"]
    login(client, bureau)
    page = client.get(f"/yearly-self-checks/{submitted.id}/review")
    assert page.status_code == 200
    for code in ("1.1", "1.2", "1.5", "3.2", "4.1"):
        assert f'data-item="{code}"' in page.text
    thumbnail = page.text.split('<img src="', 1)[1].split('"', 1)[0].replace("&amp;", "&")
    assert thumbnail.startswith("/evidence/") and "/thumbnail" in thumbnail
    assert client.get(thumbnail).status_code == 200  # the bureau may open the outlet's photos
    assert "Accept the self-check" in page.text and "Open a targeted visit" not in page.text


def test_the_bureau_accepts(client, four, bureau):
    login(client, bureau)
    response = client.post(f"/yearly-self-checks/{four['submitted'].id}/accept")
    assert response.status_code == 302
    db.session.refresh(four["submitted"])
    assert four["submitted"].status == YearlyStatus.ACCEPTED


def test_failing_needs_a_note(client, four, bureau):
    login(client, bureau)
    url = f"/yearly-self-checks/{four['submitted'].id}/fail"
    refused = client.post(url, data={"note": "  "})
    assert refused.status_code == 422 and "Say why the self-check fails." in refused.text
    done = client.post(url, data={"note": "Photo of 1.5 is of another outlet"})
    assert done.status_code == 302
    db.session.refresh(four["submitted"])
    assert four["submitted"].status == YearlyStatus.FAILED
    assert four["submitted"].review_note == "Photo of 1.5 is of another outlet"


def test_accepting_an_open_one_is_refused(client, four, bureau):
    login(client, bureau)
    response = client.post(f"/yearly-self-checks/{four['open'].id}/accept")
    assert response.status_code == 422 and "Only a submitted self-check can be reviewed." in response.text


def test_a_targeted_visit_from_a_missing_one(client, four, bureau):
    missing = four["missing"]
    inspector = make_user(Role.INSPECTOR, district_code="FX", display_name="Inspector Wang")
    login(client, bureau)
    page = client.get(f"/yearly-self-checks/{missing.id}/review")
    assert "data-visit-form" in page.text and "Inspector Wang" in page.text
    assert 'data-yearly-status="missing"' in page.text
    url = f"/yearly-self-checks/{missing.id}/visit"
    due = (today_in_shanghai() + timedelta(days=14)).isoformat()
    assert client.post(url, data={"due_by": due}).status_code == 422  # no team chosen
    response = client.post(url, data={"team": [inspector.id], "due_by": due, "reason": ""})
    assert response.status_code == 302
    db.session.refresh(missing)
    check = db.session.get(SupervisionCheck, missing.check_id)
    assert check.purpose == CheckPurpose.TARGETED and check.due_by.isoformat() == due
    assert check.reason == f"Yearly self-check {missing.year} not submitted."
    assert "data-visit-form" not in client.get(f"/yearly-self-checks/{missing.id}/review").text


def test_no_visit_from_an_open_one(client, four, bureau):
    inspector = make_user(Role.INSPECTOR, district_code="FX")
    login(client, bureau)
    due = (today_in_shanghai() + timedelta(days=14)).isoformat()
    response = client.post(
        f"/yearly-self-checks/{four['open'].id}/visit", data={"team": [inspector.id], "due_by": due}
    )
    assert response.status_code == 422 and "missing or failed self-check only" in response.text
    assert db.session.scalar(select(SupervisionCheck)) is None


# --- who may reach each route -------------------------------------------------------------------

ROUTES = {
    "outlet_page": ("GET", "/yearly-self-checks/{id}"),
    "submit": ("POST", "/yearly-self-checks/{id}/submit"),
    "review_page": ("GET", "/yearly-self-checks/{id}/review"),
    "accept": ("POST", "/yearly-self-checks/{id}/accept"),
    "fail": ("POST", "/yearly-self-checks/{id}/fail"),
    "open_visit": ("POST", "/yearly-self-checks/{id}/visit"),
    "mine": ("GET", "/yearly-self-checks/mine"),
    "bureau_list": ("GET", "/yearly-self-checks/"),
    "dashboard": ("GET", "/supervision/dashboard/"),
    "export": ("GET", "/supervision/dashboard/export.csv"),
}
READING = {"review_page": "ok", "bureau_list": "ok", "dashboard": "ok", "export": "ok"}
# What each caller gets: "ok" (let in; a POST's empty input may be refused), "login", 403 or 404.
WHO = {
    "anonymous": dict.fromkeys(ROUTES, "login"),
    "own outlet": {**dict.fromkeys(ROUTES, "403"), "outlet_page": "ok", "submit": "ok", "mine": "ok"},
    "other outlet": {**dict.fromkeys(ROUTES, "403"), "outlet_page": "404", "submit": "404", "mine": "ok"},
    "inspector": dict.fromkeys(ROUTES, "403"),
    "district bureau": {**dict.fromkeys(ROUTES, "ok"), "outlet_page": "403", "submit": "403", "mine": "403"},
    "other district": {
        **dict.fromkeys(ROUTES, "404"), "outlet_page": "403", "submit": "403", "mine": "403",
        "bureau_list": "ok", "dashboard": "ok", "export": "ok",
    },
    "ecology": {**dict.fromkeys(ROUTES, "403"), **READING},
    "city": {**dict.fromkeys(ROUTES, "403"), **READING},
}  # fmt: skip


def caller(who: str, certificate):
    if who == "own outlet":
        return outlet_user(certificate)
    if who == "other outlet":
        return outlet_user(certified_outlet())
    if who == "inspector":
        return make_user(Role.INSPECTOR, district_code="FX")
    if who == "district bureau":
        return make_user(Role.DISTRICT_BUREAU, district_code="FX")
    if who == "other district":
        return make_user(Role.DISTRICT_BUREAU, district_code="HP")
    if who == "ecology":
        return make_user(Role.DISTRICT_BUREAU, district_code="FX", agency=Agency.DISTRICT_ECOLOGY)
    return make_user(Role.CITY_BUREAU)


def outcome(response) -> str:
    if response.status_code in (302, 303):
        return "login" if response.headers["Location"].startswith("/login") else "ok"
    if response.status_code in (403, 404):
        return str(response.status_code)
    return "ok" if response.status_code < 500 else f"HTTP {response.status_code}"


@pytest.mark.parametrize("who", list(WHO))
def test_who_may_use_each_route(client, certificate, who):
    self_check = self_check_due(certificate, -3)  # missing: every act is open to its district bureau
    user = None if who == "anonymous" else caller(who, certificate)
    if user is not None:
        login(client, user)
    wrong = []
    for name, (method, path) in ROUTES.items():
        response = client.open(path.format(id=self_check.id), method=method, buffered=True)
        got = outcome(response)
        if got != WHO[who][name]:
            wrong.append(f"{name}: {method} → {response.status_code} ({got}), expected {WHO[who][name]}")
    assert wrong == []
