"""The inspection report: the whole scored checklist of one application as an A4 PDF.

Pure: data in, bytes out. The web layer fills `ReportData` from the database with
answers, titles and decisions already formatted and translated; this module only lays
them out. Same data, same bytes.
"""

import hashlib
import warnings
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from functools import cached_property, partial
from io import BytesIO

from PIL import Image as PILImage
from PIL import ImageOps
from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.lib.utils import ImageReader
from reportlab.pdfbase import pdfmetrics
from reportlab.platypus import (
    CondPageBreak,
    Flowable,
    KeepTogether,
    SimpleDocTemplate,
    Spacer,
    Table,
    TableStyle,
)

from outlet_audit.pdf.fonts import (
    CJK_FONT,
    LATIN_SERIF_BOLD,
    bilingual_label,
    cjk_style,
    format_date,
    format_datetime,
    format_points,
    mixed_string_width,
    paragraph_markup,
    register_fonts,
    text_runs,
)
from outlet_audit.pdf.pages import NumberedCanvas
from outlet_audit.pdf.paragraphs import Paragraph, label_paragraph, text_paragraph
from outlet_audit.workflow.states import LEVEL_LABELS

MAX_THUMBNAILS_PER_ITEM = 4
THUMBNAIL_PIXELS = 320  # longest side after downscaling; keeps the PDF small
THUMBNAIL_HEIGHT = 22 * mm
LONG_ANSWER_CHARS = 160  # longer answers move to a full-width row below the item
CHUNK_CHARS = 600  # a table row cannot break across pages, so long texts are split into rows
HEADER_VALUE_CHARS = 1000

PAGE_WIDTH, PAGE_HEIGHT = A4
MARGIN = 15 * mm
CONTENT_WIDTH = PAGE_WIDTH - 2 * MARGIN
COLUMN_WIDTHS = (14 * mm, 64 * mm, 48 * mm, 24 * mm, 15 * mm, 15 * mm)
LABELLED_WIDTHS = (40 * mm, CONTENT_WIDTH - 40 * mm)
GRID = colors.HexColor("#B9C4BC")
HEAD_FILL = colors.HexColor("#E3EEE6")
SECTION_FILL = colors.HexColor("#1F5132")
VISIT_FILL = colors.HexColor("#2E4A3A")
SUBTOTAL_FILL = colors.HexColor("#F1F3F2")
VETO_FILL = colors.HexColor("#FBE3E1")
VETO_RED = colors.HexColor("#B3201A")
MUTED = colors.HexColor("#666666")


@dataclass(frozen=True)
class ReportItem:
    code: str
    title: str  # already translated
    answer: str  # already formatted, e.g. "是 Yes" or "42 mm"
    points_earned: Decimal
    points_possible: Decimal
    not_applicable: bool = False
    veto_triggered: bool = False  # this item is a veto (一票否决) finding
    note: str = ""  # inspector's note
    thumbnails: tuple[bytes, ...] = ()  # evidence photos as JPEG (or any Pillow-readable) bytes
    # (copy, original): a photo marked on the phone and the one it marks, by their places among the
    # item's photos as printed (its own first, then the carried ones), counted from 1
    marked_copies: tuple[tuple[int, int], ...] = ()
    # photos carried into this record from earlier ones, and the numbers of those records
    carried_thumbnails: tuple[bytes, ...] = ()
    carried_from: tuple[int, ...] = ()


@dataclass(frozen=True)
class ReportSection:
    code: str
    title: str
    items: tuple[ReportItem, ...]
    points_earned: Decimal
    points_possible: Decimal


@dataclass(frozen=True)
class LevelShortfall:
    level: str  # "district" or "city"
    reasons: tuple[str, ...]  # already translated


@dataclass(frozen=True)
class MemberSignature:
    """One inspector of a record's team: their organisation (in the reader's language) and when they
    signed. `signed_at` None: not yet (`InspectorSignOff.awaiting`), else never separately (a record
    signed for its team before each inspector signed)."""

    name: str
    organisation: str
    signed_at: datetime | None
    signature_png: bytes | None = None


@dataclass(frozen=True)
class InspectorSignOff:
    names: tuple[str, ...]
    signed_at: datetime  # the first signature: it locked the record
    signature_png: bytes | None = None
    outlet_representative: str = ""  # present at the sign-off
    members: tuple[MemberSignature, ...] = ()  # each inspector of the team with their signature
    joint: bool = False  # the team has inspectors of more than one agency
    awaiting: bool = False  # signed by part of the team: the others have yet to sign


@dataclass(frozen=True)
class ReportChange:
    """One answer a record changed: against the record it corrects, or the visit before it."""

    code: str
    title: str
    before: str  # the answer as it stood, with its note
    after: str
    changed_by: str
    changed_at: datetime | None


@dataclass(frozen=True)
class ReportCheck:
    """An inspector's verification of a finding made at an earlier record."""

    code: str
    title: str
    found_at: int | None  # the number of the record that made the finding
    closed: bool
    method: str  # a VerificationMethod value: "desk" or "on_site"
    note: str
    checked_by: str
    checked_at: datetime


@dataclass(frozen=True)
class ReportFinding:
    """An item not at full marks at a record, and what became of it."""

    code: str
    title: str
    found: str  # the answer at the record
    status: str  # a FindingStatus value
    note: str = ""  # the inspector's note on the item
    notice_number: str = ""
    due_on: date | None = None
    responsible_person: str = ""
    response: str = ""  # what the outlet did
    responded_at: datetime | None = None
    photos: tuple[bytes, ...] = ()  # the outlet's photos of the rectification
    documents: tuple[str, ...] = ()  # the names of its other files


