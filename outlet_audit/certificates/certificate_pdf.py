"""The certificate of a zero-waste express outlet as a one-page A4 landscape PDF.

Pure: data in, bytes out. Everything is drawn (border, seal, QR code), nothing is read
from disk, and the same `CertificateData` always gives byte-identical PDFs.

A certificate no longer in force says so across the page: a diagonal stamp (已撤销, 已过期,
已被替代) and, under the details, a notice with the date and the reason or the replacement's
number. A copy printed while it was valid cannot be mistaken for one printed after.
"""

import dataclasses
import functools
from dataclasses import dataclass
from datetime import date, datetime, time
from decimal import Decimal
from io import BytesIO

import segno
from babel.dates import format_date as babel_format_date
from reportlab.lib import colors
from reportlab.lib.enums import TA_CENTER
from reportlab.lib.pagesizes import A4, landscape
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfgen.canvas import Canvas
from reportlab.pdfgen.pathobject import PDFPathObject
from reportlab.platypus import Paragraph, Table, TableStyle

from outlet_audit.certificates.numbering import parse_certificate_number
from outlet_audit.certificates.state import CertificateState, Standing
from outlet_audit.pdf.fonts import (
    CJK_FONT,
    LATIN_SERIF_BOLD,
    LATIN_SERIF_ITALIC,
    bilingual_label,
    cjk_style,
    clean_text,
    draw_mixed_string,
    format_date_zh,
    format_points,
    mixed_string_width,
    paragraph_markup,
    pdf_date_formatter,
    register_fonts,
)
from outlet_audit.pdf.official import (
    BORDER_RED,
    GOLD,
    INK,
    MUTED,
    PAPER,
    RULE,
    draw_bold_centred,
    draw_corner_ornament,
    draw_seal,
)
from outlet_audit.workflow.states import LEVEL_LABELS, Level

PAGE_WIDTH, PAGE_HEIGHT = landscape(A4)

# How a certificate that is no longer in force is marked: the stamp's words and its ink.
STAMP_WORDS = {
    CertificateState.REVOKED: ("已撤销", "REVOKED"),
    CertificateState.EXPIRED: ("已过期", "EXPIRED"),
    CertificateState.SUPERSEDED: ("已被替代", "SUPERSEDED"),
}
STAMP_INKS = {
    CertificateState.REVOKED: colors.HexColor("#C8161D"),
    CertificateState.EXPIRED: colors.HexColor("#4D4D4D"),
    CertificateState.SUPERSEDED: colors.HexColor("#A85200"),
}
NOTICE_PAPER = {
    CertificateState.REVOKED: colors.HexColor("#FCECEC"),
    CertificateState.EXPIRED: colors.HexColor("#F1F1F1"),
    CertificateState.SUPERSEDED: colors.HexColor("#FDF1E3"),
}
VALID = Standing(CertificateState.VALID)
# The notice sits under the details, between the QR code and the seal, above the verify line.
NOTICE_LEFT, NOTICE_BOTTOM, NOTICE_WIDTH, NOTICE_TOP = 64 * mm, 19 * mm, 148 * mm, 39 * mm
REASON_CUT = "…（全文见核验页面）"


@dataclass(frozen=True)
class CertificateData:
    number: str  # e.g. WFKD-2025-FX-Q-0007, see numbering.py
    level: str  # "district" or "city" (workflow.states.Level)
    outlet_name: str
    outlet_address: str
    brand: str
    total_score: Decimal
    criteria_title: str  # the edition's title, e.g. 上海市无废快递网点评估标准（2025 年版）
    issued_on: date
    valid_until: date
    issuing_bureau: str  # e.g. 上海市奉贤区邮政管理局
    verify_url: str  # public verification page of this number, encoded in the QR code
    standing: Standing = VALID  # printed across the page unless in force


