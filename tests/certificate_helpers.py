"""Builders for certificate tests: an approved application with a scored, signed-off inspection.

Everything goes through the real operations where one exists (save_answer, store_upload,
score_assessment, issue_certificate); only the status is set directly, as `make_application` does.
"""

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from io import BytesIO

from pypdf import PdfReader

from outlet_audit.audit.operations import record
from outlet_audit.certificates.models import Certificate
from outlet_audit.certificates.operations import issue_certificate
from outlet_audit.checklist.service import get_or_create_assessment, save_answer, score_assessment
from outlet_audit.core.time import today_in_shanghai
from outlet_audit.criteria.editions import pinned_edition
from outlet_audit.evidence.operations import store_upload
from outlet_audit.extensions import db
from outlet_audit.roles import Role
from tests.factories import make_application, make_outlet, make_user
from tests.pdf_helpers import photo_jpeg, signature_png

# Answers that reach the city level on the shanghai-2025 edition, with one of each answer type
# and one N/A, so the report shows every way of formatting an answer.
FULL_MARKS = {
    "1.1": True,
    "1.2": True,
    "1.3": True,
    "1.4": {"not_applicable": True},
    "1.5": True,
    "2.1": Decimal("96.5"),
    "3.1": "A",
    "3.2": True,
    "3.3": True,
    "4.1": True,
    "4.2": "A",
    "4.3": True,
    "5.1": True,
    "5.2": Decimal(2),
    "6.1": True,
    "B1": True,
    "B2": False,
    "B3": Decimal(1),
}
SIGNED_OFF_AT = datetime(2025, 3, 11, 8, 5)  # UTC: 16:05 in Shanghai
DECIDED_AT = datetime(2025, 3, 18, 1, 0)  # UTC: 09:00 in Shanghai
INSPECTION_DAY = date(2025, 3, 11)


@dataclass
class Certified:
    certificate: Certificate
    application: object
    outlet: object
    outlet_user: object
    bureau: object
    inspector: object


def answer_inspection(application, inspector, answers=None, notes=None):
    """Save answers on the application's inspection checklist through save_answer."""
    edition = pinned_edition(application.edition)
    inspection = get_or_create_assessment(application, "inspection")
    for code, raw in (answers or FULL_MARKS).items():
        not_applicable = isinstance(raw, dict)
        save_answer(
            inspection,
            edition,
            code,
            value=None if not_applicable else raw,
            not_applicable=not_applicable,
            note=(notes or {}).get(code),
            expected_version=0,
            actor=inspector,
        )
    return inspection


def attach_photos(application, inspection, inspector, item_code: str, count: int, seed: int = 0):
    for index in range(count):
        store_upload(
            photo_jpeg(seed + index),
            f"photo-{item_code}-{index}.jpg",
            outlet_id=application.outlet_id,
            actor=inspector,
            purpose="item",
            application_id=application.id,
            assessment_id=inspection.id,
            item_code=item_code,
        )


def sign_off(application, inspection, inspector, *, with_signature: bool = True):
    if with_signature:
        store_upload(
            signature_png(),
            "signature.png",
            outlet_id=application.outlet_id,
            actor=inspector,
            purpose="signature",
            application_id=application.id,
            assessment_id=inspection.id,
            item_code="inspector",
        )
    score_assessment(inspection, pinned_edition(application.edition), application.outlet_id)
    inspection.signed_off_at = SIGNED_OFF_AT
    inspection.signed_off_by_id = inspector.id
    db.session.flush()


def decide(application, bureau, opinion="同意认定。请网点持续落实各项要求。", action="approve"):
    """Record the bureau's decision as apply_transition leaves it (without the state machine's checks)."""
    application.decided_at = DECIDED_AT
    application.decision_opinion = opinion
    record(
        "transition",
        actor=bureau,
        subject_type="application",
        subject_id=application.id,
        application_id=application.id,
        outlet_id=application.outlet_id,
        field=action,
        old="inspected",
        new=application.status,
        reason=opinion,
    )
    db.session.flush()


def make_certified(
    outlet=None,
    *,
    district_code: str = "FX",
    level: str = "district",
    issued_on: date | None = None,
    answers=None,
    notes=None,
    photos: dict[str, int] | None = None,
    with_signature: bool = True,
    **outlet_fields,
) -> Certified:
    """An outlet with a certificate issued on `issued_on` (default: 30 days ago, so valid today)."""
    outlet = outlet or make_outlet(district_code, **outlet_fields)
    district = outlet.district.code
    outlet_user = make_user(Role.OUTLET, outlet=outlet)
    bureau = make_user(Role.DISTRICT_BUREAU, district_code=district, display_name="张伟")
    inspector = make_user(Role.INSPECTOR, district_code=district, display_name="王建国")
    application = make_application(
        outlet, status="approved", target_level=level, inspectors=[inspector], scheduled_for=INSPECTION_DAY
    )
    inspection = answer_inspection(application, inspector, answers, notes)
    for code, count in (photos or {}).items():
        attach_photos(application, inspection, inspector, code, count, seed=len(code) * 7)
    sign_off(application, inspection, inspector, with_signature=with_signature)
    decide(application, bureau)
    certificate = issue_certificate(
        application, bureau, issued_on=issued_on or today_in_shanghai() - timedelta(days=30)
    )
    db.session.flush()
    return Certified(certificate, application, outlet, outlet_user, bureau, inspector)


def pdf_text(pdf: bytes) -> str:
    """All text of a PDF without whitespace, which depends on where lines wrap."""
    return "".join("".join(page.extract_text().split()) for page in PdfReader(BytesIO(pdf)).pages)


def image_count(pdf: bytes) -> int:
    return sum(len(page.images) for page in PdfReader(BytesIO(pdf)).pages)
