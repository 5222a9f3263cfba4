"""A supervision check's visit and what the bureau concludes from it.

The visit record is an assessment of kind `supervision` on the approved application; its team
signs it member by member as an inspection record is signed (`checklist.team`), but outside the
application's state machine: the application stays approved, and it is the check that moves on
(scheduled → visited once the last member has signed). The district postal bureau then concludes:
passed, rectification by a date (a notice of the visit's findings, answered by the outlet like an
inspection's), rectified, or proposed for revocation (H-revocation's case starts from there).

Operations flush, never commit; each is audited and tells whom it concerns.
"""

from dataclasses import dataclass
from datetime import date, datetime

from outlet_audit.accounts.queries import district_bureau_users, outlet_accounts
from outlet_audit.audit.operations import record as audit
from outlet_audit.certificates.operations import issuing_bureau
from outlet_audit.checklist.coverage import covered_items, visit_outcome
from outlet_audit.checklist.findings import findings_at, issue_notice, on_sign_off, unanswered
from outlet_audit.checklist.locking import lock_assessment
from outlet_audit.checklist.models import Assessment
from outlet_audit.checklist.service import (
    answer_rows,
    assessment_score,
    evidence_counts,
    missing_items,
    outlet_profile,
    score_assessment,
    scoring_answers,
)
from outlet_audit.checklist.team import sign_as_member, signatures_of
from outlet_audit.core.time import today_in_shanghai, utcnow
from outlet_audit.core.urls import path_for
from outlet_audit.criteria.editions import pinned_edition
from outlet_audit.criteria.model import Edition
from outlet_audit.extensions import db
from outlet_audit.notifications.operations import notify
from outlet_audit.roles import Agency, Role
from outlet_audit.scoring import SpotCheckOutcome, skipped_items
from outlet_audit.supervision.kinds import CheckStatus
from outlet_audit.supervision.models import SupervisionCheck
from outlet_audit.text import N_, Message, Refused
from outlet_audit.workflow.models import Application

NOT_SCHEDULED = N_("This visit is no longer scheduled: it cannot be signed.")
NOT_IN_TEAM = N_("Only the inspectors of the visit's team sign it.")
SIGNED_ALREADY = N_("You have signed this visit already.")
NOT_CONFIRMED = N_("Confirm that the answers and evidence are what you found on site.")
STILL_MISSING = N_("Before signing, answer every item of the check and attach the evidence it asks for.")
NOT_VISITED = N_("Only a visited check, not concluded yet, can be concluded.")
NOT_RECTIFYING = N_("Only a check whose rectification is under way can be closed this way.")
NOT_POSTAL = N_("Only the district postal bureau concludes a check of its district.")
NO_NOTE = N_("Say why the check is passed.")
NO_REASONS = N_("Give the reasons for proposing revocation.")
NO_FINDINGS = N_("Choose at least one short item to rectify.")
UNKNOWN_FINDING = N_("Only the short items of this visit can be ordered rectified.")
DUE_IN_PAST = N_("The rectification date must be after today.")
NOT_ANSWERED = N_("The outlet has not sent its answers yet.")
NOTICE_NOT_DUE = N_("Revocation for want of rectification waits until the rectification date has passed.")
NOT_SENDABLE = N_("Answer every item of the notice before sending the answers.")


@dataclass(frozen=True)
class VisitResult:
    """What a visit found, over the items its check covers."""

    covered: frozenset[str]
    outcome: SpotCheckOutcome


def check_of_record(record: Assessment) -> SupervisionCheck | None:
    return db.session.scalar(db.select(SupervisionCheck).where(SupervisionCheck.assessment_id == record.id))


def visit_result(check: SupervisionCheck, edition: Edition) -> VisitResult:
    """The visit's figures: as kept at the first signature once signed, else from its answers now."""
    record = check.assessment
    result = assessment_score(record, edition, check.outlet_id)
    return VisitResult(
        covered_items(record, edition, check.checklist), visit_outcome(edition, result, check.checklist)
    )


