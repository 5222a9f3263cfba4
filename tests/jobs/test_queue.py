"""The job queue on a real Redis: jobs leave after the commit, never on a rollback, run in the
worker with the app and a fresh session, are retried with backoff and then listed for the
administrator, who can retry or discard them (audited)."""

import pytest
from sqlalchemy import select

from outlet_audit.audit.models import AuditEvent
from outlet_audit.extensions import db
from outlet_audit.jobs import enqueue, job, registry
from outlet_audit.jobs.redis_queue import queue
from outlet_audit.notifications.models import Notification
from outlet_audit.notifications.operations import notify
from outlet_audit.roles import Role
from tests.factories import login, make_user
from tests.jobs_helpers import failed_kinds, run_jobs
from tests.smtp_helpers import start_sink

SEEN: list[int] = []


@job("tests.note", retries=2)
def write_note(user_id: int, text: str) -> None:
    """Writes with the worker's own session; the runner commits it."""
    SEEN.append(user_id)
    db.session.add(Notification(user_id=user_id, kind="test", template=text, params={}))


@job("tests.always_fails", retries=2)
def always_fails(reason: str) -> None:
    raise RuntimeError(f"refused: {reason}")


@pytest.fixture
def immediate_retries(monkeypatch):
    """Retries at once instead of after 30 s, 1 min ...: the rule is the same, the waits are not."""
    monkeypatch.setattr(registry, "FIRST_RETRY_SECONDS", 0)


def notes(text: str) -> list[Notification]:
    return db.session.scalars(select(Notification).where(Notification.template == text)).all()


def test_a_job_is_sent_on_commit_and_runs_in_the_worker_with_its_own_session(queue_app):
    with queue_app.test_request_context():
        user = make_user(Role.ADMIN)
        enqueue(write_note, user_id=user.id, text="committed")
        assert queue(queue_app).count == 0  # not before the commit
        db.session.commit()
        assert queue(queue_app).count == 1
        user_id = user.id
    assert run_jobs(queue_app) == [("tests.note", {"user_id": user_id, "text": "committed"})]
    with queue_app.app_context():
        assert [note.user_id for note in notes("committed")] == [user_id]


def test_a_rolled_back_transaction_or_savepoint_sends_nothing(queue_app):
    with queue_app.test_request_context():
        user = make_user(Role.ADMIN)
        db.session.commit()
        enqueue(write_note, user_id=user.id, text="rolled back")
        db.session.rollback()
        with db.session.begin_nested() as savepoint:
            enqueue(write_note, user_id=user.id, text="savepoint rolled back")
            savepoint.rollback()
        enqueue(write_note, user_id=user.id, text="kept")
        db.session.commit()
    assert [arguments["text"] for _, arguments in run_jobs(queue_app)] == ["kept"]


def test_a_delayed_job_waits_for_its_time(queue_app):
    from datetime import timedelta

    with queue_app.test_request_context():
        user = make_user(Role.ADMIN)
        enqueue(write_note, _delay=timedelta(hours=1), user_id=user.id, text="later")
        db.session.commit()
    assert run_jobs(queue_app) == []
    assert queue(queue_app).scheduled_job_registry.count == 1


