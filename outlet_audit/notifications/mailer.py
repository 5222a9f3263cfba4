"""E-mail leaves after the commit, as a job, never from the request.

A message is composed inside the transaction that caused it and handed to the job queue once that
transaction commits (`queue_mail`; jobs/transaction.py holds the after-commit rule): a rollback, of
the whole transaction or of the savepoint the message was queued in, drops it. The `mail.send`
job hands it to the SMTP server with a short timeout (MAIL_TIMEOUT) and, when that fails, is
retried with the queue's backoff and finally listed on the dead-letter page; so a slow or silent
SMTP server never holds a request, a database lock or a user's action.
"""

import logging
import smtplib
from dataclasses import dataclass
from email import message_from_string, policy
from email.message import EmailMessage

from flask import current_app
from sqlalchemy.orm import Session

from outlet_audit.jobs import job, send_now
from outlet_audit.jobs.local import runner
from outlet_audit.jobs.transaction import after_commit

log = logging.getLogger(__name__)


@dataclass(frozen=True, eq=False)
class Outgoing:
    """A composed message and the SMTP server to hand it to."""

    message: EmailMessage
    server: str
    port: int
    timeout: float
    user_id: int  # for the log: addresses are not written to it


def queue_mail(session: Session, outgoing: Outgoing) -> None:
    """Send `outgoing` once `session` commits; drop it if the transaction it was queued in rolls back."""
    app = current_app._get_current_object()
    arguments = {"message": outgoing.message.as_string(), "user_id": outgoing.user_id}
    after_commit(session, lambda: send_now(app, "mail.send", arguments))


@job("mail.send", retries=5, private=("message",))
def send_mail(message: str, user_id: int) -> None:
    """Hand one composed message to the configured SMTP server (the text holds the address and,
    for a password reset, the link: the dead-letter page never shows it)."""
    config = current_app.config
    if not config.get("MAIL_SERVER"):
        log.warning("MAIL_SERVER is not set any more: not mailing user %s", user_id)
        return
    outgoing = Outgoing(
        message_from_string(message, policy=policy.default),
        config["MAIL_SERVER"],
        config["MAIL_PORT"],
        config["MAIL_TIMEOUT"],
        user_id,
    )
    try:
        deliver(outgoing)
    except Exception:
        # The in-app notification stands; the queue tries the mail again later.
        log.exception("could not mail notification to user %s", user_id)
        raise


def deliver(outgoing: Outgoing) -> None:
    """Hand one message to the SMTP server; every socket operation gives up after the timeout."""
    with smtplib.SMTP(outgoing.server, outgoing.port, timeout=outgoing.timeout) as smtp:
        smtp.send_message(outgoing.message)


class _SentWaiter:
    """What the mail tests wait on: the in-process job thread has sent (or tried) every mail due."""

    @staticmethod
    def wait_until_sent(timeout: float) -> bool:
        return runner.wait_until_idle(timeout)


worker = _SentWaiter()
