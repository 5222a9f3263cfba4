"""The yearly continued-compliance self-check (年度自查): made each year for the certificates whose
edition asks for one, reminded before its due date, submitted by the outlet, reviewed by the
district bureau; a missing or failed one can lead to a targeted visit.

Operations flush, never commit. `run_yearly_self_checks(today)` is the daily job (`flask yearly
run`, from cron like the other reminders): it is idempotent, so running it twice a day, or again
after a missed day, makes and reminds nothing twice.
"""

from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy import exists, select, update
from sqlalchemy.orm import aliased

from outlet_audit.accounts.queries import district_bureau_users, outlet_accounts
from outlet_audit.audit.operations import record
from outlet_audit.certificates.models import Certificate
from outlet_audit.certificates.queries import valid_certificate_clause
from outlet_audit.certificates.state import StoredCertificateState
from outlet_audit.checklist import coverage
from outlet_audit.checklist.kinds import AssessmentKind
from outlet_audit.checklist.locking import lock_assessment
from outlet_audit.checklist.models import Assessment
from outlet_audit.checklist.service import (
    answer_rows,
    evidence_counts,
    missing_items,
    outlet_profile,
    scoring_answers,
)
from outlet_audit.core.time import utcnow
from outlet_audit.core.urls import path_for
from outlet_audit.criteria.editions import pinned_edition
from outlet_audit.criteria.model import Edition
from outlet_audit.criteria.stored import StoredEdition
from outlet_audit.extensions import db
from outlet_audit.notifications.operations import notify
from outlet_audit.scoring import skipped_items
from outlet_audit.supervision.kinds import CheckPurpose, YearlyStatus
from outlet_audit.supervision.models import YearlySelfCheck
from outlet_audit.supervision.operations import open_check
from outlet_audit.text import N_, Message, Refused

# A certificate issued this close before a year's due date was inspected on site a moment ago:
# its first self-check is the next year's.
EXEMPT_DAYS_BEFORE_DUE = 90

NOT_OPEN = N_("This self-check is no longer open: it was submitted already.")
NOT_SUBMITTED = N_("Only a submitted self-check can be reviewed.")
INCOMPLETE = N_("The self-check cannot be submitted yet: %(missing)s.")
NOT_FLAGGED = N_("A targeted visit is opened from a missing or failed self-check only.")
VISIT_OPENED = N_("A targeted visit was opened from this self-check already.")
VISIT_AFTER_FAILURE = N_("A targeted visit by %(date)s: your self-check for %(year)s failed.")
VISIT_AFTER_MISSING = N_("A targeted visit by %(date)s: your self-check for %(year)s is missing.")
VISIT_IN_PAST = N_("The visit cannot be due before today.")
NOTE_NEEDED = N_("Say why the self-check fails.")
NOT_COVERED = "yearly:not_covered"  # why an item is left out of the self-check (as skipped_items says)


@dataclass(frozen=True)
class YearlyRun:
    created: list[YearlySelfCheck]
    reminded: list[YearlySelfCheck]


def edition_by_hash(content_hash: str) -> Edition | None:
    """The edition a certificate was issued under (its snapshot), or None if it was never stored."""
    stored = db.session.scalar(select(StoredEdition).where(StoredEdition.content_hash == content_hash))
    return pinned_edition(stored) if stored is not None else None


def yearly_rules(content_hash: str):
    """The edition's yearly self-check rules (YearlyCheckRules), or None when it asks for none."""
    edition = edition_by_hash(content_hash)
    return edition.supervision.yearly if edition is not None else None


def is_missing(self_check: YearlySelfCheck, today: date) -> bool:
    """Still open after its due date (and its certificate still in force: nothing is owed otherwise)."""
    return (
        self_check.status == YearlyStatus.OPEN
        and self_check.due_on < today
        and self_check.certificate.state == StoredCertificateState.ACTIVE
    )


