"""Running one job: in a context of its own, with a fresh database session, committed at the end.

`execute` is the function RQ stores in Redis for every job; the worker (`flask jobs worker`, or
tests/jobs_helpers.run_jobs) sets the app it built once with `use_app`.
"""

import logging

from flask import Flask

from outlet_audit.jobs.registry import kind_of

log = logging.getLogger(__name__)

_worker_app: Flask | None = None
# Lists that are told of each job run, as (kind, arguments): tests/jobs_helpers.run_jobs reads one.
observers: list[list[tuple[str, dict]]] = []


def use_app(app: Flask | None) -> None:
    global _worker_app
    _worker_app = app


def execute(kind: str, arguments: dict) -> object:
    """RQ's entry point: run the job kind `kind` with `arguments` in the worker's app."""
    if _worker_app is None:
        raise RuntimeError("no application to run jobs in: start workers with `flask jobs worker`")
    return run(_worker_app, kind, arguments)


def run(app: Flask, kind: str, arguments: dict) -> object:
    for observer in observers:
        observer.append((kind, arguments))
    return _in_job_context(app, kind_of(kind).func, arguments)


def give_up(app: Flask, kind: str, arguments: dict) -> None:
    """The job's last try has failed: run its kind's `gave_up` (if it has one) with its arguments."""
    gave_up = kind_of(kind).gave_up
    if gave_up is not None:
        _in_job_context(app, gave_up, arguments)


def after_failure(job, _connection, *_exc_info) -> None:
    """RQ's failure callback, called after every failed try and for a job whose worker died
    (redis_queue.send sets it for kinds with `gave_up`): after the last, `give_up`."""
    if job.should_retry:
        return
    if _worker_app is None:
        log.error("job %s failed for good, and no application to tell it in", job.id)
        return
    kind, arguments = job.args[:2]
    give_up(_worker_app, kind, arguments)


def _in_job_context(app: Flask, func, arguments: dict) -> object:
    from outlet_audit.extensions import db

    # A request context of its own (to PUBLIC_BASE_URL, no user): the code a job calls was written
    # for requests and CLI commands alike, and asks for the locale (the default) or builds links.
    # It is a writing one (POST): a job is work that writes, so it takes SQLite's write lock up
    # front as a writing request does (a deferred transaction that upgrades later is refused at
    # once, "database is locked", when a request wrote meanwhile) and obeys the same lock rules.
    with app.test_request_context(base_url=app.config.get("PUBLIC_BASE_URL"), method="POST"):
        try:
            result = func(**arguments)
            db.session.commit()
        except BaseException:
            db.session.rollback()
            raise
        finally:
            db.session.remove()
    return result