@dataclass(frozen=True)
class ReportVisit:
    """One inspection record: a visit, or a correction of one, with everything it holds."""

    sequence: int
    visit_type: str  # a VisitType value: "initial" or "reinspection"
    dates: tuple[date, ...]
    inspectors: tuple[str, ...]
    sections: tuple[ReportSection, ...]
    total_points: Decimal
    possible_points: Decimal
    bonus_points: Decimal
    final_score: Decimal
    veto_findings: tuple[str, ...]
    level_reached: str | None  # "district", "city" or None
    levels_not_reached: tuple[LevelShortfall, ...]
    sign_off: InspectorSignOff | None = None
    amends: int | None = None  # the number of the record this one corrects
    amendment_reason: str = ""
    superseded_by: int | None = None  # the number of the signed record that corrected this one
    compared_with: int | None = None  # the record `changes` are read against
    changes: tuple[ReportChange, ...] = ()
    checks: tuple[ReportCheck, ...] = ()
    findings: tuple[ReportFinding, ...] = ()


@dataclass(frozen=True)
class ApprovalLine:
    """One signed approval step, its texts already bilingual where they are labels."""

    step: str  # e.g. "会签 Co-signature"
    organisation: str
    signer: str
    outcome: str  # e.g. "同意 Agreed"
    signed_at: datetime
    opinion: str


@dataclass(frozen=True)
class BureauDecision:
    decision: str  # already translated, e.g. "认定为区级 Certified, district level"
    bureau: str
    decided_by: str
    decided_at: datetime
    opinion: str = ""


@dataclass(frozen=True)
class ReportData:
    application_number: str
    outlet_name: str
    outlet_address: str
    brand: str
    district: str
    criteria_edition_id: str
    criteria_content_hash: str
    visits: tuple[ReportVisit, ...]  # every record the reader may see, in order; the last is current
    generated_at: datetime  # printed in the footer and used as the PDF date (naive = Shanghai time)
    decision: BureauDecision | None = None
    approval: tuple[ApprovalLine, ...] = ()  # every signed step, oldest first

    @property
    def current(self) -> ReportVisit | None:
        return self.visits[-1] if self.visits else None

    @property
    def dates(self) -> tuple[date, ...]:
        return tuple(sorted({day for visit in self.visits for day in visit.dates}))

    @property
    def inspectors(self) -> tuple[str, ...]:
        """Everyone who inspected, in the order they first appear."""
        return tuple(dict.fromkeys(name for visit in self.visits for name in visit.inspectors))


def render_inspection_report(data: ReportData) -> bytes:
    """Lay out the report and return the PDF bytes."""
    register_fonts()
    buffer = BytesIO()
    document = SimpleDocTemplate(
        buffer,
        pagesize=A4,
        leftMargin=MARGIN,
        rightMargin=MARGIN,
        topMargin=22 * mm,
        bottomMargin=18 * mm,
        invariant=True,
        title=f"无废快递网点现场评估报告 {data.application_number}",
        author=", ".join(data.inspectors),
        subject="Zero-Waste Express Delivery Outlet Inspection Report",
        creator="outlet-audit",
    )
    document.build(_story(data), canvasmaker=partial(_ReportCanvas, report=data, dated=data.generated_at))
    return buffer.getvalue()


class _ReportCanvas(NumberedCanvas):
    def __init__(self, *args, report: ReportData, **kwargs):
        super().__init__(*args, **kwargs)
        self._report = report

    def decorate(self, number: int, total: int) -> None:
        self._draw_running_header()
        self._draw_footer(number, total)

    @cached_property
    def _header_right(self) -> str:
        """The outlet's name (shortened to the room left) and the application number: the same on
        every page, so fitted once."""
        right = f"申请编号 No. {self._report.application_number}"
        right_width = mixed_string_width(right, 8.5)
        room = CONTENT_WIDTH - mixed_string_width("无废快递网点现场评估报告 Inspection Report", 9) - 12 * mm
        name = _shorten_to_width(self._report.outlet_name, room - right_width - 4 * mm, 8.5)
        return f"{name}  {right}"

    def _draw_line(self, x: float, y: float, text: str, size: float, anchor: str = "left") -> None:
        """`draw_mixed_string` as one text object: each run placed where it places it, without a
        text object and a font change of the page for every run (on every page)."""
        x -= {"left": 0, "right": mixed_string_width(text, size)}[anchor]
        line = self.beginText(x, y)
        for font, run in text_runs(text):
            line.setFont(font, size)
            line.setTextOrigin(x, y)
            line._textOut(run)
            x += pdfmetrics.stringWidth(run, font, size)
        self.drawText(line)

    def _draw_running_header(self):
        top = PAGE_HEIGHT - 13 * mm
        self.setFillColor(colors.black)
        self._draw_line(MARGIN, top, "无废快递网点现场评估报告 Inspection Report", 9)
        self._draw_line(PAGE_WIDTH - MARGIN, top, self._header_right, 8.5, anchor="right")
        self.setStrokeColor(GRID)
        self.setLineWidth(0.6)
        self.line(MARGIN, top - 2.5 * mm, PAGE_WIDTH - MARGIN, top - 2.5 * mm)

    def _draw_footer(self, number: int, total: int):
        report, bottom = self._report, 10 * mm
        self.setStrokeColor(GRID)
        self.line(MARGIN, bottom + 4 * mm, PAGE_WIDTH - MARGIN, bottom + 4 * mm)
        self.setFillColor(MUTED)
        self.setFont(CJK_FONT, 8)
        self.drawCentredString(PAGE_WIDTH / 2, bottom, f"第 {number} 页 / 共 {total} 页")
        stamp = f"{report.criteria_edition_id} | {format_datetime(report.generated_at)}"
        self._draw_line(MARGIN, bottom, stamp, 7.5)
        self._draw_line(PAGE_WIDTH - MARGIN, bottom, f"Page {number} of {total}", 7.5, anchor="right")


