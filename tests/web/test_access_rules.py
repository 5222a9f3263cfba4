"""Deny by default: every endpoint declares a rule; undeclared ones are refused."""

import pytest
from flask import Blueprint

from outlet_audit.access import EXTENSION_PUBLIC_ENDPOINTS, registered_record_arguments, rule_for_endpoint
from outlet_audit.roles import Role
from tests.conftest import make_test_app
from tests.factories import login, make_outlet, make_user


def test_every_endpoint_declares_who_may_use_it(app):
    undeclared = [
        rule.endpoint for rule in app.url_map.iter_rules() if rule_for_endpoint(app, rule.endpoint) is None
    ]
    assert undeclared == [], f"endpoints without @public or @allow: {undeclared}"


def test_extension_endpoints_counted_as_public_exist(app):
    assert set(app.view_functions) >= EXTENSION_PUBLIC_ENDPOINTS


def test_every_record_argument_has_a_scope_loader(app):
    arguments = {arg for rule in app.url_map.iter_rules() for arg in rule.arguments if arg.endswith("_id")}
    assert arguments <= registered_record_arguments(), arguments - registered_record_arguments()


def test_an_undeclared_route_is_refused_even_to_the_admin(database_url, tmp_path, db_session):
    extra = Blueprint("extra", __name__)

    @extra.get("/undeclared")
    def undeclared():
        return "secret"

    app = make_test_app(database_url, tmp_path)
    app.register_blueprint(extra)
    client = app.test_client()
    assert client.get("/undeclared").status_code == 403
    admin = make_user(Role.ADMIN)
    login(client, admin)
    assert client.get("/admin/users").status_code == 200  # the admin is signed in
    assert client.get("/undeclared").status_code == 403


def test_anonymous_users_are_sent_to_sign_in(client):
    response = client.get("/admin/users")
    assert response.status_code == 302
    assert "/login?next=/admin/users" in response.headers["Location"]


@pytest.mark.parametrize("role", [Role.OUTLET, Role.INSPECTOR, Role.DISTRICT_BUREAU, Role.CITY_BUREAU])
def test_admin_pages_refuse_other_roles(client, role):
    login(client, make_user(role))
    assert client.get("/admin/users").status_code == 403


def test_district_bureau_cannot_verify_an_outlet_of_another_district(client):
    login(client, make_user(Role.DISTRICT_BUREAU, district_code="FX"))
    foreign = make_outlet("QP", verified=False)
    response = client.post(f"/outlets/{foreign.id}/verify")
    assert response.status_code == 404  # the same answer as for an outlet that does not exist
    assert client.post("/outlets/999999/verify").status_code == 404
    assert foreign.verified is False


def test_district_bureau_verifies_an_outlet_of_its_district(client, db_session):
    login(client, make_user(Role.DISTRICT_BUREAU, district_code="FX"))
    own = make_outlet("FX", verified=False)
    response = client.post(f"/outlets/{own.id}/verify")
    assert response.status_code == 302
    db_session.refresh(own)
    assert own.verified is True


def test_verification_queue_shows_only_the_bureaus_district(client):
    make_outlet("FX", verified=False, name="奉贤待核验网点")
    make_outlet("QP", verified=False, name="青浦待核验网点")
    login(client, make_user(Role.DISTRICT_BUREAU, district_code="FX"))
    page = client.get("/outlets/verification").get_data(as_text=True)
    assert "奉贤待核验网点" in page and "青浦待核验网点" not in page


def test_city_bureau_sees_every_district_but_does_not_verify(client):
    make_outlet("FX", verified=False, name="奉贤待核验网点")
    make_outlet("QP", verified=False, name="青浦待核验网点")
    city = make_user(Role.CITY_BUREAU)
    login(client, city)
    page = client.get("/outlets/verification").get_data(as_text=True)
    assert "奉贤待核验网点" in page and "青浦待核验网点" in page
    outlet = make_outlet("FX", verified=False)
    assert client.post(f"/outlets/{outlet.id}/verify").status_code == 403
