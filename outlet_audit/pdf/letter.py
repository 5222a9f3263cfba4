"""The official letter's paper and seal, shared by the notices the bureaus send (整改通知书, 告知书,
决定书): the certificate's paper with its double red border and corner ornaments, and the issuing
bureau's name, the date and its red seal at the foot. Pure: ReportLab only.
"""

from collections.abc import Iterable
from datetime import date
from xml.sax.saxutils import escape

from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.platypus import Flowable, Paragraph, Table, TableStyle

from outlet_audit.pdf.fonts import (
    CJK_FONT,
    LATIN_SERIF_ITALIC,
    bilingual_label,
    cjk_style,
    clean_text,
    draw_mixed_string,
    format_date,
    format_date_zh,
    paragraph_markup,
)
from outlet_audit.pdf.official import BORDER_RED, INK, MUTED, PAPER, RULE, draw_corner_ornament, draw_seal

PAGE_WIDTH, PAGE_HEIGHT = A4
BUREAU_STYLE = cjk_style("bureau", 12, 1.35, textColor=INK, alignment=1)


def letter_style(name: str, size: float, **options):
    return cjk_style(name, size, 1.35, textColor=options.pop("textColor", INK), **options)


# The letters' type: body text, the italic English beside it, table cells and their labels, the
# addressee, and the deadline printed in red.
BODY = letter_style("body", 10.5)
ENGLISH = ParagraphStyle("english", fontName=LATIN_SERIF_ITALIC, fontSize=8.5, leading=11, textColor=MUTED)
CELL = letter_style("cell", 9)
LABEL = letter_style("label", 9)
ADDRESSEE = letter_style("addressee", 12.5, spaceBefore=2 * mm)
DEADLINE = letter_style("deadline", 13, textColor=BORDER_RED)


def letter_text(text: str, style, limit: int) -> Paragraph:
    """Typed or criteria text, printed literally (escaped, line breaks kept), cut at `limit`."""
    text = text if len(text) <= limit else text[:limit] + "…"
    return Paragraph(paragraph_markup(text), style)


def english_line(text: str) -> Paragraph:
    """Our fixed English sentences, in italics (the values in them are ASCII or left as they are)."""
    return Paragraph(escape(clean_text(text)), ENGLISH)


def details_table(rows: Iterable[tuple[str, str, str]], width: float) -> Table:
    """The letter's particulars: a bilingual label (zh, en) and its value on each ruled line."""
    table = Table(
        [
            [Paragraph(bilingual_label(zh, en), LABEL), letter_text(value, CELL, 400)]
            for zh, en, value in rows
        ],
        colWidths=(32 * mm, width - 32 * mm),
    )
    table.setStyle(
        TableStyle(
            [
                ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
                ("LINEBELOW", (0, 0), (-1, -1), 0.4, RULE),
                ("TOPPADDING", (0, 0), (-1, -1), 2),
                ("BOTTOMPADDING", (0, 0), (-1, -1), 2),
                ("LEFTPADDING", (0, 0), (-1, -1), 2),
            ]
        )
    )
    return table


def draw_letter_paper(canvas, _document) -> None:
    """The certificate's paper and double red border with its corner ornaments, under every page."""
    canvas.saveState()
    canvas.setFillColor(PAPER)
    canvas.rect(0, 0, PAGE_WIDTH, PAGE_HEIGHT, stroke=0, fill=1)
    outer, inner = 7 * mm, 10 * mm
    canvas.setStrokeColor(BORDER_RED)
    canvas.setLineWidth(2.4)
    canvas.rect(outer, outer, PAGE_WIDTH - 2 * outer, PAGE_HEIGHT - 2 * outer)
    canvas.setLineWidth(0.8)
    canvas.rect(inner, inner, PAGE_WIDTH - 2 * inner, PAGE_HEIGHT - 2 * inner)
    for x, y, sx, sy in (
        (inner, inner, 1, 1),
        (PAGE_WIDTH - inner, inner, -1, 1),
        (inner, PAGE_HEIGHT - inner, 1, -1),
        (PAGE_WIDTH - inner, PAGE_HEIGHT - inner, -1, -1),
    ):
        draw_corner_ornament(canvas, x, y, sx, sy)
    canvas.restoreState()


class IssuerSeal(Flowable):
    """The issuing bureau and the date of issue at the right, its red seal beside them."""

    HEIGHT = 40 * mm

    def __init__(self, bureau: str, issued_on: date):
        super().__init__()
        self.bureau, self.issued_on = bureau, issued_on

    def wrap(self, available_width, available_height):
        self.width = available_width
        return available_width, self.HEIGHT

    def draw(self):
        canvas, top = self.canv, self.HEIGHT
        centre = self.width - 36 * mm
        canvas.setFillColor(MUTED)
        draw_mixed_string(canvas, centre, top - 8 * mm, "发文机关 Issued by", 8.5, anchor="centre")
        bureau = Paragraph(paragraph_markup(self.bureau), BUREAU_STYLE)
        _, used = bureau.wrap(72 * mm, 14 * mm)
        bureau.drawOn(canvas, centre - 36 * mm, top - 10 * mm - used)
        canvas.setFillColor(INK)
        canvas.setFont(CJK_FONT, 11)
        canvas.drawCentredString(centre, top - 27 * mm, format_date_zh(self.issued_on))
        canvas.setFillColor(MUTED)
        canvas.setFont(LATIN_SERIF_ITALIC, 8.5)
        canvas.drawCentredString(centre, top - 31.5 * mm, format_date(self.issued_on))
        draw_seal(canvas, clean_text(self.bureau), centre - 58 * mm, top - 20 * mm, 17 * mm)
