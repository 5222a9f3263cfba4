"""The administrator's account pages: create staff accounts; disable, enable and unlock (end the
sign-in wait of) any account."""

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from sqlalchemy import select

from outlet_audit.access import RecordFacts, Scope, allow, record_loader
from outlet_audit.accounts.forms import ROLE_LABELS, InviteOutletManagerForm, StaffAccountForm
from outlet_audit.accounts.models import User
from outlet_audit.accounts.operations import create_staff_user, is_throttled, set_active, unlock
from outlet_audit.accounts.views import _attach_error
from outlet_audit.core.i18n import current_language
from outlet_audit.core.navigation import nav_entry
from outlet_audit.core.params import page_number
from outlet_audit.core.requests import attempt
from outlet_audit.extensions import db
from outlet_audit.outlets.forms import district_choices
from outlet_audit.outlets.models import Outlet
from outlet_audit.outlets.reference import district_name
from outlet_audit.roles import Role

bp = Blueprint("admin", __name__, url_prefix="/admin")
nav_entry("admin.users", _l("Accounts"), {Role.ADMIN}, order=90)
ADMIN_ONLY = {Role.ADMIN: Scope.ALL}


@record_loader("user_id")
def user_facts(user_id: int) -> RecordFacts | None:
    """An account sits in its district; an outlet account in its outlet's district too, so a
    district bureau reaches the outlet accounts of its district."""
    user = db.session.get(User, user_id)
    if user is None:
        return None
    district_id = user.outlet.district_id if user.outlet is not None else user.district_id
    return RecordFacts(district_id=district_id, outlet_id=user.outlet_id)


@bp.get("/users")
@allow(ADMIN_ONLY)
def users():
    query = select(User).order_by(User.role, User.username)
    role = request.args.get("role", "")
    if role in Role.__members__.values():
        query = query.where(User.role == Role(role))
    search = request.args.get("q", "").strip()
    if search:  # autoescape: a typed % or _ is a character to find, not a wildcard
        query = query.where(
            User.username.icontains(search, autoescape=True)
            | User.display_name.icontains(search, autoescape=True)
        )
    page = db.paginate(query, page=page_number(), per_page=50, error_out=False)
    return render_template(
        "accounts/admin_users.html",
        page=page,
        accounts=_account_rows(page.items),
        role=role,
        search=search,
        role_labels=ROLE_LABELS,
        roles=list(Role),
    )


def _account_rows(users: list[User]) -> list[dict]:
    """What each account row shows: where the account belongs and the URL of its one state action."""
    lang = current_language()
    outlet_ids = {user.outlet_id for user in users if user.outlet_id is not None}
    outlet_names = (
        dict(db.session.execute(select(Outlet.id, Outlet.name).where(Outlet.id.in_(outlet_ids))).all())
        if outlet_ids
        else {}
    )
    rows = []
    for user in users:
        if user.organisation is not None:  # staff: their organisation, and whether they sign approvals
            belongs_to = user.organisation.name(lang) + (f" · {_('approver')}" if user.approver else "")
        elif user.district_id is not None:
            belongs_to = district_name(user.district_id, lang)
        else:
            belongs_to = outlet_names.get(user.outlet_id, "—")
        rows.append(
            {
                "user": user,
                "belongs_to": belongs_to,
                "waiting": is_throttled(user),
                "unlock_url": url_for("admin.unlock_user", user_id=user.id) if user.failed_logins else None,
                # Only where a link can reach someone: the account has an address and may sign in.
                "reset_url": url_for("outlet_accounts.send_password_link", user_id=user.id)
                if user.email and user.active
                else None,
                "two_factor_reset_url": url_for("two_factor.reset", user_id=user.id)
                if user.totp_secret is not None
                else None,
                "toggle_url": url_for(
                    "admin.disable_user" if user.active else "admin.enable_user", user_id=user.id
                ),
            }
        )
    return rows


@bp.route("/users/new", methods=["GET", "POST"])
@allow(ADMIN_ONLY)
def new_user():
    form = StaffAccountForm()
    form.district_id.choices = district_choices(placeholder=_("— none —"))
    if form.validate_on_submit():
        with attempt(flash_refusal=False) as outcome:
            user = create_staff_user(
                username=form.username.data,
                display_name=form.display_name.data,
                email=form.email.data,
                role=form.role.data,
                district_id=form.district_id.data or None,
                password=form.password.data,
                actor=current_user,
                kind=form.kind.data,
                approver=form.approver.data,
            )
        if not outcome.done:
            _attach_error(form, outcome.refusal)
        else:
            flash(_("Account %(username)s created.", username=user.username), "success")
            return redirect(url_for("admin.users"))
    return render_template(
        "accounts/admin_user_new.html", form=form, invite_form=InviteOutletManagerForm(formdata=None)
    )


def _change(user_id: int, change, done_message: str):
    user = db.get_or_404(User, user_id)
    with attempt() as outcome:
        change(user)
    if outcome.done:
        flash(done_message % {"username": user.username}, "success")
    return redirect(url_for("admin.users"))


@bp.post("/users/<int:user_id>/disable")
@allow(ADMIN_ONLY)
def disable_user(user_id: int):
    return _change(user_id, lambda u: set_active(u, False, current_user), _("%(username)s is disabled."))


@bp.post("/users/<int:user_id>/enable")
@allow(ADMIN_ONLY)
def enable_user(user_id: int):
    return _change(user_id, lambda u: set_active(u, True, current_user), _("%(username)s is enabled."))


@bp.post("/users/<int:user_id>/unlock")
@allow(ADMIN_ONLY)
def unlock_user(user_id: int):
    return _change(user_id, lambda u: unlock(u, current_user), _("%(username)s is unlocked."))
