"""Supervision after the certificate end to end, every act an HTTP request of the person whose act it
is: a complaint from the public leads to a targeted visit that fails, the bureau proposes revocation,
the issuer serves notice, the outlet states its case and the certificate is revoked, which the public
verification page then says. And a spot-check campaign from plan to publication.

The checklist answers go through the checklist page's own save endpoint (the JSON its script posts)
and the evidence through its upload endpoint, as the inspector's phone sends them.
"""

import re
from datetime import timedelta
from io import BytesIO

import pytest
from sqlalchemy import select

from outlet_audit.audit.models import AuditEvent
from outlet_audit.certificates.models import Certificate
from outlet_audit.checklist.coverage import covered_items
from outlet_audit.core.time import today_in_shanghai
from outlet_audit.criteria.editions import pinned_edition
from outlet_audit.evidence.models import Evidence
from outlet_audit.extensions import db
from outlet_audit.notifications.models import Notification
from outlet_audit.roles import Role
from outlet_audit.scoring import Answer, evidence_required
from outlet_audit.supervision.kinds import CampaignStatus, CheckPurpose, CheckStatus, RevocationStatus
from outlet_audit.supervision.models import Campaign, Complaint, RevocationCase, SupervisionCheck
from outlet_audit.supervision.revocation_cases import earliest_response_due
from outlet_audit.workflow.models import Application
from outlet_audit.workflow.seeding import best_value, worst_value
from tests.certificate_helpers import pdf_text
from tests.checklist_helpers import form_text, pdf
from tests.factories import certify, login, make_outlet, make_user
from tests.pdf_helpers import photo_jpeg
from tests.supervision.campaign_world import certified_district
from tests.supervision.complaint_helpers import receipt_of

pytestmark = pytest.mark.usefixtures("english_ui")

COMPLAINT_TEXT = "网点对电商快件二次包装，使用宽胶带缠绕多圈。"
CHECK_REASONS = "否决项 1.3 不合格：现场仍使用不可降解塑料袋。"
OUTCOME_TEXT = "现场核查属实：仍使用不可降解塑料袋，已建议撤销证书。"
NOTICE_GROUNDS = "2026年12月针对投诉的定向检查：否决项不合格。"
DECISION_REASONS = "陈述所称整改未能核实，理由不成立。"


def fresh(row):
    """The row as the last request committed it."""
    db.session.expire_all()
    return db.session.get(type(row), row.id)


def body(response) -> str:
    return response.get_data(as_text=True)


def edition_of(check: SupervisionCheck):
    return pinned_edition(db.session.get(Application, check.application_id).edition)


def answer_on_the_page(client, check: SupervisionCheck, *, short_of=frozenset()) -> set[str]:
    """Answer every item the check covers on the checklist page (full marks but `short_of`, which get
    none) and upload the evidence each answer asks for; returns the covered codes."""
    record, edition = check.assessment, edition_of(check)
    covered = covered_items(record, edition, check.checklist)
    page = client.get(f"/checklist/{record.id}")
    assert page.status_code == 200 and 'data-editable="true"' in body(page)
    for seed, item in enumerate(item for item in edition.items() if item.code in covered):
        value = worst_value(item) if item.code in short_of else best_value(item)
        saved = client.post(
            f"/checklist/{record.id}/items/{item.code}",
            json={"value": form_text(item, value), "expected_version": 0},
        )
        assert saved.status_code == 200, (item.code, body(saved))
        assert saved.get_json()["status"] == "saved"
        if evidence_required(item, Answer(value)):
            document = item.evidence.kind == "document"
            upload = (BytesIO(pdf()), "doc.pdf") if document else (BytesIO(photo_jpeg(seed)), "site.jpg")
            stored = client.post(
                f"/evidence/assessments/{record.id}/upload",
                data={"item_code": item.code, "file": upload},
                content_type="multipart/form-data",
                headers={"Accept": "application/json"},
            )
            assert stored.status_code == 200 and stored.get_json()["status"] == "stored", body(stored)
    return covered


def sign_on_the_page(client, check: SupervisionCheck, inspector) -> None:
    login(client, inspector)
    url = f"/supervision/checks/visits/{check.assessment_id}/sign"
    assert client.get(url).status_code == 200
    signed = client.post(url, data={"confirm": "y", "outlet_representative": "店长 孙"})
    assert signed.status_code == 302, body(signed)[-2000:]


