"""Jobs that failed after their last retry, wherever they ran: RQ's FailedJobRegistry on Redis,
or the in-process runner's list without it. What the administrator's page and `flask jobs status`
read; both kinds answer with `FailedJob`."""

from dataclasses import dataclass

from flask import current_app

from outlet_audit.jobs.local import runner
from outlet_audit.jobs.redis_queue import FailedJob


def _on_redis() -> bool:
    return bool(current_app.config.get("JOBS_REDIS_URL"))


def failed_jobs() -> list[FailedJob]:
    if _on_redis():
        from outlet_audit.jobs import redis_queue

        return redis_queue.failed_jobs()
    return [
        FailedJob(job.id, job.kind, job.arguments, job.error, job.attempts, job.failed_at)
        for job in reversed(runner.dead)
    ]


def kind_of_failed(job_key: str) -> str | None:
    return next((job.kind for job in failed_jobs() if job.id == job_key), None)


def retry(job_key: str) -> bool:
    if _on_redis():
        from outlet_audit.jobs import redis_queue

        return redis_queue.retry_failed(job_key)
    return runner.retry(job_key)


def discard(job_key: str) -> bool:
    if _on_redis():
        from outlet_audit.jobs import redis_queue

        return redis_queue.discard_failed(job_key)
    return runner.discard(job_key)


@dataclass(frozen=True)
class Status:
    backend: str  # "redis" or "in-process"
    waiting: int
    scheduled: int  # delayed, or waiting for a retry
    running: int
    failed: int
    workers: int


def status() -> Status:
    if _on_redis():
        from rq import Worker

        from outlet_audit.jobs import redis_queue

        queue = redis_queue.queue()
        return Status(
            "redis",
            queue.count,
            queue.scheduled_job_registry.count,
            queue.started_job_registry.count,
            queue.failed_job_registry.count,
            Worker.count(queue=queue),
        )
    return Status("in-process", runner.waiting(), 0, 0, len(runner.dead), 1)
