"""Whole journeys through the pages: from the outlet's first click to the certificate, for every role."""

import html
import io
from datetime import timedelta

import pytest
from sqlalchemy import select

from outlet_audit.audit.models import AuditEvent
from outlet_audit.certificates.models import Certificate
from outlet_audit.checklist.models import Assessment, Finding, FindingCheck, RectificationNotice
from outlet_audit.checklist.service import save_answer
from outlet_audit.core.time import today_in_shanghai
from outlet_audit.criteria.editions import pinned_edition
from outlet_audit.evidence.models import Evidence
from outlet_audit.notifications.models import Notification
from outlet_audit.workflow.models import Application
from outlet_audit.workflow.seeding import affirm_declarations
from tests.factories import login
from tests.pdf_helpers import page_texts
from tests.workflow_helpers import (
    action_request,
    answer_all,
    attach,
    best_value,
    give_certificate,
    jpeg_bytes,
    make_crew,
    pdf_bytes,
    reload,
)


@pytest.fixture
def crew(ctx):
    return make_crew()


def act(client, application, action, **fields):
    url, data = action_request(application, action, **fields)
    response = client.post(url, data=data, content_type="multipart/form-data")
    assert response.status_code == 302, html.unescape(response.get_data(as_text=True))[-2500:]
    return reload(application)


def team_signs(client, crew, application, **fields):
    """Each inspector of the team signs on the sign-off page, the first with `fields`: the
    application stays at its visit until the second has signed too."""
    login(client, crew.inspector)
    application = act(client, application, "sign_off", **fields)
    assert application.status in ("inspection_scheduled", "rectification_submitted")
    login(client, crew.second_inspector)
    return act(client, application, "sign_off")


def outlet_prepares_and_submits(client, crew, db_session, level="district") -> Application:
    login(client, crew.outlet_user)
    response = client.post("/applications/new", data={"target_level": level})
    assert response.status_code == 302
    application = db_session.get(Application, int(response.headers["Location"].rsplit("/", 1)[1]))
    edition = pinned_edition(application.edition)
    declarations = {f"draft-declaration_{d.code}": "yes" for d in edition.eligibility}
    client.post(f"/applications/{application.id}/draft", data={"draft-target_level": level, **declarations})
    answer_all(application, "self", crew.outlet_user)  # the checklist pages' job: through the service here
    upload = client.post(
        f"/applications/{application.id}/commitment",
        data={"commitment-letter": (io.BytesIO(pdf_bytes("王建国 签字")), "commitment.pdf")},
        content_type="multipart/form-data",
    )
    assert upload.status_code == 302
    return act(client, application, "submit")


def bureau_accepts_and_schedules(client, crew, application) -> Application:
    login(client, crew.bureau)
    assert crew.outlet.name in client.get("/applications/queue").get_data(as_text=True)
    application = act(client, application, "accept")
    return act(
        client,
        application,
        "schedule_inspection",
        inspector_ids=[str(crew.inspector.id), str(crew.second_inspector.id)],
        scheduled_on=(today_in_shanghai() + timedelta(days=4)).isoformat(),
    )


