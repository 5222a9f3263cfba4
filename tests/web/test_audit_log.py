"""The administrator's audit log: the whole trail as sentences, by person, kind of act and Shanghai
day, a page at a time by event id, closed to every other role."""

import re
from datetime import datetime
from pathlib import Path

import pytest
from sqlalchemy import select

from outlet_audit.audit import log as audit_log
from outlet_audit.audit.models import AuditEvent
from outlet_audit.audit.operations import record
from outlet_audit.core.time import clock_at
from outlet_audit.extensions import db
from outlet_audit.roles import Role
from tests.factories import PASSWORD, login, make_user

pytestmark = pytest.mark.usefixtures("english_ui")

URL = "/admin/audit/"


def _rows(page: str) -> list[str]:
    """The sentences of the page's rows, top to bottom."""
    return [re.sub(r"\s+", " ", re.sub(r"<[^>]+>", "", cell)).strip() for cell in re.findall(
        r'<td class="timeline-what">(.*?)</td>', page, re.DOTALL
    )]  # fmt: skip


@pytest.fixture
def admin(client, db_session):
    user = make_user(Role.ADMIN, display_name="Admin Wang")
    login(client, user)
    return user


def _act(action, actor, *, at=None, **values):
    with clock_at(at or datetime(2026, 3, 1, 2, 0)):
        event = record(action, actor=actor, subject_type=values.pop("subject_type", "user"), **values)
        db.session.flush()
    return event


def test_the_trail_reads_as_sentences_newest_first_with_who_and_what_about(client, admin):
    alice = make_user(Role.DISTRICT_BUREAU, username="alice-fx", display_name="Alice Li")
    bob = make_user(Role.INSPECTOR, username="bob-fx", display_name="Bob Zhao")
    _act("user_disabled", admin, subject_id=bob.id, at=datetime(2026, 3, 1, 1, 0))
    _act("two_factor_enabled", alice, subject_id=alice.id, at=datetime(2026, 3, 1, 3, 0))

    page = client.get(URL).get_data(as_text=True)

    rows = _rows(page)
    assert rows[0].startswith("Alice Li") and rows[1].startswith("Admin Wang")
    assert "user_disabled" not in page and "two_factor_enabled" not in page  # never the raw names
    assert "alice-fx" in page and "bob-fx" in page  # who acted, and the account acted on
    assert "2026-03-01 11:00:00" in page  # Shanghai time, to the second
    assert "Nothing here can be changed or deleted" in page


def test_a_value_typed_by_anyone_is_escaped(client, admin, db_session):
    hostile = make_user(Role.OUTLET, display_name="<script>alert(1)</script>")
    _act("user_disabled", admin, subject_id=hostile.id, reason='<img src=x onerror="alert(2)">')
    _act("password_changed", hostile, subject_id=hostile.id)

    page = client.get(URL).get_data(as_text=True)

    assert "<script>alert(1)" not in page and "<img src=x" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page


def test_the_person_filter_keeps_that_persons_acts(client, admin):
    alice = make_user(Role.DISTRICT_BUREAU, username="alice-fx", display_name="Alice Li")
    bob = make_user(Role.INSPECTOR, username="bob-fx", display_name="Bob Zhao")
    _act("password_changed", alice, subject_id=alice.id)
    _act("password_changed", bob, subject_id=bob.id)

    by_name = _rows(client.get(URL, query_string={"person": "alice"}).get_data(as_text=True))
    by_display_name = _rows(client.get(URL, query_string={"person": "ZHAO"}).get_data(as_text=True))
    nobody = client.get(URL, query_string={"person": "%"}).get_data(
        as_text=True
    )  # a character, not a wildcard

    assert len(by_name) == 1 and by_name[0].startswith("Alice Li")
    assert len(by_display_name) == 1 and by_display_name[0].startswith("Bob Zhao")
    assert _rows(nobody) == [] and "Nothing recorded matches these filters" in nobody


def test_a_person_filter_matching_too_many_accounts_asks_for_more_letters(client, admin, monkeypatch):
    monkeypatch.setattr(audit_log, "MAX_PEOPLE", 2)
    for n in range(3):
        user = make_user(Role.INSPECTOR, username=f"many-{n}")
        _act("password_changed", user, subject_id=user.id)

    page = client.get(URL, query_string={"person": "many-"}).get_data(as_text=True)

    assert _rows(page) == [] and "More than 2 accounts match this person" in page


