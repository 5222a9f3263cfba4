"""Single sign-on (accounts/oidc.py) against a real OpenID Connect provider on 127.0.0.1
(tests/oidc_provider.py): our application's Authlib client talks to it over HTTP (discovery,
token, JWKS); the browser's trips to its authorization page are made with requests."""

from urllib.parse import parse_qs, urlsplit

import pyotp
import pytest
import requests
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import func, select

from outlet_audit.accounts.models import User
from outlet_audit.audit.models import AuditEvent
from outlet_audit.config import ConfigError
from outlet_audit.extensions import db
from outlet_audit.roles import Role
from tests.conftest import connection_bound_session, make_test_app
from tests.factories import login, make_user
from tests.oidc_provider import CLIENT_ID, CLIENT_SECRET, Provider
from tests.web.test_fuzz_forms import HOSTILE_QUERY_VALUES, QUERY_NAMES, VALUE, fuzz_settings

NOT_LINKED = "This identity is not linked to any account here."
NOT_VERIFIED = "could not be verified"


@pytest.fixture(scope="module")
def provider():
    with Provider() as running:
        yield running


@pytest.fixture(scope="module")
def sso_app(app, database_url, tmp_path_factory, provider):
    """The application with single sign-on on, on the tests' database (which `app` migrated)."""
    return make_test_app(
        database_url,
        tmp_path_factory.mktemp("sso"),
        OIDC_ISSUER=provider.issuer,
        OIDC_CLIENT_ID=CLIENT_ID,
        OIDC_CLIENT_SECRET=CLIENT_SECRET,
        OIDC_SCOPES="openid email",
        OIDC_MFA_VALUES="mfa,otp",
        BABEL_DEFAULT_LOCALE="en",
    )


@pytest.fixture
def sso(sso_app, provider):
    provider.id_token_fault = None
    provider.person.sub, provider.person.email, provider.person.amr = "citizen-0001", "", ["pwd"]
    with connection_bound_session(sso_app):
        yield sso_app.test_client()


def to_provider_and_back(client, start: str = "/login/oidc", method: str = "get"):
    """Follow the browser: our redirect to the provider, its approval, back to our callback."""
    leaving = getattr(client, method)(start)
    assert leaving.status_code == 302, leaving.get_data(as_text=True)
    return back_from(client, approve(leaving.location))


def approve(authorize_url: str) -> str:
    answer = requests.get(authorize_url, allow_redirects=False, timeout=10)
    assert answer.status_code == 302, answer.text
    return answer.headers["Location"]


def back_from(client, callback_url: str):
    parts = urlsplit(callback_url)
    assert parts.path == "/login/oidc/callback"
    return client.get(f"{parts.path}?{parts.query}")


def signed_in_as(client) -> str | None:
    with client.session_transaction() as session:
        return session.get("_user_id")


def actions(user: User) -> list[str]:
    return db.session.scalars(
        select(AuditEvent.action).where(AuditEvent.subject_type == "user", AuditEvent.subject_id == user.id)
    ).all()


def test_the_redirect_carries_state_nonce_and_a_pkce_challenge(sso, provider):
    leaving = sso.get("/login/oidc")
    assert leaving.location.startswith(f"{provider.issuer}/authorize?")
    query = parse_qs(urlsplit(leaving.location).query)
    assert query["client_id"] == [CLIENT_ID] and query["response_type"] == ["code"]
    assert query["state"][0] and query["nonce"][0]
    assert query["code_challenge_method"] == ["S256"] and len(query["code_challenge"][0]) >= 43
    for _ in range(30):  # a page that starts many trips does not grow the session cookie
        sso.get("/login/oidc?next=/" + "x" * 3000)
    with sso.session_transaction() as session:
        assert [key for key in session if key.startswith("_state_oidc_")] != []
        assert len([key for key in session if key.startswith("_state_oidc_")]) == 1
        assert session["oidc_next"] == "/"


def test_a_linked_identity_signs_in_and_the_audit_trail_says_so(sso, provider):
    user = make_user(Role.INSPECTOR, oidc_issuer=provider.issuer, oidc_subject="citizen-0001")
    db.session.commit()
    assert "Sign in with single sign-on" in sso.get("/login").get_data(as_text=True)
    back = to_provider_and_back(sso, "/login/oidc?next=/notifications/")
    assert back.status_code == 302 and back.location == "/notifications/"
    assert signed_in_as(sso) == user.get_id()
    assert sso.get("/notifications/").status_code == 200
    assert actions(user).count("oidc_sign_in") == 1
    assert db.session.get(User, user.id).last_login_at is not None


