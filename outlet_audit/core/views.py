"""Landing page, health check, language switch and error pages."""

from flask import Blueprint, current_app, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import text

from outlet_audit.access import public
from outlet_audit.core.security import is_safe_redirect
from outlet_audit.extensions import db
from outlet_audit.roles import Role

bp = Blueprint("core", __name__)

# Where each role starts its day. Features add their own home pages here as they arrive.
ROLE_HOME = {
    Role.ADMIN: "admin.users",
    Role.DISTRICT_BUREAU: "workflow.queue",
    Role.CITY_BUREAU: "workflow.queue",
    Role.INSPECTOR: "workflow.assignments",
    Role.OUTLET: "workflow.my_applications",
}


def home_endpoint_for(role: Role) -> str:
    return ROLE_HOME.get(role, "core.index")


@bp.get("/")
@public
def index():
    if current_user.is_authenticated and home_endpoint_for(current_user.role) != "core.index":
        return redirect(url_for(home_endpoint_for(current_user.role)))
    return render_template("core/index.html")


@bp.get("/healthz")
@public
def healthz():
    """Liveness and database reachability, for the proxy and the benchmark baseline."""
    db.session.execute(text("SELECT 1"))
    return {"status": "ok"}


@bp.post("/language")
@public
def set_language():
    locale = request.form.get("locale", "")
    if locale in current_app.config["LANGUAGES"]:
        session["locale"] = locale
        if current_user.is_authenticated:
            current_user.locale = locale
            db.session.commit()
    target = request.form.get("next")
    return redirect(target if is_safe_redirect(target) else url_for("core.index"))


def _error_page(code: int, title: str, detail: str):
    return render_template("core/error.html", code=code, title=title, detail=detail), code


@bp.app_errorhandler(400)
def bad_request(error):
    detail = getattr(error, "description", "") or ""
    if "CSRF" in detail:
        detail = _(
            "The form had expired or was not sent from this site. Please go back, reload and try again."
        )
    return _error_page(400, _("Bad request"), detail)


@bp.app_errorhandler(403)
def forbidden(_error):
    return _error_page(403, _("Not allowed"), _("Your account may not open this page."))


@bp.app_errorhandler(404)
def not_found(_error):
    return _error_page(404, _("Not found"), _("There is no such page, or it is not yours to see."))


@bp.app_errorhandler(413)
def too_large(_error):
    return _error_page(413, _("File too large"), _("The upload is larger than the site accepts."))


@bp.app_errorhandler(429)
def too_many(_error):
    return _error_page(429, _("Too many attempts"), _("Please wait a minute before trying again."))


@bp.app_errorhandler(500)
def server_error(_error):
    db.session.rollback()
    return _error_page(500, _("Something went wrong"), _("The error was logged. Please try again later."))
