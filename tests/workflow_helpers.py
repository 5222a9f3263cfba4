"""Builders for the workflow web tests: the people of one district, files, complete answers.

Files are made here in code. Answers go through `checklist.service.save_answer`, evidence rows
are added directly (their bytes do not matter to the workflow), and statuses are set directly
only to build a starting point; journeys go through the pages.
"""

import io
import random
from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal

from PIL import Image
from sqlalchemy import select

from outlet_audit.certificates.models import Certificate
from outlet_audit.checklist.kinds import AssessmentKind
from outlet_audit.checklist.service import (
    assessment_of,
    get_or_create_assessment,
    save_answer,
    score_assessment,
)
from outlet_audit.core.time import today_in_shanghai, utcnow
from outlet_audit.criteria.editions import pinned_edition
from outlet_audit.evidence.models import Evidence
from outlet_audit.extensions import db
from outlet_audit.roles import Role
from outlet_audit.scoring import Answer, evidence_required
from outlet_audit.workflow.actions import ACTIONS
from outlet_audit.workflow.models import Application
from outlet_audit.workflow.states import Action
from tests.factories import make_application, make_outlet, make_user


def jpeg_bytes(seed: int = 0) -> bytes:
    """A small photo whose content (and so hash) depends on the seed."""
    rng = random.Random(seed)
    image = Image.new("RGB", (64, 48), (rng.randrange(256), rng.randrange(256), rng.randrange(256)))
    for _ in range(40):
        image.putpixel((rng.randrange(64), rng.randrange(48)), (rng.randrange(256), 0, 0))
    buffer = io.BytesIO()
    image.save(buffer, "JPEG")
    return buffer.getvalue()


def pdf_bytes(text: str = "signed") -> bytes:
    from reportlab.pdfgen import canvas

    buffer = io.BytesIO()
    page = canvas.Canvas(buffer)
    page.drawString(72, 720, text)
    page.save()
    return buffer.getvalue()


# The tests read English: the pages then show the msgids, whatever the catalogs hold.
EN = "en"


@dataclass
class Crew:
    """One Fengxian outlet with its staff, the district's bureau and inspectors, and outsiders."""

    outlet: object
    outlet_user: object
    bureau: object
    inspector: object
    second_inspector: object
    city: object
    other_outlet_user: object  # another outlet of the same district
    other_bureau: object  # Qingpu
    other_inspector: object  # Fengxian, never assigned
    foreign_inspector: object  # Qingpu
    admin: object

    def by_role(self, role: Role):
        return {
            Role.OUTLET: self.outlet_user,
            Role.DISTRICT_BUREAU: self.bureau,
            Role.INSPECTOR: self.inspector,
            Role.CITY_BUREAU: self.city,
            Role.ADMIN: self.admin,
        }[role]


def make_crew() -> Crew:
    """Build the crew; each test module wraps this in its own `crew` fixture (after `ctx`)."""
    outlet = make_outlet("FX", name="奉贤测试顺丰网点", address="奉贤区测试路 1 号")
    return Crew(
        outlet=outlet,
        outlet_user=make_user(Role.OUTLET, outlet=outlet, email="outlet@example.test", locale=EN),
        bureau=make_user(Role.DISTRICT_BUREAU, district_code="FX", display_name="奉贤局审核员", locale=EN),
        inspector=make_user(Role.INSPECTOR, district_code="FX", display_name="顾检查", locale=EN),
        second_inspector=make_user(Role.INSPECTOR, district_code="FX", display_name="沈评估", locale=EN),
        city=make_user(Role.CITY_BUREAU, display_name="市局审核员", locale=EN),
        other_outlet_user=make_user(Role.OUTLET, outlet=make_outlet("FX"), locale=EN),
        other_bureau=make_user(Role.DISTRICT_BUREAU, district_code="QP", locale=EN),
        other_inspector=make_user(Role.INSPECTOR, district_code="FX", locale=EN),
        foreign_inspector=make_user(Role.INSPECTOR, district_code="QP", locale=EN),
        admin=make_user(Role.ADMIN, locale=EN),
    )


def attach(application, user, purpose="commitment", **fields) -> Evidence:
    """An evidence row without bytes: enough for the workflow, which counts evidence."""
    evidence = Evidence(
        outlet_id=application.outlet_id,
        application_id=application.id,
        purpose=purpose,
        kind="document",
        mime_type="application/pdf",
        filename=f"{purpose}.pdf",
        size_bytes=100,
        original_sha256="a" * 64,
        stored_sha256="a" * 64,
        uploaded_by_id=user.id,
        **fields,
    )
    db.session.add(evidence)
    db.session.flush()
    return evidence


