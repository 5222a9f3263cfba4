"""Revocation with prior notice (撤销 after 告知 and 陈述申辩): the case an issuer opens, the outlet's
statement, the issuer's decision; and immediate revocation on a ground the edition allows it for.

Who may act is the certificate's rule (`certificates.authority`: the issuer's approvers revoke);
on what grounds is the edition's (`edition.supervision.revocation_grounds`, of the edition the
certificate was issued under). A decision to revoke goes through the certificates' own revoke path,
so the certificate's state, its audit row and the verification page follow as they always did.
While a case is open the certificate stays valid: nothing is decided until the issuer decides.

Operations flush, never commit; each state change is a conditional UPDATE, so of two people acting
at once one wins and the other is told.
"""

from dataclasses import replace
from datetime import UTC, date, datetime

from flask import current_app
from sqlalchemy import func, select, update
from sqlalchemy.orm import joinedload

from outlet_audit.accounts.queries import agency_users, outlet_accounts
from outlet_audit.audit.operations import record
from outlet_audit.certificates.authority import CertificateAct, ProposalOutcome
from outlet_audit.certificates.models import Certificate
from outlet_audit.certificates.revocation import (
    RevocationRefused,
    name_param,
    open_proposal,
    revoke_certificate,
    settle_proposal,
    why_not,
)
from outlet_audit.core.requests import flush_or_refuse
from outlet_audit.core.time import SHANGHAI, today_in_shanghai, utcnow
from outlet_audit.core.urls import path_for
from outlet_audit.criteria.editions import pinned_edition
from outlet_audit.criteria.model import Edition, RevocationGround
from outlet_audit.criteria.stored import StoredEdition
from outlet_audit.evidence.models import Evidence
from outlet_audit.evidence.operations import store_upload
from outlet_audit.evidence.purposes import EvidencePurpose
from outlet_audit.extensions import db
from outlet_audit.notifications.operations import notify
from outlet_audit.roles import Agency
from outlet_audit.supervision.kinds import CheckStatus, ComplaintStatus, RevocationStatus
from outlet_audit.supervision.models import Complaint, RevocationCase, SupervisionCheck
from outlet_audit.supervision.revocation_pdf import Decision, LetterData
from outlet_audit.text import N_, Message, clean_text
from outlet_audit.workflow.deadlines import rules_from

OPEN_STATUSES = (RevocationStatus.NOTIFIED, RevocationStatus.STATEMENT)
MAX_STATEMENT_FILES = 5

CASE_OPEN = N_("A revocation case is open for this certificate: decide it on the case's page.")
UNKNOWN_GROUND = N_("Choose one of the grounds for revocation that the certificate's criteria list.")
NOT_IMMEDIATE = N_(
    "“%(ground)s” needs prior notice: open a revocation case, so the outlet can state its case before "
    "you decide. Only the grounds the criteria mark as immediate revoke at once."
)
IMMEDIATE_NEEDS_NO_NOTICE = N_(
    "“%(ground)s” revokes at once: use the certificate page's immediate revocation instead of a notice."
)
DEADLINE_TOO_SOON = N_("The outlet must have until at least %(date)s to state its case.")
NOT_THIS_CERTIFICATE = N_("The check or complaint named is not one of this certificate's outlet.")
CHECK_NOT_REVOCATION = N_("Only a check the bureau concluded as proposed for revocation can ground a case.")
COMPLAINT_NOT_SUBSTANTIATED = N_("Only a substantiated complaint can ground a case.")


# --- the rules the case reads ------------------------------------------------------------------


def certificate_edition(certificate: Certificate) -> Edition:
    """The edition the certificate was issued under (its pinned snapshot, never today's file)."""
    stored = db.session.scalar(
        select(StoredEdition).where(StoredEdition.content_hash == certificate.edition_hash)
    )
    return pinned_edition(stored)


def revocation_grounds(certificate: Certificate) -> tuple[RevocationGround, ...]:
    return certificate_edition(certificate).supervision.revocation_grounds


def ground_of(certificate: Certificate, code: str) -> RevocationGround:
    ground = certificate_edition(certificate).supervision.ground(code or "")
    if ground is None:
        raise RevocationRefused(Message(UNKNOWN_GROUND), field="ground")
    return ground


def ground_label(ground: RevocationGround) -> dict:
    """The ground's label in both languages (notifications are read long after, in either)."""
    return {"zh": ground.label.zh, "en": ground.label.en or ground.label.zh}


