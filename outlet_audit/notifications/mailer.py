"""E-mail leaves after the commit, from a background thread, never from the request.

A message is composed inside the transaction that caused it and kept with that transaction
(`queue_mail`). When the session commits, it is handed to one daemon thread per process that
sends each message with a short timeout (MAIL_TIMEOUT) and logs any failure; a rollback, of the
whole transaction or of the savepoint the message was queued in, drops it. So a slow or silent
SMTP server never holds a request, a database lock or a user's action.

This is the seam a real job queue replaces (a later issue): `queue_mail` stays the one way in.
Until then a message still waiting when the process ends is given a short grace period and is
then lost (and logged), as is one beyond QUEUE_LIMIT while the mail server is down.
"""

import atexit
import logging
import os
import smtplib
import threading
from collections import deque
from dataclasses import dataclass
from email.message import EmailMessage

from sqlalchemy import event
from sqlalchemy.orm import Session, SessionTransaction

log = logging.getLogger(__name__)

QUEUE_LIMIT = 1000  # messages waiting in one process; more are dropped (and logged) rather than kept
_SESSION_KEY = "outlet_audit.queued_mail"  # in Session.info: [(transaction, Outgoing), ...]


@dataclass(frozen=True, eq=False)
class Outgoing:
    """A composed message and the SMTP server to hand it to (no app context is needed to send it)."""

    message: EmailMessage
    server: str
    port: int
    timeout: float
    user_id: int  # for the log: addresses are not written to it


def queue_mail(session: Session, outgoing: Outgoing) -> None:
    """Send `outgoing` once `session` commits; drop it if the transaction it was queued in rolls back."""
    transaction = session.get_nested_transaction() or session.get_transaction() or session.begin()
    session.info.setdefault(_SESSION_KEY, []).append((transaction, outgoing))


@event.listens_for(Session, "after_commit")
def _send_committed(session: Session) -> None:
    if session.in_nested_transaction():  # a savepoint released: its mail waits for the real commit
        return
    for _transaction, outgoing in session.info.pop(_SESSION_KEY, ()):
        worker.submit(outgoing)


@event.listens_for(Session, "after_soft_rollback")
def _drop_rolled_back(session: Session, previous: SessionTransaction) -> None:
    queued = session.info.get(_SESSION_KEY)
    if queued:
        queued[:] = [(t, outgoing) for t, outgoing in queued if not _within(t, previous)]


@event.listens_for(Session, "after_transaction_end")
def _forget_at_the_end(session: Session, transaction: SessionTransaction) -> None:
    """A session closed without committing sends nothing (after_commit has taken what was committed)."""
    if transaction.parent is None:
        session.info.pop(_SESSION_KEY, None)


def _within(transaction: SessionTransaction | None, ancestor: SessionTransaction) -> bool:
    while transaction is not None:
        if transaction is ancestor:
            return True
        transaction = transaction.parent
    return False


def deliver(outgoing: Outgoing) -> None:
    """Hand one message to the SMTP server; every socket operation gives up after the timeout."""
    with smtplib.SMTP(outgoing.server, outgoing.port, timeout=outgoing.timeout) as smtp:
        smtp.send_message(outgoing.message)


class MailWorker:
    """One daemon thread per process sending submitted messages in order, one at a time."""

    def __init__(self, limit: int = QUEUE_LIMIT):
        self._limit = limit
        self.start_afresh()

    def start_afresh(self) -> None:
        """Empty state and no thread; also run in a forked child, where the parent's thread is gone."""
        self._condition = threading.Condition()
        self._waiting: deque[Outgoing] = deque()
        self._unsent = 0  # waiting plus the one being sent
        self._thread: threading.Thread | None = None
        self._longest_timeout = 0.0

    def submit(self, outgoing: Outgoing) -> bool:
        """Queue a message for the thread; False (and logged) when the queue is full."""
        with self._condition:
            if len(self._waiting) >= self._limit:
                log.error("mail queue full (%d waiting): not mailing user %s", self._limit, outgoing.user_id)
                return False
            self._waiting.append(outgoing)
            self._unsent += 1
            self._longest_timeout = max(self._longest_timeout, outgoing.timeout)
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name="mail-sender", daemon=True)
                self._thread.start()
            self._condition.notify_all()
        return True

    def wait_until_sent(self, timeout: float) -> bool:
        """Wait until every submitted message was sent or given up on; False if `timeout` ran out."""
        with self._condition:
            return self._condition.wait_for(lambda: self._unsent == 0, timeout)

    def _run(self) -> None:
        while True:
            with self._condition:
                self._condition.wait_for(lambda: self._waiting)
                outgoing = self._waiting.popleft()
            try:
                deliver(outgoing)
            except Exception:  # whatever one message does, the thread must keep sending the next
                # The in-app notification stands; a mail server outage must not undo the user's action.
                log.exception("could not mail notification to user %s", outgoing.user_id)
            finally:
                with self._condition:
                    self._unsent -= 1
                    self._condition.notify_all()

    def drain_at_exit(self) -> None:
        """Let queued messages go out when the process ends (a CLI job commits, then exits at once),
        for as long as they keep going out: give up once none finished within a few timeouts."""
        with self._condition:
            while self._unsent:
                before = self._unsent
                if not self._condition.wait_for(
                    lambda before=before: self._unsent < before, 3 * self._longest_timeout + 1
                ):
                    log.error("process ending: %d notification mail(s) not sent", self._unsent)
                    return


worker = MailWorker()
atexit.register(worker.drain_at_exit)
os.register_at_fork(after_in_child=worker.start_afresh)
