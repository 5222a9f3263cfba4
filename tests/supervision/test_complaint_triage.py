"""The district bureau's triage: the list, dismissing with a reason, opening a visit with a team,
recording the outcome after the visit, and the whole path from the public's form to the answer."""

import csv
import io
from datetime import timedelta

import pytest
from sqlalchemy import select

from outlet_audit.audit.models import AuditEvent
from outlet_audit.certificates.state import StoredCertificateState
from outlet_audit.checklist.kinds import AssessmentKind
from outlet_audit.core.time import today_in_shanghai, utcnow
from outlet_audit.extensions import db
from outlet_audit.notifications.models import Notification
from outlet_audit.roles import Role
from outlet_audit.supervision.kinds import CheckPurpose, CheckStatus
from outlet_audit.supervision.models import Complaint, SupervisionCheck
from tests.factories import login, make_user
from tests.supervision.complaint_helpers import (
    certified,
    make_complaint,
    newest_complaint,
    receipt_of,
    send,
    sign_the_visit,
    team_of,
    visit_form,
)

pytestmark = pytest.mark.usefixtures("english_ui")


@pytest.fixture
def certificate(ctx):
    return certified("FX")


@pytest.fixture
def bureau(ctx):
    return make_user(Role.DISTRICT_BUREAU, district_code="FX")


def fresh(complaint) -> Complaint:
    db.session.expire_all()
    return db.session.get(Complaint, complaint.id)


def actions(complaint_id: int) -> list[str]:
    return list(
        db.session.scalars(
            select(AuditEvent.action)
            .where(AuditEvent.subject_type == "complaint", AuditEvent.subject_id == complaint_id)
            .order_by(AuditEvent.id)
        )
    )


def test_dismissing_needs_a_reason_the_complainant_then_reads(client, certificate, bureau):
    complaint, code = make_complaint(certificate, contact="someone@example.com")
    login(client, bureau)

    for reason in ("", "   "):
        empty = client.post(f"/complaints/{complaint.id}/dismiss", data={"reason": reason})
        assert empty.status_code == 422 and "Give the reason." in empty.get_data(as_text=True)
    assert fresh(complaint).status == "received"

    done = client.post(
        f"/complaints/{complaint.id}/dismiss", data={"reason": "该网点已于上月停业，证书已注销。"}
    )

    assert done.status_code == 302
    complaint = fresh(complaint)
    assert complaint.status == "dismissed" and complaint.triaged_by_id == bureau.id
    assert complaint.closed_at is not None and complaint.triage_reason == "该网点已于上月停业，证书已注销。"
    assert actions(complaint.id) == ["complaint_received", "complaint_dismissed"]
    history = client.get(f"/complaints/{complaint.id}").get_data(as_text=True).split(">History<")[1]
    assert f"Complaint {complaint.reference} was received from the public" in history
    assert f"dismissed complaint {complaint.reference}" in history and "该网点已于上月停业" in history
    followed = client.post("/complaints/follow", data={"reference": complaint.reference, "code": code})
    assert "该网点已于上月停业" in followed.get_data(as_text=True)
    # Decided once: it cannot be dismissed again, nor sent to a visit now.
    again = client.post(f"/complaints/{complaint.id}/visit", data=visit_form(team_of()))
    assert again.status_code == 422 and fresh(complaint).status == "dismissed"


def test_opening_a_visit_makes_the_check_with_the_chosen_team(client, certificate, bureau):
    complaint, _ = make_complaint(certificate)
    team = team_of("FX", 2)
    login(client, bureau)
    page = client.get(f"/complaints/{complaint.id}").get_data(as_text=True)
    assert all(member.display_name in page for member in team)

    opened = client.post(f"/complaints/{complaint.id}/visit", data=visit_form(team, days=12))

    assert opened.status_code == 302
    complaint = fresh(complaint)
    check = db.session.scalar(select(SupervisionCheck).where(SupervisionCheck.complaint_id == complaint.id))
    assert complaint.status == "visit_opened" and complaint.triaged_by_id == bureau.id
    assert complaint.closed_at is None
    assert (check.purpose, check.status, check.certificate_id) == (
        CheckPurpose.COMPLAINT,
        CheckStatus.SCHEDULED,
        certificate.id,
    )
    assert check.due_by == today_in_shanghai() + timedelta(days=12) and check.reason == "核查是否仍二次包装"
    assert check.assessment.kind == AssessmentKind.SUPERVISION
    assert {user.id for user in check.assessment.inspectors} == {user.id for user in team}
    assert actions(complaint.id) == ["complaint_received", "complaint_visit_opened"]
    shown = client.get(f"/complaints/{complaint.id}").get_data(as_text=True)
    assert check.number in shown and "The outcome can be recorded once" in shown