def earliest_response_due(notified_on: date) -> date:
    """The last day the outlet has at least: REVOCATION_STATEMENT_DAYS working days after the notice."""
    config = current_app.config
    rules = replace(rules_from(config), days=int(config["REVOCATION_STATEMENT_DAYS"]))
    return rules.add(notified_on, rules.days)


def case_number(year: int, district_code: str, case_id: int) -> str:
    """The number of a case and of its letters: CX-<year>-<district>-<id>, unique by its id."""
    return f"CX-{year:04d}-{district_code}-{case_id:06d}"


def is_open(case: RevocationCase) -> bool:
    return case.status in OPEN_STATUSES


def statement_open(case: RevocationCase, today: date | None = None) -> bool:
    """The outlet may still state its case: notified, and the deadline not passed."""
    return case.status == RevocationStatus.NOTIFIED and (today or today_in_shanghai()) <= case.response_due


def decidable(case: RevocationCase, today: date | None = None) -> bool:
    """The issuer may decide: the statement is in, or the deadline passed without one."""
    if case.status == RevocationStatus.STATEMENT:
        return True
    return case.status == RevocationStatus.NOTIFIED and (today or today_in_shanghai()) > case.response_due


def overdue(case: RevocationCase, today: date | None = None) -> bool:
    """The deadline passed without a statement: the case waits for the issuer's decision."""
    return case.status == RevocationStatus.NOTIFIED and (today or today_in_shanghai()) > case.response_due


# --- reading cases -----------------------------------------------------------------------------


def open_case_of(certificate_id: int) -> RevocationCase | None:
    return db.session.scalar(
        select(RevocationCase).where(
            RevocationCase.certificate_id == certificate_id, RevocationCase.decided_at.is_(None)
        )
    )


def cases_of(certificate_id: int) -> list[RevocationCase]:
    return list(
        db.session.scalars(
            select(RevocationCase)
            .where(RevocationCase.certificate_id == certificate_id)
            .order_by(RevocationCase.created_at.desc(), RevocationCase.id.desc())
        )
    )


def statement_documents(case_id: int) -> list[Evidence]:
    return list(
        db.session.scalars(
            select(Evidence)
            .where(Evidence.revocation_case_id == case_id, Evidence.purpose == EvidencePurpose.STATEMENT)
            .order_by(Evidence.id)
        )
    )


def revocation_sources(certificate: Certificate) -> tuple[list[SupervisionCheck], list[Complaint]]:
    """The checks concluded as revocation and the substantiated complaints a case may rest on."""
    checks = db.session.scalars(
        select(SupervisionCheck)
        .where(
            SupervisionCheck.certificate_id == certificate.id,
            SupervisionCheck.status == CheckStatus.REVOCATION,
        )
        .order_by(SupervisionCheck.id.desc())
    )
    complaints = db.session.scalars(
        select(Complaint)
        .where(
            Complaint.outlet_id == certificate.outlet_id, Complaint.status == ComplaintStatus.SUBSTANTIATED
        )
        .order_by(Complaint.id.desc())
    )
    return list(checks), list(complaints)


def revoked_case(certificate_id: int) -> RevocationCase | None:
    """The case that revoked the certificate (None: revoked before cases, or not revoked)."""
    return db.session.scalar(
        select(RevocationCase)
        .where(
            RevocationCase.certificate_id == certificate_id, RevocationCase.status == RevocationStatus.REVOKED
        )
        .options(joinedload(RevocationCase.organisation))
    )


# --- opening a case: the notice ----------------------------------------------------------------


def _refuse_unless_issuer(certificate: Certificate, actor) -> None:
    message = why_not(
        CertificateAct.REVOKE, certificate, actor, proposal_open=open_proposal(certificate.id) is not None
    )
    if message is not None:
        raise RevocationRefused(message)


def _source(certificate: Certificate, check_id: int | None, complaint_id: int | None):
    check = db.session.get(SupervisionCheck, check_id) if check_id else None
    complaint = db.session.get(Complaint, complaint_id) if complaint_id else None
    if (check_id and check is None) or (complaint_id and complaint is None):
        raise RevocationRefused(Message(NOT_THIS_CERTIFICATE))
    if check is not None:
        if check.certificate_id != certificate.id:
            raise RevocationRefused(Message(NOT_THIS_CERTIFICATE), field="check_id")
        if check.status != CheckStatus.REVOCATION:
            raise RevocationRefused(Message(CHECK_NOT_REVOCATION), field="check_id")
    if complaint is not None:
        if complaint.outlet_id != certificate.outlet_id:
            raise RevocationRefused(Message(NOT_THIS_CERTIFICATE), field="complaint_id")
        if complaint.status != ComplaintStatus.SUBSTANTIATED:
            raise RevocationRefused(Message(COMPLAINT_NOT_SUBSTANTIATED), field="complaint_id")
    return check, complaint


