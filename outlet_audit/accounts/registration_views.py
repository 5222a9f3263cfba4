"""A registration both ways: the applicant's page (waiting, or refused with the reason, then sent
again) and the district bureau's refusal. Verifying stays on the verification queue (outlets)."""

from flask import Blueprint, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user

from outlet_audit.access import Scope, allow
from outlet_audit.accounts.forms import RefuseRegistrationForm
from outlet_audit.accounts.registrations import refusal_of, refuse_registration, resubmit_registration
from outlet_audit.core.requests import attempt
from outlet_audit.extensions import db
from outlet_audit.outlets.models import Outlet
from outlet_audit.roles import Role

bp = Blueprint("registrations", __name__)
OUTLET_ONLY = {Role.OUTLET: Scope.OWN_OUTLET}


@bp.get("/registration")
@allow(OUTLET_ONLY)
def status():
    outlet = current_user.outlet
    if outlet.verified:
        return redirect(url_for("core.index"))
    return render_template("accounts/registration.html", outlet=outlet, refusal=refusal_of(outlet.id))


@bp.post("/registration/resubmit")
@allow(OUTLET_ONLY)
def resubmit():
    with attempt() as outcome:
        resubmit_registration(current_user.outlet, actor=current_user)
    if outcome.done:
        flash(_("Your registration is sent to the district bureau again."), "success")
    return redirect(url_for("registrations.status"))


@bp.post("/outlets/<int:outlet_id>/registration/refuse")
@allow({Role.DISTRICT_BUREAU: Scope.OWN_DISTRICT})
def refuse(outlet_id: int):
    outlet = db.get_or_404(Outlet, outlet_id)
    form = RefuseRegistrationForm()
    form.validate()  # cleans the typed reason; the operation says what is wrong with it
    with attempt() as outcome:
        refuse_registration(outlet, actor=current_user, reason=form.reason.data)
    if outcome.done:
        flash(
            _("The registration of %(name)s is not accepted; the applicant is told why.", name=outlet.name),
            "info",
        )
    return redirect(url_for("outlets.verification_queue"))
