"""The certificate and inspection report PDFs as served: text, rendering, QR code, access."""

import re
from datetime import date, timedelta

import pytest
import zxingcpp
from flask import url_for

from outlet_audit.certificates.certificate_pdf import render_certificate
from outlet_audit.certificates.pdf_data import certificate_data
from outlet_audit.checklist.service import get_or_create_assessment
from outlet_audit.checklist.story import inspection_story
from outlet_audit.core.time import today_in_shanghai
from outlet_audit.criteria.editions import pinned_edition
from outlet_audit.pdf.fonts import format_date_zh
from outlet_audit.reports.data import report_data
from outlet_audit.reports.report_pdf import MAX_THUMBNAILS_PER_ITEM
from outlet_audit.roles import Role
from outlet_audit.workflow.seeding import NOT_APPLICABLE
from tests.certificate_helpers import distinct_images, make_certified, make_inspected, pdf_text
from tests.factories import certify, login, make_application, make_outlet, make_user
from tests.pdf_helpers import pixel_spread, render_pages

HOSTILE = "<b>&\"'<script>alert(1)</script>"
PDF_MIME = "application/pdf"


@pytest.fixture
def certified(ctx):
    return make_certified(
        issued_on=date(2025, 3, 18),  # inspected on 11 March, approved on the 18th
        name="奉贤南桥顺丰营业部",
        address="奉贤区南桥镇百齐路 288 号",
        brand="顺丰",
        notes={"1.2": "抽查 20 件，胶带宽度 40 mm。", "3.1": "循环箱 30 个在用"},
        photos={"1.1": MAX_THUMBNAILS_PER_ITEM + 2, "3.2": 1},
    )


def get_pdf(client, url: str) -> bytes:
    response = client.get(url)
    assert response.status_code == 200, response.status_code
    assert response.mimetype == PDF_MIME
    assert response.headers["Cache-Control"] == "private, no-store"
    assert response.data.startswith(b"%PDF-")
    return response.data


def certificate_url(certified) -> str:
    return f"/certificates/{certified.certificate.id}/certificate.pdf"


def report_url(certified) -> str:
    return f"/reports/{certified.application.id}/inspection-report.pdf"


# -- the certificate ----------------------------------------------------------------------


def test_certificate_pdf_prints_the_certificate_row(client, certified):
    certificate = certified.certificate
    login(client, certified.outlet_user)
    text = pdf_text(get_pdf(client, certificate_url(certified)))
    for expected in (
        certificate.number,
        "奉贤南桥顺丰营业部",
        "奉贤区南桥镇百齐路288号",
        "顺丰",
        "区级无废快递网点",
        f"{certificate.score.normalize():f}分",
        "上海市奉贤区邮政管理局",
        format_date_zh(certificate.issued_on),
        format_date_zh(certificate.valid_until),
        "上海市无废快递网点评估标准（2025年版）",  # the edition by its title
        f"http://pdf-test.example/verify/{certificate.number}",
    ):
        assert expected in text, expected
    # The internal edition id and content hash are for the verification page, not the certificate.
    assert certificate.edition_id not in text
    assert certificate.edition_hash[:8] not in text
    assert "「" not in text and "“无废快递网点”证书" in text


@pytest.fixture(autouse=True)
def public_base_url(app, monkeypatch):
    monkeypatch.setitem(app.config, "PUBLIC_BASE_URL", "http://pdf-test.example/")


def test_certificate_renders_and_its_qr_code_opens_a_page_that_says_valid(client, certified):
    login(client, certified.bureau)
    pages = render_pages(get_pdf(client, certificate_url(certified)), resolution=150)
    assert len(pages) == 1
    assert pixel_spread(pages[0]) > 20
    codes = zxingcpp.read_barcodes(pages[0])
    assert [code.format for code in codes] == [zxingcpp.BarcodeFormat.QRCode]
    address = codes[0].text
    assert address == f"http://pdf-test.example/verify/{certified.certificate.number}"
    client.post("/logout")
    page = client.get(address.removeprefix("http://pdf-test.example"))
    assert page.status_code == 200
    assert 'data-state="valid"' in page.get_data(as_text=True)


def test_a_hostile_outlet_name_is_printed_literally(client, ctx):
    certified = make_certified(name=HOSTILE, address=f"{HOSTILE} 路 1 号")
    login(client, certified.outlet_user)
    certificate_text = pdf_text(get_pdf(client, certificate_url(certified)))
    report_text = pdf_text(get_pdf(client, report_url(certified)))
    literal = "".join(HOSTILE.split())
    assert literal in certificate_text
    assert literal in report_text
    assert "&lt;" not in certificate_text + report_text and "&amp;" not in certificate_text + report_text


def test_the_same_data_gives_the_same_bytes(client, certified):
    """The rendering is deterministic; the signed certificate is that rendering with the signature
    appended (an incremental update), kept at issue and served as it is while in force."""
    login(client, certified.bureau)
    for url in (certificate_url(certified), report_url(certified)):
        assert get_pdf(client, url) == get_pdf(client, url)
    with client.application.test_request_context():
        data = certificate_data(certified.certificate, certified.certificate.issued_on)
        rendering = render_certificate(data)
        assert render_certificate(data) == rendering
    signed = get_pdf(client, certificate_url(certified))
    assert signed.startswith(rendering) and len(signed) > len(rendering)


