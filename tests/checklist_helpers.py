"""Builders for the checklist, evidence and criteria web tests: people, inspections, answers, files.

Every file is made here in code; no binary fixtures.
"""

import io
import re
import struct
import zlib
from pathlib import Path

from PIL import ExifTags, Image

from outlet_audit.checklist.forms import FIELD_BUILDERS, field_name
from outlet_audit.checklist.service import get_or_create_assessment, save_answer
from outlet_audit.criteria import load_edition
from outlet_audit.criteria.editions import pinned_edition
from outlet_audit.roles import Role
from outlet_audit.workflow.seeding import take
from outlet_audit.workflow.states import Action
from tests.factories import cast_for, evidence_row, make_application, make_outlet, make_user
from tests.workflow_helpers import best_value

PUDONG_PATH = Path(__file__).parent / "data" / "criteria" / "pudong-pilot-2026.yaml"


def pudong_edition():
    return load_edition(PUDONG_PATH)


class Inspection:
    """An application in inspection with its people: the usual starting point of these tests."""

    def __init__(self, *, edition=None, status="inspection_scheduled", district_code="FX", outlet=None):
        self.outlet = outlet or make_outlet(district_code)
        self.outlet_user = make_user(Role.OUTLET, outlet=self.outlet)
        self.inspector = make_user(Role.INSPECTOR, district_code=district_code, display_name="李检查")
        self.second_inspector = make_user(Role.INSPECTOR, district_code=district_code, display_name="王检查")
        self.bureau = make_user(Role.DISTRICT_BUREAU, district_code=district_code)
        self.application = make_application(
            self.outlet, status=status, inspectors=[self.inspector, self.second_inspector], edition=edition
        )
        self.assessment = get_or_create_assessment(self.application, "inspection")
        self.edition = pinned_edition(self.application.edition)

    def save(self, code, value, *, actor=None, version=None, not_applicable=False, note=None):
        """Save through the service, as an earlier visit of the page would have."""
        row = save_answer(
            self.assessment,
            self.edition,
            code,
            value=value,
            not_applicable=not_applicable,
            note=note,
            expected_version=self.version(code) if version is None else version,
            actor=actor or self.inspector,
        )
        return row

    def sign_off(self):
        """Sign off as the page does (apply_transition), every item left unanswered given full marks."""
        cast = cast_for(self.outlet, self.application.inspectors, bureau=self.bureau)
        take(self.application, Action.SIGN_OFF, cast, attach=evidence_row)

    def countersign(self, client):
        """The second inspector of the team signs the record the first has signed off, as its
        sign-off page does: that completes the inspection."""
        from tests.factories import login

        login(client, self.second_inspector)
        response = client.post(f"/checklist/{self.assessment.id}/sign-off", data={"confirm": "y"})
        assert response.status_code == 302, response.get_data(as_text=True)[-2000:]

    def version(self, code):
        from outlet_audit.checklist.service import answer_rows

        return next((row.version for row in answer_rows(self.assessment) if row.item_code == code), 0)

    @property
    def edit_url(self):
        return f"/checklist/{self.assessment.id}"

    def save_url(self, code):
        return f"/checklist/{self.assessment.id}/items/{code}"

    @property
    def upload_url(self):
        return f"/evidence/assessments/{self.assessment.id}/upload"

    @property
    def result_url(self):
        return f"/checklist/applications/{self.application.id}/result"


def form_text(item, value):
    """The text a browser would send for an engine value."""
    return FIELD_BUILDERS[item.answer.type].to_text(value)


def full_form(edition, answers: dict, versions: dict | None = None, notes: dict | None = None) -> dict:
    """Form data of the whole checklist, as the page without JavaScript posts it."""
    data = {}
    for item in (*edition.items(), *edition.bonus_items()):
        name = field_name(item.code)
        raw = answers.get(item.code)
        if raw == "N/A":
            data[f"{name}-not_applicable"] = "y"
        elif raw is not None:
            data[f"{name}-value"] = raw
        data[f"{name}-note"] = (notes or {}).get(item.code, "")
        data[f"{name}-version"] = str((versions or {}).get(item.code, 0))
    return data


def csrf_from(page: str) -> str:
    return re.search(r'name="csrf-token" content="([^"]+)"', page)[1]


# --- files ------------------------------------------------------------------------------------

SHANGHAI_GPS = (("N", (31.0, 13.0, 48.0)), ("E", (121.0, 28.0, 12.0)))


