"""PDF throughput in one process: certificates and inspection reports per second, each against a
bare ReportLab document rendered in the same run.

    .venv/bin/python -m bench.pdf_throughput [--seconds 2]

The certificate's bare page draws the same strings (and the same QR code) straight onto a canvas,
in the same fonts and with the same page compression. The inspection report's bare document
(`FairBareReport`) is plain platypus with the same photos, drawn at the same sizes, and the same
number of table cells, so the ratio is what our layout (paragraph fitting and wrapping, spans,
styles, running headers) costs on top of ReportLab with the same content; the earlier text-only
page is still printed beside it. Targets: certificate <= 1.5x, inspection report <= 2x.
"""

import argparse
import hashlib
import io
import random
import statistics
import tempfile
import time
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from xml.sax.saxutils import escape

import segno
from PIL import Image
from reportlab.graphics import renderPDF
from reportlab.graphics.barcode.qr import QrCodeWidget
from reportlab.graphics.shapes import Drawing
from reportlab.lib import colors
from reportlab.lib.pagesizes import A4, landscape
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import Image as PlatypusImage
from reportlab.platypus import KeepTogether, Paragraph, SimpleDocTemplate, Table, TableStyle

from bench.seed import PROJECT_ROOT, _photo, _signature
from bench.synthetic import answer_profiles
from outlet_audit.certificates import certificate_pdf
from outlet_audit.criteria import load_edition
from outlet_audit.pdf.fonts import CJK_FONT, register_fonts, text_runs
from outlet_audit.reports import report_pdf
from outlet_audit.scoring import answers_from_json, score

CERTIFICATE_TARGET = 1.5  # a certificate may take at most 1.5x the bare page
REPORT_TARGET = 2.0  # an inspection report at most 2x a bare document with its photos and cells


@dataclass(frozen=True)
class PdfResult:
    name: str
    per_second: float
    bare_per_second: float
    note: str = ""

    @property
    def ratio(self) -> float:
        """Time of ours / time of the bare page (1.0 = no overhead)."""
        return self.bare_per_second / self.per_second


def certificate_data() -> certificate_pdf.CertificateData:
    return certificate_pdf.CertificateData(
        number="WFKD-2026-PD-Q-0049",
        level="district",
        outlet_name="顺丰速运浦东新区张江高科技园区祖冲之路营业部",
        outlet_address="上海市浦东新区张江镇祖冲之路 899 号 1 幢 101 室",
        brand="顺丰",
        total_score=Decimal("92.5"),
        criteria_title="上海市无废快递网点评估标准（2025 年版）",
        issued_on=date(2026, 10, 14),
        valid_until=date(2028, 10, 14),
        issuing_bureau="上海市浦东新区邮政管理局",
        verify_url="https://outlet-audit.shanghai.gov.cn/verify/WFKD-2026-PD-Q-0049",
    )


def certificate_strings(data) -> list[str]:
    """Every string the certificate prints, in reading order."""
    return [
        "“无废快递网点”证书",
        "区级无废快递网点",
        "Certificate of Zero-Waste Express Delivery Outlet — District Level",
        "证书编号 No.",
        data.number,
        data.outlet_name,
        "经审核评估，该网点符合无废快递网点建设评估要求，特认定为区级无废快递网点。",
        "has been assessed and is hereby certified as a Zero-Waste Express Delivery Outlet (District Level).",
        "网点地址 Address",
        data.outlet_address,
        "快递品牌 Brand",
        data.brand,
        "评估总分 Total score",
        "92.5 分",
        "评估标准 Criteria",
        data.criteria_title,
        "发证日期 Issued on",
        "2026年10月14日",
        "有效期至 Valid until",
        "2028年10月14日",
        "扫码核验证书真伪",
        "Scan to verify",
        "发证机关",
        "Issuing authority",
        data.issuing_bureau,
        "2026年10月14日",
        "认定专用章",
        f"核验网址 Verify at: {data.verify_url}",
    ]


