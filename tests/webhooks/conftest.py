import pytest

import outlet_audit.jobs
from tests.jobs_helpers import module_queue_app, queue_app, redis_url  # noqa: F401 - fixtures (Redis, an app on it)
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
def hook():
    """A receiver listening on 127.0.0.1 (tests/webhooks/receiver.py)."""
    with receiver() as state:
        yield state
