import pytest

import outlet_audit.jobs
from tests.jobs_helpers import queue_app, redis_url  # noqa: F401 - fixtures (a private Redis, an app on it)
from tests.webhooks.receiver import receiver


@pytest.fixture
def held_jobs(monkeypatch):
    """Jobs sent after a commit are kept in this list (kind, arguments) instead of run.

    Without Redis the app runs jobs in a thread of its own, with its own session; the tests' session
    is bound to one connection that is rolled back at the end, which that thread must not share.
    Tests that run deliveries through the queue use tests/jobs_helpers.queue_app instead.
    """
    held: list[tuple[str, dict]] = []
    monkeypatch.setattr(
        outlet_audit.jobs,
        "send_now",
        lambda _app, kind, arguments, _delay=None: held.append((kind, arguments)),
    )
    return held


@pytest.fixture
def burst_without_pubsub(monkeypatch):
    """A burst worker that does not listen on its pub/sub channel (commands sent to a running worker):
    with RQ 3.0 and redis-py 6, stopping that listener waits out its 60-second poll, on every
    run_jobs. Nothing here sends a worker commands. (To the queue's owners: run_jobs could do this.)"""
    from rq import SimpleWorker

    monkeypatch.setattr(SimpleWorker, "subscribe", lambda self: None)


@pytest.fixture
def hook():
    """A receiver listening on 127.0.0.1 (tests/webhooks/receiver.py)."""
    with receiver() as state:
        yield state
