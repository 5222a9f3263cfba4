"""Certificates for the people who hold and manage them: list, detail, the PDF, revocation.

The outlet sees its own certificates, a district bureau those of its district and the city
bureau all of them. Inspectors have no certificate pages.
"""

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from sqlalchemy import false, func, or_, select, true
from sqlalchemy.orm import joinedload

from outlet_audit.access import (
    RecordFacts,
    Scope,
    allow,
    current_scope,
    record_loader,
)
from outlet_audit.certificates.authority import CertificateAct, ProposalOutcome
from outlet_audit.certificates.forms import (
    CertificateFilterForm,
    DecideProposalForm,
    ProposeRevocationForm,
    RevokeForm,
)
from outlet_audit.certificates.models import Certificate, RevocationProposal
from outlet_audit.certificates.page import RevocationPanel, Unsent, render_certificate_page
from outlet_audit.certificates.queries import (
    certificate_counts_by_state,
    escape_like,
    state_condition,
)
from outlet_audit.certificates.revocation import (
    PROPOSAL_OUTCOME_LABELS,
    decide_proposal,
    open_proposal,
    propose_revocation,
    revocation_reason,
    why_not,
)
from outlet_audit.certificates.signing.documents import certificate_download
from outlet_audit.certificates.signing.keys import SigningUnavailable
from outlet_audit.certificates.state import (
    STATE_COLOURS,
    STATE_LABELS,
    CertificateState,
    certificate_state,
)
from outlet_audit.core.i18n import current_language, translate_message
from outlet_audit.core.navigation import nav_entry
from outlet_audit.core.params import page_number
from outlet_audit.core.requests import attempt, commit_if_possible
from outlet_audit.core.time import today_in_shanghai
from outlet_audit.extensions import db, writes_on_get
from outlet_audit.outlets.models import Outlet
from outlet_audit.pdf.responses import pdf_download
from outlet_audit.roles import Role
from outlet_audit.supervision.revocation_cases import (
    CASE_OPEN,
    cases_of,
    open_case_of,
    revocation_grounds,
    revoke_immediately,
    serve_notice,
)
from outlet_audit.text import Message

bp = Blueprint("certificates", __name__)
nav_entry(
    "certificates.index", _l("Certificates"), {Role.OUTLET, Role.DISTRICT_BUREAU, Role.CITY_BUREAU}, order=70
)
# The city bureau decides on the district bureaus' proposals; a district bureau follows its own
# from the certificate list.
nav_entry("certificates.revocation_proposals", _l("Revocations"), {Role.CITY_BUREAU}, order=71)

HOLDERS = {
    Role.OUTLET: Scope.OWN_OUTLET,
    Role.DISTRICT_BUREAU: Scope.OWN_DISTRICT,
    Role.CITY_BUREAU: Scope.ALL,
}
BUREAUS = {Role.DISTRICT_BUREAU: Scope.OWN_DISTRICT, Role.CITY_BUREAU: Scope.ALL}
# Who revokes: the issuer's approvers (`authority`); a district bureau's certificates are its
# district's, a city bureau's any district's. The operation asks the rule, whatever the role.
ISSUERS = BUREAUS
PROPOSAL_FILTERS = ("open", "decided", "all")


@record_loader("certificate_id")
def certificate_record(certificate_id: int) -> RecordFacts | None:
    row = db.session.execute(
        select(Certificate.district_id, Certificate.outlet_id).where(Certificate.id == certificate_id)
    ).first()
    return RecordFacts(district_id=row.district_id, outlet_id=row.outlet_id) if row else None


@record_loader("proposal_id")
def proposal_record(proposal_id: int) -> RecordFacts | None:
    row = db.session.execute(
        select(Certificate.district_id, Certificate.outlet_id)
        .join(RevocationProposal, RevocationProposal.certificate_id == Certificate.id)
        .where(RevocationProposal.id == proposal_id)
    ).first()
    return RecordFacts(district_id=row.district_id, outlet_id=row.outlet_id) if row else None


def scope_condition():
    """The certificates the current user's scope reaches, as a SQL condition."""
    scope = current_scope()
    if scope is Scope.ALL:
        return true()
    if scope is Scope.OWN_DISTRICT:
        return Certificate.district_id == current_user.district_id
    if scope is Scope.OWN_OUTLET:
        return Certificate.outlet_id == current_user.outlet_id
    return false()


