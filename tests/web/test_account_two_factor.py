"""Two-factor sign-in: set up with a QR code and an app's code, sign in with a code or a recovery
code, required for bureau, city and administrator accounts by configuration (on in production),
optional for outlets; the administrator resets a lost device."""

import re
import time

import pyotp
import pytest
from flask_migrate import upgrade
from sqlalchemy import select
from werkzeug.routing.converters import NumberConverter

from outlet_audit import create_app
from outlet_audit.accounts.models import RecoveryCode, User
from outlet_audit.audit.models import AuditEvent
from outlet_audit.config import _env_flag
from outlet_audit.extensions import db
from outlet_audit.roles import Role
from tests.account_factories import english_fixture  # noqa: F401
from tests.conftest import fresh_database
from tests.factories import PASSWORD, login, make_outlet, make_user

WRONG = "The code is not right, or was used already."


def sign_in(client, username, password=PASSWORD):
    return client.post("/login", data={"username": username, "password": password})


def enrol(client) -> tuple[str, list[str]]:
    """Set up two-factor sign-in for the signed-in account through its pages: the secret and the codes."""
    assert client.post("/account/two-factor/start").status_code == 302
    page = client.get("/account/two-factor").get_data(as_text=True)
    assert "<svg" in page  # the QR code
    secret = re.search(r'id="enrolment-key">([A-Z2-7 ]+)<', page)[1].replace(" ", "")
    done = client.post("/account/two-factor/confirm", data={"code": pyotp.TOTP(secret).now()})
    assert done.status_code == 200
    codes = re.findall(r"<li>([A-Z0-9-]{14})</li>", done.get_data(as_text=True))
    return secret, codes


def code_after(secret: str, steps: int = 1) -> str:
    """The app's code of a later time step (a code is accepted once; the next one is fresh)."""
    return pyotp.TOTP(secret).at(time.time() + 30 * steps)


def test_set_up_shows_a_qr_code_and_keeps_only_hashes_of_the_recovery_codes(english, db_session):
    user = make_user(Role.DISTRICT_BUREAU)
    login(english, user)
    secret, codes = enrol(english)
    assert len(codes) == 10 and len(set(codes)) == 10
    db_session.refresh(user)
    assert user.totp_enabled_at is not None and user.totp_secret == secret
    stored = db_session.scalars(select(RecoveryCode.code_digest).where(RecoveryCode.user_id == user.id)).all()
    assert len(stored) == 10 and not set(stored) & {c.replace("-", "") for c in codes}
    assert "two_factor_enabled" in db_session.scalars(select(AuditEvent.action)).all()


def test_a_wrong_code_does_not_switch_it_on(english, db_session):
    user = make_user(Role.INSPECTOR)
    login(english, user)
    english.post("/account/two-factor/start")
    response = english.post("/account/two-factor/confirm", data={"code": "000000"})
    assert response.status_code == 422 and WRONG in response.get_data(as_text=True)
    db_session.refresh(user)
    assert user.totp_enabled_at is None


def test_sign_in_asks_for_the_code_after_the_password(english, app, db_session, english_ui):
    user = make_user(Role.ADMIN)
    login(english, user)
    secret, _ = enrol(english)
    browser = app.test_client()
    browser.post("/language", data={"locale": "en"})
    answer = sign_in(browser, user.username)
    assert answer.headers["Location"] == "/login/second-factor"
    assert browser.get("/admin/users").status_code == 302  # not signed in yet
    wrong = browser.post("/login/second-factor", data={"code": "123456"})
    assert wrong.status_code == 422 and WRONG in wrong.get_data(as_text=True)
    db_session.refresh(user)
    assert user.failed_logins == 2  # the password attempt stays counted, and the wrong code
    code = code_after(secret)
    assert browser.post("/login/second-factor", data={"code": code}).status_code == 302
    assert browser.get("/admin/users").status_code == 200
    db_session.refresh(user)
    assert user.failed_logins == 0
    again = app.test_client()
    sign_in(again, user.username)
    assert again.post("/login/second-factor", data={"code": code}).status_code == 422  # never twice
    trail = db_session.execute(
        select(AuditEvent.action, AuditEvent.field)
        .where(AuditEvent.subject_id == user.id)
        .order_by(AuditEvent.id)
    ).all()
    # Each right password, the wrong code, the sign-in with the right one, the code used twice.
    steps = ("second_factor_asked", "signed_in", "sign_in_failed")
    assert [tuple(row) for row in trail if row.action in steps] == [
        ("second_factor_asked", "password"),
        ("sign_in_failed", "second_factor"),
        ("signed_in", "password+second_factor"),
        ("second_factor_asked", "password"),
        ("sign_in_failed", "second_factor"),
    ]


