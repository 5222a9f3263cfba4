"""The rectification notice (整改通知书) as an A4 PDF, in the certificate's look: the bureau orders
the outlet to rectify the listed findings of one inspection by a date.

Pure: data in, bytes out; the same `NoticeData` always gives the same bytes. Fixed words are
printed in Chinese and English; the criteria's texts and the answers come already chosen for the
reader's language (`notice_data`). A typical notice (a few items) fills one page; a long one
continues on the next pages, each with the border, the number and the page count.
"""

from dataclasses import dataclass
from datetime import date, datetime
from functools import partial
from io import BytesIO

from reportlab.lib.pagesizes import A4
from reportlab.lib.units import mm
from reportlab.platypus import Flowable, KeepTogether, Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

from outlet_audit.pdf.fonts import (
    LATIN_SERIF_ITALIC,
    bilingual_label,
    clean_text,
    draw_mixed_string,
    format_date,
    format_date_zh,
    paragraph_markup,
    register_fonts,
)
from outlet_audit.pdf.letter import (
    ADDRESSEE,
    BODY,
    CELL,
    DEADLINE,
    LABEL,
    IssuerSeal,
    details_table,
    draw_letter_paper,
    english_line,
    letter_style,
    letter_text,
)
from outlet_audit.pdf.official import (
    BORDER_RED,
    GOLD,
    INK,
    MUTED,
    RULE,
    draw_bold_centred,
)
from outlet_audit.pdf.pages import NumberedCanvas

PAGE_WIDTH, PAGE_HEIGHT = A4
MARGIN = 20 * mm
CONTENT_WIDTH = PAGE_WIDTH - 2 * MARGIN
ITEM_WIDTHS = (11 * mm, 84 * mm, CONTENT_WIDTH - 95 * mm)
TEXT_LIMIT = 2000  # a note or an instruction longer than this is cut (the full text is in the system)


@dataclass(frozen=True)
class NoticeItem:
    """One finding the outlet must rectify."""

    code: str
    title: str  # the criteria item's title, in the reader's language
    requirement: str  # what the item asks for (its guidance)
    found: str  # the answer at the inspection, as displayed
    note: str = ""  # the inspector's note


@dataclass(frozen=True)
class NoticeData:
    number: str  # e.g. ZG-2026-FX-000012
    outlet_name: str
    outlet_address: str
    permit_number: str
    application_number: str
    criteria_title_zh: str
    criteria_title_en: str
    inspected_on: date | None  # the day the findings were recorded
    record_sequence: int  # the inspection record they come from
    issuing_bureau: str
    issued_at: datetime  # naive Shanghai time; also the PDF's date
    due_on: date
    instructions: str
    items: tuple[NoticeItem, ...]


def render_rectification_notice(data: NoticeData) -> bytes:
    """Lay out the notice and return the PDF bytes."""
    register_fonts()
    buffer = BytesIO()
    document = SimpleDocTemplate(
        buffer,
        pagesize=A4,
        leftMargin=MARGIN,
        rightMargin=MARGIN,
        topMargin=20 * mm,
        bottomMargin=22 * mm,
        invariant=True,
        title=f"整改通知书 {data.number}",
        author=clean_text(data.issuing_bureau),
        subject="Rectification Notice",
        creator="outlet-audit",
    )
    document.build(
        _story(data),
        onFirstPage=draw_letter_paper,
        onLaterPages=draw_letter_paper,
        canvasmaker=partial(_NoticeCanvas, notice=data, dated=data.issued_at),
    )
    return buffer.getvalue()


class _NoticeCanvas(NumberedCanvas):
    def __init__(self, *args, notice: NoticeData, **kwargs):
        super().__init__(*args, **kwargs)
        self._notice = notice

    def decorate(self, number: int, total: int) -> None:
        self.setFillColor(MUTED)
        bottom = 14 * mm
        draw_mixed_string(
            self, MARGIN, bottom, f"整改通知书 Rectification Notice  {self._notice.number}", 7.5
        )
        pages = f"第 {number} 页 / 共 {total} 页  Page {number} of {total}"
        draw_mixed_string(self, PAGE_WIDTH - MARGIN, bottom, pages, 7.5, anchor="right")


SMALL = letter_style("small", 7.5, textColor=MUTED)


def _text(text: str, style=CELL, limit: int = TEXT_LIMIT) -> Paragraph:
    return letter_text(text, style, limit)


def _english(text: str) -> Paragraph:
    return english_line(text)


