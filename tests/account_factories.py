"""Builders and fixtures for the account tests: a real SMTP sink and what it received."""

import re

import pytest

from outlet_audit.notifications.mailer import worker
from tests.smtp_helpers import start_sink

SENT_WITHIN = 10  # seconds to wait for the mail thread; it normally needs milliseconds
LINK = re.compile(r"http://[^\s]+")


@pytest.fixture(name="mail_sink")
def mail_sink_fixture(app, monkeypatch):
    """A real SMTP server on 127.0.0.1 that keeps what it receives; MAIL_SERVER points at it.
    (Import `mail_sink_fixture`; ask for `mail_sink`.)"""
    inbox, controller = start_sink()
    monkeypatch.setitem(app.config, "MAIL_SERVER", "127.0.0.1")
    monkeypatch.setitem(app.config, "MAIL_PORT", controller.port)
    yield inbox
    assert worker.wait_until_sent(SENT_WITHIN)
    controller.stop()


@pytest.fixture(name="english")
def english_fixture(client):
    """The test client, with pages in English. (Import `english_fixture`; ask for `english`.)"""
    client.post("/language", data={"locale": "en"})
    return client


def delivered(inbox) -> list[tuple[list[str], object]]:
    """What the sink received once the mail thread has handed over everything queued."""
    assert worker.wait_until_sent(SENT_WITHIN)
    return list(inbox.messages)


def links_in(message) -> list[str]:
    return LINK.findall(message.get_content())


def site_path(link: str) -> str:
    """The path of a mailed link (PUBLIC_BASE_URL in front), as the test client requests it."""
    return "/" + link.split("://", 1)[1].split("/", 1)[1]
