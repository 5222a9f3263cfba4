"""Mail queued just before a process ends still goes out: `flask certificates remind` commits and
exits at once, which would otherwise kill the background sender with the mail still in it."""

import asyncio
import subprocess
import sys
import time
from pathlib import Path

from tests.smtp_helpers import Inbox, start_sink

ROOT = Path(__file__).resolve().parents[1]

QUEUE_AND_EXIT = """
import sys
from email.message import EmailMessage
from outlet_audit.notifications.mailer import Outgoing, worker

message = EmailMessage()
message["From"], message["To"], message["Subject"] = "no-reply@example.test", "outlet@example.test", "exit"
message.set_content("queued as the process ends")
worker.submit(Outgoing(message, "127.0.0.1", int(sys.argv[1]), 5, 1))
"""


class SlowInbox(Inbox):
    """Answers EHLO only after a second, so the message arrives only if the sender is waited for."""

    async def handle_EHLO(self, server, session, envelope, hostname, responses):  # noqa: N802 - aiosmtpd's hook
        await asyncio.sleep(1)
        session.host_name = hostname
        return responses


def test_mail_queued_as_the_process_ends_is_sent_before_it_exits():
    inbox, controller = start_sink(SlowInbox())
    try:
        started = time.perf_counter()
        subprocess.run(
            [sys.executable, "-c", QUEUE_AND_EXIT, str(controller.port)], cwd=ROOT, check=True, timeout=60
        )
        took = time.perf_counter() - started
    finally:
        controller.stop()
    assert [message.get_content().strip() for _, message in inbox.messages] == ["queued as the process ends"]
    assert took < 30  # waited for the message, not for ever
