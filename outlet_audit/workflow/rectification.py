"""The rectification panel of the application page: the notice, and each finding with what was
found, the outlet's answer and the inspectors' verification, with the form the reader may fill in.

What the outlet reads follows the inspection's one rule (`inspection_visible_to`): findings come
from signed records only, and a verification shows once the re-inspection holding it is signed by
its whole team. Until then a finding its first signature decided still reads as answered.
"""

from dataclasses import dataclass, field

from flask_login import current_user

from outlet_audit.checklist.attachments import item_evidence
from outlet_audit.checklist.findings import (
    ORDERED,
    checks_in,
    findings_to_verify,
    notices_of,
    rectification_files,
)
from outlet_audit.checklist.forms import display_answer
from outlet_audit.checklist.kinds import FINDING_STATUS_LABELS, VERIFICATION_METHOD_LABELS, FindingStatus
from outlet_audit.checklist.models import Answer, Assessment, Finding, FindingCheck, RectificationNotice
from outlet_audit.checklist.permissions import inspection_visible_to
from outlet_audit.checklist.service import scoring_answers
from outlet_audit.core.time import today_in_shanghai
from outlet_audit.criteria.model import Edition
from outlet_audit.evidence.models import Evidence
from outlet_audit.extensions import db
from outlet_audit.roles import Role
from outlet_audit.workflow.forms import FindingAnswerForm, FindingCheckForm
from outlet_audit.workflow.states import Status


@dataclass
class FindingRow:
    finding: Finding
    title: str
    requirement: str
    found: str  # the answer at the visit, as people read it
    note: str | None
    photos: list[Evidence]
    files: list[Evidence]  # the outlet's proof
    status_label: str
    check: FindingCheck | None = None
    method_label: str = ""
    answer_form: FindingAnswerForm | None = None
    check_form: FindingCheckForm | None = None


@dataclass
class RectificationPanel:
    notice: RectificationNotice | None
    rows: list[FindingRow] = field(default_factory=list)
    overdue: bool = False
    waiting: bool = False  # the outlet still has to answer

    def __bool__(self) -> bool:
        return self.notice is not None


def rectification_panel(
    application, edition: Edition, lang: str, inspection: Assessment | None, posted=None
) -> RectificationPanel:
    """The newest notice with its findings; `posted` (finding id, form) keeps a refused form's input."""
    notices = notices_of(application.id)
    if not notices:
        return RectificationPanel(None)
    notice = notices[-1]
    status = Status(application.status)
    waiting = status == Status.RECTIFICATION_REQUESTED and notice.submitted_at is None
    found_at = db.session.get(Assessment, notice.assessment_id)
    answers = {
        row.item_code: row for row in db.session.query(Answer).filter(Answer.assessment_id == found_at.id)
    }
    engine_answers = scoring_answers(edition, answers.values())
    photos = item_evidence(found_at)
    files = rectification_files(finding.id for finding in notice.findings)
    verifying = (
        inspection is not None
        and inspection.signed_off_at is None
        and status == Status.RECTIFICATION_SUBMITTED
        and current_user.role == Role.INSPECTOR
    )
    to_verify = {finding.id for finding in findings_to_verify(inspection)} if verifying else set()
    checks, withheld = _visible_checks(application, inspection)
    posted_id, posted_form = posted if posted else (None, None)
    rows = []
    for finding in notice.findings:
        item = edition.find_item(finding.item_code)
        check = checks.get(finding.id)
        row = FindingRow(
            finding=finding,
            title=item.title.get(lang) if item else "",
            requirement=item.guidance.get(lang) if item else "",
            found=str(display_answer(item, engine_answers[finding.item_code], lang))
            if item and finding.item_code in engine_answers
            else "—",
            note=answers[finding.item_code].note if finding.item_code in answers else None,
            photos=photos.get(finding.item_code, []),
            files=files.get(finding.id, []),
            status_label=FINDING_STATUS_LABELS[
                FindingStatus.ANSWERED if finding.id in withheld else FindingStatus(finding.status)
            ],
            check=check,
            method_label=VERIFICATION_METHOD_LABELS[check.method] if check else "",
        )
        if waiting and current_user.role == Role.OUTLET and finding.status in ORDERED:
            row.answer_form = _answer_form(finding, posted_id, posted_form)
        if finding.id in to_verify:
            row.check_form = _check_form(finding, check, posted_id, posted_form)
        rows.append(row)
    overdue = waiting and today_in_shanghai() > notice.due_on
    return RectificationPanel(notice, rows, overdue=overdue, waiting=waiting)


def _visible_checks(application, inspection: Assessment | None) -> tuple[dict[int, FindingCheck], set[int]]:
    """The verifications the reader may see: of the newest record when it is visible to them, else
    of the signed one before it. And the findings whose outcome the reader may not see yet: those
    the newest record decided when its first signature signed it, while its team still signs."""
    if inspection is None:
        return {}, set()
    if inspection_visible_to(current_user, inspection, application.status):
        return checks_in(inspection), set()
    withheld = set(checks_in(inspection)) if inspection.signed_off_at is not None else set()
    signed = db.session.scalar(
        db.select(Assessment)
        .where(
            Assessment.application_id == application.id,
            Assessment.kind == inspection.kind,
            Assessment.signed_off_at.is_not(None),
            Assessment.superseded_at.is_(None),
            Assessment.sequence < inspection.sequence,
        )
        .order_by(Assessment.sequence.desc())
        .limit(1)
    )
    return (checks_in(signed) if signed is not None else {}), withheld


def _answer_form(finding: Finding, posted_id, posted_form) -> FindingAnswerForm:
    if posted_id == finding.id and isinstance(posted_form, FindingAnswerForm):
        return posted_form
    form = FindingAnswerForm(formdata=None, prefix=f"finding{finding.id}")
    form.responsible_person.data = finding.responsible_person
    form.response.data = finding.response
    return form


def _check_form(finding: Finding, check: FindingCheck | None, posted_id, posted_form) -> FindingCheckForm:
    if posted_id == finding.id and isinstance(posted_form, FindingCheckForm):
        return posted_form
    form = FindingCheckForm(formdata=None, prefix=f"check{finding.id}")
    if check is not None:
        form.outcome.data, form.method.data, form.note.data = check.outcome, check.method, check.note
    return form