def test_a_recovery_code_signs_in_once(english, app, db_session):
    user = make_user(Role.CITY_BUREAU)
    login(english, user)
    _, codes = enrol(english)
    browser = app.test_client()
    sign_in(browser, user.username)
    assert browser.post("/login/second-factor", data={"code": codes[0].lower()}).status_code == 302
    other = app.test_client()
    sign_in(other, user.username)
    assert other.post("/login/second-factor", data={"code": codes[0]}).status_code == 422
    assert "recovery_code_used" in db_session.scalars(select(AuditEvent.action)).all()


def test_a_few_wrong_codes_send_the_browser_back_to_the_password(app, english):
    user = make_user(Role.ADMIN)
    login(english, user)
    enrol(english)
    browser = app.test_client()
    sign_in(browser, user.username)
    for _ in range(5):
        browser.post("/login/second-factor", data={"code": "000000"})
    assert browser.get("/login/second-factor").headers["Location"] == "/login"


def test_the_code_step_expires_after_a_few_minutes(app, english, monkeypatch):
    user = make_user(Role.ADMIN)
    login(english, user)
    secret, _ = enrol(english)
    browser = app.test_client()
    sign_in(browser, user.username)
    later = time.time() + 301
    monkeypatch.setattr(time, "time", lambda: later)
    response = browser.post("/login/second-factor", data={"code": pyotp.TOTP(secret).at(later)})
    assert response.headers["Location"] == "/login"


@pytest.mark.parametrize("role", [Role.DISTRICT_BUREAU, Role.CITY_BUREAU, Role.ADMIN])
def test_required_roles_reach_only_the_set_up_until_they_have_a_second_factor(
    english, app, monkeypatch, role
):
    monkeypatch.setitem(app.config, "TWO_FACTOR_REQUIRED", True)
    login(english, make_user(role))
    for path in ("/", "/notifications/", "/verify", "/account/password"):
        response = english.get(path)
        assert response.status_code == 302 and response.headers["Location"] == "/account/two-factor", path
    page = english.get("/account/two-factor").get_data(as_text=True)
    assert "must sign in with a second factor" in page
    enrol(english)
    assert english.get("/notifications/").status_code == 200
    refused = english.post("/account/two-factor/disable", data={"code": "000000"})
    assert "must sign in with a second factor" in refused.get_data(as_text=True)


def test_outlets_and_inspectors_may_choose(english, app, monkeypatch, db_session):
    monkeypatch.setitem(app.config, "TWO_FACTOR_REQUIRED", True)
    outlet_user = make_user(Role.OUTLET, outlet=make_outlet())
    login(english, outlet_user)
    assert english.get("/applications/").status_code == 200
    secret, _ = enrol(english)
    off = english.post("/account/two-factor/disable", data={"code": code_after(secret)})
    assert off.status_code == 302
    db_session.refresh(outlet_user)
    assert outlet_user.totp_secret is None and outlet_user.totp_enabled_at is None


def test_the_administrator_resets_a_lost_device(english, app, db_session):
    user = make_user(Role.DISTRICT_BUREAU)
    login(english, user)
    enrol(english)
    admin = make_user(Role.ADMIN)
    login(english, admin)
    listing = english.get("/admin/users").get_data(as_text=True)
    assert f"/account/two-factor/reset/{user.id}" in listing
    assert english.post(f"/account/two-factor/reset/{user.id}").status_code == 302
    db_session.refresh(user)
    assert user.totp_secret is None and user.totp_enabled_at is None
    assert db_session.scalars(select(RecoveryCode).where(RecoveryCode.user_id == user.id)).all() == []
    event = db_session.scalar(select(AuditEvent).where(AuditEvent.action == "two_factor_reset"))
    assert (event.actor_id, event.subject_id) == (admin.id, user.id)
    browser = app.test_client()
    assert sign_in(browser, user.username).headers["Location"] == "/"  # the password alone, to enrol again


def test_only_the_administrator_resets(english):
    user = make_user(Role.DISTRICT_BUREAU)
    login(english, make_user(Role.CITY_BUREAU))
    assert english.post(f"/account/two-factor/reset/{user.id}").status_code == 403


def test_production_requires_it_and_development_and_tests_do_not(app, monkeypatch, tmp_path):
    assert app.config["TWO_FACTOR_REQUIRED"] is False
    monkeypatch.setenv("SECRET_KEY", "p" * 48)
    monkeypatch.setenv("DATABASE_URL", "postgresql://postgres@127.0.0.1/x")
    monkeypatch.setenv("OUTLET_AUDIT_INSTANCE", str(tmp_path))
    monkeypatch.delenv("TWO_FACTOR_REQUIRED", raising=False)
    assert create_app("production").config["TWO_FACTOR_REQUIRED"] is True
    assert create_app("development").config["TWO_FACTOR_REQUIRED"] is False


