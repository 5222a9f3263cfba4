"""The certificate and inspection report PDFs, checked on extracted text and rendered pages."""

import dataclasses
import os
import shutil
import subprocess
import sys
from datetime import date, datetime
from decimal import Decimal
from io import BytesIO
from pathlib import Path

import pytest
import zxingcpp
from PIL import ExifTags, Image, ImageChops
from pypdf import PdfReader
from reportlab.lib.pagesizes import A4, landscape

from outlet_audit.certificates.certificate_pdf import render_certificate
from outlet_audit.certificates.state import CertificateState, Standing
from outlet_audit.pdf.fonts import (
    CJK_FONT,
    format_points,
    paragraph_markup,
    pdf_date_formatter,
    register_fonts,
)
from outlet_audit.reports.notice_pdf import NoticeItem, render_rectification_notice
from outlet_audit.reports.report_pdf import (
    MAX_THUMBNAILS_PER_ITEM,
    THUMBNAIL_PIXELS,
    ReportItem,
    ReportSection,
    render_inspection_report,
)
from tests.pdf_helpers import (
    HOSTILE_NAME,
    VERIFY_URL,
    page_texts,
    photo_jpeg,
    pixel_spread,
    render_pages,
    sample_certificate,
    sample_notice,
    sample_report,
    sample_visit,
)

ROOT = Path(__file__).resolve().parents[2]


def _flat(text: str) -> str:
    """Extracted text without line breaks, which depend on where a paragraph wraps."""
    return "".join(text.split())


@pytest.fixture(scope="module")
def certificate_pdf() -> bytes:
    return render_certificate(sample_certificate())


@pytest.fixture(scope="module")
def long_report_pdf() -> bytes:
    return render_inspection_report(sample_report(items_per_section=10))


# -- text helpers -------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text, markup",
    [
        ("<b>&\"'", '<font name="Times-Roman">&lt;b&gt;&amp;&quot;&#39;</font>'),
        ("网点\n二楼", "网点<br/>二楼"),
        ("a\x00\x0bb", '<font name="Times-Roman">ab</font>'),
        ("", ""),
    ],
)
def test_paragraph_markup_escapes_user_text(text, markup):
    assert paragraph_markup(text) == markup


@pytest.mark.parametrize(
    "value, shown",
    [(Decimal("82.50"), "82.5"), (Decimal("80.00"), "80"), (Decimal("1E+1"), "10"), (Decimal("0.0"), "0")],
)
def test_points_are_shown_without_trailing_zeros(value, shown):
    assert format_points(value) == shown


def test_pdf_date_is_shanghai_time_unless_told_otherwise():
    assert pdf_date_formatter(datetime(2025, 3, 15, 9, 5))(2000, 1, 1, 0, 0, 0) == "D:20250315090500+08'00'"


# -- certificate -------------------------------------------------------------------------


def test_certificate_text_holds_the_facts(certificate_pdf):
    (text,) = page_texts(certificate_pdf)
    flat = _flat(text)
    for expected in (
        "“无废快递网点”证书",
        "区级无废快递网点",
        "CertificateofZero-WasteExpressDeliveryOutlet",
        "中通快递奉贤南桥镇解放东路网点",
        "上海市奉贤区南桥镇解放东路888号1层",
        "中通ZTO",
        "86.5分",
        "上海市无废快递网点评估标准（2025年版）",
        "2025年3月15日",
        "2026年3月14日",
        "上海市奉贤区邮政管理局",
        "WFKD-2025-FX-Q-0007",
        VERIFY_URL,
    ):
        assert expected in flat, expected
    # Mainland quotation marks; and nothing says the certificate is anything but valid.
    assert "「" not in flat and "」" not in flat
    for state_word in ("已撤销", "已过期", "已被替代", "失效"):
        assert state_word not in flat


REVOKED = Standing(
    CertificateState.REVOKED, date(2025, 9, 2), reason="复查发现网点仍使用宽胶带，且未按期整改。"
)


