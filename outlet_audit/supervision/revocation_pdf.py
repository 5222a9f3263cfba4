"""The letters of a revocation case as A4 PDFs in the certificate's look: the notice of intended
revocation (撤销告知书: facts and grounds, the evidence relied on, the deadline and how to answer)
and the decision (撤销决定书, or 不予撤销决定书 when the issuer does not revoke).

Pure: data in, bytes out. Fixed words are printed in Chinese and English; what people typed (the
grounds, the evidence, the reasons) is printed literally, escaped, in the language it was written.
"""

from dataclasses import dataclass
from datetime import date, datetime
from functools import partial
from io import BytesIO

from reportlab.lib.pagesizes import A4
from reportlab.lib.units import mm
from reportlab.platypus import Flowable, KeepTogether, Paragraph, SimpleDocTemplate, Spacer, Table

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
    DEADLINE,
    LABEL,
    IssuerSeal,
    details_table,
    draw_letter_paper,
    english_line,
    letter_style,
    letter_text,
)
from outlet_audit.pdf.official import BORDER_RED, GOLD, INK, MUTED, draw_bold_centred
from outlet_audit.pdf.pages import NumberedCanvas

PAGE_WIDTH, PAGE_HEIGHT = A4
MARGIN = 20 * mm
CONTENT_WIDTH = PAGE_WIDTH - 2 * MARGIN
TEXT_LIMIT = 4000  # a longer text is cut on paper (the full text is in the system)

NOTICE_TITLE = ("撤销告知书", "Notice of Intended Revocation")
REVOKED_TITLE = ("撤销决定书", "Decision to Revoke")
NOT_REVOKED_TITLE = ("不予撤销决定书", "Decision Not to Revoke")


@dataclass(frozen=True)
class LetterData:
    """What a case's letters print; `decision` is None for the notice."""

    number: str  # the case's number, e.g. CX-2026-FX-000003
    outlet_name: str
    outlet_address: str
    certificate_number: str
    certificate_issued_on: date
    issuer_name: str  # the organisation acting, in Chinese (it signs the letter)
    ground_zh: str
    ground_en: str
    grounds: str  # the facts and grounds, as typed
    evidence: str  # the evidence relied on, as typed
    notified_at: datetime | None  # naive Shanghai time; None for an immediate revocation
    response_due: date | None
    site_address: str  # where the outlet signs in to answer
    decision: "Decision | None" = None


@dataclass(frozen=True)
class Decision:
    revoked: bool
    decided_at: datetime  # naive Shanghai time; also the PDF's date
    reasons: str
    statement_at: datetime | None  # None: no statement was given
    documents: int  # files given with the statement


def render_revocation_notice(data: LetterData) -> bytes:
    register_fonts()  # before the story's paragraphs are made
    return _render(data, NOTICE_TITLE, data.notified_at, _notice_story(data))


def render_revocation_decision(data: LetterData) -> bytes:
    decision = data.decision
    if decision is None:
        raise ValueError("a decision letter needs the decision")
    title = REVOKED_TITLE if decision.revoked else NOT_REVOKED_TITLE
    register_fonts()
    return _render(data, title, decision.decided_at, _decision_story(data, decision))


def _render(data: LetterData, title: tuple[str, str], dated: datetime | None, story: list) -> bytes:
    register_fonts()
    dated = dated or datetime(data.certificate_issued_on.year, 1, 1)
    buffer = BytesIO()
    document = SimpleDocTemplate(
        buffer,
        pagesize=A4,
        leftMargin=MARGIN,
        rightMargin=MARGIN,
        topMargin=20 * mm,
        bottomMargin=22 * mm,
        invariant=True,
        title=f"{title[0]} {data.number}",
        author=clean_text(data.issuer_name),
        subject=title[1],
        creator="outlet-audit",
    )
    story = [_Heading(data.number, title), *story, IssuerSeal(data.issuer_name, dated.date())]
    document.build(
        story,
        onFirstPage=draw_letter_paper,
        onLaterPages=draw_letter_paper,
        canvasmaker=partial(_LetterCanvas, footer=f"{title[0]} {title[1]}  {data.number}", dated=dated),
    )
    return buffer.getvalue()


