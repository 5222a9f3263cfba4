"""Landing page, health check, language switch and error pages."""

from flask import Blueprint, current_app, jsonify, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user
from flask_wtf.csrf import CSRFError
from markupsafe import escape
from sqlalchemy import text
from werkzeug.exceptions import HTTPException

from outlet_audit.access import public
from outlet_audit.core.i18n import translate_message
from outlet_audit.core.params import link_args
from outlet_audit.core.requests import attempt, forget_unfinished_work
from outlet_audit.core.security import is_safe_redirect
from outlet_audit.extensions import db
from outlet_audit.roles import Role
from outlet_audit.text import Refused

bp = Blueprint("core", __name__)
bp.add_app_template_global(link_args)  # the pagination macro, the exports page

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
            with attempt():
                current_user.locale = locale
    target = request.form.get("next")
    return redirect(target if is_safe_redirect(target) else url_for("core.index"))


# --- errors ------------------------------------------------------------------------------------
# Every error is answered in the reader's language, as a page or, to a JSON client (the
# checklist's saves, uploads), as {"status": word, "message": text}: never Werkzeug's bare page.


def wants_json() -> bool:
    """A JSON client: it sent JSON, prefers JSON to HTML, or asks the JSON API (/api/v1/...: its
    unknown addresses and wrong methods answer JSON too, never a page)."""
    best = request.accept_mimetypes.best_match(["application/json", "text/html"])
    return request.is_json or best == "application/json" or request.path.startswith("/api/v1/")


def error_response(code: int, status: str, title: str, detail: str):
    if wants_json():
        return jsonify(status=status, message=detail or title), code
    try:
        return render_template("core/error.html", code=code, title=title, detail=detail), code
    except Exception:  # noqa: BLE001 - the page itself failed (its menu reads the database): say it plainly
        current_app.logger.exception("The error page for HTTP %s could not be rendered", code)
        page = f"<!doctype html><title>{escape(title)}</title><h1>{escape(title)}</h1><p>{escape(detail)}</p>"
        return page, code


@bp.app_errorhandler(400)
def bad_request(_error):
    # Werkzeug's own descriptions are English and speak of browsers and proxies
    detail = _("The request could not be read. Please go back, reload the page and try again.")
    return error_response(400, "bad_request", _("Bad request"), detail)


@bp.app_errorhandler(CSRFError)
def csrf_refused(_error):
    """A form or a script's request without a valid CSRF token, on every blueprint alike: to a
    JSON client its own word, "csrf", on which the checklist page asks for a fresh token (or finds
    the session gone) and sends again, rather than calling a photo refused for good."""
    detail = _("The form had expired or was not sent from this site. Please go back, reload and try again.")
    return error_response(400, "csrf", _("Bad request"), detail)


@bp.app_errorhandler(403)
def forbidden(_error):
    return error_response(403, "forbidden", _("Not allowed"), _("Your account may not open this page."))


@bp.app_errorhandler(404)
def not_found(_error):
    return error_response(
        404, "not_found", _("Not found"), _("There is no such page, or it is not yours to see.")
    )


@bp.app_errorhandler(413)
def too_large(_error):
    return error_response(
        413, "too_large", _("File too large"), _("The upload is larger than the site accepts.")
    )


@bp.app_errorhandler(429)
def too_many(_error):
    return error_response(
        429, "too_many", _("Too many attempts"), _("Please wait a minute before trying again.")
    )


@bp.app_errorhandler(HTTPException)
def other_http_error(error):
    """Any other refusal (405, 415, ...): its code, in words the reader can follow."""
    if error.code is None or error.code < 400:
        return error
    if error.code >= 500:
        forget_unfinished_work()
        return error_response(
            error.code, "error", _("Something went wrong"), _("The error was logged. Please try again later.")
        )
    response = current_app.make_response(
        error_response(
            error.code,
            "refused",
            _("Request not possible"),
            _("This address does not answer this kind of request. Please go back and try again."),
        )
    )
    for name, value in error.get_headers():  # e.g. 405's Allow
        if name.lower() != "content-type":
            response.headers[name] = value
    return response


@bp.app_errorhandler(Refused)
def refused(error: Refused):
    """A refusal no view turned back into its form (the safety net behind `attempt`): its own
    message, the request's work rolled back, never a 500."""
    forget_unfinished_work()
    return error_response(422, "refused", _("Request not possible"), translate_message(error.message))


@bp.app_errorhandler(OSError)
def storage_unavailable(error):
    """The disk refused (read-only, full, gone): a condition of the server, not of the request."""
    forget_unfinished_work()
    current_app.logger.error("Storage unavailable: %s", error, exc_info=error)
    response = current_app.make_response(
        error_response(
            503,
            "unavailable",
            _("Storage unavailable"),
            _("Files cannot be stored or read at the moment. The error was logged; please try again later."),
        )
    )
    response.headers["Retry-After"] = "120"
    return response


@bp.app_errorhandler(500)
def server_error(_error):
    """Any unexpected exception (Flask has logged it with its traceback) and abort(500)."""
    forget_unfinished_work()
    return error_response(
        500, "error", _("Something went wrong"), _("The error was logged. Please try again later.")
    )