def test_happy_path_from_first_click_to_certificate(client, crew, db_session):
    application = outlet_prepares_and_submits(client, crew, db_session)
    assert application.status == "submitted"
    application = bureau_accepts_and_schedules(client, crew, application)
    assert application.status == "inspection_scheduled"
    assert {user.id for user in application.inspectors} == {crew.inspector.id, crew.second_inspector.id}

    login(client, crew.inspector)
    visits = client.get("/applications/assignments").get_data(as_text=True)
    assert crew.outlet.name in visits and crew.outlet.address in visits and "沈评估" in visits
    answer_all(application, "inspection", crew.inspector)
    application = team_signs(client, crew, application)
    assert application.status == "inspected"

    login(client, crew.bureau)
    page = client.get(f"/applications/{application.id}").get_data(as_text=True)
    assert "100.0" in page  # the inspection total, from the assessment's kept figures
    application = act(
        client, application, "approve", granted_level="district", opinion="现场评估符合区级要求，拟同意认定。"
    )
    # 会同属地生态环境局: the district's ecology bureau co-signs, then the postal bureau decides.
    assert application.status == "in_approval" and application.awaiting_agency == "district_ecology"
    login(client, crew.ecology)
    assert crew.outlet.name in client.get("/applications/approvals").get_data(as_text=True)
    application = act(client, application, "agree", opinion="经核查，同意。")
    assert application.status == "in_approval" and application.awaiting_agency == "district_postal"
    login(client, crew.bureau)
    application = act(client, application, "agree", opinion="符合区级无废快递网点要求。")
    assert application.status == "approved" and application.granted_level == "district"
    certificate = db_session.scalar(select(Certificate).where(Certificate.application_id == application.id))
    assert certificate is not None and certificate.level == "district"
    assert certificate.issuing_bureau == "上海市奉贤区邮政管理局"

    login(client, crew.outlet_user)
    page = html.unescape(client.get(f"/applications/{application.id}").get_data(as_text=True))
    assert certificate.number in page and "符合区级无废快递网点要求。" in page
    for opinion in ("现场评估符合区级要求，拟同意认定。", "经核查，同意。"):  # every step's opinion is shown
        assert opinion in page
    assert crew.ecology.organisation.name_en in page  # the organisation each step was signed for (in English)
    # The inspection report prints the approval: each step, its organisation, outcome and opinion.
    report = client.get(f"/reports/{application.id}/inspection-report.pdf")
    text = "".join(page_texts(report.data)).replace("\n", "")
    for printed in ("审批过程", "会签", "上海市奉贤区生态环境局", "经核查，同意。", "决定"):
        assert printed in text, printed
    for step in (  # the history tells each step as a sentence
        f"{crew.outlet_user.display_name} opened an application for District level",
        f"{crew.outlet_user.display_name} uploaded the commitment letter",
        f"{crew.outlet_user.display_name} submitted the application",
        f"{crew.bureau.display_name} accepted the application",
        f"{crew.bureau.display_name} scheduled the on-site inspection",
        f"{crew.inspector.display_name} signed the inspection; other inspectors of the team have yet to sign",
        f"{crew.second_inspector.display_name} signed off the inspection checklist",
        f"{crew.bureau.display_name} proposed the level and opened the approval",
        f"{crew.ecology.display_name} agreed at an approval step",
        f"{crew.bureau.display_name} agreed at the last approval step: the outlet is certified",
        f"issued certificate {certificate.number}",
        f"{crew.outlet_user.display_name} answered declaration E1",
        f"{crew.inspector.display_name} answered inspection item 1.1",
        f"{crew.outlet_user.display_name} answered self-assessment item 1.1",
    ):
        assert step in page, step
    # Runs of answers read as one step each, with every change one click away.
    edition = pinned_edition(application.edition)
    assert f"Self-assessment: {len(edition.items())} answers saved" in page
    assert f"Inspection: {len(edition.items())} answers saved" in page
    assert page.count("Show each change") == 3  # self-assessment, declarations, inspection
    kinds = set(
        db_session.scalars(select(Notification.kind).where(Notification.user_id == crew.outlet_user.id))
    )
    assert {"inspection_scheduled", "decision"} <= kinds
    assignments = db_session.scalars(
        select(Notification.kind).where(Notification.user_id == crew.second_inspector.id)
    ).all()
    assert assignments == ["assignment", "countersign_requested"]  # asked to sign after the first


def _answer_finding(client, application, finding, person, response, files=()):
    prefix = f"finding{finding.id}"
    data = {f"{prefix}-responsible_person": person, f"{prefix}-response": response}
    if files:
        data[f"{prefix}-files"] = list(files)
    return client.post(
        f"/applications/{application.id}/findings/{finding.id}/answer",
        data=data,
        content_type="multipart/form-data",
    )


def _check_finding(client, application, finding, outcome, method, note=""):
    prefix = f"check{finding.id}"
    return client.post(
        f"/applications/{application.id}/findings/{finding.id}/check",
        data={f"{prefix}-outcome": outcome, f"{prefix}-method": method, f"{prefix}-note": note},
    )


def _post(client, url, data):
    return client.post(url, data=data)


