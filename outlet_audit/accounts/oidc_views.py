"""Single sign-on pages (accounts/oidc.py): signing in through the provider, a person linking their
own identity while signed in, and the administrator linking or unlinking an account's identity.
Every page answers 404 while single sign-on is off."""

import logging

import requests
from authlib.common.errors import AuthlibBaseError
from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from joserfc.errors import JoseError
from wtforms import StringField, SubmitField
from wtforms.validators import DataRequired, Length

from outlet_audit.access import allow, public, signed_in
from outlet_audit.accounts.admin_views import ADMIN_ONLY
from outlet_audit.accounts.known_devices import known_user_ids
from outlet_audit.accounts.models import User
from outlet_audit.accounts.oidc import (
    NOT_VERIFIED,
    client,
    identity_sign_in,
    is_on,
    link_identity,
    provider_asked_second_factor,
    provider_name,
    unlink_identity,
)
from outlet_audit.accounts.views import _attach_error, _signed_in, ask_for_second_factor
from outlet_audit.core.forms import BaseForm
from outlet_audit.core.i18n import translate_message
from outlet_audit.core.rate_limits import configured_limit
from outlet_audit.core.requests import attempt
from outlet_audit.core.security import is_safe_redirect
from outlet_audit.extensions import db, limiter, writes_on_get
from outlet_audit.text import Message

log = logging.getLogger(__name__)
bp = Blueprint("oidc", __name__)

NEXT_KEY = "oidc_next"
NEXT_MAX_LENGTH = 500  # a longer "next" is no page of ours; it would only fill the session cookie
STATE_KEY_PREFIX = "_state_oidc_"  # Authlib's session keys for the client registered as "oidc"
LINK_KEY = "oidc_link"  # the session token of the signed-in account that asked to link its identity
# What the provider's answer may fail with: a wrong state or an error it sends back (OAuthError),
# a bad ID token (signature, iss, aud, exp, nonce: joserfc's or Authlib's errors), no answer at all.
PROVIDER_FAILURES = (AuthlibBaseError, JoseError, requests.RequestException, ValueError, KeyError, TypeError)


class IdentitySubjectForm(BaseForm):
    subject = StringField(
        _l("Identifier at the sign-in provider (sub)"), validators=[DataRequired(), Length(max=255)]
    )
    submit = SubmitField(_l("Link"))


@bp.before_request
def only_when_on():
    if not is_on():
        abort(404)


def _to_provider():
    """Send the browser to the provider; a provider that cannot be reached is said, not a 500."""
    # Authlib keeps each trip's state, nonce and PKCE verifier in the session for an hour: one trip
    # at a time per browser, or a page that starts many would grow the cookie past what browsers keep.
    for key in [key for key in session if key.startswith(STATE_KEY_PREFIX)]:
        session.pop(key)
    try:
        return client().authorize_redirect(url_for("oidc.callback", _external=True))
    except PROVIDER_FAILURES as error:
        log.warning("single sign-on: the provider cannot be reached: %r", error)
        flash(
            _("The sign-in provider cannot be reached. Try again later, or sign in with your password."),
            "warning",
        )
        return redirect(url_for("accounts.login"))


@bp.get("/login/oidc")
@public
@limiter.limit(configured_limit("RATELIMIT_LOGIN"))
def start():
    if current_user.is_authenticated:
        return redirect(url_for("core.index"))
    target = request.args.get("next")
    safe = is_safe_redirect(target) and len(target) <= NEXT_MAX_LENGTH
    session[NEXT_KEY] = target if safe else url_for("core.index")
    return _to_provider()


def _verified_identity() -> tuple[str, str, dict] | None:
    """The provider's issuer, the person's `sub` and the ID token's claims, once Authlib checked the
    state (and PKCE with the code exchange) and the ID token; None when anything is wrong."""
    issuer = current_app.config["OIDC_ISSUER"]
    # Authlib alone accepts a token whose aud names another application when azp names us: the
    # audience must contain our client id (OpenID Connect Core 3.1.3.7), and the issuer be ours.
    expected = {
        "iss": {"essential": True, "value": issuer},
        "aud": {"essential": True, "value": current_app.config["OIDC_CLIENT_ID"]},
    }
    try:
        token = client().authorize_access_token(claims_options=expected)
    except PROVIDER_FAILURES as error:
        log.warning("single sign-on refused: %r", error)
        return None
    claims = token.get("userinfo")
    if (
        not claims
        or claims.get("iss") != issuer
        or not isinstance(claims.get("sub"), str)
        or not claims["sub"]
    ):
        log.warning("single sign-on refused: no verified ID token for %s", issuer)
        return None
    return issuer, claims["sub"], dict(claims)


