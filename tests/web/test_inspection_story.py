"""The inspection's whole story, as the report PDF, the result page and the rectification notice
(整改通知书) tell it: every record in order, what a re-inspection or a correction changed, the
findings with the outlet's answers and the verifications, and only signed records for the outlet.

The applications are made once for the module by the real operations: a first visit that fails
1.2 and 3.1, a notice for both, the outlet's answer to each with a photo, a re-inspection that
verifies both (one by desk review, one on site) and an approval; the same stopped while the
re-inspection is under way; and a signed visit corrected before the decision.
"""

import html
import re
from datetime import timedelta
from types import SimpleNamespace

import pytest
from sqlalchemy import select

from outlet_audit.accounts.models import User
from outlet_audit.checklist.findings import answer_finding, attach_finding_file, check_finding
from outlet_audit.checklist.kinds import AssessmentKind
from outlet_audit.checklist.models import Assessment, Finding, RectificationNotice
from outlet_audit.checklist.service import answer_rows_by_code, assessment_of, save_answer
from outlet_audit.core.time import today_in_shanghai
from outlet_audit.criteria.editions import pinned_edition
from outlet_audit.extensions import db
from outlet_audit.pdf.fonts import format_date_zh
from outlet_audit.roles import Role
from outlet_audit.workflow.models import Application
from outlet_audit.workflow.operations import apply_transition, make_payload
from outlet_audit.workflow.seeding import answer_checklist, best_value, take, worst_value
from outlet_audit.workflow.states import Action, Status
from tests.certificate_helpers import pdf_text
from tests.factories import cast_for, evidence_row, login, make_application, make_outlet, make_user
from tests.pdf_helpers import page_texts, pixel_spread, render_pages
from tests.workflow_helpers import jpeg_bytes

FIRST_NOTE = "封装台 3 处使用 60 毫米宽胶带"
SECOND_NOTE = "复查已整改：胶带宽 45 毫米"
BOX_NOTE = "现场无循环箱"
RESPONSE = "更换为 45 毫米瘦身胶带。"
RESPONSIBLE = "王建国 站长"
INSTRUCTIONS = "请于期限内整改并上传整改照片。"
CHECK_NOTE = "照片可见瘦身胶带"
REASON = "4.2 照片看不清，请复核"
CORRECTED_NOTE = "复核：分类桶缺一只"


def _people(outlet):
    return SimpleNamespace(
        outlet_user=make_user(Role.OUTLET, outlet=outlet, locale="zh_CN"),
        bureau=make_user(Role.DISTRICT_BUREAU, district_code="FX", display_name="奉贤局审核员"),
        inspector=make_user(Role.INSPECTOR, district_code="FX", display_name="顾检查"),
    )


def _first_visit(application, people):
    """The first visit: 1.2 and 3.1 fail (1.2 with a note), signed with the outlet's representative."""
    edition = pinned_edition(application.edition)
    answer_checklist(
        application,
        AssessmentKind.INSPECTION,
        people.inspector,
        {"1.2": worst_value(edition.item("1.2")), "3.1": worst_value(edition.item("3.1"))},
        notes={"1.2": FIRST_NOTE, "3.1": BOX_NOTE},
        attach=evidence_row,
    )
    take(application, Action.SIGN_OFF, people.cast, attach=evidence_row, outlet_representative=RESPONSIBLE)


def _rectify_and_reinspect(application, people) -> Assessment:
    """Both findings ordered, answered with a photo each, sent; the re-inspection verifies and scores
    them (not signed yet)."""
    take(
        application,
        Action.REQUEST_RECTIFICATION,
        people.cast,
        rectification_item_codes=frozenset({"1.2", "3.1"}),
        rectification_deadline=today_in_shanghai() + timedelta(days=20),
        reasons=INSTRUCTIONS,
    )
    findings = {
        finding.item_code: finding
        for finding in db.session.scalars(select(Finding).where(Finding.application_id == application.id))
    }
    for seed, (code, text) in enumerate((("1.2", RESPONSE), ("3.1", "配置循环箱 200 个。"))):
        answer_finding(
            findings[code], responsible_person=RESPONSIBLE, response=text, actor=people.outlet_user
        )
        attach_finding_file(
            findings[code],
            jpeg_bytes(seed + 10),
            f"整改-{code}.jpg",
            outlet_id=application.outlet_id,
            actor=people.outlet_user,
        )
    apply_transition(application, Action.SUBMIT_RECTIFICATION, people.outlet_user, make_payload())
    second = assessment_of(application, AssessmentKind.INSPECTION)
    check_finding(
        second, findings["1.2"], outcome="closed", method="desk", note=CHECK_NOTE, actor=people.inspector
    )
    check_finding(
        second, findings["3.1"], outcome="closed", method="on_site", note="", actor=people.inspector
    )
    edition = pinned_edition(application.edition)
    rows = answer_rows_by_code(second)
    for code in ("1.2", "3.1"):
        save_answer(
            second,
            edition,
            code,
            value=best_value(edition.item(code)),
            not_applicable=False,
            note=SECOND_NOTE if code == "1.2" else None,
            expected_version=rows[code].version,
            actor=people.inspector,
            rows=rows,
        )
    return second