@bp.get("/certificates/")
@allow(HOLDERS, joint=True)
def index():
    today = today_in_shanghai()
    form = CertificateFilterForm(request.args)
    form.validate()
    query = select(Certificate).where(scope_condition())
    state = CertificateState(form.state.data) if form.state.data in set(CertificateState) else None
    if state is not None:
        query = query.where(state_condition(state, today))
    search = (form.q.data or "").strip()
    if search and not form.q.errors:
        pattern = f"%{escape_like(search)}%"
        query = query.where(
            or_(
                Certificate.number.ilike(pattern, escape="\\"),
                Certificate.outlet.has(Outlet.name.ilike(pattern, escape="\\")),
            )
        )
    query = query.order_by(Certificate.issued_on.desc(), Certificate.id.desc())
    page = db.paginate(query, page=page_number(), per_page=current_app.config["PAGE_SIZE"], error_out=False)
    return render_template(
        "certificates/list.html",
        page=page,
        form=form,
        counts=certificate_counts_by_state(scope_condition(), today),
        states=[
            (certificate, certificate_state(certificate.state, certificate.valid_until, today))
            for certificate in page.items
        ],
        state_labels=STATE_LABELS,
        state_colours=STATE_COLOURS,
        selected_state=state,
    )


@bp.get("/certificates/revocation-proposals")
@allow(BUREAUS)
def revocation_proposals():
    """Proposals to revoke certificates, the open ones (waiting for the issuer) by default."""
    shown = request.args.get("state", "open")
    shown = shown if shown in PROPOSAL_FILTERS else "open"
    in_scope = RevocationProposal.certificate.has(scope_condition())
    query = select(RevocationProposal).where(in_scope)
    if shown == "open":
        query = query.where(RevocationProposal.outcome.is_(None))
    elif shown == "decided":
        query = query.where(RevocationProposal.outcome.is_not(None))
    query = query.options(
        joinedload(RevocationProposal.certificate),  # with its outlet and the outlet's district
        joinedload(RevocationProposal.organisation),
        joinedload(RevocationProposal.proposed_by),
        joinedload(RevocationProposal.decided_by),
    ).order_by(
        RevocationProposal.outcome.is_not(None),  # open first when both are shown
        RevocationProposal.proposed_at.desc(),
        RevocationProposal.id.desc(),
    )
    page = db.paginate(query, page=page_number(), per_page=current_app.config["PAGE_SIZE"], error_out=False)
    open_count = db.session.scalar(
        select(func.count())
        .select_from(RevocationProposal)
        .where(in_scope, RevocationProposal.outcome.is_(None))
    )
    return render_template(
        "certificates/proposals.html",
        page=page,
        shown=shown,
        open_count=open_count,
        outcome_labels=PROPOSAL_OUTCOME_LABELS,
    )


@bp.get("/certificates/<int:certificate_id>")
@allow(HOLDERS, joint=True)
def detail(certificate_id: int):
    return certificate_page(db.get_or_404(Certificate, certificate_id))


@bp.get("/certificates/<int:certificate_id>/certificate.pdf")
@allow(HOLDERS, joint=True)
@writes_on_get  # a certificate issued before signing gets its signed document at its first download
def certificate_pdf(certificate_id: int):
    """The signed PDF: the document kept at issue while in force, else today's stamped copy, signed now."""
    certificate = db.get_or_404(Certificate, certificate_id)
    try:
        download = certificate_download(certificate, today_in_shanghai())
    except SigningUnavailable as refusal:  # the issuer's key is missing: say so, never hand out unsigned
        flash(translate_message(refusal.message), "danger")
        return redirect(url_for("certificates.detail", certificate_id=certificate_id))
    if download.stored_now:  # issued before signing: its document was made by this download
        commit_if_possible("The certificate's signed document")
    return pdf_download(download.pdf, f"{certificate.number}.pdf")


def _refused(certificate: Certificate, act: CertificateAct, *, proposal_open: bool) -> bool:
    """Say why, when the rule does not give the user this act (a form the page did not offer)."""
    message = why_not(act, certificate, current_user, proposal_open=proposal_open)
    if message is not None:
        flash(translate_message(message), "danger")
    return message is not None


def revocation_panel(certificate: Certificate) -> RevocationPanel:
    """The certificate's revocation cases and the grounds its edition gives, for the page."""
    language = current_language()
    grounds = revocation_grounds(certificate)
    cases = cases_of(certificate.id)
    open_case = open_case_of(certificate.id)
    return RevocationPanel(
        open_case=open_case,
        case_url=url_for("revocation.case", revocation_case_id=open_case.id) if open_case else None,
        new_case_url=url_for("revocation.new_case", certificate_id=certificate.id),
        cases=tuple((case, url_for("revocation.case", revocation_case_id=case.id)) for case in cases),
        immediate_grounds=tuple((g.code, g.label.get(language)) for g in grounds if g.immediate),
        notice_grounds=tuple((g.code, g.label.get(language)) for g in grounds if not g.immediate),
    )