def run_yearly_self_checks(today: date) -> YearlyRun:
    """The daily job: make this year's self-checks that are due, then send the reminders due today."""
    created = create_due_self_checks(today)
    return YearlyRun(created=created, reminded=send_yearly_reminders(today))


def create_due_self_checks(today: date) -> list[YearlySelfCheck]:
    """Make this year's self-check (and its checklist) of each certificate in force whose edition asks
    for one, issued at least EXEMPT_DAYS_BEFORE_DUE days before the due date and valid until it.

    Never made already overdue (a job that first runs after the due date leaves that year out), nor
    while the certificate's self-check of an earlier year is still open: its checklist is the one
    record of its kind the application may have open, and the outlet may still submit it late.
    """
    hashes = db.session.scalars(
        select(Certificate.edition_hash).where(valid_certificate_clause(today)).distinct()
    ).all()
    created = []
    for content_hash in sorted(hashes):
        rules = yearly_rules(content_hash)
        if rules is None:
            continue
        due = rules.due_on(today.year)
        if today > due:
            continue
        for certificate in _owing(content_hash, today, due):
            created.append(create_self_check(certificate, today.year, due))
    db.session.flush()
    return created


def _owing(content_hash: str, today: date, due: date) -> list[Certificate]:
    earlier = aliased(YearlySelfCheck)
    return list(
        db.session.scalars(
            select(Certificate)
            .where(
                Certificate.edition_hash == content_hash,
                valid_certificate_clause(today),
                Certificate.valid_until >= due,
                Certificate.issued_on <= due - timedelta(days=EXEMPT_DAYS_BEFORE_DUE),
                ~exists().where(earlier.certificate_id == Certificate.id, earlier.year == today.year),
                ~exists().where(
                    earlier.certificate_id == Certificate.id, earlier.status == YearlyStatus.OPEN.value
                ),
            )
            .order_by(Certificate.id)
        )
    )


def create_self_check(certificate: Certificate, year: int, due: date) -> YearlySelfCheck:
    """The certificate's self-check of the year, with its (empty) checklist; the outlet is told."""
    highest = db.session.scalar(
        select(db.func.max(Assessment.sequence)).where(
            Assessment.application_id == certificate.application_id, Assessment.kind == AssessmentKind.YEARLY
        )
    )
    checklist = Assessment(
        application_id=certificate.application_id, kind=AssessmentKind.YEARLY, sequence=(highest or 0) + 1
    )
    db.session.add(checklist)
    db.session.flush()
    self_check = YearlySelfCheck(
        certificate_id=certificate.id,
        outlet_id=certificate.outlet_id,
        district_id=certificate.district_id,
        year=year,
        due_on=due,
        assessment_id=checklist.id,
        status=YearlyStatus.OPEN.value,
    )
    db.session.add(self_check)
    db.session.flush()
    record(
        "yearly_self_check_created",
        actor=None,
        subject_type="yearly_self_check",
        subject_id=self_check.id,
        outlet_id=certificate.outlet_id,
        field=str(year),
        new=due.isoformat(),
    )
    notify(
        outlet_accounts(certificate.outlet_id),
        "yearly_self_check",
        N_("Your yearly self-check for %(year)s is open: answer its items with photos by %(date)s."),
        path_for("yearly.outlet_page", self_check_id=self_check.id),
        year=year,
        date=due.isoformat(),
    )
    return self_check


