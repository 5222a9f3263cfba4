"""Two app servers at once, as on several machines: two gunicorn processes on different ports sharing
one PostgreSQL database (migrated with `flask db upgrade`), one evidence folder and one Redis (rate
limits and the job queue), with two queue workers.

- a photo uploaded through one server is served by the other;
- failed sign-ins count across both (the limit is the shared Redis's, not each process's);
- jobs enqueued through one server run exactly once, though two workers take from the queue.

It makes its own PostgreSQL database on the machine's server whatever the suite runs on (SQLite or
PostgreSQL): what it proves needs several processes on one database, which SQLite is not made for.
"""

import os
import re
import signal
import subprocess
import sys
import time
import uuid
from contextlib import ExitStack, contextmanager
from pathlib import Path

import requests
import sqlalchemy as sa
from sqlalchemy import func, select

from outlet_audit.extensions import db
from outlet_audit.roles import Agency, Role
from outlet_audit.webhooks.models import WebhookAttempt, WebhookDelivery
from tests.conftest import make_test_app
from tests.factories import PASSWORD, make_application, make_user
from tests.redis_server import _free_port, redis_server
from tests.webhooks.helpers import endpoint_for, organisation
from tests.webhooks.receiver import receiver
from tests.workflow_helpers import jpeg_bytes

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
ADMIN_URL = os.environ.get("TWO_SERVERS_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1/test")
SECRET_KEY = "two-servers-" + "k" * 40  # both servers sign and read the same session cookies


@contextmanager
def postgres_database():
    name = f"oa_two_{uuid.uuid4().hex[:12]}"
    admin = sa.create_engine(ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(sa.text(f'CREATE DATABASE "{name}"'))
    try:
        yield sa.engine.make_url(ADMIN_URL).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as connection:
            connection.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@contextmanager
def running(command: list[str], env: dict, log: Path):
    with log.open("wb") as out:
        process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT)
    try:
        yield process
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def wait_until_up(base: str, log: Path, deadline: float) -> None:
    while time.monotonic() < deadline:
        try:
            if requests.get(f"{base}/healthz", timeout=5).status_code == 200:
                return
        except requests.RequestException:  # not listening yet, or still loading the app
            time.sleep(0.1)
    raise AssertionError(f"{base} did not start:\n{log.read_text(errors='replace')[-3000:]}")


def csrf_token(session: requests.Session, url: str) -> str:
    page = session.get(url, timeout=5).text
    return re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)


def sign_in(session: requests.Session, base: str, username: str, password: str) -> bool:
    """Whether the server signed the browser in (a redirect), with the form as a person sends it."""
    data = {"csrf_token": csrf_token(session, f"{base}/login"), "username": username, "password": password}
    return session.post(f"{base}/login", data=data, allow_redirects=False, timeout=5).status_code == 302


def seed(database_url: str, tmp_path: Path, hook_url: str) -> dict:
    """An outlet's draft application (its self-assessment takes photos) and the Fengxian postal
    bureau's approver with a webhook endpoint, made by the operations and committed."""
    # One more server of the same deployment: the same SECRET_KEY, which seals the webhook secret
    app = make_test_app(database_url, tmp_path / "seed", SECRET_KEY=SECRET_KEY)
    with app.test_request_context():
        application = make_application()
        from outlet_audit.checklist.service import get_or_create_assessment

        assessment = get_or_create_assessment(application, "self")
        outlet_user = _outlet_user(application)
        approver = make_user(Role.DISTRICT_BUREAU, district_code="FX")
        endpoint, _secret = endpoint_for(organisation(Agency.DISTRICT_POSTAL), hook_url, approver)
        db.session.commit()
        seeded = {
            "assessment": assessment.id,
            "outlet_user": outlet_user.username,
            "approver": approver.username,
            "endpoint": endpoint.id,
        }
    with app.app_context():
        db.engine.dispose()
    return seeded


def _outlet_user(application):
    from outlet_audit.accounts.models import User

    return db.session.scalar(select(User).where(User.outlet_id == application.outlet_id).order_by(User.id))


