"""Each user's notifications: the list, the unread badge, marking read, and e-mail through SMTP."""

import logging
import time

import pytest
from sqlalchemy import select

from outlet_audit.notifications.mailer import worker
from outlet_audit.notifications.models import Notification
from outlet_audit.notifications.operations import notify
from tests.factories import login, make_application
from tests.smtp_helpers import SilentServer, start_sink
from tests.workflow_helpers import make_crew, reload


@pytest.fixture
def crew(ctx):
    return make_crew()


def badge(page: str) -> str | None:
    """The unread count shown next to the navbar's notifications link, if any."""
    link = page.split('id="notifications-link">', 1)[1].split("</a>", 1)[0]
    if "badge" not in link:
        return None
    return link.split('class="badge text-bg-warning">', 1)[1].split("<", 1)[0]


def test_the_list_shows_only_the_users_own_notifications_and_counts_unread(client, crew):
    notify(
        [crew.outlet_user],
        "decision",
        "A decision was made on application %(ref)s.",
        "/applications/1",
        ref="SQ2025-000001",
    )
    notify(
        [crew.outlet_user],
        "application_returned",
        "Application %(ref)s was returned for changes.",
        None,
        ref="SQ2025-000002",
    )
    notify(
        [crew.bureau],
        "application_submitted",
        "%(outlet)s submitted application %(ref)s.",
        None,
        outlet="别家",
        ref="SQ2025-000003",
    )
    login(client, crew.outlet_user)
    page = client.get("/notifications/").get_data(as_text=True)
    assert "A decision was made on application SQ2025-000001." in page
    assert "Application SQ2025-000002 was returned for changes." in page
    assert "别家" not in page
    assert badge(page) == "2"


def test_open_marks_read_and_follows_the_link(client, crew, db_session):
    application = make_application(crew.outlet)
    (note,) = notify(
        [crew.outlet_user],
        "decision",
        "A decision was made on application %(ref)s.",
        f"/applications/{application.id}",
        ref=application.reference,
    )
    login(client, crew.outlet_user)
    response = client.post("/notifications/open", data={"notification": note.id})
    assert response.status_code == 302 and response.headers["Location"].endswith(
        f"/applications/{application.id}"
    )
    db_session.refresh(note)
    assert note.read_at is not None
    assert badge(client.get("/notifications/").get_data(as_text=True)) is None


def test_an_outside_link_is_never_followed(client, crew):
    (note,) = notify([crew.outlet_user], "decision", "x", "https://evil.example/")
    login(client, crew.outlet_user)
    response = client.post("/notifications/open", data={"notification": note.id})
    assert response.headers["Location"].endswith("/notifications/")


def test_mark_one_and_mark_all_as_read(client, crew, db_session):
    notes = notify([crew.outlet_user] * 3, "decision", "n", None)
    login(client, crew.outlet_user)
    client.post("/notifications/read", data={"notification": notes[0].id})
    assert badge(client.get("/notifications/").get_data(as_text=True)) == "2"
    client.post("/notifications/read-all")
    unread = db_session.scalars(
        select(Notification).where(
            Notification.user_id == crew.outlet_user.id, Notification.read_at.is_(None)
        )
    ).all()
    assert unread == []


def test_another_users_notification_is_not_found(client, crew, db_session):
    (note,) = notify([crew.bureau], "application_submitted", "n", "/applications/1")
    login(client, crew.outlet_user)
    assert client.post("/notifications/open", data={"notification": note.id}).status_code == 404
    assert client.post("/notifications/read", data={"notification": note.id}).status_code == 404
    assert client.post("/notifications/read", data={"notification": 999999}).status_code == 404
    db_session.refresh(note)
    assert note.read_at is None


def test_anonymous_users_are_sent_to_sign_in(client):
    assert client.get("/notifications/").status_code == 302


def test_workflow_steps_notify_the_people_concerned(client, crew, db_session):
    application = make_application(crew.outlet, status="submitted")
    login(client, crew.bureau)
    client.post(
        f"/applications/{application.id}/transition",
        data={"action": "return", "return-reasons": "请补充承诺书。"},
    )
    assert reload(application).status == "returned"
    login(client, crew.outlet_user)
    page = client.get("/notifications/").get_data(as_text=True)
    assert f"Application {application.reference} was returned for changes." in page
    assert badge(page) == "1"


# E-mail: sent after the commit, from a background thread (notifications/mailer.py)

SENT_WITHIN = 10  # seconds to wait for the background thread; it normally needs milliseconds


