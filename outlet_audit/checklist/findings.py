"""Inspection records and what they found: visits, corrections, findings (整改项), rectification
notices (整改通知书) and the inspectors' verifications. Operations flush and audit; views commit.

A signed record is never written again. What changes after it is a new record:

- a re-inspection (整改复查) starts, pre-filled from the last signed visit, when the outlet sends its
  rectification: the inspectors verify each ordered finding in it (desk review or on site) and
  score it;
- a correction the bureau allows before its decision amends the last signed record: a copy with
  the reason, whose changed answers show beside the originals; once signed it supersedes it.

Findings are written when a record is signed: one per item not at full marks. The bureau orders
some of them rectified by a date (a notice); the outlet answers each one; the next record's
checks close them or not. Figures count the findings of records not superseded.
"""

from collections.abc import Iterable
from datetime import date, datetime

from sqlalchemy import exists, select

from outlet_audit.audit.operations import record as audit
from outlet_audit.checklist.kinds import AssessmentKind, FindingStatus, VerificationMethod, VisitType
from outlet_audit.checklist.locking import lock_assessment
from outlet_audit.checklist.models import (
    Answer,
    Assessment,
    Finding,
    FindingCheck,
    RectificationNotice,
)
from outlet_audit.core.time import utcnow
from outlet_audit.evidence.models import Evidence
from outlet_audit.evidence.operations import store_upload
from outlet_audit.evidence.purposes import EvidencePurpose
from outlet_audit.extensions import db
from outlet_audit.scoring import ScoreResult
from outlet_audit.text import N_, Message, Refused

RESPONSIBLE_MAX = 100
ORDERED = (FindingStatus.ORDERED, FindingStatus.ANSWERED)
VERIFIED = (FindingStatus.CLOSED, FindingStatus.NOT_CLOSED)


class FindingRefused(Refused):
    """The finding cannot be answered or verified now; `message` says why."""


# --- reading ------------------------------------------------------------------------------------


def shortfalls(result: ScoreResult) -> list[str]:
    """The items of a score not at full marks: answered, not N/A, not left out. Bonus items are
    extras, never shortfalls."""
    return [
        item.code
        for item in result.items
        if item.answered and not item.not_applicable and not item.skipped and not item.full_marks
    ]


# A notice of the application's inspection records: not one of its supervision visits' (after the
# certificate, on the same application), which their checks show and answer on their own pages.
OF_INSPECTION = exists().where(
    Assessment.id == RectificationNotice.assessment_id, Assessment.kind == AssessmentKind.INSPECTION
)


def findings_of(application_id: int) -> list[Finding]:
    """The application's findings at inspection records still in force (not superseded), oldest first."""
    return list(
        db.session.scalars(
            select(Finding)
            .join(Assessment, Assessment.id == Finding.assessment_id)
            .where(
                Finding.application_id == application_id,
                Assessment.kind == AssessmentKind.INSPECTION,
                Assessment.superseded_at.is_(None),
            )
            .order_by(Assessment.sequence, Finding.id)
        )
    )


def findings_at(record: Assessment) -> list[Finding]:
    return list(
        db.session.scalars(select(Finding).where(Finding.assessment_id == record.id).order_by(Finding.id))
    )


def notices_of(application_id: int) -> list[RectificationNotice]:
    return list(
        db.session.scalars(
            select(RectificationNotice)
            .where(RectificationNotice.application_id == application_id, OF_INSPECTION)
            .order_by(RectificationNotice.id)
        )
    )


def open_notice(application_id: int) -> RectificationNotice | None:
    """The newest notice while its findings wait to be verified (none once a later record checked them)."""
    notice = db.session.scalar(
        select(RectificationNotice)
        .where(RectificationNotice.application_id == application_id, OF_INSPECTION)
        .order_by(RectificationNotice.id.desc())
        .limit(1)
    )
    if notice is None or all(finding.status in VERIFIED for finding in notice.findings):
        return None
    return notice


