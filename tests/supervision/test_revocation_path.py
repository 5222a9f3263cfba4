"""Revocation with prior notice through the test client: notice → statement → decision → the
verification page; the decision not to revoke; the deadline's rules; immediate revocation."""

from datetime import timedelta

import pytest
from sqlalchemy import select

from outlet_audit.audit.models import AuditEvent
from outlet_audit.core.time import today_in_shanghai
from outlet_audit.evidence.models import Evidence
from outlet_audit.extensions import db
from outlet_audit.notifications.models import Notification
from outlet_audit.roles import Role
from outlet_audit.supervision.kinds import RevocationStatus
from outlet_audit.supervision.models import RevocationCase
from tests.factories import certify, login, make_outlet, make_user
from tests.supervision.revocation_helpers import concluded_for_revocation, deadline_passed, notice, upload


@pytest.fixture
def certified(ctx):
    return certify(make_outlet("FX"))


@pytest.fixture
def issuer(ctx):
    return make_user(Role.DISTRICT_BUREAU, district_code="FX")


@pytest.fixture
def outlet_user(certified):
    return make_user(Role.OUTLET, outlet=certified.outlet)


def actions(certificate_id: int) -> list[str]:
    return list(
        db.session.scalars(
            select(AuditEvent.action)
            .where(AuditEvent.subject_type == "certificate", AuditEvent.subject_id == certificate_id)
            .order_by(AuditEvent.id)
        )
    )


def test_check_concluded_as_revocation_to_revoked_on_the_verification_page(
    client, certified, issuer, outlet_user, english_ui
):
    check = concluded_for_revocation(certified, issuer)
    login(client, issuer)
    page = client.get(f"/certificates/{certified.id}").get_data(as_text=True)
    assert f"/certificates/{certified.id}/revocation-cases/new" in page
    form = client.get(f"/certificates/{certified.id}/revocation-cases/new").get_data(as_text=True)
    assert f'value="check:{check.id}"' in form
    due = today_in_shanghai() + timedelta(days=10)
    response = client.post(
        f"/certificates/{certified.id}/revocation-cases/new",
        data={
            "ground": "spot_check_failed",
            "source": f"check:{check.id}",
            "grounds": "抽查发现网点仍使用不可降解胶带。",
            "evidence": "抽查记录；现场照片 3 张。",
            "response_due": due.isoformat(),
        },
    )
    assert response.status_code == 302, response.get_data(as_text=True)
    case = db.session.scalar(select(RevocationCase))
    assert case.number in client.get(response.location).get_data(as_text=True)  # the flash is read
    assert (case.status, case.check_id, case.response_due, case.immediate) == (
        "notified",
        check.id,
        due,
        False,
    )
    # While the case is open the certificate stays valid, and the public page says nothing of it.
    verify = client.get(f"/verify/{certified.number}").get_data(as_text=True)
    assert "Revoked" not in verify and case.number not in verify
    (note,) = db.session.scalars(
        select(Notification).where(
            Notification.user_id == outlet_user.id, Notification.kind == "revocation_noticed"
        )
    )
    assert note.link == f"/revocation-cases/{case.id}"
    assert client.get(f"/revocation-cases/{case.id}/notice.pdf").mimetype == "application/pdf"

    # The outlet states its case with a document, before the deadline.
    login(client, outlet_user)
    page = client.get(f"/revocation-cases/{case.id}").get_data(as_text=True)
    assert 'data-act="state_case"' in page and "notice.pdf" in page
    response = client.post(
        f"/revocation-cases/{case.id}/statement",
        data={"statement": "已全部更换为可降解胶带，附照片。", "documents": [upload(1), upload(2, "b.jpg")]},
        content_type="multipart/form-data",
    )
    assert response.status_code == 302, response.get_data(as_text=True)
    db.session.refresh(case)
    assert case.status == RevocationStatus.STATEMENT and case.statement_by_id == outlet_user.id
    documents = db.session.scalars(select(Evidence).where(Evidence.revocation_case_id == case.id)).all()
    assert [d.purpose for d in documents] == ["statement", "statement"]
    assert client.get(f"/evidence/{documents[0].id}").status_code == 200
    # One statement: the form is gone and a second is refused.
    again = client.post(f"/revocation-cases/{case.id}/statement", data={"statement": "再次"})
    assert again.status_code == 422

    # The issuer decides: revoked. The certificate's own revoke path follows.
    login(client, issuer)
    response = client.post(
        f"/revocation-cases/{case.id}/decide", data={"decision": "revoked", "reasons": "陈述理由不成立。"}
    )
    assert response.status_code == 302
    client.get(response.location)
    db.session.refresh(case)
    db.session.refresh(certified)
    assert case.status == "revoked" and certified.state == "revoked"
    assert client.get(f"/revocation-cases/{case.id}/decision.pdf").mimetype == "application/pdf"
    assert actions(certified.id)[-4:] == [
        "revocation_noticed",
        "revocation_statement_given",
        "revocation_decided",
        "certificate_revoked",
    ]
    # The verification page: revoked, when, on what ground, by whom; not the internal reasons.
    verify = client.get(f"/verify/{certified.number}").get_data(as_text=True)
    assert "Failed spot check" in verify and "陈述理由不成立" not in verify
    assert certified.issuer.name("en") in verify


