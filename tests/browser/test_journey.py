"""The whole life of an application, as its people do it in Chromium: from the outlet's registration
to the certificate, its public verification and its revocation."""

import re
from io import BytesIO

import pytest
from playwright.sync_api import expect
from pypdf import PdfReader
from sqlalchemy import select

from outlet_audit.accounts.models import User
from outlet_audit.certificates.models import Certificate
from outlet_audit.checklist.models import Answer as AnswerRow
from outlet_audit.checklist.models import Assessment, Finding
from outlet_audit.criteria.editions import active_edition
from outlet_audit.evidence.models import Evidence
from outlet_audit.extensions import db
from outlet_audit.outlets.models import District, Outlet
from outlet_audit.workflow.models import Application
from tests.browser.conftest import sign_in
from tests.browser.journey_steps import (
    act,
    best_value,
    fill_checklist,
    full_marks,
    in_days,
    make_photo,
    sign_off,
)
from tests.factories import PASSWORD

pytestmark = pytest.mark.browser

OUTLET_NAME = "奉贤南桥顺丰无废示范网点"
PERMIT = "SH-KD-2025-0777"


def register(page, fengxian_id: int) -> None:
    page.goto("/register")
    page.fill("#outlet_name", OUTLET_NAME)
    page.select_option("#brand", "顺丰")
    page.select_option("#district_id", str(fengxian_id))
    page.fill("#address", "上海市奉贤区南桥镇解放东路 88 号")
    page.fill("#permit_number", PERMIT)
    page.fill("#manager", "王建国")
    page.fill("#phone", "13800001111")
    page.fill("#opening_hours", "08:00-20:00")
    page.fill("#username", "nanqiao-sf")
    page.fill("#display_name", "王建国")
    page.fill("#email", "nanqiao@example.test")
    page.fill("#password", PASSWORD)
    with page.expect_navigation():
        page.click("#submit")


