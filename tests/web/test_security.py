"""Hardening that holds for every page: CSRF, headers, cookies, rate limits (shared through Redis),
safe output."""

import logging
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from outlet_audit.extensions import limiter
from outlet_audit.roles import Role
from tests.conftest import make_test_app
from tests.factories import PASSWORD, login, make_user
from tests.redis_server import redis_server


def dummy_url(rule) -> str:
    values = {arg: (1 if "id" in arg else "x") for arg in rule.arguments}
    converters = rule._converters  # int converters need ints, paths need text
    for arg, converter in converters.items():
        if type(converter).__name__ == "AnyConverter":  # one of its words (an export's kind and format)
            values[arg] = sorted(converter.items)[0]
        elif type(converter).__name__ in ("UnicodeConverter", "PathConverter"):
            values[arg] = "WFKD-2025-FX-Q-0001" if "number" in arg else "x"
    return rule.build(values)[1]


@pytest.fixture
def csrf_app(database_url, tmp_path, db_session):
    return make_test_app(database_url, tmp_path, WTF_CSRF_ENABLED=True)


def post_endpoints(app):
    return [rule for rule in app.url_map.iter_rules() if "POST" in rule.methods]


def test_every_post_endpoint_refuses_a_missing_or_wrong_csrf_token(csrf_app):
    client = csrf_app.test_client()
    login(client, make_user(Role.ADMIN))  # the test's app context keeps the user's savepoint open
    rules = post_endpoints(csrf_app)
    assert len(rules) >= 8
    for rule in rules:
        url = dummy_url(rule)
        missing = client.post(url, data={"x": "1"})
        assert missing.status_code == 400, f"{rule.endpoint} accepted a POST without a CSRF token"
        wrong = client.post(url, data={"csrf_token": "forged"}, headers={"X-CSRFToken": "forged"})
        assert wrong.status_code == 400, f"{rule.endpoint} accepted a forged CSRF token"
        # a script's request (the checklist's saves and uploads) is told why, in its own word, on
        # every blueprint: the page then asks for a fresh token instead of calling a photo refused
        scripted = client.post(url, data={"x": "1"}, headers={"Accept": "application/json"})
        assert (scripted.status_code, scripted.get_json()["status"]) == (400, "csrf"), rule.endpoint


