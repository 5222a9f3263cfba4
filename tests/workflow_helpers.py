"""Builders for the workflow web tests: the people of one district, files, complete answers.

Files are made here in code. Answers go through `checklist.service.save_answer` and statuses
through the real transitions (`tests.factories.make_application`); item evidence and letters made
only to be counted are rows (`attach`, `factories.evidence_row`). Journeys go through the pages.
"""

import io
import random
from dataclasses import dataclass, fields
from datetime import timedelta

from PIL import Image
from sqlalchemy import select

from outlet_audit.accounts.models import User
from outlet_audit.certificates.models import Certificate
from outlet_audit.certificates.operations import add_months
from outlet_audit.checklist.kinds import AssessmentKind
from outlet_audit.checklist.service import assessment_of
from outlet_audit.core.time import today_in_shanghai
from outlet_audit.criteria.editions import active_edition, pinned_edition
from outlet_audit.evidence.models import Evidence
from outlet_audit.extensions import db
from outlet_audit.outlets.models import Outlet
from outlet_audit.roles import Agency, Role
from outlet_audit.workflow.actions import ACTIONS
from outlet_audit.workflow.models import Application
from outlet_audit.workflow.seeding import answer_checklist, best_value, take, worst_value
from outlet_audit.workflow.seeding import ready_to_submit as outlet_ready_to_submit
from outlet_audit.workflow.states import Action
from tests.factories import cast_for, certify, evidence_row, make_application, make_outlet, make_user

ECOLOGY = Agency.DISTRICT_ECOLOGY


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
    ecology: object  # Fengxian's ecology and environment bureau: co-signs approvals
    ecology_inspector: object  # Fengxian's ecology and environment bureau: joins joint teams

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
        ecology=make_user(
            Role.DISTRICT_BUREAU,
            district_code="FX",
            display_name="奉贤生态环境局审核员",
            locale=EN,
            agency=ECOLOGY,
        ),
        ecology_inspector=make_user(
            Role.INSPECTOR, district_code="FX", display_name="陆环评", locale=EN, agency=ECOLOGY
        ),
    )


def crew_keys(crew: Crew) -> dict[str, int]:
    """The crew's ids: what a module's `shared_rows` returns of a crew its tests share."""
    return {field.name: getattr(crew, field.name).id for field in fields(Crew)}


def crew_of(keys: dict[str, int]) -> Crew:
    """The crew `crew_keys` named, read in the test's session."""
    return Crew(**{name: db.session.get(Outlet if name == "outlet" else User, keys[name]) for name in keys})


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


def answer_all(application, kind: str, user, *, short_of=(), skip=()) -> object:
    """Answer every scored item through save_answer (worst for `short_of`, none for `skip`), with the
    evidence each answer needs."""
    edition = pinned_edition(application.edition)
    values = {
        item.code: worst_value(item) if item.code in short_of else best_value(item)
        for item in edition.items()
        if item.code not in skip
    }
    return answer_checklist(application, kind, user, values, complete=False, attach=evidence_row)


def ready_to_submit(crew: Crew, **fields) -> Application:
    """An application (a draft unless `status` says) with every declaration affirmed, a complete
    self-assessment and the letter attached: all the outlet does before submitting."""
    application = make_application(crew.outlet, **fields)
    outlet_ready_to_submit(application, crew.outlet_user, evidence_row)
    return application


def application_in(crew: Crew, status, *, awaiting: Agency | None = None, **fields) -> Application:
    """An application of the crew's outlet brought to `status` by the real transitions, inspected by
    `crew.inspector`. In approval, `awaiting` names the agency whose step it waits for (else the
    first step after the proposal); awaiting the city, it is a city-level one, the outlet certified
    at district level first (as the criteria require of a city-level applicant)."""
    fields.setdefault("inspectors", [crew.inspector])
    if awaiting in (Agency.CITY_POSTAL, Agency.CITY_ECOLOGY):
        certify(crew.outlet, "district", cast=cast_for(crew.outlet, fields["inspectors"]))
        fields["target_level"] = "city"
    application = make_application(crew.outlet, status=status, **fields)
    while awaiting is not None and application.awaiting_agency != awaiting.value:
        take(application, Action.AGREE, cast_for(crew.outlet, fields["inspectors"]))
    return application


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


def give_certificate(outlet, level="district", *, valid_days=300) -> Certificate:
    """A certificate issued to `outlet` so that it is valid for `valid_days` more days (expired if < 0)."""
    months = active_edition().level(level).certificate_validity_months
    return certify(
        outlet, level, issued_on=add_months(today_in_shanghai() + timedelta(days=valid_days), -months)
    )


def ordered_findings(application_id: int) -> dict:
    """The findings of the application's open rectification notice, by item code."""
    from outlet_audit.checklist.findings import open_notice

    notice = open_notice(application_id)
    return {finding.item_code: finding for finding in (notice.findings if notice else [])}


def finding_answer_request(
    application_id: int, finding_id: int, responsible_person="", response="", files=()
) -> tuple[str, dict]:
    """The URL and multipart form of the outlet's answer to one finding (its form carries the
    finding as prefix); `files` are (stream, name) pairs."""
    prefix = f"finding{finding_id}"
    data = {f"{prefix}-responsible_person": responsible_person, f"{prefix}-response": response}
    if files:
        data[f"{prefix}-files"] = list(files)
    return f"/applications/{application_id}/findings/{finding_id}/answer", data


def finding_check_request(application_id: int, finding_id: int, outcome, method, note="") -> tuple[str, dict]:
    """The URL and form of an inspector's verification of one finding in the re-inspection."""
    prefix = f"check{finding_id}"
    data = {f"{prefix}-outcome": outcome, f"{prefix}-method": method, f"{prefix}-note": note}
    return f"/applications/{application_id}/findings/{finding_id}/check", data
