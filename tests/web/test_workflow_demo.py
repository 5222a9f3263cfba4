"""`flask demo load` leaves a lived-in workflow: applications in several states, made step by step."""

from sqlalchemy import select

from outlet_audit.accounts.models import User
from outlet_audit.audit.models import AuditEvent
from outlet_audit.certificates.models import Certificate
from outlet_audit.outlets.models import Outlet
from outlet_audit.workflow.approvals import records_of
from outlet_audit.workflow.invariants import broken_invariants
from outlet_audit.workflow.models import Application


def test_demo_applications_cover_the_stages(app, db_session, tmp_path, monkeypatch):
    monkeypatch.setitem(app.config, "LOAD_DEMO_DATA", True)
    monkeypatch.setattr(app, "instance_path", str(tmp_path))
    runner = app.test_cli_runner()
    assert runner.invoke(args=["demo", "load"]).exit_code == 0
    rows = db_session.execute(
        select(Outlet.permit_number, Application.status, Application.target_level).join(Application.outlet)
    ).all()
    statuses = {(permit, status, level) for permit, status, level in rows}
    assert statuses == {
        ("SH-KD-2021-0158", "approved", "district"),
        ("SH-KD-2021-0158", "draft", "city"),
        ("SH-KD-2020-3321", "inspection_scheduled", "district"),
        ("SH-YZ-2019-0007", "submitted", "district"),
        ("SH-KD-2022-7710", "rectification_requested", "district"),
        ("SH-KD-2018-4402", "draft", "district"),
        # certified for the supervision demo (demo/supervision.py)
        ("SH-KD-2021-6603", "approved", "district"),
        ("SH-KD-2019-2087", "approved", "district"),
        ("SH-KD-2020-4416", "approved", "district"),
        ("SH-KD-2022-3359", "approved", "district"),
    }
    approved = db_session.scalar(
        select(Application)
        .join(Application.outlet)
        .where(Outlet.permit_number == "SH-KD-2021-0158")
        .order_by(Application.id)
        .limit(1)
    )
    signers = [(record.act, record.user.username) for record in records_of(approved.id)]
    assert signers == [("opinion", "fengxian"), ("cosign", "fengxian-eco"), ("decision", "fengxian")]
    scheduled = db_session.scalar(select(Application).where(Application.status == "inspection_scheduled"))
    assert {user.username for user in scheduled.inspectors} == {"inspector1", "inspector2"}
    levels = db_session.scalars(select(Certificate.level).where(Certificate.state == "active")).all()
    assert set(levels) == {"district"}
    transitions = db_session.scalars(
        select(AuditEvent.field).where(
            AuditEvent.action == "transition", AuditEvent.application_id == scheduled.id
        )
    ).all()
    assert transitions == ["submit", "accept", "schedule_inspection"]
    changed = db_session.scalar(select(Outlet).where(Outlet.pending_changes.is_not(None)))
    assert changed.permit_number == "SH-KD-2020-3321" and changed.pending_changes == {"manager": "李敏、周强"}

    assert broken_invariants(db_session) == {}  # every row one the operations would write
    assert runner.invoke(args=["demo", "load"]).exit_code == 0  # a second load adds nothing
    assert len(db_session.scalars(select(Application.id)).all()) == len(rows)
    assert db_session.scalar(select(User.username).where(User.username == "outlet5")) == "outlet5"