def missing_for_visit(check: SupervisionCheck, edition: Edition) -> list[Message]:
    """What the visit still lacks before its first signature, over the items it covers only."""
    record = check.assessment
    answers = scoring_answers(edition, answer_rows(record))
    covered = covered_items(record, edition, check.checklist)
    skipped = dict(skipped_items(edition, answers, outlet_profile(check.outlet_id)))
    for item in (*edition.items(), *edition.bonus_items()):
        if item.code not in covered:
            skipped.setdefault(item.code, "not_covered")
    return missing_items(edition, answers, evidence_counts(record), skipped=skipped)


# --- the team signs -----------------------------------------------------------------------------


def sign_visit(
    check: SupervisionCheck,
    user,
    *,
    confirmed: bool,
    outlet_representative: str = "",
    now: datetime | None = None,
) -> bool:
    """`user` signs the visit. The first signature locks and scores the record and writes its
    findings (the covered items short of full marks); the others countersign it as locked. True
    when this was the last signature: the check is then visited and the district postal bureau told."""
    now = now or utcnow()
    record = lock_assessment(check.assessment_id)
    if check.status != CheckStatus.SCHEDULED:
        raise Refused(Message(NOT_SCHEDULED))
    signatures = signatures_of(record)
    if user.id not in signatures:
        raise Refused(Message(NOT_IN_TEAM))
    if signatures[user.id] is not None:
        raise Refused(Message(SIGNED_ALREADY))
    if not confirmed:
        raise Refused(Message(NOT_CONFIRMED), field="confirm")
    application = db.session.get(Application, check.application_id)
    edition = pinned_edition(application.edition)
    if record.signed_off_at is None:
        if missing_for_visit(check, edition):
            raise Refused(Message(STILL_MISSING))
        result = score_assessment(record, edition, check.outlet_id)
        record.signed_off_at = now
        record.signed_off_by_id = user.id
        record.outlet_representative = outlet_representative.strip()[:100] or None
        on_sign_off(record, result, now)  # uncovered items are never answered: never findings
    sign_as_member(record, user, now)
    last = all(signed is not None for member, signed in signatures.items() if member != user.id)
    audit(
        "supervision_visit_signed",
        actor=user,
        subject_type="supervision_check",
        subject_id=check.id,
        field="last" if last else "member",
        new=check.number,
    )
    if last:
        check.status = CheckStatus.VISITED
        notify(
            district_bureau_users(check.district_id),
            "supervision_visited",
            N_("The supervision visit %(number)s of %(outlet)s is signed: conclude the check."),
            path_for("checks.check_detail", check_id=check.id),
            number=check.number,
            outlet=check.outlet.name,
        )
    db.session.flush()
    return last


# --- the bureau concludes -------------------------------------------------------------------------


def _concluding(check: SupervisionCheck, actor, allowed: frozenset[CheckStatus], refusal: str) -> None:
    if actor.role != Role.DISTRICT_BUREAU or actor.agency != Agency.DISTRICT_POSTAL:
        raise Refused(Message(NOT_POSTAL))
    if actor.district_id != check.district_id:
        raise Refused(Message(NOT_POSTAL))
    if check.status not in allowed:
        raise Refused(Message(refusal))


def _concluded(check: SupervisionCheck, status: CheckStatus, actor, text: str | None, now: datetime) -> None:
    old = check.status
    check.status = status
    check.conclusion = text
    check.concluded_at = now
    check.concluded_by_id = actor.id
    db.session.flush()
    audit(
        "supervision_check_concluded",
        actor=actor,
        subject_type="supervision_check",
        subject_id=check.id,
        outlet_id=check.outlet_id,
        field=status.value,
        old=old,
        new=check.number,
        reason=text,
    )


def conclude_passed(check: SupervisionCheck, actor, *, note: str, now: datetime | None = None) -> None:
    _concluding(check, actor, frozenset({CheckStatus.VISITED}), NOT_VISITED)
    note = (note or "").strip()
    if not note:
        raise Refused(Message(NO_NOTE), field="note")
    _concluded(check, CheckStatus.PASSED, actor, note, now or utcnow())
    _tell_outlet(check, N_("The supervision check %(number)s of your outlet is passed."))


