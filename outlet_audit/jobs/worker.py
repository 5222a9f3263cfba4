"""The RQ worker the CLI and the tests run: one process, no fork per job.

RQ's default worker forks a child for every job; ours runs jobs in its own process (SimpleWorker),
because the application (configuration, criteria editions, database pool) is built once and a
forked child would share the parent's database connections. bench/jobs.py measures both.
A job that outlives JOBS_TIMEOUT_SECONDS is still stopped (RQ's alarm-signal death penalty).
"""

from rq import SimpleWorker


def make_worker(queue) -> SimpleWorker:
    return SimpleWorker([queue], connection=queue.connection)