def test_from_registration_to_revoked_certificate(
    new_context, live_server, shoot, tmp_path, no_server_errors
):
    edition = live_server.query(active_edition)
    photos = [make_photo(tmp_path, f"photo-{n}", n) for n in range(6)]
    users = live_server.users
    fengxian = live_server.query(lambda: db.session.scalar(select(District.id).where(District.code == "FX")))

    # 1. The outlet registers; it cannot apply until the bureau verifies it.
    outlet_context = new_context()
    page = outlet_context.new_page()
    register(page, fengxian)
    assert page.url.endswith("/login")
    shoot(page, "registered")

    # 2. The district bureau verifies it.
    bureau = sign_in(new_context(), users["bureau"])
    bureau.goto("/outlets/verification")
    shoot(bureau, "verification-queue")
    with bureau.expect_navigation():
        bureau.locator("tr", has_text=OUTLET_NAME).locator('form[action$="/verify"] button').click()
    assert live_server.query(
        lambda: db.session.scalar(select(Outlet.verified).where(Outlet.permit_number == PERMIT))
    )

    # 3. The outlet applies: declarations, self-assessment with photos, the letter printed and signed.
    outlet = sign_in(outlet_context, "nanqiao-sf")
    outlet.click('a[href="/applications/new"]')
    shoot(outlet, "new-application")
    with outlet.expect_navigation():
        outlet.locator("main form button").click()
    application_id = int(re.search(r"/applications/(\d+)$", outlet.url)[1])
    for declaration in edition.eligibility:
        outlet.check(f'input[name="draft-declaration_{declaration.code}"][value="yes"]')
    with outlet.expect_navigation():
        outlet.locator('form[action$="/draft"] button').click()
    shoot(outlet, "declarations-saved")
    outlet.locator("#self-assessment a.btn").first.click()
    outlet.wait_for_url("**/checklist/*")
    fill_checklist(outlet, edition, full_marks(edition), photos)
    shoot(outlet, "self-assessment")
    outlet.goto(f"/applications/{application_id}/commitment-letter")
    shoot(outlet, "commitment-letter")
    signed_letter = tmp_path / "signed-commitment-letter.pdf"
    outlet.pdf(path=str(signed_letter))  # printed, signed and scanned, as far as a test can
    outlet.goto(f"/applications/{application_id}")
    outlet.set_input_files('input[name="commitment-letter"]', str(signed_letter))
    with outlet.expect_navigation():
        outlet.locator('form[action$="/commitment"] button').click()
    shoot(outlet, "ready-to-submit")
    act(outlet, "submit")
    assert status_of(live_server, application_id) == "submitted"

    # 4. The bureau accepts it and sends an inspector on a date.
    inspector_id = user_id(live_server, users["inspector"])
    bureau.goto(f"/applications/{application_id}")
    act(bureau, "accept")
    act(bureau, "schedule_inspection", inspector_ids=[inspector_id], scheduled_on=in_days(3))
    shoot(bureau, "inspection-scheduled")
    assert status_of(live_server, application_id) == "inspection_scheduled"

    # 5. The inspector fills in the checklist on a phone, photos from the evidence button, and signs off.
    inspector_context = new_context(phone=True)
    inspector = sign_in(inspector_context, users["inspector"])
    inspector.goto(f"/applications/{application_id}")
    shoot(inspector, "inspector-application")
    inspector.locator('.actions-card a[href^="/checklist/"]:not([href$="/sign-off"])').click()
    fill_checklist(inspector, edition, full_marks(edition, short_of=("1.2", "3.1")), photos, camera=True)
    assert fits_the_phone(inspector), "the checklist scrolls sideways on a 390 px phone"
    shoot(inspector, "inspection-checklist-phone")
    sign_off(inspector, draw_signature=True)
    assert status_of(live_server, application_id) == "inspected"
    shoot(inspector, "inspection-result-phone")

    # 6. The bureau orders rectified what fell short (the findings are the choices, all ticked).
    bureau.goto(f"/applications/{application_id}")
    for code in ("1.2", "3.1"):
        expect(
            bureau.locator(f'input[name="request_rectification-item_codes"][value="{code}"]')
        ).to_be_checked()
    act(bureau, "request_rectification", reasons="请改用瘦身胶带，配置可循环快递箱并建立使用台账。")
    shoot(bureau, "rectification-requested")

    # 7. The outlet answers each item on its phone: who is responsible, what was done, a photo.
    outlet_phone = sign_in(new_context(phone=True), "nanqiao-sf")
    outlet_phone.goto(f"/applications/{application_id}")
    expect(outlet_phone.locator("#rectification")).to_contain_text("ZG-")
    findings = finding_ids(live_server, application_id)
    for (_code, finding_id), text, photo in zip(
        sorted(findings.items()),
        ("已改用 45 毫米瘦身胶带。", "已配置可循环快递箱 200 个。"),
        photos[3:5],
        strict=True,
    ):
        answer = outlet_phone.locator(f"#finding-{finding_id}")
        answer.locator(f'[name="finding{finding_id}-responsible_person"]').fill("王建国 站长")
        answer.locator(f'[name="finding{finding_id}-response"]').fill(text)
        answer.locator(f'[name="finding{finding_id}-files"]').set_input_files(str(photo))
        with outlet_phone.expect_navigation():
            answer.locator("form button").first.click()
        expect(outlet_phone.locator(f"#finding-{finding_id}")).to_contain_text(text)
    assert fits_the_phone(outlet_phone), "the rectification panel scrolls sideways on a 390 px phone"
    shoot(outlet_phone, "rectification-answered-phone")
    act(outlet_phone, "submit_rectification")
    assert status_of(live_server, application_id) == "rectification_submitted"

    # 8. The inspector verifies 1.2 by desk review and 3.1 on site, re-scores both and signs off.
    inspector.goto(f"/applications/{application_id}")
    for code, method in (("1.2", "desk"), ("3.1", "on_site")):
        check = inspector.locator(f"#finding-{findings[code]}")
        check.locator(f'[name="check{findings[code]}-outcome"][value="closed"]').check()
        check.locator(f'[name="check{findings[code]}-method"][value="{method}"]').check()
        with inspector.expect_navigation():
            check.locator("form button").last.click()
    assert fits_the_phone(inspector), "the verification forms scroll sideways on a 390 px phone"
    shoot(inspector, "verified-phone")
    inspector.locator('.actions-card a[href^="/checklist/"]:not([href$="/sign-off"])').click()
    fill_checklist(
        inspector,
        edition,
        {code: best_value(edition.item(code)) for code in ("1.2", "3.1")},
        [photos[5]],
        camera=True,
    )
    shoot(inspector, "re-scored")
    sign_off(inspector, draw_signature=False)
    assert status_of(live_server, application_id) == "inspected"

    # 9. The bureau proposes district level, the district's ecology bureau co-signs, the bureau decides.
    bureau.goto(f"/applications/{application_id}")
    act(bureau, "approve", granted_level="district", opinion="整改到位，拟同意认定为区级。")
    ecology = sign_in(new_context(), users["ecology"])
    ecology.goto("/applications/approvals")
    with ecology.expect_navigation():
        ecology.get_by_role("link", name=OUTLET_NAME).first.click()
    act(ecology, "agree", opinion="经核查，同意。")
    shoot(ecology, "co-signed")
    bureau.goto(f"/applications/{application_id}")
    act(bureau, "agree", opinion="整改到位，符合区级无废快递网点要求，同意认定。")
    shoot(bureau, "approved")
    number, certificate_id = live_server.query(
        lambda: db.session.execute(
            select(Certificate.number, Certificate.id).where(Certificate.application_id == application_id)
        ).one()
    )

    # 10. The outlet downloads its certificate.
    outlet.goto(f"/applications/{application_id}")
    outlet.locator(f'a[href="/certificates/{certificate_id}"]').click()
    shoot(outlet, "certificate")
    with outlet.expect_download() as download:
        outlet.locator(f'a[href="/certificates/{certificate_id}/certificate.pdf"]').click()
    pdf = download.value.path().read_bytes()
    assert pdf.startswith(b"%PDF-")
    text = "".join(page.extract_text() for page in PdfReader(BytesIO(pdf)).pages)
    assert number in "".join(text.split())

    # 11. Anyone can check it: valid.
    public = new_context().new_page()
    public.goto("/verify")
    public.fill("#number", number)
    with public.expect_navigation():
        public.locator("main form button").click()
    expect(public.locator("section[data-state]")).to_have_attribute("data-state", "valid")
    shoot(public, "verified-valid")

    # 12. The outlet closes; the bureau revokes at once on that ground (one the edition lets revoke
    # without notice), and the public page says so: the ground, never the reason typed for the file.
    bureau.goto(f"/certificates/{certificate_id}")
    bureau.click("#revoke summary")  # asked once: the form opens saying what revoking does
    bureau.select_option("#ground", "outlet_closed")
    bureau.fill("#reason", "网点已于本月停业，营业执照已注销。")
    with bureau.expect_navigation():
        bureau.click("#submit")
    shoot(bureau, "revoked")
    public.reload()
    expect(public.locator("section[data-state]")).to_have_attribute("data-state", "revoked")
    expect(public.locator("main")).to_contain_text("网点已停业或注销")
    expect(public.locator("main")).not_to_contain_text("营业执照已注销")
    shoot(public, "verified-revoked")

    check_what_was_stored(live_server, application_id, edition)


