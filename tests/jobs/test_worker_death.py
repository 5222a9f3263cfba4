"""Nothing is lost when a worker dies mid-job: a real `flask jobs worker` process is killed
(SIGKILL) while it waits on a mail server that never answers; RQ still holds the job as started,
and once the dead worker's heartbeat has lapsed the next worker's clean-up puts it back on the
queue (it has retries left), where it is sent."""

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from outlet_audit.extensions import db
from outlet_audit.jobs import registry
from outlet_audit.jobs.redis_queue import queue
from outlet_audit.notifications.operations import notify
from outlet_audit.roles import Role
from tests.factories import make_user
from tests.jobs_helpers import run_jobs
from tests.smtp_helpers import SilentServer, start_sink

ROOT = Path(__file__).resolve().parents[2]


def start_worker(app, mail_port: int, tmp_path) -> subprocess.Popen:
    env = {
        **os.environ,
        "OUTLET_AUDIT_ENV": "development",
        "OUTLET_AUDIT_INSTANCE": str(tmp_path / "worker-instance"),
        "DATABASE_URL": app.config["SQLALCHEMY_DATABASE_URI"],
        "SECRET_KEY": app.config["SECRET_KEY"],
        "JOBS_REDIS_URL": app.config["JOBS_REDIS_URL"],
        "MAIL_SERVER": "127.0.0.1",
        "MAIL_PORT": str(mail_port),
        "MAIL_TIMEOUT": "60",
        "PYTHONPATH": str(ROOT),
    }
    command = [sys.executable, "-m", "flask", "--app", "wsgi", "jobs", "worker", "--no-periodic"]
    return subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)


def test_a_job_whose_worker_is_killed_is_run_again_by_the_next_worker(queue_app, monkeypatch, tmp_path):
    monkeypatch.setattr(registry, "FIRST_RETRY_SECONDS", 0)  # the retry is due at once
    silent = SilentServer()
    monkeypatch.setitem(queue_app.config, "MAIL_SERVER", "127.0.0.1")
    with queue_app.test_request_context():
        notify([make_user(Role.ADMIN, email="admin@example.test")], "decision", "Sent in the end.")
        db.session.commit()
    (job_id,) = queue(queue_app).get_job_ids()

    worker = start_worker(queue_app, silent.port, tmp_path)
    try:
        assert silent.accepted.wait(60), worker.stderr.read1().decode() if worker.poll() is not None else ""
        time.sleep(0.2)  # the worker has the job: it waits for the mail server's greeting
        os.kill(worker.pid, signal.SIGKILL)
        worker.wait(10)
    finally:
        if worker.poll() is None:
            worker.kill()
        silent.close()

    q = queue(queue_app)
    assert q.fetch_job(job_id).get_status() == "started"  # the dead worker's: nobody runs it now
    assert q.count == 0
    # A job's place among the started ones lasts JOBS_TIMEOUT_SECONDS + 60 s (the worker runs jobs in
    # its own process and renews it with each job); the next worker's clean-up (each minute) then
    # finds it abandoned. Run that clean-up as of then, rather than wait.
    q.started_job_registry.cleanup(timestamp=time.time() + queue_app.config["JOBS_TIMEOUT_SECONDS"] + 61)
    assert q.get_job_ids() == [job_id]

    inbox, controller = start_sink()
    monkeypatch.setitem(queue_app.config, "MAIL_PORT", controller.port)
    try:
        assert [kind for kind, _ in run_jobs(queue_app)] == ["mail.send"]
    finally:
        controller.stop()
    assert ["Sent in the end." in message.get_content() for _, message in inbox.messages] == [True]
