"""Password recovery: a single-use, expiring link by e-mail, asked for by the owner or sent on an
administrator's or a district bureau's word, who never see it."""

import re
import time

import pytest
from itsdangerous import TimestampSigner
from sqlalchemy import select

from outlet_audit.audit.models import AuditEvent
from outlet_audit.extensions import db
from outlet_audit.roles import Role
from tests.account_factories import delivered, english_fixture, links_in, mail_sink_fixture, site_path  # noqa: F401
from tests.factories import PASSWORD, login, make_outlet, make_user

NEW_PASSWORD = "lantern orchard 47 kites"
SAME_ANSWER = "If an account with this username or e-mail address has an e-mail address"
LINK_INVALID = "This link to set a new password is no longer valid"


def sign_in(client, username, password):
    return client.post("/login", data={"username": username, "password": password})


def main_of(page: str) -> str:
    """The page's main part, the answer shown: the navbar's CSRF token changes every second."""
    return re.sub(r'name="csrf_token"[^>]*>', "", page.split('<main id="main"', 1)[1])


def ask_for_link(client, login_name):
    return client.post("/password/forgot", data={"login": login_name}, follow_redirects=True)


def reset_path(inbox, index=-1) -> str:
    recipients, message = delivered(inbox)[index]
    (link,) = [link for link in links_in(message) if "/password/reset/" in link]
    return site_path(link)


def set_new_password(client, path, password=NEW_PASSWORD):
    opened = client.get(path)
    return opened, client.post("/password/reset", data={"new_password": password, "confirm": password})


def actions(user_id: int) -> list[str]:
    query = select(AuditEvent.action).where(
        AuditEvent.subject_type == "user", AuditEvent.subject_id == user_id
    )
    return list(db.session.scalars(query.order_by(AuditEvent.id)))


def test_the_sign_in_page_offers_password_recovery(english):
    page = english.get("/login").get_data(as_text=True)
    assert 'href="/password/forgot"' in page and "Forgot your password?" in page


def test_owner_sets_a_new_password_through_the_mailed_link(english, mail_sink, db_session):
    user = make_user(Role.INSPECTOR, email="gu@example.test")
    page = ask_for_link(english, user.username).get_data(as_text=True)
    assert SAME_ANSWER in page
    ((recipients, message),) = delivered(mail_sink)
    assert recipients == ["gu@example.test"]
    assert user.username in message.get_content()
    path = reset_path(mail_sink)
    opened, done = set_new_password(english, path)
    assert opened.status_code == 302 and opened.headers["Location"] == "/password/reset"
    assert done.status_code == 302 and done.headers["Location"] == "/login"
    assert sign_in(english, user.username, PASSWORD).status_code == 200  # the old one no longer works
    assert sign_in(english, user.username, NEW_PASSWORD).status_code == 302
    # The old password refused and the new one signed in, each in the trail after the reset.
    assert actions(user.id) == ["password_reset_requested", "password_reset", "sign_in_failed", "signed_in"]


def test_the_link_works_for_an_e_mail_address_and_each_account_at_it(english, mail_sink):
    outlet = make_outlet()
    first = make_user(Role.OUTLET, outlet=outlet, email="Shop@Example.test")
    second = make_user(Role.OUTLET, outlet=outlet, email="shop@example.test")
    ask_for_link(english, "shop@example.TEST")
    bodies = [message.get_content() for _, message in delivered(mail_sink)]
    assert len(bodies) == 2
    assert {first.username, second.username} == {
        name for name in (first.username, second.username) for body in bodies if name in body
    }


@pytest.mark.parametrize("who", ["unknown", "no address", "disabled"])
def test_the_answer_is_the_same_whether_or_not_a_link_goes_out(english, mail_sink, who):
    if who == "unknown":
        name = "nobody-at-all"
    elif who == "no address":
        name = make_user(Role.INSPECTOR).username
    else:
        name = make_user(Role.INSPECTOR, email="gone@example.test", active=False).username
    known = make_user(Role.INSPECTOR, email="here@example.test").username
    answers = [ask_for_link(english, login_name) for login_name in (name, known)]
    assert [response.status_code for response in answers] == [200, 200]
    texts = [main_of(response.get_data(as_text=True)) for response in answers]
    assert SAME_ANSWER in texts[0] and texts[0] == texts[1]
    assert [recipients for recipients, _ in delivered(mail_sink)] == [["here@example.test"]]


