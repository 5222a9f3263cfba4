"""The yearly self-check's life through its operations: made each year once (only when the edition
asks, not for a certificate issued just before the due date), reminded once `remind_days` before,
submitted only when complete (then signed and locked), reviewed, flagged missing after the due
date, and followed by a targeted visit."""

from datetime import date, timedelta

import pytest
from sqlalchemy import func, select

from outlet_audit.audit.models import AuditEvent
from outlet_audit.checklist.kinds import AssessmentKind
from outlet_audit.checklist.service import AnswerRefused, answer_rows_by_code, save_answer
from outlet_audit.extensions import db
from outlet_audit.notifications.models import Notification
from outlet_audit.roles import Role
from outlet_audit.supervision.kinds import CheckPurpose, CheckStatus, YearlyStatus
from outlet_audit.supervision.models import YearlySelfCheck
from outlet_audit.supervision.yearly import (
    EXEMPT_DAYS_BEFORE_DUE,
    accept_self_check,
    edition_by_hash,
    fail_self_check,
    is_missing,
    missing_for_submission,
    open_targeted_visit,
    run_yearly_self_checks,
    submit_self_check,
)
from outlet_audit.text import Refused
from tests.factories import make_user, shanghai_moment
from tests.supervision.yearly_helpers import (
    DUE,
    YEAR,
    answer_covered,
    certified_outlet,
    evidence_items,
    on,
    outlet_user,
    without_yearly,
)


def run(day: date):
    with on(day):
        return run_yearly_self_checks(day)


def self_checks():
    return db.session.scalars(select(YearlySelfCheck).order_by(YearlySelfCheck.id)).all()


def notes_of(user, kind: str) -> int:
    return db.session.scalar(
        select(func.count())
        .select_from(Notification)
        .where(Notification.user_id == user.id, Notification.kind == kind)
    )


@pytest.fixture
def certificate(ctx):
    return certified_outlet()


@pytest.fixture
def made(certificate):
    (self_check,) = run(date(YEAR, 1, 5)).created
    return self_check


def test_the_job_makes_the_years_self_check_once(certificate):
    user = outlet_user(certificate)
    first = run(date(YEAR, 1, 5))
    assert [s.certificate_id for s in first.created] == [certificate.id]
    self_check = first.created[0]
    assert (self_check.year, self_check.due_on, self_check.status) == (YEAR, DUE, YearlyStatus.OPEN)
    assert (self_check.outlet_id, self_check.district_id) == (certificate.outlet_id, certificate.district_id)
    checklist = self_check.assessment
    assert checklist.kind == AssessmentKind.YEARLY and checklist.application_id == certificate.application_id
    assert checklist.sequence == 1 and checklist.signed_off_at is None
    assert notes_of(user, "yearly_self_check") == 1
    # Every later run of the same year, the same day or another, makes nothing more.
    assert run(date(YEAR, 1, 5)).created == [] and run(date(YEAR, 2, 1)).created == []
    assert len(self_checks()) == 1 and notes_of(user, "yearly_self_check") == 1
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "yearly_self_check_created"))
    assert (event.field, event.new_value, event.outlet_id) == (
        str(YEAR),
        DUE.isoformat(),
        certificate.outlet_id,
    )


def test_only_when_the_edition_asks(certificate):
    without_yearly(certificate)
    assert run(date(YEAR, 1, 5)).created == [] and self_checks() == []


@pytest.mark.parametrize(
    ("days_before_due", "owed"), [(EXEMPT_DAYS_BEFORE_DUE, True), (EXEMPT_DAYS_BEFORE_DUE - 1, False)]
)
def test_a_certificate_issued_just_before_the_due_date_is_exempt_that_year(ctx, days_before_due, owed):
    issued = DUE - timedelta(days=days_before_due)
    certified_outlet(issued_on=issued)
    assert len(run(max(issued, date(YEAR, 1, 5))).created) == (1 if owed else 0)


def test_never_made_overdue(certificate):
    assert run(DUE + timedelta(days=1)).created == []
    assert len(run(DUE).created) == 1  # the due date itself still gives the outlet its day


def test_a_revoked_certificate_owes_none(certificate):
    certificate.state, certificate.revoked_reason = "revoked", "closed"
    certificate.revoked_at = shanghai_moment(date(2026, 12, 1))
    db.session.flush()
    assert run(date(YEAR, 1, 5)).created == []


def test_the_reminder_goes_once_remind_days_before(made):
    user = outlet_user(made.certificate)
    remind_days = edition_by_hash(made.certificate.edition_hash).supervision.yearly.remind_days
    assert run(DUE - timedelta(days=remind_days + 1)).reminded == []
    assert made.reminded_at is None
    assert run(DUE - timedelta(days=remind_days)).reminded == [made]
    assert made.reminded_at is not None and notes_of(user, "yearly_self_check_reminder") == 1
    assert run(DUE - timedelta(days=remind_days - 1)).reminded == []
    assert run(DUE).reminded == []
    assert notes_of(user, "yearly_self_check_reminder") == 1
    assert (
        db.session.scalar(
            select(func.count())
            .select_from(AuditEvent)
            .where(AuditEvent.action == "yearly_self_check_reminder")
        )
        == 1
    )