def chinese_date(day) -> str:
    return f"{day.year}年{day.month}月{day.day}日"


def test_complaint_to_revocation_through_the_pages(app, client, ctx):
    certificate = certify(make_outlet("FX"))
    outlet_user = make_user(Role.OUTLET, outlet=certificate.outlet)
    bureau = make_user(Role.DISTRICT_BUREAU, district_code="FX")  # the district's postal bureau: the issuer
    inspectors = [
        make_user(Role.INSPECTOR, district_code="FX", display_name=name) for name in ("孙督查", "周督查")
    ]
    db.session.commit()
    public = app.test_client()  # the person who complains, never signed in

    # 1. From the certificate's public verification page to the complaint's receipt.
    verify = public.get(f"/verify/{certificate.number}")
    assert verify.status_code == 200 and 'data-state="valid"' in body(verify)
    link = re.search(r'href="([^"]+)" data-complain', body(verify))[1]
    assert link == f"/complaints/new/{certificate.number}"
    assert public.get(link).status_code == 200
    sent = public.post(
        link,
        data={
            "category": "second_packaging",
            "description": COMPLAINT_TEXT,
            "contact": "13912345678",
            "photo": (BytesIO(photo_jpeg(7)), "seen.jpg"),
        },
        content_type="multipart/form-data",
    )
    assert sent.status_code == 302, body(sent)[-2000:]
    receipt = public.get(sent.location)
    assert receipt.status_code == 200
    reference, code = receipt_of(body(receipt))
    assert code, "a complaint with a contact gets a follow-up code"
    complaint = db.session.scalar(select(Complaint).where(Complaint.reference == reference))
    assert (complaint.certificate_id, complaint.status, complaint.contact) == (
        certificate.id,
        "received",
        "13912345678",
    )
    assert complaint.photo_sha256 is not None

    # 2. The district postal bureau finds it and opens a targeted visit with two of its inspectors.
    login(client, bureau)
    assert reference in body(client.get("/complaints/"))
    detail = client.get(f"/complaints/{complaint.id}")
    assert detail.status_code == 200 and COMPLAINT_TEXT in body(detail)
    assert client.get(f"/complaints/{complaint.id}/photo").status_code == 200
    due = today_in_shanghai() + timedelta(days=12)
    opened = client.post(
        f"/complaints/{complaint.id}/visit",
        data={
            "team": [str(user.id) for user in inspectors],
            "due_by": due.isoformat(),
            "reason": "核查是否仍使用不可降解塑料袋",
        },
    )
    assert opened.status_code == 302, body(opened)[-2000:]
    complaint = fresh(complaint)
    check = complaint.check
    assert complaint.status == "visit_opened"
    assert (check.purpose, check.status, check.due_by) == (CheckPurpose.COMPLAINT, CheckStatus.SCHEDULED, due)
    assert {user.id for user in check.assessment.inspectors} == {user.id for user in inspectors}

    # 3. The team sees the visit, the outlet nothing yet; they record a failed veto item and sign.
    for inspector in inspectors:
        login(client, inspector)
        assert f'data-check="{check.id}"' in body(client.get("/supervision/checks/visits"))
    login(client, outlet_user)
    assert f'data-check="{check.id}"' not in body(client.get("/supervision/checks/mine"))
    assert client.get(f"/supervision/checks/{check.id}/outlet").status_code == 404
    login(client, inspectors[0])
    edition = edition_of(check)
    covered = covered_items(check.assessment, edition, check.checklist)
    veto = next(item.code for item in edition.items() if item.veto and item.code in covered)
    answer_on_the_page(client, check, short_of={veto})
    for inspector in inspectors:
        sign_on_the_page(client, check, inspector)
    check = fresh(check)
    assert check.status == CheckStatus.VISITED and check.assessment.signed_off_at is not None
    login(client, outlet_user)
    assert f'data-check="{check.id}"' in body(client.get("/supervision/checks/mine"))

    # 4. The bureau reads the failed result and proposes revocation.
    login(client, bureau)
    page = body(client.get(f"/supervision/checks/{check.id}"))
    assert 'data-passed="no"' in page and "Does not meet the pass rule" in page
    assert re.search(rf'id="failed-vetoes">[^<]*{re.escape(veto)}', page)
    assert f'data-item-code="{veto}"' in page
    proposed = client.post(
        f"/supervision/checks/{check.id}/revocation", data={"revocation-reasons": CHECK_REASONS}
    )
    assert proposed.status_code == 302, body(proposed)[-2000:]
    check = fresh(check)
    assert (check.status, check.conclusion, check.concluded_by_id) == (
        CheckStatus.REVOCATION,
        CHECK_REASONS,
        bureau.id,
    )

    # 5. The complaint is substantiated; its sender reads so with the code.
    assert f'action="/complaints/{complaint.id}/outcome"' in body(client.get(f"/complaints/{complaint.id}"))
    concluded = client.post(
        f"/complaints/{complaint.id}/outcome", data={"status": "substantiated", "outcome": OUTCOME_TEXT}
    )
    assert concluded.status_code == 302, body(concluded)[-2000:]
    assert fresh(complaint).status == "substantiated"
    followed = public.post("/complaints/follow", data={"reference": reference, "code": code})
    assert followed.status_code == 200
    assert 'data-status="substantiated"' in body(followed) and OUTCOME_TEXT in body(followed)

    # 6. The issuer serves notice from the check; the outlet is told and reads the notice.
    form = client.get(f"/certificates/{certificate.id}/revocation-cases/new?source=check:{check.id}")
    assert form.status_code == 200 and f'value="check:{check.id}"' in body(form)
    response_due = earliest_response_due(today_in_shanghai()) + timedelta(days=3)
    served = client.post(
        f"/certificates/{certificate.id}/revocation-cases/new",
        data={
            "ground": "spot_check_failed",
            "source": f"check:{check.id}",
            "grounds": NOTICE_GROUNDS,
            "evidence": f"检查记录 {check.number}；现场照片。",
            "response_due": response_due.isoformat(),
        },
    )
    assert served.status_code == 302, body(served)[-2000:]
    case = db.session.scalar(select(RevocationCase).where(RevocationCase.certificate_id == certificate.id))
    assert (case.status, case.check_id, case.ground, case.response_due, case.immediate) == (
        RevocationStatus.NOTIFIED,
        check.id,
        "spot_check_failed",
        response_due,
        False,
    )
    assert fresh(certificate).state == "active"  # in force until decided
    note = db.session.scalar(
        select(Notification).where(
            Notification.user_id == outlet_user.id, Notification.kind == "revocation_noticed"
        )
    )
    assert note is not None and note.link == f"/revocation-cases/{case.id}"
    login(client, outlet_user)
    case_page = body(client.get(note.link))
    assert 'data-act="state_case"' in case_page and f"/revocation-cases/{case.id}/notice.pdf" in case_page
    letter = client.get(f"/revocation-cases/{case.id}/notice.pdf")
    assert letter.status_code == 200 and letter.mimetype == "application/pdf"
    text = pdf_text(letter.data)
    for expected in (case.number, certificate.number, "抽查不合格", chinese_date(response_due)):
        assert expected in text, expected

    # 7. The outlet states its case, with one document, before the deadline.
    stated = client.post(
        f"/revocation-cases/{case.id}/statement",
        data={
            "statement": "已全部更换为可降解包装袋，附照片。",
            "documents": [(BytesIO(photo_jpeg(3)), "fixed.jpg")],
        },
        content_type="multipart/form-data",
    )
    assert stated.status_code == 302, body(stated)[-2000:]
    case = fresh(case)
    assert case.status == RevocationStatus.STATEMENT and case.statement_by_id == outlet_user.id
    (document,) = db.session.scalars(select(Evidence).where(Evidence.revocation_case_id == case.id))
    assert document.purpose == "statement"

    # 8. The issuer decides: revoked. The decision letter, the certificate, the public page.
    login(client, bureau)
    decided = client.post(
        f"/revocation-cases/{case.id}/decide", data={"decision": "revoked", "reasons": DECISION_REASONS}
    )
    assert decided.status_code == 302, body(decided)[-2000:]
    case, certificate = fresh(case), db.session.get(Certificate, certificate.id)
    assert case.status == RevocationStatus.REVOKED and certificate.state == "revoked"
    decision = client.get(f"/revocation-cases/{case.id}/decision.pdf")
    assert decision.status_code == 200 and decision.mimetype == "application/pdf"
    decision_text = pdf_text(decision.data)
    assert "撤销决定书" in decision_text and case.number in decision_text
    assert "".join(DECISION_REASONS.split()) in decision_text
    verify = body(public.get(f"/verify/{certificate.number}"))
    assert 'data-state="revoked"' in verify and "Failed spot check" in verify
    assert re.search(r"data-revoked-by>[^<]*" + re.escape(certificate.issuer.name("en")), verify)
    for internal in (DECISION_REASONS, NOTICE_GROUNDS, CHECK_REASONS, COMPLAINT_TEXT):
        assert internal not in verify

    # 9. Each act is in the audit trail, in the order taken.
    subjects = {("complaint", complaint.id), ("supervision_check", check.id), ("certificate", certificate.id)}
    trail = [
        event.action
        for event in db.session.scalars(
            select(AuditEvent).where(AuditEvent.action != "certificate_issued").order_by(AuditEvent.id)
        )
        if (event.subject_type, event.subject_id) in subjects
    ]
    start = trail.index("complaint_received")
    assert trail[start:] == [
        "complaint_received",
        "supervision_check_opened",
        "complaint_visit_opened",
        "supervision_visit_signed",
        "supervision_visit_signed",
        "supervision_check_concluded",
        "complaint_concluded",
        "revocation_noticed",
        "revocation_statement_given",
        "revocation_decided",
        "certificate_revoked",
    ], trail


