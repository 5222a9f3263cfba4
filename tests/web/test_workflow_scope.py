"""Another district's, outlet's or inspection's application answers 404, exactly as a missing id does."""

import re

import pytest

from outlet_audit.roles import Role
from outlet_audit.workflow.seeding import take
from outlet_audit.workflow.states import Action
from tests.factories import cast_for, login, make_application
from tests.workflow_helpers import make_crew, reload

MISSING = 987654


@pytest.fixture
def crew(ctx):
    return make_crew()


def requests_for(application_id: int):
    """Every workflow URL that names an application, with a harmless body for the POSTs."""
    base = f"/applications/{application_id}"
    return [
        ("get", base, None),
        ("get", f"{base}/commitment-letter", None),
        ("post", f"{base}/transition", {"action": "withdraw"}),
        ("post", f"{base}/draft", {"draft-target_level": "district"}),
        ("post", f"{base}/commitment", {}),
        ("post", f"{base}/self-assessment", {}),
    ]


def _neutral(response, application_id: int) -> str:
    page = response.get_data(as_text=True).replace(f"/applications/{application_id}", "/applications/N")
    return re.sub(r'name="csrf_token" value="[^"]+"', 'name="csrf_token"', page)


OUTSIDERS = ["other_outlet_user", "other_bureau", "other_inspector", "foreign_inspector"]


@pytest.mark.parametrize("outsider", OUTSIDERS)
def test_outsiders_get_the_same_404_as_for_a_missing_application(client, crew, outsider):
    application = make_application(crew.outlet, status="draft")
    user = getattr(crew, outsider)
    login(client, user)
    for (method, url, data), (_m, missing_url, _d) in zip(
        requests_for(application.id), requests_for(MISSING), strict=True
    ):
        response = getattr(client, method)(url, data=data)
        missing = getattr(client, method)(missing_url, data=data)
        if response.status_code == 403:  # the role may not use this page at all, wherever the record is
            assert missing.status_code == 403
            continue
        assert response.status_code == 404, f"{outsider} {method} {url}"
        assert missing.status_code == 404
        # Nothing tells the two apart but the URL the language switch echoes and the CSRF token's time.
        assert _neutral(response, application.id) == _neutral(missing, MISSING)
    assert reload(application).status == "draft"


def test_each_role_reaches_its_own_application(client, crew):
    application = make_application(crew.outlet, status="inspection_scheduled", inspectors=[crew.inspector])
    for user in (crew.outlet_user, crew.bureau, crew.inspector, crew.city):
        login(client, user)
        assert client.get(f"/applications/{application.id}").status_code == 200, user.role


def test_an_inspector_loses_sight_when_unassigned(client, crew, db_session):
    application = make_application(crew.outlet, status="inspection_scheduled", inspectors=[crew.inspector])
    login(client, crew.inspector)
    assert client.get(f"/applications/{application.id}").status_code == 200
    take(application, Action.RESCHEDULE_INSPECTION, cast_for(crew.outlet, [crew.second_inspector]))
    assert client.get(f"/applications/{application.id}").status_code == 404


@pytest.mark.parametrize(
    ("role_attr", "url"),
    [
        ("bureau", "/applications/"),
        ("inspector", "/applications/new"),
        ("outlet_user", "/applications/queue"),
        ("inspector", "/applications/queue"),
        ("outlet_user", "/applications/assignments"),
        ("inspector", "/applications/approvals"),
        ("outlet_user", "/applications/approvals"),
        ("admin", "/applications/queue"),
        ("bureau", "/outlets/profile"),
        ("outlet_user", "/outlets/verification"),
    ],
)
def test_pages_of_other_roles_are_refused(client, crew, role_attr, url):
    login(client, getattr(crew, role_attr))
    assert client.get(url).status_code == 403


def test_outlet_only_writes_are_refused_to_bureaus(client, crew):
    application = make_application(crew.outlet, status="draft")
    login(client, crew.bureau)
    assert client.post(f"/applications/{application.id}/draft", data={}).status_code == 403
    assert client.post(f"/applications/{application.id}/commitment", data={}).status_code == 403


def test_anonymous_users_are_sent_to_sign_in(client, crew):
    application = make_application(crew.outlet)
    response = client.get(f"/applications/{application.id}")
    assert response.status_code == 302 and "/login" in response.headers["Location"]


@pytest.mark.parametrize("role", [Role.DISTRICT_BUREAU, Role.CITY_BUREAU, Role.INSPECTOR, Role.OUTLET])
def test_each_role_lands_on_its_home_page(client, crew, role):
    login(client, crew.by_role(role))
    location = client.get("/").headers["Location"]
    expected = {
        Role.DISTRICT_BUREAU: "/applications/queue",
        Role.CITY_BUREAU: "/applications/queue",
        Role.INSPECTOR: "/applications/assignments",
        Role.OUTLET: "/applications/",
    }[role]
    assert location.endswith(expected)
