"""Jobs on Redis with RQ: what `enqueue` sends when JOBS_REDIS_URL is set, and what the admin's
dead-letter page and `flask jobs status` read.

Each job is RQ's call of `runner.execute(kind, arguments)` with the kind's retry rule (RQ's
Retry, intervals from `JobKind.backoff`); after the last try RQ keeps it in the queue's
FailedJobRegistry for JOBS_FAILED_KEEP_DAYS: that registry is the dead-letter list. A worker killed
mid-job leaves the job in the StartedJobRegistry; once its heartbeat lapses, the next worker's
maintenance retries it (or, with no retries left, fails it into the dead-letter list).
"""

from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import cache

import redis
from flask import current_app
from rq import Callback, Queue, Retry
from rq.job import Job
from rq.registry import FailedJobRegistry

from outlet_audit.jobs.registry import JobKind

ENTRY_POINT = "outlet_audit.jobs.runner.execute"
AFTER_FAILURE = "outlet_audit.jobs.runner.after_failure"


@cache
def _connection(url: str) -> redis.Redis:
    return redis.Redis.from_url(url, socket_connect_timeout=2, socket_timeout=5)


def connection(app=None) -> redis.Redis:
    return _connection((app or current_app).config["JOBS_REDIS_URL"])


def queue(app=None) -> Queue:
    app = app or current_app
    return Queue(app.config["JOBS_QUEUE"], connection=connection(app))


def send(app, kind: JobKind, arguments: dict, delay: timedelta | None = None) -> str:
    options = {
        "args": (kind.name, arguments),
        "job_timeout": app.config["JOBS_TIMEOUT_SECONDS"],
        "failure_ttl": app.config["JOBS_FAILED_KEEP_DAYS"] * 86400,
        "result_ttl": 3600,
        "description": kind.name,
        "meta": {"kind": kind.name},
    }
    if kind.retries:
        options["retry"] = Retry(max=kind.retries, interval=kind.backoff())
    if kind.gave_up is not None:
        options["on_failure"] = Callback(AFTER_FAILURE)
    q = queue(app)
    job = q.enqueue_in(delay, ENTRY_POINT, **options) if delay else q.enqueue(ENTRY_POINT, **options)
    return job.id


@dataclass(frozen=True)
class FailedJob:
    id: str
    kind: str
    arguments: dict
    error: str
    attempts: int
    failed_at: datetime | None


def failed_jobs(limit: int = 200) -> list[FailedJob]:
    registry = FailedJobRegistry(queue=queue())
    ids = registry.get_job_ids(0, limit - 1)
    jobs = [job for job in Job.fetch_many(ids, connection=connection()) if job is not None]
    return [_failed(job) for job in jobs]


def _failed(job: Job) -> FailedJob:
    kind, arguments = (list(job.args) + ["?", {}])[:2]
    result = job.latest_result()
    error = (getattr(result, "exc_string", None) or "").strip().splitlines()
    kind_name = job.meta.get("kind", kind)
    attempts = _attempts(kind_name, job.retries_left)
    return FailedJob(
        id=job.id,
        kind=kind_name,
        arguments=arguments if isinstance(arguments, dict) else {},
        error=error[-1] if error else "",
        attempts=attempts,
        failed_at=job.ended_at,
    )


def _attempts(kind_name: str, retries_left: int | None) -> int:
    from outlet_audit.jobs.registry import KINDS

    kind = KINDS.get(kind_name)
    return (kind.retries if kind else 0) - (retries_left or 0) + 1


def retry_failed(job_id: str) -> bool:
    registry = FailedJobRegistry(queue=queue())
    if job_id not in registry.get_job_ids():
        return False
    registry.requeue(job_id)
    return True


def discard_failed(job_id: str) -> bool:
    registry = FailedJobRegistry(queue=queue())
    if job_id not in registry.get_job_ids():
        return False
    registry.remove(job_id, delete_job=True)
    return True
