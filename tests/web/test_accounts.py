"""Signing in and out, sign-in throttling, registration, password change and the admin's account pages."""

import re
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from outlet_audit.accounts import models as account_models
from outlet_audit.accounts import operations as account_operations
from outlet_audit.accounts.models import User
from outlet_audit.audit.models import AuditEvent
from outlet_audit.core.time import utcnow
from outlet_audit.outlets.models import Outlet
from outlet_audit.roles import Role
from tests.factories import PASSWORD, district, login, make_outlet, make_user

WRONG = "Sign-in failed. Check the username and password."
NEW_PASSWORD = "lantern orchard 47 kites"


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


def alerts(page: str) -> list[str]:
    """The texts of the page's error alerts and field errors, without markup."""
    found = re.findall(r'class="(?:alert alert-danger|invalid-feedback)[^"]*"[^>]*>(.*?)</div>', page, re.S)
    return [re.sub(r"<[^>]+>|\s+", " ", text).strip() for text in found]


@pytest.mark.parametrize("username, password", [("nobody", PASSWORD), ("KNOWN", "not-the-password-1")])
def test_failures_do_not_reveal_which_part_was_wrong(english, username, password):
    make_user(Role.INSPECTOR, username="known")
    page = sign_in(english, username, password).get_data(as_text=True)
    assert WRONG in page
    assert f'value="{username}"' in page  # what was typed stays


def test_username_is_case_insensitive(english):
    make_user(Role.INSPECTOR, username="Inspector.Gu")
    assert sign_in(english, "inspector.gu").status_code == 302


def throttle(user, db_session, failures: int) -> None:
    user.failed_logins = failures
    user.login_blocked_until = utcnow() + timedelta(minutes=10)
    db_session.flush()


FAILURE_KINDS = ["unknown name", "wrong password", "account waiting", "disabled"]


def failing_sign_in(kind: str, db_session) -> tuple[str, str]:
    """A username and password that fail to sign in for the given reason."""
    if kind == "unknown name":
        return "nobody-here", PASSWORD
    if kind == "wrong password":
        return make_user(Role.ADMIN).username, "not-the-password-1"
    if kind == "account waiting":  # the right password, while the account must wait
        user = make_user(Role.ADMIN)
        throttle(user, db_session, failures=8)
        return user.username, PASSWORD
    return make_user(Role.ADMIN, active=False).username, PASSWORD


@pytest.mark.parametrize("kind", FAILURE_KINDS)
def test_every_failed_sign_in_gets_the_same_answer_for_one_password_hash(
    english, db_session, monkeypatch, kind
):
    """Same status, same one message (nothing else), and exactly one check of a hash made the
    configured way, whether or not the account exists, may sign in or must wait."""
    checked = []

    def counting(original):
        def check(pwhash, password):
            checked.append(pwhash.split("$")[0])
            return original(pwhash, password)

        return check

    monkeypatch.setattr(account_models, "check_password_hash", counting(account_models.check_password_hash))
    monkeypatch.setattr(
        account_operations, "check_password_hash", counting(account_operations.check_password_hash)
    )
    username, password = failing_sign_in(kind, db_session)
    response = sign_in(english, username, password)
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert [text.startswith(WRONG) for text in alerts(page)] == [True]
    assert f'value="{username}"' in page
    assert checked == ["pbkdf2:sha256:1000"]  # TestingConfig's method, for real and dummy hashes alike


def test_the_account_wait_grows_caps_and_ends_by_itself(app, english, db_session):
    user = make_user(Role.ADMIN)  # the administrator too: nobody can be locked out for good
    free = app.config["LOGIN_THROTTLE_AFTER_FAILURES"]
    base, ceiling = app.config["LOGIN_THROTTLE_BASE_SECONDS"], app.config["LOGIN_THROTTLE_MAX_SECONDS"]
    for _ in range(free - 1):
        sign_in(english, user.username, "wrong-password-1")
    db_session.refresh(user)
    assert user.failed_logins == free - 1 and user.login_blocked_until is None
    waits = []
    for _ in range(8):
        sign_in(english, user.username, "wrong-password-1")
        db_session.refresh(user)
        waits.append(round((user.login_blocked_until - utcnow()).total_seconds()))
        # While it waits, even the right password is refused, with the same answer...
        assert WRONG in sign_in(english, user.username).get_data(as_text=True)
        # ...and does not lengthen the wait. Then the wait ends by itself (time passes here).
        user.login_blocked_until = utcnow() - timedelta(seconds=1)
        db_session.flush()
    expected = [min(base * 2**n, ceiling) for n in range(8)]
    assert all(abs(got - want) <= 2 for got, want in zip(waits, expected, strict=True)), waits
    assert waits[-1] == pytest.approx(ceiling, abs=2)
    assert sign_in(english, user.username).status_code == 302
    db_session.refresh(user)
    assert user.failed_logins == 0 and user.login_blocked_until is None
    assert (
        db_session.scalar(
            select(func.count()).where(
                AuditEvent.action == "login_throttled", AuditEvent.subject_id == user.id
            )
        )
        == 1
    )


