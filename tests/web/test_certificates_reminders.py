"""`flask certificates remind`: reminders 90 and 30 days before expiry, each sent once."""

from datetime import date, timedelta

import pytest
from sqlalchemy import func, select

from outlet_audit.audit.models import AuditEvent
from outlet_audit.certificates.revocation import revoke_certificate
from outlet_audit.notifications.models import Notification
from outlet_audit.roles import Role
from tests.certificate_helpers import make_certified
from tests.factories import make_user

KIND = "certificate_expiry"


@pytest.fixture
def certified(ctx):
    return make_certified(name="奉贤南桥顺丰营业部", issued_on=date(2025, 6, 1))


def remind(app, day: date | None = None):
    args = ["certificates", "remind"] + (["--today", day.isoformat()] if day else [])
    result = app.test_cli_runner().invoke(args=args)
    assert result.exit_code == 0, result.output
    return result.output


def reminders_for(db_session, user) -> list[Notification]:
    return db_session.scalars(
        select(Notification)
        .where(Notification.kind == KIND, Notification.user_id == user.id)
        .order_by(Notification.id)
    ).all()


def test_reminders_go_out_at_90_and_30_days_once_each(app, db_session, certified):
    certificate = certified.certificate
    expires = certificate.valid_until
    assert expires == date(2027, 6, 1)
    other_bureau = make_user(Role.DISTRICT_BUREAU, district_code="QP")
    city = make_user(Role.CITY_BUREAU)
    timeline = {100: 0, 91: 0, 90: 1, 89: 1, 60: 1, 31: 1, 30: 2, 29: 2, 1: 2, 0: 2, -1: 2}
    for days_left, expected in timeline.items():
        output = remind(app, expires - timedelta(days=days_left))
        remind(app, expires - timedelta(days=days_left))  # cron running twice a day changes nothing
        for user in (certified.outlet_user, certified.bureau):
            assert len(reminders_for(db_session, user)) == expected, (days_left, user.role)
        if days_left in (90, 30):
            assert f"{certificate.number}: {days_left}-day reminder" in output
    for user in (other_bureau, city, certified.inspector):
        assert reminders_for(db_session, user) == []
    note = reminders_for(db_session, certified.outlet_user)[0]
    assert note.link == f"/certificates/{certificate.id}"
    assert note.params == {"number": certificate.number, "outlet": "奉贤南桥顺丰营业部", "date": "2027-06-01"}
    audited = db_session.scalars(
        select(AuditEvent.field)
        .where(AuditEvent.action == "certificate_expiry_reminder", AuditEvent.subject_id == certificate.id)
        .order_by(AuditEvent.id)
    ).all()
    assert audited == ["90", "30"]
    db_session.refresh(certificate)
    assert certificate.expiry_reminder_sent_at is not None and certificate.state == "active"


def test_a_missed_window_sends_only_the_reminder_now_due(app, db_session, certified):
    remind(app, certified.certificate.valid_until - timedelta(days=20))
    remind(app, certified.certificate.valid_until - timedelta(days=10))
    notes = reminders_for(db_session, certified.outlet_user)
    assert len(notes) == 1


def test_revoked_and_superseded_certificates_get_no_reminder(app, db_session, certified):
    revoke_certificate(certified.certificate, certified.bureau, "复查不合格")
    remind(app, certified.certificate.valid_until - timedelta(days=30))
    assert reminders_for(db_session, certified.outlet_user) == []


def test_without_today_the_job_uses_shanghai_today(app, db_session, certified, monkeypatch):
    monkeypatch.setattr(
        "outlet_audit.core.cli.today_in_shanghai",
        lambda: certified.certificate.valid_until - timedelta(days=90),
    )
    assert "1 reminder(s) sent" in remind(app)
    assert len(reminders_for(db_session, certified.bureau)) == 1


def test_reminders_are_mailed_when_smtp_is_configured(app, db_session, certified, monkeypatch):
    certified.outlet_user.email = "outlet@example.cn"
    certified.bureau.email = None
    db_session.flush()
    mailed = []
    monkeypatch.setitem(app.config, "MAIL_SERVER", "smtp.example.cn")
    monkeypatch.setattr(
        "outlet_audit.notifications.operations._send_mail",
        lambda user, template, params, link: mailed.append((user.email, params["number"], link)),
    )
    remind(app, certified.certificate.valid_until - timedelta(days=90))
    assert mailed == [
        ("outlet@example.cn", certified.certificate.number, f"/certificates/{certified.certificate.id}")
    ]


def test_a_malformed_day_is_refused(app, db_session):
    result = app.test_cli_runner().invoke(args=["certificates", "remind", "--today", "2025-13-01"])
    assert result.exit_code == 2 and "YYYY-MM-DD" in result.output
    assert db_session.scalar(select(func.count()).select_from(Notification)) == 0
