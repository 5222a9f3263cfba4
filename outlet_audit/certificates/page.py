"""What the certificate page shows, gathered for the template: the certificate and its standing, the
organisation that issued it, who revoked it and why, its revocation proposals, and exactly the acts
the signed-in user may perform on it (`authority.permitted_acts`), each with its form.
"""

from dataclasses import dataclass

from flask import current_app, render_template, url_for
from flask_login import current_user

from outlet_audit.certificates.authority import CertificateAct, permitted_acts
from outlet_audit.certificates.forms import DecideProposalForm, ProposeRevocationForm, RevokeForm
from outlet_audit.certificates.models import Certificate
from outlet_audit.certificates.pdf_data import verify_url
from outlet_audit.certificates.queries import standing_of
from outlet_audit.certificates.revocation import (
    PROPOSAL_OUTCOME_LABELS,
    actor_facts,
    certificate_facts,
    proposals_of,
)
from outlet_audit.certificates.state import STATE_COLOURS, STATE_LABELS, renewal_window
from outlet_audit.core.time import today_in_shanghai
from outlet_audit.extensions import db
from outlet_audit.roles import BUREAU_ROLES

RENEWAL_ENDPOINT = "workflow.new_application"
APPLICATION_ENDPOINT = "workflow.application_detail"


@dataclass(frozen=True)
class RevocationPanel:
    """What the page says of revocation cases (supervision's, gathered by the view): the open case,
    where the cases are, and the grounds the certificate's edition gives (code, label) for each form."""

    open_case: object | None = None  # a RevocationCase not yet decided: the certificate stays valid
    case_url: str | None = None
    new_case_url: str | None = None  # where the issuer serves notice
    cases: tuple = ()  # (case, url) of each of its cases, newest first
    immediate_grounds: tuple[tuple[str, str], ...] = ()
    notice_grounds: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True)
class Unsent:
    """Text typed into a form the page no longer offers (the act was refused): shown to copy."""

    label: str
    text: str


def certificate_acts(certificate: Certificate) -> tuple[frozenset[CertificateAct], list]:
    """What the current user may do with the certificate, and its proposals (newest first)."""
    proposals = proposals_of(certificate.id)
    facts = certificate_facts(certificate, proposal_open=any(p.outcome is None for p in proposals))
    return permitted_acts(facts, actor_facts(current_user)), proposals


def render_certificate_page(
    certificate: Certificate,
    *,
    status: int = 200,
    revoke_form: RevokeForm | None = None,
    propose_form: ProposeRevocationForm | None = None,
    decide_form: DecideProposalForm | None = None,
    decided_proposal_id: int | None = None,
    unsent: Unsent | None = None,
    revocation: RevocationPanel = RevocationPanel(),
):
    """The page; a form given is shown with what was posted, if its act is still the user's (a
    decision's, if the proposal it was posted for is the one open)."""
    today = today_in_shanghai()
    standing = standing_of(certificate, today)
    state = standing.state
    acts, proposals = certificate_acts(certificate)
    open_proposal = next((p for p in proposals if p.outcome is None), None)
    # An open case is decided on its own page: meanwhile nothing else revokes or accepts.
    case_open = revocation.open_case is not None
    deciding = CertificateAct.DECIDE_PROPOSAL in acts and open_proposal is not None and not case_open
    if decide_form is not None and (open_proposal is None or decided_proposal_id != open_proposal.id):
        decide_form = None  # typed for another proposal: never offered for this one
    forms = {
        # With a proposal open the issuer settles it: revoking as proposed is one of its choices.
        "revoke": (revoke_form or RevokeForm(formdata=None))
        if CertificateAct.REVOKE in acts and not deciding and not case_open and revocation.immediate_grounds
        else None,
        "propose": (propose_form or ProposeRevocationForm(formdata=None))
        if CertificateAct.PROPOSE_REVOCATION in acts
        else None,
        "decide": (decide_form or DecideProposalForm(formdata=None)) if deciding else None,
    }
    if forms["revoke"] is not None:
        forms["revoke"].ground.choices = [("", "—"), *revocation.immediate_grounds]
    if forms["decide"] is not None:
        forms["decide"].ground.choices = [("", "—"), *revocation.notice_grounds]
    posted = {"revoke": revoke_form, "propose": propose_form, "decide": decide_form}
    if (
        unsent is None
        or not unsent.text
        or any(forms[n] is not None and posted[n] is not None for n in forms)
    ):
        unsent = None  # nothing typed, or the form posted is on the page again with what was typed
    replaced_by = (
        db.session.get(Certificate, certificate.superseded_by_id) if certificate.superseded_by_id else None
    )
    revoked_by = certificate.revoked_by if certificate.revoked_by_id else None
    bureau = current_user.role in BUREAU_ROLES
    # The outlet renews inside the renewal window only (the new application refuses it outside).
    window = renewal_window(certificate.valid_until, current_app.config["RENEWAL_WINDOW_DAYS"])
    may_renew = CertificateAct.RENEW in acts
    can_renew = may_renew and window.is_open(today_in_shanghai())
    return (
        render_template(
            "certificates/detail.html",
            certificate=certificate,
            state=state,
            standing=standing,
            state_label=STATE_LABELS[state],
            state_colour=STATE_COLOURS[state],
            replaced_by=replaced_by,
            verify_address=verify_url(certificate.number),
            renew_url=url_for(RENEWAL_ENDPOINT, renew=certificate.id) if can_renew else None,
            renewal_opens=window.opens if may_renew and not can_renew else None,
            application_url=url_for(APPLICATION_ENDPOINT, application_id=certificate.application_id),
            issuer=certificate.issuer,
            revoked_by=revoked_by,
            revoking_organisation=(revoked_by.organisation if revoked_by else None) or certificate.issuer,
            show_people=bureau,  # outlets read which organisation acted; bureaus also who
            proposals=proposals if bureau else [],
            open_proposal=open_proposal if bureau else None,
            outcome_labels=PROPOSAL_OUTCOME_LABELS,
            revoke_form=forms["revoke"],
            propose_form=forms["propose"],
            decide_form=forms["decide"],
            unsent=unsent,
            revocation=revocation,
            may_notify=CertificateAct.REVOKE in acts and not case_open and open_proposal is None,
        ),
        status,
    )