def test_a_wait_does_not_sign_out_the_accounts_sessions(app, english, db_session):
    user = make_user(Role.INSPECTOR)
    owner = app.test_client()
    login(owner, user)
    for _ in range(app.config["LOGIN_THROTTLE_AFTER_FAILURES"] + 2):
        sign_in(english, user.username, "wrong-password-1")
    db_session.refresh(user)
    assert user.login_blocked_until > utcnow()
    assert owner.get("/account/password").status_code == 200


def test_a_browser_that_signed_in_before_skips_the_wait_a_stranger_caused(app, english, db_session):
    user = make_user(Role.ADMIN)
    assert sign_in(english, user.username).status_code == 302  # the owner's browser is now known
    english.post("/logout")
    stranger, forger = app.test_client(), app.test_client()
    for other in (stranger, forger):
        other.post("/language", data={"locale": "en"})
    for _ in range(app.config["LOGIN_THROTTLE_AFTER_FAILURES"] + 3):
        sign_in(stranger, user.username, "wrong-password-1")
    assert WRONG in sign_in(stranger, user.username).get_data(as_text=True)
    forger.set_cookie("known-device", english.get_cookie("known-device").value[:-2] + "xx")
    assert WRONG in sign_in(forger, user.username).get_data(as_text=True)
    assert sign_in(english, user.username).status_code == 302  # the owner is not kept out


def test_a_streak_long_over_starts_again(english, db_session):
    user = make_user(Role.INSPECTOR)
    user.failed_logins = 12
    user.login_blocked_until = utcnow() - timedelta(days=2)
    db_session.flush()
    sign_in(english, user.username, "wrong-password-1")
    db_session.refresh(user)
    assert user.failed_logins == 1 and user.login_blocked_until is None


def test_the_administrator_can_end_a_wait_early(english, db_session):
    user = make_user(Role.INSPECTOR)
    throttle(user, db_session, failures=9)
    login(english, make_user(Role.ADMIN))
    page = english.get("/admin/users").get_data(as_text=True)
    assert "Sign-in wait" in page
    english.post(f"/admin/users/{user.id}/unlock")
    db_session.refresh(user)
    assert user.login_blocked_until is None and user.failed_logins == 0
    english.post("/logout")
    assert sign_in(english, user.username).status_code == 302


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
        "password": NEW_PASSWORD,
    }
    data.update(overrides)
    return data


def test_outlet_registers_and_reaches_only_its_registration_until_verified(english, db_session):
    response = english.post("/register", data=registration())
    assert response.status_code == 302
    outlet = db_session.scalar(select(Outlet).where(Outlet.permit_number == "SH-KD-2024-0099"))
    assert outlet is not None and not outlet.verified
    assert sign_in(english, "zto-fx", NEW_PASSWORD).status_code == 302
    assert english.get("/applications/").headers["Location"] == "/registration"
    assert "registration-waiting" in english.get("/registration").get_data(as_text=True)
    outlet.verified = True
    db_session.flush()
    assert english.get("/applications/").status_code == 200


