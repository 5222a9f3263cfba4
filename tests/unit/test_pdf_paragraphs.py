"""The faster paragraphs of the inspection report lay out exactly what ReportLab's own would."""

import dataclasses
from datetime import datetime
from decimal import Decimal

import pytest
from PIL import ImageChops
from reportlab.platypus import Paragraph as PlatypusParagraph

from outlet_audit.pdf import paragraphs
from outlet_audit.pdf.fonts import bilingual_label, paragraph_markup, register_fonts
from outlet_audit.reports import report_pdf
from outlet_audit.reports.report_pdf import ReportItem, ReportSection, render_inspection_report
from tests.pdf_helpers import HOSTILE_NAME, photo_jpeg, render_pages, sample_report, sample_visit

TEXTS = [
    "",
    " ",
    "\n",
    "是 Yes",
    "8 / 8",
    "现场核实，负责人在场确认。已拍照留存。",
    HOSTILE_NAME,
    "备注 <br/> & <para>\x00 &amp; &lt;b&gt; &#39; \"q\" 'a'",
    "  前后空白  \n\n  第三行\t制表 tab\u3000全角空格 \xa0nbsp  ",
    "Long English sentence without any Chinese in it, so that it has to break between words. " * 4,
    "使用“瘦身胶带”（宽度不超过45毫米）ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789" * 3,
    "抽查记录：" + "胶带宽度合格，" * 60 + "END",
    "。，、；：？！）」』】" * 8,
    "a\r\nb\rc",
]
STYLES = [
    report_pdf.CELL,
    report_pdf.CELL_CENTRE,
    report_pdf.MUTED_CELL,
    report_pdf.HEADING,
    report_pdf.WARNING,
]
WIDTHS = [20.0, 56.03149606299213, 124.06299212598427, 481.8897637795275]


@pytest.fixture(autouse=True, scope="module")
def fonts():
    register_fonts()


def _frags(paragraph) -> list[dict]:
    return [dict(frag.__dict__) for frag in paragraph.frags]


def _lines(paragraph, width: float):
    """Everything the drawing reads of a wrapped paragraph."""
    size = paragraph.wrap(width, 10_000)
    lines = []
    for line in paragraph.blPara.lines:
        if isinstance(line, tuple):  # one fragment: ReportLab's own (kind 0) lines
            lines.append(line)
            continue
        words = [
            (w.text, w.fontName, w.fontSize, str(w.textColor), getattr(w, "lineBreak", False))
            for w in line.words
        ]
        facts = ("extraSpace", "currentWidth", "maxWidth", "fontSize", "ascent", "descent", "lineBreak")
        lines.append((words, [getattr(line, fact) for fact in facts], line.wordCount))
    return size, paragraph.blPara.kind, lines


@pytest.mark.parametrize("style", STYLES, ids=lambda style: style.name)
@pytest.mark.parametrize("text", TEXTS)
def test_text_fragments_and_lines_are_the_parsers(text, style):
    ours = paragraphs.text_paragraph(text, style)
    theirs = PlatypusParagraph(paragraph_markup(text), style)
    assert _frags(ours) == _frags(theirs)
    assert ours.text == theirs.text
    for width in WIDTHS:
        assert _lines(ours, width) == _lines(theirs, width)


@pytest.mark.parametrize("text", TEXTS[1:])
def test_a_labelled_text_is_the_parsers(text):
    lead = f'<font color="#1F5132">{paragraph_markup("备注 Note（续 cont.）")}：</font>'
    ours = paragraphs.text_paragraph(text.strip(), report_pdf.CELL, lead=lead)
    theirs = PlatypusParagraph(lead + paragraph_markup(text.strip()), report_pdf.CELL)
    assert _frags(ours) == _frags(theirs)
    assert _lines(ours, WIDTHS[2]) == _lines(theirs, WIDTHS[2])


def test_labels_are_parsed_once_and_never_share_their_fragments():
    markup = bilingual_label("编号", "Code")
    first = paragraphs.label_paragraph(markup, report_pdf.LABEL)
    second = paragraphs.label_paragraph(markup, report_pdf.LABEL)
    assert _frags(first) == _frags(PlatypusParagraph(markup, report_pdf.LABEL))
    assert _frags(first) == _frags(second)
    assert not {id(frag) for frag in first.frags} & {id(frag) for frag in second.frags}
    first.frags[0].text = "改"
    assert paragraphs.label_paragraph(markup, report_pdf.LABEL).frags[0].text == "编号"