def test_two_servers_share_the_database_files_limits_and_queue(tmp_path):
    with ExitStack() as stack:
        database_url = stack.enter_context(postgres_database())
        redis_url = stack.enter_context(redis_server())
        hook = stack.enter_context(receiver())
        evidence = tmp_path / "shared-evidence"
        env = {
            **os.environ,
            "PYTHONPATH": str(ROOT),
            "FLASK_APP": "wsgi.py",
            "OUTLET_AUDIT_ENV": "development",
            "DATABASE_URL": database_url,
            "SECRET_KEY": SECRET_KEY,
            "EVIDENCE_DIR": str(evidence),
            "PDF_CACHE_DIR": str(tmp_path / "shared-pdf-cache"),
            "RATELIMIT_STORAGE_URI": redis_url,
            "JOBS_REDIS_URL": redis_url,
            "JOBS_PERIODIC": "0",
            "RATELIMIT_LOGIN": "3 per minute",
            "WEBHOOK_ALLOW_PRIVATE_HOSTS": "1",
            "TWO_FACTOR_REQUIRED": "0",
        }
        env.pop("TEST_DATABASE_URL", None)
        # Everything starts at once (two cores do the imports side by side): the migration, two
        # servers and two workers; the servers are asked nothing before the schema and rows exist.
        migration = subprocess.Popen(
            [str(BIN / "flask"), "db", "upgrade"],
            cwd=ROOT,
            env={**env, "OUTLET_AUDIT_INSTANCE": str(tmp_path / "migrate")},
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
        )
        bases = []
        for name in ("a", "b"):
            port = _free_port()
            log = tmp_path / f"gunicorn-{name}.log"
            # each its own instance folder (and so nothing shared but what the settings say)
            server_env = {**env, "OUTLET_AUDIT_INSTANCE": str(tmp_path / f"instance-{name}")}
            command = [str(BIN / "gunicorn"), "--workers", "1", "--bind", f"127.0.0.1:{port}", "wsgi:app"]
            stack.enter_context(running(command, server_env, log))
            bases.append((f"http://127.0.0.1:{port}", log))
        for name in ("1", "2"):
            command = [str(BIN / "flask"), "jobs", "worker", "--no-periodic"]
            worker_env = {**env, "OUTLET_AUDIT_INSTANCE": str(tmp_path / f"worker-{name}")}
            stack.enter_context(running(command, worker_env, tmp_path / f"worker-{name}.log"))
        output, _ = migration.communicate(timeout=120)  # a loaded CI machine: slow, not hung
        assert migration.returncode == 0, output.decode(errors="replace")[-3000:]
        seeded = seed(database_url, tmp_path, hook.url)
        for base, log in bases:
            wait_until_up(base, log, time.monotonic() + 30)
        (a, _), (b, _) = bases

        # A photo uploaded through A is served by B (one database row, one shared evidence folder).
        outlet = requests.Session()
        assert sign_in(outlet, a, seeded["outlet_user"], PASSWORD)
        token = csrf_token(outlet, f"{a}/checklist/{seeded['assessment']}")
        upload = outlet.post(
            f"{a}/evidence/assessments/{seeded['assessment']}/upload",
            data={"item_code": "1.1"},
            files={"file": ("shop.jpg", jpeg_bytes(7), "image/jpeg")},
            headers={"X-CSRFToken": token, "Accept": "application/json"},
            timeout=10,
        )
        assert upload.status_code == 200, upload.text
        evidence_id = upload.json()["evidence"][0]["id"]
        from_a = outlet.get(f"{a}/evidence/{evidence_id}", timeout=5)
        from_b = outlet.get(f"{b}/evidence/{evidence_id}", timeout=5)  # the same cookie: one secret key
        assert from_b.status_code == 200 and from_b.headers["Content-Type"] == "image/jpeg"
        assert from_b.content == from_a.content and len(from_b.content) > 100
        assert any(path.is_file() for path in evidence.rglob("*"))

        # Failed sign-ins count across both servers: 3 a minute from one address, wherever they land.
        stranger, bureau = requests.Session(), requests.Session()
        assert not sign_in(stranger, a, "nobody", "wrong-password-1")
        assert not sign_in(stranger, a, "nobody", "wrong-password-2")
        assert sign_in(bureau, b, seeded["approver"], PASSWORD)  # a success is not counted
        assert not sign_in(stranger, b, "nobody", "wrong-password-3")  # the third failure, on B
        assert not sign_in(requests.Session(), a, seeded["approver"], PASSWORD)  # spent, on A too

        # Jobs enqueued through B run once each, though two workers (started above) take from the queue.
        test_event = f"{b}/webhooks/{seeded['endpoint']}/test"
        for _ in range(3):
            token = csrf_token(bureau, f"{b}/webhooks/{seeded['endpoint']}")
            response = bureau.post(test_event, data={"csrf_token": token}, allow_redirects=False, timeout=5)
            assert response.status_code == 302
        deadline = time.monotonic() + 15
        while len(hook.requests) < 3 and time.monotonic() < deadline:
            time.sleep(0.1)
        time.sleep(0.5)  # a second run of any of them would arrive now
        deliveries = [received.headers["X-OA-Delivery"] for received in hook.requests]
        assert len(deliveries) == 3 and len(set(deliveries)) == 3, deliveries
        engine = sa.create_engine(database_url)
        with engine.connect() as connection:
            attempts = connection.scalar(select(func.count()).select_from(WebhookAttempt))
            delivered = connection.scalar(
                select(func.count()).select_from(WebhookDelivery).where(WebhookDelivery.status == "delivered")
            )
        engine.dispose()
        assert attempts == 3 and delivered == 3