@pytest.mark.parametrize(
    ("change", "error"),
    [
        ({"days": -1}, "cannot be due before today"),
        ({"team": "other district"}, "not a valid choice"),
        ({"team": "nobody"}, "Choose the team."),
        ({"reason": " "}, "Say what the team should check."),
    ],
)
def test_a_visit_needs_the_districts_inspectors_a_date_and_a_brief(
    client, certificate, bureau, change, error
):
    complaint, _ = make_complaint(certificate)
    team = {"other district": team_of("QP", 1), "nobody": []}.get(change.get("team"), team_of("FX", 1))
    data = visit_form(team, days=change.get("days", 10), reason=change.get("reason", "核查"))
    login(client, bureau)

    refused = client.post(f"/complaints/{complaint.id}/visit", data=data)

    assert refused.status_code == 422 and error in refused.get_data(as_text=True)
    assert fresh(complaint).status == "received"
    assert (
        db.session.scalar(select(SupervisionCheck).where(SupervisionCheck.complaint_id == complaint.id))
        is None
    )


def test_the_outcome_is_recorded_only_after_the_visit(client, certificate, bureau):
    complaint, code = make_complaint(certificate, contact="13800138000")
    login(client, bureau)
    assert client.post(f"/complaints/{complaint.id}/visit", data=visit_form(team_of())).status_code == 302
    outcome = {"status": "substantiated", "outcome": "现场发现仍存在二次包装，已责令整改。"}

    early = client.post(f"/complaints/{complaint.id}/outcome", data=outcome)

    assert early.status_code == 422 and "once the visit is made" in early.get_data(as_text=True)
    assert fresh(complaint).status == "visit_opened"
    page = client.get(f"/complaints/{complaint.id}").get_data(as_text=True)
    assert f'action="/complaints/{complaint.id}/outcome"' not in page

    sign_the_visit(fresh(complaint).check)
    assert (
        client.post(f"/complaints/{complaint.id}/outcome", data={**outcome, "outcome": ""}).status_code == 422
    )
    assert (
        client.post(f"/complaints/{complaint.id}/outcome", data={**outcome, "status": "maybe"}).status_code
        == 422
    )
    done = client.post(f"/complaints/{complaint.id}/outcome", data=outcome)

    assert done.status_code == 302
    complaint = fresh(complaint)
    assert complaint.status == "substantiated" and complaint.closed_at is not None
    assert complaint.outcome == outcome["outcome"]
    assert actions(complaint.id)[-1] == "complaint_concluded"
    again = client.post(
        f"/complaints/{complaint.id}/outcome", data={**outcome, "status": "not_substantiated"}
    )
    assert again.status_code == 422 and fresh(complaint).status == "substantiated"


def test_no_visit_when_the_outlet_holds_no_certificate_in_force(client, certificate, bureau):
    complaint, _ = make_complaint(certificate)
    certificate.state, certificate.revoked_at, certificate.revoked_reason = (
        StoredCertificateState.REVOKED,
        utcnow(),
        "复查不合格",
    )
    db.session.flush()
    login(client, bureau)
    page = client.get(f"/complaints/{complaint.id}").get_data(as_text=True)
    assert "data-no-certificate" in page and f'/complaints/{complaint.id}/visit"' not in page

    refused = client.post(f"/complaints/{complaint.id}/visit", data=visit_form(team_of()))

    assert refused.status_code == 422 and "holds no certificate in force" in refused.get_data(as_text=True)
    assert (
        client.post(
            f"/complaints/{complaint.id}/dismiss", data={"reason": "证书已撤销，已通知网点摘牌。"}
        ).status_code
        == 302
    )