def checks_in(record: Assessment) -> dict[int, FindingCheck]:
    """The record's verifications by finding id."""
    rows = db.session.scalars(select(FindingCheck).where(FindingCheck.assessment_id == record.id))
    return {check.finding_id: check for check in rows}


def findings_to_verify(record: Assessment) -> list[Finding]:
    """What a re-inspection (or its correction) verifies: the findings of the notice it answers."""
    if record.visit_type != VisitType.REINSPECTION:
        return []
    notice = db.session.scalar(
        select(RectificationNotice)
        .where(
            RectificationNotice.application_id == record.application_id,
            OF_INSPECTION,
            RectificationNotice.submitted_at.is_not(None),
            RectificationNotice.submitted_at <= record.created_at,
        )
        .order_by(RectificationNotice.id.desc())
        .limit(1)
    )
    return list(notice.findings) if notice is not None else []


def unverified(record: Assessment) -> list[Finding]:
    to_verify = findings_to_verify(record)  # [] without a query unless it is a re-inspection
    if not to_verify:
        return []
    checked = checks_in(record)
    return [finding for finding in to_verify if finding.id not in checked]


def rectification_files(finding_ids: Iterable[int]) -> dict[int, list[Evidence]]:
    """The outlet's files answering each finding, oldest first."""
    ids = list(finding_ids)
    files: dict[int, list[Evidence]] = {finding_id: [] for finding_id in ids}
    if not ids:
        return files
    rows = db.session.scalars(
        select(Evidence).where(Evidence.finding_id.in_(ids)).order_by(Evidence.uploaded_at, Evidence.id)
    )
    for evidence in rows:
        files[evidence.finding_id].append(evidence)
    return files


# --- records --------------------------------------------------------------------------------------


def start_record(
    application,
    previous: Assessment,
    *,
    visit_type: VisitType,
    inspectors: Iterable,
    actor,
    amendment_reason: str | None = None,
    scheduled_for: date | None = None,
) -> Assessment:
    """A new inspection record pre-filled from `previous` (signed): its answers, notes and item
    files (carried over, marked as such), and for a correction its verifications. `previous` stays
    as it was signed. Signatures are never carried: each record is signed anew."""
    lock_assessment(previous.id)
    record = Assessment(
        application_id=application.id,
        kind=AssessmentKind.INSPECTION,
        sequence=previous.sequence + 1,
        visit_type=visit_type,
        scheduled_for=scheduled_for,
        amends_id=previous.id if amendment_reason is not None else None,
        amendment_reason=amendment_reason,
    )
    record.inspectors = list(inspectors)
    db.session.add(record)
    db.session.flush()
    for answer in db.session.scalars(select(Answer).where(Answer.assessment_id == previous.id)):
        db.session.add(
            Answer(
                assessment_id=record.id,
                item_code=answer.item_code,
                value=answer.value,
                not_applicable=answer.not_applicable,
                note=answer.note,
                version=1,
                updated_at=answer.updated_at,
                updated_by_id=answer.updated_by_id,
            )
        )
    files = db.session.scalars(
        select(Evidence).where(
            Evidence.assessment_id == previous.id, Evidence.purpose == EvidencePurpose.ITEM
        )
    )
    earlier = list(files)
    carried = {evidence.id: _carried(evidence, record) for evidence in earlier}
    db.session.add_all(carried.values())
    db.session.flush()
    for evidence in earlier:  # a marked copy marks the carried copy of its original
        if evidence.annotates_id in carried:
            carried[evidence.id].annotates_id = carried[evidence.annotates_id].id
    if amendment_reason is not None:
        for check in checks_in(previous).values():
            db.session.add(
                FindingCheck(
                    finding_id=check.finding_id,
                    assessment_id=record.id,
                    outcome=check.outcome,
                    method=check.method,
                    note=check.note,
                    checked_at=check.checked_at,
                    checked_by_id=check.checked_by_id,
                )
            )
    db.session.flush()
    # One row says where the carried answers and files came from (each later change has its own).
    audit(
        "inspection_record_started",
        actor=actor,
        subject_type="assessment",
        subject_id=record.id,
        application_id=application.id,
        field="correction" if amendment_reason is not None else visit_type.value,
        old=str(previous.sequence),
        new=str(record.sequence),
        reason=amendment_reason,
    )
    return record


