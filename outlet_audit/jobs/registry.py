"""What a job kind is: a name, a function taking JSON-able keyword arguments, and its retry rule.

Pure: no Flask, no Redis. Both ways of running jobs (RQ on Redis, and the in-process thread used
when no Redis is configured) read the same `JobKind`, so a job is retried alike on either.
"""

from collections.abc import Callable
from dataclasses import dataclass

DEFAULT_RETRIES = 5
FIRST_RETRY_SECONDS = 30  # then doubling: 30 s, 1 min, 2 min, 4 min ... at most MAX_RETRY_SECONDS
MAX_RETRY_SECONDS = 6 * 3600


@dataclass(frozen=True)
class JobKind:
    name: str
    func: Callable[..., object]
    retries: int
    # Arguments the dead-letter page must never show (a mail's text holds addresses and reset links).
    private: frozenset[str] = frozenset()
    # Worth doing only on a worker of its own (Redis configured); without one `enqueue` drops it.
    worker_only: bool = False
    # Run with the job's arguments, in a transaction of its own, once its last try has failed: the
    # person waiting for the work is told, rather than shown "being prepared" for ever.
    gave_up: Callable[..., None] | None = None

    def backoff(self) -> list[int]:
        """Seconds to wait before each retry: exponential, so a mail server down for an hour is
        tried a handful of times rather than hammered, and a passing blip costs half a minute."""
        return backoff(self.retries)


def backoff(retries: int) -> list[int]:
    return [min(FIRST_RETRY_SECONDS * 2**attempt, MAX_RETRY_SECONDS) for attempt in range(retries)]


KINDS: dict[str, JobKind] = {}


def job(
    name: str,
    retries: int = DEFAULT_RETRIES,
    *,
    private: tuple[str, ...] = (),
    worker_only: bool = False,
    gave_up: Callable[..., None] | None = None,
):
    """Register `func` as the job kind `name`; keyword arguments only, JSON-able.

    The function runs in an app context with a fresh database session, and commits its own work
    (what it leaves uncommitted is committed after it returns; an exception rolls it back).
    `gave_up`, if given, runs the same way with the same arguments after the last try failed.
    """

    def register(func):
        known = KINDS.get(name)
        if known is not None and known.func.__qualname__ != func.__qualname__:
            raise ValueError(f"job kind {name!r} is registered already, by {known.func.__qualname__}")
        KINDS[name] = JobKind(name, func, retries, frozenset(private), worker_only, gave_up)
        func.job_name = name
        return func

    return register


def kind_of(func_or_name) -> JobKind:
    name = func_or_name if isinstance(func_or_name, str) else getattr(func_or_name, "job_name", None)
    if name not in KINDS:
        raise LookupError(f"{func_or_name!r} is not a registered job (decorate it with @job)")
    return KINDS[name]


def shown_arguments(kind_name: str, kwargs: dict) -> dict:
    """The arguments as the dead-letter page may show them: private ones masked."""
    kind = KINDS.get(kind_name)
    private = kind.private if kind else frozenset()
    return {key: ("…" if key in private else value) for key, value in kwargs.items()}
