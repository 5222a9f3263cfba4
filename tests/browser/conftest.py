"""Browser journeys: the app served for real on 127.0.0.1, driven by Debian's Chromium.

- `live_server`: the app (`make_test_app`, CSRF on as in production) on a fresh, migrated
  database, served by Werkzeug in a daemon thread; rows are committed, never rolled back. The
  bureau, inspectors, city bureau and admin are seeded through the app's own code.
- `browser`: Chromium at $CHROMIUM_PATH (default /usr/bin/chromium), headless. No browser is
  ever downloaded: without Chromium the tests are skipped, saying why (and CI, with
  OUTLET_AUDIT_NO_SKIPS=1, fails instead).
- `shoot(page, name)`: a screenshot of each step in $SCREENSHOT_DIR (test-artifacts/screenshots/).
"""

import itertools
import os
import re
import threading
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path

import pytest
from flask_migrate import upgrade
from sqlalchemy import select
from werkzeug.serving import WSGIRequestHandler, make_server

from outlet_audit.accounts.models import User
from outlet_audit.checklist.service import get_or_create_assessment
from outlet_audit.core.time import today_in_shanghai
from outlet_audit.extensions import db
from outlet_audit.roles import Agency, Role
from outlet_audit.workflow.states import Action
from tests.conftest import fresh_database, make_test_app
from tests.factories import PASSWORD, make_application, make_outlet, make_user

CHROMIUM_PATH = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
]
SCREENSHOT_DIR = Path(
    os.environ.get("SCREENSHOT_DIR", Path(__file__).resolve().parents[2] / "test-artifacts" / "screenshots")
)
PHONE = {
    "viewport": {"width": 390, "height": 844},
    "is_mobile": True,
    "has_touch": True,
    "device_scale_factor": 2,
}
TIMEOUT_MS = 15_000


@dataclass
class LiveServer:
    url: str
    app: object
    users: dict = field(default_factory=dict)  # username by role name
    errors: list = field(default_factory=list)  # "500 POST /path" for every server error so far
    no_signal: threading.Event = field(default_factory=threading.Event)  # see the `signal` fixture
    # Paths (regular expressions) whose next request is answered by the app but never sent back:
    # the signal dropped after the server did the work. Each is used once.
    answers_lost: list = field(default_factory=list)

    def lose_answer(self, path_pattern: str) -> None:
        self.answers_lost.append(re.compile(path_pattern))

    def query(self, fn):
        """Read (or seed) the database the server writes, in a session of its own.

        As a writing request: on SQLite its transaction then takes the write lock up front and waits
        its turn (busy_timeout) while the server writes; a deferred one that writes after reading
        is refused at once ("database is locked"), which failed fixtures under a loaded CI."""
        with self.app.test_request_context(method="POST"):
            try:
                return fn()
            finally:
                db.session.remove()


@pytest.fixture(scope="session")
def chromium_path():
    path = Path(CHROMIUM_PATH)
    if not path.is_file() or not os.access(path, os.X_OK):
        pytest.skip(f"no Chromium at {CHROMIUM_PATH}: install Debian's chromium or set CHROMIUM_PATH")
    return str(path)


@pytest.fixture(scope="session")
def browser(chromium_path):
    try:
        from playwright.sync_api import expect, sync_playwright

        # expect() waits 5 s by default, not the context's timeout: on a loaded 2-CPU CI machine a
        # photo upload (decoded, screened, re-encoded) can take longer before the page shows it saved.
        expect.set_options(timeout=TIMEOUT_MS)
    except ImportError as error:  # pragma: no cover - the venv has it
        pytest.skip(f"Playwright is not installed: {error}")
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(
            executable_path=chromium_path, args=CHROMIUM_ARGS, headless=True
        )
        yield chromium
        chromium.close()


ECOLOGY = Agency.DISTRICT_ECOLOGY


@pytest.fixture(scope="session")
def live_server(tmp_path_factory):
    with fresh_database(tmp_path_factory) as url:
        app = make_test_app(url, tmp_path_factory.mktemp("live"), WTF_CSRF_ENABLED=True)
        with app.app_context():
            upgrade()
            staff = {
                "bureau": make_user(Role.DISTRICT_BUREAU, district_code="FX", username="fx-bureau"),
                "inspector": make_user(Role.INSPECTOR, district_code="FX", username="fx-inspector"),
                "second_inspector": make_user(Role.INSPECTOR, district_code="FX", username="fx-inspector-2"),
                "city": make_user(Role.CITY_BUREAU, username="city-bureau"),
                "ecology": make_user(
                    Role.DISTRICT_BUREAU,
                    district_code="FX",
                    username="fx-ecology",
                    agency=Agency.DISTRICT_ECOLOGY,
                ),
                "ecology_inspector": make_user(
                    Role.INSPECTOR,
                    district_code="FX",
                    username="fx-eco-inspector",
                    agency=Agency.DISTRICT_ECOLOGY,
                ),
                "admin": make_user(Role.ADMIN, username="admin"),
            }
            db.session.commit()
            users = {name: user.username for name, user in staff.items()}
            db.session.remove()
        errors = []
        app.wsgi_app = ServerErrorRecorder(app.wsgi_app, errors)
        live = LiveServer("", app, users, errors)
        server = make_server(  # threaded: the page uploads in parallel
            "127.0.0.1",
            0,
            app,
            threaded=True,
            request_handler=_out_of_reach_when(live.no_signal, live.answers_lost),
        )
        live.url = f"http://127.0.0.1:{server.server_port}"
        thread = threading.Thread(target=server.serve_forever, name="live-server", daemon=True)
        thread.start()
        try:
            yield live
        finally:
            server.shutdown()
            thread.join(timeout=10)
            with app.app_context():
                db.engine.dispose()