def _carried(evidence: Evidence, record: Assessment) -> Evidence:
    columns = {
        column.key: getattr(evidence, column.key)
        for column in Evidence.__table__.columns
        if column.key not in ("id", "assessment_id", "copied_from_id", "annotates_id", "upload_key")
    }
    return Evidence(**columns, assessment_id=record.id, copied_from_id=evidence.copied_from_id or evidence.id)


def on_sign_off(record: Assessment, result: ScoreResult, now: datetime) -> None:
    """What signing a record settles: the record it corrects is superseded, its verifications
    decide the findings they checked, and its own shortfalls become findings."""
    if record.amends_id is not None:
        amended = db.session.get(Assessment, record.amends_id)
        amended.superseded_at = now
    for check in checks_in(record).values():
        finding = db.session.get(Finding, check.finding_id)
        finding.status = check.outcome
        finding.closed_at = now if check.outcome == FindingStatus.CLOSED else None
    for code in shortfalls(result):
        db.session.add(
            Finding(
                application_id=record.application_id, assessment_id=record.id, item_code=code, created_at=now
            )
        )
    db.session.flush()


# --- the bureau's notice ----------------------------------------------------------------------------


def issue_notice(
    application,
    record: Assessment,
    codes: Iterable[str],
    *,
    due_on: date,
    instructions: str,
    issuing_bureau: str,
    district_code: str,
    actor,
    now: datetime,
) -> RectificationNotice:
    """Order these findings of the signed record rectified by `due_on`; the others are not required."""
    codes = set(codes)
    notice = RectificationNotice(
        number=f"PENDING-{application.id}-{now.timestamp()}",
        application_id=application.id,
        assessment_id=record.id,
        issuing_bureau=issuing_bureau,
        due_on=due_on,
        instructions=instructions.strip() or None,
        issued_at=now,
        issued_by_id=actor.id,
    )
    db.session.add(notice)
    db.session.flush()
    notice.number = notice_number(now.year, district_code, notice.id)
    for finding in findings_at(record):
        if finding.status != FindingStatus.OPEN:
            continue
        if finding.item_code in codes:
            finding.status = FindingStatus.ORDERED
            finding.notice_id = notice.id
        else:
            finding.status = FindingStatus.NOT_REQUIRED
    db.session.flush()
    return notice


def notice_number(year: int, district_code: str, notice_id: int) -> str:
    """The number printed on a rectification notice: ZG-<year>-<district>-<id>, unique by its id."""
    return f"ZG-{year:04d}-{district_code}-{notice_id:06d}"


# --- the outlet's answers -----------------------------------------------------------------------------


def answer_finding(finding: Finding, *, responsible_person: str, response: str, actor) -> Finding:
    """Keep the outlet's answer to one ordered finding (it may change it until it sends them all)."""
    _answerable(finding)
    responsible_person = (responsible_person or "").strip()
    response = (response or "").strip()
    if not responsible_person:
        raise FindingRefused(
            Message(N_("Name the person responsible for this item.")), field="responsible_person"
        )
    if not response:
        raise FindingRefused(Message(N_("Say what was done to rectify this item.")), field="response")
    old = finding.response
    finding.responsible_person = responsible_person[:RESPONSIBLE_MAX]
    finding.response = response
    finding.responded_at = utcnow()
    finding.responded_by_id = actor.id
    finding.status = FindingStatus.ANSWERED
    db.session.flush()
    audit(
        "finding_answered",
        actor=actor,
        subject_type="finding",
        subject_id=finding.id,
        application_id=finding.application_id,
        field=f"{EvidencePurpose.RECTIFICATION}:{finding.item_code}",
        old=old,
        new=response,
    )
    return finding