def test_a_submitted_self_check_is_not_reminded(made):
    user = outlet_user(made.certificate)
    with on(date(YEAR, 2, 1)):
        answer_covered(made, user)
        submit_self_check(made, edition_by_hash(made.certificate.edition_hash), user)
    assert run(DUE - timedelta(days=10)).reminded == []


def test_submission_is_refused_while_an_item_is_unanswered(made):
    user = outlet_user(made.certificate)
    edition = edition_by_hash(made.certificate.edition_hash)
    with on(date(YEAR, 2, 1)):
        answer_covered(made, user, leave_out=("1.2",))
        with db.session.begin_nested(), pytest.raises(Refused, match="cannot be submitted yet") as refused:
            submit_self_check(made, edition, user)
    assert "1.2: no answer" in str(refused.value.message.params["missing"][0])
    db.session.refresh(made)
    assert made.status == YearlyStatus.OPEN and made.assessment.signed_off_at is None


def test_submission_is_refused_while_required_evidence_is_missing(made):
    user = outlet_user(made.certificate)
    edition = edition_by_hash(made.certificate.edition_hash)
    needing = evidence_items(made)
    assert needing, "the edition's yearly items require photos"
    with on(date(YEAR, 2, 1)):
        answer_covered(made, user, without_evidence=needing[:1])
        missing = [str(message) for message in missing_for_submission(made, edition)]
        assert missing == [f"{needing[0]}: evidence required"]
        with db.session.begin_nested(), pytest.raises(Refused):
            submit_self_check(made, edition, user)


def test_only_the_covered_items_are_asked(made):
    """The 2025 edition has many more items; none of them keeps the self-check from being submitted."""
    user = outlet_user(made.certificate)
    edition = edition_by_hash(made.certificate.edition_hash)
    assert len(edition.items()) > len(edition.supervision.yearly.item_codes)
    with on(date(YEAR, 2, 1)):
        answer_covered(made, user)
        assert missing_for_submission(made, edition) == []


def test_a_complete_self_check_is_submitted_signed_and_locked(made):
    user = outlet_user(made.certificate)
    bureau = make_user(Role.DISTRICT_BUREAU, district_code="FX")
    edition = edition_by_hash(made.certificate.edition_hash)
    with on(date(YEAR, 2, 1)):
        answer_covered(made, user)
        submit_self_check(made, edition, user)
    assert made.status == YearlyStatus.SUBMITTED and made.submitted_by_id == user.id
    assert made.assessment.signed_off_at == made.submitted_at and made.assessment.signed_off_by_id == user.id
    assert notes_of(bureau, "yearly_self_check_submitted") == 1
    row = answer_rows_by_code(made.assessment)["1.1"]
    with pytest.raises(AnswerRefused, match="signed off"):
        save_answer(
            made.assessment, edition, "1.1", value=row.value == "false", not_applicable=False, note=None,
            expected_version=row.version, actor=user,
        )  # fmt: skip
    with db.session.begin_nested(), pytest.raises(Refused, match="no longer open"):
        submit_self_check(made, edition, user)


@pytest.fixture
def submitted(made):
    user = outlet_user(made.certificate)
    with on(date(YEAR, 2, 1)):
        answer_covered(made, user)
        submit_self_check(made, edition_by_hash(made.certificate.edition_hash), user)
    return made


def test_the_bureau_accepts(submitted):
    bureau = make_user(Role.DISTRICT_BUREAU, district_code="FX")
    user = outlet_user(submitted.certificate)
    accept_self_check(submitted, bureau)
    assert submitted.status == YearlyStatus.ACCEPTED and submitted.reviewed_by_id == bureau.id
    assert submitted.reviewed_at is not None and submitted.review_note is None
    assert notes_of(user, "yearly_self_check_reviewed") == 1
    with db.session.begin_nested(), pytest.raises(Refused, match="Only a submitted"):
        fail_self_check(submitted, bureau, "too late")


def test_the_bureau_fails_with_a_note(submitted):
    bureau = make_user(Role.DISTRICT_BUREAU, district_code="FX")
    user = outlet_user(submitted.certificate)
    with db.session.begin_nested(), pytest.raises(Refused, match="Say why"):
        fail_self_check(submitted, bureau, "   ")
    fail_self_check(submitted, bureau, "Photos of 3.2 show no recycling point.")
    assert submitted.status == YearlyStatus.FAILED
    assert submitted.review_note == "Photos of 3.2 show no recycling point."
    assert notes_of(user, "yearly_self_check_reviewed") == 1
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "yearly_self_check_reviewed"))
    assert (event.new_value, event.reason) == ("failed", submitted.review_note)