def best_value(item):
    """The answer that earns the item's full points, as the engine's value."""
    spec = item.answer
    if spec.type == "yes_no":
        return spec.earns_on
    if spec.type == "choice":
        return max(spec.options, key=lambda option: option.points).code
    return Decimal(max(threshold.min for threshold in spec.thresholds))


def worst_value(item):
    spec = item.answer
    if spec.type == "yes_no":
        return not spec.earns_on
    if spec.type == "choice":
        return min(spec.options, key=lambda option: option.points).code
    return Decimal(0)


def answer_all(application, kind: str, user, *, short_of=(), skip=()) -> object:
    """Answer every item of the assessment with full marks (worst for `short_of`), with evidence."""
    edition = pinned_edition(application.edition)
    assessment = get_or_create_assessment(application, kind)
    existing = {row.item_code: row.version for row in assessment.answers}
    for item in edition.items():
        if item.code in skip:
            continue
        value = worst_value(item) if item.code in short_of else best_value(item)
        save_answer(
            assessment,
            edition,
            item.code,
            value=value,
            not_applicable=False,
            note=None,
            expected_version=existing.get(item.code, 0),
            actor=user,
        )
        if evidence_required(item, Answer(value)):
            attach(application, user, purpose="item", assessment_id=assessment.id, item_code=item.code)
    db.session.flush()
    return assessment


def affirm_everything(application) -> None:
    edition = pinned_edition(application.edition)
    application.eligibility = {declaration.code: True for declaration in edition.eligibility}
    db.session.flush()


def ready_to_submit(crew: Crew, **fields) -> Application:
    """A draft with every declaration affirmed, a complete self-assessment and the letter attached."""
    application = make_application(crew.outlet, **fields)
    affirm_everything(application)
    answer_all(application, "self", crew.outlet_user)
    attach(application, crew.outlet_user)
    return application


def sign_off_inspection(application, inspector, *, short_of=()) -> object:
    """A complete, scored and signed-off inspection, as the sign-off transition leaves it."""
    inspection = answer_all(application, "inspection", inspector, short_of=short_of)
    score_assessment(inspection, pinned_edition(application.edition), application.outlet_id)
    inspection.signed_off_at = utcnow()
    inspection.signed_off_by_id = inspector.id
    db.session.flush()
    return inspection


def action_request(application, action: str, **fields) -> tuple[str, dict]:
    """The URL of the action's one door (`workflow.actions.ACTIONS`) and the form data it reads.

    On the application page the fields carry the action as prefix; the sign-off page reads the
    confirmation (given unless `confirm` says otherwise), the result page's reopen form a `reason`.
    """
    door = ACTIONS[Action(action)].door
    if door == "checklist.sign_off":
        inspection = assessment_of(application, AssessmentKind.INSPECTION)
        return f"/checklist/{inspection.id}/sign-off", {"confirm": "y", **fields}
    if door == "checklist.reopen":
        return f"/checklist/applications/{application.id}/reopen", fields
    assert door == "workflow.transition", door
    return f"/applications/{application.id}/transition", {
        "action": action,
        **{f"{action}-{name}": value for name, value in fields.items()},
    }


def in_days(days: int) -> str:
    return (today_in_shanghai() + timedelta(days=days)).isoformat()


def reload(application) -> Application:
    db.session.expire_all()
    return db.session.scalar(select(Application).where(Application.id == application.id))


def give_certificate(outlet, level="district", *, valid_days=300, state="active") -> Certificate:
    application = make_application(outlet, status="approved", target_level=level)
    today = today_in_shanghai()
    certificate = Certificate(
        number=f"WFKD-2025-FX-{'S' if level == 'city' else 'Q'}-{application.id:04d}",
        application_id=application.id,
        outlet_id=outlet.id,
        district_id=outlet.district_id,
        level=level,
        score=90,
        edition_id="shanghai-2025",
        edition_hash="0" * 64,
        issuing_bureau="奉贤区邮政管理局",
        issued_on=today - timedelta(days=30),
        valid_until=today + timedelta(days=valid_days),
        state=state,
    )
    db.session.add(certificate)
    db.session.flush()
    return certificate