def send_yearly_reminders(today: date) -> list[YearlySelfCheck]:
    """Remind the outlet once, `remind_days` (its edition's) before an open self-check falls due."""
    pending = db.session.execute(
        select(YearlySelfCheck, Certificate.edition_hash)
        .join(Certificate, Certificate.id == YearlySelfCheck.certificate_id)
        .where(
            YearlySelfCheck.status == YearlyStatus.OPEN.value,
            YearlySelfCheck.reminded_at.is_(None),
            YearlySelfCheck.due_on >= today,
            Certificate.state == StoredCertificateState.ACTIVE,
        )
        .order_by(YearlySelfCheck.due_on, YearlySelfCheck.id)
    ).all()
    rules_by_hash: dict[str, object] = {}
    reminded = []
    for self_check, content_hash in pending:
        if content_hash not in rules_by_hash:
            rules_by_hash[content_hash] = yearly_rules(content_hash)
        rules = rules_by_hash[content_hash]
        if rules is None or today < self_check.due_on - timedelta(days=rules.remind_days):
            continue
        notify(
            outlet_accounts(self_check.outlet_id),
            "yearly_self_check_reminder",
            N_("Your yearly self-check for %(year)s falls due on %(date)s: answer its items and submit it."),
            path_for("yearly.outlet_page", self_check_id=self_check.id),
            year=self_check.year,
            date=self_check.due_on.isoformat(),
        )
        self_check.reminded_at = utcnow()
        record(
            "yearly_self_check_reminder",
            actor=None,
            subject_type="yearly_self_check",
            subject_id=self_check.id,
            outlet_id=self_check.outlet_id,
            new=self_check.due_on.isoformat(),
        )
        reminded.append(self_check)
    db.session.flush()
    return reminded


# --- the outlet's submission --------------------------------------------------------------------


def covered_items(self_check: YearlySelfCheck, edition: Edition) -> tuple[str, ...]:
    """The item codes the edition's yearly self-check asks for (`checklist.coverage`, the rule the
    checklist page follows), in the edition's order."""
    wanted = coverage.covered_items(self_check.assessment, edition)
    return tuple(item.code for item in (*edition.items(), *edition.bonus_items()) if item.code in wanted)


def missing_for_submission(self_check: YearlySelfCheck, edition: Edition) -> list[Message]:
    """What the outlet must still add before submitting: the sign-off's rule (`missing_items`: an
    answer, and evidence where the item requires it), over the covered items only."""
    covered = set(covered_items(self_check, edition))
    answers = scoring_answers(edition, answer_rows(self_check.assessment))
    skipped = skipped_items(edition, answers, outlet_profile(self_check.outlet_id))
    for item in (*edition.items(), *edition.bonus_items()):
        if item.code not in covered:
            skipped.setdefault(item.code, NOT_COVERED)
    return missing_items(edition, answers, evidence_counts(self_check.assessment), skipped=skipped)


def submit_self_check(self_check: YearlySelfCheck, edition: Edition, actor) -> None:
    """Submit: every covered item answered with its evidence; the checklist is signed and locked."""
    checklist = lock_assessment(self_check.assessment_id)
    db.session.refresh(self_check)
    if self_check.status != YearlyStatus.OPEN or checklist.signed_off_at is not None:
        raise Refused(Message(NOT_OPEN))
    missing = missing_for_submission(self_check, edition)
    if missing:
        raise Refused(Message(INCOMPLETE, {"missing": tuple(missing)}))
    now = utcnow()
    checklist.signed_off_at, checklist.signed_off_by_id = now, actor.id
    _set_status(
        self_check, YearlyStatus.OPEN, YearlyStatus.SUBMITTED, submitted_at=now, submitted_by_id=actor.id
    )
    record(
        "yearly_self_check_submitted",
        actor=actor,
        subject_type="yearly_self_check",
        subject_id=self_check.id,
        outlet_id=self_check.outlet_id,
        field=str(self_check.year),
        new=self_check.due_on.isoformat(),
    )
    notify(
        district_bureau_users(self_check.district_id),
        "yearly_self_check_submitted",
        N_("%(outlet)s submitted its yearly self-check for %(year)s: review it."),
        path_for("yearly.review_page", self_check_id=self_check.id),
        outlet=self_check.outlet.name,
        year=self_check.year,
    )


# --- the bureau's review ------------------------------------------------------------------------


def accept_self_check(self_check: YearlySelfCheck, actor) -> None:
    _review(self_check, actor, YearlyStatus.ACCEPTED, None)