def test_a_case_decided_not_revoked_keeps_the_certificate(client, certified, issuer, outlet_user):
    case = notice(certified, issuer)
    deadline_passed(case)
    login(client, issuer)
    page = client.get(f"/revocation-cases/{case.id}").get_data(as_text=True)
    assert 'data-act="decide_case"' in page and "data-overdue" in page
    response = client.post(
        f"/revocation-cases/{case.id}/decide", data={"decision": "not_revoked", "reasons": "复查已整改。"}
    )
    assert response.status_code == 302
    db.session.refresh(case)
    db.session.refresh(certified)
    assert case.status == "not_revoked" and certified.state == "active"
    assert client.get(f"/revocation-cases/{case.id}/decision.pdf").status_code == 200
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "revocation_decided"))
    assert (event.new_value, event.reason) == ("not_revoked", "复查已整改。")


def test_no_decision_before_the_deadline_without_a_statement(client, certified, issuer, english_ui):
    case = notice(certified, issuer)
    login(client, issuer)
    page = client.get(f"/revocation-cases/{case.id}").get_data(as_text=True)
    assert 'data-act="decide_case"' not in page and "data-waiting" in page
    response = client.post(
        f"/revocation-cases/{case.id}/decide", data={"decision": "revoked", "reasons": "x"}
    )
    assert response.status_code == 422
    assert "decide after its statement" in response.get_data(as_text=True)
    db.session.refresh(case)
    db.session.refresh(certified)
    assert case.status == "notified" and certified.state == "active"


def test_no_statement_after_the_deadline(client, certified, issuer, outlet_user):
    case = notice(certified, issuer)
    login(client, outlet_user)
    assert 'data-act="state_case"' in client.get(f"/revocation-cases/{case.id}").get_data(as_text=True)
    deadline_passed(case)
    assert 'data-act="state_case"' not in client.get(f"/revocation-cases/{case.id}").get_data(as_text=True)
    response = client.post(f"/revocation-cases/{case.id}/statement", data={"statement": "迟到的陈述"})
    assert response.status_code == 422
    db.session.refresh(case)
    assert case.status == "notified" and case.statement is None


def test_a_deadline_shorter_than_the_setting_is_refused(client, certified, issuer, english_ui):
    login(client, issuer)
    response = client.post(
        f"/certificates/{certified.id}/revocation-cases/new",
        data={
            "ground": "false_materials",
            "grounds": "申报材料虚假。",
            "evidence": "照片与现场不符。",
            "response_due": today_in_shanghai().isoformat(),
        },
    )
    assert response.status_code == 422 and "must have until at least" in response.get_data(as_text=True)
    assert db.session.scalar(select(RevocationCase)) is None


