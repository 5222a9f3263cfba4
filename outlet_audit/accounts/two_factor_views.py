"""Two-factor sign-in, the account's own pages: set up with a QR code, recovery codes, switch off
(where optional); and the administrator's reset of a lost device."""

import segno
from flask import Blueprint, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_user

from outlet_audit.access import Scope, allow, signed_in
from outlet_audit.accounts.forms import SecondFactorForm
from outlet_audit.accounts.models import User
from outlet_audit.accounts.two_factor import (
    confirm_enrolment,
    disable,
    is_enabled,
    is_required,
    provisioning_uri,
    recovery_codes_left,
    renew_recovery_codes,
    reset_by_administrator,
    start_enrolment,
)
from outlet_audit.accounts.views import _attach_error
from outlet_audit.core.requests import attempt
from outlet_audit.extensions import db
from outlet_audit.roles import Role

bp = Blueprint("two_factor", __name__, url_prefix="/account/two-factor")


def _page(form=None, status: int = 200):
    user = current_user._get_current_object()
    enrolling = not is_enabled(user) and user.totp_secret is not None
    qr = secret = None
    if enrolling:
        secret = user.totp_secret
        qr = segno.make(provisioning_uri(user), error="m").svg_inline(scale=4, title=user.username)
    return render_template(
        "accounts/two_factor.html",
        enabled=is_enabled(user),
        required=is_required(user),
        enrolling=enrolling,
        qr=qr,
        secret=" ".join(secret[i : i + 4] for i in range(0, len(secret), 4)) if secret else None,
        codes_left=recovery_codes_left(user) if is_enabled(user) else 0,
        form=form or SecondFactorForm(formdata=None),
    ), status


@bp.get("")
@signed_in
def index():
    return _page()


@bp.post("/start")
@signed_in
def start():
    with attempt() as _outcome:
        start_enrolment(current_user)
    return redirect(url_for("two_factor.index"))


def _with_code(operation):
    """Run `operation(user, code)` on the form's code: its result, or the page with the error (422)."""
    form = SecondFactorForm()
    if not form.validate():
        return None, _page(form, 422)
    with attempt(flash_refusal=False) as outcome:
        result = operation(current_user, form.code.data)
    if not outcome.done:
        _attach_error(form, outcome.refusal)
        return None, _page(form, 422)
    return result, None


def _show_new_codes(operation, done_message: str):
    codes, failed = _with_code(operation)
    if failed:
        return failed
    flash(done_message, "success")
    return render_template("accounts/recovery_codes.html", codes=codes)


@bp.post("/confirm")
@signed_in
def confirm():
    return _show_new_codes(
        confirm_enrolment, _("Two-factor sign-in is on. Keep the recovery codes below somewhere safe.")
    )


@bp.post("/recovery-codes")
@signed_in
def recovery_codes():
    return _show_new_codes(renew_recovery_codes, _("New recovery codes: the earlier ones no longer work."))


@bp.post("/disable")
@signed_in
def switch_off():
    _done, failed = _with_code(disable)
    if failed:
        return failed
    flash(_("Two-factor sign-in is off."), "info")
    return redirect(url_for("two_factor.index"))


@bp.post("/reset/<int:user_id>")
@allow({Role.ADMIN: Scope.ALL})
def reset(user_id: int):
    """The administrator resets a lost device; the account signs in with its password and enrols again."""
    user = db.get_or_404(User, user_id)
    with attempt() as outcome:
        reset_by_administrator(user, actor=current_user)
    if outcome.done:
        if user.id == current_user.id:
            login_user(user)  # the administrator's own reset: this session goes on with the new token
        flash(_("The second factor of %(username)s is reset.", username=user.username), "success")
    return redirect(url_for("admin.users"))