def _shorten_to_width(text: str, width: float, size: float) -> str:
    if mixed_string_width(text, size) <= width:
        return text
    text = text[: int(width / (size * 0.25))]  # no glyph is narrower than a quarter em
    while text and mixed_string_width(text + "…", size) > width:
        text = text[:-1]
    return text + "…"


def _style(name: str, size: float = 8.5, **options) -> ParagraphStyle:
    return cjk_style(name, size, 1.3, **options)


BODY = _style("body", 9)
CELL = _style("cell", 8.5)
CELL_CENTRE = _style("cell-centre", 8.5, alignment=1)
VETO_CELL = _style("veto", 8.5, alignment=1, textColor=VETO_RED)
LABEL = _style("label", 8.5, textColor=colors.HexColor("#333333"))
LABEL_CENTRE = _style("label-centre", 8.5, textColor=colors.HexColor("#333333"), alignment=1)
VETO_MARK = f'否决<br/><font name="{LATIN_SERIF_BOLD}" size="7">VETO</font>'
HEADING = _style("heading", 11.5, spaceBefore=5 * mm, spaceAfter=2 * mm, textColor=colors.HexColor("#1F5132"))
TITLE = _style("title", 18, alignment=1, leading=24)
SECTION_TITLE = _style("section-title", 11, textColor=colors.white)
LABEL_FILL = (("BACKGROUND", (0, 0), (0, -1), HEAD_FILL),)
SUBTITLE = _style("subtitle", 10, alignment=1, textColor=MUTED, spaceAfter=4 * mm)
VISIT_TITLE = _style("visit-title", 12, textColor=colors.white)
WARNING = _style("warning", 8.5, textColor=VETO_RED)
MUTED_CELL = _style("muted", 7.5, textColor=MUTED)
NUMBERED = _style("numbered", 9, leftIndent=5 * mm, firstLineIndent=-5 * mm)
LARGE = _style("large", 11)  # the final score and the level reached
DECISION = _style("decision", 10)


def _text(text: str, style: ParagraphStyle = CELL, limit: int | None = None) -> Paragraph:
    """A Paragraph that prints user or caller text literally."""
    if limit is not None and len(text) > limit:
        text = text[:limit] + "…"
    return text_paragraph(text, style)


def _label(zh: str, en: str, style: ParagraphStyle = LABEL) -> Paragraph:
    """A fixed bilingual label (our own markup, not user text)."""
    return label_paragraph(bilingual_label(zh, en), style)


def _heading(text: str) -> list:
    """A section heading that never stays alone at the foot of a page."""
    return [CondPageBreak(40 * mm), _text(text, HEADING, limit=300)]


def _story(data: ReportData) -> list:
    story = [
        _text("无废快递网点现场评估报告", TITLE),
        _text("Zero-Waste Express Delivery Outlet \u2014 On-site Inspection Report", SUBTITLE),
        _header_block(data),
    ]
    if not data.visits:
        story += [Spacer(0, 5 * mm), _text("尚无检查记录 No inspection record yet", BODY)]
    for visit in data.visits:
        story += _visit(visit, several=len(data.visits) > 1)
    story += _approval(data.approval)
    story += _decision(data.decision)
    return story


def _approval(lines: tuple[ApprovalLine, ...]) -> list:
    """The approval steps as signed: who, for which organisation, when, the outcome and the opinion."""
    if not lines:
        return []
    flowables = _heading("审批过程 Approval steps")
    for number, line in enumerate(lines, 1):
        rows = [
            [_label("步骤", "Step"), _text(f"{number}. {line.step}")],
            [_label("机关", "Organisation"), _text(line.organisation)],
            [_label("签署人", "Signed by"), _text(f"{line.signer} · {format_datetime(line.signed_at)}")],
            [_label("结果", "Outcome"), _text(line.outcome)],
            [_label("意见", "Opinion"), _text(line.opinion)],
        ]
        flowables.append(KeepTogether([_grid_table(rows, LABELLED_WIDTHS, LABEL_FILL), Spacer(0, 2 * mm)]))
    return flowables


def _visit(visit: ReportVisit, several: bool) -> list:
    """One record, in the order it happened: what it is, what it changed and verified, its
    checklist, its result and signatures, and the findings it made."""
    flowables = []
    if several:
        flowables += [CondPageBreak(90 * mm), Spacer(0, 6 * mm), _visit_band(visit), _visit_facts(visit)]
    flowables += _changes(visit)
    flowables += _checks(visit.checks)
    for section in visit.sections:
        flowables += [Spacer(0, 5 * mm), _section_table(section)]
    flowables += _results(visit)
    flowables += _sign_off(visit.sign_off)
    flowables += _findings(visit.findings)
    return flowables


VISIT_TYPES = {
    "initial": ("首次现场检查", "First inspection"),
    "reinspection": ("整改复查", "Re-inspection after rectification"),
}
METHODS = {"desk": ("书面核查", "Desk review"), "on_site": ("现场复查", "On site")}
CLOSED, NOT_CLOSED = ("已整改", "Closed"), ("未整改", "Not closed")
FINDING_STATUSES = {
    "open": ("待定", "Found"),
    "not_required": ("无需整改", "Rectification not required"),
    "ordered": ("待整改", "To rectify"),
    "answered": ("已答复", "Rectification answered"),
    "closed": ("已整改", "Verified closed"),
    "not_closed": ("未整改", "Not closed"),
}


def _visit_title(visit: ReportVisit) -> str:
    if visit.amends is not None:
        kind = f"更正第 {visit.amends} 次记录 Correction of record {visit.amends}"
    else:
        zh, en = VISIT_TYPES.get(visit.visit_type, (visit.visit_type, visit.visit_type))
        kind = f"{zh} {en}"
    return f"第 {visit.sequence} 次检查记录 Record {visit.sequence} \u2014 {kind}"


