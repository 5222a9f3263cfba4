"""Sample data and rendering helpers for the PDF tests (and for looking at the PDFs by hand)."""

import shutil
import subprocess
import tempfile
from datetime import date, datetime
from decimal import Decimal
from io import BytesIO
from pathlib import Path

from PIL import Image, ImageDraw, ImageStat
from pypdf import PdfReader

from outlet_audit.certificates.certificate_pdf import CertificateData
from outlet_audit.reports.notice_pdf import NoticeData, NoticeItem
from outlet_audit.reports.report_pdf import (
    BureauDecision,
    InspectorSignOff,
    LevelShortfall,
    ReportData,
    ReportItem,
    ReportSection,
    ReportVisit,
)

VERIFY_URL = "https://outlet-audit.example.gov.cn/verify/WFKD-2025-FX-Q-0007"
HOSTILE_NAME = "<b>&\"' <script>alert(1)</script> <font size=40>大</font>"


def sample_certificate(**changes) -> CertificateData:
    values = dict(
        number="WFKD-2025-FX-Q-0007",
        level="district",
        outlet_name="中通快递奉贤南桥镇解放东路网点",
        outlet_address="上海市奉贤区南桥镇解放东路 888 号 1 层",
        brand="中通 ZTO",
        total_score=Decimal("86.50"),
        criteria_title="上海市无废快递网点评估标准（2025 年版）",
        issued_on=date(2025, 3, 15),
        valid_until=date(2026, 3, 14),
        issuing_bureau="上海市奉贤区邮政管理局",
        verify_url=VERIFY_URL,
    )
    values.update(changes)
    return CertificateData(**values)


def photo_jpeg(seed: int, size=(640, 480)) -> bytes:
    """A small, deterministic 'photo' with shapes that differ by seed."""
    picture = Image.new("RGB", size, (40 + seed * 37 % 200, 120, 90 + seed * 53 % 150))
    draw = ImageDraw.Draw(picture)
    draw.rectangle((60, 60, 300 + seed % 200, 360), fill=(230, 210, 150))
    draw.ellipse((320, 100, 560, 400), fill=(30, 60 + seed * 11 % 180, 160))
    buffer = BytesIO()
    picture.save(buffer, format="JPEG", quality=85)
    return buffer.getvalue()


def signature_png() -> bytes:
    picture = Image.new("RGBA", (600, 200), (0, 0, 0, 0))
    draw = ImageDraw.Draw(picture)
    draw.line(
        [(20, 150), (120, 40), (200, 160), (300, 50), (420, 150), (560, 70)], fill=(10, 20, 90, 255), width=8
    )
    buffer = BytesIO()
    picture.save(buffer, format="PNG")
    return buffer.getvalue()


SECTION_TITLES = (
    ("A", "电子运单 Electronic waybills"),
    ("B", "瘦身胶带 Slim sealing tape"),
    ("C", "可降解塑料包装袋 Degradable plastic bags"),
    ("D", "电商快件不再二次包装 No second packaging"),
    ("E", "可循环包装 Reusable packaging"),
    ("F", "垃圾分类 Waste sorting"),
)


def sample_sections(items_per_section: int = 3, with_notes: bool = True) -> tuple[ReportSection, ...]:
    sections = []
    for section_index, (code, title) in enumerate(SECTION_TITLES):
        items = []
        for number in range(1, items_per_section + 1):
            seed = section_index * 100 + number
            items.append(
                ReportItem(
                    code=f"{code}{number}",
                    title=f"{title}：检查项目 {number}（check item {number}）",
                    answer="是 Yes" if number % 3 else "部分 Partly",
                    points_earned=Decimal(number % 5),
                    points_possible=Decimal(5),
                    not_applicable=number % 7 == 0,
                    veto_triggered=(code, number) == ("B", 2),
                    note=(f"现场抽查 {number} 件快件，胶带宽度均不超过 45 mm。" * 3) if with_notes else "",
                    thumbnails=tuple(photo_jpeg(seed + k) for k in range(number % 3)),
                )
            )
        sections.append(
            ReportSection(
                code=code,
                title=title,
                items=tuple(items),
                points_earned=sum((item.points_earned for item in items), Decimal(0)),
                points_possible=Decimal(5 * len(items)),
            )
        )
    return tuple(sections)