def _answerable(finding: Finding) -> None:
    lock_assessment(finding.assessment_id)  # the submission reads the answers under the same lock
    notice = finding.notice
    if notice is None or notice.submitted_at is not None or finding.status not in ORDERED:
        raise FindingRefused(Message(N_("This item is not waiting for a rectification answer.")))


def attach_finding_file(finding: Finding, data: bytes, filename: str, *, outlet_id: int, actor) -> Evidence:
    """Keep one file proving the rectification of this finding; UploadRefused says why not."""
    _answerable(finding)
    evidence = store_upload(
        data,
        filename,
        outlet_id=outlet_id,
        actor=actor,
        purpose=EvidencePurpose.RECTIFICATION,
        application_id=finding.application_id,
        finding_id=finding.id,
    )
    _audit_file(evidence, "evidence_uploaded", actor, finding, new=evidence.filename)
    return evidence


def remove_finding_file(finding: Finding, evidence: Evidence, actor) -> None:
    """Take back a file of an answer not sent yet (the stored bytes stay: other rows may share them)."""
    _answerable(finding)
    if evidence.finding_id != finding.id:
        raise FindingRefused(Message(N_("This file does not belong to this item.")))
    _audit_file(evidence, "evidence_deleted", actor, finding, old=evidence.filename)
    db.session.delete(evidence)
    db.session.flush()


def _audit_file(evidence: Evidence, action: str, actor, finding: Finding, *, old=None, new=None) -> None:
    audit(
        action,
        actor=actor,
        subject_type="evidence",
        subject_id=evidence.id,
        application_id=evidence.application_id,
        outlet_id=evidence.outlet_id,
        field=f"{EvidencePurpose.RECTIFICATION}:{finding.item_code}",
        old=old,
        new=new,
    )


def unanswered(notice: RectificationNotice | None) -> list[Finding]:
    if notice is None:
        return []
    return [finding for finding in notice.findings if finding.status == FindingStatus.ORDERED]


# --- the inspectors' verification -------------------------------------------------------------------


def check_finding(
    record: Assessment, finding: Finding, *, outcome: str, method: str, note: str, actor
) -> FindingCheck:
    """Keep an inspector's verification of one finding in the open re-inspection record."""
    lock_assessment(record.id)
    if record.signed_off_at is not None:
        raise FindingRefused(Message(N_("This checklist is signed off and locked.")))
    if finding.id not in {candidate.id for candidate in findings_to_verify(record)}:
        raise FindingRefused(Message(N_("This item is not verified in this inspection.")))
    if outcome not in (FindingStatus.CLOSED, FindingStatus.NOT_CLOSED):
        raise FindingRefused(Message(N_("Say whether the item is rectified.")), field="outcome")
    if method not in tuple(VerificationMethod):
        raise FindingRefused(Message(N_("Say how the item was verified.")), field="method")
    note = (note or "").strip() or None
    check = checks_in(record).get(finding.id)
    old = check.outcome if check else None
    if check is None:
        check = FindingCheck(finding_id=finding.id, assessment_id=record.id, checked_by_id=actor.id)
        db.session.add(check)
    check.outcome, check.method, check.note, check.checked_by_id = outcome, method, note, actor.id
    check.checked_at = utcnow()
    db.session.flush()
    audit(
        "finding_checked",
        actor=actor,
        subject_type="finding",
        subject_id=finding.id,
        application_id=finding.application_id,
        field=f"{AssessmentKind.INSPECTION}:{finding.item_code}",
        old=old,
        new=outcome,
        reason=note,
    )
    return check
