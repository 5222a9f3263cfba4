"""Applications brought to a status the way people bring them there: one path for demo data and tests.

Every step is a real operation: `create_application` and `save_draft` open the draft, `save_answer`
and `attach_item_evidence` fill a checklist, `attach_commitment_letter` adds the letter, and
`apply_transition` moves the status (scoring, signing off and issuing the certificate as it does).
Nothing here writes a status, a sign-off, a score or a certificate itself, so what it makes changes
when the operations change. `flask demo load` (workflow.demo) and the tests' factories use it.

`advance_to(application, status, cast)` walks the transition table's shortest path from where the
application is to `status`. Before each action it does what a person does first (answers the
checklist before the sign-off, attaches the letter before submitting), and it gives the action the
input `action_input` builds: the one place that knows what each action's form posts.
"""

import io
from collections import deque
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal

from PIL import Image, ImageDraw

from outlet_audit.checklist.attachments import attach_item_evidence
from outlet_audit.checklist.findings import (
    answer_finding,
    attach_finding_file,
    check_finding,
    checks_in,
    findings_at,
    findings_to_verify,
    open_notice,
    unanswered,
)
from outlet_audit.checklist.kinds import AssessmentKind, FindingStatus
from outlet_audit.checklist.models import Assessment
from outlet_audit.checklist.service import (
    answer_rows_by_code,
    assessment_of,
    evidence_counts,
    get_or_create_assessment,
    not_asked,
    outlet_profile,
    save_answer,
    scoring_answers,
)
from outlet_audit.checklist.team import team_of, unsigned
from outlet_audit.core.time import today_in_shanghai
from outlet_audit.criteria.editions import pinned_edition
from outlet_audit.criteria.model import Item
from outlet_audit.extensions import db
from outlet_audit.roles import Agency, Role
from outlet_audit.scoring import evidence_required, skipped_items
from outlet_audit.workflow.approvals import next_step
from outlet_audit.workflow.drafting import (
    attach_commitment_letter,
    commitment_letter_attached,
    create_application,
    save_draft,
)
from outlet_audit.workflow.models import Application
from outlet_audit.workflow.operations import apply_transition, make_payload
from outlet_audit.workflow.states import TRANSITIONS, Action, Level, Payload, Status


class NotApplicable:
    """The answer "not applicable" in a `values` mapping (an item that allows it)."""

    def __repr__(self) -> str:
        return "NOT_APPLICABLE"


NOT_APPLICABLE = NotApplicable()

# Adds one item's evidence: (assessment, application, item, actor).
Attach = Callable[[Assessment, Application, Item, object], None]

# Colours of the made-up photos, so pages look like photos of different things.
PALETTE = [(46, 125, 50), (21, 101, 192), (239, 108, 0), (106, 27, 154), (0, 131, 143), (173, 20, 87)]
# Made-up photos go through the real upload checks (decoding, re-encoding, a thumbnail) as any other.
PHOTO_SIZE = (480, 360)


@dataclass(frozen=True)
class Cast:
    """The people who act on one application: its outlet's staff, its district postal bureau, the
    inspectors a scheduling assigns (of the same district), the district ecology bureau that
    co-signs and, for city level, the city bureau."""

    outlet_user: object
    bureau: object
    inspectors: tuple = ()
    city: object = None
    ecology: object = None  # of the district's ecology and environment bureau: co-signs approvals
    ecology_inspector: object = None  # joins the team when the edition wants a joint one

    def signer(self, agency: Agency):
        """Who in the cast signs an approval step of `agency`."""
        return {
            Agency.DISTRICT_POSTAL: self.bureau,
            Agency.DISTRICT_ECOLOGY: self.ecology,
            Agency.CITY_POSTAL: self.city,
        }.get(agency)


# --- files and answers ---------------------------------------------------------------------------


def photo(label: str, seed: int = 0, size: tuple[int, int] = PHOTO_SIZE) -> bytes:
    image = Image.new("RGB", size, PALETTE[seed % len(PALETTE)])
    draw = ImageDraw.Draw(image)
    draw.rectangle((4, 4, size[0] - 5, size[1] - 5), outline=(255, 255, 255), width=2)
    draw.text((10, 10), label, fill=(255, 255, 255))
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", quality=80)
    return buffer.getvalue()


def document(text: str) -> bytes:
    """A one-page PDF saying `text`: a signed letter or a certificate, as far as the checks go."""
    from reportlab.pdfgen import canvas

    buffer = io.BytesIO()
    page = canvas.Canvas(buffer)
    page.drawString(72, 720, text)
    page.save()
    return buffer.getvalue()