def test_the_kind_filter_keeps_acts_of_that_kind(client, admin):
    alice = make_user(Role.DISTRICT_BUREAU, display_name="Alice Li")
    _act("password_changed", alice, subject_id=alice.id)
    _act(
        "outlet_verified",
        alice,
        subject_type="outlet",
        subject_id=1,
        field="verified",
        old="False",
        new="True",
    )

    accounts = _rows(client.get(URL, query_string={"kind": "accounts"}).get_data(as_text=True))
    profile = _rows(client.get(URL, query_string={"kind": "profile"}).get_data(as_text=True))

    assert len(accounts) == 1 and "password" in accounts[0]
    assert len(profile) == 1 and "verified" in profile[0]


def test_the_day_filter_reads_shanghai_days(client, admin):
    alice = make_user(Role.DISTRICT_BUREAU, display_name="Alice Li")
    # 16:30 UTC on 1 March is 00:30 on 2 March in Shanghai.
    _act("password_changed", alice, subject_id=alice.id, at=datetime(2026, 3, 1, 16, 30))
    _act("password_set", alice, subject_id=alice.id, at=datetime(2026, 3, 1, 15, 30))

    second = _rows(client.get(URL, query_string={"date_from": "2026-03-02"}).get_data(as_text=True))
    first = _rows(
        client.get(URL, query_string={"date_from": "2026-03-01", "date_to": "2026-03-01"}).get_data(
            as_text=True
        )
    )

    assert len(second) == 1 and "changed" in second[0]
    assert len(first) == 1 and "changed" not in first[0]


@pytest.mark.parametrize(
    "query, message",
    [
        ({"date_from": "2026-03-05", "date_to": "2026-03-01"}, "The end date is before the start date."),
        ({"date_from": "not a day"}, "Not a valid date value."),
        ({"date_from": "9999-12-31"}, "2100"),
        ({"kind": "no-such-kind"}, "Not a valid choice."),
        ({"person": "x" * 101}, "100 characters"),
    ],
)
def test_a_filter_not_understood_is_marked_kept_and_left_out(client, admin, query, message):
    alice = make_user(Role.DISTRICT_BUREAU, display_name="Alice Li")
    _act("password_changed", alice, subject_id=alice.id)

    reply = client.get(URL, query_string=query)
    page = reply.get_data(as_text=True)

    assert reply.status_code == 200
    assert "Some filters were not understood" in page and message in page
    assert len(_rows(page)) == 1  # the filter in error is left out, the rest of the trail shows
    for name, value in query.items():
        if name != "kind":  # what was typed stays typed (a choice not offered cannot be shown)
            assert f'value="{value}"' in page


def test_pages_go_by_event_id_with_nothing_missed_or_repeated(client, admin, monkeypatch):
    monkeypatch.setattr(audit_log, "LOG_PAGE_SIZE", 3)
    alice = make_user(Role.DISTRICT_BUREAU, display_name="Alice Li")
    events = [
        _act("password_changed", alice, subject_id=alice.id, reason=f"step {n}", at=datetime(2026, 3, 1, n))
        for n in range(7)
    ]
    ids = [e.id for e in reversed(events)]  # newest first

    def page_ids(query):
        page = client.get(URL, query_string=query).get_data(as_text=True)
        older = re.search(r'href="[^"]*before=(\d+)[^"]*">Older', page)
        newer = re.search(r'href="[^"]*after=(\d+)[^"]*">Newer', page)
        return (
            [int(n) for n in re.findall(r"step (\d)", page)],
            older and int(older.group(1)),
            newer and int(newer.group(1)),
        )

    first, older, newer = page_ids({"person": "Alice"})
    assert first == [6, 5, 4] and newer is None and older == ids[2]
    second, older, newer = page_ids({"person": "Alice", "before": older})
    assert second == [3, 2, 1] and newer == ids[3] and older == ids[5]
    third, older, newer = page_ids({"person": "Alice", "before": older})
    assert third == [0] and older is None and newer == ids[6]
    back, older, newer = page_ids({"person": "Alice", "after": newer})
    assert back == [3, 2, 1] and older == ids[5] and newer == ids[3]
    top, older, newer = page_ids({"person": "Alice", "after": newer})
    assert top == [6, 5, 4] and newer is None
    for junk in ("-1", "abc", "9" * 40):
        assert client.get(URL, query_string={"before": junk}).status_code == 200


@pytest.mark.parametrize("role", [r for r in Role if r is not Role.ADMIN])
def test_no_other_role_reads_the_log(client, db_session, role):
    login(client, make_user(role))
    assert client.get(URL).status_code in (403, 404)