def bare_page(strings: list[str], pagesize, qr_url: str | None = None, qr: str = "segno") -> bytes:
    """The same strings (and QR code) drawn line by line on plain pages: ReportLab with no layout.

    `qr` "segno": the QR matrix as one path of module squares (how the certificate encodes it);
    "reportlab": ReportLab's own QrCodeWidget, pure Python and much slower.
    """
    register_fonts()
    buffer = io.BytesIO()
    canvas = Canvas(buffer, pagesize=pagesize, invariant=True, pageCompression=1)
    width, height = pagesize
    y = height - 20 * mm
    for text in strings:
        if y < 20 * mm:
            canvas.showPage()
            y = height - 20 * mm
        x = 20 * mm
        for font, run in text_runs(text[:120]):
            canvas.setFont(font, 9)
            canvas.drawString(x, y, run)
            x += canvas.stringWidth(run, font, 9)
        y -= 4.5 * mm
    if qr_url and qr == "segno":
        _segno_qr(canvas, qr_url, width - 60 * mm, 30 * mm, 34 * mm)
    elif qr_url:
        widget = QrCodeWidget(qr_url, barLevel="M")
        left, bottom, right, top = widget.getBounds()
        size = 34 * mm
        drawing = Drawing(size, size, transform=[size / (right - left), 0, 0, size / (top - bottom), 0, 0])
        drawing.add(widget)
        renderPDF.draw(drawing, canvas, width - 60 * mm, 30 * mm)
    canvas.showPage()
    canvas.save()
    return buffer.getvalue()


def _segno_qr(canvas: Canvas, url: str, x: float, y: float, size: float) -> None:
    matrix = segno.make_qr(url, error="m").matrix
    module = size / (len(matrix) + 8)
    path = canvas.beginPath()
    for row_index, row in enumerate(matrix):
        for column, dark in enumerate(row):
            if dark:
                path.rect(x + (4 + column) * module, y + size - (5 + row_index) * module, module, module)
    canvas.drawPath(path, stroke=0, fill=1)


def report_data() -> report_pdf.ReportData:
    """A signed-off inspection of the 2025 edition: every item answered, a thumbnail per photo item."""
    edition = load_edition(PROJECT_ROOT / "criteria" / "shanghai-2025.yaml")
    profile = next(p for p in answer_profiles(edition, random.Random(7), count=30).get("district", []))
    result = score(edition, answers_from_json(edition, profile.raw), holds_valid_district_certificate=True)
    thumbnails = [_thumbnail(n) for n in range(4)]
    sections = []
    for section in edition.sections:
        items = []
        for n, item in enumerate(section.items):
            scored = result.item(item.code)
            raw = profile.raw[item.code]
            items.append(
                report_pdf.ReportItem(
                    code=item.code,
                    title=item.title.get("zh"),
                    answer=_answer_text(raw),
                    points_earned=scored.earned,
                    points_possible=scored.possible,
                    not_applicable=scored.not_applicable,
                    veto_triggered=scored.veto_failed,
                    note="现场核实，负责人在场确认。已拍照留存。" if n % 2 else "",
                    thumbnails=(thumbnails[n % 4],) if item.evidence.required == "always" else (),
                )
            )
        earned = next(s for s in result.sections if s.code == section.code)
        sections.append(
            report_pdf.ReportSection(
                section.code, section.title.get("zh"), tuple(items), earned.earned, earned.possible
            )
        )
    sign_off = report_pdf.InspectorSignOff(("顾检查", "沈评估"), datetime(2026, 10, 2, 16, 5), _signature())
    visit = report_pdf.ReportVisit(
        sequence=1,
        visit_type="initial",
        dates=(date(2026, 10, 2),),
        inspectors=("顾检查", "沈评估"),
        sections=tuple(sections),
        total_points=result.total,
        possible_points=Decimal(100),
        bonus_points=result.bonus,
        final_score=result.final,
        veto_findings=(),
        level_reached=result.level,
        levels_not_reached=tuple(
            report_pdf.LevelShortfall(level, tuple(m.get("text", "") for m in msgs))
            for level, msgs in result.to_dict()["reasons"].items()
        ),
        sign_off=sign_off,
    )
    return report_pdf.ReportData(
        application_number="SQ2026-000001",
        outlet_name="顺丰速运浦东新区张江高科技园区祖冲之路营业部",
        outlet_address="上海市浦东新区张江镇祖冲之路 899 号",
        brand="顺丰",
        district="浦东新区",
        criteria_edition_id=edition.id,
        criteria_content_hash=edition.content_hash,
        visits=(visit,),
        generated_at=datetime(2026, 10, 14, 9, 30),
        decision=report_pdf.BureauDecision(
            "认定为区级 Certified, district level",
            "上海市浦东新区邮政管理局",
            "王审核",
            datetime(2026, 10, 14, 9, 0),
            "材料齐全，现场评估符合要求。",
        ),
    )


