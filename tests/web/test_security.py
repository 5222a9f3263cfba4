"""Hardening that holds for every page: CSRF, headers, cookies, brute-force limits, safe output."""

import re

import pytest

from outlet_audit.roles import Role
from tests.conftest import make_test_app
from tests.factories import PASSWORD, login, make_user


def dummy_url(rule) -> str:
    values = {arg: (1 if "id" in arg else "x") for arg in rule.arguments}
    converters = rule._converters  # int converters need ints, paths need text
    for arg, converter in converters.items():
        if type(converter).__name__ in ("UnicodeConverter", "PathConverter", "AnyConverter"):
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


def test_login_attempts_are_rate_limited(database_url, tmp_path, db_session):
    app = make_test_app(database_url, tmp_path, RATELIMIT_LOGIN="3 per minute")
    client = app.test_client()
    codes = [client.post("/login", data={"username": "x", "password": "y"}).status_code for _ in range(5)]
    assert codes[:3] == [200, 200, 200] and codes[3:] == [429, 429]


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
