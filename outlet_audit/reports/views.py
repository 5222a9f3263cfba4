"""The inspection report PDF of an application, for the outlet and the bureaus that hold its records."""

import gc

from flask import Blueprint, abort
from flask_login import current_user

from outlet_audit.access import Scope, allow
from outlet_audit.checklist.kinds import AssessmentKind
from outlet_audit.checklist.permissions import inspection_visible_to
from outlet_audit.checklist.service import assessment_of
from outlet_audit.core.i18n import current_language
from outlet_audit.extensions import db
from outlet_audit.pdf.cache import rendered_pdf
from outlet_audit.pdf.responses import pdf_download
from outlet_audit.reports.data import report_data
from outlet_audit.reports.report_pdf import render_inspection_report
from outlet_audit.roles import Role
from outlet_audit.workflow import record_facts  # noqa: F401  (registers the application_id loader)
from outlet_audit.workflow.models import Application

bp = Blueprint("reports", __name__)

READERS = {
    Role.INSPECTOR: Scope.ASSIGNED,  # once signed: the draft is read in the app, never as a report
    Role.OUTLET: Scope.OWN_OUTLET,
    Role.DISTRICT_BUREAU: Scope.OWN_DISTRICT,
    Role.CITY_BUREAU: Scope.ALL,
}


@bp.get("/reports/<int:application_id>/inspection-report.pdf")
@allow(READERS)
def inspection_report(application_id: int):
    application = db.get_or_404(Application, application_id)
    inspection = assessment_of(application, AssessmentKind.INSPECTION)
    # Not yet for the outlet while the inspectors are still at work, nor for the inspectors before
    # they sign: as if there were no report.
    if inspection is None or not inspection_visible_to(current_user, inspection):
        abort(404)
    if current_user.role == Role.INSPECTOR and inspection.signed_off_at is None:
        abort(404)
    data = report_data(application, inspection)
    if inspection.signed_off_at is None:  # a checklist still being filled in: nothing to keep
        pdf = _render_report(data)
    else:
        pdf = rendered_pdf("report", data, _render_report, current_language())
    return pdf_download(pdf, f"inspection-report-{application.reference}.pdf")


def _render_report(data) -> bytes:
    pdf = render_inspection_report(data)
    gc.collect(1)  # the layout's objects (and any decoded picture) sit in reference cycles: free them now
    return pdf
