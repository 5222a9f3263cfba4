"""The queue runs the reminders, the dashboard refresh and the clean-up of exports by the clock:
each due run is sent once however many workers tick, and each kind does its work in the worker."""

from datetime import datetime, timedelta

from sqlalchemy import func, select

from outlet_audit.core.time import clock_at
from outlet_audit.dashboards.models import DashboardSnapshot
from outlet_audit.extensions import db
from outlet_audit.jobs import send_now
from outlet_audit.jobs.periodic import SCHEDULE, SHANGHAI, Scheduler, due_runs, start_in_process_scheduler
from outlet_audit.notifications.models import Notification
from tests.certificate_helpers import make_certified
from tests.factories import shanghai_moment
from tests.jobs_helpers import failed_kinds, run_jobs


def test_each_due_run_is_sent_once_however_many_workers_tick(queue_app):
    at_six = datetime(2027, 3, 1, 6, 20, tzinfo=SHANGHAI)
    first, second = Scheduler(queue_app), Scheduler(queue_app)
    sent = first.tick(at_six) + second.tick(at_six)
    assert sorted(sent) == sorted(entry.kind for entry in SCHEDULE)
    assert first.tick(at_six + timedelta(minutes=1)) == []
    assert second.tick(at_six + timedelta(minutes=5)) == ["dashboards.refresh"]  # every five minutes


def test_a_run_missed_while_no_worker_ran_is_still_sent_once_one_starts():
    started = datetime(2027, 3, 1, 9, 0, tzinfo=SHANGHAI)  # three hours after the 06:00 reminders
    kinds = {entry.kind for entry, _ in due_runs(started, started)}
    assert "reminders.certificates" in kinds
    later = {entry.kind: at for entry, at in due_runs(started + timedelta(days=2), started)}
    assert later["reminders.certificates"] == datetime(2027, 3, 3, 6, 0, tzinfo=SHANGHAI)


def test_every_periodic_kind_does_its_work_in_the_worker(queue_app, monkeypatch):
    monkeypatch.setitem(queue_app.config, "DASHBOARD_SNAPSHOT_SECONDS", 300)
    with queue_app.test_request_context():
        certificate = make_certified().certificate
        db.session.commit()
        reminder_day = certificate.valid_until - timedelta(days=90)
    for entry in SCHEDULE:
        send_now(queue_app, entry.kind, {})
    with clock_at(shanghai_moment(reminder_day)):  # the worker runs in this thread: its "today"
        ran = run_jobs(queue_app)
    assert {entry.kind for entry in SCHEDULE} <= {kind for kind, _ in ran}
    assert failed_kinds(queue_app) == []
    with queue_app.app_context():
        reminded = db.session.scalar(
            select(func.count()).select_from(Notification).where(Notification.kind == "certificate_expiry")
        )
        assert reminded >= 1
        assert db.session.scalar(select(func.count()).select_from(DashboardSnapshot)) >= 1


def _scheduler_hooks(app) -> list:
    return [
        hook
        for hook in app.before_request_funcs.get(None, [])
        if getattr(hook, "func", None) is start_in_process_scheduler
    ]


def test_only_the_development_server_sends_periodic_jobs_from_its_own_thread(monkeypatch, tmp_path):
    """A production app (several gunicorn workers: each would send every run again) and an app a
    test makes never start the in-process scheduler; its thread would outlive them and work on the
    database session the process holds then (the suite's, in a test run)."""
    from outlet_audit import create_app

    started = []
    monkeypatch.setattr(Scheduler, "start", lambda self: started.append(self))
    monkeypatch.setenv("SECRET_KEY", "periodic-" + "x" * 40)
    monkeypatch.setenv("DATABASE_URL", "sqlite://")
    monkeypatch.setenv("OUTLET_AUDIT_INSTANCE", str(tmp_path))
    for name in ("production", "testing"):
        app = create_app(name, SQLALCHEMY_DATABASE_URI="sqlite://", JOBS_REDIS_URL="")
        # not even asked on every request (the check was a cost on every production page)
        assert not _scheduler_hooks(app), name
        start_in_process_scheduler(app)
        assert getattr(app, "_jobs_scheduler", None) is None and started == [], name
    development = create_app("development", SQLALCHEMY_DATABASE_URI="sqlite://", JOBS_REDIS_URL="")
    assert len(_scheduler_hooks(development)) == 1
    start_in_process_scheduler(development)
    assert len(started) == 1
    start_in_process_scheduler(development)  # the second request starts nothing more
    assert len(started) == 1