def _story(data: NoticeData) -> list:
    count = len(data.items)
    inspected_zh = format_date_zh(data.inspected_on) if data.inspected_on else f"第 {data.record_sequence} 次"
    inspected_en = (
        f"of {format_date(data.inspected_on)}" if data.inspected_on else f"no. {data.record_sequence}"
    )
    story: list = [
        _Heading(data.number),
        _text(f"致 To：{data.outlet_name}", ADDRESSEE, limit=300),
        Spacer(0, 2 * mm),
        _details(data),
        Spacer(0, 4 * mm),
        _text(
            f"经{inspected_zh}现场检查，你网点下列 {count} 项未达到《{data.criteria_title_zh}》的要求。"
            f"请于 {format_date_zh(data.due_on)} 前完成整改，并在系统中逐项填报整改责任人、整改情况及"
            "整改后的照片或材料。检查员将逐项核查整改结果。",
            BODY,
        ),
        _english(
            f"The on-site inspection {inspected_en} found that the {count} item(s) below do not meet the "
            f"{data.criteria_title_en}. Rectify them by {format_date(data.due_on)} and answer each item in "
            "the system: the person responsible, what was done, and photos or documents of the result. "
            "The inspectors will verify each item."
        ),
        Spacer(0, 4 * mm),
        _items(data.items),
        Spacer(0, 5 * mm),
    ]
    closing = [
        Paragraph(
            f'整改期限 <font name="{LATIN_SERIF_ITALIC}" size="9">Deadline</font>：'
            + paragraph_markup(f"{format_date_zh(data.due_on)}（{format_date(data.due_on)}）"),
            DEADLINE,
        )
    ]
    if data.instructions.strip():
        closing += [
            Spacer(0, 3 * mm),
            Paragraph(bilingual_label("管理局要求", "Instructions from the bureau"), LABEL),
            _text(data.instructions, BODY),
        ]
    closing.append(IssuerSeal(data.issuing_bureau, data.issued_at.date()))
    story.append(KeepTogether(closing))
    return story


def _details(data: NoticeData) -> Table:
    record = f"第 {data.record_sequence} 次检查记录 record {data.record_sequence}"
    inspected = f"{format_date_zh(data.inspected_on)}（{record}）" if data.inspected_on else record
    rows = (
        ("网点名称", "Outlet", data.outlet_name),
        ("网点地址", "Address", data.outlet_address),
        ("经营许可证号", "Permit no.", data.permit_number),
        ("申请编号", "Application no.", data.application_number),
        ("检查日期", "Inspected on", inspected),
    )
    return details_table(rows, CONTENT_WIDTH)


def _items(items: tuple[NoticeItem, ...]) -> Table:
    rows = [
        [
            Paragraph(bilingual_label("序号", "No."), LABEL),
            Paragraph(bilingual_label("整改项目及要求", "Item and requirement"), LABEL),
            Paragraph(bilingual_label("检查发现", "Found at the inspection"), LABEL),
        ]
    ]
    for number, item in enumerate(items, start=1):
        found = [_text(item.found or "—", CELL, limit=400)]
        if item.note.strip():
            found.append(_text(f"检查员备注 Note：{item.note}", SMALL))
        rows.append(
            [
                _text(str(number), CELL),
                [_text(f"{item.code}  {item.title}", CELL, limit=400), _text(item.requirement, SMALL)],
                found,
            ]
        )
    table = Table(rows, colWidths=ITEM_WIDTHS, repeatRows=1)
    table.setStyle(
        TableStyle(
            [
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
                ("LINEABOVE", (0, 0), (-1, 0), 1.2, BORDER_RED),
                ("LINEBELOW", (0, 0), (-1, 0), 0.6, GOLD),
                ("LINEBELOW", (0, 1), (-1, -1), 0.4, RULE),
                ("LINEBELOW", (0, -1), (-1, -1), 1.2, BORDER_RED),
                ("TOPPADDING", (0, 0), (-1, -1), 3),
                ("BOTTOMPADDING", (0, 0), (-1, -1), 3),
            ]
        )
    )
    return table


class _Heading(Flowable):
    """The notice's title in the certificate's manner, with its number at the top right."""

    HEIGHT = 34 * mm

    def __init__(self, number: str):
        super().__init__()
        self.number = number

    def wrap(self, available_width, available_height):
        self.width = available_width
        return available_width, self.HEIGHT

    def draw(self):
        canvas, centre, top = self.canv, self.width / 2, self.HEIGHT
        canvas.setFillColor(INK)
        draw_mixed_string(canvas, self.width, top - 3 * mm, "通知书编号 No.", 8.5, anchor="right")
        draw_mixed_string(canvas, self.width, top - 8 * mm, self.number, 10.5, anchor="right")
        draw_bold_centred(canvas, "整改通知书", centre, top - 19 * mm, 28, BORDER_RED, spacing=8)
        canvas.setFillColor(MUTED)
        canvas.setFont(LATIN_SERIF_ITALIC, 11.5)
        canvas.drawCentredString(centre, top - 26 * mm, "Rectification Notice")
        canvas.setStrokeColor(GOLD)
        canvas.setLineWidth(0.8)
        canvas.line(centre - 45 * mm, top - 29.5 * mm, centre + 45 * mm, top - 29.5 * mm)
