"""Jobs through the real queue in tests: a private Redis, an app of its own that sends its jobs
there, and `run_jobs(app)`, a burst worker that runs every job due and says which ran.

    from tests.jobs_helpers import queue_app, redis_url, run_jobs  # noqa: F401 (fixtures)

    def test_something(queue_app):
        ...commit something that enqueues...
        assert [kind for kind, _ in run_jobs(queue_app)] == ["mail.send"]

The app has a database of its own with real commits (the worker sees only committed rows, as in
production), made by `upgrade head` like every test database.
"""

from contextlib import contextmanager

import pytest
import redis
from flask_migrate import upgrade

from outlet_audit.extensions import db
from outlet_audit.jobs import runner
from outlet_audit.jobs.redis_queue import queue
from outlet_audit.jobs.worker import make_worker
from tests.conftest import fresh_database, make_test_app
from tests.redis_server import redis_server


def run_jobs(app) -> list[tuple[str, dict]]:
    """Run every job due now through RQ (a burst worker in this process: scheduled jobs whose time
    has come are moved to the queue first), and the jobs those jobs send; return (kind, arguments)
    of each job run, in order, failed ones included."""
    ran: list[tuple[str, dict]] = []
    runner.use_app(app)
    runner.observers.append(ran)
    try:
        make_worker(queue(app)).work(burst=True, with_scheduler=True, logging_level="WARNING")
    finally:
        runner.observers.remove(ran)
        runner.use_app(None)
    return ran


def failed_kinds(app) -> list[str]:
    """The kinds of the jobs on the dead-letter list (RQ's failed-job registry)."""
    q = queue(app)
    return [job.meta.get("kind") for job in map(q.fetch_job, q.failed_job_registry.get_job_ids()) if job]


@contextmanager
def jobs_app(tmp_path_factory, tmp_path, redis_url: str, **overrides):
    """An app on a fresh database whose jobs go to the (emptied) Redis at `redis_url`."""
    redis.Redis.from_url(redis_url).flushdb()
    with fresh_database(tmp_path_factory) as url:
        app = make_test_app(url, tmp_path, JOBS_REDIS_URL=redis_url, **overrides)
        with app.app_context():
            upgrade()
            db.session.remove()
        try:
            yield app
        finally:
            with app.app_context():
                db.session.remove()
                db.engine.dispose()


@pytest.fixture(scope="session")
def redis_url():
    """A private redis-server for the test session (tests/redis_server.py)."""
    with redis_server() as url:
        yield url


@pytest.fixture(scope="module")
def module_queue_app(tmp_path_factory, redis_url):
    with jobs_app(tmp_path_factory, tmp_path_factory.mktemp("jobs"), redis_url) as app:
        yield app


@pytest.fixture
def queue_app(module_queue_app, redis_url):
    """An app whose jobs go to the test Redis (emptied for each test); run them with run_jobs(app).

    Its database (real commits) is shared by the tests of a module: make rows of your own, and
    change its configuration with monkeypatch.setitem."""
    redis.Redis.from_url(redis_url).flushdb()
    return module_queue_app