def _approve(application, people):
    take(application, Action.SIGN_OFF, people.cast, attach=evidence_row)
    take(application, Action.APPROVE, people.cast, opinion="整改到位，提请认定。")
    while application.status == Status.IN_APPROVAL:  # the ecology bureau co-signs, the bureau decides
        take(application, Action.AGREE, people.cast, opinion="整改到位，同意认定。")


def _correct(application, people):
    """A signed visit reopened by the bureau with a reason, 4.2 answered anew, signed again."""
    take(application, Action.SIGN_OFF, people.cast, attach=evidence_row)
    take(application, Action.REOPEN_INSPECTION, people.cast, reasons=REASON)
    correction = assessment_of(application, AssessmentKind.INSPECTION)
    edition = pinned_edition(application.edition)
    save_answer(
        correction,
        edition,
        "4.2",
        value="B",
        not_applicable=False,
        note=CORRECTED_NOTE,
        expected_version=answer_rows_by_code(correction)["4.2"].version,
        actor=people.inspector,
    )
    take(application, Action.SIGN_OFF, people.cast, attach=evidence_row)


def shared_rows():
    """Three applications of three Fengxian outlets, each with its people: rectified and approved,
    under re-inspection, corrected."""
    made = {}
    for name in ("rectified", "reinspecting", "corrected"):
        outlet = make_outlet("FX", name=f"奉贤{name}顺丰网点", address=f"奉贤区{name}路 1 号")
        people = _people(outlet)
        people.cast = cast_for(
            outlet, [people.inspector], outlet_user=people.outlet_user, bureau=people.bureau
        )
        application = make_application(
            outlet, status="inspection_scheduled", inspectors=[people.inspector], cast=people.cast
        )
        if name == "corrected":
            _correct(application, people)
        else:
            _first_visit(application, people)
            _rectify_and_reinspect(application, people)
            if name == "rectified":
                _approve(application, people)
        made[name] = SimpleNamespace(
            application=application.id,
            outlet_user=people.outlet_user.id,
            bureau=people.bureau.id,
            inspector=people.inspector.id,
        )
    return made


@pytest.fixture
def world(module_rows, db_session):
    _connection, made = module_rows
    return {
        name: SimpleNamespace(
            application=db.session.get(Application, ids.application),
            outlet_user=db.session.get(User, ids.outlet_user),
            bureau=db.session.get(User, ids.bureau),
            inspector=db.session.get(User, ids.inspector),
        )
        for name, ids in made.items()
    }


def notice_of(application) -> RectificationNotice:
    return db.session.scalar(
        select(RectificationNotice).where(RectificationNotice.application_id == application.id)
    )


def _flat(text: str) -> str:
    return "".join(text.split())


def report(client, application) -> str:
    response = client.get(f"/reports/{application.id}/inspection-report.pdf")
    assert response.status_code == 200, response.status_code
    return _flat(pdf_text(response.data))


def result_page(client, application) -> str:
    response = client.get(f"/checklist/applications/{application.id}/result")
    assert response.status_code == 200, response.status_code
    return html.unescape(response.get_data(as_text=True))


# --- the rectification notice ---------------------------------------------------------------------


