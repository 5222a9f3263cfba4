"""Revoking certificates: by the issuer, directly or on a district postal bureau's proposal.

Every operation asks `authority.refusal` first, so a form the page did not offer (a forged POST)
is refused with the same message the rule gives, whatever the route let through. Operations
flush, never commit; each acts through a conditional UPDATE or a unique index, so of two people
acting at once one wins and the other is told.
"""

from datetime import date

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import joinedload

from outlet_audit.accounts.queries import agency_users, outlet_accounts
from outlet_audit.audit.operations import record
from outlet_audit.certificates.authority import (
    ActorFacts,
    CertificateAct,
    CertificateFacts,
    ProposalOutcome,
    refusal,
)
from outlet_audit.certificates.models import Certificate, RevocationProposal
from outlet_audit.certificates.state import CertificateState, StoredCertificateState, certificate_state
from outlet_audit.core.time import today_in_shanghai, utcnow
from outlet_audit.core.urls import path_for
from outlet_audit.extensions import db
from outlet_audit.notifications.operations import notify
from outlet_audit.roles import Agency
from outlet_audit.text import N_, Message, Refused, clean_text
from outlet_audit.webhooks.events import WebhookEvent
from outlet_audit.webhooks.payloads import certificate_subject
from outlet_audit.webhooks.publishing import publish


class RevocationRefused(Refused):
    """The certificate cannot be revoked, or the proposal made or decided; `message` says why."""


PROPOSAL_OUTCOME_LABELS = {
    ProposalOutcome.REVOKED: N_("Revoked"),
    ProposalOutcome.DECLINED: N_("Declined"),
}


# What outlets were told by earlier versions, before the notice named who revoked: still read.
EARLIER_REVOCATION_NOTICE = N_("Certificate %(number)s was revoked: %(reason)s")


# --- the facts the rule reads ------------------------------------------------------------------


def name_param(organisation) -> dict:
    """An organisation's name kept in both languages (notifications are read long after)."""
    if organisation is None:
        return {"zh": "", "en": ""}
    return {"zh": organisation.name_zh, "en": organisation.name_en}


def certificate_facts(
    certificate: Certificate, *, proposal_open: bool, today: date | None = None
) -> CertificateFacts:
    state = certificate_state(certificate.state, certificate.valid_until, today or today_in_shanghai())
    return CertificateFacts(
        issuer=Agency(certificate.issuer.agency),
        issuer_name=name_param(certificate.issuer),
        district_id=certificate.district_id,
        outlet_id=certificate.outlet_id,
        active=certificate.state == StoredCertificateState.ACTIVE,
        valid=state is CertificateState.VALID,
        proposal_open=proposal_open,
    )


def actor_facts(user) -> ActorFacts:
    return ActorFacts(
        role=user.role,
        agency=user.agency,
        district_id=user.district_id,
        outlet_id=user.outlet_id,
        approver=bool(user.approver),
    )


def why_not(act: CertificateAct, certificate: Certificate, user, *, proposal_open: bool) -> Message | None:
    """Why the user may not perform the act on the certificate now (None: they may)."""
    return refusal(act, certificate_facts(certificate, proposal_open=proposal_open), actor_facts(user))


def _refuse_unless(act: CertificateAct, facts: CertificateFacts, actor) -> None:
    message = refusal(act, facts, actor_facts(actor))
    if message is not None:
        raise RevocationRefused(message)


# --- proposals as pages read them --------------------------------------------------------------


def proposals_of(certificate_id: int) -> list[RevocationProposal]:
    """The certificate's proposals, newest first, with who proposed and who decided."""
    return list(
        db.session.scalars(
            select(RevocationProposal)
            .where(RevocationProposal.certificate_id == certificate_id)
            .options(
                joinedload(RevocationProposal.organisation),
                joinedload(RevocationProposal.proposed_by),
                joinedload(RevocationProposal.decided_by),
            )
            .order_by(RevocationProposal.proposed_at.desc(), RevocationProposal.id.desc())
        )
    )


