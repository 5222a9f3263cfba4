"""The administrator's audit log page: the whole trail, by person, kind of act and day."""

from flask import Blueprint, render_template, request
from flask_babel import lazy_gettext as _l

from outlet_audit.access import Scope, allow
from outlet_audit.audit.events import Kind
from outlet_audit.audit.forms import LogFilterForm
from outlet_audit.audit.log import LogFilters, read_log
from outlet_audit.core.forms import filter_value
from outlet_audit.core.navigation import nav_entry
from outlet_audit.core.params import link_args, record_id
from outlet_audit.roles import Role

bp = Blueprint("audit_log", __name__, url_prefix="/admin/audit")
# The administrator's, who answers for accounts (sign-ins, second factors, tokens, exports): the
# bureaus read each application's, outlet's and complaint's own history on its page.
nav_entry("audit_log.index", _l("Audit log"), {Role.ADMIN}, order=95)


@bp.get("/")
@allow({Role.ADMIN: Scope.ALL})
def index():
    form = LogFilterForm(formdata=request.args)
    form.validate()  # a field in error is left out of the filter and shown with its message

    kind = filter_value(form.kind)
    date_from, date_to = form.days()
    filters = LogFilters(
        person=filter_value(form.person) or "",
        kind=Kind(kind) if kind else None,
        date_from=date_from,
        date_to=date_to,
    )
    page = read_log(filters, before=record_id(request.args, "before"), after=record_id(request.args, "after"))
    kept = link_args("before", "after")
    return render_template("audit/log.html", form=form, page=page, kept=kept)