def _required(text: str | None, message: str, field: str) -> str:
    text = clean_text(text or "", multiline=True)
    if not text:
        raise RevocationRefused(Message(message), field=field)
    return text


def serve_notice(
    certificate: Certificate,
    actor,
    *,
    ground: str,
    grounds: str,
    evidence: str,
    response_due: date | None,
    check_id: int | None = None,
    complaint_id: int | None = None,
) -> RevocationCase:
    """Open a case: the issuer tells the outlet it intends to revoke, on what facts and evidence,
    and by when it may state its case. The certificate stays valid until the decision."""
    _refuse_unless_issuer(certificate, actor)
    chosen = ground_of(certificate, ground)
    if chosen.immediate:
        raise RevocationRefused(
            Message(IMMEDIATE_NEEDS_NO_NOTICE, {"ground": ground_label(chosen)}), "ground"
        )
    if open_case_of(certificate.id) is not None:
        raise RevocationRefused(Message(CASE_OPEN))
    grounds = _required(grounds, N_("State the facts and grounds for the intended revocation."), "grounds")
    evidence = _required(evidence, N_("List the evidence the intended revocation relies on."), "evidence")
    now = utcnow()
    earliest = earliest_response_due(today_in_shanghai())
    response_due = response_due or earliest  # not given: the shortest time the rules allow
    if response_due < earliest:
        raise RevocationRefused(Message(DEADLINE_TOO_SOON, {"date": earliest.isoformat()}), "response_due")
    check, complaint = _source(certificate, check_id, complaint_id)
    case = RevocationCase(
        number=f"PENDING-{certificate.id}-{now.timestamp()}",
        certificate_id=certificate.id,
        organisation_id=actor.organisation_id,
        ground=chosen.code,
        immediate=False,
        check_id=check.id if check else None,
        complaint_id=complaint.id if complaint else None,
        grounds=grounds,
        evidence=evidence,
        status=RevocationStatus.NOTIFIED.value,
        response_due=response_due,
        notified_at=now,
        created_at=now,
        created_by_id=actor.id,
    )
    db.session.add(case)
    flush_or_refuse(Message(CASE_OPEN))  # the one-open-case index, also against a colleague a moment ago
    case.number = case_number(now.year, certificate.outlet.district.code, case.id)
    db.session.flush()
    record(
        "revocation_noticed",
        actor=actor,
        subject_type="certificate",
        subject_id=certificate.id,
        application_id=certificate.application_id,
        outlet_id=certificate.outlet_id,
        field=chosen.code,
        new=response_due.isoformat(),
        reason=grounds,
    )
    link = path_for("revocation.case", revocation_case_id=case.id)
    notify(
        outlet_accounts(certificate.outlet_id),
        "revocation_noticed",
        N_(
            "%(organisation)s intends to revoke certificate %(number)s (%(ground)s) and served notice "
            "%(case)s. You may state your case with documents until %(date)s; the certificate stays "
            "valid until the decision."
        ),
        link,
        organisation=name_param(actor.organisation),
        number=certificate.number,
        ground=ground_label(chosen),
        case=case.number,
        date=response_due.isoformat(),
    )
    _tell_proposer(certificate, link, case)
    return case


def _tell_proposer(certificate: Certificate, link: str, case: RevocationCase) -> None:
    """A district bureau that proposed the revocation hears that the issuer served notice."""
    proposal = open_proposal(certificate.id)
    if proposal is None:
        return
    proposer = proposal.organisation
    notify(
        agency_users(Agency(proposer.agency), proposer.district_id),
        "revocation_noticed",
        N_(
            "%(organisation)s served notice %(case)s of intended revocation on certificate %(number)s of "
            "%(outlet)s, as your bureau proposed; it decides after the outlet's statement."
        ),
        link,
        organisation=name_param(case.organisation),
        case=case.number,
        number=certificate.number,
        outlet=certificate.outlet.name,
    )


# --- the outlet's statement --------------------------------------------------------------------