def test_changed_data_gives_a_different_rendering_but_not_a_new_issued_certificate(
    client, certified, db_session
):
    login(client, certified.bureau)
    before = get_pdf(client, certificate_url(certified))
    certified.outlet.name = "奉贤南桥顺丰营业部（新址）"
    db_session.flush()
    # While in force the download is the document signed at issue, byte for byte.
    assert get_pdf(client, certificate_url(certified)) == before
    with client.application.test_request_context():
        rendering = render_certificate(certificate_data(certified.certificate, today_in_shanghai()))
    assert not before.startswith(rendering) and "（新址）" in pdf_text(rendering)
    assert "（新址）" not in pdf_text(before)


# -- the inspection report ----------------------------------------------------------------


def test_report_holds_answers_points_notes_result_sign_off_and_decision(client, certified):
    login(client, certified.outlet_user)
    pdf = get_pdf(client, report_url(certified))
    text = pdf_text(pdf)
    application = certified.application
    for expected in (
        application.reference,
        "奉贤南桥顺丰营业部",
        "shanghai-2025",
        "源头减量",  # section titles
        "电商快件不再二次包装",
        "全面使用电子运单",  # item titles
        "A.常态化使用，有使用记录",  # choice answer: its option label
        "96.5%",  # percentage answer
        "2次",  # count with its unit
        "抽查20件，胶带宽度40mm。",  # notes
        "循环箱30个在用",
        "30/30",  # subtotal of section 1: 8+6+8+8, 1.4 (6 points) N/A counts neither way
        "15/15",  # section 2
        "最终得分",
        "103/100",  # final score: 100 + bonus 2 + 0 + 1
        "+3",
        "—/6N/A",  # the N/A item: no points, what it is worth, marked N/A
        "区级",  # level reached (district certificate applied for: no city reasons)
        "王建国",  # inspector
        "2025-03-1116:05",  # signed off, in Shanghai time
        "张伟",  # decided by
        "2025-03-1809:00",
        "上海市奉贤区邮政管理局",
        "同意认定。请网点持续落实各项要求。",
    ):
        assert expected in text, expected
    assert "未达到市级的原因" not in text


def _report_data(certified):
    application = certified.application
    return report_data(
        application, inspection_story(application, pinned_edition(application.edition), certified.bureau)
    )


def test_report_pages_all_render(client, certified):
    login(client, certified.bureau)
    pages = render_pages(get_pdf(client, report_url(certified)))
    assert len(pages) >= 2
    for number, page in enumerate(pages, start=1):
        assert pixel_spread(page) > 10, f"page {number} is blank"


def test_report_shows_at_most_four_photos_per_item_and_the_signature(ctx, certified):
    data = _report_data(certified)
    items = {item.code: item for section in data.current.sections for item in section.items}
    assert len(items["1.1"].thumbnails) == MAX_THUMBNAILS_PER_ITEM
    assert len(items["3.2"].thumbnails) == 1
    assert len(items["1.2"].thumbnails) == 1  # the one photo the item needs
    assert data.current.sign_off.signature_png and data.current.sign_off.names == ("王建国",)


def test_report_pdf_embeds_the_photos_and_signature(client, certified):
    data = _report_data(certified)
    thumbnails = [
        picture for section in data.current.sections for item in section.items for picture in item.thumbnails
    ]
    assert len(thumbnails) > MAX_THUMBNAILS_PER_ITEM + 1  # 1.1's, 3.2's and one of each other item's
    login(client, certified.bureau)
    assert distinct_images(get_pdf(client, report_url(certified))) == len(set(thumbnails)) + 1  # + signature


def test_report_in_english_uses_english_labels(client, certified):
    login(client, certified.outlet_user)
    client.post("/language", data={"locale": "en"})
    text = pdf_text(get_pdf(client, report_url(certified)))
    for expected in (
        "Reductionatsource",
        "A.Usedroutinely,withusagerecords",
        "2sessions",
        "Yes",
        "Notapplicable",
    ):
        assert expected in text, expected
    assert "常态化使用" not in text


def test_report_lists_veto_findings_and_why_a_level_was_not_reached(client, ctx):
    inspected = make_inspected(
        level="city",
        answers={**_full_marks(), "1.3": False, "2.1": NOT_APPLICABLE},
        notes={"1.3": "库房发现普通塑料胶带"},
    )
    login(client, inspected.bureau)
    text = pdf_text(get_pdf(client, report_url(inspected)))
    assert "1.3不使用不可降解塑料胶带:库房发现普通塑料胶带" in text
    assert "未达到任何等级" in text
    assert "未达到区级的原因" in text and "未达到市级的原因" in text
    client.post("/language", data={"locale": "en"})
    english = pdf_text(get_pdf(client, report_url(inspected)))
    assert "1.3Nonon-degradableplastictape:库房发现普通塑料胶带" in english
    assert "vetofailed:1.3" in english  # the engine's reasons, translated for the reader