def fail_self_check(self_check: YearlySelfCheck, actor, note: str) -> None:
    note = (note or "").strip()
    if not note:
        raise Refused(Message(NOTE_NEEDED), field="note")
    _review(self_check, actor, YearlyStatus.FAILED, note)


def _review(self_check: YearlySelfCheck, actor, outcome: YearlyStatus, note: str | None) -> None:
    _set_status(
        self_check,
        YearlyStatus.SUBMITTED,
        outcome,
        refusal=NOT_SUBMITTED,
        reviewed_at=utcnow(),
        reviewed_by_id=actor.id,
        review_note=note,
    )
    record(
        "yearly_self_check_reviewed",
        actor=actor,
        subject_type="yearly_self_check",
        subject_id=self_check.id,
        outlet_id=self_check.outlet_id,
        field=str(self_check.year),
        new=outcome.value,
        reason=note,
    )
    template = (
        N_("Your yearly self-check for %(year)s is accepted.")
        if outcome is YearlyStatus.ACCEPTED
        else N_("Your yearly self-check for %(year)s failed on review: %(note)s")
    )
    notify(
        outlet_accounts(self_check.outlet_id),
        "yearly_self_check_reviewed",
        template,
        path_for("yearly.outlet_page", self_check_id=self_check.id),
        year=self_check.year,
        note=note or "",
    )


def _set_status(self_check, expected: YearlyStatus, new: YearlyStatus, *, refusal=NOT_OPEN, **values) -> None:
    """Move the status on with a conditional UPDATE: of two simultaneous acts exactly one wins."""
    changed = db.session.execute(
        update(YearlySelfCheck)
        .where(YearlySelfCheck.id == self_check.id, YearlySelfCheck.status == expected.value)
        .values(status=new.value, **values)
        .execution_options(synchronize_session=False)
    ).rowcount
    if changed != 1:
        raise Refused(Message(refusal))
    db.session.refresh(self_check)


# --- what a flagged self-check leads to ---------------------------------------------------------


def is_flagged(self_check: YearlySelfCheck, today: date) -> bool:
    """Missing or failed: the bureau may open a targeted visit from it (once)."""
    return self_check.status == YearlyStatus.FAILED or is_missing(self_check, today)


def open_targeted_visit(self_check: YearlySelfCheck, team, *, due_by: date, actor, today: date, reason: str):
    """Open a targeted visit (open_check) of the outlet from a missing or failed self-check, and link it."""
    if self_check.check_id is not None:
        raise Refused(Message(VISIT_OPENED))
    if not is_flagged(self_check, today):
        raise Refused(Message(NOT_FLAGGED))
    if due_by < today:
        raise Refused(Message(VISIT_IN_PAST), field="due_by")
    check = open_check(
        self_check.certificate, CheckPurpose.TARGETED, team, due_by=due_by, actor=actor, reason=reason
    )
    changed = db.session.execute(
        update(YearlySelfCheck)
        .where(YearlySelfCheck.id == self_check.id, YearlySelfCheck.check_id.is_(None))
        .values(check_id=check.id)
        .execution_options(synchronize_session=False)
    ).rowcount
    if changed != 1:
        raise Refused(Message(VISIT_OPENED))
    db.session.refresh(self_check)
    record(
        "yearly_self_check_visit",
        actor=actor,
        subject_type="yearly_self_check",
        subject_id=self_check.id,
        outlet_id=self_check.outlet_id,
        field=str(self_check.year),
        new=check.number,
        reason=check.reason,
    )
    template = VISIT_AFTER_FAILURE if self_check.status == YearlyStatus.FAILED else VISIT_AFTER_MISSING
    notify(
        outlet_accounts(self_check.outlet_id),
        "yearly_self_check_visit",
        template,
        path_for("yearly.outlet_page", self_check_id=self_check.id),
        date=due_by.isoformat(),
        year=self_check.year,
    )
    return check