def sample_visit(items_per_section: int = 3, with_notes: bool = True, **changes) -> ReportVisit:
    """One signed first inspection; `changes` replace any field (sections=..., sign_off=None)."""
    sections = changes.pop("sections", None) or sample_sections(items_per_section, with_notes)
    total = sum((section.points_earned for section in sections), Decimal(0))
    bonus = Decimal("2.5")
    values = dict(
        sequence=1,
        visit_type="initial",
        dates=(date(2025, 3, 10), date(2025, 3, 11)),
        inspectors=("王建国", "李梅"),
        sections=sections,
        total_points=total,
        possible_points=sum((section.points_possible for section in sections), Decimal(0)),
        bonus_points=bonus,
        final_score=total + bonus,
        veto_findings=("B2 发现使用宽度超过 45 mm 的塑料胶带 Tape wider than 45 mm in use",),
        level_reached="district",
        levels_not_reached=(
            LevelShortfall(
                "city",
                (
                    f"最终得分 {total + bonus} 低于 90 Final score {total + bonus} below 90",
                    "存在否决项 A veto finding exists",
                ),
            ),
        ),
        sign_off=InspectorSignOff(
            ("王建国", "李梅"), datetime(2025, 3, 11, 16, 5), signature_png(), outlet_representative="赵站长"
        ),
    )
    values.update(changes)
    return ReportVisit(**values)


def sample_report(items_per_section: int = 3, with_notes: bool = True, **changes) -> ReportData:
    """A report of one visit (`sample_visit`) unless `visits` says otherwise."""
    values = dict(
        application_number="SQ-2025-FX-0042",
        outlet_name="中通快递奉贤南桥镇解放东路网点",
        outlet_address="上海市奉贤区南桥镇解放东路 888 号 1 层",
        brand="中通 ZTO",
        district="奉贤区 Fengxian",
        criteria_edition_id="2025-v1",
        criteria_content_hash="3f2a9c1b4d5e6f7a8b9c0d1e2f3a4b5c",
        visits=(sample_visit(items_per_section, with_notes),),
        generated_at=datetime(2025, 3, 20, 10, 30),
        decision=BureauDecision(
            decision="认定为区级无废快递网点 Certified, district level",
            bureau="上海市奉贤区邮政管理局",
            decided_by="张伟",
            decided_at=datetime(2025, 3, 18, 9, 0),
            opinion="同意认定。请网点持续落实各项要求。\nAgreed; keep meeting every rule.",
        ),
    )
    values.update(changes)
    return ReportData(**values)


NOTICE_ITEMS = (
    NoticeItem(
        "1.2",
        "使用“瘦身胶带”（宽度不超过 45 毫米）",
        "检查各封装台在用胶带，用尺测量宽度，全部不超过 45 毫米。拍摄测量照片。",
        "否",
        "封装台 3 处使用 60 毫米宽胶带",
    ),
    NoticeItem("3.1", "推广使用可循环快递包装", "查看可循环快递箱（盒）的使用记录和库存。", "C. 未使用"),
)


def sample_notice(**changes) -> NoticeData:
    values = dict(
        number="ZG-2025-FX-000012",
        outlet_name="中通快递奉贤南桥镇解放东路网点",
        outlet_address="上海市奉贤区南桥镇解放东路 888 号 1 层",
        permit_number="沪邮 2024-FX-0088",
        application_number="SQ-2025-FX-0042",
        criteria_title_zh="上海市无废快递网点评估标准（2025 年版）",
        criteria_title_en="Shanghai zero-waste express outlet criteria (2025 edition)",
        inspected_on=date(2025, 3, 11),
        record_sequence=1,
        issuing_bureau="上海市奉贤区邮政管理局",
        issued_at=datetime(2025, 3, 14, 10, 30),
        due_on=date(2025, 4, 3),
        instructions="请于期限内整改并上传整改照片。",
        items=NOTICE_ITEMS,
    )
    values.update(changes)
    return NoticeData(**values)


def page_texts(pdf: bytes) -> list[str]:
    return [page.extract_text() for page in PdfReader(BytesIO(pdf)).pages]


def render_pages(pdf: bytes, resolution: int = 60) -> list[Image.Image]:
    """Rasterise every page with poppler's pdftoppm."""
    pdftoppm = shutil.which("pdftoppm")
    assert pdftoppm, "pdftoppm (poppler-utils) is needed for the PDF tests"
    with tempfile.TemporaryDirectory() as folder:
        source = Path(folder) / "document.pdf"
        source.write_bytes(pdf)
        subprocess.run(
            [pdftoppm, "-r", str(resolution), "-png", str(source), str(Path(folder) / "page")], check=True
        )
        pages = sorted(Path(folder).glob("page-*.png"), key=lambda path: int(path.stem.rsplit("-", 1)[1]))
        return [Image.open(path).convert("RGB") for path in pages]


def pixel_spread(picture: Image.Image) -> float:
    """Standard deviation of grey levels: about 0 for a blank page."""
    return ImageStat.Stat(picture.convert("L")).stddev[0]