def certificate_page(certificate: Certificate, **options):
    return render_certificate_page(certificate, revocation=revocation_panel(certificate), **options)


@bp.post("/certificates/<int:certificate_id>/revoke")
@allow(ISSUERS)
def revoke(certificate_id: int):
    certificate = db.get_or_404(Certificate, certificate_id)
    form = RevokeForm()
    unsent = Unsent(_("Reason for the revocation"), form.reason.data or "")
    if _refused(certificate, CertificateAct.REVOKE, proposal_open=open_proposal(certificate.id) is not None):
        return certificate_page(certificate, status=422, revoke_form=form, unsent=unsent)
    if not form.validate_on_submit():
        return certificate_page(certificate, status=400, revoke_form=form, unsent=unsent)
    with attempt() as outcome:
        revoke_immediately(certificate, current_user, ground=form.ground.data, reasons=form.reason.data)
    if not outcome.done:
        return certificate_page(certificate, status=422, revoke_form=form, unsent=unsent)
    flash(_("Certificate %(number)s is revoked.", number=certificate.number), "success")
    return redirect(url_for("certificates.detail", certificate_id=certificate_id))


@bp.post("/certificates/<int:certificate_id>/propose-revocation")
@allow({Role.DISTRICT_BUREAU: Scope.OWN_DISTRICT})
def propose(certificate_id: int):
    certificate = db.get_or_404(Certificate, certificate_id)
    form = ProposeRevocationForm()
    unsent = Unsent(_("Reasons for proposing revocation"), form.reasons.data or "")
    proposal_open = open_proposal(certificate.id) is not None
    if _refused(certificate, CertificateAct.PROPOSE_REVOCATION, proposal_open=proposal_open):
        return certificate_page(certificate, status=422, propose_form=form, unsent=unsent)
    if not form.validate_on_submit():
        return certificate_page(certificate, status=400, propose_form=form, unsent=unsent)
    with attempt() as outcome:
        propose_revocation(certificate, current_user, form.reasons.data)
    if not outcome.done:
        return certificate_page(certificate, status=422, propose_form=form, unsent=unsent)
    flash(
        _(
            "Your proposal to revoke certificate %(number)s is sent to %(issuer)s.",
            number=certificate.number,
            issuer=certificate.issuer.name(current_language()),
        ),
        "success",
    )
    return redirect(url_for("certificates.detail", certificate_id=certificate_id, _anchor="proposals"))


@bp.post("/certificates/revocation-proposals/<int:proposal_id>/decide")
@allow({Role.CITY_BUREAU: Scope.ALL})
def decide(proposal_id: int):
    proposal = db.get_or_404(RevocationProposal, proposal_id)
    certificate = proposal.certificate
    form = DecideProposalForm()
    posted = {"decide_form": form, "decided_proposal_id": proposal.id}
    unsent = Unsent(_("Reasons for the decision"), form.decision_reason.data or "")
    if _refused(certificate, CertificateAct.DECIDE_PROPOSAL, proposal_open=proposal.outcome is None):
        return certificate_page(certificate, status=422, unsent=unsent, **posted)
    if open_case_of(certificate.id) is not None:  # the case settles the proposal when it is decided
        flash(translate_message(Message(CASE_OPEN)), "danger")
        return certificate_page(certificate, status=422, unsent=unsent, **posted)
    if not form.validate_on_submit():
        return certificate_page(certificate, status=400, unsent=unsent, **posted)
    accepted = form.decision.data == ProposalOutcome.REVOKED
    with attempt() as outcome:
        if accepted:  # notice first: the outlet states its case before the issuer decides
            case = serve_notice(
                certificate,
                current_user,
                ground=form.ground.data,
                grounds=revocation_reason(proposal.reasons, form.decision_reason.data),
                evidence=form.evidence.data,
                response_due=form.response_due.data,
            )
        else:
            decide_proposal(proposal, current_user, form.decision.data, form.decision_reason.data)
    if not outcome.done:
        return certificate_page(certificate, status=422, unsent=unsent, **posted)
    if accepted:
        flash(_("Notice %(number)s is served on the outlet.", number=case.number), "success")
        return redirect(url_for("revocation.case", revocation_case_id=case.id))
    flash(_("The proposal is declined; the proposing bureau is told why."), "success")
    return redirect(url_for("certificates.detail", certificate_id=certificate.id, _anchor="proposals"))
