"""The PDFs of an application's inspection: the inspection report, for the outlet and the bureaus that
hold its records, and each rectification notice (整改通知书), for them and the assigned inspectors."""

import gc

from flask import Blueprint, abort
from flask_login import current_user
from sqlalchemy import select

from outlet_audit.access import RecordFacts, Scope, allow, record_loader
from outlet_audit.checklist.models import RectificationNotice
from outlet_audit.checklist.story import inspection_story
from outlet_audit.core.i18n import current_language
from outlet_audit.criteria.editions import pinned_edition
from outlet_audit.extensions import db
from outlet_audit.pdf.cache import rendered_pdf
from outlet_audit.pdf.responses import pdf_download
from outlet_audit.reports.data import report_data
from outlet_audit.reports.notice_data import notice_data
from outlet_audit.reports.notice_pdf import render_rectification_notice
from outlet_audit.reports.report_pdf import render_inspection_report
from outlet_audit.roles import Role
from outlet_audit.workflow.models import Application
from outlet_audit.workflow.record_facts import application_record_facts_by_id

bp = Blueprint("reports", __name__)

READERS = {
    Role.INSPECTOR: Scope.ASSIGNED,  # once signed: the draft is read in the app, never as a report
    Role.OUTLET: Scope.OWN_OUTLET,
    Role.DISTRICT_BUREAU: Scope.OWN_DISTRICT,
    Role.CITY_BUREAU: Scope.ALL,
}
# The notice tells the inspectors what to verify at the re-inspection: theirs to read too.
NOTICE_READERS = {**READERS, Role.INSPECTOR: Scope.ASSIGNED}


@record_loader("notice_id")
def notice_facts(notice_id: int) -> RecordFacts | None:
    """A notice sits where its application does."""
    application_id = db.session.scalar(
        select(RectificationNotice.application_id).where(RectificationNotice.id == notice_id)
    )
    return application_record_facts_by_id(application_id) if application_id is not None else None


@bp.get("/reports/<int:application_id>/inspection-report.pdf")
@allow(READERS, joint=True)
def inspection_report(application_id: int):
    application = db.get_or_404(Application, application_id)
    # Every record the reader may see: the outlet never sees one its inspectors have not signed,
    # and before the first is signed it has no report at all.
    story = inspection_story(application, pinned_edition(application.edition), current_user)
    if not story.records:
        abort(404)
    # The inspectors read the report once a record of theirs is signed (they read the draft in the app).
    if current_user.role == Role.INSPECTOR and all(
        item.record.signed_off_at is None for item in story.records
    ):
        abort(404)
    data = report_data(application, story)
    if any(not record.complete for record in story.records):
        pdf = _render_report(data)  # a checklist still being filled in or signed: nothing to keep
    else:
        pdf = rendered_pdf("report", data, _render_report, current_language())
    return pdf_download(pdf, f"inspection-report-{application.reference}.pdf")


def _render_report(data) -> bytes:
    pdf = render_inspection_report(data)
    gc.collect(1)  # the layout's objects (and any decoded picture) sit in reference cycles: free them now
    return pdf


@bp.get("/reports/notices/<int:notice_id>.pdf")
@allow(NOTICE_READERS, joint=True)
def rectification_notice(notice_id: int):
    notice = db.get_or_404(RectificationNotice, notice_id)
    # Issued on a signed record only, and never changed after: every reader in scope may keep it.
    pdf = rendered_pdf("notice", notice_data(notice), render_rectification_notice, current_language())
    return pdf_download(pdf, f"rectification-notice-{notice.number}.pdf")
