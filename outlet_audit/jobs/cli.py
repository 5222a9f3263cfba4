"""`flask jobs worker` runs the queue's jobs (and sends the periodic ones); `flask jobs status` says
what is waiting and what failed."""

import sys

import click
from flask import current_app
from flask.cli import AppGroup

jobs_cli = AppGroup("jobs", help="Background jobs: the worker, and the queue's state.")


@jobs_cli.command("worker")
@click.option("--burst", is_flag=True, help="Run what is due now, then stop (for tests and catching up).")
@click.option(
    "--periodic/--no-periodic",
    default=True,
    help="Also send the periodic jobs (reminders, dashboard refreshes); safe on every worker.",
)
def worker(burst: bool, periodic: bool) -> None:
    """Run jobs from Redis until stopped (SIGTERM finishes the job at hand first). Run one or more
    beside the web processes; each builds the application once and runs one job at a time."""
    from outlet_audit.jobs.periodic import Scheduler
    from outlet_audit.jobs.redis_queue import queue
    from outlet_audit.jobs.runner import use_app
    from outlet_audit.jobs.worker import make_worker

    app = current_app._get_current_object()
    if not app.config.get("JOBS_REDIS_URL"):
        click.echo(
            "JOBS_REDIS_URL (or a redis:// RATELIMIT_STORAGE_URI) is not set: jobs run inside the"
            " application process, and no worker is needed.",
            err=True,
        )
        sys.exit(1)
    use_app(app)
    scheduler = Scheduler(app) if periodic and app.config.get("JOBS_PERIODIC") else None
    if scheduler is not None:
        scheduler.tick() if burst else scheduler.start()
    make_worker(queue(app)).work(burst=burst, with_scheduler=True, logging_level="INFO")


@jobs_cli.command("status")
def status() -> None:
    """Jobs waiting, scheduled (delayed or waiting for a retry), running and failed; the workers."""
    from outlet_audit.jobs.dead_letters import failed_jobs
    from outlet_audit.jobs.dead_letters import status as queue_status

    state = queue_status()
    click.echo(f"queue: {state.backend}")
    click.echo(f"waiting: {state.waiting}  scheduled: {state.scheduled}  running: {state.running}")
    click.echo(f"failed (on the administrator's page): {state.failed}  workers: {state.workers}")
    for job in failed_jobs()[:20]:
        when = job.failed_at.isoformat(timespec="seconds") if job.failed_at else "?"
        click.echo(f"  {when} {job.kind} ({job.attempts} tries): {job.error}")