def report_strings(data: report_pdf.ReportData) -> list[str]:
    lines = [
        f"无废快递网点现场评估报告 {data.application_number}",
        data.outlet_name,
        data.outlet_address,
        data.brand,
        data.district,
        data.criteria_edition_id,
        "、".join(data.inspectors),
    ]
    for section in data.current.sections:
        lines.append(f"{section.code} {section.title} {section.points_earned}/{section.points_possible}")
        for item in section.items:
            lines.append(
                f"{item.code} {item.title} {item.answer} {item.points_earned}/{item.points_possible}"
            )
            if item.note:
                lines.append(item.note)
    lines += [f"最终得分 Final score {data.current.final_score}"]
    lines += [data.decision.decision, data.decision.opinion]
    return lines


@dataclass(frozen=True)
class ReportContent:
    """What a report prints, counted as a bare document would print it: the text of every table cell
    (None for a cell holding a picture or a nested table), the pictures in reading order with the
    size they are drawn at, and the texts outside tables (title, headings, results)."""

    cells: tuple[str | None, ...]
    pictures: tuple[tuple[bytes, float, float], ...]
    texts: tuple[str, ...]


def report_content(data: report_pdf.ReportData) -> ReportContent:
    """Walk the flowables our report lays out for `data` (not their pages): every Table's cells,
    nested ones included, a cell for each photo of a thumbnail strip, and every picture at its
    drawn size."""
    register_fonts()
    cells, pictures, texts = [], [], []

    def walk(flowable, in_cell: bool) -> None:
        if isinstance(flowable, Table):
            for row in flowable._cellvalues:
                for value in row:
                    values = value if isinstance(value, (list, tuple)) else [value]
                    plain = [v for v in values if isinstance(v, (str, Paragraph))]
                    cells.append(
                        "".join(v if isinstance(v, str) else v.getPlainText() for v in plain)
                        if len(plain) == len(values)
                        else None
                    )
                    for v in values:
                        if not isinstance(v, (str, Paragraph)):
                            walk(v, True)
        elif isinstance(flowable, report_pdf._PhotoRow):
            # A strip of photos is drawn without a table now; the baseline still counts a cell for
            # each photo (and keeps the photo), as when the strip was a one-row table.
            for photo in flowable.photos:
                cells.append(None)
                walk(photo, True)
        elif isinstance(flowable, KeepTogether):
            for inner in flowable._content:
                walk(inner, in_cell)
        elif isinstance(flowable, report_pdf._JpegImage):
            pictures.append((flowable.data, flowable.width, flowable.height))
        elif isinstance(flowable, report_pdf._PictureImage):
            png = io.BytesIO()
            flowable.picture.save(png, format="PNG")
            pictures.append((png.getvalue(), flowable.width, flowable.height))
        elif isinstance(flowable, Paragraph) and not in_cell:
            texts.append(flowable.getPlainText())

    for flowable in report_pdf._story(data):
        walk(flowable, False)
    return ReportContent(tuple(cells), tuple(pictures), tuple(texts))


class FairBareReport:
    """A bare ReportLab document with the report's photos and as many table cells: the fair baseline.

    Plain platypus as its manual shows it: the texts outside tables as Paragraphs, one 6-column Table
    holding every cell's text as a plain string (one line, no wrapping, one font), and each picture
    as a platypus Image of its file, drawn at the report's size, in a cell where the report has a
    picture. The pictures are written to files once (one file per distinct picture): ReportLab
    copies a .jpg file into the PDF as it is (no decoding), its fastest way, and stores a file once
    however often it is drawn, as ours stores a photo once. The signature is the PNG of the
    picture the report draws (flattened onto white): decoded and compressed as ours is.
    """

    COLUMNS = 6

    def __init__(self, content: ReportContent, folder: Path):
        register_fonts()
        self.content = content
        self.files = []
        for picture, width, height in content.pictures:
            suffix = ".jpg" if picture[:2] == b"\xff\xd8" else ".png"
            path = folder / f"{hashlib.sha256(picture).hexdigest()}{suffix}"
            path.write_bytes(picture)
            self.files.append((str(path), width, height))
        self.style = ParagraphStyle("bare", fontName=CJK_FONT, fontSize=9, leading=12)

    def render(self) -> bytes:
        buffer = io.BytesIO()
        document = SimpleDocTemplate(
            buffer, pagesize=A4, leftMargin=15 * mm, rightMargin=15 * mm, invariant=True
        )
        pictures = iter(self.files)
        values = []
        for text in self.content.cells:
            if text is None:
                picture = next(pictures, None)
                values.append(PlatypusImage(*picture) if picture else "")
            else:
                values.append(text)
        values += [PlatypusImage(*picture) for picture in pictures]  # any picture outside a table
        values += [""] * (-len(values) % self.COLUMNS)
        rows = [values[i : i + self.COLUMNS] for i in range(0, len(values), self.COLUMNS)]
        table = Table(rows, colWidths=[(A4[0] - 30 * mm) / self.COLUMNS] * self.COLUMNS)
        table.setStyle(
            TableStyle(
                [
                    ("FONT", (0, 0), (-1, -1), CJK_FONT, 8.5),
                    ("GRID", (0, 0), (-1, -1), 0.5, colors.grey),
                    ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
                ]
            )
        )
        story = [Paragraph(escape(text), self.style) for text in self.content.texts] + [table]
        document.build(story)
        return buffer.getvalue()