def fits_the_phone(page) -> bool:
    return page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")


def status_of(live_server, application_id: int) -> str:
    return live_server.query(lambda: db.session.get(Application, application_id).status)


def finding_ids(live_server, application_id: int) -> dict[str, int]:
    return live_server.query(
        lambda: dict(
            db.session.execute(
                select(Finding.item_code, Finding.id).where(
                    Finding.application_id == application_id, Finding.status == "ordered"
                )
            ).all()
        )
    )


def user_id(live_server, username: str) -> int:
    return live_server.query(lambda: db.session.scalar(select(User.id).where(User.username == username)))


def check_what_was_stored(live_server, application_id: int, edition) -> None:
    """The pages said so; the database must agree."""

    def stored():
        application = db.session.get(Application, application_id)
        records = db.session.scalars(
            select(Assessment)
            .where(Assessment.application_id == application_id)
            .order_by(Assessment.sequence)
        ).all()
        assessments = {a.kind: a for a in records}  # the newest record of each kind
        first = next(a for a in records if a.kind == "inspection")
        first_answers = dict(
            db.session.execute(
                select(AnswerRow.item_code, AnswerRow.value).where(AnswerRow.assessment_id == first.id)
            ).all()
        )
        answers = {
            kind: dict(
                db.session.execute(
                    select(AnswerRow.item_code, AnswerRow.value).where(AnswerRow.assessment_id == a.id)
                ).all()
            )
            for kind, a in assessments.items()
        }
        purposes = db.session.scalars(
            select(Evidence.purpose).where(Evidence.application_id == application_id)
        ).all()
        return (
            application.status,
            application.granted_level,
            answers,
            purposes,
            assessments["inspection"].signed_off_at,
            first_answers,
        )

    status, granted, answers, purposes, signed_off_at, first_answers = live_server.query(stored)
    codes = {item.code for item in edition.items()}
    assert status == "approved" and granted == "district" and signed_off_at is not None
    assert set(answers["self"]) == codes and set(answers["inspection"]) == codes
    assert answers["inspection"]["3.1"] == '"A"'
    assert first_answers["1.2"] == "false" and first_answers["3.1"] != '"A"'  # the first visit as signed
    assert purposes.count("commitment") == 1 and purposes.count("rectification") == 2
    assert purposes.count("signature") == 1 and purposes.count("item") >= 2 * 12