def test_the_log_is_in_the_administrators_menu_only(client, admin):
    assert f'href="{URL}"' in client.get("/admin/users").get_data(as_text=True)


def test_every_subject_type_the_code_writes_has_a_name():
    """A new kind of record in the trail needs a name on the log page (else it shows as stored)."""
    root = Path(audit_log.__file__).resolve().parents[1]
    written = set()
    for path in root.rglob("*.py"):
        text = path.read_text(encoding="utf-8")
        written |= set(re.findall(r'subject_type="([a-z_]+)"', text))
        written |= set(re.findall(r'^SUBJECT = "([a-z_]+)"', text, re.MULTILINE))
    assert written and written <= set(audit_log.SUBJECT_LABELS), written - set(audit_log.SUBJECT_LABELS)


def test_every_sign_in_and_every_refused_one_to_a_known_account_is_in_the_trail(
    app, client, admin, db_session
):
    alice = make_user(Role.DISTRICT_BUREAU, username="alice-fx", display_name="Alice Li")
    gone = make_user(Role.INSPECTOR, username="gone-fx", active=False)
    browser = app.test_client()

    def sign_in(username, password):
        return browser.post("/login", data={"username": username, "password": password}).status_code

    assert sign_in("alice-fx", "not the password") == 200
    assert sign_in("nobody-at-all", PASSWORD) == 200  # no account: nothing to write it against
    assert sign_in("gone-fx", PASSWORD) == 200
    assert sign_in("alice-fx", PASSWORD) == 302

    trail = db_session.execute(
        select(AuditEvent.action, AuditEvent.subject_id, AuditEvent.actor_id, AuditEvent.field)
        .where(AuditEvent.action.in_(["signed_in", "sign_in_failed"]))
        .order_by(AuditEvent.id)
    ).all()
    assert [tuple(row) for row in trail] == [
        ("sign_in_failed", alice.id, None, "password"),
        ("sign_in_failed", gone.id, None, "disabled"),
        ("signed_in", alice.id, alice.id, "password"),
    ]
    page = client.get(URL, query_string={"kind": "accounts"}).get_data(as_text=True)
    assert _rows(page)[:3] == [
        "Alice Li signed in with the password",
        "A sign-in to the account was refused: the account is disabled (the password was right)",
        "A sign-in to the account failed: wrong password",
    ]
    assert page.count("Someone not signed in") == 2  # who tried is not known; the account is "About"
    # Alice's own acts and those done to her account: the failed attempt has no actor.
    hers = _rows(client.get(URL, query_string={"person": "alice-fx"}).get_data(as_text=True))
    assert hers == ["Alice Li signed in with the password", "A sign-in to the account failed: wrong password"]


def test_a_disabled_accounts_refusals_are_held_back_by_its_wait(app, db_session):
    gone = make_user(Role.INSPECTOR, username="gone-fx", active=False)
    browser = app.test_client()
    for _ in range(8):
        browser.post("/login", data={"username": "gone-fx", "password": PASSWORD})
    written = db_session.scalars(
        select(AuditEvent.action).where(AuditEvent.subject_id == gone.id, AuditEvent.subject_type == "user")
    ).all()
    # The free failures are written, then the pause; the attempts the wait holds back are not.
    assert written.count("sign_in_failed") == app.config["LOGIN_THROTTLE_AFTER_FAILURES"]
    assert written.count("login_throttled") == 1


def test_an_outlet_clerks_account_event_names_the_account_not_the_outlet(client, admin):
    clerk = make_user(Role.OUTLET, username="clerk-fx")
    _act("two_factor_reset", admin, subject_id=clerk.id, outlet_id=clerk.outlet_id)

    page = client.get(URL).get_data(as_text=True)

    assert re.search(r"Account\s*<span[^>]*>clerk-fx</span>", page)


def test_a_bookmarked_cursor_offers_no_newer_page_that_is_empty(client, admin):
    alice = make_user(Role.DISTRICT_BUREAU, display_name="Alice Li")
    event = _act("password_changed", alice, subject_id=alice.id)

    past_the_end = client.get(URL, query_string={"before": str(event.id + 1000)}).get_data(as_text=True)
    beyond_the_start = client.get(URL, query_string={"before": "1"}).get_data(as_text=True)

    assert len(_rows(past_the_end)) == 1 and ">Newer<" in past_the_end and "after=" not in past_the_end
    assert _rows(beyond_the_start) == [] and "No more records here" in beyond_the_start
    assert f'href="{URL}">Newest' in beyond_the_start
