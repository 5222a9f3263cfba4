"""Invitations: the invited person's pages (code, then the account), and the inviters' actions
(invite, send again by e-mail or as a printed letter, withdraw, the list of open invitations)."""

import segno
from flask import Blueprint, flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from sqlalchemy import select

from outlet_audit.access import RecordFacts, Scope, allow, current_scope, public, record_loader
from outlet_audit.accounts.forms import (
    InvitationCodeForm,
    InvitedAccountForm,
    InviteForm,
    InviteOutletManagerForm,
)
from outlet_audit.accounts.invitations import (
    INVITATION_INVALID,
    IssuedCode,
    accept_invitation,
    create_invitation,
    deliver,
    invitation_for_code,
    normalise_code,
    send_again,
    withdraw_invitation,
)
from outlet_audit.accounts.mail import public_url
from outlet_audit.accounts.models import Invitation
from outlet_audit.accounts.outlet_views import back_to
from outlet_audit.accounts.views import _attach_error
from outlet_audit.core.i18n import translate_message
from outlet_audit.core.navigation import nav_entry
from outlet_audit.core.params import page_number
from outlet_audit.core.rate_limits import configured_limit
from outlet_audit.core.requests import attempt
from outlet_audit.core.time import utcnow
from outlet_audit.extensions import db, limiter
from outlet_audit.outlets.models import Outlet
from outlet_audit.roles import Role
from outlet_audit.text import Message

bp = Blueprint("invitations", __name__)
nav_entry("invitations.index", _l("Invitations"), {Role.DISTRICT_BUREAU, Role.CITY_BUREAU}, order=65)

INVITATION_CODE_KEY = "invitation_code"
INVITERS = {Role.DISTRICT_BUREAU: Scope.OWN_DISTRICT, Role.ADMIN: Scope.ALL, Role.OUTLET: Scope.OWN_OUTLET}
LETTERS_AT_ONCE = 100


@record_loader("invitation_id")
def invitation_facts(invitation_id: int) -> RecordFacts | None:
    invitation = db.session.get(Invitation, invitation_id)
    if invitation is None:
        return None
    return RecordFacts(district_id=invitation.outlet.district_id, outlet_id=invitation.outlet_id)


# --- the invited person -------------------------------------------------------------------


@bp.route("/invitation", methods=["GET", "POST"])
@public
@limiter.limit(configured_limit("RATELIMIT_ACCOUNT_RECOVERY"), methods=["POST"])
def enter_code():
    form = InvitationCodeForm()
    if form.validate_on_submit():
        if invitation_for_code(form.code.data) is not None:
            session[INVITATION_CODE_KEY] = normalise_code(form.code.data)
            return redirect(url_for("invitations.create_account"))
        form.code.errors.append(translate_message(Message(INVITATION_INVALID)))
    return render_template("accounts/invitation_code.html", form=form), 422 if form.errors else 200


@bp.get("/invitation/<code>")
@public
@limiter.limit(configured_limit("RATELIMIT_ACCOUNT_RECOVERY"))
def open_link(code: str):
    """The mailed link: the code moves into the session, out of the address bar and the history."""
    if invitation_for_code(code) is None:
        flash(translate_message(Message(INVITATION_INVALID)), "warning")
        return redirect(url_for("invitations.enter_code"))
    session[INVITATION_CODE_KEY] = normalise_code(code)
    return redirect(url_for("invitations.create_account"))


@bp.route("/invitation/account", methods=["GET", "POST"])
@public
def create_account():
    code = session.get(INVITATION_CODE_KEY)
    invitation = invitation_for_code(code) if isinstance(code, str) else None
    if invitation is None:
        session.pop(INVITATION_CODE_KEY, None)
        flash(translate_message(Message(INVITATION_INVALID)), "warning")
        return redirect(url_for("invitations.enter_code"))
    form = InvitedAccountForm(email=invitation.email) if request.method == "GET" else InvitedAccountForm()
    if form.validate_on_submit():
        with attempt(flash_refusal=False) as outcome:
            user = accept_invitation(
                code,
                username=form.username.data,
                display_name=form.display_name.data,
                email=form.email.data,
                password=form.password.data,
            )
        if outcome.done:
            session.pop(INVITATION_CODE_KEY, None)
            flash(
                _("Your account %(username)s is ready. Sign in with it.", username=user.username), "success"
            )
            return redirect(url_for("accounts.login"))
        _attach_error(form, outcome.refusal)
    status = 422 if form.errors or form.form_errors else 200
    return render_template("accounts/invitation_account.html", form=form, invitation=invitation), status


# --- the inviters --------------------------------------------------------------------------


def _letters(issued: list[IssuedCode]):
    """The printable letters, one a page: the code is shown this once, with a QR code of its link."""
    letters = [
        {
            "issued": one,
            "qr": segno.make(
                public_url(url_for("invitations.open_link", code=one.code)), error="m"
            ).svg_inline(scale=3, title=one.grouped),
        }
        for one in issued
    ]
    return render_template(
        "accounts/invitation_letters.html",
        letters=letters,
        entry=public_url(url_for("invitations.enter_code")),
    )