def test_a_link_works_once(english, mail_sink):
    user = make_user(Role.ADMIN, email="root@example.test")
    ask_for_link(english, user.username)
    path = reset_path(mail_sink)
    _, done = set_new_password(english, path)
    assert done.status_code == 302
    again = english.get(path, follow_redirects=True)
    assert LINK_INVALID in again.get_data(as_text=True)
    assert english.post("/password/reset", data={"new_password": "x" * 12}).status_code == 302
    assert sign_in(english, user.username, NEW_PASSWORD).status_code == 302


def test_an_expired_link_is_refused(english, mail_sink, monkeypatch, app):
    user = make_user(Role.INSPECTOR, email="gu@example.test")
    ask_for_link(english, user.username)
    path = reset_path(mail_sink)
    later = int(time.time()) + app.config["PASSWORD_RESET_MAX_AGE_SECONDS"] + 5
    monkeypatch.setattr(TimestampSigner, "get_timestamp", lambda self: later)
    response = english.get(path, follow_redirects=True)
    assert LINK_INVALID in response.get_data(as_text=True)
    assert sign_in(english, user.username, PASSWORD).status_code == 302  # the password did not change


def test_a_link_opened_in_time_but_used_after_it_expired_is_refused(english, mail_sink, monkeypatch, app):
    user = make_user(Role.INSPECTOR, email="gu@example.test")
    ask_for_link(english, user.username)
    english.get(reset_path(mail_sink))
    later = int(time.time()) + app.config["PASSWORD_RESET_MAX_AGE_SECONDS"] + 5
    monkeypatch.setattr(TimestampSigner, "get_timestamp", lambda self: later)
    response = english.post("/password/reset", data={"new_password": NEW_PASSWORD, "confirm": NEW_PASSWORD})
    assert response.status_code == 302 and response.headers["Location"] == "/password/forgot"
    monkeypatch.undo()
    assert sign_in(english, user.username, PASSWORD).status_code == 302


def test_a_password_change_ends_the_link(english, mail_sink, app):
    user = make_user(Role.INSPECTOR, email="gu@example.test")
    ask_for_link(english, user.username)
    path = reset_path(mail_sink)
    owner = app.test_client()
    login(owner, user)
    changed = owner.post(
        "/account/password",
        data={"current_password": PASSWORD, "new_password": NEW_PASSWORD, "confirm": NEW_PASSWORD},
    )
    assert changed.status_code == 302
    response = english.get(path, follow_redirects=True)
    assert LINK_INVALID in response.get_data(as_text=True)


def test_a_newer_link_ends_the_older_one(english, mail_sink, app, monkeypatch):
    monkeypatch.setitem(app.config, "PASSWORD_RESET_RESEND_SECONDS", 0)
    user = make_user(Role.INSPECTOR, email="gu@example.test")
    ask_for_link(english, user.username)
    ask_for_link(english, user.username)
    older, newer = reset_path(mail_sink, 0), reset_path(mail_sink, 1)
    assert older != newer
    assert LINK_INVALID in english.get(older, follow_redirects=True).get_data(as_text=True)
    _, done = set_new_password(english, newer)
    assert done.status_code == 302


def test_an_account_is_mailed_at_most_once_in_the_resend_pause(english, mail_sink):
    user = make_user(Role.INSPECTOR, email="gu@example.test")
    first, second = ask_for_link(english, user.username), ask_for_link(english, user.username)
    assert main_of(first.get_data(as_text=True)) == main_of(second.get_data(as_text=True))
    assert len(delivered(mail_sink)) == 1