def _visit_band(visit: ReportVisit) -> Table:
    band = Table([[_text(_visit_title(visit), VISIT_TITLE, limit=300)]], colWidths=(CONTENT_WIDTH,))
    band.setStyle(
        TableStyle([("BACKGROUND", (0, 0), (-1, -1), VISIT_FILL), ("TOPPADDING", (0, 0), (-1, -1), 4)])
    )
    return band


def _visit_facts(visit: ReportVisit) -> Table:
    level = _level_label(visit.level_reached) if visit.level_reached else "未达到 None"
    joint = "（联合检查组 joint team）" if visit.sign_off is not None and visit.sign_off.joint else ""
    rows = [
        [
            _label("检查日期", "Date(s)"),
            _text("、".join(format_date(day) for day in visit.dates) or "—"),
            _label("检查员", "Inspectors"),
            _text(("、".join(visit.inspectors) or "—") + joint),
        ],
        [
            _label("得分", "Score"),
            _text(f"{format_points(visit.final_score)} / {format_points(visit.possible_points)}"),
            _label("达到等级", "Level reached"),
            _text(level),
        ],
    ]
    representative = visit.sign_off.outlet_representative if visit.sign_off else ""
    rows.append([_label("网点代表", "Outlet representative"), _text(representative or "—"), "", ""])
    spans = [("SPAN", (1, 2), (3, 2))]
    if visit.amends is not None:
        rows.append([_label("更正原因", "Reason for the correction"), _text(visit.amendment_reason), "", ""])
        spans.append(("SPAN", (1, len(rows) - 1), (3, len(rows) - 1)))
    if visit.superseded_by is not None:
        note = f"已被第 {visit.superseded_by} 次记录更正 Corrected by record {visit.superseded_by}"
        rows.append([_label("状态", "State"), _text(note, WARNING), "", ""])
        spans.append(("SPAN", (1, len(rows) - 1), (3, len(rows) - 1)))
    if visit.sign_off is None:
        rows.append([_label("状态", "State"), _text("尚未签署 Not signed yet", WARNING), "", ""])
        spans.append(("SPAN", (1, len(rows) - 1), (3, len(rows) - 1)))
    elif visit.sign_off.awaiting:
        note = "待其他检查员签署 Awaiting the other inspectors' signatures"
        rows.append([_label("状态", "State"), _text(note, WARNING), "", ""])
        spans.append(("SPAN", (1, len(rows) - 1), (3, len(rows) - 1)))
    fill = [("BACKGROUND", (0, 0), (0, -1), HEAD_FILL), ("BACKGROUND", (2, 0), (2, 1), HEAD_FILL)]
    return _grid_table(rows, (26 * mm, 64 * mm, 26 * mm, 64 * mm), [*fill, *spans])


def _changes(visit: ReportVisit) -> list:
    if visit.compared_with is None:
        return []
    if visit.amends is not None:
        heading = f"更正内容 What the correction changed in record {visit.amends}"
    else:
        heading = f"与第 {visit.compared_with} 次记录相比的变化 Changed since record {visit.compared_with}"
    flowables = _heading(heading)
    if not visit.changes:
        return [*flowables, _text("无变化 No answer changed", BODY)]
    rows = [
        [
            _label("编号", "Code"),
            _label("评估项目", "Item"),
            _label("原回答", "Before"),
            _label("新回答", "After"),
            _label("修改人", "Changed by"),
        ]
    ]
    for change in visit.changes:
        when = format_datetime(change.changed_at) if change.changed_at else ""
        rows.append(
            [
                _text(change.code, CELL, limit=40),
                _text(change.title, CELL, limit=400),
                _text(change.before or "—", CELL, limit=CHUNK_CHARS),
                _text(change.after or "—", CELL, limit=CHUNK_CHARS),
                _text(f"{change.changed_by or '—'}\n{when}".strip(), CELL, limit=200),
            ]
        )
    widths = (14 * mm, 46 * mm, 45 * mm, 45 * mm, 30 * mm)
    table = _grid_table(rows, widths, [("BACKGROUND", (0, 0), (-1, 0), HEAD_FILL)])
    table.repeatRows = 1
    return [*flowables, table]


def _checks(checks: tuple[ReportCheck, ...]) -> list:
    if not checks:
        return []
    rows = [
        [
            _label("编号", "Code"),
            _label("整改项", "Finding"),
            _label("结论", "Outcome"),
            _label("核查方式", "Method"),
            _label("说明", "Note"),
            _label("核查人", "Checked by"),
        ]
    ]
    styles = [("BACKGROUND", (0, 0), (-1, 0), HEAD_FILL)]
    for check in checks:
        found = (
            f"（第 {check.found_at} 次记录发现 found at record {check.found_at}）" if check.found_at else ""
        )
        method_zh, method_en = METHODS.get(check.method, (check.method, check.method))
        rows.append(
            [
                _text(check.code, CELL, limit=40),
                _text(f"{check.title}{found}", CELL, limit=400),
                _label("已整改", "Closed", CELL) if check.closed else _label("未整改", "Not closed", CELL),
                _label(method_zh, method_en, CELL),
                _text(check.note or "—", CELL, limit=CHUNK_CHARS),
                _text(f"{check.checked_by or '—'}\n{format_datetime(check.checked_at)}", CELL, limit=200),
            ]
        )
        if not check.closed:
            styles.append(("BACKGROUND", (2, len(rows) - 1), (2, len(rows) - 1), VETO_FILL))
    widths = (14 * mm, 50 * mm, 20 * mm, 24 * mm, 42 * mm, 30 * mm)
    table = _grid_table(rows, widths, styles)
    table.repeatRows = 1
    return [*_heading("整改核查 Verification of the rectification"), table]