def photo(size=(640, 480), *, taken: str | None = None, gps=None, colour="green", fmt="JPEG") -> bytes:
    image = Image.new("RGB", size, colour)
    image.paste(Image.new("RGB", (size[0] // 2, size[1]), "white"), (0, 0))
    exif = Image.Exif()
    if taken:
        exif.get_ifd(ExifTags.IFD.Exif)[ExifTags.Base.DateTimeOriginal] = taken
    if gps:
        ifd = exif.get_ifd(ExifTags.IFD.GPSInfo)
        (
            (ifd[ExifTags.GPS.GPSLatitudeRef], ifd[ExifTags.GPS.GPSLatitude]),
            (ifd[ExifTags.GPS.GPSLongitudeRef], ifd[ExifTags.GPS.GPSLongitude]),
        ) = gps
    buffer = io.BytesIO()
    params = {"exif": exif} if fmt in ("JPEG", "WEBP") and (taken or gps) else {}
    image.save(buffer, fmt, **params)
    return buffer.getvalue()


def pdf(catalog: bytes = b"", *, objects: tuple[bytes, ...] = (), trailer: bytes = b"") -> bytes:
    """A one-page PDF with a correct cross-reference table; extra objects are numbered from 4."""
    bodies = [
        b"<< /Type /Catalog /Pages 2 0 R" + catalog + b" >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] >>",
        *objects,
    ]
    data = bytearray(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for number, body in enumerate(bodies, start=1):
        offsets.append(len(data))
        data += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref = len(data)
    data += b"xref\n0 %d\n0000000000 65535 f \n" % (len(bodies) + 1)
    data += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    data += b"trailer\n<< /Size %d /Root 1 0 R" % (len(bodies) + 1) + trailer + b" >>\n"
    data += b"startxref\n%d\n%%%%EOF\n" % xref
    return bytes(data)


def bomb_png(width=20_000, height=20_000) -> bytes:
    """A valid 1-bit PNG of 400 million white pixels in a few kilobytes."""

    def chunk(kind, body):
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))

    row = b"\x00" * (1 + (width + 7) // 8)
    compressor = zlib.compressobj(9)
    idat = b"".join(compressor.compress(row) for _ in range(height)) + compressor.flush()
    header = struct.pack(">IIBBBBB", width, height, 1, 0, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", idat) + chunk(b"IEND", b"")


SVG_WITH_SCRIPT = (
    b'<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg" width="10" height="10">'
    b"<script>alert(document.cookie)</script><rect width='10' height='10'/></svg>"
)
HTML_AS_JPEG = b"<html><body><script>alert(1)</script></body></html>"
HEIC_HEADER = b"\x00\x00\x00\x18ftypheic\x00\x00\x00\x00mif1heic" + b"\x00" * 64


def attach(inspection, code, data=None, *, actor=None, filename="photo.jpg"):
    from outlet_audit.checklist.attachments import attach_item_evidence

    return attach_item_evidence(
        inspection.assessment,
        inspection.application,
        inspection.edition,
        code,
        data or photo((64, 48)),
        filename,
        actor or inspection.inspector,
    )


def complete(inspection, overrides: dict | None = None):
    """Answer every scored item (full marks unless overridden) and attach the evidence each needs."""
    from outlet_audit.scoring import Answer, evidence_required

    overrides = overrides or {}
    for item in inspection.edition.items():
        value = overrides.get(item.code, best_value(item))
        inspection.save(item.code, value)
        if evidence_required(item, Answer(value)):
            attach(
                inspection,
                item.code,
                pdf() if item.evidence.kind == "document" else None,
                filename="doc.pdf" if item.evidence.kind == "document" else "photo.jpg",
            )


def signature_png_data_url() -> str:
    import base64

    image = Image.new("RGBA", (300, 100), (0, 0, 0, 0))
    for x in range(20, 280):
        image.putpixel((x, 50 + (x % 20) - 10), (0, 0, 0, 255))
    buffer = io.BytesIO()
    image.save(buffer, "PNG")
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode()


# --- the outlet's self-assessment, and a re-inspection -----------------------------------------------

TAPE_NOTE = "封装台 3 处使用 60 毫米宽胶带"


def self_assessed(inspection, answers: dict, notes: dict | None = None):
    """The outlet's self-assessment with these answers (and notes) saved, as from its page."""
    from outlet_audit.workflow.seeding import answer_checklist

    answer_checklist(
        inspection.application, "self", inspection.outlet_user, answers, notes=notes, complete=False,
        attach=lambda *args, **kwargs: None,
    )  # fmt: skip
    return get_or_create_assessment(inspection.application, "self")


def self_photo(inspection, assessment, code, name, colour="red"):
    """A photo the outlet attached to an item of its self-assessment."""
    from outlet_audit.checklist.attachments import attach_item_evidence

    return attach_item_evidence(
        assessment, inspection.application, inspection.edition, code, photo((64, 48), colour=colour), name,
        inspection.outlet_user,
    )  # fmt: skip


def reinspection(codes=("1.2", "3.1"), inspection=None):
    """A first visit signed with `codes` short of full marks (1.2 with TAPE_NOTE and a photo), all
    ordered rectified and answered by the outlet: the re-inspection record (sequence 2) is open,
    pre-filled from the first. Returns the inspection (its `assessment` now the re-inspection), the
    first record and the first visit's photo of 1.2."""
    from sqlalchemy import select

    from outlet_audit.checklist.findings import answer_finding, findings_at
    from outlet_audit.checklist.models import Assessment
    from outlet_audit.extensions import db
    from outlet_audit.workflow.operations import apply_transition, make_payload
    from outlet_audit.workflow.seeding import answer_checklist, worst_value

    inspection = inspection or Inspection()
    edition, application = inspection.edition, inspection.application
    answer_checklist(
        application,
        "inspection",
        inspection.inspector,
        {code: worst_value(edition.item(code)) for code in codes},
        notes={"1.2": TAPE_NOTE} if "1.2" in codes else None,
    )
    first_photo = attach(inspection, "1.2", filename="tape-60mm.jpg")
    inspection.sign_off()
    cast = cast_for(inspection.outlet, application.inspectors, bureau=inspection.bureau)
    take(application, Action.REQUEST_RECTIFICATION, cast, rectification_item_codes=frozenset(codes))
    for finding in findings_at(inspection.assessment):
        answer_finding(
            finding, responsible_person="王建国", response="已整改。", actor=inspection.outlet_user
        )
    # as the outlet's page sends it (seeding's `take` still passes a file count this action no longer takes)
    apply_transition(application, Action.SUBMIT_RECTIFICATION, inspection.outlet_user, make_payload())
    first = inspection.assessment
    second = db.session.scalar(
        select(Assessment).where(Assessment.application_id == application.id, Assessment.sequence == 2)
    )
    assert second is not None and second.visit_type == "reinspection" and second.signed_off_at is None
    inspection.assessment = second
    return inspection, first, first_photo