def test_an_unlinked_identity_is_refused_clearly_and_nothing_is_made(sso, provider):
    # Same e-mail address as an account: the provider's e-mail claim links nothing.
    make_user(Role.ADMIN, email="someone@example.test")
    provider.person.sub, provider.person.email = "stranger-9", "someone@example.test"
    db.session.commit()
    accounts = db.session.scalar(select(func.count(User.id)))
    back = to_provider_and_back(sso)
    assert back.status_code == 302 and back.location == "/login"
    assert NOT_LINKED in sso.get("/login").get_data(as_text=True)
    assert signed_in_as(sso) is None
    assert db.session.scalar(select(func.count(User.id))) == accounts
    assert db.session.scalar(select(func.count(User.id)).where(User.oidc_subject.is_not(None))) == 0


def test_a_disabled_account_is_refused_like_an_unlinked_one(sso, provider):
    user = make_user(Role.INSPECTOR, oidc_issuer=provider.issuer, oidc_subject="citizen-0001", active=False)
    db.session.commit()
    back = to_provider_and_back(sso)
    assert back.location == "/login" and signed_in_as(sso) is None
    assert ("sign_in_failed", "disabled_sso") in [  # the page says no more than to an unlinked one
        tuple(row)
        for row in db.session.execute(
            select(AuditEvent.action, AuditEvent.field).where(AuditEvent.subject_id == user.id)
        )
    ]


@pytest.mark.parametrize(
    "fault", ["tampered", "expired", "wrong_audience", "wrong_issuer", "wrong_nonce", "wrong_key"]
)
def test_an_id_token_that_fails_verification_is_refused(sso, provider, fault):
    make_user(Role.INSPECTOR, oidc_issuer=provider.issuer, oidc_subject="citizen-0001")
    make_user(Role.ADMIN, oidc_issuer=provider.issuer, oidc_subject="admin-0001")  # what tampering aims at
    db.session.commit()
    provider.id_token_fault = fault
    before = provider.token_requests
    back = to_provider_and_back(sso)
    assert provider.token_requests == before + 1  # the code was exchanged: the ID token itself was refused
    assert back.status_code == 302 and back.location == "/login"
    assert NOT_VERIFIED in sso.get("/login").get_data(as_text=True)
    assert signed_in_as(sso) is None
    assert (
        db.session.scalar(select(func.count(AuditEvent.id)).where(AuditEvent.action == "oidc_sign_in")) == 0
    )


def test_a_wrong_or_replayed_state_is_refused_before_any_code_is_exchanged(sso, provider):
    make_user(Role.INSPECTOR, oidc_issuer=provider.issuer, oidc_subject="citizen-0001")
    db.session.commit()
    callback = approve(sso.get("/login/oidc").location)
    before = provider.token_requests
    forged = callback.replace("state=", "state=x")
    assert back_from(sso, forged).location == "/login"
    assert provider.token_requests == before and signed_in_as(sso) is None
    # Another browser (no state in its session) cannot use this browser's answer either.
    with connection_bound_session(sso.application):
        other = sso.application.test_client()
        assert back_from(other, callback).location == "/login"
        assert signed_in_as(other) is None
    assert provider.token_requests == before
    # The provider answering with an error is refused too, without a server error.
    assert sso.get("/login/oidc/callback?error=access_denied&state=x").location == "/login"


def test_our_code_is_still_asked_unless_the_provider_asked_a_second_factor(sso, provider):
    user = make_user(Role.DISTRICT_BUREAU, oidc_issuer=provider.issuer, oidc_subject="citizen-0001")
    user.totp_secret = pyotp.random_base32()
    user.totp_enabled_at = user.created_at
    db.session.commit()
    back = to_provider_and_back(sso)
    assert back.location == "/login/second-factor" and signed_in_as(sso) is None
    done = sso.post("/login/second-factor", data={"code": pyotp.TOTP(user.totp_secret).now()})
    assert done.status_code == 302 and signed_in_as(sso) == user.get_id()

    sso.post("/logout")
    provider.person.amr = ["pwd", "otp"]  # listed in OIDC_MFA_VALUES
    back = to_provider_and_back(sso)
    db.session.refresh(user)  # the sign-out gave the account a new session token
    assert back.location == "/" and signed_in_as(sso) == user.get_id()
    rows = db.session.execute(
        select(AuditEvent.action, AuditEvent.field)
        .where(AuditEvent.action.in_(["oidc_sign_in", "signed_in"]), AuditEvent.subject_id == user.id)
        .order_by(AuditEvent.id)
    ).all()
    # Our code asked after the provider's sign-in, then the sign-in it finished; then the provider's own.
    assert [tuple(row) for row in rows] == [
        ("oidc_sign_in", "second_factor_asked"),
        ("signed_in", "sso+second_factor"),
        ("oidc_sign_in", "provider_second_factor"),
    ]