def test_a_failing_job_is_retried_then_listed_and_the_admin_retries_or_discards_it(
    queue_app, immediate_retries
):
    with queue_app.test_request_context():
        admin = make_user(Role.ADMIN)
        admin_id = admin.id
        enqueue(always_fails, reason="first")
        enqueue(always_fails, reason="second")
        db.session.commit()
    ran = run_jobs(queue_app)
    assert (
        sorted(arguments["reason"] for _, arguments in ran) == ["first"] * 3 + ["second"] * 3
    )  # 1 + 2 retries
    assert failed_kinds(queue_app) == ["tests.always_fails"] * 2

    client = queue_app.test_client()
    with queue_app.app_context():
        login(client, db.session.merge(admin))
    page = client.get("/admin/jobs").get_data(as_text=True)
    assert "tests.always_fails" in page and "RuntimeError: refused: first" in page
    job_ids = queue(queue_app).failed_job_registry.get_job_ids()
    first, second = sorted(job_ids, key=lambda i: queue(queue_app).fetch_job(i).args[1]["reason"])

    assert client.post(f"/admin/jobs/{first}/retry").status_code == 302
    assert client.post(f"/admin/jobs/{second}/discard").status_code == 302
    assert client.post(f"/admin/jobs/{second}/discard").status_code == 404  # gone
    assert client.post("/admin/jobs/no-such-job/retry").status_code == 404
    assert [arguments["reason"] for _, arguments in run_jobs(queue_app)] == ["first"]  # one more try
    assert queue(queue_app).fetch_job(second) is None
    with queue_app.app_context():
        events = db.session.scalars(select(AuditEvent).where(AuditEvent.actor_id == admin_id)).all()
        assert [(event.action, event.new_value) for event in events] == [
            ("job_retried", f"tests.always_fails {first}"),
            ("job_discarded", f"tests.always_fails {second}"),
        ]


def test_only_the_administrator_sees_the_failed_jobs(queue_app):
    client = queue_app.test_client()
    with queue_app.test_request_context():
        bureau = make_user(Role.CITY_BUREAU)
        db.session.commit()
        login(client, bureau)
    assert client.get("/admin/jobs").status_code == 403


def test_mail_is_a_job_sent_by_the_worker(queue_app, monkeypatch):
    inbox, controller = start_sink()
    monkeypatch.setitem(queue_app.config, "MAIL_SERVER", "127.0.0.1")
    monkeypatch.setitem(queue_app.config, "MAIL_PORT", controller.port)
    try:
        with queue_app.test_request_context():
            user = make_user(Role.ADMIN, email="admin@example.test")
            notify([user], "decision", "A decision was made.")
            db.session.commit()
        assert inbox.messages == []  # the request only queued it
        assert [kind for kind, _ in run_jobs(queue_app)] == ["mail.send"]
    finally:
        controller.stop()
    ((recipients, message),) = inbox.messages
    assert recipients == ["admin@example.test"] and "A decision was made." in message.get_content()


def test_the_dead_letter_page_never_shows_a_mails_text(queue_app, immediate_retries, monkeypatch):
    for key, value in {"MAIL_SERVER": "127.0.0.1", "MAIL_PORT": 1, "MAIL_TIMEOUT": 1}.items():
        monkeypatch.setitem(queue_app.config, key, value)  # nothing listens on port 1
    with queue_app.test_request_context():
        admin = make_user(Role.ADMIN, email="secret-address@example.test")
        notify([admin], "decision", "A decision was made.")
        db.session.commit()
        client = queue_app.test_client()
        login(client, admin)
    assert [kind for kind, _ in run_jobs(queue_app)] == ["mail.send"] * 6  # a try and five retries
    page = client.get("/admin/jobs").get_data(as_text=True)
    assert "mail.send" in page and "ConnectionRefusedError" in page
    assert "secret-address" not in page and "A decision was made" not in page


def test_a_notice_to_many_people_is_written_by_a_job(queue_app, monkeypatch):
    monkeypatch.setitem(queue_app.config, "NOTIFY_INLINE_USERS", 2)
    with queue_app.test_request_context():
        users = [make_user(Role.ADMIN) for _ in range(3)]
        assert notify(users, "decision", "To many.") == []
        db.session.commit()
        assert notes("To many.") == []  # not written in the request
        ids = sorted(user.id for user in users)
        assert notify(users[:2], "decision", "To few.") != []  # a few: at once, as before
    assert [kind for kind, _ in run_jobs(queue_app)] == ["notifications.fan_out"]
    with queue_app.app_context():
        assert sorted(note.user_id for note in notes("To many.")) == ids