def test_rectification_path(client, crew, db_session):
    """First visit fails 1.2 and 3.1 → both ordered rectified by a date → the outlet answers each with
    a photo → the inspector verifies one by desk review and the other on site in the re-inspection →
    approval. The first visit stays exactly as signed."""
    application = outlet_prepares_and_submits(client, crew, db_session)
    application = bureau_accepts_and_schedules(client, crew, application)
    login(client, crew.inspector)
    first = answer_all(application, "inspection", crew.inspector, short_of=("1.2", "3.1"))
    application = team_signs(client, crew, application, outlet_representative="王建国 站长")
    first = db_session.get(Assessment, first.id)
    assert first.outlet_representative == "王建国 站长"
    signed_answers = {row.item_code: (row.value, row.note, row.version) for row in first.answers}
    signed_files = sorted(
        db_session.scalars(select(Evidence.id).where(Evidence.assessment_id == first.id)).all()
    )
    findings = {
        f.item_code: f for f in db_session.scalars(select(Finding).where(Finding.assessment_id == first.id))
    }
    assert set(findings) == {"1.2", "3.1"} and all(f.status == "open" for f in findings.values())

    login(client, crew.bureau)
    page = client.get(f"/applications/{application.id}").get_data(as_text=True)
    assert 'value="3.1"' in page and 'value="1.2"' in page  # the findings are the choices
    not_a_finding = _post(
        client,
        *action_request(application, "request_rectification", item_codes=["1.1"], deadline="2099-01-01"),
    )
    assert not_a_finding.status_code in (400, 422)  # 1.1 was at full marks: nothing to rectify
    deadline = today_in_shanghai() + timedelta(days=20)
    application = act(
        client,
        application,
        "request_rectification",
        item_codes=["1.2", "3.1"],
        deadline=deadline.isoformat(),
        reasons="请于期限内整改并上传整改照片。",
    )
    assert application.status == "rectification_requested"
    notice = db_session.scalar(
        select(RectificationNotice).where(RectificationNotice.application_id == application.id)
    )
    assert notice.due_on == deadline and notice.number.startswith(f"ZG-{notice.issued_at:%Y}-")
    assert {f.item_code for f in notice.findings} == {"1.2", "3.1"}

    login(client, crew.outlet_user)
    page = html.unescape(client.get(f"/applications/{application.id}").get_data(as_text=True))
    assert "Rectify by" in page and notice.number in page
    early = _post(client, *action_request(application, "submit_rectification"))
    assert early.status_code == 422
    assert "answer every item to rectify before sending: 2 not answered yet" in html.unescape(
        early.get_data(as_text=True)
    )
    refused = _answer_finding(client, application, findings["1.2"], "王建国", "  ")
    assert refused.status_code == 422
    assert "王建国" in refused.get_data(as_text=True)  # what was typed comes back
    for code, text in (("1.2", "更换为 45 毫米瘦身胶带。"), ("3.1", "配置循环箱 200 个。")):
        response = _answer_finding(
            client,
            application,
            findings[code],
            "王建国 站长",
            text,
            files=[(io.BytesIO(jpeg_bytes(1)), f"{code}.jpg")],
        )
        assert response.status_code == 302, response.get_data(as_text=True)[-2000:]
    application = act(client, application, "submit_rectification")
    assert application.status == "rectification_submitted"
    second = db_session.scalar(
        select(Assessment).where(Assessment.application_id == application.id, Assessment.sequence == 2)
    )
    assert second.visit_type == "reinspection" and second.signed_off_at is None
    # pre-filled from the first visit
    assert {row.item_code: row.value for row in second.answers} == {
        c: v[0] for c, v in signed_answers.items()
    }

    login(client, crew.inspector)
    premature = _post(client, *action_request(application, "sign_off", confirm="y"))
    assert premature.status_code == 422
    assert (
        _check_finding(client, application, findings["1.2"], "closed", "desk", "照片可见瘦身胶带").status_code
        == 302
    )
    assert _check_finding(client, application, findings["3.1"], "closed", "on_site").status_code == 302
    edition = pinned_edition(application.edition)
    rows = {row.item_code: row for row in second.answers}
    for code in ("1.2", "3.1"):
        save_answer(
            second,
            edition,
            code,
            value=best_value(edition.item(code)),
            not_applicable=False,
            note="复查已整改",
            expected_version=rows[code].version,
            actor=crew.inspector,
        )
    attach(application, crew.inspector, purpose="item", assessment_id=second.id, item_code="3.1")  # on site
    application = team_signs(client, crew, application)
    assert application.status == "inspected"

    login(client, crew.bureau)
    application = act(
        client, application, "approve", granted_level="district", opinion="整改到位，拟同意认定。"
    )
    login(client, crew.ecology)
    application = act(client, application, "agree", opinion="同意。")
    login(client, crew.bureau)
    application = act(client, application, "agree", opinion="整改到位，同意认定。")
    assert application.status == "approved"
    # The first visit is exactly as signed: its answers, notes, versions and files.
    db_session.expire_all()
    first = db_session.get(Assessment, first.id)
    assert {row.item_code: (row.value, row.note, row.version) for row in first.answers} == signed_answers
    assert (
        sorted(db_session.scalars(select(Evidence.id).where(Evidence.assessment_id == first.id)).all())
        == signed_files
    )
    assert first.superseded_at is None and first.signed_off_at is not None
    statuses = {
        f.item_code: f.status
        for f in db_session.scalars(select(Finding).where(Finding.assessment_id == first.id))
    }
    assert statuses == {"1.2": "closed", "3.1": "closed"}
    methods = {
        check.finding_id: check.method
        for check in db_session.scalars(select(FindingCheck).where(FindingCheck.assessment_id == second.id))
    }
    assert methods == {findings["1.2"].id: "desk", findings["3.1"].id: "on_site"}
    transitions = db_session.scalars(
        select(AuditEvent.field)
        .where(AuditEvent.application_id == application.id, AuditEvent.action == "transition")
        .order_by(AuditEvent.id)
    ).all()
    assert transitions == [
        "submit",
        "accept",
        "schedule_inspection",
        "sign_off",
        "sign_off",  # each inspector of the team
        "request_rectification",
        "submit_rectification",
        "sign_off",
        "sign_off",
        "approve",
        "agree",  # the district ecology bureau's co-signature
        "agree",  # the district postal bureau's decision
    ]


