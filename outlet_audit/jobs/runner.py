"""Running one job: in a context of its own, with a fresh database session, committed at the end.

`execute` is the function RQ stores in Redis for every job; the worker (`flask jobs worker`, or
tests/jobs_helpers.run_jobs) sets the app it built once with `use_app`.
"""

from flask import Flask

from outlet_audit.jobs.registry import kind_of

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
    from outlet_audit.extensions import db

    func = kind_of(kind).func
    for observer in observers:
        observer.append((kind, arguments))
    # A request context of its own (to PUBLIC_BASE_URL, no user): the code a job calls was written
    # for requests and CLI commands alike, and asks for the locale (the default) or builds links.
    with app.test_request_context(base_url=app.config.get("PUBLIC_BASE_URL")):
        try:
            result = func(**arguments)
            db.session.commit()
        except BaseException:
            db.session.rollback()
            raise
        finally:
            db.session.remove()
    return result