class _LetterCanvas(NumberedCanvas):
    def __init__(self, *args, footer: str, **kwargs):
        super().__init__(*args, **kwargs)
        self._footer = footer

    def decorate(self, number: int, total: int) -> None:
        self.setFillColor(MUTED)
        bottom = 14 * mm
        draw_mixed_string(self, MARGIN, bottom, clean_text(self._footer), 7.5)
        pages = f"第 {number} 页 / 共 {total} 页  Page {number} of {total}"
        draw_mixed_string(self, PAGE_WIDTH - MARGIN, bottom, pages, 7.5, anchor="right")


def _text(text: str, style=BODY, limit: int = TEXT_LIMIT) -> Paragraph:
    return letter_text(text, style, limit)


def _english(text: str) -> Paragraph:
    return english_line(text)


def _section(zh: str, en: str, text: str) -> list:
    return [
        Spacer(0, 3 * mm),
        Paragraph(bilingual_label(zh, en), LABEL),
        _text(text.strip() or "—"),
    ]


def _details(data: LetterData) -> Table:
    rows = (
        ("网点名称", "Outlet", data.outlet_name),
        ("网点地址", "Address", data.outlet_address),
        ("证书编号", "Certificate no.", data.certificate_number),
        (
            "发证日期",
            "Issued on",
            f"{format_date_zh(data.certificate_issued_on)}（{format_date(data.certificate_issued_on)}）",
        ),
        ("撤销事由", "Ground", f"{data.ground_zh}（{data.ground_en}）"),
    )
    return details_table(rows, CONTENT_WIDTH)


def _opening(data: LetterData) -> list:
    return [_text(f"致 To：{data.outlet_name}", ADDRESSEE, limit=300), Spacer(0, 2 * mm), _details(data)]


def _notice_story(data: LetterData) -> list:
    due = data.response_due
    if due is None:
        raise ValueError("a notice needs a response deadline")
    story = [
        *_opening(data),
        Spacer(0, 4 * mm),
        _text(
            f"本机关拟以“{data.ground_zh}”为由撤销你网点的“无废快递网点”证书"
            f"（编号 {data.certificate_number}）。"
            "现将拟作出撤销决定的事实、理由、依据及所依据的证据告知如下。你网点有权进行陈述和申辩。"
        ),
        _english(
            "We intend to revoke your outlet's zero-waste express outlet certificate "
            f"{data.certificate_number} on the ground: {data.ground_en}. The facts, grounds and evidence "
            "are set out below. Your outlet has the right to state its case and defend itself before we "
            "decide."
        ),
        *_section("事实与理由", "Facts and grounds", data.grounds),
        *_section("所依据的证据", "Evidence relied on", data.evidence),
    ]
    closing = [
        Spacer(0, 5 * mm),
        Paragraph(
            f'陈述申辩期限 <font name="{LATIN_SERIF_ITALIC}" size="9">Deadline to respond</font>：'
            + paragraph_markup(f"{format_date_zh(due)}（{format_date(due)}）"),
            DEADLINE,
        ),
        Spacer(0, 2 * mm),
        Paragraph(bilingual_label("如何陈述申辩", "How to respond"), LABEL),
        _text(
            f"请于 {format_date_zh(due)} 前（含当日）登录 {data.site_address}，"
            "在本案件页面提交书面陈述申辩意见，"
            "并可上传证明材料。本机关将在审查你网点的陈述申辩后作出决定；逾期未提出的，视为放弃陈述和申辩的权利，"
            "本机关将依据已查明的事实作出决定。在作出决定前，你网点的证书仍然有效。"
        ),
        _english(
            f"By {format_date(due)} (inclusive), sign in at {data.site_address} and give your written "
            "statement on this case's page, with documents if you wish. We decide after considering it; "
            "if none is given by the deadline, we decide on the facts established. Until we decide, "
            "your certificate remains valid."
        ),
    ]
    story.append(KeepTogether(closing))
    return story