@pytest.mark.parametrize(
    "overrides, field_message",
    [
        ({"permit_number": "abc"}, "at least four digits"),
        ({"permit_number": "<script>1234"}, "at least four digits"),
        ({"phone": "12345"}, "mobile number"),
        ({"district_id": "0"}, "Choose the district"),
        ({"password": "short1"}, "at least 10 characters"),
        ({"password": "x" * 129}, "at most 128 characters"),
        ({"password": "password2024"}, "very common password"),
        ({"password": "qwertyuiop12"}, "very common password"),
        ({"password": "zto-fx summer 2024 river"}, "your username or your name"),
        ({"password": "ceshi lantern orchard", "display_name": "Zhao Ceshi"}, "your username or your name"),
        ({"password": "abcdefghijkl1"}, "Sequences such as abc"),
        ({"email": "not-an-address"}, "Enter an e-mail address"),
        ({"email": "staff@"}, "Enter an e-mail address"),
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


def test_a_taken_permit_or_username_is_refused_without_saying_which(english, db_session):
    make_outlet(permit_number="SH-KD-2024-0099")
    make_user(Role.INSPECTOR, username="taken-name")
    for overrides in (
        {},  # the permit number is registered
        {"permit_number": "SH-KD-2024-0100", "username": "TAKEN-name"},  # the username is
    ):
        data = registration(**overrides)
        response = english.post("/register", data=data)
        page = response.get_data(as_text=True)
        assert response.status_code == 200
        assert alerts(page) == [
            "We could not register an outlet with these details. If your outlet is in the system "
            "already (entered by the district bureau, or registered by a colleague), ask the district "
            "bureau or the manager of your outlet for an invitation code."
        ]
        assert "already registered" not in page and "taken" not in page.replace("TAKEN-name", "")
        assert "奉贤区测试路 1 号" in page and f'value="{data["username"]}"' in page
        assert f'value="{data["permit_number"].upper()}"' in page
        assert NEW_PASSWORD not in page  # everything typed stays but the password
    outlets = db_session.scalars(select(Outlet).where(Outlet.permit_number.like("SH-KD-2024-01%"))).all()
    assert outlets == []


def test_a_refused_registration_costs_the_same_password_hash_as_an_accepted_one(
    english, db_session, monkeypatch
):
    hashed = []
    original = account_models.generate_password_hash
    monkeypatch.setattr(
        account_models, "generate_password_hash", lambda *a, **k: hashed.append(1) or original(*a, **k)
    )
    make_outlet(permit_number="SH-KD-2024-0099")
    english.post("/register", data=registration())
    assert hashed == [1]
    english.post("/register", data=registration(permit_number="SH-KD-2024-0123", username="new-name"))
    assert hashed == [1, 1]


def test_reserved_test_addresses_only_outside_production(app, english, db_session, monkeypatch):
    response = english.post("/register", data=registration(email="zhao@example.com"))
    assert response.status_code == 302  # development and tests: the reserved domains are fine
    monkeypatch.setitem(app.config, "EMAIL_ALLOW_TEST_DOMAINS", False)
    for address in ("zhao@example.com", "zhao@shop.example.org", "zhao@outlet.test"):
        page = english.post(
            "/register", data=registration(email=address, permit_number="SH-KD-2024-0456", username="other")
        ).get_data(as_text=True)
        assert "reserved test address" in page or "Enter an e-mail address" in page, address
    response = english.post(
        "/register", data=registration(email="Zhao@QQ.com", permit_number="SH-KD-2024-0456", username="other")
    )
    assert response.status_code == 302
    user = db_session.scalar(select(User).where(User.username == "other"))
    assert user.email == "Zhao@qq.com"  # the domain as email-validator normalises it


def test_production_configuration_refuses_test_domains():
    from outlet_audit.config import DevelopmentConfig, ProductionConfig, TestingConfig

    assert not ProductionConfig.EMAIL_ALLOW_TEST_DOMAINS
    assert DevelopmentConfig.EMAIL_ALLOW_TEST_DOMAINS and TestingConfig.EMAIL_ALLOW_TEST_DOMAINS


def test_registrations_per_address_are_limited_but_typing_errors_are_free(database_url, tmp_path, db_session):
    from tests.conftest import make_test_app

    app = make_test_app(database_url, tmp_path, RATELIMIT_REGISTER="2 per hour")
    client = app.test_client()
    client.post("/language", data={"locale": "en"})
    make_outlet(permit_number="SH-KD-2024-0099")
    for _ in range(4):  # form errors: nothing reached the database, nothing counted
        assert client.post("/register", data=registration(phone="1")).status_code == 200
    assert client.post("/register", data=registration()).status_code == 200  # refused: counted
    assert client.post("/register", data=registration(permit_number="SH-KD-2024-0777")).status_code == 302
    limited = client.post("/register", data=registration(permit_number="SH-KD-2024-0778", username="x2"))
    assert limited.status_code == 429
    assert "Too many requests" in limited.get_data(as_text=True)
    assert int(limited.headers["Retry-After"]) > 0


def test_password_change_signs_out_other_sessions(app, english, db_session):
    user = make_user(Role.INSPECTOR)
    other = app.test_client()
    login(other, user)
    login(english, user)
    page = english.post(
        "/account/password",
        data={"current_password": "wrong", "new_password": NEW_PASSWORD, "confirm": NEW_PASSWORD},
    ).get_data(as_text=True)
    assert "current password is wrong" in page
    response = english.post(
        "/account/password",
        data={"current_password": PASSWORD, "new_password": NEW_PASSWORD, "confirm": NEW_PASSWORD},
    )
    assert response.status_code == 302
    assert english.get("/account/password").status_code == 200  # this session goes on
    assert other.get("/account/password").status_code == 302  # the other one is signed out
    db_session.refresh(user)
    assert user.check_password(NEW_PASSWORD)
    assert (
        db_session.scalar(
            select(func.count()).where(
                AuditEvent.action == "password_changed", AuditEvent.subject_id == user.id
            )
        )
        == 1
    )


def test_a_new_password_follows_the_policy_with_the_accounts_own_names(english, db_session):
    user = make_user(Role.INSPECTOR, username="gu.minghui", display_name="Gu Minghui")
    login(english, user)
    for weak, message in (
        ("minghui river lantern", "your username or your name"),
        ("iloveyou1234", "very common password"),
        ("short", "at least 10 characters"),
    ):
        page = english.post(
            "/account/password", data={"current_password": PASSWORD, "new_password": weak, "confirm": weak}
        ).get_data(as_text=True)
        assert message in page, weak
    db_session.refresh(user)
    assert user.check_password(PASSWORD)


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
        "password": NEW_PASSWORD,
    }
    assert english.post("/admin/users/new", data=data).status_code == 302
    user = db_session.scalar(select(User).where(User.username == "qp-inspector"))
    assert user.role == Role.INSPECTOR and user.district.code == "QP"


@pytest.mark.parametrize(
    "data, message",
    [
        pytest.param(
            {
                "role": "city_bureau",
                "district_id": "0",
                "username": "city.reviewer",
                "display_name": "City Reviewer",
                "password": "city.reviewer.2026",
            },
            "your username or your name",
            id="the password policy",
        ),
        pytest.param(
            {
                "role": "inspector",
                "district_id": "0",
                "username": "nodistrict",
                "display_name": "x",
                "password": NEW_PASSWORD,
            },
            "belong to a district",
            id="an inspector needs a district",
        ),
    ],
)
def test_the_admin_form_refuses_and_writes_nothing(english, db_session, data, message):
    login(english, make_user(Role.ADMIN))
    page = english.post("/admin/users/new", data=data).get_data(as_text=True)
    assert message in page
    assert db_session.scalar(select(User).where(User.username == data["username"])) is None


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


@pytest.mark.postgres_only
def test_concurrent_guesses_at_the_edge_of_a_wait_get_one_try(tmp_path_factory, tmp_path, monkeypatch):
    """Eight guesses sent at once when the next failure earns a wait: one is tried, seven wait.
    Real commits on a database of its own; each request is a separate session, as in gunicorn."""
    import threading

    from flask_migrate import upgrade

    from outlet_audit.extensions import db
    from tests.conftest import fresh_database, make_test_app

    threads = 8
    with fresh_database(tmp_path_factory) as url:
        app = make_test_app(url, tmp_path, SQLALCHEMY_ENGINE_OPTIONS={"pool_size": threads + 2})
        with app.app_context():
            upgrade()
            user = make_user(Role.INSPECTOR)
            user.failed_logins = app.config["LOGIN_THROTTLE_AFTER_FAILURES"] - 1
            db.session.commit()
            user_id, username = user.id, user.username
            db.session.remove()
        tried = []
        original = User.check_password
        monkeypatch.setattr(User, "check_password", lambda self, pw: tried.append(1) or original(self, pw))
        barrier = threading.Barrier(threads)
        codes = []

        def guess():
            client = app.test_client()
            barrier.wait()
            codes.append(sign_in(client, username, "wrong-password-1").status_code)

        workers = [threading.Thread(target=guess) for _ in range(threads)]
        for worker in workers:
            worker.start()
        for worker in workers:
            worker.join(timeout=60)
        with app.app_context():
            user = db.session.get(User, user_id)
            assert codes == [200] * threads
            assert len(tried) == 1
            assert user.failed_logins == app.config["LOGIN_THROTTLE_AFTER_FAILURES"]
            assert user.login_blocked_until > utcnow()
            db.session.remove()
            db.engine.dispose()
