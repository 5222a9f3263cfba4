"""Builders for certificate tests: an outlet whose application was inspected, approved and certified.

Everything goes through the real operations: the transitions (`tests.factories.make_application`),
save_answer, attach_item_evidence and attach_signature, and the approval, which issues the
certificate. Each step happens at a moment of a believable timeline (`core.time.clock_at`): the
inspection scheduled three days ahead, signed off at 16:05 on the day, approved a week later.
"""

import base64
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from io import BytesIO

from pypdf import PdfReader
from sqlalchemy import select

from outlet_audit.certificates.models import Certificate
from outlet_audit.checklist.attachments import attach_item_evidence, attach_signature
from outlet_audit.checklist.service import get_or_create_assessment, holds_valid_district_certificate
from outlet_audit.core.time import clock_at, today_in_shanghai
from outlet_audit.criteria.editions import pinned_edition
from outlet_audit.extensions import db
from outlet_audit.roles import Role
from outlet_audit.workflow.seeding import NOT_APPLICABLE, Cast, answer_checklist, take
from outlet_audit.workflow.states import Action, Status
from tests.factories import (
    advance,
    cast_for,
    certify,
    evidence_row,
    first_day_of_criteria,
    let_time_pass,
    make_application,
    make_outlet,
    make_user,
    shanghai_moment,
)
from tests.pdf_helpers import photo_jpeg, signature_png

# Answers that reach the city level on the shanghai-2025 edition, with one of each answer type
# and one N/A, so the report shows every way of formatting an answer.
FULL_MARKS = {
    "1.1": True,
    "1.2": True,
    "1.3": True,
    "1.4": NOT_APPLICABLE,
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
OPINION = "同意认定。请网点持续落实各项要求。"
DAYS_TO_DECISION = 7  # from the inspection
DAYS_OF_NOTICE = 3  # from scheduling to the inspection


@dataclass
class Inspected:
    application: object
    inspection: object
    outlet: object
    outlet_user: object
    bureau: object
    inspector: object
    cast: Cast


@dataclass
class Certified(Inspected):
    certificate: Certificate


def make_inspected(
    outlet=None,
    *,
    district_code: str = "FX",
    level: str = "district",
    inspected_on: date | None = None,
    answers=None,
    notes=None,
    photos: dict[str, int] | None = None,
    with_signature: bool = True,
    **outlet_fields,
) -> Inspected:
    """An application for `level` whose inspection was signed off at 16:05 on `inspected_on`.

    `answers` (default FULL_MARKS; items not named get full marks) and `notes` are saved by the
    inspector; `photos` uploads that many photos for an item, and every other item that needs
    evidence has one. City level: the outlet is certified at district level first.
    """
    outlet = outlet or make_outlet(district_code, **outlet_fields)
    district = outlet.district.code
    cast = cast_for(
        outlet,
        [make_user(Role.INSPECTOR, district_code=district, display_name="王建国")],
        outlet_user=make_user(Role.OUTLET, outlet=outlet),
        bureau=make_user(Role.DISTRICT_BUREAU, district_code=district, display_name="张伟"),
    )
    day = inspected_on or today_in_shanghai() - timedelta(days=30 + DAYS_TO_DECISION)
    with clock_at(shanghai_moment(day - timedelta(days=DAYS_OF_NOTICE))):
        if level == "city" and not holds_valid_district_certificate(outlet.id):
            certify(outlet, "district", issued_on=day - timedelta(days=DAYS_OF_NOTICE), cast=cast)
        application = make_application(
            outlet,
            status=Status.INSPECTION_SCHEDULED,
            target_level=level,
            cast=cast,
            inputs={Action.SCHEDULE_INSPECTION: {"scheduled_on": day}},
        )
    (inspector,) = cast.inspectors
    with clock_at(shanghai_moment(day, 16, 5)):
        edition = pinned_edition(application.edition)
        inspection = get_or_create_assessment(application, "inspection")
        for code, count in (photos or {}).items():
            for index in range(count):
                data = photo_jpeg(len(code) * 7 + index)
                attach_item_evidence(
                    inspection, application, edition, code, data, f"photo-{code}-{index}.jpg", inspector
                )
        answer_checklist(
            application, "inspection", inspector, answers or FULL_MARKS, notes=notes, attach=evidence_row
        )
        if with_signature:
            data_url = "data:image/png;base64," + base64.b64encode(signature_png()).decode()
            attach_signature(inspection, application, "inspector", data_url, inspector)
        take(application, Action.SIGN_OFF, cast, attach=evidence_row)
    return Inspected(application, inspection, outlet, cast.outlet_user, cast.bureau, inspector, cast)


def make_certified(outlet=None, *, issued_on: date | None = None, **fields) -> Certified:
    """An outlet with a certificate issued on `issued_on` (default: 30 days ago, so valid today).

    Approved at 09:00 that day, a week after the inspection (`fields` as make_inspected's).
    """
    issued_on = issued_on or today_in_shanghai() - timedelta(days=30)
    # Every step happens while the criteria are in effect; an older certificate is aged after.
    earliest = first_day_of_criteria() + timedelta(days=DAYS_OF_NOTICE + DAYS_TO_DECISION + 1)
    decided_on = max(issued_on, earliest)
    inspected = make_inspected(outlet, inspected_on=decided_on - timedelta(days=DAYS_TO_DECISION), **fields)
    with clock_at(shanghai_moment(decided_on)):
        advance(
            inspected.application, Status.APPROVED, {Action.APPROVE: {"opinion": OPINION}}, inspected.cast
        )
    certificate = db.session.scalar(
        select(Certificate).where(Certificate.application_id == inspected.application.id)
    )
    if decided_on > issued_on:
        let_time_pass(certificate, issued_on)
    return Certified(**vars(inspected), certificate=certificate)


def pdf_text(pdf: bytes) -> str:
    """All text of a PDF without whitespace, which depends on where lines wrap."""
    return "".join("".join(page.extract_text().split()) for page in PdfReader(BytesIO(pdf)).pages)


def distinct_images(pdf: bytes) -> int:
    """How many different pictures the PDF embeds (one shown on several pages counts once)."""
    return len({image.data for page in PdfReader(BytesIO(pdf)).pages for image in page.images})
