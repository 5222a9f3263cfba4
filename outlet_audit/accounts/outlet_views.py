"""What bureaus and administrators do for other people's accounts: send a password link; the
accounts part of an outlet's page."""

from flask import Blueprint, flash, redirect, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from outlet_audit.access import Scope, allow
from outlet_audit.accounts.invitations import may_invite, pending_invitations
from outlet_audit.accounts.models import User
from outlet_audit.accounts.people import open_handover
from outlet_audit.accounts.queries import outlet_accounts
from outlet_audit.accounts.recovery import issue_password_reset
from outlet_audit.accounts.registrations import refusal_of
from outlet_audit.core.requests import attempt
from outlet_audit.core.security import is_safe_redirect
from outlet_audit.extensions import db
from outlet_audit.roles import Role

bp = Blueprint("outlet_accounts", __name__)


def back_to(default: str) -> str:
    """Where the page that posted the form asked to go back to, if it is on this site."""
    target = request.form.get("next")
    return target if is_safe_redirect(target) else default


@bp.post("/accounts/<int:user_id>/password-link")
@allow({Role.ADMIN: Scope.ALL, Role.DISTRICT_BUREAU: Scope.OWN_DISTRICT})
def send_password_link(user_id: int):
    user = db.get_or_404(User, user_id)
    with attempt() as outcome:
        issue_password_reset(user, actor=current_user)
    if outcome.done:
        flash(_("A link to set a new password is mailed to %(username)s.", username=user.username), "success")
    default = url_for("admin.users") if current_user.role == Role.ADMIN else url_for("core.index")
    if user.outlet_id is not None and current_user.role == Role.DISTRICT_BUREAU:
        default = url_for("outlets.detail", outlet_id=user.outlet_id)
    return redirect(back_to(default))


@bp.app_template_global()
def outlet_accounts_panel(outlet) -> dict:
    """What the outlet's page (outlets/detail.html) shows of its accounts, registration and
    invitations, and what the viewer may do there (the city bureau only reads)."""
    accounts = outlet_accounts(outlet.id, active_only=False)
    invitations = pending_invitations(outlet.id)
    may_invite_here = may_invite(current_user, outlet, for_manager=True)
    return {
        "accounts": accounts,
        "refusal": refusal_of(outlet.id) if not outlet.verified else None,
        "may_send_links": current_user.role == Role.DISTRICT_BUREAU,
        "invitations": invitations,
        "may_invite": may_invite_here,
        "handover": open_handover(outlet.id),
        "may_invite_manager": may_invite_here
        and outlet.verified
        and not any(user.outlet_manager and user.active for user in accounts)
        and not any(invitation.for_manager for invitation in invitations),
    }
