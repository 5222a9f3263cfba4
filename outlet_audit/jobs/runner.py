"""Running one job: in an app context, with a fresh database session, committed at the end.

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
    with app.app_context():
        try:
            result = func(**arguments)
            db.session.commit()
        except BaseException:
            db.session.rollback()
            raise
        finally:
            db.session.remove()
    return result