def _issue_and_hand_over(back: str, issue):
    """Validate the address, run `issue(email)` (an IssuedCode) in one unit of work and hand the code
    over: the printed letter, or back to the page with word that it is mailed."""
    form = InviteForm()
    if not form.validate():
        flash(" ".join(map(str, form.email.errors)) or _("Please correct the fields marked below."), "danger")
        return redirect(back)
    with attempt() as outcome:
        issued = issue(form.email.data)
    if not outcome.done:
        return redirect(back)
    if issued.invitation.delivery == "print":
        return _letters([issued])
    flash(_("The invitation is mailed to %(email)s.", email=issued.invitation.email), "success")
    return redirect(back)


def _outlet_page(outlet_id: int) -> str:
    if current_user.role == Role.OUTLET:
        return url_for("people.index")
    if current_user.role == Role.ADMIN:
        return url_for("admin.users")
    return url_for("outlets.detail", outlet_id=outlet_id)


def _create_and_deliver(outlet: Outlet, email: str | None) -> IssuedCode:
    issued = create_invitation(outlet, actor=current_user, for_manager=current_user.role != Role.OUTLET)
    deliver(issued, actor=current_user, email=email)
    return issued


@bp.post("/outlets/<int:outlet_id>/invitations")
@allow(INVITERS)
def invite(outlet_id: int):
    """Invite the outlet's manager (bureau, administrator) or a member of its staff (its manager)."""
    outlet = db.get_or_404(Outlet, outlet_id)
    return _issue_and_hand_over(
        back_to(_outlet_page(outlet.id)), lambda email: _create_and_deliver(outlet, email)
    )


@bp.post("/invitations/<int:invitation_id>/send")
@allow(INVITERS)
def send(invitation_id: int):
    """Send again: a new code (the old one stops working), mailed or printed."""
    invitation = db.get_or_404(Invitation, invitation_id)
    return _issue_and_hand_over(
        back_to(_outlet_page(invitation.outlet_id)),
        lambda email: send_again(invitation, actor=current_user, email=email),
    )


@bp.post("/invitations/<int:invitation_id>/withdraw")
@allow(INVITERS)
def withdraw(invitation_id: int):
    invitation = db.get_or_404(Invitation, invitation_id)
    with attempt() as outcome:
        withdraw_invitation(invitation, actor=current_user)
    if outcome.done:
        flash(_("The invitation is withdrawn; its code no longer works."), "info")
    return redirect(back_to(_outlet_page(invitation.outlet_id)))


def _open_in_scope():
    query = (
        select(Invitation)
        .join(Outlet, Outlet.id == Invitation.outlet_id)
        .where(
            Invitation.for_manager.is_(True),
            Invitation.accepted_at.is_(None),
            Invitation.withdrawn_at.is_(None),
        )
        .order_by(Invitation.delivery.is_not(None), Invitation.created_at, Invitation.id)
    )
    if current_scope() is not Scope.ALL:
        query = query.where(Outlet.district_id == current_user.district_id)
    return query


@bp.get("/invitations")
@allow({Role.DISTRICT_BUREAU: Scope.OWN_DISTRICT, Role.CITY_BUREAU: Scope.ALL})
def index():
    """The manager invitations not yet accepted in the bureau's reach, those never handed over first."""
    page = db.paginate(_open_in_scope(), page=page_number(), per_page=50, error_out=False)
    return render_template("accounts/invitations.html", page=page, now=utcnow())


@bp.post("/invitations/letters")
@allow({Role.DISTRICT_BUREAU: Scope.OWN_DISTRICT})
def print_letters():
    """Letters for every open manager invitation never handed over (a bulk import's): a new code each."""
    waiting = db.session.scalars(
        _open_in_scope().where(Invitation.delivery.is_(None)).limit(LETTERS_AT_ONCE)
    ).all()
    issued = []
    with attempt() as outcome:
        issued = [send_again(invitation, actor=current_user, email=None) for invitation in waiting]
    if not outcome.done or not issued:
        if outcome.done:
            flash(_("Every open invitation was handed over already."), "info")
        return redirect(url_for("invitations.index"))
    return _letters(issued)


@bp.post("/admin/outlet-invitations")
@allow({Role.ADMIN: Scope.ALL})
def invite_by_permit():
    """The administrator's way to an outlet account: invite the manager of the outlet with this permit."""
    form = InviteOutletManagerForm()
    form.validate()  # the address is checked with the invitation, below
    outlet = db.session.scalar(select(Outlet).where(Outlet.permit_number == form.permit_number.data))
    if outlet is None:
        flash(_("No outlet has this permit or filing number."), "danger")
        return redirect(url_for("admin.new_user"))
    return _issue_and_hand_over(url_for("admin.users"), lambda email: _create_and_deliver(outlet, email))
