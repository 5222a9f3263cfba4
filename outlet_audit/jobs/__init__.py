"""Background jobs: `@job` registers a kind, `enqueue` sends one once the transaction commits.

    from outlet_audit.jobs import job, enqueue

    @job("webhooks.deliver", retries=8)
    def deliver(delivery_id: int) -> None: ...      # JSON-able keyword arguments only

    enqueue(deliver, delivery_id=delivery.id)       # after the commit; never if it rolls back
    enqueue(deliver, _delay=timedelta(minutes=5), delivery_id=delivery.id)

With JOBS_REDIS_URL set, jobs go to Redis and `flask jobs worker` runs them (RQ); without it
(the embedded SQLite default) a thread in the app process runs them, with the same retry rule
(jobs/local.py). A job runs in an app context with a fresh database session and commits itself;
after its last retry it is listed on the administrator's dead-letter page.
"""

import logging
from datetime import timedelta

from flask import current_app

from outlet_audit.jobs.registry import job, kind_of
from outlet_audit.jobs.transaction import after_commit

__all__ = ["enqueue", "job"]
log = logging.getLogger(__name__)

# Modules that define job kinds: imported by create_app (and so by every worker), so a worker
# knows every kind a web process may send. Add yours here.
JOB_MODULES = (
    "outlet_audit.notifications.mailer",
    "outlet_audit.jobs.fan_out",
    "outlet_audit.jobs.periodic",
    "outlet_audit.jobs.exports",
    "outlet_audit.jobs.pdfs",
)


def enqueue(func, _delay: timedelta | None = None, **kwargs) -> None:
    """Send the job `func(**kwargs)` once the current transaction commits; drop it on a rollback.

    Outside a transaction (nothing written yet) it waits for the next commit, as work asked for
    in a request always does; `send_now` is for the rare caller with nothing to commit.
    """
    from outlet_audit.extensions import db

    kind = kind_of(func)  # the function, or its kind's name (from code below the kind's module)
    app = current_app._get_current_object()
    if kind.worker_only and not app.config.get("JOBS_REDIS_URL"):
        return
    after_commit(db.session(), lambda: send_now(app, kind.name, kwargs, _delay))


def send_now(app, kind_name: str, arguments: dict, delay: timedelta | None = None) -> None:
    """Hand a job to the queue at once. With Redis unreachable the job runs in this process
    rather than be lost (and that is logged): mail and notices keep going out."""
    from outlet_audit.jobs.local import LocalJob, runner

    kind = kind_of(kind_name)
    if app.config.get("JOBS_REDIS_URL"):
        import redis

        from outlet_audit.jobs import redis_queue

        try:
            redis_queue.send(app, kind, arguments, delay)
            return
        except redis.RedisError:
            log.exception("job queue unreachable: running a %s job in this process", kind.name)
    runner.submit(LocalJob(app, kind.name, arguments), delay.total_seconds() if delay else 0.0)


def load_job_modules() -> None:
    import importlib

    for module_name in JOB_MODULES:
        importlib.import_module(module_name)