def test_an_open_self_check_cannot_be_reviewed(made):
    bureau = make_user(Role.DISTRICT_BUREAU, district_code="FX")
    with db.session.begin_nested(), pytest.raises(Refused, match="Only a submitted"):
        accept_self_check(made, bureau)


def test_missing_once_past_the_due_date(made):
    assert not is_missing(made, DUE)
    assert is_missing(made, DUE + timedelta(days=1))


def test_a_late_submission_is_still_taken(made):
    user = outlet_user(made.certificate)
    with on(DUE + timedelta(days=5)):
        answer_covered(made, user)
        submit_self_check(made, edition_by_hash(made.certificate.edition_hash), user)
    assert made.status == YearlyStatus.SUBMITTED and not is_missing(made, DUE + timedelta(days=6))


def test_a_targeted_visit_from_a_missing_self_check(made):
    bureau = make_user(Role.DISTRICT_BUREAU, district_code="FX")
    team = [make_user(Role.INSPECTOR, district_code="FX")]
    after = DUE + timedelta(days=3)
    with on(DUE), db.session.begin_nested(), pytest.raises(Refused, match="missing or failed"):
        open_targeted_visit(made, team, due_by=DUE + timedelta(days=20), actor=bureau, today=DUE, reason="x")
    with on(after):
        check = open_targeted_visit(
            made,
            team,
            due_by=after + timedelta(days=20),
            actor=bureau,
            today=after,
            reason="Self-check missing",
        )
    assert made.check_id == check.id
    assert (check.purpose, check.status, check.reason) == (
        CheckPurpose.TARGETED,
        CheckStatus.SCHEDULED,
        "Self-check missing",
    )
    assert {user.id for user in check.assessment.inspectors} == {team[0].id}
    with on(after), db.session.begin_nested(), pytest.raises(Refused, match="already"):
        open_targeted_visit(
            made, team, due_by=after + timedelta(days=20), actor=bureau, today=after, reason="again"
        )
    assert (
        db.session.scalar(select(AuditEvent).where(AuditEvent.action == "yearly_self_check_visit")).new_value
        == check.number
    )


def test_a_targeted_visit_from_a_failed_self_check(submitted):
    bureau = make_user(Role.DISTRICT_BUREAU, district_code="FX")
    fail_self_check(submitted, bureau, "no photos of the recycling point")
    with on(date(YEAR, 2, 10)):
        check = open_targeted_visit(
            submitted, [make_user(Role.INSPECTOR, district_code="FX")], due_by=date(YEAR, 3, 1), actor=bureau,
            today=date(YEAR, 2, 10), reason="failed",
        )  # fmt: skip
    assert submitted.check_id == check.id


def test_the_visit_cannot_be_due_in_the_past(made):
    bureau = make_user(Role.DISTRICT_BUREAU, district_code="FX")
    after = DUE + timedelta(days=3)
    with on(after), db.session.begin_nested(), pytest.raises(Refused, match="before today"):
        open_targeted_visit(
            made, [make_user(Role.INSPECTOR, district_code="FX")], due_by=after - timedelta(days=1),
            actor=bureau, today=after, reason="x",
        )  # fmt: skip


def test_next_years_waits_for_a_self_check_still_open(made):
    user = outlet_user(made.certificate)
    next_year = date(YEAR + 1, 1, 5)
    assert run(next_year).created == []  # the 2027 checklist is still the application's open one
    with on(date(YEAR + 1, 1, 6)):
        answer_covered(made, user)
        submit_self_check(made, edition_by_hash(made.certificate.edition_hash), user)
    (later,) = run(date(YEAR + 1, 1, 7)).created
    assert (later.year, later.due_on, later.assessment.sequence) == (YEAR + 1, date(YEAR + 1, 3, 31), 2)


def test_the_daily_command_makes_and_reminds(app, certificate):
    """`flask yearly run --today ...`: what cron runs each day; a second run the same day does nothing."""

    def invoke(day: date) -> str:
        result = app.test_cli_runner().invoke(args=["yearly", "run", "--today", day.isoformat()])
        assert result.exit_code == 0, result.output
        return result.output

    assert "1 self-check(s) made, 0 reminder(s) sent for 2027-01-05." in invoke(date(YEAR, 1, 5))
    assert "0 self-check(s) made, 0 reminder(s)" in invoke(date(YEAR, 1, 5))
    assert f"of certificate {certificate.number}: reminded" in invoke(date(YEAR, 3, 10))
    assert "0 self-check(s) made, 0 reminder(s)" in invoke(date(YEAR, 3, 11))