def _out_of_reach_when(no_signal: threading.Event, answers_lost: list = ()):
    class Handler(WSGIRequestHandler):
        def run_wsgi(self):
            if no_signal.is_set():  # the connection closes with no answer: fetch() fails, as with no signal
                self.close_connection = True
                return
            lost = next((pattern for pattern in answers_lost if pattern.search(self.path)), None)
            if lost is not None:
                answers_lost.remove(lost)
                self._answer_and_lose_it()
                return
            super().run_wsgi()

        def _answer_and_lose_it(self):
            """The app does the whole request; its answer is dropped and the connection closed."""
            body = self.server.app(self.make_environ(), lambda *_args: lambda _data: None)
            try:
                for _chunk in body:
                    pass
            finally:
                getattr(body, "close", lambda: None)()
            self.close_connection = True

    return Handler


@pytest.fixture
def signal(live_server):
    """`signal(context, False)` takes the phone's signal away, `signal(context, True)` gives it back.

    Playwright's offline emulation covers a page's own requests but not always its service worker's:
    a worker the browser starts for a navigation can fetch before the emulation reaches it, and a CI
    run's phone, relaunched "offline", reached the server that way and was sent to the sign-in page.
    So the server is out of reach as well while there is no signal: it closes every connection
    without an answer, which is what a sorting hall with no signal does to every request."""

    def set_signal(context, on: bool):
        if on:
            live_server.no_signal.clear()
        else:
            live_server.no_signal.set()
        context.set_offline(not on)

    yield set_signal
    live_server.no_signal.clear()


@pytest.fixture
def new_context(browser, live_server):
    """Open browser contexts (one per person) that are closed after the test."""
    contexts = []

    def open_context(phone: bool = False, **options):
        context = browser.new_context(base_url=live_server.url, **(PHONE if phone else {}), **options)
        context.set_default_timeout(TIMEOUT_MS)
        contexts.append(context)
        return context

    yield open_context
    for context in contexts:
        context.close()


@pytest.fixture
def shoot(request):
    """Save a screenshot of the page as <test>-<nn>-<step>.png."""
    SCREENSHOT_DIR.mkdir(parents=True, exist_ok=True)
    counter = itertools.count(1)
    prefix = request.node.name.removeprefix("test_")

    def screenshot(page, step: str):
        page.screenshot(path=SCREENSHOT_DIR / f"{prefix}-{next(counter):02d}-{step}.png", full_page=True)

    return screenshot


class ServerErrorRecorder:
    """WSGI middleware noting every 5xx answer: a journey passes only if the server never failed."""

    def __init__(self, wsgi_app, errors: list):
        self.wsgi_app, self.errors = wsgi_app, errors

    def __call__(self, environ, start_response):
        def recording_start_response(status, headers, exc_info=None):
            if status.startswith("5"):
                self.errors.append(f"{status} {environ['REQUEST_METHOD']} {environ['PATH_INFO']}")
            return start_response(status, headers, exc_info)

        return self.wsgi_app(environ, recording_start_response)


@pytest.fixture
def no_server_errors(live_server):
    """Fail the test if the server answered any request with a 5xx while it ran."""
    before = len(live_server.errors)
    yield
    assert live_server.errors[before:] == [], "the server failed"


@pytest.fixture
def inspection(live_server):
    """An inspection scheduled for tomorrow, assigned to the second Fengxian inspector."""

    def seed():
        inspector = db.session.scalar(
            select(User).where(User.username == live_server.users["second_inspector"])
        )
        application = make_application(
            make_outlet("FX", name="奉贤金汇中通网点"),
            status="inspection_scheduled",
            inspectors=[inspector],
            inputs={Action.SCHEDULE_INSPECTION: {"scheduled_on": today_in_shanghai() + timedelta(days=1)}},
        )
        assessment = get_or_create_assessment(application, "inspection")
        db.session.commit()
        return assessment.id

    with live_server.app.test_request_context():
        assessment_id = live_server.query(seed)
    return assessment_id


def sign_in(context, username: str, password: str = PASSWORD):
    """A page of this context, signed in through the login form."""
    page = context.new_page()
    page.goto("/login")
    page.fill("#username", username)
    page.fill("#password", password)
    page.click("#submit")
    page.wait_for_url(lambda url: "/login" not in url)
    return page