def order_rectification(
    check: SupervisionCheck,
    actor,
    *,
    codes,
    due_on: date | None,
    instructions: str,
    now: datetime | None = None,
):
    """Order these findings of the visit rectified by `due_on` (a notice on the visit's record)."""
    _concluding(check, actor, frozenset({CheckStatus.VISITED}), NOT_VISITED)
    now = now or utcnow()
    codes = set(codes or ())
    found = {finding.item_code for finding in findings_at(check.assessment)}
    if not codes:
        raise Refused(Message(NO_FINDINGS), field="codes")
    if not codes <= found:
        raise Refused(Message(UNKNOWN_FINDING), field="codes")
    if due_on is None or due_on <= today_in_shanghai():
        raise Refused(Message(DUE_IN_PAST), field="due_on")
    application = db.session.get(Application, check.application_id)
    notice = issue_notice(
        application,
        check.assessment,
        codes,
        due_on=due_on,
        instructions=instructions or "",
        issuing_bureau=issuing_bureau("district", application.district),
        district_code=application.district.code,
        actor=actor,
        now=now,
    )
    check.notice_id = notice.id
    _concluded(check, CheckStatus.RECTIFICATION, actor, notice.instructions, now)
    _tell_outlet(
        check,
        N_("Rectification ordered after the supervision check %(number)s: answer each item by %(date)s."),
        date=due_on.isoformat(),
    )
    return notice


def propose_revocation(check: SupervisionCheck, actor, *, reasons: str, now: datetime | None = None) -> None:
    """Propose revoking the certificate: from a visit, or from a rectification not made by its date."""
    _concluding(check, actor, frozenset({CheckStatus.VISITED, CheckStatus.RECTIFICATION}), NOT_VISITED)
    if check.status == CheckStatus.RECTIFICATION and check.notice.due_on >= today_in_shanghai():
        raise Refused(Message(NOTICE_NOT_DUE))
    reasons = (reasons or "").strip()
    if not reasons:
        raise Refused(Message(NO_REASONS), field="reasons")
    _concluded(check, CheckStatus.REVOCATION, actor, reasons, now or utcnow())
    _tell_outlet(check, N_("After the supervision check %(number)s, revoking your certificate is proposed."))


def mark_rectified(check: SupervisionCheck, actor, *, note: str, now: datetime | None = None) -> None:
    """The bureau has reviewed the outlet's answers and accepts them: the check is rectified."""
    _concluding(check, actor, frozenset({CheckStatus.RECTIFICATION}), NOT_RECTIFYING)
    if check.notice.submitted_at is None:
        raise Refused(Message(NOT_ANSWERED))
    # The findings stay answered: "closed" is what an inspector verifies in a signed record; here the
    # bureau's review of the answers settles the check as a whole.
    _concluded(check, CheckStatus.RECTIFIED, actor, (note or "").strip() or None, now or utcnow())
    _tell_outlet(check, N_("The rectification after the supervision check %(number)s is accepted."))


def send_answers(check: SupervisionCheck, actor, *, now: datetime | None = None) -> None:
    """The outlet sends its answers to the notice: the bureau reviews them."""
    lock_assessment(check.assessment_id)
    notice = check.notice
    if check.status != CheckStatus.RECTIFICATION or notice is None or notice.submitted_at is not None:
        raise Refused(Message(NOT_RECTIFYING))
    if unanswered(notice):
        raise Refused(Message(NOT_SENDABLE))
    notice.submitted_at = now or utcnow()
    db.session.flush()
    audit(
        "supervision_rectification_sent",
        actor=actor,
        subject_type="supervision_check",
        subject_id=check.id,
        outlet_id=check.outlet_id,
        new=notice.number,
    )
    notify(
        district_bureau_users(check.district_id),
        "supervision_rectification_sent",
        N_("%(outlet)s answered the rectification notice of check %(number)s: review the answers."),
        path_for("checks.check_detail", check_id=check.id),
        number=check.number,
        outlet=check.outlet.name,
    )


def _tell_outlet(check: SupervisionCheck, template: str, **params) -> None:
    notify(
        outlet_accounts(check.outlet_id),
        "supervision_concluded",
        template,
        path_for("checks.outlet_check", check_id=check.id),
        number=check.number,
        **params,
    )
