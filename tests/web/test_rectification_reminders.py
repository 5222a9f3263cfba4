"""Rectification due dates: `flask rectification remind` reminds the outlet once, three days before,
and the bureau's queue marks a notice the outlet let pass."""

from datetime import timedelta

import pytest
from sqlalchemy import select

from outlet_audit.audit.models import AuditEvent
from outlet_audit.checklist.models import RectificationNotice
from outlet_audit.core.time import today_in_shanghai
from outlet_audit.notifications.models import Notification
from outlet_audit.roles import Role
from outlet_audit.workflow.states import Action
from tests.factories import advance, login, make_application, make_user
from tests.workflow_helpers import make_crew


@pytest.fixture
def crew(ctx):
    return make_crew()


def remind(app, day):
    result = app.test_cli_runner().invoke(args=["rectification", "remind", "--today", day.isoformat()])
    assert result.exit_code == 0, result.output
    return result.output


def reminders(db_session, user) -> list[Notification]:
    return db_session.scalars(
        select(Notification).where(
            Notification.kind == "rectification_reminder", Notification.user_id == user.id
        )
    ).all()


def ordered(crew, due):
    rectify = {"rectification_item_codes": frozenset({"3.1"}), "rectification_deadline": due}
    return make_application(
        crew.outlet, status="rectification_requested", inspectors=[crew.inspector],
        inputs={Action.REQUEST_RECTIFICATION: rectify},
    )  # fmt: skip


def test_the_outlet_is_reminded_once_three_days_before_the_due_date(app, db_session, crew):
    due = today_in_shanghai() + timedelta(days=10)
    application = ordered(crew, due)
    for days_left, expected in {8: 0, 4: 0, 3: 1, 2: 1, 0: 1, -1: 1}.items():
        output = remind(app, due - timedelta(days=days_left))
        remind(app, due - timedelta(days=days_left))  # twice a day changes nothing
        assert len(reminders(db_session, crew.outlet_user)) == expected, days_left
        if days_left == 3:
            assert "reminded (due" in output
    assert reminders(db_session, crew.bureau) == [] and reminders(db_session, crew.inspector) == []
    note = reminders(db_session, crew.outlet_user)[0]
    assert note.link == f"/applications/{application.id}" and note.params["date"] == due.isoformat()
    assert (
        db_session.scalar(
            select(AuditEvent.new_value).where(
                AuditEvent.action == "rectification_reminder", AuditEvent.application_id == application.id
            )
        )
        == due.isoformat()
    )


def test_an_answered_notice_is_not_reminded(app, db_session, crew):
    due = today_in_shanghai() + timedelta(days=10)
    application = ordered(crew, due)
    advance(application, "rectification_submitted")
    remind(app, due - timedelta(days=2))
    assert reminders(db_session, crew.outlet_user) == []


@pytest.mark.usefixtures("english_ui")
def test_the_queue_says_when_rectification_is_due_and_when_it_is_overdue(client, db_session, crew):
    soon = ordered(crew, today_in_shanghai() + timedelta(days=5))
    login(client, crew.bureau)
    page = client.get("/applications/queue?status=rectification_requested").get_data(as_text=True)
    assert "rectify by" in page and "overdue" not in page
    notice = db_session.scalar(
        select(RectificationNotice).where(RectificationNotice.application_id == soon.id)
    )
    notice.due_on = today_in_shanghai() - timedelta(days=1)  # as if the outlet had let it pass
    db_session.flush()
    page = client.get("/applications/queue?status=rectification_requested").get_data(as_text=True)
    assert "rectification overdue since" in page
    login(client, make_user(Role.CITY_BUREAU))
    assert "rectification overdue since" in client.get(
        "/applications/queue?status=rectification_requested"
    ).get_data(as_text=True)