def best_value(item: Item):
    """The answer that earns the item's full points, as the engine's value."""
    spec = item.answer
    if spec.type == "yes_no":
        return spec.earns_on
    if spec.type == "choice":
        return max(spec.options, key=lambda option: option.points).code
    top = max(spec.thresholds, key=lambda threshold: threshold.points, default=None)
    if top is not None and top.min is not None:
        return Decimal(top.min)
    return Decimal(0)  # what is counted costs points ("at most" steps, a deduction): none found


def worst_value(item: Item):
    """An answer that earns the item no points."""
    spec = item.answer
    if spec.type == "yes_no":
        return not spec.earns_on
    if spec.type == "choice":
        return min(spec.options, key=lambda option: option.points).code
    if spec.deduction is not None or any(threshold.max is not None for threshold in spec.thresholds):
        return Decimal(100)  # far past every step and every deduction
    return Decimal(0)


def answer_checklist(
    application: Application,
    kind: str,
    actor,
    values: Mapping[str, object] | None = None,
    *,
    notes: Mapping[str, str] | None = None,
    complete: bool = True,
    short_of=(),
    attach: Attach | None = None,
) -> Assessment:
    """Answer the checklist as `actor` through `save_answer`, attaching the evidence each answer needs.

    `values` (item code -> engine value or NOT_APPLICABLE) are saved as given, bonus items
    included; with `complete` every other scored item still unanswered gets its best answer
    (its worst for the codes in `short_of`). An answer already saved is saved again only when
    `values` names it. Each answer saved (with `complete`: each answer) that needs evidence and has
    none gets one through `attach` (default: `upload_evidence`).
    """
    attach = attach or upload_evidence
    values = dict(values or {})
    edition = pinned_edition(application.edition)
    assessment = get_or_create_assessment(application, kind)
    rows = answer_rows_by_code(assessment)
    filled = set()
    if complete:
        for item in edition.items():
            if item.code not in values and item.code not in rows:
                values[item.code] = worst_value(item) if item.code in short_of else best_value(item)
                filled.add(item.code)
    order = {item.code: index for index, item in enumerate((*edition.items(), *edition.bonus_items()))}
    # in the edition's order: an item's condition is answered before the item it shows
    for code, value in sorted(values.items(), key=lambda pair: order.get(pair[0], len(order))):
        if code in filled and not_asked(assessment, edition, edition.item(code), rows.values()):
            continue  # left out for this outlet or by an earlier answer: completing never answers it
        not_applicable = value is NOT_APPLICABLE
        row = rows.get(code)
        save_answer(
            assessment,
            edition,
            code,
            value=None if not_applicable else value,
            not_applicable=not_applicable,
            note=(notes or {}).get(code),
            expected_version=row.version if row else 0,
            actor=actor,
            rows=rows,
        )
    counts = evidence_counts(assessment)
    answers = scoring_answers(edition, rows.values())
    skipped = skipped_items(edition, answers, outlet_profile(application.outlet_id))
    for code, answer in answers.items():
        needed = (complete or code in values) and evidence_required(edition.item(code), answer)
        needed = needed and code not in skipped
        if needed and not counts.get(code):
            attach(assessment, application, edition.item(code), actor)
    db.session.flush()
    return assessment


def upload_evidence(assessment: Assessment, application: Application, item: Item, actor) -> None:
    """Attach a made-up photo (or PDF, where only a document will do) as the checklist page does."""
    label = f"{assessment.kind} {item.code}"
    if item.evidence.kind == "document":
        data, filename = document(label), f"{item.code}.pdf"
    else:
        data, filename = photo(label, assessment.id + len(item.code)), f"{item.code}.jpg"
    edition = pinned_edition(application.edition)
    attach_item_evidence(assessment, application, edition, item.code, data, filename, actor)


# --- the outlet's side before submission ----------------------------------------------------------


def open_draft(
    outlet, actor, level: Level = Level.DISTRICT, *, renewal_of=None, affirm: bool = True
) -> Application:
    """A new draft of `outlet` opened by its staff `actor`, every declaration affirmed if `affirm`."""
    application = create_application(outlet, level, actor=actor, renewal_of=renewal_of)
    if affirm:
        affirm_declarations(application, actor)
    return application


def affirm_declarations(application: Application, actor) -> None:
    edition = pinned_edition(application.edition)
    save_draft(
        application,
        target_level=Level(application.target_level),
        eligibility={declaration.code: True for declaration in edition.eligibility},
        actor=actor,
    )


