"""The jobs the queue runs by the clock, instead of an operator's cron lines.

Each entry is a job kind and a cron expression in Shanghai time. The worker's scheduler thread
(`flask jobs worker`; in development the app's own job thread) wakes every half minute and sends
each entry's latest due run, once: on Redis a key per entry and run (SET NX) makes sure that two
workers never both send it, and that a worker starting after a missed run still sends that one.

The daily commands (`flask certificates remind`, ...) still work, for catching up by hand: each
reminder is sent once whoever runs it.
"""

import logging
import threading
from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from croniter import croniter

from outlet_audit.core.time import today_in_shanghai
from outlet_audit.jobs.registry import job

log = logging.getLogger(__name__)
SHANGHAI = ZoneInfo("Asia/Shanghai")
TICK_SECONDS = 30
CATCH_UP = timedelta(hours=20)  # a daily run missed while no worker ran is still sent within this


@job("reminders.certificates", retries=3)
def certificate_reminders() -> None:
    from outlet_audit.certificates.operations import send_expiry_reminders

    send_expiry_reminders(today_in_shanghai())


@job("reminders.rectification", retries=3)
def rectification_reminders() -> None:
    from outlet_audit.workflow.reminders import send_rectification_reminders

    send_rectification_reminders(today_in_shanghai())


@job("reminders.yearly", retries=3)
def yearly_self_checks() -> None:
    from outlet_audit.supervision.yearly import run_yearly_self_checks

    run_yearly_self_checks(today_in_shanghai())


@job("reminders.editions", retries=3)
def edition_notices() -> None:
    from flask import current_app

    from outlet_audit.criteria.reminders import send_edition_notices

    send_edition_notices(today_in_shanghai(), current_app.config.get("CRITERIA_NOTICE_DAYS", 30))


@job("dashboards.refresh", retries=0)  # the next refresh comes in five minutes anyway
def dashboard_snapshots() -> None:
    from outlet_audit.dashboards.refresh import refresh_every_view

    refresh_every_view()


@dataclass(frozen=True)
class Periodic:
    kind: str
    cron: str  # minute hour day month weekday, Shanghai time


SCHEDULE = (
    Periodic("reminders.certificates", "0 6 * * *"),
    Periodic("reminders.rectification", "5 6 * * *"),
    Periodic("reminders.yearly", "10 6 * * *"),
    Periodic("reminders.editions", "15 6 * * *"),
    Periodic("dashboards.refresh", "*/5 * * * *"),
    Periodic("exports.purge", "20 * * * *"),
)


def latest_run(entry: Periodic, now: datetime) -> datetime:
    """The entry's most recent scheduled time at or before `now` (aware, Shanghai)."""
    return croniter(entry.cron, now.astimezone(SHANGHAI) + timedelta(seconds=1)).get_prev(datetime)


def due_runs(now: datetime, started: datetime) -> list[tuple[Periodic, datetime]]:
    """Each entry's latest run, when it fell after `started - CATCH_UP` (pure: tested alone)."""
    runs = [(entry, latest_run(entry, now)) for entry in SCHEDULE]
    return [(entry, at) for entry, at in runs if at > started - CATCH_UP]


class Scheduler:
    """Sends each due periodic job once; `claim` says whether this process is the one to send it."""

    def __init__(self, app):
        self.app = app
        self.started = datetime.now(SHANGHAI)
        self._claimed: set[tuple[str, datetime]] = set()
        self._stop = threading.Event()

    def claim(self, entry: Periodic, at: datetime) -> bool:
        url = self.app.config.get("JOBS_REDIS_URL")
        if not url:
            key = (entry.kind, at)
            if key in self._claimed:
                return False
            self._claimed.add(key)
            return True
        from outlet_audit.jobs.redis_queue import connection

        key = f"{self.app.config['JOBS_QUEUE']}:periodic:{entry.kind}:{at.isoformat()}"
        return bool(connection(self.app).set(key, "1", nx=True, ex=int(CATCH_UP.total_seconds()) * 2))

    def tick(self, now: datetime | None = None) -> list[str]:
        from outlet_audit.jobs import send_now

        sent = []
        for entry, at in due_runs(now or datetime.now(SHANGHAI), self.started):
            try:
                if self.claim(entry, at):
                    send_now(self.app, entry.kind, {})
                    sent.append(entry.kind)
            except Exception:  # the scheduler thread must outlive a Redis blip
                log.exception("could not send the periodic job %s", entry.kind)
        return sent

    def run_forever(self) -> None:
        while not self._stop.is_set():
            self.tick()
            self._stop.wait(TICK_SECONDS)

    def start(self) -> threading.Thread:
        thread = threading.Thread(target=self.run_forever, name="jobs-scheduler", daemon=True)
        thread.start()
        return thread

    def stop(self) -> None:
        self._stop.set()


def start_in_process_scheduler(app) -> None:
    """Development without Redis: the app's own thread sends the periodic jobs (unless switched off).

    Only where the configuration says so (JOBS_SCHEDULE_IN_APP: the development server alone)."""
    config = app.config
    wanted = config.get("JOBS_SCHEDULE_IN_APP") and config.get("JOBS_PERIODIC") and not app.testing
    if not wanted or config.get("JOBS_REDIS_URL"):
        return
    with _starting:
        if getattr(app, "_jobs_scheduler", None) is None:
            app._jobs_scheduler = Scheduler(app)
            app._jobs_scheduler.start()


_starting = threading.Lock()