def test_the_notice_pdf_names_the_items_what_was_found_and_the_deadline(client, world):
    rectified = world["rectified"]
    notice = notice_of(rectified.application)
    login(client, rectified.outlet_user)
    response = client.get(f"/reports/notices/{notice.id}.pdf")
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    assert response.headers["Cache-Control"] == "private, no-store"
    assert notice.number in response.headers["Content-Disposition"]
    pages = page_texts(response.data)
    assert len(pages) == 1  # a typical notice is one page
    text = _flat(pages[0])
    outlet = rectified.application.outlet
    for expected in (
        "整改通知书",
        "RectificationNotice",
        notice.number,
        _flat(outlet.name),
        _flat(outlet.address),
        outlet.permit_number,
        rectified.application.reference,
        "上海市奉贤区邮政管理局",
        "1.2使用“瘦身胶带”（宽度不超过45毫米）",
        "3.1推广使用可循环快递包装",
        "检查各封装台在用胶带",  # the requirement
        "否",  # what was found at 1.2
        _flat(FIRST_NOTE),
        "整改期限Deadline：" + _flat(format_date_zh(notice.due_on)),
        notice.due_on.isoformat(),
        _flat(INSTRUCTIONS),
    ):
        assert expected in text, expected
    assert "1.1全面使用电子运单" not in text  # at full marks: nothing to rectify
    (page,) = render_pages(response.data, resolution=50)
    assert pixel_spread(page) > 20


def test_the_notice_pdf_is_in_the_readers_language(client, world):
    rectified = world["rectified"]
    login(client, rectified.outlet_user)
    client.post("/language", data={"locale": "en"})
    text = _flat(pdf_text(client.get(f"/reports/notices/{notice_of(rectified.application).id}.pdf").data))
    assert "1.2Slimsealingtape(nowiderthan45mm)" in text and "整改通知书" in text  # fixed words in both


def test_the_notice_reaches_the_outlet_its_bureaus_and_its_inspectors_only(client, world):
    rectified, other = world["rectified"], world["reinspecting"]
    url = f"/reports/notices/{notice_of(rectified.application).id}.pdf"
    assert client.get(url).status_code == 302  # anonymous: sign in first
    for user in (
        rectified.outlet_user,
        rectified.bureau,
        make_user(Role.CITY_BUREAU),
        rectified.inspector,
    ):
        login(client, user)
        assert client.get(url).status_code == 200, user.role
    for user, status in (
        (other.outlet_user, 404),  # another outlet
        (make_user(Role.DISTRICT_BUREAU, district_code="QP"), 404),  # another district
        (make_user(Role.INSPECTOR, district_code="FX"), 404),  # not assigned
        (make_user(Role.ADMIN), 403),
    ):
        login(client, user)
        assert client.get(url).status_code == status, user.role
    login(client, rectified.bureau)
    assert client.get("/reports/notices/999999.pdf").status_code == 404


def test_the_application_page_links_to_the_notice(client, world):
    rectified = world["rectified"]
    notice = notice_of(rectified.application)
    login(client, rectified.outlet_user)
    page = client.get(f"/applications/{rectified.application.id}").get_data(as_text=True)
    assert f'href="/reports/notices/{notice.id}.pdf"' in page


# --- the report tells the whole story ---------------------------------------------------------------


def test_the_report_shows_both_visits_and_both_answers_of_a_rectified_item(client, world):
    rectified = world["rectified"]
    login(client, rectified.outlet_user)
    text = report(client, rectified.application)
    first = text.index("第1次检查记录Record1—首次现场检查Firstinspection")
    second = text.index("第2次检查记录Record2—整改复查Re-inspectionafterrectification")
    assert first < second
    visit_one, visit_two = text[first:second], text[second:]
    # the first visit as signed: 1.2 "否" with the note, the findings and the outlet's answers
    assert "1.2使用“瘦身胶带”（宽度不超过45毫米）否0/6" in visit_one and _flat(FIRST_NOTE) in visit_one
    assert "网点代表Outletrepresentative" + _flat(RESPONSIBLE) in visit_one
    assert notice_of(rectified.application).number in visit_one
    assert "整改责任人Responsible:" + _flat(RESPONSIBLE) in visit_one and _flat(RESPONSE) in visit_one
    # the re-inspection: what changed, how each finding was verified, 1.2 now "是"
    assert "与第1次记录相比的变化Changedsincerecord1" in visit_two
    assert "否备注Note:" + _flat(FIRST_NOTE) + "是备注Note:" + _flat(SECOND_NOTE) in visit_two
    assert "已整改Closed书面核查Deskreview" + _flat(CHECK_NOTE) in visit_two
    assert "已整改Closed现场复查Onsite" in visit_two
    assert "1.2使用“瘦身胶带”（宽度不超过45毫米）是6/6" in visit_two
    # then the decision
    assert text.index("管理局决定Bureaudecision") > second and "整改到位，同意认定。" in text