def _findings(findings: tuple[ReportFinding, ...]) -> list:
    if not findings:
        return []
    flowables = _heading("整改项 Findings: items not at full marks")
    for finding in findings:
        flowables += [_finding_table(finding), Spacer(0, 2 * mm)]
    return flowables


def _finding_table(finding: ReportFinding) -> Table:
    rows = [
        [
            _text(finding.code, CELL, limit=40),
            _text(finding.title, CELL, limit=400),
            _text(finding.found or "—", CELL, limit=LONG_ANSWER_CHARS),
            _label(*FINDING_STATUSES.get(finding.status, (finding.status, "")), CELL),
        ]
    ]
    details = _chunked_rows("备注 Note", finding.note) if finding.note.strip() else []
    if finding.notice_number:
        due = f"，整改期限 due {format_date(finding.due_on)}" if finding.due_on else ""
        details.append(_text(f"整改通知书 Notice {finding.notice_number}{due}", CELL, limit=300))
    if finding.responsible_person:
        details.append(_text(f"整改责任人 Responsible: {finding.responsible_person}", CELL, limit=300))
    if finding.response:
        details += _chunked_rows("整改情况 What was done", finding.response)
        if finding.responded_at:
            details.append(_text(f"答复时间 Answered at {format_datetime(finding.responded_at)}", MUTED_CELL))
    if finding.photos:
        details.append(_thumbnail_strip(finding.photos))
    if finding.documents:
        details.append(_text("附件 Files: " + "、".join(finding.documents), CELL, limit=HEADER_VALUE_CHARS))
    styles = [("BACKGROUND", (0, 0), (-1, 0), SUBTOTAL_FILL), ("NOSPLIT", (0, 0), (-1, min(1, len(details))))]
    for detail in details:
        styles.append(("SPAN", (1, len(rows)), (-1, len(rows))))
        rows.append(["", detail, "", ""])
    return _grid_table(rows, (14 * mm, 86 * mm, 50 * mm, 30 * mm), styles)


def _grid_table(rows, col_widths, extra_styles=()) -> Table:
    table = Table(rows, colWidths=col_widths)
    table.setStyle(
        TableStyle(
            [
                ("GRID", (0, 0), (-1, -1), 0.5, GRID),
                ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
                ("TOPPADDING", (0, 0), (-1, -1), 2.5),
                ("BOTTOMPADDING", (0, 0), (-1, -1), 2.5),
                *extra_styles,
            ]
        )
    )
    return table


def _header_block(data: ReportData) -> Table:
    def value(text: str) -> Paragraph:
        return _text(text, CELL, limit=HEADER_VALUE_CHARS)

    current = data.current
    criteria = f"{data.criteria_edition_id}（{data.criteria_content_hash[:12]}）"
    rows = [
        [_label("网点", "Outlet"), value(data.outlet_name), "", ""],
        [_label("地址", "Address"), value(data.outlet_address), "", ""],
        [_label("品牌", "Brand"), value(data.brand), _label("所在区", "District"), value(data.district)],
        [
            _label("申请编号", "Application no."),
            value(data.application_number),
            _label("评估标准", "Criteria edition"),
            value(criteria),
        ],
        [
            _label("检查日期", "Inspection date(s)"),
            value("、".join(format_date(day) for day in data.dates) or "—"),
            _label("检查员", "Inspectors"),
            value("、".join(data.inspectors) or "—"),
        ],
    ]
    if current is not None:
        level = _level_label(current.level_reached) if current.level_reached else "未达到 None"
        score = f"{format_points(current.final_score)} / {format_points(current.possible_points)}"
        if len(data.visits) > 1:
            score += f"（第 {current.sequence} 次记录 record {current.sequence}）"
        rows.append(
            [
                _label("最终得分", "Final score"),
                value(score),
                _label("达到等级", "Level reached"),
                value(level),
            ]
        )
    label_fill = [("BACKGROUND", (0, 0), (0, -1), HEAD_FILL), ("BACKGROUND", (2, 2), (2, -1), HEAD_FILL)]
    spans = [("SPAN", (1, row), (3, row)) for row in (0, 1)]
    return _grid_table(rows, (26 * mm, 64 * mm, 26 * mm, 64 * mm), [*label_fill, *spans])


