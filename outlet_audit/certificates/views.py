"""Certificates for the people who hold and manage them: list, detail, the PDF, revocation.

The outlet sees its own certificates, a district bureau those of its district and the city
bureau all of them. Inspectors have no certificate pages.
"""

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from sqlalchemy import false, or_, select, true
from wtforms import SearchField, SelectField, SubmitField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length

from outlet_audit.access import (
    RecordFacts,
    Scope,
    allow,
    current_scope,
    record_loader,
)
from outlet_audit.certificates.certificate_pdf import render_certificate
from outlet_audit.certificates.models import Certificate
from outlet_audit.certificates.operations import revoke_certificate
from outlet_audit.certificates.pdf_data import certificate_data, verify_url
from outlet_audit.certificates.queries import (
    certificate_counts_by_state,
    escape_like,
    standing_of,
    state_condition,
)
from outlet_audit.certificates.state import (
    STATE_COLOURS,
    STATE_LABELS,
    CertificateState,
    StoredCertificateState,
    certificate_state,
    renewal_window,
)
from outlet_audit.core.forms import BaseForm, PlainBaseForm
from outlet_audit.core.navigation import nav_entry
from outlet_audit.core.params import page_number
from outlet_audit.core.requests import attempt
from outlet_audit.core.time import today_in_shanghai
from outlet_audit.extensions import db
from outlet_audit.outlets.models import Outlet
from outlet_audit.pdf.cache import rendered_pdf
from outlet_audit.pdf.responses import pdf_download
from outlet_audit.roles import Role

bp = Blueprint("certificates", __name__)
nav_entry(
    "certificates.index", _l("Certificates"), {Role.OUTLET, Role.DISTRICT_BUREAU, Role.CITY_BUREAU}, order=70
)

HOLDERS = {
    Role.OUTLET: Scope.OWN_OUTLET,
    Role.DISTRICT_BUREAU: Scope.OWN_DISTRICT,
    Role.CITY_BUREAU: Scope.ALL,
}
RENEWAL_ENDPOINT = "workflow.new_application"
APPLICATION_ENDPOINT = "workflow.application_detail"
REVOCATION_REASON_MAX = 1000


@record_loader("certificate_id")
def certificate_facts(certificate_id: int) -> RecordFacts | None:
    row = db.session.execute(
        select(Certificate.district_id, Certificate.outlet_id).where(Certificate.id == certificate_id)
    ).first()
    return RecordFacts(district_id=row.district_id, outlet_id=row.outlet_id) if row else None


class RevokeForm(BaseForm):
    reason = TextAreaField(
        _l("Reason for the revocation"),
        description=_l("Shown on the public verification page and kept in the audit trail."),
        validators=[
            DataRequired(message=_l("Give the reason for the revocation.")),
            Length(max=REVOCATION_REASON_MAX),
        ],
    )
    submit = SubmitField(_l("Revoke certificate"))


class CertificateFilterForm(PlainBaseForm):
    """The list's filters, read from the query string (a GET form: nothing to protect from CSRF)."""

    state = SelectField(_l("State"), default="")
    q = SearchField(_l("Outlet name or certificate number"), validators=[Length(max=100)])

    def __init__(self, formdata):
        super().__init__(formdata)
        self.state.choices = [
            SelectChoice("", _("All")),
            *(SelectChoice(s.value, _(STATE_LABELS[s])) for s in CertificateState),
        ]


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


@bp.get("/certificates/<int:certificate_id>")
@allow(HOLDERS, joint=True)
def detail(certificate_id: int):
    certificate = db.get_or_404(Certificate, certificate_id)
    return _detail_page(certificate, RevokeForm())


def _detail_page(certificate: Certificate, revoke_form: RevokeForm, status: int = 200):
    standing = standing_of(certificate, today_in_shanghai())
    state = standing.state
    replaced_by = (
        db.session.get(Certificate, certificate.superseded_by_id) if certificate.superseded_by_id else None
    )
    # The outlet renews inside the renewal window only (the new application refuses it outside).
    window = renewal_window(certificate.valid_until, current_app.config["RENEWAL_WINDOW_DAYS"])
    outlet_holds_it = current_user.role == Role.OUTLET and state is CertificateState.VALID
    can_renew = outlet_holds_it and window.is_open(today_in_shanghai())
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
            renewal_opens=window.opens if outlet_holds_it and not can_renew else None,
            application_url=url_for(APPLICATION_ENDPOINT, application_id=certificate.application_id),
            can_revoke=current_user.role == Role.DISTRICT_BUREAU
            and certificate.state == StoredCertificateState.ACTIVE,
            revoke_form=revoke_form,
        ),
        status,
    )


@bp.get("/certificates/<int:certificate_id>/certificate.pdf")
@allow(HOLDERS, joint=True)
def certificate_pdf(certificate_id: int):
    certificate = db.get_or_404(Certificate, certificate_id)
    # The standing (state, date, reason, replacement) is part of the data and so of the cache key:
    # a copy kept while the certificate was valid is never served once it is not.
    pdf = rendered_pdf("certificate", certificate_data(certificate, today_in_shanghai()), render_certificate)
    return pdf_download(pdf, f"{certificate.number}.pdf")


@bp.post("/certificates/<int:certificate_id>/revoke")
@allow({Role.DISTRICT_BUREAU: Scope.OWN_DISTRICT})
def revoke(certificate_id: int):
    certificate = db.get_or_404(Certificate, certificate_id)
    form = RevokeForm()
    if not form.validate_on_submit():
        return _detail_page(certificate, form, status=400)
    with attempt() as outcome:
        revoke_certificate(certificate, current_user, form.reason.data)
    if outcome.done:  # else the reason is flashed: the certificate's state, not the form, is the matter
        flash(_("Certificate %(number)s is revoked.", number=certificate.number), "success")
    return redirect(url_for("certificates.detail", certificate_id=certificate_id))