def test_the_outlet_sees_only_signed_records_while_the_re_inspection_is_under_way(client, world):
    under_way = world["reinspecting"]
    login(client, under_way.outlet_user)
    text = report(client, under_way.application)
    assert _flat(FIRST_NOTE) in text and "1.2使用“瘦身胶带”（宽度不超过45毫米）否0/6" in text
    assert "第2次检查记录" not in text and _flat(SECOND_NOTE) not in text and _flat(CHECK_NOTE) not in text
    page = result_page(client, under_way.application)
    assert FIRST_NOTE in page and SECOND_NOTE not in page and CHECK_NOTE not in page
    assert 'id="record-2"' not in page
    login(client, under_way.bureau)  # the bureau follows the inspectors at work
    text = report(client, under_way.application)
    assert "第2次检查记录" in text and _flat(SECOND_NOTE) in text and "尚未签署Notsignedyet" in text


# --- the result page ----------------------------------------------------------------------------------


def test_the_result_page_shows_both_visits_their_notes_changes_and_verifications(client, world):
    rectified = world["rectified"]
    login(client, rectified.bureau)
    client.post("/language", data={"locale": "en"})
    page = result_page(client, rectified.application)
    first = re.search(r'<section class="result-record[^"]*" id="record-1".*?</section>', page, re.S)[0]
    second = re.search(r'<section class="result-record[^"]*" id="record-2".*?</section>', page, re.S)[0]
    assert "Record 1: First inspection" in first and "Record 2: Re-inspection after rectification" in second
    # the inspector's notes, item by item, in each record
    item = re.search(r'id="record-1-item-1.2".*?</article>', first, re.S)[0]
    assert ">No<" in item and FIRST_NOTE in item
    item = re.search(r'id="result-item-1.2".*?</article>', second, re.S)[0]
    assert ">Yes<" in item and SECOND_NOTE in item
    assert RESPONSIBLE in first  # the outlet's representative at the first visit
    # the findings of the first visit with the outlet's answers
    finding = re.search(
        r'<article class="[^"]*record-finding" data-item-code="1.2">.*?</article>', first, re.S
    )[0]
    assert RESPONSE in finding and f"Responsible: {RESPONSIBLE}" in finding and "Verified closed" in finding
    assert f"/reports/notices/{notice_of(rectified.application).id}.pdf" in finding
    assert "evidence-card" in finding  # the outlet's photo
    # what the re-inspection changed and how it verified each finding
    change = re.search(r'<tr data-item-code="1.2">.*?</tr>', second, re.S)[0]
    before, after = re.search(
        r'class="change-before">(.*?)</td>.*?class="change-after">(.*?)</td>', change, re.S
    ).groups()
    assert "No" in before and FIRST_NOTE in before and "Yes" in after and SECOND_NOTE in after
    checks = re.search(r'id="record-2-checks".*?</ul>', second, re.S)[0]
    assert "Rectified: closed" in checks and "Desk review of the evidence" in checks and CHECK_NOTE in checks
    assert "On site" in checks


def test_a_correction_shows_the_original_and_the_new_answer_who_changed_it_and_why(client, world):
    corrected = world["corrected"]
    login(client, corrected.outlet_user)  # both records are signed: the outlet reads them all
    client.post("/language", data={"locale": "en"})
    page = result_page(client, corrected.application)
    first = re.search(r'id="record-1".*?</section>', page, re.S)[0]
    second = re.search(r'id="record-2".*?</section>', page, re.S)[0]
    assert "Corrected by a later record" in first
    assert "Record 2: correction of record 1" in second and REASON in second
    change = re.search(r'<tr data-item-code="4.2">.*?</tr>', second, re.S)[0]
    before, after = re.search(
        r'class="change-before">(.*?)</td>.*?class="change-after">(.*?)</td>', change, re.S
    ).groups()
    assert before.startswith("Sorted correctly, nothing in the wrong bin") and CORRECTED_NOTE not in before
    assert after.startswith("A little in the wrong bins") and CORRECTED_NOTE in after
    assert corrected.inspector.display_name in change
    assert len(re.findall(r"<tr data-item-code=", second)) == 1  # nothing else changed

    client.post("/language", data={"locale": "zh_CN"})
    text = report(client, corrected.application)
    assert "第2次检查记录Record2—更正第1次记录Correctionofrecord1" in text
    assert "已被第2次记录更正Correctedbyrecord2" in text
    assert "更正原因Reasonforthecorrection" + _flat(REASON) in text
    changes = text[text.index("更正内容") :]
    assert re.search(
        r"4\.2分类投放准确A\..*?B\..*?备注Note:" + re.escape(_flat(CORRECTED_NOTE)) + "顾检查", changes
    )
