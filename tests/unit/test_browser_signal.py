"""Browser tests take the phone's signal away through the `signal` fixture, never by Playwright's
offline emulation alone: that emulation does not always reach a service worker the browser has
just started, so a test "offline" could still reach the server (tests/browser/conftest.py)."""

import re
import threading
from http.client import RemoteDisconnected
from pathlib import Path
from urllib.error import URLError
from urllib.request import urlopen

import pytest
from werkzeug.serving import make_server

from tests.browser.conftest import _out_of_reach_when

BROWSER_TESTS = Path(__file__).resolve().parents[1] / "browser"


def test_no_browser_test_goes_offline_by_playwright_alone():
    offenders = [
        f"{path.name}:{number}"
        for path in sorted(BROWSER_TESTS.glob("*.py"))
        if path.name != "conftest.py"
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
        if re.search(r"\.set_offline\(", line)
    ]
    assert offenders == [], "use the signal fixture (it also puts the server out of reach)"


def test_with_no_signal_the_live_server_closes_connections_unanswered_and_answers_again_after():
    no_signal = threading.Event()
    server = make_server("127.0.0.1", 0, _hello, threaded=True, request_handler=_out_of_reach_when(no_signal))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    url = f"http://127.0.0.1:{server.server_port}/"
    try:
        assert urlopen(url, timeout=5).read() == b"hello"
        no_signal.set()
        with pytest.raises((RemoteDisconnected, ConnectionError, URLError)):
            urlopen(url, timeout=5)
        no_signal.clear()
        assert urlopen(url, timeout=5).read() == b"hello"
    finally:
        server.shutdown()
        thread.join(timeout=5)


def _hello(environ, start_response):
    start_response("200 OK", [("Content-Type", "text/plain")])
    return [b"hello"]