def _section_table(section: ReportSection) -> Table:
    # The section title is the table's first row, repeated with the column labels on every page,
    # so it can neither be orphaned at the foot of a page nor missing above a continuation.
    rows = [
        [_text(f"{section.code}  {section.title}", SECTION_TITLE, limit=300), "", "", "", "", ""],
        [
            _label("编号", "Code"),
            _label("评估项目", "Item"),
            _label("回答", "Answer"),
            _label("得分", "Points", LABEL_CENTRE),
            _label("不适用", "N/A", LABEL_CENTRE),
            _label("否决", "Veto", LABEL_CENTRE),
        ],
    ]
    styles = [
        ("SPAN", (0, 0), (-1, 0)),
        ("BACKGROUND", (0, 0), (-1, 0), SECTION_FILL),
        ("BACKGROUND", (0, 1), (-1, 1), HEAD_FILL),
    ]
    for item in section.items:
        first = len(rows)
        long_answer = len(item.answer) > LONG_ANSWER_CHARS
        points = "—" if item.not_applicable else format_points(item.points_earned)
        rows.append(
            [
                _text(item.code, CELL, limit=40),
                _text(item.title, CELL, limit=400),
                _text("见下方 see below" if long_answer else item.answer or "—"),
                _text(f"{points} / {format_points(item.points_possible)}", CELL_CENTRE),
                # Most items are neither: no flowables, no height, as an empty paragraph (a string
                # would be a line of the table's font high).
                _text("N/A", CELL_CENTRE) if item.not_applicable else [],
                label_paragraph(VETO_MARK, VETO_CELL) if item.veto_triggered else [],
            ]
        )
        details = _chunked_rows("回答 Answer", item.answer) if long_answer else []
        details += _chunked_rows("备注 Note", item.note)
        if item.thumbnails:
            details.append(_thumbnail_strip(item.thumbnails))
        if item.carried_thumbnails:
            records = "、".join(str(number) for number in item.carried_from)
            lead = (
                f"沿用第 {records} 次记录的照片 Photos carried over from record {records.replace('、', ', ')}"
            )
            details += [_text(lead, MUTED_CELL), _thumbnail_strip(item.carried_thumbnails)]
        if item.marked_copies:
            details.append(_text(_marked_copies_caption(item.marked_copies), MUTED_CELL))
        for detail in details:
            styles.append(("SPAN", (1, len(rows)), (-1, len(rows))))
            rows.append(["", detail, "", "", "", ""])
        last = len(rows) - 1
        if item.veto_triggered:
            styles.append(("BACKGROUND", (0, first), (-1, last), VETO_FILL))
        # Keep an item's first lines together; long notes may still continue on the next page.
        styles.append(("NOSPLIT", (0, first), (-1, min(last, first + 1))))
        styles.append(("LINEBELOW", (0, last), (-1, last), 0.9, GRID))
    subtotal = f"{format_points(section.points_earned)} / {format_points(section.points_possible)}"
    rows.append(["", _label("小计", "Subtotal"), "", _text(subtotal, CELL_CENTRE), "", ""])
    styles += [("BACKGROUND", (0, -1), (-1, -1), SUBTOTAL_FILL), ("SPAN", (1, -1), (2, -1))]
    table = Table(rows, colWidths=COLUMN_WIDTHS, repeatRows=2)
    table.setStyle(
        TableStyle(
            [
                ("BOX", (0, 0), (-1, -1), 0.6, GRID),
                ("LINEBELOW", (0, 0), (-1, 1), 0.6, GRID),
                ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
                ("TOPPADDING", (0, 0), (-1, -1), 2.5),
                ("BOTTOMPADDING", (0, 0), (-1, -1), 2.5),
                *styles,
            ]
        )
    )
    return table


def _chunked_rows(label: str, text: str) -> list[Paragraph]:
    """Split a long text into row-sized paragraphs, the first one labelled."""
    text, chunks = text.strip(), []
    while text:
        cut = len(text) if len(text) <= CHUNK_CHARS else _break_before(text, CHUNK_CHARS)
        chunks.append(text[:cut])
        text = text[cut:].lstrip()
    rows = []
    for index, chunk in enumerate(chunks):
        lead = paragraph_markup(label if index == 0 else f"{label}（续 cont.）")
        rows.append(text_paragraph(chunk, CELL, lead=f'<font color="#1F5132">{lead}：</font>'))
    return rows


