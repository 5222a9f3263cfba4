"""Demo applications in several states, made the way users make them: every step through
`apply_transition`, answers through the checklist service, files through the evidence store.

Called by `flask demo load` (demo/cli.py). Never in production: the demo command refuses there.
"""

import io
from datetime import timedelta

from PIL import Image, ImageDraw
from sqlalchemy import func, select

from outlet_audit.accounts.models import User
from outlet_audit.checklist.service import get_or_create_assessment, save_answer
from outlet_audit.core.time import today_in_shanghai
from outlet_audit.criteria.editions import pinned_edition
from outlet_audit.evidence.operations import store_upload
from outlet_audit.extensions import db
from outlet_audit.outlets.models import Outlet
from outlet_audit.outlets.operations import update_profile
from outlet_audit.scoring import Answer, evidence_required
from outlet_audit.workflow.drafting import attach_commitment_letter, create_application, save_draft
from outlet_audit.workflow.models import Application
from outlet_audit.workflow.operations import apply_transition, make_payload
from outlet_audit.workflow.states import Action, Level

# Colours of the made-up photos, one per section, so the pages look like photos of different things.
PALETTE = [(46, 125, 50), (21, 101, 192), (239, 108, 0), (106, 27, 154), (0, 131, 143), (173, 20, 87)]


def _photo(label: str, seed: int) -> bytes:
    image = Image.new("RGB", (480, 360), PALETTE[seed % len(PALETTE)])
    draw = ImageDraw.Draw(image)
    draw.rectangle((20, 20, 460, 340), outline=(255, 255, 255), width=4)
    draw.text((40, 40), f"demo evidence {label}", fill=(255, 255, 255))
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", quality=80)
    return buffer.getvalue()


def _letter(outlet: Outlet) -> bytes:
    from reportlab.pdfgen import canvas

    buffer = io.BytesIO()
    page = canvas.Canvas(buffer)
    page.drawString(72, 720, f"Commitment letter (signed) - {outlet.permit_number}")
    page.save()
    return buffer.getvalue()


def _best(item):
    spec = item.answer
    if spec.type == "yes_no":
        return spec.earns_on
    if spec.type == "choice":
        return max(spec.options, key=lambda option: option.points).code
    return max(threshold.min for threshold in spec.thresholds)


def _worst(item):
    spec = item.answer
    if spec.type == "yes_no":
        return not spec.earns_on
    if spec.type == "choice":
        return min(spec.options, key=lambda option: option.points).code
    return 0


def _answer(application: Application, kind: str, user, *, short_of=(), only=None) -> None:
    edition = pinned_edition(application.edition)
    assessment = get_or_create_assessment(application, kind)
    versions = {row.item_code: row.version for row in assessment.answers}
    for n, item in enumerate(edition.items()):
        if only is not None and item.code not in only:
            continue
        value = _worst(item) if item.code in short_of else _best(item)
        save_answer(
            assessment,
            edition,
            item.code,
            value=value,
            not_applicable=False,
            note=None,
            expected_version=versions.get(item.code, 0),
            actor=user,
        )
        if evidence_required(item, Answer(value)):
            store_upload(
                _photo(f"{kind} {item.code}", n + application.id),
                f"{item.code}.jpg",
                outlet_id=application.outlet_id,
                actor=user,
                purpose="item",
                application_id=application.id,
                assessment_id=assessment.id,
                item_code=item.code,
            )


def _draft(outlet: Outlet, user, level: Level = Level.DISTRICT) -> Application:
    application = create_application(outlet, level, actor=user)
    edition = pinned_edition(application.edition)
    save_draft(
        application, target_level=level, eligibility={d.code: True for d in edition.eligibility}, actor=user
    )
    return application


def _submitted(outlet: Outlet, user, level: Level = Level.DISTRICT) -> Application:
    application = _draft(outlet, user, level)
    _answer(application, "self", user)
    attach_commitment_letter(application, _letter(outlet), "承诺书（已签章）.pdf", actor=user)
    apply_transition(application, Action.SUBMIT, user, make_payload())
    return application


def _scheduled(outlet: Outlet, user, bureau, inspectors, in_days: int) -> Application:
    application = _submitted(outlet, user)
    apply_transition(application, Action.ACCEPT, bureau, make_payload())
    apply_transition(
        application,
        Action.SCHEDULE_INSPECTION,
        bureau,
        make_payload(
            inspector_ids=frozenset(i.id for i in inspectors),
            scheduled_on=today_in_shanghai() + timedelta(days=in_days),
        ),
    )
    return application


def load_demo_applications() -> int:
    """Add the demo applications to outlets that have none yet; return how many were made."""
    users = {user.username: user for user in db.session.scalars(select(User))}
    outlets = {outlet.permit_number: outlet for outlet in db.session.scalars(select(Outlet))}
    bureau, inspectors = users["fengxian"], [users["inspector1"], users["inspector2"]]
    made = 0

    def untouched(permit: str) -> bool:
        count = (
            select(func.count()).select_from(Application).where(Application.outlet_id == outlets[permit].id)
        )
        return db.session.scalar(count) == 0

    # 南桥顺丰: certified at district level, now drafting its city-level application.
    if untouched("SH-KD-2021-0158"):
        outlet, user = outlets["SH-KD-2021-0158"], users["outlet"]
        application = _scheduled(outlet, user, bureau, inspectors, in_days=0)
        _answer(application, "inspection", inspectors[0])
        apply_transition(application, Action.SIGN_OFF, inspectors[0], make_payload(confirmed=True))
        apply_transition(
            application,
            Action.APPROVE,
            bureau,
            make_payload(
                granted_level=Level.DISTRICT, opinion="现场评估符合区级无废快递网点要求，同意认定。"
            ),
        )
        city = create_application(outlet, Level.CITY, actor=user)
        save_draft(
            city, target_level=Level.CITY, eligibility={"E1": True, "E2": True, "E3": True}, actor=user
        )
        _answer(city, "self", user, only={"1.1", "1.2", "1.3"})
        made += 2

    # 西渡中通: inspection booked for both Fengxian inspectors; a manager change awaits verification.
    if untouched("SH-KD-2020-3321"):
        outlet, user = outlets["SH-KD-2020-3321"], users["outlet2"]
        _scheduled(outlet, user, bureau, inspectors, in_days=3)
        update_profile(outlet, {"manager": "李敏、周强"}, actor=user)
        made += 1

    # 金汇邮政: just submitted, waiting for the bureau.
    if untouched("SH-YZ-2019-0007"):
        _submitted(outlets["SH-YZ-2019-0007"], users["outlet3"])
        made += 1

    # 庄行京东: inspected, reusable packaging short of full marks: rectification requested.
    if untouched("SH-KD-2022-7710"):
        application = _scheduled(
            outlets["SH-KD-2022-7710"], users["outlet4"], bureau, inspectors[1:], in_days=0
        )
        _answer(application, "inspection", inspectors[1], short_of={"3.1"})
        apply_transition(application, Action.SIGN_OFF, inspectors[1], make_payload(confirmed=True))
        apply_transition(
            application,
            Action.REQUEST_RECTIFICATION,
            bureau,
            make_payload(
                rectification_item_codes=frozenset({"3.1"}),
                rectification_deadline=today_in_shanghai() + timedelta(days=21),
                reasons="可循环快递箱仅试点使用，请常态化使用并建立使用台账。",
            ),
        )
        made += 1

    # 青浦徐泾圆通: a draft the outlet has started.
    if untouched("SH-KD-2018-4402"):
        _draft(outlets["SH-KD-2018-4402"], users["outlet5"])
        made += 1

    db.session.flush()
    return made
