"""Signing in (with a second factor where the account has one) and out, outlet self-registration,
the user's own password and recovering a forgotten one."""

import time

from flask import (
    Blueprint,
    current_app,
    flash,
    g,
    make_response,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user, login_user, logout_user
from sqlalchemy import select

from outlet_audit.access import public, signed_in
from outlet_audit.accounts.forms import (
    ChangePasswordForm,
    ForgotPasswordForm,
    LoginForm,
    NewPasswordForm,
    SecondFactorForm,
)
from outlet_audit.accounts.gate import gate
from outlet_audit.accounts.known_devices import known_user_ids, remember_device
from outlet_audit.accounts.models import User
from outlet_audit.accounts.operations import (
    REGISTRATION_REFUSED,
    SIGN_IN_FAILED,
    authenticate,
    change_password,
    register_outlet,
    spend_a_password_check,
)
from outlet_audit.accounts.recovery import (
    LINK_INVALID,
    account_for_reset_token,
    request_password_reset,
    reset_password_with_token,
)
from outlet_audit.accounts.two_factor import WRONG_CODE, check_second_factor
from outlet_audit.core.i18n import translate_message
from outlet_audit.core.rate_limits import configured_limit
from outlet_audit.core.requests import attempt, flush_or_refuse, stale_message
from outlet_audit.core.security import is_safe_redirect
from outlet_audit.extensions import db, limiter
from outlet_audit.outlets.forms import OutletRegistrationForm
from outlet_audit.text import Message, Refused

bp = Blueprint("accounts", __name__)
bp.before_app_request(gate)


def _attach_error(form, error: Refused | None) -> None:
    """Show a refusal beside its field, or above the form (a stale record: the general message)."""
    if error is None:
        form.form_errors.append(stale_message())
        return
    text = translate_message(error.message)
    if error.field and hasattr(form, error.field):
        getattr(form, error.field).errors.append(text)
    else:
        form.form_errors.append(text)


def _failed(response) -> bool:
    """Sign-in and password change: a success redirects; anything else counts against the address."""
    return response.status_code != 302


def _sign_in_refused(form: LoginForm):
    """The one answer to every failed sign-in (operations.SIGN_IN_FAILED); the name stays typed."""
    form.form_errors.append(translate_message(Message(SIGN_IN_FAILED)))
    return render_template("accounts/login.html", form=form)


def _address_limited(_limit):
    """The address limit answers like any other failure: a 429 would be a second, telling answer."""
    form = LoginForm()
    spend_a_password_check(form.password.data or "")
    return make_response(_sign_in_refused(form))


@bp.route("/login", methods=["GET", "POST"])
@public
@limiter.limit(
    configured_limit("RATELIMIT_LOGIN"),
    methods=["POST"],
    deduct_when=_failed,
    on_breach=_address_limited,
)
def login():
    if current_user.is_authenticated:
        return redirect(url_for("core.index"))
    form = LoginForm()
    if form.validate_on_submit():
        known = known_user_ids()
        # A refusal keeps what it recorded: the failure count and the wait it earned.
        with attempt(flash_refusal=False, keep_refused_work=True) as outcome:
            user = authenticate(form.username.data, form.password.data, known)
        if not outcome.done:
            return _sign_in_refused(form)
        target = request.args.get("next")
        target = target if is_safe_redirect(target) else url_for("core.index")
        session.clear()  # a fresh session at every sign-in: no fixation
        if user.totp_enabled_at is not None:
            return ask_for_second_factor(user, target, "password")
        return _signed_in(user, target, known)
    return render_template("accounts/login.html", form=form)


def _signed_in(user, target: str, known: tuple[int, ...]):
    login_user(user)
    if user.locale:
        session["locale"] = user.locale
    response = redirect(target)
    remember_device(response, user.id, known)
    return response


SECOND_FACTOR_KEY = "second_factor"
SECOND_FACTOR_SECONDS = 300  # to type the code after the password
SECOND_FACTOR_TRIES = 5  # codes per password; then the password again, which the account's wait holds back


def ask_for_second_factor(user, target: str, first_step: str):
    """Not signed in yet: the session only remembers whose code to ask for, for a few minutes, and
    how the first step was passed ("password" or "sso"), which the trail says of the sign-in."""
    session[SECOND_FACTOR_KEY] = {
        "token": user.session_token,
        "at": int(time.time()),
        "next": target,
        "how": first_step,
    }
    return redirect(url_for("accounts.second_factor"))


def _waiting_for_second_factor() -> User | None:
    """The account whose password was right in this browser a moment ago and whose code is due."""
    pending = session.get(SECOND_FACTOR_KEY)
    if not isinstance(pending, dict) or not isinstance(pending.get("token"), str):
        return None
    if not isinstance(pending.get("at"), int) or time.time() - pending["at"] > SECOND_FACTOR_SECONDS:
        return None
    if pending.get("tries", 0) >= SECOND_FACTOR_TRIES:
        return None
    user = db.session.scalar(select(User).where(User.session_token == pending["token"]))
    return user if user is not None and user.active and user.totp_enabled_at is not None else None


@bp.route("/login/second-factor", methods=["GET", "POST"])
@public
@limiter.limit(configured_limit("RATELIMIT_LOGIN"), methods=["POST"], deduct_when=_failed)
def second_factor():
    user = _waiting_for_second_factor()
    if user is None:
        session.pop(SECOND_FACTOR_KEY, None)
        flash(_("Sign in again: type your password, then the code."), "info")
        return redirect(url_for("accounts.login"))
    form = SecondFactorForm()
    if form.validate_on_submit():
        with attempt() as outcome:
            first_step = "sso" if session[SECOND_FACTOR_KEY].get("how") == "sso" else "password"
            accepted = check_second_factor(user, form.code.data, first_step)
        if outcome.done and accepted:
            target = session[SECOND_FACTOR_KEY]["next"]
            known = known_user_ids()
            session.clear()
            return _signed_in(user, target if is_safe_redirect(target) else url_for("core.index"), known)
        pending = session[SECOND_FACTOR_KEY]
        session[SECOND_FACTOR_KEY] = {**pending, "tries": pending.get("tries", 0) + 1}
        form.code.errors.append(translate_message(Message(WRONG_CODE)))
    return render_template("accounts/second_factor.html", form=form), 422 if form.errors else 200


@bp.post("/logout")
@signed_in
def logout():
    with attempt():
        current_user.rotate_session_token()  # a copied cookie dies with this session
    logout_user()
    locale = session.get("locale")
    session.clear()
    if locale:
        session["locale"] = locale
    flash(_("You have signed out."), "info")
    return redirect(url_for("accounts.login"))


def _registration_attempted(_response) -> bool:
    """Count registrations that reached the database (made, or refused as already known): those
    are what a stranger would repeat to learn which permits and names exist. Typing errors are free."""
    return g.get("registration_attempted", False)


@bp.route("/register", methods=["GET", "POST"])
@public
@limiter.limit(configured_limit("RATELIMIT_REGISTER"), methods=["POST"], deduct_when=_registration_attempted)
def register():
    form = OutletRegistrationForm()
    if form.validate_on_submit():
        g.registration_attempted = True
        with attempt(flash_refusal=False) as outcome:
            register_outlet(form)
            flush_or_refuse(Message(REGISTRATION_REFUSED))  # the same permit or name a moment ago
        if not outcome.done:
            _attach_error(form, outcome.refusal)
        else:
            flash(
                _(
                    "Registration received. The district bureau will check it against the permit "
                    "register; sign in to see where it stands. You can apply once it is verified."
                ),
                "success",
            )
            return redirect(url_for("accounts.login"))
    return render_template("accounts/register.html", form=form)


@bp.route("/account/password", methods=["GET", "POST"])
@signed_in
@limiter.limit(configured_limit("RATELIMIT_LOGIN"), methods=["POST"], deduct_when=_failed)
def password():
    """Change one's own password. A wrong current password counts against the address like a
    failed sign-in: a borrowed session must not become an unlimited guessing door."""
    form = ChangePasswordForm()
    form.account_names = (current_user.username, current_user.display_name)
    if form.validate_on_submit():
        with attempt(flash_refusal=False) as outcome:
            change_password(current_user, form.current_password.data, form.new_password.data)
        if not outcome.done:
            _attach_error(form, outcome.refusal)
        else:
            login_user(current_user._get_current_object())  # this session goes on with the new token
            flash(_("Your password was changed. Other sessions have been signed out."), "success")
            return redirect(url_for("core.index"))
    return render_template("accounts/password.html", form=form)


RESET_TOKEN_KEY = "password_reset_token"  # noqa: S105 - a session key, not a secret


@bp.route("/password/forgot", methods=["GET", "POST"])
@public
@limiter.limit(configured_limit("RATELIMIT_ACCOUNT_RECOVERY"), methods=["POST"])
def forgot_password():
    """Ask for a reset link. One answer whatever was typed: nobody learns which accounts exist."""
    form = ForgotPasswordForm()
    if form.validate_on_submit():
        with attempt() as outcome:
            request_password_reset(form.login.data)
        if outcome.done:
            minutes = current_app.config["PASSWORD_RESET_MAX_AGE_SECONDS"] // 60
            flash(
                _(
                    "If an account with this username or e-mail address has an e-mail address, a link "
                    "to set a new password is on its way. It works once, for %(minutes)d minutes. "
                    "No mail? Ask your district bureau or the administrator to send you one.",
                    minutes=minutes,
                ),
                "info",
            )
            return redirect(url_for("accounts.login"))
    return render_template("accounts/forgot_password.html", form=form), 422 if form.errors else 200


@bp.get("/password/reset/<token>")
@public
def reset_link(token: str):
    """Open a link from the mail: the token moves into the session, out of the address bar (and
    out of the history and any Referer), then the form asks for the new password."""
    if account_for_reset_token(token) is None:
        flash(translate_message(Message(LINK_INVALID)), "warning")
        return redirect(url_for("accounts.forgot_password"))
    session[RESET_TOKEN_KEY] = token
    return redirect(url_for("accounts.reset_password"))


@bp.route("/password/reset", methods=["GET", "POST"])
@public
def reset_password():
    token = session.get(RESET_TOKEN_KEY)
    user = account_for_reset_token(token) if isinstance(token, str) else None
    if user is None:
        session.pop(RESET_TOKEN_KEY, None)
        flash(translate_message(Message(LINK_INVALID)), "warning")
        return redirect(url_for("accounts.forgot_password"))
    form = NewPasswordForm()
    form.account_names = (user.username, user.display_name)
    if form.validate_on_submit():
        with attempt(flash_refusal=False) as outcome:
            reset_password_with_token(token, form.new_password.data)
        if outcome.done:
            session.pop(RESET_TOKEN_KEY, None)
            flash(_("Your new password is set. Sign in with it."), "success")
            return redirect(url_for("accounts.login"))
        _attach_error(form, outcome.refusal)
    return render_template(
        "accounts/reset_password.html", form=form, username=user.username
    ), 422 if form.errors or form.form_errors else 200