def test_asking_for_links_is_limited_per_address(english, app, monkeypatch):
    monkeypatch.setitem(app.config, "RATELIMIT_ACCOUNT_RECOVERY", "2 per minute")
    codes = [english.post("/password/forgot", data={"login": f"x{n}"}).status_code for n in range(3)]
    assert codes == [302, 302, 429]


def test_the_new_password_follows_the_policy_and_is_kept_typed_nowhere(english, mail_sink):
    user = make_user(Role.INSPECTOR, email="gu@example.test")
    ask_for_link(english, user.username)
    english.get(reset_path(mail_sink))
    response = english.post("/password/reset", data={"new_password": "password1", "confirm": "password1"})
    assert response.status_code == 422
    assert "password1" not in response.get_data(as_text=True)


def test_a_reset_signs_out_every_session_and_ends_the_sign_in_wait(english, mail_sink, app, db_session):
    user = make_user(Role.INSPECTOR, email="gu@example.test", failed_logins=9)
    elsewhere = app.test_client()
    login(elsewhere, user)
    assert elsewhere.get("/notifications/").status_code == 200
    ask_for_link(english, user.username)
    set_new_password(english, reset_path(mail_sink))
    assert elsewhere.get("/notifications/").status_code == 302
    db_session.refresh(user)
    assert user.failed_logins == 0 and user.password_reset_digest is None


# --- sent on someone else's word -----------------------------------------------------------


def test_the_administrator_has_a_link_sent_without_seeing_it(english, mail_sink, db_session):
    admin = make_user(Role.ADMIN)
    staff = make_user(Role.CITY_BUREAU, email="city@example.test")
    login(english, admin)
    listing = english.get("/admin/users").get_data(as_text=True)
    assert f"/accounts/{staff.id}/password-link" in listing
    response = english.post(f"/accounts/{staff.id}/password-link", follow_redirects=True)
    page = response.get_data(as_text=True)
    assert f"A link to set a new password is mailed to {staff.username}." in page
    path = reset_path(mail_sink)
    assert path.rsplit("/", 1)[1] not in page
    event = db_session.scalar(select(AuditEvent).where(AuditEvent.action == "password_reset_issued"))
    assert (event.actor_id, event.subject_id) == (admin.id, staff.id)
    _, done = set_new_password(english, path)
    assert done.status_code == 302


def test_a_district_bureau_has_links_sent_to_its_own_outlets_accounts_only(english, mail_sink):
    bureau = make_user(Role.DISTRICT_BUREAU, district_code="FX")
    own = make_user(Role.OUTLET, outlet=make_outlet("FX"), email="own@example.test")
    foreign = make_user(Role.OUTLET, outlet=make_outlet("QP"), email="far@example.test")
    inspector = make_user(Role.INSPECTOR, district_code="FX", email="insp@example.test")
    login(english, bureau)
    assert english.post(f"/accounts/{own.id}/password-link").status_code == 302
    assert english.post(f"/accounts/{foreign.id}/password-link").status_code == 404
    refused = english.post(f"/accounts/{inspector.id}/password-link", follow_redirects=True)
    assert "You cannot send a password link to this account." in refused.get_data(as_text=True)
    assert [recipients for recipients, _ in delivered(mail_sink)] == [["own@example.test"]]


def test_no_link_is_sent_to_an_account_without_an_address(english, mail_sink):
    login(english, make_user(Role.ADMIN))
    staff = make_user(Role.INSPECTOR)
    response = english.post(f"/accounts/{staff.id}/password-link", follow_redirects=True)
    assert "This account has no e-mail address" in response.get_data(as_text=True)
    assert delivered(mail_sink) == []


def test_other_roles_cannot_have_links_sent(english, db_session):
    target = make_user(Role.OUTLET, email="own@example.test")
    for role in (Role.OUTLET, Role.INSPECTOR, Role.CITY_BUREAU):
        login(english, make_user(role))
        assert english.post(f"/accounts/{target.id}/password-link").status_code == 403
    db_session.refresh(target)
    assert target.password_reset_digest is None