def test_a_paragraph_lines_up_again_at_another_width_and_after_a_failed_split():
    paragraph = paragraphs.text_paragraph("胶带宽度合格，" * 40, report_pdf.CELL)
    _, wide_height = paragraph.wrap(WIDTHS[3], 10_000)
    _, narrow_height = paragraph.wrap(WIDTHS[1], 10_000)
    assert narrow_height > wide_height
    assert paragraph.wrap(WIDTHS[1] + 1e-9, 10_000)[1] == narrow_height
    assert paragraph.split(WIDTHS[1], 1) == []  # no room for a line: ReportLab drops the lines
    assert paragraph.wrap(WIDTHS[1], 10_000)[1] == narrow_height
    assert paragraph.blPara.lines


def _stock_report_pdf(data, monkeypatch) -> bytes:
    """The report laid out with ReportLab's Paragraph and parser for every paragraph."""
    with monkeypatch.context() as patch:
        patch.setattr(report_pdf, "Paragraph", PlatypusParagraph)
        patch.setattr(
            report_pdf,
            "text_paragraph",
            lambda text, style, lead="": PlatypusParagraph(lead + paragraph_markup(text), style),
        )
        patch.setattr(report_pdf, "label_paragraph", PlatypusParagraph)
        return render_inspection_report(data)


def _rich_report():
    """Long and hostile texts in every kind of cell, photos, a veto, N/A, findings and changes."""
    item = ReportItem(
        code="A1",
        title=HOSTILE_NAME * 3,
        answer="长回答 long answer " * 30,
        points_earned=Decimal(1),
        points_possible=Decimal(5),
        veto_triggered=True,
        note="抽查记录：" + "胶带宽度合格，" * 200 + "\n" + HOSTILE_NAME,
        thumbnails=(photo_jpeg(1), photo_jpeg(2)),
    )
    na_item = dataclasses.replace(item, code="A2", not_applicable=True, veto_triggered=False, note="")
    section = ReportSection("A", "瘦身胶带 <i>Tape</i>", (item, na_item), Decimal(1), Decimal(5))
    change = report_pdf.ReportChange("A1", "胶带", "否 No", "是 Yes\n备注", "王建国", datetime(2025, 4, 1, 9))
    finding = report_pdf.ReportFinding("A1", "胶带", "否 No", "ordered", "注意 " * 150, "ZG-1")
    second = sample_visit(
        sequence=2, visit_type="reinspection", compared_with=1, changes=(change,), findings=(finding,)
    )
    return sample_report(outlet_name=HOSTILE_NAME * 4, visits=(sample_visit(sections=(section,)), second))


REPORTS = [_rich_report(), sample_report(items_per_section=10)]


@pytest.mark.parametrize("data", REPORTS, ids=["rich", "long"])
def test_the_report_is_byte_for_byte_what_reportlabs_paragraphs_make(data, monkeypatch):
    """Fragments, lines and text operators exactly ReportLab's: only where a paragraph is placed
    differs (no move of the origin), so that is taken back for this comparison."""
    with monkeypatch.context() as patch:
        patch.setattr(paragraphs.Paragraph, "drawOn", PlatypusParagraph.drawOn)
        ours = render_inspection_report(data)
    assert ours == _stock_report_pdf(data, monkeypatch)


@pytest.mark.parametrize("data", REPORTS, ids=["rich", "long"])
def test_the_report_looks_exactly_as_with_reportlabs_paragraphs(data, monkeypatch):
    ours = render_pages(render_inspection_report(data), resolution=100)
    stock = render_pages(_stock_report_pdf(data, monkeypatch), resolution=100)
    assert len(ours) == len(stock) > 1
    for page, (mine, theirs) in enumerate(zip(ours, stock, strict=True), start=1):
        assert ImageChops.difference(mine, theirs).getbbox() is None, f"page {page} differs"