def sign_by_the_team(client, application, members) -> Application:
    """Each member of the visit's team signs it (the first signs the record, the others countersign)."""
    for member in members:
        if reload(application).status == "inspected":
            break
        login(client, member)
        application = act(client, application, "sign_off")
    return application


def test_city_level_is_recommended_co_signed_and_decided_by_the_city(client, crew, db_session):
    give_certificate(crew.outlet)
    application = outlet_prepares_and_submits(client, crew, db_session, level="city")
    assert application.target_level == "city"
    login(client, crew.bureau)
    application = act(client, application, "accept")
    soon = (today_in_shanghai() + timedelta(days=4)).isoformat()
    # The 2025 edition wants a joint team for city level: a postal inspector alone is refused.
    url, data = action_request(
        application, "schedule_inspection", inspector_ids=[str(crew.inspector.id)], scheduled_on=soon
    )
    refused = client.post(url, data=data)
    assert refused.status_code == 422 and "joint team" in html.unescape(refused.get_data(as_text=True))
    application = act(
        client,
        application,
        "schedule_inspection",
        inspector_ids=[str(crew.inspector.id), str(crew.ecology_inspector.id)],
        scheduled_on=soon,
    )
    login(client, crew.inspector)
    answer_all(application, "inspection", crew.inspector)
    application = sign_by_the_team(client, application, [crew.inspector, crew.ecology_inspector])
    assert application.status == "inspected"
    assert (
        db_session.scalar(
            select(Assessment.level_reached).where(
                Assessment.application_id == application.id, Assessment.kind == "inspection"
            )
        )
        == "city"
    )

    login(client, crew.bureau)
    application = act(client, application, "approve", granted_level="city", opinion="建议认定为市级。")
    assert application.status == "in_approval" and application.granted_level is None
    login(client, crew.ecology)
    application = act(client, application, "agree", opinion="同意推荐。")
    assert application.awaiting_agency == "city_postal"

    login(client, crew.city)
    queue = client.get("/applications/approvals").get_data(as_text=True)
    assert crew.outlet.name in queue
    application = act(client, application, "disagree", opinion="台账不完整，暂不同意认定为市级。")
    assert application.status == "inspected"
    assert crew.outlet.name not in client.get("/applications/approvals").get_data(as_text=True)
    # The city's reason reaches the outlet and the earlier steps, in a sentence that says who and what.
    for person in (crew.outlet_user, crew.bureau, crew.ecology):
        login(client, person)
        notes = html.unescape(client.get("/notifications/").get_data(as_text=True))
        assert "Shanghai Postal Administration did not agree to City level" in notes, person
        assert "台账不完整，暂不同意认定为市级。" in notes
    login(client, crew.outlet_user)
    page = html.unescape(client.get(f"/applications/{application.id}").get_data(as_text=True))
    assert "台账不完整，暂不同意认定为市级。" in page

    login(client, crew.bureau)
    application = act(client, application, "approve", granted_level="city", opinion="已补充台账。")
    login(client, crew.ecology)
    application = act(client, application, "agree", opinion="同意推荐。")
    login(client, crew.city)
    application = act(client, application, "agree", opinion="符合市级无废快递网点要求。")
    assert application.status == "approved" and application.granted_level == "city"
    levels = dict(db_session.execute(select(Certificate.level, Certificate.state)).all())
    assert levels["city"] == "active"
    certificate = db_session.scalar(select(Certificate).where(Certificate.application_id == application.id))
    assert certificate.issuing_bureau == "上海市邮政管理局"
    assert application.decision_opinion == "符合市级无废快递网点要求。"  # the city's, not the district's