def test_spot_check_campaign_through_the_pages(app, client, ctx):
    world = certified_district("FX", outlets=2, postal=2)
    db.session.commit()
    today = today_in_shanghai()

    # The district bureau plans a campaign of one outlet, a team of one, and draws it.
    login(client, world.bureau)
    planned = client.post(
        "/campaigns/new",
        data={
            "title": "奉贤区第四季度双随机抽查",
            "district_ids": [str(world.district.id)],
            "levels": ["district"],
            "sample_kind": "count",
            "sample_value": "1",
            "window_from": today.isoformat(),
            "window_until": (today + timedelta(days=20)).isoformat(),
            "checklist": "spot_check",
            "recusal_months": "12",
            "team_size": "1",
            "quota_per_inspector": "1",
        },
    )
    assert planned.status_code == 302, body(planned)[-2000:]
    campaign = db.session.scalar(select(Campaign).order_by(Campaign.id.desc()).limit(1))
    assert campaign.status == CampaignStatus.PLANNED
    drawn = client.post(f"/campaigns/{campaign.id}/draw")
    assert drawn.status_code == 302, body(drawn)[-2000:]
    campaign = fresh(campaign)
    (check,) = campaign.checks
    (inspector,) = check.assessment.inspectors
    assert campaign.status == CampaignStatus.DRAWN and inspector.district_id == world.district.id
    assert inspector.id not in campaign.inputs["recused"].get(check.certificate.number, ())
    assert check.purpose == CheckPurpose.SPOT_CHECK and check.status == CheckStatus.SCHEDULED

    # The drawn inspector finds the visit, fills it in at full marks and signs it.
    login(client, inspector)
    assert f'data-check="{check.id}"' in body(client.get("/supervision/checks/visits"))
    answer_on_the_page(client, check)
    sign_on_the_page(client, check, inspector)
    assert fresh(check).status == CheckStatus.VISITED

    # The bureau reads it passed and concludes; then closes the campaign.
    login(client, world.bureau)
    page = body(client.get(f"/supervision/checks/{check.id}"))
    assert 'data-passed="yes"' in page and "Meets the pass rule" in page
    passed = client.post(f"/supervision/checks/{check.id}/passed", data={"pass-note": "各项均符合要求。"})
    assert passed.status_code == 302, body(passed)[-2000:]
    assert fresh(check).status == CheckStatus.PASSED
    closed = client.post(f"/campaigns/{campaign.id}/close")
    assert closed.status_code == 302, body(closed)[-2000:]
    campaign = fresh(campaign)
    assert campaign.status == CampaignStatus.CLOSED

    # The public list names the outlet with its result; the recorded draw re-runs identically.
    public = app.test_client()
    assert campaign.number in body(public.get("/spot-checks"))
    published = public.get(f"/spot-checks/{campaign.number}")
    assert published.status_code == 200
    rows = re.findall(r'<tr data-certificate="([^"]+)">(.*?)</tr>', body(published), re.S)
    assert [number for number, _row in rows] == [check.certificate.number]
    assert check.outlet.name in rows[0][1] and "Passed the check" in rows[0][1]
    result = app.test_cli_runner().invoke(args=["supervision", "redraw", "--check", campaign.number])
    assert result.exit_code == 0, result.output
    assert "identical" in result.output and "1 outlets" in result.output