def test_the_list_is_newest_first_filtered_by_status_with_the_overdue_marked(app, client, bureau, ctx):
    certificate = certified("FX")
    old, _ = make_complaint(certificate, created_at=utcnow() - timedelta(days=8))
    old_dismissed, _ = make_complaint(
        certificate,
        created_at=utcnow() - timedelta(days=9),
        status="dismissed",
        triaged_at=utcnow(),
        triage_reason="重复投诉",
        closed_at=utcnow(),
    )
    recent, _ = make_complaint(certificate)
    elsewhere, _ = make_complaint(certified("QP"))
    login(client, bureau)

    page = client.get("/complaints/").get_data(as_text=True)

    rows = [line for line in page.split("<tr ") if "data-complaint=" in line]
    assert [row.split('"')[1] for row in rows] == [recent.reference, old.reference, old_dismissed.reference]
    overdue = {row.split('"')[1] for row in rows if "data-overdue" in row}
    assert overdue == {old.reference} and elsewhere.reference not in page
    assert f"within {app.config['COMPLAINT_TRIAGE_DAYS']} days" in page
    dismissed = client.get("/complaints/?status=dismissed").get_data(as_text=True)
    assert old_dismissed.reference in dismissed and recent.reference not in dismissed
    assert client.get("/complaints/?status=nonsense").status_code == 200  # an unknown status filters nothing


def test_the_description_is_escaped_on_the_page_and_in_the_export(client, certificate, bureau):
    hostile = '<script>alert("x")</script>\n=HYPERLINK("http://evil.example","x")'
    complaint, _ = make_complaint(certificate, description=hostile)
    login(client, bureau)

    page = client.get(f"/complaints/{complaint.id}").get_data(as_text=True)
    export = client.get("/complaints/export.csv", buffered=True)

    assert '<script>alert("x")</script>' not in page and "&lt;script&gt;alert(" in page
    assert export.status_code == 200 and export.mimetype == "text/csv"
    rows = list(csv.reader(io.StringIO(export.get_data(as_text=True).lstrip("\ufeff"))))
    (row,) = [row for row in rows if row and row[0] == complaint.reference]
    assert row[5] == hostile  # as typed: a cell starting with "<" is no formula
    assert not any(cell.startswith(("=", "+", "-", "@")) for cell in row)
    assert "someone" not in export.get_data(as_text=True)  # no contact leaves in an export
    hostile_first = make_complaint(certificate, description='=HYPERLINK("http://evil.example")')[0]
    export = client.get("/complaints/export.csv", buffered=True).get_data(as_text=True)
    assert f"""{hostile_first.reference},""" in export and "'=HYPERLINK" in export


def test_from_the_public_form_to_the_answer_through_the_pages(client, certificate, bureau):
    """The path complaint → targeted visit → outcome, each step through the test client; the
    visit's own signing is another helper's flow and stands in here through the models."""
    team = team_of("FX", 2)
    assert send(client, certificate.number, contact="someone@example.com").status_code == 302
    reference, code = receipt_of(client.get("/complaints/received").get_data(as_text=True))
    complaint = newest_complaint()

    login(client, bureau)
    note = db.session.scalar(
        select(Notification).where(
            Notification.user_id == bureau.id, Notification.kind == "complaint_received"
        )
    )
    assert note.link == f"/complaints/{complaint.id}"
    assert reference in client.get("/complaints/").get_data(as_text=True)
    assert client.post(f"/complaints/{complaint.id}/visit", data=visit_form(team)).status_code == 302
    check = fresh(complaint).check
    assert check.purpose == CheckPurpose.COMPLAINT and check.complaint_id == complaint.id

    # The team visits and signs its record (H-visits' pages): set through the models here.
    sign_the_visit(check)
    db.session.commit()

    outcome = {"status": "not_substantiated", "outcome": "现场核查未发现二次包装。"}
    assert client.post(f"/complaints/{complaint.id}/outcome", data=outcome).status_code == 302

    client.get("/logout")
    with client.session_transaction() as session:
        session.clear()
    followed = client.post("/complaints/follow", data={"reference": reference, "code": code})
    text = followed.get_data(as_text=True)
    assert followed.status_code == 200 and 'data-status="not_substantiated"' in text
    assert "现场核查未发现二次包装。" in text
    assert actions(complaint.id) == [
        "complaint_received",
        "complaint_visit_opened",
        "complaint_concluded",
    ]