def render_certificate(data: CertificateData) -> bytes:
    """Draw the certificate and return the PDF bytes."""
    register_fonts()
    level = Level(data.level)
    number = parse_certificate_number(data.number)
    # A certificate is only worth printing if its number can be verified and tells the truth.
    if number is None or number.level != level:
        raise ValueError(f"certificate number {data.number!r} is not a valid {level} certificate number")
    buffer = BytesIO()
    canvas = Canvas(buffer, pagesize=(PAGE_WIDTH, PAGE_HEIGHT), invariant=True, pageCompression=1)
    canvas.setDateFormatter(pdf_date_formatter(datetime.combine(data.issued_on, time())))
    stamp = STAMP_WORDS.get(data.standing.state)
    canvas.setTitle(f"无废快递网点证书 {number}" + (f"（{stamp[0]}）" if stamp else ""))
    canvas.setAuthor(clean_text(data.issuing_bureau))
    canvas.setSubject("Zero-Waste Express Delivery Outlet Certificate")
    canvas.setCreator("outlet-audit")

    _draw_background_and_border(canvas)
    _draw_heading(canvas, str(number), level)
    _draw_statement(canvas, data, level)
    _draw_details(canvas, data, bottom=25 * mm if stamp is None else NOTICE_TOP + 2 * mm)
    _draw_qr_code(canvas, data.verify_url, x=24 * mm, y=36 * mm, size=34 * mm)
    _draw_bureau_and_seal(canvas, data)
    _draw_verify_line(canvas, data.verify_url)
    if stamp is not None:
        _draw_standing_notice(canvas, data.standing)
        _draw_stamp(canvas, data.standing)

    canvas.showPage()
    canvas.save()
    return buffer.getvalue()


def _draw_background_and_border(canvas: Canvas) -> None:
    canvas.setFillColor(PAPER)
    canvas.rect(0, 0, PAGE_WIDTH, PAGE_HEIGHT, stroke=0, fill=1)
    outer, inner = 7 * mm, 11 * mm
    canvas.setStrokeColor(BORDER_RED)
    canvas.setLineWidth(3)
    canvas.rect(outer, outer, PAGE_WIDTH - 2 * outer, PAGE_HEIGHT - 2 * outer)
    canvas.setLineWidth(0.9)
    canvas.rect(inner, inner, PAGE_WIDTH - 2 * inner, PAGE_HEIGHT - 2 * inner)
    _draw_band_pattern(canvas, (outer + inner) / 2)
    for x, y, sx, sy in (
        (inner, inner, 1, 1),
        (PAGE_WIDTH - inner, inner, -1, 1),
        (inner, PAGE_HEIGHT - inner, 1, -1),
        (PAGE_WIDTH - inner, PAGE_HEIGHT - inner, -1, -1),
    ):
        draw_corner_ornament(canvas, x, y, sx, sy)


def _draw_band_pattern(canvas: Canvas, inset: float) -> None:
    """Small gold diamonds along the band between the two border lines."""
    canvas.setFillColor(GOLD)
    canvas.drawPath(_band_path(inset), stroke=0, fill=1)


