"""Signing in and out, lockout, registration, password change and the admin's account pages."""

import pytest
from sqlalchemy import func, select

from outlet_audit.accounts.models import User
from outlet_audit.audit.models import AuditEvent
from outlet_audit.outlets.models import Outlet
from outlet_audit.roles import Role
from tests.factories import PASSWORD, district, login, make_outlet, make_user

WRONG = "Wrong username or password."


def sign_in(client, username, password=PASSWORD):
    return client.post("/login", data={"username": username, "password": password, "locale": "en"})


@pytest.fixture
def english(client):
    client.post("/language", data={"locale": "en"})
    return client


def test_sign_in_and_out(english, db_session):
    user = make_user(Role.DISTRICT_BUREAU)
    response = sign_in(english, user.username)
    assert response.status_code == 302
    assert english.get("/outlets/verification").status_code == 200
    old_token = user.session_token
    english.post("/logout")
    db_session.refresh(user)
    assert user.session_token != old_token
    assert english.get("/outlets/verification").status_code == 302


def test_a_copied_session_cookie_dies_at_logout(app, english):
    user = make_user(Role.DISTRICT_BUREAU)
    sign_in(english, user.username)
    thief = app.test_client()
    login(thief, user)  # same token as the real session
    assert thief.get("/outlets/verification").status_code == 200
    english.post("/logout")
    assert thief.get("/outlets/verification").status_code == 302


@pytest.mark.parametrize("username, password", [("nobody", PASSWORD), ("KNOWN", "not-the-password-1")])
def test_failures_do_not_reveal_which_part_was_wrong(english, username, password):
    make_user(Role.INSPECTOR, username="known")
    page = sign_in(english, username, password).get_data(as_text=True)
    assert WRONG in page
    assert f'value="{username}"' in page  # what was typed stays


def test_username_is_case_insensitive(english):
    make_user(Role.INSPECTOR, username="Inspector.Gu")
    assert sign_in(english, "inspector.gu").status_code == 302


def test_account_locks_after_repeated_failures_until_an_admin_unlocks(app, english, db_session):
    user = make_user(Role.INSPECTOR)
    limit = app.config["LOGIN_LOCK_AFTER_FAILURES"]
    for _ in range(limit):
        sign_in(english, user.username, "wrong-password-1")
    db_session.refresh(user)
    assert user.locked_at is not None
    page = sign_in(english, user.username).get_data(as_text=True)
    assert "locked" in page
    admin = make_user(Role.ADMIN)
    login(english, admin)
    english.post(f"/admin/users/{user.id}/unlock")
    db_session.refresh(user)
    assert user.locked_at is None and user.failed_logins == 0
    english.post("/logout")
    assert sign_in(english, user.username).status_code == 302


def test_disabled_account_is_told_only_with_the_right_password(english):
    user = make_user(Role.INSPECTOR, active=False)
    assert WRONG in sign_in(english, user.username, "wrong-password-1").get_data(as_text=True)
    assert "disabled" in sign_in(english, user.username).get_data(as_text=True)


def test_disabling_signs_the_user_out(app, english, db_session):
    user = make_user(Role.INSPECTOR)
    victim = app.test_client()
    login(victim, user)
    assert victim.get("/account/password").status_code == 200
    login(english, make_user(Role.ADMIN))
    english.post(f"/admin/users/{user.id}/disable")
    assert victim.get("/account/password").status_code == 302


def test_admin_cannot_disable_itself(english, db_session):
    admin = make_user(Role.ADMIN)
    login(english, admin)
    english.post(f"/admin/users/{admin.id}/disable")
    db_session.refresh(admin)
    assert admin.active


def registration(**overrides):
    data = {
        "outlet_name": "奉贤测试中通网点",
        "brand": "中通",
        "district_id": str(district("FX").id),
        "address": "奉贤区测试路 1 号",
        "permit_number": "sh-kd-2024-0099",
        "manager": "赵测试",
        "phone": "13912345678",
        "opening_hours": "08:00-18:00",
        "username": "zto-fx",
        "display_name": "赵测试",
        "email": "",
        "password": "abcdef12345",
    }
    data.update(overrides)
    return data


def test_outlet_registers_and_can_sign_in_once_verified(english, db_session):
    response = english.post("/register", data=registration())
    assert response.status_code == 302
    outlet = db_session.scalar(select(Outlet).where(Outlet.permit_number == "SH-KD-2024-0099"))
    assert outlet is not None and not outlet.verified
    page = sign_in(english, "zto-fx", "abcdef12345").get_data(as_text=True)
    assert "waiting for the district bureau" in page
    outlet.verified = True
    db_session.flush()
    assert sign_in(english, "zto-fx", "abcdef12345").status_code == 302