def _break_before(text: str, limit: int) -> int:
    """Where to cut a long text near `limit`: after a line end, sentence mark or space if possible."""
    window = text[limit * 3 // 4 : limit]
    best = max(window.rfind(mark) for mark in "\n。；;！!？?，, ")
    return limit * 3 // 4 + best + 1 if best >= 0 else limit


def _marked_copies_caption(marked: tuple[tuple[int, int], ...]) -> str:
    """ "第 2 张照片是第 1 张的标记副本 Photo 2 is a marked copy of photo 1", one clause a copy."""
    chinese = "；".join(f"第 {copy} 张照片是第 {original} 张的标记副本" for copy, original in marked)
    english = "; ".join(f"photo {copy} is a marked copy of photo {original}" for copy, original in marked)
    return f"{chinese} {english[0].upper()}{english[1:]}"


STRIP_GAP = 4  # points after each photo of a strip
STRIP_PADDING = 3  # above and below the photos


def _thumbnail_strip(thumbnails: tuple[bytes, ...]) -> Flowable:
    cells = [_thumbnail(image) for image in thumbnails[:MAX_THUMBNAILS_PER_ITEM]]
    hidden = len(thumbnails) - MAX_THUMBNAILS_PER_ITEM
    if hidden <= 0 and all(isinstance(cell, _FixedImage) for cell in cells):
        return _PhotoRow(cells)
    if hidden > 0:
        cells.append(Paragraph(f"+{hidden}", CELL))
    strip = Table([cells], hAlign="LEFT")
    strip.setStyle(
        TableStyle(
            [
                ("LEFTPADDING", (0, 0), (-1, -1), 0),
                ("RIGHTPADDING", (0, 0), (-1, -1), STRIP_GAP),
                ("TOPPADDING", (0, 0), (-1, -1), STRIP_PADDING),
                ("BOTTOMPADDING", (0, 0), (-1, -1), STRIP_PADDING),
            ]
        )
    )
    return strip


class _PhotoRow(Flowable):
    """Photos side by side where the one-row Table of `_thumbnail_strip` puts them (bottom-aligned,
    each followed by the gap, padded above and below), without a table's measuring, styling and
    drawing per cell: most items of a record show photos, each strip was a table of its own."""

    def __init__(self, photos: list):
        super().__init__()
        self.photos = photos
        self.width = sum(photo.width + STRIP_GAP for photo in photos)
        self.height = max(photo.height for photo in photos) + 2 * STRIP_PADDING

    def wrap(self, available_width, available_height):
        return self.width, self.height

    def draw(self):
        x = 0
        for photo in self.photos:
            photo.drawOn(self.canv, x, STRIP_PADDING)
            x += photo.width + STRIP_GAP


def _thumbnail(raw: bytes):
    """An evidence photo at thumbnail height, or a note that it cannot be read."""
    # The stored thumbnails are already small upright JPEGs (evidence/files.py): embedding them as
    # they are saves decoding and re-encoding every photo of every report, most of a report's time.
    size = _embeddable_jpeg_size(raw)
    jpeg = (raw, size) if size else _downscaled_jpeg(raw)
    if jpeg is None:
        return Paragraph("[图片无法读取 unreadable image]", CELL)
    data, (width, height) = jpeg
    return _JpegImage(data, width=THUMBNAIL_HEIGHT * width / height, height=THUMBNAIL_HEIGHT)


# The markers a JPEG the PDF holds unchanged may have before its first scan: the JFIF header (APP0),
# a baseline, extended or progressive frame, quantisation and Huffman tables, a restart interval.
_PLAIN_JPEG_MARKERS = frozenset({0xE0, 0xC0, 0xC1, 0xC2, 0xDB, 0xC4, 0xDD})
_JPEG_FRAMES = (0xC0, 0xC1, 0xC2)


def _embeddable_jpeg_size(raw: bytes) -> tuple[int, int] | None:
    """The pixel size of a JPEG the PDF can hold unchanged, else None (it is decoded and re-encoded).

    Only the headers are read (its marker segments up to the first scan), no pixel is decoded.
    Unchanged means what evidence/files.py writes for a thumbnail: a baseline or progressive 8-bit
    JPEG in grey or colour, no larger than a thumbnail, with nothing but the JFIF header besides the
    image: no EXIF (so no rotation to apply), colour profile, Adobe marker or comment. Anything else,
    or anything that does not read as a JPEG, takes the decoding way, which also drops whatever else
    it held (or says that the image cannot be read).
    """
    if raw[:2] != b"\xff\xd8":
        return None
    frame, position, end = None, 2, len(raw)
    while True:
        if position >= end or raw[position] != 0xFF:
            return None
        while position < end and raw[position] == 0xFF:  # fill bytes before a marker
            position += 1
        if position >= end:
            return None
        marker = raw[position]
        position += 1
        if marker == 0xDA:  # start of scan: the headers are read
            break
        if 0xD0 <= marker <= 0xD7 or marker == 0x01:  # markers without a segment
            continue
        length = int.from_bytes(raw[position : position + 2], "big")
        if marker not in _PLAIN_JPEG_MARKERS or length < 2 or position + length > end:
            return None
        if marker in _JPEG_FRAMES:
            segment = raw[position + 2 : position + length]
            if frame is not None or len(segment) < 6 or segment[0] != 8:
                return None
            height, width = int.from_bytes(segment[1:3], "big"), int.from_bytes(segment[3:5], "big")
            frame = (width, height, segment[5])
        position += length
    if frame is None:
        return None
    width, height, components = frame
    if components not in (1, 3) or not 0 < min(width, height) <= max(width, height) <= THUMBNAIL_PIXELS:
        return None
    return width, height


def _downscaled_jpeg(raw: bytes) -> tuple[bytes, tuple[int, int]] | None:
    """Decode a photo, turn it upright and downscale it to a small JPEG; None if it cannot be read."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", PILImage.DecompressionBombWarning)
            with PILImage.open(BytesIO(raw)) as picture:
                picture.draft("RGB", (THUMBNAIL_PIXELS, THUMBNAIL_PIXELS))
                picture = ImageOps.exif_transpose(picture).convert("RGB")
                picture.thumbnail((THUMBNAIL_PIXELS, THUMBNAIL_PIXELS))
                picture.info = {}  # pixels only: the encoder would carry over a comment or profile
                encoded = BytesIO()
                picture.save(encoded, format="JPEG", quality=80)
                return encoded.getvalue(), picture.size
    except (
        OSError,
        ValueError,
        SyntaxError,
        PILImage.DecompressionBombWarning,
        PILImage.DecompressionBombError,
    ):
        return None


class _JpegSource:
    """JPEG bytes for `Canvas.drawImage`, which copies them into the PDF as they are (DCTDecode).

    ReportLab embeds any image source that offers `jpeg_fh()` without decoding it; an ImageReader
    would decode every photo only to name the image object after its pixels. The name here comes
    from the bytes, so the same photo twice is still stored once.
    """

    def __init__(self, data: bytes):
        self.data = data
        self.key = f"jpeg-{hashlib.sha256(data).hexdigest()}"

    def jpeg_fh(self) -> BytesIO:
        return BytesIO(self.data)

    def __str__(self) -> str:
        return self.key


class _FixedImage(Flowable):
    """An image drawn at a fixed size, laid out as platypus' own Image is (fixed, centred)."""

    _fixedWidth = _fixedHeight = 1

    def __init__(self, width: float, height: float):
        super().__init__()
        self.width, self.height, self.hAlign = width, height, "CENTER"

    def wrap(self, available_width, available_height):
        return self.width, self.height


class _JpegImage(_FixedImage):
    """JPEG bytes embedded unchanged."""

    def __init__(self, data: bytes, width: float, height: float):
        super().__init__(width, height)
        self.data = data

    def draw(self):
        self.canv.drawImage(_JpegSource(self.data), 0, 0, self.width, self.height)


class _PictureImage(_FixedImage):
    """A decoded picture (ReportLab stores its pixels Flate-compressed)."""

    def __init__(self, picture: PILImage.Image, width: float, height: float):
        super().__init__(width, height)
        self.picture = picture

    def draw(self):
        self.canv.drawImage(ImageReader(self.picture), 0, 0, self.width, self.height, mask="auto")


def _signature(raw: bytes):
    """Flatten a signature PNG onto white and scale it to a line's height."""
    try:
        with PILImage.open(BytesIO(raw)) as picture:
            picture = picture.convert("RGBA")
            flat = PILImage.new("RGB", picture.size, "white")
            flat.paste(picture, mask=picture.getchannel("A"))
            flat.thumbnail((900, 300))
    except (OSError, ValueError, SyntaxError, PILImage.DecompressionBombError):
        return Paragraph("[签名无法读取 unreadable signature]", CELL)
    height = 14 * mm
    # The flattened picture goes to ReportLab as it is: encoding it to PNG only to decode it again
    # gave the same pixels.
    return _PictureImage(flat, width=min(60 * mm, height * flat.width / flat.height), height=height)


def _level_label(level: str) -> str:
    return f"{LEVEL_LABELS[level].zh} {LEVEL_LABELS[level].en}"


def _numbered(lines: tuple[str, ...]) -> list[Paragraph]:
    return [_text(f"{index}. {line}", NUMBERED) for index, line in enumerate(lines, start=1)]


def _results(data: ReportVisit) -> list:
    totals = _grid_table(
        [
            [
                _label("基础得分", "Base points"),
                _text(f"{format_points(data.total_points)} / {format_points(data.possible_points)}"),
            ],
            [_label("加分", "Bonus"), _text(f"+{format_points(data.bonus_points)}")],
            [_label("最终得分", "Final score"), _text(format_points(data.final_score), LARGE)],
        ],
        LABELLED_WIDTHS,
        LABEL_FILL,
    )
    flowables = [KeepTogether([*_heading("评估结果 Result"), totals]), *_heading("否决项 Veto findings")]
    flowables += _numbered(data.veto_findings) if data.veto_findings else [_text("无 None", BODY)]
    flowables += _heading("达到等级 Level reached")
    reached = _level_label(data.level_reached) if data.level_reached else "未达到任何等级 No level reached"
    flowables.append(_text(reached, LARGE))
    for shortfall in data.levels_not_reached:
        zh, en = LEVEL_LABELS[shortfall.level].zh, LEVEL_LABELS[shortfall.level].en
        flowables += [Spacer(0, 2 * mm), _text(f"未达到{zh}的原因 Why not {en.lower()}:", BODY)]
        flowables += _numbered(shortfall.reasons)
    return flowables


def _sign_off(sign_off: InspectorSignOff | None) -> list:
    heading = _heading("检查员签署 Inspector sign-off")
    if sign_off is None:
        return [*heading, _text("尚未签署 Not signed yet", BODY)]
    if sign_off.members:
        return [KeepTogether([*heading, *_team_sign_off(sign_off)])]
    signature = _signature(sign_off.signature_png) if sign_off.signature_png else _text("—")
    rows = [
        [_label("检查员", "Inspectors"), _text("、".join(sign_off.names) or "—")],
        [_label("签署时间", "Signed at"), _text(format_datetime(sign_off.signed_at))],
        [_label("签名", "Signature"), signature],
    ]
    if sign_off.outlet_representative:
        rows.append([_label("网点代表", "Outlet representative"), _text(sign_off.outlet_representative)])
    return [KeepTogether([*heading, _grid_table(rows, LABELLED_WIDTHS, LABEL_FILL)])]


TEAM_WIDTHS = (32 * mm, 52 * mm, 40 * mm, CONTENT_WIDTH - 124 * mm)


def _team_sign_off(sign_off: InspectorSignOff) -> list:
    """Each inspector of the team on a row of their own: organisation, time and drawn signature."""
    state = "待其他检查员签署 Awaiting the other inspectors' signatures" if sign_off.awaiting else ""
    flowables = []
    if sign_off.joint:
        flowables.append(
            _text("联合检查组：各检查员分别签署 Joint inspection team: each inspector signs", BODY)
        )
    rows = [
        [
            _label("检查员", "Inspector"),
            _label("所在单位", "Organisation"),
            _label("签署时间", "Signed at"),
            _label("签名", "Signature"),
        ]
    ]
    for member in sign_off.members:
        if member.signed_at is not None:
            signed = _text(format_datetime(member.signed_at))
        elif sign_off.awaiting:
            signed = _text("尚未签署 Not signed yet", WARNING)
        else:
            signed = _text("未单独签署 Not signed separately")
        rows.append(
            [
                _text(member.name),
                _text(member.organisation or "—"),
                signed,
                _signature(member.signature_png) if member.signature_png else _text("—"),
            ]
        )
    flowables.append(_grid_table(rows, TEAM_WIDTHS, [("BACKGROUND", (0, 0), (-1, 0), HEAD_FILL)]))
    details = [[_label("首次签署", "First signed at"), _text(format_datetime(sign_off.signed_at))]]
    if sign_off.outlet_representative:
        details.append([_label("网点代表", "Outlet representative"), _text(sign_off.outlet_representative)])
    if state:
        details.append([_label("状态", "State"), _text(state, WARNING)])
    flowables += [Spacer(0, 2 * mm), _grid_table(details, LABELLED_WIDTHS, LABEL_FILL)]
    return flowables


def _decision(decision: BureauDecision | None) -> list:
    heading = _heading("管理局决定 Bureau decision")
    if decision is None:
        return [*heading, _text("尚待管理局审核 Awaiting the bureau's decision", BODY)]
    rows = [
        [_label("决定", "Decision"), _text(decision.decision, DECISION)],
        [_label("审核机关", "Bureau"), _text(decision.bureau)],
        [_label("审核人", "Decided by"), _text(decision.decided_by)],
        [_label("时间", "Decided at"), _text(format_datetime(decision.decided_at))],
    ]
    flowables = [KeepTogether([*heading, _grid_table(rows, LABELLED_WIDTHS, LABEL_FILL)])]
    if decision.opinion.strip():
        flowables += [Spacer(0, 2 * mm), _text("审核意见 Opinion:", BODY), _text(decision.opinion, BODY)]
    return flowables