def give_statement(
    case: RevocationCase, actor, statement: str, files: list[tuple[bytes, str]]
) -> RevocationCase:
    """The outlet states its case (陈述申辩) with up to MAX_STATEMENT_FILES documents, by the deadline.

    The files go through the evidence pipeline (content check, size, quotas); UploadRefused says
    why one was refused, and nothing of the statement is kept then (the view rolls back)."""
    certificate = case.certificate
    if actor.outlet_id != certificate.outlet_id:
        raise RevocationRefused(Message(N_("Only the outlet's own accounts can state its case.")))
    if not statement_open(case):
        raise RevocationRefused(
            Message(N_("The time to state the outlet's case has passed, or it was stated already."))
        )
    statement = _required(statement, N_("Write the outlet's statement."), "statement")
    if len(files) > MAX_STATEMENT_FILES:
        raise RevocationRefused(
            Message(N_("Attach at most %(count)s documents."), {"count": MAX_STATEMENT_FILES}), "documents"
        )
    now = utcnow()
    result = db.session.execute(
        update(RevocationCase)
        .where(RevocationCase.id == case.id, RevocationCase.status == RevocationStatus.NOTIFIED)
        .values(
            status=RevocationStatus.STATEMENT, statement=statement, statement_at=now, statement_by_id=actor.id
        )
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:
        raise RevocationRefused(Message(N_("The outlet's case was stated already.")))
    for data, filename in files:
        evidence = store_upload(
            data, filename, outlet_id=certificate.outlet_id, actor=actor, purpose=EvidencePurpose.STATEMENT
        )
        evidence.revocation_case_id = case.id
    db.session.flush()
    db.session.refresh(case)
    record(
        "revocation_statement_given",
        actor=actor,
        subject_type="certificate",
        subject_id=certificate.id,
        application_id=certificate.application_id,
        outlet_id=certificate.outlet_id,
        new=case.number,
        reason=statement,
    )
    notify(
        agency_users(Agency(case.organisation.agency), case.organisation.district_id),
        "revocation_statement_given",
        N_("%(outlet)s stated its case against revocation %(case)s of certificate %(number)s."),
        path_for("revocation.case", revocation_case_id=case.id),
        outlet=certificate.outlet.name,
        case=case.number,
        number=certificate.number,
    )
    return case


# --- the decision ------------------------------------------------------------------------------


def decide_case(case: RevocationCase, actor, *, revoke: bool, reasons: str) -> RevocationCase:
    """The issuer decides, with reasons: after the statement, or once the deadline passed without one.
    Revoking goes through the certificates' revoke path; an open proposal is settled alike."""
    certificate = case.certificate
    _refuse_unless_issuer(certificate, actor)
    if not is_open(case):
        raise RevocationRefused(Message(N_("This case has been decided already.")))
    if not decidable(case):
        raise RevocationRefused(
            Message(
                N_(
                    "The outlet may state its case until %(date)s: decide after its statement or after "
                    "that day."
                ),
                {"date": case.response_due.isoformat()},
            )
        )
    reasons = _required(reasons, N_("Give the reasons for your decision."), "reasons")
    outcome = RevocationStatus.REVOKED if revoke else RevocationStatus.NOT_REVOKED
    result = db.session.execute(
        update(RevocationCase)
        .where(RevocationCase.id == case.id, RevocationCase.status.in_(list(OPEN_STATUSES)))
        .values(status=outcome, decision_reason=reasons, decided_at=utcnow(), decided_by_id=actor.id)
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:
        raise RevocationRefused(Message(N_("This case has been decided already.")))
    db.session.refresh(case)
    record(
        "revocation_decided",
        actor=actor,
        subject_type="certificate",
        subject_id=certificate.id,
        application_id=certificate.application_id,
        outlet_id=certificate.outlet_id,
        field=case.ground,
        new=outcome.value,
        reason=reasons,
    )
    ground = ground_of(certificate, case.ground)
    if revoke:
        revoke_certificate(certificate, actor, reasons)  # settles an open proposal and tells the outlet
    else:
        proposal = open_proposal(certificate.id)
        if proposal is not None:
            settle_proposal(proposal, actor, ProposalOutcome.DECLINED, reasons)
    notify(
        outlet_accounts(certificate.outlet_id),
        "revocation_decided",
        N_("%(organisation)s decided case %(case)s (%(ground)s): revoked. Reasons: %(reason)s")
        if revoke
        else N_(
            "%(organisation)s decided case %(case)s (%(ground)s): not revoked; the certificate stays "
            "valid. Reasons: %(reason)s"
        ),
        path_for("revocation.case", revocation_case_id=case.id),
        organisation=name_param(actor.organisation),
        case=case.number,
        ground=ground_label(ground),
        reason=reasons,
    )
    return case


def revoke_immediately(certificate: Certificate, actor, *, ground: str, reasons: str) -> RevocationCase:
    """Revoke at once, without notice, on a ground the edition marks immediate: recorded as a case
    decided at once, so the verification page names its ground like any other revocation."""
    _refuse_unless_issuer(certificate, actor)
    chosen = ground_of(certificate, ground)
    if not chosen.immediate:
        raise RevocationRefused(Message(NOT_IMMEDIATE, {"ground": ground_label(chosen)}), "ground")
    if open_case_of(certificate.id) is not None:
        raise RevocationRefused(Message(CASE_OPEN))
    reasons = _required(reasons, N_("Give the reason for the revocation."), "reason")
    now = utcnow()
    case = RevocationCase(
        number=f"PENDING-{certificate.id}-{now.timestamp()}",
        certificate_id=certificate.id,
        organisation_id=actor.organisation_id,
        ground=chosen.code,
        immediate=True,
        grounds=reasons,
        status=RevocationStatus.REVOKED.value,
        decision_reason=reasons,
        decided_at=now,
        decided_by_id=actor.id,
        created_at=now,
        created_by_id=actor.id,
    )
    db.session.add(case)
    db.session.flush()
    case.number = case_number(now.year, certificate.outlet.district.code, case.id)
    record(
        "revocation_decided",
        actor=actor,
        subject_type="certificate",
        subject_id=certificate.id,
        application_id=certificate.application_id,
        outlet_id=certificate.outlet_id,
        field=chosen.code,
        new="immediate",
        reason=reasons,
    )
    revoke_certificate(certificate, actor, reasons)
    return case


# --- the issuer's list -------------------------------------------------------------------------


def case_list_query(condition, shown: str):
    """Cases within `condition` (a scope), open first (the oldest deadline first), then decided."""
    query = (
        select(RevocationCase)
        .join(Certificate, Certificate.id == RevocationCase.certificate_id)
        .where(condition)
    )
    if shown == "open":
        query = query.where(RevocationCase.decided_at.is_(None))
    elif shown == "decided":
        query = query.where(RevocationCase.decided_at.is_not(None))
    return query.options(
        joinedload(RevocationCase.certificate),  # with its outlet
        joinedload(RevocationCase.organisation),
    ).order_by(
        RevocationCase.decided_at.is_not(None),
        RevocationCase.response_due.asc(),
        RevocationCase.decided_at.desc(),
        RevocationCase.id.desc(),
    )


def open_count(condition) -> int:
    return db.session.scalar(
        select(func.count())
        .select_from(RevocationCase)
        .join(Certificate, Certificate.id == RevocationCase.certificate_id)
        .where(condition, RevocationCase.decided_at.is_(None))
    )


def letter_data(case: RevocationCase) -> LetterData:
    """What the case's letters print: the notice, and the decision once there is one."""
    certificate = case.certificate
    ground = ground_of(certificate, case.ground)
    decision = None
    if case.decided_at is not None:
        decision = Decision(
            revoked=case.status == RevocationStatus.REVOKED,
            decided_at=shanghai_moment(case.decided_at),
            reasons=case.decision_reason or "",
            statement_at=shanghai_moment(case.statement_at),
            documents=len(statement_documents(case.id)),
        )
    return LetterData(
        number=case.number,
        outlet_name=certificate.outlet.name,
        outlet_address=certificate.outlet.address or "",
        certificate_number=certificate.number,
        certificate_issued_on=certificate.issued_on,
        issuer_name=case.organisation.name_zh,
        ground_zh=ground.label.zh,
        ground_en=ground.label.en or ground.label.zh,
        grounds=case.grounds,
        evidence=case.evidence or "",
        notified_at=shanghai_moment(case.notified_at),
        response_due=case.response_due,
        site_address=current_app.config["PUBLIC_BASE_URL"].rstrip("/"),
        decision=decision,
    )


def shanghai_moment(moment: datetime | None) -> datetime | None:
    """A stored (naive UTC) moment as naive Shanghai time, as the letters print it."""
    if moment is None:
        return None
    return moment.replace(tzinfo=UTC).astimezone(SHANGHAI).replace(tzinfo=None)
