"""Who may act on an issued certificate. Pure: no Flask, no database.

The organisation that issued a certificate (the agency of its level's settling approval step, so
the edition decides) answers for it: its approvers revoke it and decide on proposals to revoke it.
The postal bureau of the certificate's district, which supervises the outlet but did not issue a
city-level certificate, may propose to the issuer that it be revoked, giving its reasons; one
proposal is open at a time. The outlet renews its own certificate while it is valid, by applying
again (the renewal follows the level's approval chain, so the new certificate's issuer follows the
edition). Nobody else acts on a certificate: ecology bureaus, inspectors, other districts, other
outlets, bureau staff who do not sign for their organisation.

Pages show the acts `permitted_acts` gives; operations refuse any other with `refusal`'s message.
"""

import enum
from dataclasses import dataclass

from outlet_audit.roles import Agency, Role
from outlet_audit.text import N_, Message


class CertificateAct(enum.StrEnum):
    REVOKE = "revoke"
    PROPOSE_REVOCATION = "propose_revocation"
    DECIDE_PROPOSAL = "decide_proposal"  # revoke as proposed, or decline
    RENEW = "renew"  # apply again for the certificate's level


class ProposalOutcome(enum.StrEnum):
    """How the issuer settles a proposal to revoke."""

    REVOKED = "revoked"  # revoked as proposed
    DECLINED = "declined"


@dataclass(frozen=True)
class CertificateFacts:
    issuer: Agency
    issuer_name: dict  # {"zh": ..., "en": ...}: the messages name it in the reader's language
    district_id: int
    outlet_id: int
    active: bool  # neither revoked nor superseded (an expired certificate is still active)
    valid: bool  # in force today: active and not expired
    proposal_open: bool


@dataclass(frozen=True)
class ActorFacts:
    role: Role
    agency: Agency | None  # the organisation's agency; None for outlets and administrators
    district_id: int | None
    outlet_id: int | None
    approver: bool  # signs for the organisation


def of_issuer(certificate: CertificateFacts, actor: ActorFacts) -> bool:
    """The actor belongs to the organisation that issued the certificate (any of its staff)."""
    if actor.role not in (Role.DISTRICT_BUREAU, Role.CITY_BUREAU) or actor.agency is not certificate.issuer:
        return False
    return not certificate.issuer.district_tier or actor.district_id == certificate.district_id


def _issuer_approver(certificate: CertificateFacts, actor: ActorFacts) -> bool:
    return of_issuer(certificate, actor) and actor.approver


def _supervising_postal_bureau(certificate: CertificateFacts, actor: ActorFacts) -> bool:
    return (
        actor.role == Role.DISTRICT_BUREAU
        and actor.agency is Agency.DISTRICT_POSTAL
        and actor.district_id == certificate.district_id
    )


def refusal(act: CertificateAct, certificate: CertificateFacts, actor: ActorFacts) -> Message | None:
    """Why the actor may not perform the act on the certificate now, or None when they may."""
    issuer = {"issuer": certificate.issuer_name}
    if act is CertificateAct.REVOKE:
        if not _issuer_approver(certificate, actor):
            return Message(
                N_("Only an approver of %(issuer)s, which issued this certificate, can revoke it."), issuer
            )
        if not certificate.active:
            return Message(N_("Only an active certificate can be revoked."))
        return None
    if act is CertificateAct.PROPOSE_REVOCATION:
        if not _supervising_postal_bureau(certificate, actor):
            return Message(
                N_("Only the postal bureau of the certificate's district can propose that it be revoked.")
            )
        if certificate.issuer.district_tier:
            return Message(
                N_(
                    "%(issuer)s issued this certificate and revokes it itself: a proposal is for a "
                    "certificate issued by a city bureau."
                ),
                issuer,
            )
        if not certificate.active:
            return Message(N_("Only an active certificate can be revoked."))
        if certificate.proposal_open:
            return Message(
                N_("A proposal to revoke this certificate is already open; %(issuer)s will decide on it."),
                issuer,
            )
        return None
    if act is CertificateAct.DECIDE_PROPOSAL:
        if not _issuer_approver(certificate, actor):
            return Message(
                N_(
                    "Only an approver of %(issuer)s, which issued this certificate, can decide on a "
                    "proposal to revoke it."
                ),
                issuer,
            )
        if not certificate.proposal_open:
            return Message(N_("This proposal has been decided already."))
        return None
    if act is CertificateAct.RENEW:
        if actor.role != Role.OUTLET or actor.outlet_id != certificate.outlet_id:
            return Message(N_("Only the outlet's own accounts can apply to renew its certificate."))
        if not certificate.valid:
            return Message(N_("Only a valid certificate can be renewed; apply for a new one instead."))
        return None
    raise ValueError(f"unknown act {act!r}")


def permitted_acts(certificate: CertificateFacts, actor: ActorFacts) -> frozenset[CertificateAct]:
    return frozenset(act for act in CertificateAct if refusal(act, certificate, actor) is None)
