"""Mail servers for tests: a real SMTP sink (aiosmtpd) and one that accepts connections and never answers."""

import socket
import threading
from email import message_from_bytes, policy

from aiosmtpd.controller import Controller


class Inbox:
    """What the SMTP sink received: (recipients, parsed message) per mail."""

    def __init__(self):
        self.messages = []

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 - aiosmtpd's hook name
        self.messages.append((envelope.rcpt_tos, message_from_bytes(envelope.content, policy=policy.default)))
        return "250 OK"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start_sink(inbox: Inbox | None = None) -> tuple[Inbox, Controller]:
    """Start an SMTP sink on a free port, handing what it receives to `inbox` (a fresh one by default)."""
    inbox = Inbox() if inbox is None else inbox
    controller = Controller(inbox, hostname="127.0.0.1", port=free_port())
    controller.start()
    return inbox, controller


class SilentServer:
    """Accepts TCP connections on 127.0.0.1 and never writes a byte: an SMTP server that hangs.

    `accepted` is set once a client has connected; `close()` drops every connection, so a client
    still waiting for the greeting sees the connection end instead of waiting for its timeout.
    """

    def __init__(self):
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.listener.settimeout(0.05)  # so the accepting thread notices close() promptly
        self.port = self.listener.getsockname()[1]
        self.accepted = threading.Event()
        self._connections: list[socket.socket] = []
        self._closing = threading.Event()
        self._thread = threading.Thread(target=self._accept, name="silent-smtp", daemon=True)
        self._thread.start()

    def _accept(self) -> None:
        while not self._closing.is_set():
            try:
                connection, _ = self.listener.accept()
            except TimeoutError:
                continue
            self._connections.append(connection)
            self.accepted.set()

    def close(self) -> None:
        self._closing.set()
        self._thread.join(5)
        self.listener.close()
        for connection in self._connections:
            connection.close()