def test_a_valid_csrf_token_is_accepted(csrf_app):
    client = csrf_app.test_client()
    user = make_user(Role.INSPECTOR)
    page = client.get("/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
    response = client.post(
        "/login", data={"csrf_token": token, "username": user.username, "password": PASSWORD}
    )
    assert response.status_code == 302


def test_security_headers_on_every_page(client):
    response = client.get("/login")
    csp = response.headers["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp and "frame-ancestors 'none'" in csp
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"] == "same-origin"
    assert "Strict-Transport-Security" not in response.headers  # only over HTTPS
    secure = client.get("/login", base_url="https://localhost")
    assert "max-age=" in secure.headers["Strict-Transport-Security"]


def test_pages_carry_no_inline_script_or_style(client, db_session):
    login(client, make_user(Role.ADMIN))
    for url in ("/", "/login", "/register", "/admin/users", "/admin/users/new"):
        page = client.get(url).get_data(as_text=True)
        assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", page), f"inline script on {url}"
        assert " style=" not in page, f"inline style on {url}"
        assert not re.search(r"\son[a-z]+=", page), f"inline event handler on {url}"


SIGN_IN_FAILED = "Sign-in failed. Check the username and password."


@pytest.fixture
def limited_app(app, database_url, tmp_path):
    """Build an app with its own limits; the limiter is one object for every app in the process,
    so the session's app gets its own storage back afterwards."""

    yield lambda **overrides: make_test_app(database_url, tmp_path, **overrides)
    limiter.init_app(app)
    limiter._storage_dead = False  # Flask-Limiter's fallback flag, if a test stopped its Redis


def sign_in(client, username, password=PASSWORD):
    client.post("/language", data={"locale": "en"})
    return client.post("/login", data={"username": username, "password": password})


def test_the_address_limit_counts_failed_sign_ins_and_answers_like_any_failure(limited_app, db_session):
    app = limited_app(RATELIMIT_LOGIN="3 per minute")
    client = app.test_client()
    user = make_user(Role.INSPECTOR)
    for _ in range(4):  # sign-ins that work cost nothing
        assert sign_in(client, user.username).status_code == 302
        client.post("/logout")
    for _ in range(3):
        assert sign_in(client, "nobody", "wrong-password-1").status_code == 200
    limited = sign_in(client, user.username)
    assert limited.status_code == 200  # not 429: the same answer as every other failure
    assert SIGN_IN_FAILED in limited.get_data(as_text=True)
    db_session.refresh(user)
    assert user.failed_logins == 0  # stopped before the account was tried at all


def test_wrong_current_passwords_count_against_the_address_too(limited_app, db_session):
    """A borrowed session must not become an unlimited way to guess the account's password."""
    app = limited_app(RATELIMIT_LOGIN="2 per minute")
    client = app.test_client()
    login(client, make_user(Role.INSPECTOR))
    wrong = {"current_password": "guess-number-1", "new_password": "lantern orchard 47", "confirm": "x"}
    assert [client.post("/account/password", data=wrong).status_code for _ in range(3)] == [200, 200, 429]


SUBPROCESS_SIGN_INS = """
import sys
from tests.conftest import make_test_app
url, instance, storage, count = sys.argv[1:5]
app = make_test_app(url, __import__("pathlib").Path(instance), RATELIMIT_STORAGE_URI=storage,
                    RATELIMIT_LOGIN="4 per minute")
client = app.test_client()
codes = [client.post("/login", data={"username": "nobody", "password": "wrong-password-1"}).status_code
         for _ in range(int(count))]
assert codes == [200] * int(count), codes
"""


@pytest.mark.parametrize("shared", [True, False], ids=["redis", "memory"])
def test_two_processes_sharing_the_storage_count_attempts_together(
    limited_app, database_url, tmp_path, db_session, shared
):
    """Two workers are two processes: with Redis the second sees the first one's failures; with
    memory:// (the control) it does not, which is how 62 of 70 attempts got through four workers."""
    with redis_server() as redis_url:
        storage = redis_url if shared else "memory://"
        other_worker = subprocess.run(
            [sys.executable, "-c", SUBPROCESS_SIGN_INS, database_url, str(tmp_path / "other"), storage, "2"],
            cwd=Path(__file__).resolve().parents[2],
            env={**os.environ, "OUTLET_AUDIT_INSTANCE": str(tmp_path / "other")},
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert other_worker.returncode == 0, other_worker.stderr
        app = limited_app(RATELIMIT_STORAGE_URI=storage, RATELIMIT_LOGIN="4 per minute")
        client = app.test_client()
        user = make_user(Role.INSPECTOR)
        for _ in range(2):
            sign_in(client, user.username, "wrong-password-1")
        fifth = sign_in(client, user.username)
    if shared:
        assert fifth.status_code == 200 and SIGN_IN_FAILED in fifth.get_data(as_text=True)
    else:
        assert fifth.status_code == 302


def test_a_redis_outage_falls_back_to_counting_in_the_process(limited_app, db_session, caplog):
    with redis_server() as redis_url:
        app = limited_app(RATELIMIT_STORAGE_URI=redis_url, RATELIMIT_LOGIN="3 per minute")
        client = app.test_client()
        assert sign_in(client, "nobody", "wrong-password-1").status_code == 200
    # The server is gone: requests are still answered (and still limited), never a 500.
    user = make_user(Role.INSPECTOR)
    assert sign_in(client, "nobody", "wrong-password-1").status_code == 200
    assert sign_in(client, user.username).status_code == 302
    assert client.get("/verify").status_code == 200
    assert "falling back to in-memory storage" in caplog.text


def test_public_pages_share_one_limit_per_address_with_a_translated_429(limited_app, db_session):
    app = limited_app(RATELIMIT_PUBLIC="3 per minute")
    chinese, english = app.test_client(), app.test_client()
    english.post("/language", data={"locale": "en"})
    codes = [chinese.get(url).status_code for url in ("/verify", "/directory", "/verify/WFKD-2025-FX-Q-0001")]
    assert codes == [200, 200, 404]
    refused = chinese.get("/directory")
    assert refused.status_code == 429 and int(refused.headers["Retry-After"]) > 0
    assert "请求过多" in refused.get_data(as_text=True)
    assert "Too many requests" in english.get("/verify").get_data(as_text=True)  # same address
    as_json = chinese.get("/verify?number=x", headers={"Accept": "application/json"})
    assert as_json.status_code == 429 and as_json.is_json
    assert as_json.get_json()["status"] == "too_many_requests" and int(as_json.headers["Retry-After"]) > 0


def test_ipv6_clients_are_counted_per_64(limited_app, db_session):
    app = limited_app(RATELIMIT_PUBLIC="2 per minute")
    client = app.test_client()

    def get(address):
        return client.get("/verify", environ_base={"REMOTE_ADDR": address}).status_code

    assert [get("2001:db8::1"), get("2001:db8::ffff:2")] == [200, 200]
    assert get("2001:db8::3") == 429  # the same /64: one customer
    assert get("2001:db8:0:1::1") == 200  # the next /64: somebody else
    assert [get("10.0.0.1"), get("::ffff:10.0.0.1"), get("10.0.0.1")] == [200, 200, 429]


def test_production_warns_at_start_when_limits_are_counted_per_process(
    monkeypatch, tmp_path, database_url, caplog, app
):
    monkeypatch.setenv("SECRET_KEY", "p" * 48)
    monkeypatch.setenv("DATABASE_URL", database_url)
    monkeypatch.setenv("OUTLET_AUDIT_INSTANCE", str(tmp_path))
    from outlet_audit import create_app

    try:
        with caplog.at_level(logging.WARNING):
            create_app("production", RATELIMIT_STORAGE_URI="memory://")
        assert "RATELIMIT_STORAGE_URI is memory://" in caplog.text
        caplog.clear()
        with caplog.at_level(logging.WARNING):
            create_app("production", RATELIMIT_STORAGE_URI="redis://127.0.0.1:1")
        assert "RATELIMIT_STORAGE_URI" not in caplog.text
    finally:
        limiter.init_app(app)


def test_markup_typed_by_users_stays_inert_in_pages(client, db_session):
    hostile = "<script>alert(1)</script><b>&\"'"
    admin = make_user(Role.ADMIN, display_name=hostile)
    login(client, admin)
    page = client.get("/admin/users").get_data(as_text=True)
    assert "<script>alert(1)</script>" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page


def test_production_session_cookie_is_secure_httponly_and_samesite(monkeypatch, tmp_path, database_url):
    monkeypatch.setenv("SECRET_KEY", "p" * 48)
    monkeypatch.setenv("DATABASE_URL", database_url)
    monkeypatch.setenv("OUTLET_AUDIT_INSTANCE", str(tmp_path))
    from outlet_audit import create_app

    app = create_app("production")
    client = app.test_client()
    client.post("/language", data={"locale": "en"}, base_url="https://localhost")
    cookie = client.get_cookie("__Host-session", domain="localhost")
    assert cookie is not None
    assert cookie.secure and cookie.http_only and cookie.same_site == "Lax"
