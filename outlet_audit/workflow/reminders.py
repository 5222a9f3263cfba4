"""The daily rectification reminder: an outlet that has not answered its rectification notice is
reminded a few days before the due date, once per notice (`reminded_at`). What is overdue shows on
the bureau's queue and dashboard; the bureau may then reject the application (the deadline passed).
"""

from datetime import date, timedelta

from sqlalchemy import select

from outlet_audit.accounts.queries import outlet_accounts
from outlet_audit.audit.operations import record
from outlet_audit.checklist.models import RectificationNotice
from outlet_audit.core.time import utcnow
from outlet_audit.core.urls import path_for
from outlet_audit.extensions import db
from outlet_audit.notifications.operations import notify
from outlet_audit.text import N_
from outlet_audit.workflow.models import Application
from outlet_audit.workflow.states import Status

REMIND_DAYS_BEFORE = 3


def send_rectification_reminders(today: date) -> list[RectificationNotice]:
    """Remind the outlets whose unanswered notice falls due within REMIND_DAYS_BEFORE days."""
    due = db.session.scalars(
        select(RectificationNotice)
        .join(Application, Application.id == RectificationNotice.application_id)
        .where(
            Application.status == Status.RECTIFICATION_REQUESTED.value,
            RectificationNotice.submitted_at.is_(None),
            RectificationNotice.reminded_at.is_(None),
            RectificationNotice.due_on >= today,
            RectificationNotice.due_on <= today + timedelta(days=REMIND_DAYS_BEFORE),
        )
        .order_by(RectificationNotice.due_on, RectificationNotice.id)
    ).all()
    for notice in due:
        application = db.session.get(Application, notice.application_id)
        notify(
            outlet_accounts(application.outlet_id),
            "rectification_reminder",
            N_("Rectification notice %(number)s falls due on %(date)s: answer each item and send them."),
            path_for("workflow.application_detail", application_id=application.id),
            number=notice.number,
            date=notice.due_on.isoformat(),
        )
        notice.reminded_at = utcnow()
        record(
            "rectification_reminder",
            actor=None,
            subject_type="application",
            subject_id=application.id,
            application_id=application.id,
            outlet_id=application.outlet_id,
            new=notice.due_on.isoformat(),
        )
    db.session.flush()
    return due