def test_a_person_links_their_own_identity_while_signed_in_and_unlinks_it(sso, provider):
    user = make_user(Role.OUTLET)
    db.session.commit()
    login(sso, user)
    assert "not linked" in sso.get("/account/single-sign-on").get_data(as_text=True)
    provider.person.sub = "citizen-4242"
    linked = to_provider_and_back(sso, "/account/single-sign-on/link", method="post")
    assert linked.location == "/account/single-sign-on"
    db.session.refresh(user)
    assert (user.oidc_issuer, user.oidc_subject) == (provider.issuer, "citizen-4242")
    sso.post("/logout")
    assert to_provider_and_back(sso).status_code == 302
    db.session.refresh(user)  # the sign-out gave the account a new session token
    assert signed_in_as(sso) == user.get_id()
    assert sso.post("/account/single-sign-on/unlink").status_code == 302
    db.session.refresh(user)
    assert user.oidc_subject is None
    assert {"oidc_linked", "oidc_sign_in", "oidc_unlinked"} <= set(actions(user))


def test_an_identity_opens_one_account_only(sso, provider):
    make_user(Role.INSPECTOR, oidc_issuer=provider.issuer, oidc_subject="citizen-0001")
    user = make_user(Role.OUTLET)
    db.session.commit()
    login(sso, user)
    to_provider_and_back(sso, "/account/single-sign-on/link", method="post")
    assert "linked to another account" in sso.get("/account/single-sign-on").get_data(as_text=True)
    db.session.refresh(user)
    assert user.oidc_subject is None


def test_the_administrator_links_and_unlinks_an_account_audited(sso, provider):
    admin = make_user(Role.ADMIN)
    user = make_user(Role.INSPECTOR)
    db.session.commit()
    login(sso, admin)
    assert f"/admin/users/{user.id}/single-sign-on" in sso.get("/admin/users").get_data(as_text=True)
    empty = sso.post(f"/admin/users/{user.id}/single-sign-on", data={"subject": "  "})
    assert empty.status_code == 422
    done = sso.post(f"/admin/users/{user.id}/single-sign-on", data={"subject": "citizen-0001"})
    assert done.status_code == 302
    db.session.refresh(user)
    assert (user.oidc_issuer, user.oidc_subject) == (provider.issuer, "citizen-0001")
    linked = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "oidc_linked"))
    assert (linked.actor_id, linked.subject_id, linked.new_value) == (admin.id, user.id, "citizen-0001")
    other = make_user(Role.INSPECTOR)
    db.session.commit()
    taken = sso.post(f"/admin/users/{other.id}/single-sign-on", data={"subject": "citizen-0001"})
    assert taken.status_code == 422 and "linked to another account" in taken.get_data(as_text=True)
    assert sso.post(f"/admin/users/{user.id}/single-sign-on/unlink").status_code == 302
    db.session.refresh(user)
    assert user.oidc_subject is None
    unlinked = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "oidc_unlinked"))
    assert (unlinked.actor_id, unlinked.old_value) == (admin.id, "citizen-0001")
    # The signed-out person now gets the clear refusal.
    sso.post("/logout")
    assert to_provider_and_back(sso).location == "/login" and signed_in_as(sso) is None


def test_a_provider_that_cannot_be_reached_is_said_not_a_server_error(sso_app, database_url, tmp_path):
    app = make_test_app(database_url, tmp_path, OIDC_ISSUER="http://127.0.0.1:9", OIDC_CLIENT_ID="x")
    app.config["BABEL_DEFAULT_LOCALE"] = "en"
    with connection_bound_session(app):
        client = app.test_client()
        answer = client.get("/login/oidc")
        assert answer.status_code == 302 and answer.location == "/login"
        assert "cannot be reached" in client.get("/login").get_data(as_text=True)


