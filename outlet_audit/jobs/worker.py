"""The RQ worker the CLI and the tests run: one process, no fork per job.

RQ's default worker forks a child for every job; ours runs jobs in its own process (SimpleWorker),
because the application (configuration, criteria editions, database pool) is built once and a
forked child would share the parent's database connections; bench/jobs.py measures both.
A job that outlives JOBS_TIMEOUT_SECONDS is still stopped (RQ's alarm-signal death penalty).
"""

from rq import SimpleWorker

# RQ listens for commands (stop, kill a job) on a pub/sub thread that wakes this often; RQ's 60 s
# made every stop of a worker wait a full minute with redis-py 8 (the thread waits out its sleep
# for a subscription that the stop has just ended).
PUBSUB_SLEEP_SECONDS = 0.5
# How often a worker looks for jobs abandoned by a worker that died (RQ's default: 10 minutes).
MAINTENANCE_SECONDS = 60


class Worker(SimpleWorker):
    def subscribe(self):
        self.pubsub = self.connection.pubsub()
        self.pubsub.subscribe(**{self.pubsub_channel_name: self.handle_payload})
        self.pubsub_thread = self.pubsub.run_in_thread(
            sleep_time=PUBSUB_SLEEP_SECONDS, daemon=True, exception_handler=self._pubsub_exception_handler
        )


def make_worker(queue) -> Worker:
    return Worker([queue], connection=queue.connection, maintenance_interval=MAINTENANCE_SECONDS)
