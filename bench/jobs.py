"""Background jobs: jobs per second per worker, and what a decision and an answer save cost the
person who sends them while the mail server is slow.

    .venv/bin/python -m bench.jobs throughput [--jobs 2000]   # needs redis-server on the PATH
    .venv/bin/python -m bench.jobs requests [--redis] [--times 20]

`throughput` starts a private redis-server, enqueues N no-op jobs and N mail jobs (to a local SMTP
sink) and times one burst worker on them: ours (RQ's SimpleWorker: no fork per job) and RQ's
forking Worker; plus the in-process runner used without Redis. `requests` times the bureau's
"return" decision (which notifies and mails the outlet) and an inspector's answer save with an
SMTP server that takes a second to greet; it uses only the test factories, so it also runs against
an older checkout (PYTHONPATH=/path/to/it) for a before/after.
"""

import argparse
import asyncio
import os
import statistics
import sys
import tempfile
import time
from email.message import EmailMessage
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _app(tmp: Path, **overrides):
    from flask_migrate import upgrade

    from outlet_audit.extensions import db
    from tests.conftest import make_test_app

    os.environ.setdefault("OUTLET_AUDIT_INSTANCE", str(tmp / "instance"))
    app = make_test_app(f"sqlite:///{tmp / 'bench.sqlite3'}", tmp, **overrides)
    with app.app_context():
        upgrade()
        db.session.remove()
    return app


def throughput(count: int) -> None:
    from rq import Worker as ForkingWorker

    from outlet_audit.jobs import job, send_now
    from outlet_audit.jobs.local import LocalJob, runner
    from outlet_audit.jobs.redis_queue import queue
    from outlet_audit.jobs.runner import use_app
    from outlet_audit.jobs.worker import make_worker
    from tests.redis_server import redis_server
    from tests.smtp_helpers import start_sink

    @job("bench.noop", retries=0)
    def noop(n: int) -> None:
        return None

    inbox, controller = start_sink()
    message = EmailMessage()
    message["From"], message["To"], message["Subject"] = "no-reply@example.test", "a@example.test", "bench"
    message.set_content("一封测试邮件。" * 20)
    mail = {"message": message.as_string(), "user_id": 1}
    with tempfile.TemporaryDirectory() as folder, redis_server() as url:
        app = _app(Path(folder), JOBS_REDIS_URL=url, MAIL_SERVER="127.0.0.1", MAIL_PORT=controller.port)
        use_app(app)
        q = queue(app)
        rows = []
        for label, kind, arguments, worker_class in (
            ("no-op, SimpleWorker (ours)", "bench.noop", {"n": 1}, None),
            ("no-op, forking Worker", "bench.noop", {"n": 1}, ForkingWorker),
            ("mail to a local SMTP sink, SimpleWorker (ours)", "mail.send", mail, None),
        ):
            started = time.perf_counter()
            for _ in range(count):
                send_now(app, kind, arguments)
            enqueued = time.perf_counter() - started
            worker = make_worker(q) if worker_class is None else worker_class([q], connection=q.connection)
            started = time.perf_counter()
            worker.work(burst=True, with_scheduler=False, logging_level="WARNING")
            ran = time.perf_counter() - started
            rows.append((label, count / enqueued, count / ran))
        app.config["JOBS_REDIS_URL"] = ""
        started = time.perf_counter()
        for _ in range(count):
            runner.submit(LocalJob(app, "bench.noop", {"n": 1}))
        runner.wait_until_idle(600)
        rows.append(
            ("no-op, in-process thread (no Redis)", float("nan"), count / (time.perf_counter() - started))
        )
    controller.stop()
    print(f"{count} jobs each; mail delivered: {len(inbox.messages)}")
    print(f"{'':50} {'enqueued/s':>11} {'run/s':>9}")
    for label, enqueue_rate, run_rate in rows:
        print(f"{label:50} {enqueue_rate:11,.0f} {run_rate:9,.0f}")


def requests(times: int, on_redis: bool) -> None:
    from outlet_audit.extensions import db
    from outlet_audit.roles import Role
    from tests.checklist_helpers import Inspection
    from tests.factories import login, make_application, make_outlet, make_user
    from tests.smtp_helpers import Inbox, start_sink
    from tests.workflow_helpers import make_crew

    class SlowInbox(Inbox):
        async def handle_EHLO(self, server, session, envelope, hostname, responses):  # noqa: N802
            await asyncio.sleep(1)
            session.host_name = hostname
            return responses

    inbox, controller = start_sink(SlowInbox())
    with tempfile.TemporaryDirectory() as folder, _maybe_redis(on_redis) as url:
        overrides = {"MAIL_SERVER": "127.0.0.1", "MAIL_PORT": controller.port, "MAIL_TIMEOUT": 5}
        if url:
            overrides["JOBS_REDIS_URL"] = url
        app = _app(Path(folder), **overrides)
        decisions, saves = [], []
        with app.test_request_context():
            crew = make_crew()
            applications = []
            for n in range(times):  # one application in progress per outlet; each has staff to mail
                outlet = make_outlet("FX")
                make_user(Role.OUTLET, outlet=outlet, email=f"outlet-{n}@example.test")
                applications.append(make_application(outlet, status="submitted"))
            inspection = Inspection()
            db.session.commit()
            bureau, inspector = crew.bureau, inspection.inspector
            urls = [f"/applications/{a.id}/transition" for a in applications]
            save_url = inspection.save_url("1.1")
        client, inspecting = app.test_client(), app.test_client()
        with app.app_context():
            login(client, db.session.merge(bureau))
            login(inspecting, db.session.merge(inspector))
        for n, url in enumerate(urls):
            started = time.perf_counter()
            response = client.post(url, data={"action": "return", "return-reasons": "请补充承诺书。"})
            decisions.append(time.perf_counter() - started)
            assert response.status_code == 302, response.status_code
            started = time.perf_counter()
            response = inspecting.post(
                save_url, json={"value": "yes" if n % 2 else "no", "expected_version": n}
            )
            saves.append(time.perf_counter() - started)
            assert response.status_code == 200, response.get_data(as_text=True)[:200]
    controller.stop()
    where = "Redis (RQ)" if on_redis else "in-process"
    print(f"jobs: {where}; SMTP greets after 1 s; {times} requests each (median / max, ms)")
    for label, values in (("decision (return, mails the outlet)", decisions), ("answer save", saves)):
        print(f"  {label:40} {statistics.median(values) * 1000:7.1f} {max(values) * 1000:7.1f}")


class _maybe_redis:  # noqa: N801 - used as a context manager
    def __init__(self, wanted: bool):
        self.wanted = wanted

    def __enter__(self):
        if not self.wanted:
            return None
        from tests.redis_server import redis_server

        self._server = redis_server()
        return self._server.__enter__()

    def __exit__(self, *exc):
        if self.wanted:
            self._server.__exit__(*exc)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    sub = parser.add_subparsers(dest="command", required=True)
    one = sub.add_parser("throughput")
    one.add_argument("--jobs", type=int, default=2000)
    two = sub.add_parser("requests")
    two.add_argument("--times", type=int, default=20)
    two.add_argument("--redis", action="store_true")
    args = parser.parse_args()
    sys.path.insert(0, str(ROOT)) if str(ROOT) not in sys.path else None
    if args.command == "throughput":
        throughput(args.jobs)
    else:
        requests(args.times, args.redis)


if __name__ == "__main__":
    main()