@pytest.mark.parametrize(
    "overrides, field_message",
    [
        ({"permit_number": "abc"}, "at least four digits"),
        ({"permit_number": "<script>1234"}, "at least four digits"),
        ({"phone": "12345"}, "mobile number"),
        ({"district_id": "0"}, "Choose the district"),
        ({"password": "short1"}, "at least 10 characters"),
        ({"password": "onlyletters"}, "letters and digits"),
        ({"username": "a b"}, "3–64 letters"),
        ({"outlet_name": "  "}, "This field is required"),
    ],
)
def test_bad_registration_keeps_what_was_typed_and_writes_nothing(
    english, db_session, overrides, field_message
):
    before = db_session.scalar(select(func.count()).select_from(Outlet))
    data = registration(**overrides)
    response = english.post("/register", data=data)
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert field_message in page
    assert "奉贤区测试路 1 号" in page  # the rest of the form is still filled in
    assert db_session.scalar(select(func.count()).select_from(Outlet)) == before


def test_duplicate_permit_and_username_are_refused_cleanly(english, db_session):
    existing = make_outlet(permit_number="SH-KD-2024-0099")
    page = english.post("/register", data=registration()).get_data(as_text=True)
    assert "already registered" in page
    make_user(Role.INSPECTOR, username="taken-name")
    page = english.post(
        "/register", data=registration(permit_number="SH-KD-2024-0100", username="taken-name")
    ).get_data(as_text=True)
    assert "username is taken" in page
    outlets = db_session.scalars(select(Outlet).where(Outlet.permit_number.like("SH-KD-2024-01%"))).all()
    assert outlets == [] and existing.id


def test_password_change_signs_out_other_sessions(app, english, db_session):
    user = make_user(Role.INSPECTOR)
    other = app.test_client()
    login(other, user)
    login(english, user)
    page = english.post(
        "/account/password",
        data={"current_password": "wrong", "new_password": "newpass12345", "confirm": "newpass12345"},
    ).get_data(as_text=True)
    assert "current password is wrong" in page
    response = english.post(
        "/account/password",
        data={"current_password": PASSWORD, "new_password": "newpass12345", "confirm": "newpass12345"},
    )
    assert response.status_code == 302
    assert english.get("/account/password").status_code == 200  # this session goes on
    assert other.get("/account/password").status_code == 302  # the other one is signed out
    db_session.refresh(user)
    assert user.check_password("newpass12345")
    assert (
        db_session.scalar(
            select(func.count()).where(
                AuditEvent.action == "password_changed", AuditEvent.subject_id == user.id
            )
        )
        == 1
    )


def test_passwords_are_hashed(db_session):
    user = make_user(Role.INSPECTOR)
    assert PASSWORD not in user.password_hash and user.password_hash.startswith("pbkdf2:")


def test_production_hashes_with_scrypt(app, db_session):
    with app.test_request_context():
        app.config["PASSWORD_HASH_METHOD"], saved = "scrypt", app.config["PASSWORD_HASH_METHOD"]
        try:
            user = make_user(Role.INSPECTOR)
        finally:
            app.config["PASSWORD_HASH_METHOD"] = saved
    assert user.password_hash.startswith("scrypt:")


def test_admin_creates_a_district_inspector(english, db_session):
    login(english, make_user(Role.ADMIN))
    data = {
        "role": "inspector",
        "district_id": str(district("QP").id),
        "username": "qp-inspector",
        "display_name": "青浦检查员",
        "email": "",
        "password": "inspect12345",
    }
    assert english.post("/admin/users/new", data=data).status_code == 302
    user = db_session.scalar(select(User).where(User.username == "qp-inspector"))
    assert user.role == Role.INSPECTOR and user.district.code == "QP"


def test_admin_form_requires_a_district_for_inspectors(english, db_session):
    login(english, make_user(Role.ADMIN))
    data = {
        "role": "inspector",
        "district_id": "0",
        "username": "nodistrict",
        "display_name": "x",
        "password": "inspect12345",
    }
    page = english.post("/admin/users/new", data=data).get_data(as_text=True)
    assert "belong to a district" in page
    assert db_session.scalar(select(User).where(User.username == "nodistrict")) is None


def test_next_parameter_only_redirects_within_the_site(english):
    user = make_user(Role.INSPECTOR)
    for target, expected in [
        ("/account/password", "/account/password"),
        ("https://evil.example/", "/"),
        ("//evil.example/", "/"),
    ]:
        response = english.post(
            f"/login?next={target}", data={"username": user.username, "password": PASSWORD}
        )
        assert response.headers["Location"] == expected
        english.post("/logout")
