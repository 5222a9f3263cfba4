"""Without Redis (the embedded default) jobs run in a thread of the app's process by the same rule
as on RQ: retried with the kind's backoff, then kept for the dead-letter page, and the kind's
`gave_up` run once, after the last try (tests/jobs/test_exports_later.py: the same on RQ)."""

import pytest

from outlet_audit.jobs import job, registry
from outlet_audit.jobs.local import LocalJob, LocalRunner

TRIED: list[str] = []
GIVEN_UP: list[str] = []


def note_given_up(reason: str) -> None:
    GIVEN_UP.append(reason)


@job("tests.local_fails", retries=2, gave_up=note_given_up)
def fails(reason: str) -> None:
    TRIED.append(reason)
    raise RuntimeError(f"refused: {reason}")


def cannot_even_tell(reason: str) -> None:
    raise RuntimeError("the notice failed too")


@job("tests.local_fails_twice_over", retries=0, gave_up=cannot_even_tell)
def fails_twice_over(reason: str) -> None:
    raise RuntimeError(f"refused: {reason}")


@job("tests.local_works", retries=0)
def works(reason: str) -> None:
    TRIED.append(reason)


@pytest.fixture
def local(monkeypatch):
    monkeypatch.setattr(registry, "FIRST_RETRY_SECONDS", 0)  # the same rule, without the waits
    TRIED.clear()
    GIVEN_UP.clear()
    return LocalRunner()


def test_a_job_failing_every_try_is_kept_for_the_administrator_and_given_up_once(app, local):
    local.submit(LocalJob(app, "tests.local_fails", {"reason": "full disk"}))
    assert local.wait_until_idle(10, include_retries=True)
    assert TRIED == ["full disk"] * 3  # the first try and two retries
    assert GIVEN_UP == ["full disk"]
    (dead,) = local.dead
    assert dead.attempts == 3 and dead.error == "RuntimeError: refused: full disk"


def test_a_retry_that_succeeds_gives_nothing_up(app, local, monkeypatch):
    attempts = []

    def fails_once(reason: str) -> None:
        attempts.append(reason)
        if len(attempts) == 1:
            raise RuntimeError("a blip")

    monkeypatch.setitem(registry.KINDS, "tests.local_fails", registry.KINDS["tests.local_fails"].__class__(
        "tests.local_fails", fails_once, 2, gave_up=note_given_up
    ))  # fmt: skip
    local.submit(LocalJob(app, "tests.local_fails", {"reason": "blip"}))
    assert local.wait_until_idle(10, include_retries=True)
    assert attempts == ["blip", "blip"] and GIVEN_UP == [] and local.dead == []


def test_a_failing_notice_of_giving_up_does_not_stop_the_next_job(app, local):
    local.submit(LocalJob(app, "tests.local_fails_twice_over", {"reason": "first"}))
    local.submit(LocalJob(app, "tests.local_works", {"reason": "second"}))
    assert local.wait_until_idle(10, include_retries=True)
    assert [job.kind for job in local.dead] == ["tests.local_fails_twice_over"]
    assert TRIED == ["second"]
