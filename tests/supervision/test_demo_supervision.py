"""`flask demo load` leaves supervision after the certificate to try in Fengxian: a published campaign
whose checks passed, a visit waiting for inspector1, complaints, a revocation notice, self-checks."""

from sqlalchemy import func, select

from outlet_audit.accounts.models import User
from outlet_audit.certificates.models import Certificate
from outlet_audit.checklist.models import visit_inspectors
from outlet_audit.demo.supervision import PASSED_PERMITS, REVOCATION_PERMIT, SCHEDULED_PERMIT
from outlet_audit.outlets.models import Outlet
from outlet_audit.supervision.models import (
    Campaign,
    Complaint,
    RevocationCase,
    SupervisionCheck,
    YearlySelfCheck,
)
from outlet_audit.workflow.invariants import broken_invariants
from tests.factories import login

SUPERVISION_TABLES = (Campaign, SupervisionCheck, Complaint, RevocationCase, YearlySelfCheck)


def _permit(outlet_id: int, db_session) -> str:
    return db_session.get(Outlet, outlet_id).permit_number


def _counts(db_session) -> dict:
    return {table: db_session.scalar(select(func.count()).select_from(table)) for table in SUPERVISION_TABLES}


def test_the_demo_shows_supervision_after_the_certificate(
    app, db_session, client, english_ui, tmp_path, monkeypatch
):
    monkeypatch.setitem(app.config, "LOAD_DEMO_DATA", True)
    monkeypatch.setattr(app, "instance_path", str(tmp_path))
    runner = app.test_cli_runner()
    loaded = runner.invoke(args=["demo", "load"])
    assert loaded.exit_code == 0, loaded.output
    users = {user.username: user for user in db_session.scalars(select(User))}
    fengxian = users["fengxian"].district_id

    closed, drawn = db_session.scalars(select(Campaign).order_by(Campaign.id)).all()
    assert (closed.status, drawn.status) == ("closed", "drawn")
    assert {closed.district_ids[0], drawn.district_ids[0]} == {fengxian}
    assert sorted(_permit(check.outlet_id, db_session) for check in closed.checks) == sorted(PASSED_PERMITS)
    assert {check.status for check in closed.checks} == {"passed"}
    (scheduled,) = drawn.checks
    assert (_permit(scheduled.outlet_id, db_session), scheduled.status) == (SCHEDULED_PERMIT, "scheduled")
    team = set(
        db_session.scalars(
            select(visit_inspectors.c.inspector_id).where(
                visit_inspectors.c.assessment_id == scheduled.assessment_id
            )
        )
    )
    assert users["inspector1"].id in team

    complaints = db_session.scalars(select(Complaint).order_by(Complaint.id)).all()
    assert sorted(complaint.status for complaint in complaints) == ["dismissed", "received"]
    assert {complaint.district_id for complaint in complaints} == {fengxian}

    (case,) = db_session.scalars(select(RevocationCase)).all()
    certificate = db_session.get(Certificate, case.certificate_id)
    assert (case.status, _permit(certificate.outlet_id, db_session)) == ("notified", REVOCATION_PERMIT)
    assert case.response_due is not None and certificate.state == "active"
    main_outlet = users["outlet"].outlet_id
    assert (
        db_session.scalar(
            select(func.count()).where(
                RevocationCase.certificate_id.in_(
                    select(Certificate.id).where(Certificate.outlet_id == main_outlet)
                )
            )
        )
        == 0
    )  # the main demo outlet's certificate is left to the other journeys

    self_checks = db_session.scalars(select(YearlySelfCheck)).all()
    assert self_checks and {self_check.status for self_check in self_checks} == {"open"}
    assert REVOCATION_PERMIT in {_permit(self_check.outlet_id, db_session) for self_check in self_checks}

    assert "revocation case" in loaded.output and "campaign " + drawn.number in loaded.output
    assert broken_invariants(db_session) == {}

    login(client, users["inspector1"])
    visits = client.get("/supervision/checks/visits").get_data(as_text=True)
    assert f'data-check="{scheduled.id}"' in visits and scheduled.outlet.name in visits
    assert client.get(f"/checklist/{scheduled.assessment_id}").status_code == 200  # to fill in on site
    assert client.get(f"/spot-checks/{closed.number}").status_code == 200
    published = client.get("/spot-checks").get_data(as_text=True)
    assert closed.number in published and drawn.number not in published
    login(client, users["fengxian"])
    triage = client.get("/complaints/").get_data(as_text=True)
    assert all(complaint.reference in triage for complaint in complaints)
    login(client, users["outlet9"])
    assert client.get(f"/revocation-cases/{case.id}").status_code == 200
    own = next(one for one in self_checks if one.outlet_id == users["outlet9"].outlet_id)
    assert client.get(f"/yearly-self-checks/{own.id}").status_code == 200

    before = _counts(db_session)
    assert runner.invoke(args=["demo", "load"]).exit_code == 0  # a second load adds nothing
    assert _counts(db_session) == before
