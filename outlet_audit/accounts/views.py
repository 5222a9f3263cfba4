"""Signing in and out, outlet self-registration, and the user's own password."""

from flask import Blueprint, current_app, flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_user, logout_user
from sqlalchemy.exc import IntegrityError

from outlet_audit.access import public, signed_in
from outlet_audit.accounts.forms import ChangePasswordForm, LoginForm
from outlet_audit.accounts.operations import AccountError, authenticate, change_password, register_outlet
from outlet_audit.core.i18n import translate_message
from outlet_audit.core.security import is_safe_redirect
from outlet_audit.extensions import db, limiter
from outlet_audit.outlets.forms import OutletRegistrationForm

bp = Blueprint("accounts", __name__)


def _login_limit() -> str:
    return current_app.config["RATELIMIT_LOGIN"]


def _attach_error(form, error: AccountError) -> None:
    text = translate_message(error.message)
    if error.field and hasattr(form, error.field):
        getattr(form, error.field).errors.append(text)
    else:
        form.form_errors.append(text)


@bp.route("/login", methods=["GET", "POST"])
@public
@limiter.limit(_login_limit, methods=["POST"])
def login():
    if current_user.is_authenticated:
        return redirect(url_for("core.index"))
    form = LoginForm()
    if form.validate_on_submit():
        try:
            user = authenticate(form.username.data, form.password.data)
        except AccountError as error:
            db.session.commit()  # keep the failure count and any lock
            _attach_error(form, error)
        else:
            db.session.commit()
            session.clear()  # a fresh session at every sign-in: no fixation
            login_user(user)
            if user.locale:
                session["locale"] = user.locale
            target = request.args.get("next")
            return redirect(target if is_safe_redirect(target) else url_for("core.index"))
    return render_template("accounts/login.html", form=form)


@bp.post("/logout")
@signed_in
def logout():
    current_user.rotate_session_token()  # a copied cookie dies with this session
    db.session.commit()
    logout_user()
    locale = session.get("locale")
    session.clear()
    if locale:
        session["locale"] = locale
    flash(_("You have signed out."), "info")
    return redirect(url_for("accounts.login"))


@bp.route("/register", methods=["GET", "POST"])
@public
@limiter.limit(_login_limit, methods=["POST"])
def register():
    form = OutletRegistrationForm()
    if form.validate_on_submit():
        try:
            register_outlet(form)
            db.session.flush()
        except AccountError as error:
            db.session.rollback()
            _attach_error(form, error)
        except IntegrityError:  # the same permit or username registered a moment ago
            db.session.rollback()
            form.form_errors.append(
                _("This outlet or username was registered a moment ago. Check and try again.")
            )
        else:
            db.session.commit()
            flash(
                _(
                    "Registration received. The district bureau will verify your outlet; "
                    "you can sign in once it is verified."
                ),
                "success",
            )
            return redirect(url_for("accounts.login"))
    return render_template("accounts/register.html", form=form)


@bp.route("/account/password", methods=["GET", "POST"])
@signed_in
def password():
    form = ChangePasswordForm()
    if form.validate_on_submit():
        try:
            change_password(current_user, form.current_password.data, form.new_password.data)
        except AccountError as error:
            db.session.rollback()
            _attach_error(form, error)
        else:
            db.session.commit()
            login_user(current_user._get_current_object())  # this session goes on with the new token
            flash(_("Your password was changed. Other sessions have been signed out."), "success")
            return redirect(url_for("core.index"))
    return render_template("accounts/password.html", form=form)