@bp.get("/login/oidc/callback")
@public
@writes_on_get  # the sign-in arrives by the provider's redirect
@limiter.limit(configured_limit("RATELIMIT_LOGIN"))
def callback():
    linking = session.pop(LINK_KEY, None)
    identity = _verified_identity()
    if identity is None:
        flash(translate_message(Message(NOT_VERIFIED)), "danger")
        return redirect(url_for("oidc.account" if linking else "accounts.login"))
    issuer, subject, claims = identity
    if linking is not None:
        return _link_own(linking, issuer, subject)
    if current_user.is_authenticated:
        return redirect(url_for("core.index"))
    target = session.get(NEXT_KEY)
    target = target if is_safe_redirect(target) else url_for("core.index")
    asked = provider_asked_second_factor(claims)
    with attempt(keep_refused_work=True) as outcome:  # a disabled account's refusal is written
        user = identity_sign_in(issuer, subject, second_factor_done=asked)
    if not outcome.done:
        return redirect(url_for("accounts.login"))
    known = known_user_ids()
    session.clear()  # a fresh session at every sign-in: no fixation
    if user.totp_enabled_at is not None and not asked:
        # As after a password: our code next (accounts.views.second_factor).
        return ask_for_second_factor(user, target, "sso")
    return _signed_in(user, target, known)


def _link_own(session_token: str, issuer: str, subject: str):
    """Link the identity just verified to the account that asked, if this browser is still it."""
    if not current_user.is_authenticated or current_user.session_token != session_token:
        flash(_("Sign in with your password, then link your identity again."), "warning")
        return redirect(url_for("accounts.login"))
    with attempt() as outcome:
        link_identity(current_user, issuer, subject, actor=current_user)
    if outcome.done:
        flash(_("Your single sign-on identity is linked. You can sign in with it from now on."), "success")
    return redirect(url_for("oidc.account"))


@bp.get("/account/single-sign-on")
@signed_in
def account():
    return render_template("accounts/single_sign_on.html", provider=provider_name())


@bp.post("/account/single-sign-on/link")
@signed_in
def link_start():
    session[LINK_KEY] = current_user.session_token
    return _to_provider()


@bp.post("/account/single-sign-on/unlink")
@signed_in
def unlink_own():
    with attempt() as outcome:
        unlink_identity(current_user, actor=current_user)
    if outcome.done:
        flash(_("Your single sign-on identity is unlinked."), "success")
    return redirect(url_for("oidc.account"))


@bp.route("/admin/users/<int:user_id>/single-sign-on", methods=["GET", "POST"])
@allow(ADMIN_ONLY)
def admin_link(user_id: int):
    user = db.get_or_404(User, user_id)
    form = IdentitySubjectForm()
    if form.validate_on_submit():
        with attempt(flash_refusal=False) as outcome:
            link_identity(user, current_app.config["OIDC_ISSUER"], form.subject.data, actor=current_user)
        if outcome.done:
            flash(_("The identity is linked to %(username)s.", username=user.username), "success")
            return redirect(url_for("oidc.admin_link", user_id=user.id))
        _attach_error(form, outcome.refusal)
    status = 422 if form.errors or form.form_errors else 200
    return render_template("accounts/admin_single_sign_on.html", form=form, user=user), status


@bp.post("/admin/users/<int:user_id>/single-sign-on/unlink")
@allow(ADMIN_ONLY)
def admin_unlink(user_id: int):
    user = db.get_or_404(User, user_id)
    with attempt() as outcome:
        unlink_identity(user, actor=current_user)
    if outcome.done:
        flash(_("The identity of %(username)s is unlinked.", username=user.username), "success")
    return redirect(url_for("oidc.admin_link", user_id=user.id))