def ready_to_submit(application: Application, actor, attach: Attach | None = None) -> None:
    """What the outlet does before submitting: affirm, complete the self-assessment, attach the letter."""
    edition = pinned_edition(application.edition)
    affirmed = application.eligibility or {}
    if any(affirmed.get(declaration.code) is not True for declaration in edition.eligibility):
        affirm_declarations(application, actor)
    answer_checklist(application, AssessmentKind.SELF, actor, attach=attach)
    if not commitment_letter_attached(application):
        attach_commitment_letter(
            application,
            document(f"Commitment letter (signed) - {application.outlet.permit_number}"),
            "承诺书（已签章）.pdf",
            actor=actor,
        )


# --- moving the status ------------------------------------------------------------------------------


def shortest_path(start: Status, target: Status) -> list[Action]:
    """The fewest actions of the transition table that can lead from `start` to `target`."""
    paths: dict[Status, list[Action]] = {start: []}
    queue = deque([start])
    while queue:
        status = queue.popleft()
        if status == target:
            return paths[status]
        for (source, action), rule in TRANSITIONS.items():
            if source != status:
                continue
            for reached in sorted(rule.targets):  # sorted: the same path on every run
                if reached not in paths:
                    paths[reached] = [*paths[status], action]
                    queue.append(reached)
    raise ValueError(f"no path of the transition table leads from {start} to {target}")


def _open_findings(application: Application) -> frozenset[str]:
    record = assessment_of(application, AssessmentKind.INSPECTION)
    if record is None:
        return frozenset()
    return frozenset(
        finding.item_code for finding in findings_at(record) if finding.status == FindingStatus.OPEN
    )


def action_input(action: Action, application: Application, cast: Cast, **given) -> Payload:
    """What the action's form posts when filled in as a person usually does, overridden by `given`."""
    today = given.get("today") or today_in_shanghai()
    edition = pinned_edition(application.edition)
    usual: dict[Action, dict] = {
        Action.SIGN_OFF: {"confirmed": True},  # the inspector attests the checklist on the sign-off page
        Action.RETURN: {"reasons": "承诺书未加盖公章，请补充后重新提交。"},
        Action.REJECT: {"reasons": "现场评估未达到认定要求。"},
        Action.REOPEN_INSPECTION: {"reasons": "现场照片不清晰，需重新核查。"},
        Action.AGREE: {"opinion": "经审核，同意。"},
        Action.DISAGREE: {"opinion": "认定条件尚未全部满足，不同意。"},
        Action.RETURN_STEP: {"opinion": "材料不全，请补充后重新提请。"},
        Action.SCHEDULE_INSPECTION: {"inspector_ids": _team(application, cast), "scheduled_on": today},
        Action.REQUEST_RECTIFICATION: {
            "rectification_item_codes": _open_findings(application) or frozenset({edition.items()[0].code}),
            "rectification_deadline": today + timedelta(days=21),
            "reasons": "请按评估意见整改并上传整改照片。",
        },
        Action.APPROVE: {
            "granted_level": Level(application.target_level),
            "opinion": "现场评估符合要求，同意认定。",
        },
    }
    usual[Action.RESCHEDULE_INSPECTION] = usual[Action.SCHEDULE_INSPECTION]
    return make_payload(**{**usual.get(action, {}), **given})


def _team(application: Application, cast: Cast) -> frozenset[int]:
    """The cast's inspectors, with its ecology inspector when the edition wants a joint team."""
    team = {inspector.id for inspector in cast.inspectors}
    required = pinned_edition(application.edition).level(application.target_level).inspection_team
    if Agency.DISTRICT_ECOLOGY in required and cast.ecology_inspector is not None:
        team.add(cast.ecology_inspector.id)
    return frozenset(team)


def actor_of(application: Application, action: Action, cast: Cast):
    """Who in the cast takes `action` at the application's stage (the first member of the visit's
    team who has not signed it signs; an approval step is signed by the cast's member of the step's
    agency)."""
    rule = TRANSITIONS[(Status(application.status), action)]
    if rule.at_step:
        return cast.signer(next_step(application).agency)
    role = min(rule.roles)  # every other row names one role
    if role == Role.INSPECTOR:
        return next(iter(_still_to_sign(application)), None) or application.inspectors[0]
    return {Role.OUTLET: cast.outlet_user, Role.DISTRICT_BUREAU: cast.bureau, Role.CITY_BUREAU: cast.city}[
        role
    ]


