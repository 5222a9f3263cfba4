"""A mail server that never answers holds neither the request that notifies nor anyone else's save.

Real commits on a database of its own: on SQLite a writing request takes the write lock up front
(extensions.py), so mail sent inside the request made another user's save fail with "database is
locked" while SMTP waited. Mail now leaves after the commit, from a background thread.
"""

import threading
import time

import pytest
from flask_migrate import upgrade

from outlet_audit.extensions import db
from outlet_audit.notifications.mailer import worker
from outlet_audit.outlets.models import Outlet
from outlet_audit.roles import Role
from tests.conftest import fresh_database, make_test_app
from tests.factories import login, make_outlet, make_user
from tests.smtp_helpers import SilentServer
from tests.web.test_outlet_profile import profile_data

WAIT = 15  # generous bound on anything that should take milliseconds


@pytest.fixture
def silent():
    server = SilentServer()
    yield server
    server.close()  # the sender sees the connection end instead of waiting out its timeout
    assert worker.wait_until_sent(WAIT)


@pytest.fixture
def world(tmp_path_factory, tmp_path, silent):
    """Two outlets of one district and its bureau (mailed of every change), MAIL_TIMEOUT=5."""
    with fresh_database(tmp_path_factory) as url:
        app = make_test_app(url, tmp_path, MAIL_SERVER="127.0.0.1", MAIL_PORT=silent.port, MAIL_TIMEOUT=5)
        with app.app_context():
            upgrade()
            make_user(Role.DISTRICT_BUREAU, district_code="FX", email="bureau@example.test")
            people = {}
            for name in ("asking", "other"):
                outlet = make_outlet("FX", verified=True)
                user = make_user(Role.OUTLET, outlet=outlet)
                client = app.test_client()
                login(client, user)
                people[name] = (client, outlet.id, profile_data(outlet))
            db.session.commit()
            db.session.remove()
        yield app, people
        with app.app_context():
            db.engine.dispose()


def test_a_change_that_mails_returns_at_once_and_another_users_save_is_not_locked_out(world, silent):
    app, people = world
    asking_client, asking_id, asking_form = people["asking"]
    other_client, other_id, other_form = people["other"]
    outcome = {}

    def ask_for_a_change():  # a verified field: the bureau is notified and mailed
        started = time.perf_counter()
        response = asking_client.post("/outlets/profile", data={**asking_form, "address": "新地址 1 号"})
        outcome["asking"] = (response.status_code, time.perf_counter() - started)

    asking = threading.Thread(target=ask_for_a_change)
    asking.start()
    # Once the mail server has the connection, the sender waits for a greeting that never comes
    # (inside the request, holding the write lock, before the fix).
    assert silent.accepted.wait(WAIT)
    started = time.perf_counter()
    response = other_client.post("/outlets/profile", data={**other_form, "opening_hours": "8:00–20:00"})
    other_took = time.perf_counter() - started
    asking.join(WAIT + 15)

    assert response.status_code == 302, response.get_data(as_text=True)[:300]
    assert other_took < 3
    status, asking_took = outcome["asking"]
    assert status == 302
    assert asking_took < 3  # MAIL_TIMEOUT is 5 s: the request did not wait for the mail server
    with app.app_context():
        assert db.session.get(Outlet, asking_id).pending_changes == {"address": "新地址 1 号"}
        assert db.session.get(Outlet, other_id).opening_hours == "8:00–20:00"
        db.session.remove()