def test_report_of_an_unsigned_inspection_says_so(client, ctx):
    outlet = make_outlet("FX")
    bureau = make_user(Role.DISTRICT_BUREAU, district_code="FX")
    application = make_application(outlet, status="inspection_scheduled")
    get_or_create_assessment(application, "inspection")
    login(client, bureau)
    text = pdf_text(get_pdf(client, f"/reports/{application.id}/inspection-report.pdf"))
    assert "尚未签署" in text and "尚待管理局审核" in text


def test_no_report_before_an_inspection_exists(client, ctx):
    outlet = make_outlet("FX")
    application = make_application(outlet, status="submitted")
    login(client, make_user(Role.DISTRICT_BUREAU, district_code="FX"))
    assert client.get(f"/reports/{application.id}/inspection-report.pdf").status_code == 404


# -- who may download ---------------------------------------------------------------------


@pytest.mark.parametrize("which", ["certificate", "report"])
def test_pdfs_reach_the_outlet_its_district_bureau_and_the_city_bureau(client, certified, which):
    url = certificate_url(certified) if which == "certificate" else report_url(certified)
    for user in (certified.outlet_user, certified.bureau, make_user(Role.CITY_BUREAU)):
        login(client, user)
        assert client.get(url).status_code == 200, user.role


@pytest.mark.parametrize("which", ["certificate", "report"])
def test_pdfs_are_hidden_from_other_outlets_and_districts(client, certified, which):
    url = certificate_url(certified) if which == "certificate" else report_url(certified)
    assert client.get(url).status_code == 302  # anonymous: sign in first
    login(client, make_user(Role.OUTLET))  # another outlet in the same district
    assert client.get(url).status_code == 404
    login(client, make_user(Role.DISTRICT_BUREAU, district_code="QP"))
    assert client.get(url).status_code == 404
    # The inspector who did the (signed) inspection has its report, never the outlet's certificate.
    login(client, certified.inspector)
    assert client.get(url).status_code == (403 if which == "certificate" else 200)
    login(client, make_user(Role.ADMIN))
    assert client.get(url).status_code == 403


def test_unknown_records_answer_404(client, certified):
    login(client, make_user(Role.CITY_BUREAU))
    assert client.get("/certificates/999999/certificate.pdf").status_code == 404
    assert client.get("/reports/999999/inspection-report.pdf").status_code == 404


def test_download_links_on_the_certificate_page(client, certified):
    login(client, certified.outlet_user)
    page = client.get(f"/certificates/{certified.certificate.id}").get_data(as_text=True)
    assert certificate_url(certified) in page and report_url(certified) in page
    with client.application.test_request_context():
        assert url_for("public.verify_number", number=certified.certificate.number) in page


def _full_marks():
    from tests.certificate_helpers import FULL_MARKS

    return dict(FULL_MARKS)


def test_certificate_of_an_old_year_still_prints(client, ctx):
    certified = make_certified(issued_on=date(2025, 12, 31))
    login(client, certified.outlet_user)
    text = pdf_text(get_pdf(client, certificate_url(certified)))
    assert re.search(r"WFKD-2025-FX-Q-\d{4}", text)
    assert format_date_zh(date(2025, 12, 31) + timedelta(days=0)) in text


# -- documents follow the certificate's state --------------------------------------------


def test_a_revoked_certificate_downloads_stamped_with_the_date_and_reason(client, certified):
    login(client, certified.bureau)
    valid = get_pdf(client, certificate_url(certified))
    revoked = client.post(
        f"/certificates/{certified.certificate.id}/revoke",
        data={"ground": "outlet_closed", "reason": "复查发现仍使用不可降解胶带"},
    )
    assert revoked.status_code == 302
    login(client, certified.outlet_user)
    pdf = get_pdf(client, certificate_url(certified))
    text = pdf_text(pdf)
    today = today_in_shanghai()
    assert "已撤销" in text and "Revoked" in text
    assert f"本证书已于{format_date_zh(today)}撤销" in text
    assert "撤销原因：复查发现仍使用不可降解胶带" in text
    assert pdf != valid and "已撤销" not in pdf_text(valid)
    (page,) = render_pages(pdf)  # still one page


def test_an_expired_certificate_downloads_stamped_expired(client, ctx):
    certified = make_certified(issued_on=today_in_shanghai() - timedelta(days=3 * 365))
    login(client, certified.outlet_user)
    text = pdf_text(get_pdf(client, certificate_url(certified)))
    assert certified.certificate.valid_until < today_in_shanghai()
    assert "已过期" in text and f"有效期已于{format_date_zh(certified.certificate.valid_until)}届满" in text


def test_a_superseded_certificate_names_its_replacement(client, certified):
    city = certify(certified.outlet, "city", cast=certified.cast)
    login(client, certified.outlet_user)
    text = pdf_text(get_pdf(client, certificate_url(certified)))
    assert "已被替代" in text
    assert f"已于{format_date_zh(city.issued_on)}被证书{city.number}替代" in text
    assert "已被替代" not in pdf_text(get_pdf(client, f"/certificates/{city.id}/certificate.pdf"))