def test_immediate_revocation_needs_an_immediate_ground(client, certified, issuer, english_ui):
    login(client, issuer)
    page = client.get(f"/certificates/{certified.id}").get_data(as_text=True)
    assert 'value="outlet_closed"' in page and 'value="spot_check_failed"' not in page
    refused = client.post(
        f"/certificates/{certified.id}/revoke", data={"ground": "spot_check_failed", "reason": "抽查不合格"}
    )
    assert refused.status_code == 422 and "needs prior notice" in refused.get_data(as_text=True)
    db.session.refresh(certified)
    assert certified.state == "active"
    response = client.post(
        f"/certificates/{certified.id}/revoke", data={"ground": "outlet_closed", "reason": "网点已停业。"}
    )
    assert response.status_code == 302
    client.get(response.location)
    db.session.refresh(certified)
    case = db.session.scalar(select(RevocationCase))
    assert certified.state == "revoked" and (case.immediate, case.status, case.ground) == (
        True,
        "revoked",
        "outlet_closed",
    )
    verify = client.get(f"/verify/{certified.number}").get_data(as_text=True)
    assert "Outlet closed or deregistered" in verify and "网点已停业。" not in verify


def test_a_district_bureau_proposes_on_a_city_certificate_and_the_city_serves_notice(client, ctx, english_ui):
    city_certificate = certify(make_outlet("FX"), "city")
    district = make_user(Role.DISTRICT_BUREAU, district_code="FX")
    city = make_user(Role.CITY_BUREAU)
    login(client, district)
    page = client.get(f"/certificates/{city_certificate.id}").get_data(as_text=True)
    assert 'data-act="serve_notice"' not in page and 'data-act="propose_revocation"' in page
    refused = client.post(
        f"/certificates/{city_certificate.id}/revocation-cases/new",
        data={"ground": "false_materials", "grounds": "x", "evidence": "y", "response_due": "2099-01-01"},
    )
    assert refused.status_code == 422 and db.session.scalar(select(RevocationCase)) is None
    client.post(f"/certificates/{city_certificate.id}/propose-revocation", data={"reasons": "抽查不合格。"})
    login(client, city)
    proposal_id = db.session.scalar(
        select(AuditEvent.subject_id).where(AuditEvent.action == "revocation_proposed")
    )
    assert proposal_id == city_certificate.id
    from outlet_audit.certificates.revocation import open_proposal

    proposal = open_proposal(city_certificate.id)
    response = client.post(
        f"/certificates/revocation-proposals/{proposal.id}/decide",
        data={
            "decision": "revoked",
            "decision_reason": "同意提议。",
            "ground": "spot_check_failed",
            "evidence": "区局抽查记录。",
            "response_due": (today_in_shanghai() + timedelta(days=14)).isoformat(),
        },
    )
    assert response.status_code == 302, response.get_data(as_text=True)
    case = db.session.scalar(select(RevocationCase))
    db.session.refresh(city_certificate)
    assert case.status == "notified" and city_certificate.state == "active"
    assert case.grounds == "抽查不合格。\n\n同意提议。"
    assert proposal.outcome is None  # settled when the case is decided
    told = db.session.scalars(
        select(Notification).where(
            Notification.user_id == district.id, Notification.kind == "revocation_noticed"
        )
    ).all()
    assert len(told) == 1
    deadline_passed(case)
    response = client.post(
        f"/revocation-cases/{case.id}/decide", data={"decision": "revoked", "reasons": "逾期未陈述。"}
    )
    assert response.status_code == 302
    db.session.refresh(proposal)
    db.session.refresh(city_certificate)
    assert proposal.outcome == "revoked" and city_certificate.state == "revoked"