@pytest.mark.parametrize(
    "standing, expected",
    [
        (
            REVOKED,
            (
                "已撤销",
                "本证书已于2025年9月2日撤销",
                "撤销原因：复查发现网点仍使用宽胶带，且未按期整改。",
                "revokedon2Sept2025",
            ),
        ),
        (
            Standing(CertificateState.EXPIRED, date(2026, 3, 14)),
            ("已过期", "有效期已于2026年3月14日届满", "expiredafter14Mar2026"),
        ),
        (
            Standing(CertificateState.SUPERSEDED, date(2025, 11, 20), replaced_by="WFKD-2025-FX-S-0003"),
            ("已被替代", "已于2025年11月20日被证书WFKD-2025-FX-S-0003替代", "supersededon20Nov2025"),
        ),
    ],
    ids=["revoked", "expired", "superseded"],
)
def test_a_certificate_not_in_force_says_so_with_its_date(standing, expected):
    pdf = render_certificate(sample_certificate(standing=standing))
    assert len(PdfReader(BytesIO(pdf)).pages) == 1
    flat = _flat(page_texts(pdf)[0])
    for text in expected:
        assert text in flat, text
    assert "WFKD-2025-FX-Q-0007" in flat  # still the same certificate, facts and all
    assert PdfReader(BytesIO(pdf)).metadata.title.endswith(f"（{expected[0]}）")