@pytest.mark.parametrize(
    ("value", "default", "expected"),
    [("", True, True), ("", False, False), ("0", True, False), ("off", True, False), ("1", False, True)],
)
def test_the_flag_is_read_from_the_environment(monkeypatch, value, default, expected):
    monkeypatch.setenv("TWO_FACTOR_REQUIRED", value)
    assert _env_flag("TWO_FACTOR_REQUIRED", default) is expected


def any_value(rule, argument: str):
    """A value the URL rule takes for a non-id argument: one of its choices, a number where it wants
    one (a route may name a record without "_id", as /exports/<int:export>/download does), else text."""
    converter = rule._converters[argument]
    choices = getattr(converter, "items", None)
    if choices:
        return sorted(choices)[0]
    return 1 if isinstance(converter, NumberConverter) else "x"


def test_in_production_a_bureau_account_without_a_second_factor_reaches_no_page(
    monkeypatch, tmp_path, tmp_path_factory
):
    """The production configuration itself, on its own database: every page, for every way in."""
    with fresh_database(tmp_path_factory) as url:
        monkeypatch.setenv("SECRET_KEY", "p" * 48)
        monkeypatch.setenv("DATABASE_URL", url)
        monkeypatch.setenv("OUTLET_AUDIT_INSTANCE", str(tmp_path))
        monkeypatch.delenv("TWO_FACTOR_REQUIRED", raising=False)
        app = create_app("production")
        with app.app_context():
            upgrade()
            outlet = make_outlet("FX")
            bureau = make_user(Role.DISTRICT_BUREAU, district_code="FX")
            enrolled = make_user(Role.DISTRICT_BUREAU, district_code="FX", totp_secret=pyotp.random_base32())
            enrolled.totp_enabled_at = enrolled.created_at
            db.session.commit()
            tokens = bureau.get_id(), enrolled.get_id()
            outlet_id = outlet.id
        client = app.test_client()
        with client.session_transaction(base_url="https://localhost") as session:
            session["_user_id"], session["_fresh"] = tokens[0], True
        reached = []
        for rule in app.url_map.iter_rules():
            if "GET" not in rule.methods or rule.endpoint in ("static", "bootstrap.static"):
                continue
            values = {
                arg: outlet_id if arg.endswith("_id") else any_value(rule, arg) for arg in rule.arguments
            }
            url = rule.build(values)[1]
            response = client.get(url, base_url="https://localhost")
            to_set_up = response.status_code == 302 and response.headers["Location"] == "/account/two-factor"
            if (
                not to_set_up
                and response.status_code not in (403, 404)
                and rule.endpoint != "two_factor.index"
            ):
                reached.append(f"{url}: {response.status_code}")
        assert reached == []
        set_up = client.get("/account/two-factor", base_url="https://localhost").get_data(as_text=True)
        token = re.search(r'name="csrf_token" value="([^"]+)"', set_up)[1]
        posted = client.post(
            f"/outlets/{outlet_id}/verify",
            data={"csrf_token": token},
            headers={"Referer": "https://localhost/account/two-factor"},  # Flask-WTF checks it over HTTPS
            base_url="https://localhost",
        )
        assert posted.headers["Location"] == "/account/two-factor"
        with client.session_transaction(base_url="https://localhost") as session:
            session["_user_id"] = tokens[1]
        assert client.get("/outlets/verification", base_url="https://localhost").status_code == 200
        with app.app_context():
            db.session.remove()
            db.engine.dispose()


def test_the_password_reset_does_not_skip_the_second_factor(english, app, monkeypatch):
    user = make_user(Role.ADMIN, email="root@example.test")
    login(english, user)
    enrol(english)
    db.session.expire_all()
    assert db.session.get(User, user.id).totp_enabled_at is not None
    browser = app.test_client()
    assert sign_in(browser, user.username).headers["Location"] == "/login/second-factor"


def test_a_sole_administrator_who_lost_the_phone_gets_back_in_from_the_command_line(english, app, db_session):
    admin = make_user(Role.ADMIN, username="sole-admin")
    login(english, admin)
    enrol(english)
    runner = app.test_cli_runner()
    result = runner.invoke(args=["users", "reset-two-factor", "sole-admin"])
    assert result.exit_code == 0, result.output
    db_session.refresh(admin)
    assert admin.totp_enabled_at is None and admin.totp_secret is None
    event = db_session.scalar(select(AuditEvent).where(AuditEvent.action == "two_factor_reset"))
    assert event.actor_id is None and event.subject_id == admin.id
    again = runner.invoke(args=["users", "reset-two-factor", "sole-admin"])
    assert again.exit_code == 1 and "no second factor to reset" in again.output
    assert (
        runner.invoke(args=["users", "reset-two-factor", "nobody"]).output.strip().endswith("no user nobody")
    )