def take(
    application: Application,
    action: Action,
    cast: Cast,
    *,
    attach: Attach | None = None,
    short_of: Iterable[str] = (),
    **given,
) -> Status:
    """Do what a person does before `action`, then apply it as that person; return the new status.

    `given` overrides the action's usual input; `attach` adds item evidence (see answer_checklist);
    `short_of`: the items a sign-off of a first visit answers worst (the findings to rectify).
    A sign-off is signed by every member of the visit's team still to sign, one after another, so
    the application moves on as the last signature moves it.
    """
    actor = actor_of(application, action, cast)
    if action in (Action.SUBMIT, Action.RESUBMIT):
        ready_to_submit(application, actor, attach)
    elif action == Action.SIGN_OFF:
        return _sign_as_team(application, cast, attach=attach, short_of=tuple(short_of), **given)
    elif action == Action.SUBMIT_RECTIFICATION:
        answer_findings(application, actor)
    return apply_transition(application, action, actor, action_input(action, application, cast, **given))


def _still_to_sign(application: Application) -> list:
    """The members of the newest inspection record's team who have not signed it, in order."""
    record = assessment_of(application, AssessmentKind.INSPECTION)
    if record is None:
        return list(application.inspectors)
    return [member.user for member in unsigned(team_of(record))]


def _sign_as_team(application: Application, cast: Cast, *, attach, short_of, **given) -> Status:
    """What the team does on site: the first member still to sign completes the checklist (and
    verifies the rectified items) and signs it, then every other member signs it too."""
    status = Status(application.status)
    for signer in _still_to_sign(application):
        record = assessment_of(application, AssessmentKind.INSPECTION)
        if record is None or record.signed_off_at is None:
            verify_findings(application, signer, attach=attach)
            answer_checklist(application, AssessmentKind.INSPECTION, signer, attach=attach, short_of=short_of)
        payload = action_input(Action.SIGN_OFF, application, cast, **given)
        status = apply_transition(application, Action.SIGN_OFF, signer, payload)
    return status


def answer_findings(application: Application, actor) -> None:
    """What the outlet does before sending its rectification: answer every ordered item, with a photo."""
    for finding in unanswered(open_notice(application.id)):
        attach_finding_file(
            finding,
            photo(f"rectification {finding.item_code}", application.id + finding.id),
            f"整改照片-{finding.item_code}.jpg",
            outlet_id=application.outlet_id,
            actor=actor,
        )
        answer_finding(
            finding, responsible_person="王建国 站长", response="已按要求整改，整改照片见附件。", actor=actor
        )


def verify_findings(application: Application, actor, *, attach: Attach | None = None) -> None:
    """What the inspector does in a re-inspection before signing, for each rectified item not yet
    verified: find it put right on site, answer it at its best and close it."""
    record = get_or_create_assessment(application, AssessmentKind.INSPECTION)
    checked = checks_in(record)
    to_verify = [finding for finding in findings_to_verify(record) if finding.id not in checked]
    if not to_verify:
        return
    edition = pinned_edition(application.edition)
    values = {finding.item_code: best_value(edition.item(finding.item_code)) for finding in to_verify}
    answer_checklist(application, AssessmentKind.INSPECTION, actor, values, attach=attach)
    for finding in to_verify:
        check_finding(
            record, finding, outcome="closed", method="on_site", note="现场复查已整改。", actor=actor
        )


def _to_rectify(application: Application, inputs: Mapping[Action, dict]) -> frozenset[str]:
    asked = inputs.get(Action.REQUEST_RECTIFICATION, {}).get("rectification_item_codes")
    return frozenset(asked) if asked else frozenset({pinned_edition(application.edition).items()[0].code})


def advance_to(
    application: Application,
    target: Status,
    cast: Cast,
    inputs: Mapping[Action, dict] | None = None,
    *,
    attach: Attach | None = None,
) -> Application:
    """Take the actions of the shortest path to `target`, each with its usual input or `inputs[action]`.

    The path is planned again after every action: an approval the city must confirm lands on
    "awaiting city confirmation", and the walk goes on from there.
    """
    inputs = inputs or {}
    while Status(application.status) != target:
        try:
            path = shortest_path(Status(application.status), target)
        except ValueError as error:  # e.g. a district-level approval never awaits the city
            level = application.target_level
            raise ValueError(f"{level}-level application {application.id}: {error}") from None
        action, extra = path[0], {}
        if action == Action.SIGN_OFF and Action.REQUEST_RECTIFICATION in path:
            # the visit must find what the bureau will order rectified
            extra["short_of"] = _to_rectify(application, inputs)
        take(application, action, cast, attach=attach, **extra, **inputs.get(action, {}))
    return application