def open_proposal(certificate_id: int) -> RevocationProposal | None:
    return db.session.scalar(
        select(RevocationProposal).where(
            RevocationProposal.certificate_id == certificate_id, RevocationProposal.outcome.is_(None)
        )
    )


# --- revoking ----------------------------------------------------------------------------------


def _clean(text: str | None) -> str:
    return clean_text(text or "", multiline=True)


def revoke_certificate(certificate: Certificate, actor, reason: str) -> Certificate:
    """Revoke an active certificate for the reason given: the issuer's approvers only.

    An open proposal to revoke it is settled by the revocation, and its bureau told.
    """
    proposal = open_proposal(certificate.id)
    _refuse_unless(
        CertificateAct.REVOKE, certificate_facts(certificate, proposal_open=proposal is not None), actor
    )
    reason = _clean(reason)
    if not reason:
        raise RevocationRefused(Message(N_("Give the reason for the revocation.")))
    if proposal is not None:
        _settle(proposal, actor, ProposalOutcome.REVOKED, reason)
    _revoke(certificate, actor, reason)
    return certificate


def _revoke(certificate: Certificate, actor, why: str) -> None:
    # Conditional: of two approvers revoking at once, one wins and the other is told.
    result = db.session.execute(
        update(Certificate)
        .where(Certificate.id == certificate.id, Certificate.state == StoredCertificateState.ACTIVE)
        .values(
            state=StoredCertificateState.REVOKED,
            revoked_at=utcnow(),
            revoked_reason=why,
            revoked_by_id=actor.id,
        )
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:
        raise RevocationRefused(Message(N_("Only an active certificate can be revoked.")))
    db.session.refresh(certificate)
    record(
        "certificate_revoked",
        actor=actor,
        subject_type="certificate",
        subject_id=certificate.id,
        application_id=certificate.application_id,
        outlet_id=certificate.outlet_id,
        field="state",
        old=StoredCertificateState.ACTIVE,
        new=StoredCertificateState.REVOKED,
        reason=why,
    )
    publish(WebhookEvent.CERTIFICATE_REVOKED, certificate_subject(certificate))
    notify(
        outlet_accounts(certificate.outlet_id),
        "certificate_revoked",
        N_("%(organisation)s revoked certificate %(number)s. Reasons: %(reason)s"),
        path_for("certificates.detail", certificate_id=certificate.id),
        organisation=name_param(actor.organisation),
        number=certificate.number,
        reason=why,
    )


# --- proposing and deciding --------------------------------------------------------------------


def propose_revocation(certificate: Certificate, actor, reasons: str) -> RevocationProposal:
    """The district postal bureau proposes that the city bureau which issued the certificate revoke it."""
    proposal_open = open_proposal(certificate.id) is not None
    _refuse_unless(
        CertificateAct.PROPOSE_REVOCATION, certificate_facts(certificate, proposal_open=proposal_open), actor
    )
    reasons = _clean(reasons)
    if not reasons:
        raise RevocationRefused(Message(N_("Give the reasons for the proposal.")))
    proposal = RevocationProposal(
        certificate_id=certificate.id,
        organisation_id=actor.organisation_id,
        proposed_by_id=actor.id,
        reasons=reasons,
    )
    try:
        with db.session.begin_nested():  # a colleague's proposal made a moment ago holds the one open place
            db.session.add(proposal)
    except IntegrityError as error:
        raise RevocationRefused(
            Message(
                N_("A proposal to revoke this certificate is already open; %(issuer)s will decide on it."),
                {"issuer": name_param(certificate.issuer)},
            )
        ) from error
    record(
        "revocation_proposed",
        actor=actor,
        subject_type="certificate",
        subject_id=certificate.id,
        application_id=certificate.application_id,
        outlet_id=certificate.outlet_id,
        reason=reasons,
    )
    notify(
        agency_users(Agency(certificate.issuer.agency), certificate.district_id),
        "revocation_proposed",
        N_(
            "%(organisation)s proposes that certificate %(number)s of %(outlet)s be revoked. Reasons: %(reasons)s"  # noqa: E501
        ),
        _proposals_link(certificate),
        organisation=name_param(actor.organisation),
        number=certificate.number,
        outlet=certificate.outlet.name,
        reasons=reasons,
    )
    return proposal


ACCEPT_BY_NOTICE = N_(
    "A proposal is accepted by serving notice of the intended revocation: the outlet may state its "
    "case before the certificate is revoked."
)


def decide_proposal(proposal: RevocationProposal, actor, outcome: str, reason: str) -> RevocationProposal:
    """The issuer declines the proposal, saying why, and the proposing bureau is told.

    Accepting it is not decided here: the issuer serves notice of the intended revocation (a
    revocation case, supervision/revocation_cases.py), and the proposal is settled when that case is
    decided, revoked or not. `outcome` "revoked" is refused with the message that says so."""
    certificate = proposal.certificate
    facts = certificate_facts(certificate, proposal_open=proposal.outcome is None)
    _refuse_unless(CertificateAct.DECIDE_PROPOSAL, facts, actor)
    if outcome not in (ProposalOutcome.REVOKED, ProposalOutcome.DECLINED):
        raise RevocationRefused(
            Message(N_("Choose whether to revoke the certificate or decline the proposal."))
        )
    if outcome == ProposalOutcome.REVOKED:
        raise RevocationRefused(Message(ACCEPT_BY_NOTICE))
    reason = _clean(reason)
    if not reason:
        raise RevocationRefused(Message(N_("Give the reasons for your decision.")))
    _settle(proposal, actor, outcome, reason)
    return proposal


def settle_proposal(proposal: RevocationProposal, actor, outcome: ProposalOutcome, reason: str) -> None:
    """Settle an open proposal as its revocation case was decided, and tell the proposing bureau."""
    _settle(proposal, actor, outcome, reason)


def revocation_reason(proposed: str, decided: str) -> str:
    """What a revocation on a proposal gives as its reason: the proposal's, then the decision's."""
    return "\n\n".join(part for part in (proposed, decided) if part)


def _proposals_link(certificate: Certificate) -> str:
    return path_for("certificates.detail", certificate_id=certificate.id) + "#proposals"


def _settle(proposal: RevocationProposal, actor, outcome: str, reason: str) -> None:
    # Conditional: a proposal is decided once, whoever else decides it at the same moment.
    result = db.session.execute(
        update(RevocationProposal)
        .where(RevocationProposal.id == proposal.id, RevocationProposal.outcome.is_(None))
        .values(outcome=outcome, decided_by_id=actor.id, decided_at=utcnow(), decision_reason=reason)
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:
        raise RevocationRefused(Message(N_("This proposal has been decided already.")))
    db.session.refresh(proposal)
    certificate = proposal.certificate
    record(
        "revocation_proposal_decided",
        actor=actor,
        subject_type="certificate",
        subject_id=certificate.id,
        application_id=certificate.application_id,
        outlet_id=certificate.outlet_id,
        field="outcome",
        new=outcome,
        reason=reason,
    )
    proposer = proposal.organisation
    told = agency_users(Agency(proposer.agency), proposer.district_id)
    if proposal.proposed_by is not None and proposal.proposed_by.id not in {user.id for user in told}:
        told.append(proposal.proposed_by)  # moved to another organisation since: still told
    notify(
        told,
        "revocation_proposal_decided",
        N_(
            "%(person)s of %(organisation)s revoked certificate %(number)s of %(outlet)s, as your "
            "bureau proposed. Reasons: %(reason)s"
        )
        if outcome == ProposalOutcome.REVOKED
        else N_(
            "%(person)s of %(organisation)s declined your bureau's proposal to revoke certificate "
            "%(number)s of %(outlet)s. Reasons: %(reason)s"
        ),
        _proposals_link(certificate),
        person=actor.display_name,
        organisation=name_param(actor.organisation),
        number=certificate.number,
        outlet=certificate.outlet.name,
        reason=reason,
    )