def _decision_story(data: LetterData, decision: Decision) -> list:
    if data.notified_at is not None:
        served_on = data.notified_at.date()
        served_zh = f"本机关于 {format_date_zh(served_on)} 向你网点送达撤销告知书（编号 {data.number}），"
        served_en = f"We served notice {data.number} of intended revocation on {format_date(served_on)}; "
        if decision.statement_at is not None:
            served_zh += (
                f"你网点于 {format_date_zh(decision.statement_at.date())} 提交了陈述申辩意见"
                f"（附材料 {decision.documents} 份），本机关已予审查。"
            )
            served_en += (
                f"your outlet gave its statement on {format_date(decision.statement_at.date())} "
                f"with {decision.documents} document(s), which we considered."
            )
        else:
            served_zh += "你网点在规定期限内未提出陈述申辩。"
            served_en += "your outlet gave no statement by the deadline."
    else:
        served_zh = "本案件事由属于评估标准规定可立即撤销的情形，无需事先告知。"
        served_en = "The ground is one the criteria allow to revoke at once, without prior notice."
    if decision.revoked:
        outcome_zh = (
            f"经审查，本机关决定撤销你网点的“无废快递网点”证书（编号 {data.certificate_number}），"
            f"自 {format_date_zh(decision.decided_at.date())} 起失效，公开查询页面显示为已撤销。"
        )
        outcome_en = (
            f"We decide to revoke certificate {data.certificate_number}, with effect from "
            f"{format_date(decision.decided_at.date())}; the public verification page shows it as revoked."
        )
    else:
        outcome_zh = (
            f"经审查，本机关决定不予撤销你网点的“无废快递网点”证书（编号 {data.certificate_number}），"
            "证书继续有效。"
        )
        outcome_en = f"We decide not to revoke certificate {data.certificate_number}; it remains valid."
    story = [
        *_opening(data),
        Spacer(0, 4 * mm),
        _text(served_zh),
        _english(served_en),
        *_section("事实与理由（告知）", "Facts and grounds (as notified)", data.grounds),
        *_section("决定理由", "Reasons for the decision", decision.reasons),
        Spacer(0, 4 * mm),
        _text(outcome_zh, letter_style("outcome", 11.5, textColor=BORDER_RED if decision.revoked else INK)),
        _english(outcome_en),
    ]
    if decision.revoked:
        story += [
            Spacer(0, 3 * mm),
            _text(
                "如对本决定不服，可以自收到本决定之日起六十日内依法申请行政复议，或者自收到本决定之日起六个月内"
                "依法提起行政诉讼。"
            ),
            _english(
                "If you disagree with this decision you may apply for administrative reconsideration within "
                "sixty days of receiving it, or bring an administrative lawsuit within six months."
            ),
        ]
    return story


class _Heading(Flowable):
    """The letter's title in the certificate's manner, with its number at the top right."""

    HEIGHT = 34 * mm

    def __init__(self, number: str, title: tuple[str, str]):
        super().__init__()
        self.number, self.title = number, title

    def wrap(self, available_width, available_height):
        self.width = available_width
        return available_width, self.HEIGHT

    def draw(self):
        canvas, centre, top = self.canv, self.width / 2, self.HEIGHT
        canvas.setFillColor(INK)
        draw_mixed_string(canvas, self.width, top - 3 * mm, "编号 No.", 8.5, anchor="right")
        draw_mixed_string(canvas, self.width, top - 8 * mm, self.number, 10.5, anchor="right")
        size = 28 if len(self.title[0]) <= 5 else 24
        draw_bold_centred(canvas, self.title[0], centre, top - 19 * mm, size, BORDER_RED, spacing=6)
        canvas.setFillColor(MUTED)
        canvas.setFont(LATIN_SERIF_ITALIC, 11.5)
        canvas.drawCentredString(centre, top - 26 * mm, self.title[1])
        canvas.setStrokeColor(GOLD)
        canvas.setLineWidth(0.8)
        canvas.line(centre - 45 * mm, top - 29.5 * mm, centre + 45 * mm, top - 29.5 * mm)