def test_the_stamp_is_seen_across_the_page():
    """Rendered, a revoked certificate is red across its middle where a valid one has black text only."""
    (valid,) = render_pages(render_certificate(sample_certificate()), resolution=50)
    (revoked,) = render_pages(render_certificate(sample_certificate(standing=REVOKED)), resolution=50)
    assert valid.size == revoked.size

    def reddish(picture, box):
        data = picture.crop(box).tobytes()
        pixels = zip(data[0::3], data[1::3], data[2::3], strict=True)
        return sum(1 for r, g, b in pixels if r > 150 and r - g > 60 and r - b > 60)

    width, height = valid.size
    middle = (width // 4, height // 4, width * 3 // 4, height * 3 // 4)
    assert reddish(revoked, middle) > 20 * reddish(valid, middle) + 2000
    assert pixel_spread(revoked) > 20


def test_a_very_long_reason_is_shortened_on_the_page_only():
    standing = Standing(CertificateState.REVOKED, date(2025, 9, 2), reason="网点已停业，不再符合要求。" * 80)
    pdf = render_certificate(sample_certificate(standing=standing))
    flat = _flat(page_texts(pdf)[0])
    assert "已撤销" in flat and "…（全文见核验页面）" in flat and "revokedon2Sept2025" in flat
    assert len(PdfReader(BytesIO(pdf)).pages) == 1


def test_certificate_is_one_a4_landscape_page(certificate_pdf):
    reader = PdfReader(BytesIO(certificate_pdf))
    assert len(reader.pages) == 1
    box = reader.pages[0].mediabox
    assert (round(float(box.width)), round(float(box.height))) == tuple(round(side) for side in landscape(A4))


def test_certificate_of_city_level_says_so():
    data = sample_certificate(level="city", number="WFKD-2025-FX-S-0001")
    flat = _flat(page_texts(render_certificate(data))[0])
    assert "市级无废快递网点" in flat
    assert "区级" not in flat


@pytest.mark.parametrize(
    "number, level",
    [("WFKD-2025-FX-S-0007", "district"), ("not a number", "district"), ("WFKD-2025-FX-Q-0007", "city")],
)
def test_certificate_refuses_a_number_that_does_not_match(number, level):
    with pytest.raises(ValueError):
        render_certificate(sample_certificate(number=number, level=level))


def test_certificate_renders_to_a_non_blank_page(certificate_pdf):
    (page,) = render_pages(certificate_pdf)
    assert pixel_spread(page) > 20


def test_certificate_qr_code_opens_the_verification_page(certificate_pdf):
    (page,) = render_pages(certificate_pdf, resolution=150)
    codes = [code for code in zxingcpp.read_barcodes(page) if code.format == zxingcpp.BarcodeFormat.QRCode]
    assert [code.text for code in codes] == [VERIFY_URL]


def test_certificate_qr_code_follows_the_data():
    url = "https://example.org/verify/WFKD-2026-PD-S-0100"
    data = sample_certificate(number="WFKD-2026-PD-S-0100", level="city", verify_url=url)
    (page,) = render_pages(render_certificate(data), resolution=150)
    assert [code.text for code in zxingcpp.read_barcodes(page)] == [url]


def test_certificate_dates_the_pdf_on_the_issue_date(certificate_pdf):
    created = PdfReader(BytesIO(certificate_pdf)).metadata.creation_date
    assert (created.year, created.month, created.day) == (2025, 3, 15)


@pytest.mark.parametrize("field", ["outlet_name", "outlet_address", "brand", "issuing_bureau"])
def test_certificate_prints_hostile_text_literally(field):
    pdf = render_certificate(sample_certificate(**{field: HOSTILE_NAME}))
    text = page_texts(pdf)[0]
    if field == "issuing_bureau":  # also drawn letter by letter around the seal
        text = text.split("认定专用章")[0]
    assert "<b>&\"'" in text
    assert "<script>alert(1)</script>" in text
    assert "<font size=40>大</font>" in _flat(text).replace("fontsize", "font size")


def test_certificate_survives_absurd_lengths_and_control_characters():
    data = sample_certificate(
        outlet_name="超长网点名称" * 200 + "\x00\x07",
        outlet_address="地址" * 500,
        issuing_bureau="上海市奉贤区邮政管理局" * 6,
    )
    (page,) = render_pages(render_certificate(data))
    assert pixel_spread(page) > 20


def test_certificate_is_byte_identical_for_the_same_data(certificate_pdf):
    assert render_certificate(sample_certificate()) == certificate_pdf
    assert render_certificate(sample_certificate(outlet_name="另一个网点")) != certificate_pdf


# -- inspection report --------------------------------------------------------------------


def test_report_text_holds_header_items_subtotals_and_results():
    pdf = render_inspection_report(sample_report(items_per_section=3))
    flat = _flat("".join(page_texts(pdf)))
    for expected in (
        "无废快递网点现场评估报告",
        "中通快递奉贤南桥镇解放东路网点",
        "SQ-2025-FX-0042",
        "2025-v1（3f2a9c1b4d5e）",
        "2025-03-10、2025-03-11",
        "王建国、李梅",
        "B瘦身胶带Slimsealingtape",
        "小计Subtotal6/15",  # every section scores 1 + 2 + 3 of 15
        "基础得分Basepoints36/90",
        "加分Bonus+2.5",
        "最终得分Finalscore38.5",
        "B2发现使用宽度超过45mm的塑料胶带",
        "区级DistrictLevel",
        "未达到市级的原因Whynotcitylevel:1.最终得分38.5低于90",
        "签署时间Signedat2025-03-1116:05",
        "认定为区级无废快递网点Certified,districtlevel",
        "同意认定。请网点持续落实各项要求。",
    ):
        assert expected in flat
    for code in ("A", "B", "C", "D", "E", "F"):
        for number in (1, 2, 3):
            assert f"{code}{number}" in flat


def test_report_marks_veto_and_not_applicable_items():
    items = (
        ReportItem("X1", "电子运单使用率", "是 Yes", Decimal(5), Decimal(5)),
        ReportItem("X2", "胶带宽度", "60 mm", Decimal(0), Decimal(5), veto_triggered=True),
        ReportItem("X3", "可循环包装", "—", Decimal(0), Decimal(5), not_applicable=True),
    )
    section = ReportSection("X", "测试", items, Decimal(5), Decimal(10))
    flat = _flat(
        "".join(
            page_texts(render_inspection_report(sample_report(visits=(sample_visit(sections=(section,)),))))
        )
    )
    assert "X1电子运单使用率是Yes5/5" in flat
    assert "X2胶带宽度60mm0/5否决VETO" in flat
    assert "X3可循环包装—" in flat and "—/5N/A" in flat
    assert flat.count("否决VETO") == 1
    assert flat.count("N/A") == 2  # column label and the one item


def test_long_report_numbers_every_page(long_report_pdf):
    texts = page_texts(long_report_pdf)
    total = len(texts)
    assert total > 3
    for number, text in enumerate(texts, start=1):
        assert f"第 {number} 页 / 共 {total} 页" in text
        assert f"Page {number} of {total}" in text
        assert "SQ-2025-FX-0042" in text  # running header
        others = [other for other in range(1, total + 1) if other != number]
        assert not any(f"第 {other} 页" in text for other in others)
    flat = _flat("".join(texts))
    assert all(f"{code}{number}" in flat for code in "ABCDEF" for number in range(1, 11))


def test_long_report_renders_every_page(long_report_pdf):
    pages = render_pages(long_report_pdf)
    assert len(pages) == len(PdfReader(BytesIO(long_report_pdf)).pages)
    assert all(pixel_spread(page) > 10 for page in pages)


def test_report_is_byte_identical_for_the_same_data(long_report_pdf):
    assert render_inspection_report(sample_report(items_per_section=10)) == long_report_pdf
    changed = sample_report(items_per_section=10, generated_at=datetime(2025, 3, 21, 8, 0))
    assert render_inspection_report(changed) != long_report_pdf


def test_pdfs_do_not_depend_on_the_process(certificate_pdf, tmp_path):
    """Hash randomisation, time and object ids must not leak into the bytes."""
    script = (
        "import sys\n"
        "from outlet_audit.certificates.certificate_pdf import render_certificate\n"
        "from outlet_audit.reports.report_pdf import render_inspection_report\n"
        "from tests.pdf_helpers import sample_certificate, sample_report\n"
        "sys.stdout.buffer.write(render_certificate(sample_certificate()))\n"
        "(__import__('pathlib').Path(sys.argv[1])).write_bytes(render_inspection_report(sample_report()))\n"
    )
    report_path = tmp_path / "report.pdf"
    environment = {**os.environ, "PYTHONHASHSEED": "12345"}
    environment.pop("SOURCE_DATE_EPOCH", None)
    done = subprocess.run(
        [sys.executable, "-c", script, str(report_path)],
        cwd=ROOT,
        env=environment,
        capture_output=True,
        check=True,
    )
    assert done.stdout == certificate_pdf
    assert report_path.read_bytes() == render_inspection_report(sample_report())


def test_report_prints_hostile_text_literally():
    hostile_item = ReportItem(
        code="A1",
        title=HOSTILE_NAME,
        answer=HOSTILE_NAME,
        points_earned=Decimal(1),
        points_possible=Decimal(5),
        note="备注 <br/> & <para>\x00 " + HOSTILE_NAME,
    )
    section = ReportSection("A", "<i>标题</i> & more", (hostile_item,), Decimal(1), Decimal(5))
    data = sample_report(
        outlet_name=HOSTILE_NAME,
        visits=(
            sample_visit(inspectors=("<b>王</b>",), sections=(section,), veto_findings=("<u>veto</u> & co",)),
        ),
    )
    texts = page_texts(render_inspection_report(data))
    joined = "".join(texts)
    assert joined.count("<b>&\"'") >= 4  # header block, item title, answer, note
    assert "<script>alert(1)</script>" in joined
    assert "<i>标题</i> & more" in joined
    assert "备注 <br/> & <para>" in joined
    assert "<b>王</b>" in joined
    assert "<u>veto</u> & co" in joined


def test_report_keeps_very_long_notes_and_answers_whole():
    note = "抽查记录：" + "胶带宽度合格，" * 900 + "END-OF-NOTE"
    answer = "回答内容" * 100 + "END-OF-ANSWER"
    item = ReportItem("A1", "胶带", answer, Decimal(1), Decimal(5), note=note)
    section = ReportSection("A", "瘦身胶带", (item,), Decimal(1), Decimal(5))
    pdf = render_inspection_report(sample_report(visits=(sample_visit(sections=(section,)),)))
    flat = _flat("".join(page_texts(pdf)))
    assert "END-OF-NOTE" in flat
    assert "END-OF-ANSWER" in flat
    assert "备注Note（续cont.）：" in flat
    assert flat.count("胶带宽度合格，") == 900


def test_report_limits_thumbnails_and_survives_broken_images():
    photos = (b"not a jpeg", *(photo_jpeg(seed) for seed in range(MAX_THUMBNAILS_PER_ITEM + 1)))
    item = ReportItem("A1", "电子运单", "是 Yes", Decimal(5), Decimal(5), thumbnails=photos)
    section = ReportSection("A", "电子运单", (item,), Decimal(5), Decimal(5))
    pdf = render_inspection_report(sample_report(visits=(sample_visit(sections=(section,)),)))
    flat = _flat("".join(page_texts(pdf)))
    assert "[图片无法读取unreadableimage]" in flat
    assert "+2" in flat
    images = [image for page in PdfReader(BytesIO(pdf)).pages for image in page.images]
    # three photos shown next to the broken one, plus the signature
    assert len(images) == MAX_THUMBNAILS_PER_ITEM - 1 + 1


def test_report_downscales_big_photos():
    big = tuple(photo_jpeg(seed, size=(4000, 3000)) for seed in range(3))
    item = ReportItem("A1", "电子运单", "是 Yes", Decimal(5), Decimal(5), thumbnails=big)
    section = ReportSection("A", "电子运单", (item,), Decimal(5), Decimal(5))
    pdf = render_inspection_report(sample_report(visits=(sample_visit(sections=(section,), sign_off=None),)))
    sizes = [image.image.size for page in PdfReader(BytesIO(pdf)).pages for image in page.images]
    assert sizes == [(THUMBNAIL_PIXELS, THUMBNAIL_PIXELS * 3 // 4)] * 3
    assert len(pdf) < len(big[0])


def _embedded_images(thumbnails: tuple[bytes, ...]) -> list:
    """The image objects of a report with one item showing these photos (no signature)."""
    item = ReportItem("A1", "电子运单", "是 Yes", Decimal(5), Decimal(5), thumbnails=thumbnails)
    section = ReportSection("A", "电子运单", (item,), Decimal(5), Decimal(5))
    pdf = render_inspection_report(sample_report(visits=(sample_visit(sections=(section,), sign_off=None),)))
    return [
        image.get_object()
        for page in PdfReader(BytesIO(pdf)).pages
        for image in page["/Resources"].get("/XObject", {}).values()
    ]


def _jpeg(size, mode="RGB", **save_options) -> bytes:
    buffer = BytesIO()
    Image.new(mode, size, "#3a7" if mode == "RGB" else 90).save(buffer, format="JPEG", **save_options)
    return buffer.getvalue()


def test_small_upright_jpegs_are_embedded_byte_for_byte():
    """Stored thumbnails are already what the report shows: no decoding, no second compression."""
    thumbnails = (_jpeg((320, 240)), _jpeg((240, 320), progressive=True), _jpeg((200, 150), mode="L"))
    images = _embedded_images(thumbnails)
    assert [image["/Filter"] for image in images] == [["/DCTDecode"]] * 3
    assert sorted(image._data for image in images) == sorted(thumbnails)
    assert {image["/ColorSpace"] for image in images} == {"/DeviceRGB", "/DeviceGray"}


def test_the_same_photo_twice_is_stored_once():
    photo = _jpeg((320, 240))
    assert len(_embedded_images((photo, photo))) == 1


def test_jpegs_that_need_work_are_decoded_turned_upright_downscaled_and_cleaned():
    exif = Image.Exif()
    exif[ExifTags.Base.Orientation] = 6  # stored sideways: shown turned 90 degrees clockwise
    sideways = _jpeg((320, 240), exif=exif.tobytes())
    cmyk = _jpeg((300, 200), mode="CMYK")
    large = _jpeg((640, 480))
    commented = _jpeg((100, 80), comment=b"<script>hidden</script>")
    images = _embedded_images((sideways, cmyk, large, commented))
    assert sorted((image["/Width"], image["/Height"]) for image in images) == [
        (100, 80),
        (240, 320),
        (300, 200),
        (320, 240),
    ]
    assert {image["/ColorSpace"] for image in images} == {"/DeviceRGB"}
    assert not {image._data for image in images} & {sideways, cmyk, large, commented}
    assert not any(b"hidden" in image._data for image in images)


def test_report_without_level_sign_off_or_decision_says_what_is_pending():
    visit = sample_visit(level_reached=None, sign_off=None, veto_findings=())
    data = sample_report(visits=(visit,), decision=None)
    flat = _flat("".join(page_texts(render_inspection_report(data))))
    assert "未达到任何等级Nolevelreached" in flat
    assert "否决项Vetofindings无None" in flat
    assert "尚未签署Notsignedyet" in flat
    assert "尚待管理局审核Awaitingthebureau'sdecision" in flat


def test_report_dates_the_pdf_when_it_was_generated(long_report_pdf):
    created = PdfReader(BytesIO(long_report_pdf)).metadata.creation_date
    assert (created.year, created.month, created.day, created.hour, created.minute) == (2025, 3, 20, 10, 30)


def test_report_data_is_frozen():
    with pytest.raises(dataclasses.FrozenInstanceError):
        sample_report().outlet_name = "x"


# -- rectification notice -------------------------------------------------------------------


def test_notice_holds_the_facts_on_one_a4_page():
    pdf = render_rectification_notice(sample_notice())
    reader = PdfReader(BytesIO(pdf))
    assert len(reader.pages) == 1
    assert (float(reader.pages[0].mediabox.width), float(reader.pages[0].mediabox.height)) == pytest.approx(
        A4
    )
    flat = _flat(page_texts(pdf)[0])
    for expected in (
        "整改通知书",
        "RectificationNotice",
        "ZG-2025-FX-000012",
        "致To：中通快递奉贤南桥镇解放东路网点",
        "沪邮2024-FX-0088",
        "SQ-2025-FX-0042",
        "经2025年3月11日现场检查，你网点下列2项未达到《上海市无废快递网点评估标准（2025年版）》的要求",
        "by2025-04-03",
        "1.2使用“瘦身胶带”（宽度不超过45毫米）检查各封装台在用胶带",
        "否检查员备注Note：封装台3处使用60毫米宽胶带",
        "3.1推广使用可循环快递包装",
        "C.未使用",
        "整改期限Deadline：2025年4月3日（2025-04-03）",
        "请于期限内整改并上传整改照片。",
        "上海市奉贤区邮政管理局",
        "2025年3月14日",
        "第1页/共1页Page1of1",
    ):
        assert expected in flat, expected
    assert reader.metadata.title == "整改通知书 ZG-2025-FX-000012"
    created = reader.metadata.creation_date
    assert (created.year, created.month, created.day, created.hour) == (2025, 3, 14, 10)


def test_a_long_notice_continues_on_numbered_pages():
    items = tuple(
        NoticeItem(f"{n}.1", f"检查项目 {n}", "要求：" + "按标准落实。" * 12, "否", "现场发现问题。" * 6)
        for n in range(1, 25)
    )
    pdf = render_rectification_notice(sample_notice(items=items, instructions="整改要求。" * 200))
    texts = page_texts(pdf)
    assert len(texts) > 1
    for number, text in enumerate(texts, start=1):
        assert f"第{number}页/共{len(texts)}页" in _flat(text) and "ZG-2025-FX-000012" in text
    flat = _flat("".join(texts))
    assert all(f"{n}.1检查项目{n}" in flat for n in range(1, 25))
    assert "整改期限Deadline" in _flat(texts[-1]) and "上海市奉贤区邮政管理局" in _flat(texts[-1])
    assert all(pixel_spread(page) > 10 for page in render_pages(pdf, resolution=40))


def test_notice_prints_hostile_text_literally_and_is_the_same_for_the_same_data():
    hostile = sample_notice(
        outlet_name=HOSTILE_NAME,
        instructions="<para>整改 & 复查</para>\x00",
        items=(NoticeItem("1.2", HOSTILE_NAME, "<br/>", "否", HOSTILE_NAME),),
    )
    joined = "".join(page_texts(render_rectification_notice(hostile)))
    assert joined.count("<script>alert(1)</script>") >= 3  # addressee, details, item, note
    assert "<para>整改 & 复查</para>" in joined
    assert render_rectification_notice(sample_notice()) == render_rectification_notice(sample_notice())
    assert render_rectification_notice(sample_notice(due_on=date(2025, 4, 4))) != render_rectification_notice(
        sample_notice()
    )


def test_notice_renders_its_page():
    (page,) = render_pages(render_rectification_notice(sample_notice()))
    assert pixel_spread(page) > 20


# -- fonts --------------------------------------------------------------------------------


def _has_cjk_font() -> bool:
    fc_list = shutil.which("fc-list")
    if fc_list is None:
        return False
    return bool(subprocess.run([fc_list, ":lang=zh"], capture_output=True, text=True).stdout.strip())


@pytest.mark.skipif(not _has_cjk_font(), reason="no CJK font for poppler to substitute for STSong-Light")
def test_chinese_glyphs_render_as_distinct_shapes():
    """Missing glyphs come out as identical boxes; real ones differ from each other."""
    from reportlab.pdfgen.canvas import Canvas

    register_fonts()
    buffer = BytesIO()
    canvas = Canvas(buffer, pagesize=(120, 120), invariant=True)
    for character in "无废":
        canvas.setFont(CJK_FONT, 80)
        canvas.drawString(20, 25, character)
        canvas.showPage()
    canvas.save()
    first, second = render_pages(buffer.getvalue(), resolution=72)
    assert pixel_spread(first) > 20
    assert ImageChops.difference(first, second).getbbox() is not None