@functools.cache
def _band_path(inset: float) -> PDFPathObject:
    """The diamonds as one path, built once: the same on every certificate, and formatting its
    few hundred points was a sixth of a certificate's time. drawPath only reads it."""
    step, half = 6 * mm, 1.1 * mm
    path = PDFPathObject()
    for horizontal, length in ((True, PAGE_WIDTH), (False, PAGE_HEIGHT)):
        count = int((length - 2 * inset) // step)
        start = (length - count * step) / 2
        for i in range(count + 1):
            along = start + i * step
            for across in (inset, (PAGE_HEIGHT if horizontal else PAGE_WIDTH) - inset):
                x, y = (along, across) if horizontal else (across, along)
                path.moveTo(x - half, y)
                path.lineTo(x, y + half)
                path.lineTo(x + half, y)
                path.lineTo(x, y - half)
                path.close()
    return path


def _draw_heading(canvas: Canvas, number: str, level: Level) -> None:
    level_zh, level_en = LEVEL_LABELS[level].zh, LEVEL_LABELS[level].en
    centre = PAGE_WIDTH / 2
    draw_bold_centred(canvas, "“无废快递网点”证书", centre, 170 * mm, 34, BORDER_RED, spacing=3)
    draw_bold_centred(canvas, f"{level_zh}无废快递网点", centre, 157 * mm, 18, INK, spacing=6)
    canvas.setFillColor(MUTED)
    canvas.setFont(LATIN_SERIF_ITALIC, 12)
    canvas.drawCentredString(
        centre, 149 * mm, f"Certificate of Zero-Waste Express Delivery Outlet \u2014 {level_en}"
    )
    canvas.setStrokeColor(GOLD)
    canvas.setLineWidth(0.8)
    canvas.line(centre - 60 * mm, 144 * mm, centre + 60 * mm, 144 * mm)
    canvas.setFillColor(INK)
    draw_mixed_string(canvas, PAGE_WIDTH - 22 * mm, 190 * mm, "证书编号 No.", 9.5, anchor="right")
    draw_mixed_string(canvas, PAGE_WIDTH - 22 * mm, 184.5 * mm, number, 11.5, anchor="right")


def _draw_statement(canvas: Canvas, data: CertificateData, level: Level) -> None:
    level_zh, level_en = LEVEL_LABELS[level].zh, LEVEL_LABELS[level].en
    name_style = _style("outlet", 24, alignment=TA_CENTER, textColor=INK)
    _draw_fitted_paragraph(
        canvas, data.outlet_name, name_style, 40 * mm, 140 * mm, PAGE_WIDTH - 80 * mm, 22 * mm, min_size=11
    )
    canvas.setFillColor(INK)
    canvas.setFont(CJK_FONT, 13)
    canvas.drawCentredString(
        PAGE_WIDTH / 2,
        110 * mm,
        f"经审核评估，该网点符合无废快递网点建设评估要求，特认定为{level_zh}无废快递网点。",
    )
    canvas.setFillColor(MUTED)
    canvas.setFont(LATIN_SERIF_ITALIC, 10)
    canvas.drawCentredString(
        PAGE_WIDTH / 2,
        104 * mm,
        f"has been assessed and is hereby certified as a Zero-Waste Express Delivery Outlet ({level_en}).",
    )


def _draw_details(canvas: Canvas, data: CertificateData, bottom: float) -> None:
    # The edition by its title: its id and content hash are for the verification page, not the wall.
    rows = (
        ("网点地址", "Address", data.outlet_address),
        ("快递品牌", "Brand", data.brand),
        ("评估总分", "Total score", f"{format_points(data.total_score)} 分"),
        ("评估标准", "Criteria", data.criteria_title),
        ("发证日期", "Issued on", format_date_zh(data.issued_on)),
        ("有效期至", "Valid until", format_date_zh(data.valid_until)),
    )
    x, top, width = 66 * mm, 97 * mm, 128 * mm
    height = top - bottom
    for size in (11, 10, 9, 8, 7):
        table = _details_table(rows, width, size)
        _, table_height = table.wrap(width, height)
        if table_height <= height:
            break
    table.drawOn(canvas, x, top - min(table_height, height))


def _details_table(rows, width: float, size: float) -> Table:
    label_style = _style("label", 9.5, textColor=INK, leading=11)
    value_style = _style("value", size, textColor=INK, leading=size * 1.3)
    cells = [
        [
            Paragraph(bilingual_label(zh, en), label_style),
            Paragraph(paragraph_markup(value), value_style),
        ]
        for zh, en, value in rows
    ]
    table = Table(cells, colWidths=(30 * mm, width - 30 * mm))
    table.setStyle(
        TableStyle(
            [
                ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
                ("LINEBELOW", (0, 0), (-1, -1), 0.4, RULE),
                ("TOPPADDING", (0, 0), (-1, -1), 2.2),
                ("BOTTOMPADDING", (0, 0), (-1, -1), 2.2),
                ("LEFTPADDING", (0, 0), (-1, -1), 2),
            ]
        )
    )
    return table


def _draw_qr_code(canvas: Canvas, url: str, x: float, y: float, size: float) -> None:
    """Draw the QR code of `url` as vector squares on a white quiet zone."""
    # A fixed mask: choosing the "best" one scores all eight and was a quarter of the render time;
    # any mask decodes equally well.
    matrix = segno.make_qr(url, error="m", mask=0).matrix
    quiet = 4
    module = size / (len(matrix) + 2 * quiet)
    canvas.setFillColor(colors.white)
    canvas.rect(x, y, size, size, stroke=0, fill=1)
    path = canvas.beginPath()
    for row_index, row in enumerate(matrix):
        row_y = y + size - (quiet + row_index + 1) * module
        column = 0
        while column < len(row):
            if not row[column]:
                column += 1
                continue
            run_start = column
            while column < len(row) and row[column]:
                column += 1
            path.rect(x + (quiet + run_start) * module, row_y, (column - run_start) * module, module)
    canvas.setFillColor(colors.black)
    canvas.drawPath(path, stroke=0, fill=1)
    canvas.setFillColor(INK)
    canvas.setFont(CJK_FONT, 9)
    canvas.drawCentredString(x + size / 2, y - 5 * mm, "扫码核验证书真伪")
    canvas.setFillColor(MUTED)
    canvas.setFont(LATIN_SERIF_ITALIC, 8)
    canvas.drawCentredString(x + size / 2, y - 9 * mm, "Scan to verify")


def _draw_bureau_and_seal(canvas: Canvas, data: CertificateData) -> None:
    centre_x = PAGE_WIDTH - 58 * mm
    canvas.setFillColor(MUTED)
    canvas.setFont(CJK_FONT, 8.5)
    canvas.drawCentredString(centre_x, 94 * mm, "发证机关")
    canvas.setFont(LATIN_SERIF_ITALIC, 8)
    canvas.drawCentredString(centre_x, 90.5 * mm, "Issuing authority")
    bureau_style = _style("bureau", 12.5, alignment=TA_CENTER, textColor=INK)
    _draw_fitted_paragraph(
        canvas, data.issuing_bureau, bureau_style, centre_x - 38 * mm, 89 * mm, 76 * mm, 12 * mm, min_size=7
    )
    canvas.setFillColor(INK)
    canvas.setFont(CJK_FONT, 11)
    canvas.drawCentredString(centre_x, 72 * mm, format_date_zh(data.issued_on))
    draw_seal(canvas, clean_text(data.issuing_bureau), centre_x, 47 * mm, 19 * mm, caption="认定专用章")


def _draw_verify_line(canvas: Canvas, url: str) -> None:
    canvas.setFillColor(MUTED)
    text = f"核验网址 Verify at: {url}"
    size = 8.0
    while size > 4 and mixed_string_width(text, size) > PAGE_WIDTH - 50 * mm:
        size -= 0.5
    draw_mixed_string(canvas, PAGE_WIDTH / 2, 15 * mm, text, size, anchor="centre")


def _english_date(day: date) -> str:
    return babel_format_date(day, "d MMM y", locale="en_GB")


def standing_sentences(standing: Standing) -> tuple[str, str]:
    """What the notice says, in Chinese and English, with the date and the reason or replacement."""
    on_zh = format_date_zh(standing.on) if standing.on else ""
    on_en = _english_date(standing.on) if standing.on else ""
    if standing.state is CertificateState.REVOKED:
        return (
            f"本证书已于{on_zh}撤销，自撤销之日起失效。撤销原因：{standing.reason}",
            f"This certificate was revoked on {on_en} and is no longer valid.",
        )
    if standing.state is CertificateState.SUPERSEDED:
        return (
            f"本证书已于{on_zh}被证书 {standing.replaced_by} 替代，以新证书为准。",
            f"This certificate was superseded on {on_en} by certificate {standing.replaced_by}.",
        )
    return (
        f"本证书有效期已于{on_zh}届满，现已失效。",
        f"This certificate expired after {on_en} and is no longer valid.",
    )


def _draw_standing_notice(canvas: Canvas, standing: Standing) -> None:
    """A framed notice: the state in large type, then the sentence with its date and reason."""
    zh, en = STAMP_WORDS[standing.state]
    ink = STAMP_INKS[standing.state]
    height = NOTICE_TOP - NOTICE_BOTTOM
    canvas.saveState()
    canvas.setFillColor(NOTICE_PAPER[standing.state])
    canvas.setStrokeColor(ink)
    canvas.setLineWidth(1.4)
    canvas.rect(NOTICE_LEFT, NOTICE_BOTTOM, NOTICE_WIDTH, height, stroke=1, fill=1)
    canvas.setFillColor(ink)
    canvas.rect(NOTICE_LEFT, NOTICE_BOTTOM, 30 * mm, height, stroke=0, fill=1)
    centre = NOTICE_LEFT + 15 * mm
    size = 17 if len(zh) <= 3 else 14
    draw_bold_centred(canvas, zh, centre, NOTICE_BOTTOM + height / 2 + 0.5 * mm, size, colors.white)
    canvas.setFont(LATIN_SERIF_BOLD, 8.5)
    canvas.drawCentredString(centre, NOTICE_BOTTOM + height / 2 - 5 * mm, en.title())
    canvas.restoreState()
    left, top = NOTICE_LEFT + 33 * mm, NOTICE_TOP - 1 * mm
    width, room = NOTICE_WIDTH - 36 * mm, height - 2 * mm
    paragraph = _notice_paragraph(standing, width, room)
    _, used = paragraph.wrap(width, room)
    paragraph.drawOn(canvas, left, top - (room + used) / 2)


def _notice_paragraph(standing: Standing, width: float, height: float) -> Paragraph:
    """The notice's sentences at the largest size that fits; a long reason is shortened, never the
    rest (the verification page shows the reason whole)."""
    reason = standing.reason
    while True:
        shown = dataclasses.replace(standing, reason=reason)
        markup = "<br/>".join(paragraph_markup(sentence) for sentence in standing_sentences(shown))
        for size in (10, 9, 8, 7):
            paragraph = Paragraph(markup, _style(f"notice-{size}", size, textColor=INK))
            if paragraph.wrap(width, height)[1] <= height or not reason:
                return paragraph
        keep = int(len(reason.removesuffix(REASON_CUT)) * 0.8)
        reason = reason[:keep].rstrip() + REASON_CUT if keep > 1 else ""


def _draw_stamp(canvas: Canvas, standing: Standing) -> None:
    """A large diagonal stamp across the page, translucent so the certificate stays readable."""
    zh, en = STAMP_WORDS[standing.state]
    solid = STAMP_INKS[standing.state]
    # The alpha travels with the colour: ReportLab sets the fill and stroke alpha from it.
    ink = colors.Color(solid.red, solid.green, solid.blue, alpha=0.55)
    zh_size, zh_spacing, en_size = 60, 14, 22
    zh_width = canvas.stringWidth(zh, CJK_FONT, zh_size) + zh_spacing * (len(zh) - 1)
    en_text = " ".join(en)  # letter-spaced, as stamps are cut
    width = max(zh_width, canvas.stringWidth(en_text, LATIN_SERIF_BOLD, en_size)) + 24 * mm
    height = 58 * mm
    canvas.saveState()
    canvas.translate(PAGE_WIDTH / 2 + 6 * mm, 110 * mm)
    canvas.rotate(16)
    canvas.setStrokeColor(ink)
    canvas.setLineWidth(3.2)
    canvas.roundRect(-width / 2, -height / 2, width, height, 4 * mm, stroke=1, fill=0)
    canvas.setLineWidth(1)
    canvas.roundRect(
        -width / 2 + 2.2 * mm, -height / 2 + 2.2 * mm, width - 4.4 * mm, height - 4.4 * mm, 3 * mm
    )
    draw_bold_centred(canvas, zh, 0, 4 * mm, zh_size, ink, spacing=zh_spacing)
    canvas.setFillColor(ink)
    canvas.setFont(LATIN_SERIF_BOLD, en_size)
    canvas.drawCentredString(0, -10 * mm, en_text)
    if standing.on:
        draw_mixed_string(canvas, 0, -20.5 * mm, format_date_zh(standing.on), 14, anchor="centre")
    canvas.restoreState()


def _style(name: str, size: float, **options) -> ParagraphStyle:
    return cjk_style(name, size, 1.25, **options)


def _draw_fitted_paragraph(
    canvas: Canvas,
    text: str,
    style: ParagraphStyle,
    x: float,
    top: float,
    width: float,
    height: float,
    min_size: float,
) -> None:
    """Draw user text in the box, shrinking the font and, as a last resort, shortening the text."""
    size = style.fontSize
    while True:
        fitted = ParagraphStyle(f"{style.name}-{size}", parent=style, fontSize=size, leading=size * 1.25)
        paragraph = Paragraph(paragraph_markup(text), fitted)
        _, used = paragraph.wrap(width, height)
        if used <= height or size <= min_size:
            break
        size -= 1
    keep = len(text)
    while used > height and keep > 1:
        keep = int(keep * 0.8)
        paragraph = Paragraph(paragraph_markup(text[:keep].rstrip() + "…"), fitted)
        _, used = paragraph.wrap(width, height)
    paragraph.drawOn(canvas, x, top - (height + used) / 2)