def test_off_by_default_no_button_and_every_page_is_404(app, client, db_session):
    assert app.config["OIDC_ISSUER"] == ""
    assert "/login/oidc" not in client.get("/login").get_data(as_text=True)
    for path in ("/login/oidc", "/login/oidc/callback?code=x&state=y"):
        assert client.get(path).status_code == 404
    admin = make_user(Role.ADMIN)
    login(client, admin)
    assert "single-sign-on" not in client.get("/admin/users").get_data(as_text=True)
    assert client.get(f"/admin/users/{admin.id}/single-sign-on").status_code == 404
    assert client.get("/account/single-sign-on").status_code == 404
    assert client.post("/account/single-sign-on/link").status_code == 404


def test_switched_on_the_pages_keep_their_access_rules(sso):
    staff = make_user(Role.OUTLET)
    inspector = make_user(Role.INSPECTOR)
    db.session.commit()
    for path in ("/account/single-sign-on", f"/admin/users/{staff.id}/single-sign-on"):
        assert sso.get(path).location.startswith("/login?next=")
    login(sso, inspector)
    assert sso.get("/account/single-sign-on").status_code == 200
    assert sso.get(f"/admin/users/{staff.id}/single-sign-on").status_code == 403
    assert sso.post(f"/admin/users/{staff.id}/single-sign-on", data={"subject": "x"}).status_code == 403
    assert sso.post(f"/admin/users/{staff.id}/single-sign-on/unlink").status_code == 403
    assert sso.get("/admin/users/999999/single-sign-on").status_code in (403, 404)


def test_hostile_query_strings_never_make_a_server_error_switched_on(sso, provider):
    """test_fuzz_forms.py meets these pages switched off (404); here they run, the provider too."""
    admin = make_user(Role.ADMIN)
    db.session.commit()
    names = (*QUERY_NAMES, "code", "state", "error", "error_description", "iss")
    wrong = []
    for value in HOSTILE_QUERY_VALUES:
        query = "&".join(f"{name}={value}" for name in names)
        with sso.session_transaction() as session:
            session.clear()  # a stranger's browser
        for path in ("/login/oidc", "/login/oidc/callback", "/login"):
            if sso.get(f"{path}?{query}").status_code >= 500:
                wrong.append(f"{path} {value[:30]!r}")
        # With this browser's real state: the hostile code goes to the provider's token endpoint.
        state = parse_qs(urlsplit(sso.get("/login/oidc").location).query)["state"][0]
        answer = sso.get(f"/login/oidc/callback?code={value}&state={state}")
        if answer.status_code >= 500 or signed_in_as(sso) is not None:
            wrong.append(f"callback code={value[:30]!r}: HTTP {answer.status_code}")
        login(sso, admin)
        for path in ("/account/single-sign-on", f"/admin/users/{admin.id}/single-sign-on"):
            if sso.get(f"{path}?{query}").status_code >= 500:
                wrong.append(f"{path} {value[:30]!r}")
    assert wrong == []


@fuzz_settings(25)
@given(subject=st.one_of(VALUE, st.lists(VALUE, max_size=3)), target=st.sampled_from(["admin", "other"]))
def test_no_subject_typed_makes_a_server_error(sso, subject, target):
    admin = make_user(Role.ADMIN)
    user = admin if target == "admin" else make_user(Role.INSPECTOR)
    db.session.flush()
    login(sso, admin)
    answer = sso.post(f"/admin/users/{user.id}/single-sign-on", data={"subject": subject})
    # 400: a NUL byte anywhere in a form is refused before any view (core/security.py).
    assert answer.status_code in (302, 400, 422)
    assert sso.post(f"/admin/users/{user.id}/single-sign-on/unlink").status_code == 302


def test_a_half_configured_provider_refuses_to_start(database_url, tmp_path):
    with pytest.raises(ConfigError, match="OIDC_CLIENT_ID"):
        make_test_app(database_url, tmp_path, OIDC_ISSUER="https://login.example.gov.cn")
    with pytest.raises(ConfigError, match="https"):
        make_test_app(
            database_url,
            tmp_path,
            OIDC_ISSUER="http://login.example.gov.cn",
            OIDC_CLIENT_ID="x",
            ENV_NAME="production",
        )
