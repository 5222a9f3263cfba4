"""Jobs without Redis: one daemon thread in the app process, with the same retry rule as RQ.

The embedded SQLite set-up (`make run`, most tests) has no Redis and must need nothing but
Python, so there jobs run here: after the commit, off the request, one at a time, retried with the
job kind's backoff and, after the last try, kept (in memory) for the dead-letter page. A job still
waiting when the process ends gets a short grace period and is then lost (and logged): that is
what Redis and `flask jobs worker` are for in production.
"""

import atexit
import heapq
import itertools
import logging
import os
import threading
import time
import traceback
import uuid
from dataclasses import dataclass, field
from datetime import datetime

from outlet_audit.core.time import utcnow
from outlet_audit.jobs.registry import kind_of
from outlet_audit.jobs.runner import give_up, run

log = logging.getLogger(__name__)
QUEUE_LIMIT = 10_000  # jobs waiting in one process; more are dropped (and logged) rather than kept
DEAD_LIMIT = 500  # failed jobs remembered for the dead-letter page


@dataclass
class LocalJob:
    app: object
    kind: str
    arguments: dict
    id: str = field(default_factory=lambda: uuid.uuid4().hex)
    attempts: int = 0
    error: str = ""
    failed_at: datetime | None = None


class LocalRunner:
    def __init__(self):
        self.start_afresh()

    def start_afresh(self) -> None:
        """Empty state and no thread; also run in a forked child, where the parent's thread is gone."""
        self._condition = threading.Condition()
        self._due: list[tuple[float, int, LocalJob]] = []  # heap of (monotonic due time, seq, job)
        self._sequence = itertools.count()
        self._unfinished = 0  # waiting, or being run, or waiting for a retry
        self._thread: threading.Thread | None = None
        self.dead: list[LocalJob] = []
        self.ran: list[tuple[str, dict]] = []  # for `flask jobs status` in development and for tests

    def submit(self, job: LocalJob, delay: float = 0.0) -> bool:
        with self._condition:
            if len(self._due) >= QUEUE_LIMIT:
                log.error("in-process job queue full (%d waiting): dropping a %s job", QUEUE_LIMIT, job.kind)
                return False
            heapq.heappush(self._due, (time.monotonic() + delay, next(self._sequence), job))
            self._unfinished += 1
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name="jobs", daemon=True)
                self._thread.start()
            self._condition.notify_all()
        return True

    def waiting(self) -> int:
        with self._condition:
            return self._unfinished

    def wait_until_idle(self, timeout: float, *, include_retries: bool = False) -> bool:
        """Wait until every job due now has run (and, with include_retries, every retry too)."""

        with self._condition:
            return self._condition.wait_for(
                (lambda: self._unfinished == 0) if include_retries else self._idle, timeout
            )

    def _idle(self) -> bool:
        """Nothing running and nothing due now (retries may wait for later)."""
        now = time.monotonic()
        return not self._busy and all(due > now for due, _, _ in self._due)

    _busy = False

    def _run(self) -> None:
        while True:
            with self._condition:
                while not self._due or self._due[0][0] > time.monotonic():
                    self._condition.wait(self._due[0][0] - time.monotonic() if self._due else None)
                _, _, job = heapq.heappop(self._due)
                self._busy = True
            retry_in = self._attempt(job)
            with self._condition:
                self._busy = False
                if retry_in is None:
                    self._unfinished -= 1
                else:
                    heapq.heappush(self._due, (time.monotonic() + retry_in, next(self._sequence), job))
                self._condition.notify_all()

    def _attempt(self, job: LocalJob) -> float | None:
        """Run the job once; the seconds until its next try, or None when it is done with."""
        job.attempts += 1
        try:
            run(job.app, job.kind, job.arguments)
            self.ran.append((job.kind, job.arguments))
            return None
        except Exception as error:  # whatever one job does, the thread must go on with the next
            job.error = "".join(traceback.format_exception_only(error)).strip()
            backoff = kind_of(job.kind).backoff()
            if job.attempts <= len(backoff):
                log.warning("job %s failed (try %d), retrying: %s", job.kind, job.attempts, job.error)
                return backoff[job.attempts - 1]
            log.exception("job %s failed for good after %d tries", job.kind, job.attempts)
            job.failed_at = utcnow()
            self.dead = [*self.dead[-(DEAD_LIMIT - 1) :], job]
            try:
                give_up(job.app, job.kind, job.arguments)
            except Exception:
                log.exception("job %s: telling that it failed failed too", job.kind)
            return None

    def retry(self, job_id: str) -> bool:
        job = self._take_dead(job_id)
        if job is None:
            return False
        job.attempts, job.error, job.failed_at = 0, "", None
        return self.submit(job)

    def discard(self, job_id: str) -> bool:
        return self._take_dead(job_id) is not None

    def _take_dead(self, job_id: str) -> LocalJob | None:
        with self._condition:
            for job in self.dead:
                if job.id == job_id:
                    self.dead.remove(job)
                    return job
        return None

    def drain_at_exit(self, grace: float = 10.0) -> None:
        """Let the jobs due now finish when the process ends (a CLI command commits, then exits at
        once), as long as they keep finishing; retries waiting for later are lost (and logged)."""
        with self._condition:
            while not self._idle():
                before = self._unfinished
                if not self._condition.wait_for(
                    lambda before=before: self._idle() or self._unfinished < before, grace
                ):
                    break
            if self._unfinished:
                log.error("process ending: %d job(s) not run", self._unfinished)


runner = LocalRunner()
atexit.register(runner.drain_at_exit)
os.register_at_fork(after_in_child=runner.start_afresh)
