"""A worker sets its long-lived objects aside from the garbage collector once warm (core/collector.py)."""

import gc
import weakref

import pytest

from outlet_audit import create_app


@pytest.fixture
def unfrozen():
    gc.unfreeze()
    yield
    gc.unfreeze()  # the test process must not keep what this test froze


def _app(after: int):
    return create_app(
        "testing",
        SECRET_KEY="collector-" + "x" * 40,
        SQLALCHEMY_DATABASE_URI="sqlite://",
        GC_FREEZE_AFTER_REQUESTS=after,
    )


class Cycle:
    pass


def visit(client):
    client.get("/no-such-page").close()  # as the server does once the response is sent


def test_the_objects_left_after_the_first_requests_are_frozen_after_a_full_collection(unfrozen, monkeypatch):
    client = _app(3).test_client()
    visit(client)
    visit(client)
    assert gc.get_freeze_count() == 0, "not before the configured request"
    garbage = Cycle()
    garbage.me = garbage  # only the collector frees it
    gone = weakref.ref(garbage)
    del garbage
    visit(client)
    frozen = gc.get_freeze_count()
    assert frozen > 0
    assert gone() is None, "no garbage is frozen: the freeze follows a collection"
    freezes = []
    real_freeze = gc.freeze
    monkeypatch.setattr(gc, "freeze", lambda: freezes.append(real_freeze()))
    for _ in range(26):
        visit(client)
    assert not freezes, "not on every request"
    visit(client)  # the 30th: ten times the first count
    assert len(freezes) == 1


def test_off_in_tests_and_on_in_production(unfrozen, monkeypatch):
    client = _app(0).test_client()
    for _ in range(5):
        visit(client)
    assert gc.get_freeze_count() == 0
    monkeypatch.setenv("SECRET_KEY", "p" * 40)
    monkeypatch.setenv("DATABASE_URL", "sqlite://")
    assert create_app("production").config["GC_FREEZE_AFTER_REQUESTS"] == 100
