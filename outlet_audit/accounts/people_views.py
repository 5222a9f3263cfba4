"""The people of an outlet: its page for the outlet's accounts (the manager invites, removes and
hands over), and the district bureau's decision on a handover."""

from flask import Blueprint, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from outlet_audit.access import Scope, allow
from outlet_audit.accounts.forms import HandoverDecisionForm, HandoverForm
from outlet_audit.accounts.invitations import pending_invitations
from outlet_audit.accounts.models import User
from outlet_audit.accounts.outlet_views import back_to
from outlet_audit.accounts.people import (
    decide_handover,
    open_handover,
    remove_staff,
    request_handover,
    withdraw_handover,
)
from outlet_audit.accounts.queries import outlet_accounts
from outlet_audit.core.navigation import nav_entry
from outlet_audit.core.requests import attempt
from outlet_audit.extensions import db
from outlet_audit.outlets.models import Outlet
from outlet_audit.roles import Role

bp = Blueprint("people", __name__)
nav_entry("people.index", _l("People"), {Role.OUTLET}, order=85)
OUTLET_ONLY = {Role.OUTLET: Scope.OWN_OUTLET}


def _handover_form(accounts) -> HandoverForm:
    form = HandoverForm()
    form.to_user.choices = [
        (user.id, f"{user.display_name} ({user.username})")
        for user in accounts
        if user.active and user.id != current_user.id
    ]
    return form


@bp.get("/outlet/people")
@allow(OUTLET_ONLY)
def index():
    accounts = outlet_accounts(current_user.outlet_id, active_only=False)
    return render_template(
        "accounts/people.html",
        accounts=accounts,
        invitations=[i for i in pending_invitations(current_user.outlet_id) if not i.for_manager],
        handover=open_handover(current_user.outlet_id),
        handover_form=_handover_form(accounts),
        is_manager=current_user.outlet_manager,
    )


@bp.post("/outlet/people/<int:user_id>/remove")
@allow(OUTLET_ONLY)
def remove(user_id: int):
    user = db.get_or_404(User, user_id)
    with attempt() as outcome:
        remove_staff(user, actor=current_user)
    if outcome.done:
        flash(_("%(name)s no longer signs in for the outlet.", name=user.display_name), "success")
    return redirect(url_for("people.index"))


@bp.post("/outlet/handover")
@allow(OUTLET_ONLY)
def hand_over():
    form = _handover_form(outlet_accounts(current_user.outlet_id))
    if not form.validate():
        flash(_("Choose another active account of your outlet."), "danger")
        return redirect(url_for("people.index"))
    with attempt() as outcome:
        request_handover(
            db.session.get(User, form.to_user.data), actor=current_user, close_account=form.close_account.data
        )
    if outcome.done:
        flash(_("The district bureau is asked to approve the handover."), "success")
    return redirect(url_for("people.index"))


@bp.post("/outlet/handover/withdraw")
@allow(OUTLET_ONLY)
def withdraw():
    handover = open_handover(current_user.outlet_id)
    if handover is not None:
        with attempt() as outcome:
            withdraw_handover(handover, actor=current_user)
        if outcome.done:
            flash(_("The handover is withdrawn."), "info")
    return redirect(url_for("people.index"))


@bp.post("/outlets/<int:outlet_id>/handover/<decision>")
@allow({Role.DISTRICT_BUREAU: Scope.OWN_DISTRICT})
def decide(outlet_id: int, decision: str):
    outlet = db.get_or_404(Outlet, outlet_id)
    handover = open_handover(outlet.id)
    if handover is None or decision not in ("approve", "refuse"):
        flash(_("No handover of this outlet waits for a decision."), "warning")
        return redirect(url_for("outlets.detail", outlet_id=outlet.id))
    form = HandoverDecisionForm()
    form.validate()  # cleans the typed reason; the operation says what is wrong with it
    with attempt() as outcome:
        decide_handover(handover, actor=current_user, approve=decision == "approve", reason=form.reason.data)
    if outcome.done:
        flash(
            _("The handover is approved.") if decision == "approve" else _("The handover is not approved."),
            "success" if decision == "approve" else "info",
        )
    return redirect(back_to(url_for("outlets.detail", outlet_id=outlet.id)))
