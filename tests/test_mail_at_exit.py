"""Mail queued just before a process ends still goes out: `flask certificates remind` commits and
exits at once, which would otherwise kill the in-process job thread (no Redis configured) with the
mail still in it."""

import asyncio
import os
import subprocess
import sys
import time
from pathlib import Path

from tests.smtp_helpers import Inbox, start_sink

ROOT = Path(__file__).resolve().parents[1]

QUEUE_AND_EXIT = """
import sys
from email.message import EmailMessage
from outlet_audit import create_app
from outlet_audit.jobs import send_now

app = create_app("testing", SECRET_KEY="x" * 40, MAIL_SERVER="127.0.0.1", MAIL_PORT=int(sys.argv[1]))
message = EmailMessage()
message["From"], message["To"], message["Subject"] = "no-reply@example.test", "outlet@example.test", "exit"
message.set_content("queued as the process ends")
send_now(app, "mail.send", {"message": message.as_string(), "user_id": 1})
"""


class SlowInbox(Inbox):
    """Answers EHLO only after a second, so the message arrives only if the sender is waited for."""

    async def handle_EHLO(self, server, session, envelope, hostname, responses):  # noqa: N802 - aiosmtpd's hook
        await asyncio.sleep(1)
        session.host_name = hostname
        return responses


def test_mail_queued_as_the_process_ends_is_sent_before_it_exits(tmp_path):
    inbox, controller = start_sink(SlowInbox())
    try:
        started = time.perf_counter()
        subprocess.run(
            [sys.executable, "-c", QUEUE_AND_EXIT, str(controller.port)],
            cwd=ROOT,
            check=True,
            timeout=60,
            env={**os.environ, "OUTLET_AUDIT_INSTANCE": str(tmp_path), "PYTHONPATH": str(ROOT)},
        )
        took = time.perf_counter() - started
    finally:
        controller.stop()
    assert [message.get_content().strip() for _, message in inbox.messages] == ["queued as the process ends"]
    assert took < 30  # waited for the message, not for ever