def _answer_text(raw) -> str:
    if isinstance(raw, dict):
        return "不适用 N/A"
    if isinstance(raw, bool):
        return "是 Yes" if raw else "否 No"
    return str(raw)


def _thumbnail(n: int) -> bytes:
    with Image.open(io.BytesIO(_photo(n))) as photo:
        photo.thumbnail((320, 320))
        buffer = io.BytesIO()
        photo.save(buffer, format="JPEG", quality=80)
    return buffer.getvalue()


def rates(renders: dict, seconds: float, rounds: int = 7) -> dict[str, float]:
    """Renders per second of each callable: the median over `rounds`, the callables taking turns
    within every round, so a noisy neighbour slows all of them alike."""
    batches = {}
    for name, render in renders.items():
        render()  # warm up: fonts, caches
        start = time.perf_counter()
        render()
        elapsed = max(time.perf_counter() - start, 1e-6)
        batches[name] = max(1, int(seconds / rounds / elapsed))
    samples = {name: [] for name in renders}
    for _ in range(rounds):
        for name, render in renders.items():
            start = time.perf_counter()
            for _ in range(batches[name]):
                render()
            samples[name].append(batches[name] / (time.perf_counter() - start))
    return {name: statistics.median(values) for name, values in samples.items()}


def measure(seconds: float = 2.0) -> list[PdfResult]:
    """Certificates and reports per second against their bare documents, `seconds` of timing each."""
    cert = certificate_data()
    cert_strings = certificate_strings(cert)
    report = report_data()
    lines = report_strings(report)
    content = report_content(report)
    items = [item for section in report.current.sections for item in section.items]
    thumbnails = sum(len(item.thumbnails) for item in items)
    # The walk must have found every photo and the signature, or the baseline would be too light.
    assert len(content.pictures) == thumbnails + 1, (len(content.pictures), thumbnails)
    with tempfile.TemporaryDirectory(prefix="bench-pdf-") as folder:
        fair = FairBareReport(content, Path(folder))
        r = rates(
            {
                "certificate": lambda: certificate_pdf.render_certificate(cert),
                "bare certificate": lambda: bare_page(cert_strings, landscape(A4), cert.verify_url),
                "bare certificate, ReportLab QR": lambda: bare_page(
                    cert_strings, landscape(A4), cert.verify_url, "reportlab"
                ),
                "report": lambda: report_pdf.render_inspection_report(report),
                "bare report": fair.render,
                "text-only report": lambda: bare_page(lines, A4),
            },
            seconds,
        )
    return [
        PdfResult(
            "certificate",
            r["certificate"],
            r["bare certificate"],
            f"bare page with ReportLab's QrCodeWidget instead of segno: "
            f"{r['bare certificate, ReportLab QR']:.1f}/s",
        ),
        PdfResult(
            "inspection report",
            r["report"],
            r["bare report"],
            f"bare: a platypus document with the same {thumbnails} photos and signature at the same "
            f"sizes and the same {len(content.cells)} table cells as plain strings",
        ),
        PdfResult(
            "inspection report (text-only bare page)",
            r["report"],
            r["text-only report"],
            "the earlier baseline: the report's strings drawn line by line, no photos, no tables; not judged",
        ),
    ]


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--seconds", type=float, default=2.0, help="timing per document kind")
    args = parser.parse_args()
    results = measure(args.seconds)
    for result in results:
        print(
            f"{result.name}: {result.per_second:.1f}/s, bare {result.bare_per_second:.1f}/s, "
            f"time ratio {result.ratio:.2f} ({result.note})"
        )
    judged = {"certificate": CERTIFICATE_TARGET, "inspection report": REPORT_TARGET}
    for result in results:
        if result.name in judged:
            verdict = "PASS" if result.ratio <= judged[result.name] else "MISS"
            print(f"target {result.name} <= {judged[result.name]}x: {verdict} ({result.ratio:.2f}x)")


if __name__ == "__main__":
    main()