def test_the_district_bureau_cannot_approve_above_what_was_reached(client, crew, db_session):
    application = outlet_prepares_and_submits(client, crew, db_session)
    application = bureau_accepts_and_schedules(client, crew, application)
    login(client, crew.inspector)
    answer_all(application, "inspection", crew.inspector, short_of=("1.3",))  # a veto item fails
    application = team_signs(client, crew, application)
    login(client, crew.bureau)
    response = client.post(
        f"/applications/{application.id}/transition",
        data={"action": "approve", "approve-granted_level": "district", "approve-opinion": "同意"},
    )
    assert response.status_code == 422
    assert "the checklist reached no level" in response.get_data(as_text=True)
    assert reload(application).status == "inspected"
    application = act(client, application, "reject", reasons="一票否决项不符合。")
    assert application.status == "rejected" and application.decision_opinion == "一票否决项不符合。"


def test_a_returned_application_is_corrected_and_resubmitted(client, crew, db_session):
    application = outlet_prepares_and_submits(client, crew, db_session)
    login(client, crew.bureau)
    application = act(client, application, "return", reasons="承诺书未盖章。")
    assert application.status == "returned"
    login(client, crew.outlet_user)
    page = client.get(f"/applications/{application.id}").get_data(as_text=True)
    assert "承诺书未盖章。" in page and 'enctype="multipart/form-data"' in page
    client.post(
        f"/applications/{application.id}/commitment",
        data={"commitment-letter": (io.BytesIO(pdf_bytes("盖章")), "stamped.pdf")},
        content_type="multipart/form-data",
    )
    application = act(client, application, "resubmit")
    assert application.status == "submitted"
    kinds = db_session.scalars(
        select(Notification.kind).where(Notification.user_id == crew.outlet_user.id)
    ).all()
    assert "application_returned" in kinds


def test_the_self_assessment_draft_is_kept_between_visits(client, crew, db_session):
    """Drafts are saved at any time: nothing is lost between two visits of the outlet."""
    login(client, crew.outlet_user)
    client.post("/applications/new", data={"target_level": "district"})
    application = db_session.scalar(select(Application).where(Application.outlet_id == crew.outlet.id))
    affirm_declarations(application, crew.outlet_user)
    answer_all(application, "self", crew.outlet_user, skip=("6.1",))
    page = html.unescape(client.get(f"/applications/{application.id}").get_data(as_text=True))
    assert (
        "Self-assessment: 6.1: no answer" in page
        and "1.1" not in page.split("Still missing")[1].split("</ul>")[0]
    )