@pytest.fixture
def smtp(app, monkeypatch):
    inbox, controller = start_sink()
    monkeypatch.setitem(app.config, "MAIL_SERVER", "127.0.0.1")
    monkeypatch.setitem(app.config, "MAIL_PORT", controller.port)
    try:
        yield inbox
    finally:
        assert worker.wait_until_sent(SENT_WITHIN)
        controller.stop()


@pytest.fixture
def silent_smtp(app, monkeypatch):
    """A mail server that accepts the connection and never answers, with MAIL_TIMEOUT=5."""
    server = SilentServer()
    monkeypatch.setitem(app.config, "MAIL_SERVER", "127.0.0.1")
    monkeypatch.setitem(app.config, "MAIL_PORT", server.port)
    monkeypatch.setitem(app.config, "MAIL_TIMEOUT", 5)
    try:
        yield server
    finally:
        server.close()  # the sender sees the connection end instead of waiting out its timeout
        assert worker.wait_until_sent(SENT_WITHIN)


def test_notifications_are_mailed_when_smtp_is_set_up(client, crew, smtp):
    application = make_application(crew.outlet, status="submitted")
    login(client, crew.bureau)
    response = client.post(
        f"/applications/{application.id}/transition",
        data={"action": "return", "return-reasons": "请补充承诺书。"},
    )
    assert response.status_code == 302
    assert worker.wait_until_sent(SENT_WITHIN)
    assert len(smtp.messages) == 1  # the bureau user has no e-mail address; the outlet user has one
    recipients, message = smtp.messages[0]
    assert recipients == ["outlet@example.test"]
    body = message.get_content()
    assert f"Application {application.reference} was returned for changes." in body
    assert f"/applications/{application.id}" in body
    assert "Application" in message["Subject"]


def test_mail_waits_for_the_commit_and_a_rolled_back_transaction_or_savepoint_sends_nothing(
    crew, smtp, db_session
):
    db_session.commit()  # the crew stays (the test's outer transaction still ends in a rollback)
    notify([crew.outlet_user], "decision", "Rolled back %(ref)s.", None, ref="A")
    assert worker.wait_until_sent(SENT_WITHIN)
    assert smtp.messages == []  # not before the commit
    db_session.rollback()
    notify([crew.outlet_user], "decision", "Kept %(ref)s.", None, ref="B")
    with pytest.raises(RuntimeError), db_session.begin_nested():
        notify([crew.outlet_user], "decision", "Rolled back with its savepoint %(ref)s.", None, ref="C")
        raise RuntimeError
    with db_session.begin_nested():
        notify([crew.outlet_user], "decision", "Kept with its savepoint %(ref)s.", None, ref="D")
    assert worker.wait_until_sent(SENT_WITHIN)
    assert smtp.messages == []  # a released savepoint is not a commit
    db_session.commit()
    assert worker.wait_until_sent(SENT_WITHIN)
    sent = sorted(message.get_content().strip() for _, message in smtp.messages)
    assert sent == ["Kept B.", "Kept with its savepoint D."]
    db_session.commit()  # a later commit sends nothing twice
    assert worker.wait_until_sent(SENT_WITHIN)
    assert len(smtp.messages) == 2


def test_a_silent_mail_server_never_holds_the_request(client, crew, silent_smtp, caplog):
    application = make_application(crew.outlet, status="submitted")
    login(client, crew.bureau)
    started = time.perf_counter()
    response = client.post(
        f"/applications/{application.id}/transition",
        data={"action": "return", "return-reasons": "请补充承诺书。"},
    )
    elapsed = time.perf_counter() - started
    assert response.status_code == 302
    assert reload(application).status == "returned"
    assert elapsed < 3  # not waiting for the server (MAIL_TIMEOUT=5; it waited 10 s before)
    assert silent_smtp.accepted.wait(SENT_WITHIN)  # the mail is still tried, from the background
    with caplog.at_level(logging.ERROR, logger="outlet_audit.notifications.mailer"):
        silent_smtp.close()
        assert worker.wait_until_sent(SENT_WITHIN)
    assert f"could not mail notification to user {crew.outlet_user.id}" in caplog.text


def test_a_mail_server_that_never_answers_is_given_up_after_mail_timeout(
    app, crew, silent_smtp, db_session, caplog, monkeypatch
):
    """The background sender is bounded too: a silent server holds it for MAIL_TIMEOUT, not forever."""
    monkeypatch.setitem(app.config, "MAIL_TIMEOUT", 1)
    notify([crew.outlet_user], "decision", "n", None)
    started = time.perf_counter()
    with caplog.at_level(logging.ERROR, logger="outlet_audit.notifications.mailer"):
        db_session.commit()
        assert worker.wait_until_sent(SENT_WITHIN)
    assert 0.5 < time.perf_counter() - started < SENT_WITHIN - 1
    assert "could not mail notification" in caplog.text
