"""Rectification item by item, on the application page: the outlet answers each finding of the
notice (who is responsible, what was done, photos or documents), and the inspectors verify each
one in the re-inspection (desk review or on site).

Each form posts alone and saves at once, so an answer typed and a photo sent are never lost to a
later refusal; a refused form comes back on the application page with what was typed.
"""

from flask import abort, flash, redirect, url_for
from flask_babel import gettext as _
from flask_login import current_user

from outlet_audit.access import Scope, allow
from outlet_audit.checklist.findings import (
    answer_finding,
    attach_finding_file,
    check_finding,
    remove_finding_file,
)
from outlet_audit.checklist.kinds import AssessmentKind
from outlet_audit.checklist.models import Finding
from outlet_audit.checklist.service import assessment_of
from outlet_audit.core.requests import attempt
from outlet_audit.evidence.models import Evidence
from outlet_audit.extensions import db
from outlet_audit.roles import Role
from outlet_audit.workflow.blueprint import bp
from outlet_audit.workflow.forms import FindingAnswerForm, FindingCheckForm
from outlet_audit.workflow.models import Application
from outlet_audit.workflow.page import render_application

OUTLET = {Role.OUTLET: Scope.OWN_OUTLET}
INSPECTORS = {Role.INSPECTOR: Scope.ASSIGNED}


def _finding(application_id: int, finding_id: int) -> tuple[Application, Finding]:
    application = db.get_or_404(Application, application_id)
    finding = db.session.get(Finding, finding_id)
    if finding is None or finding.application_id != application.id:
        abort(404)
    return application, finding


def _back(application_id: int, finding_id: int):
    return redirect(
        url_for("workflow.application_detail", application_id=application_id, _anchor=f"finding-{finding_id}")
    )


@bp.post("/<int:application_id>/findings/<int:finding_id>/answer")
@allow(OUTLET)
def answer_finding_view(application_id: int, finding_id: int):
    application, finding = _finding(application_id, finding_id)
    form = FindingAnswerForm(prefix=f"finding{finding_id}")
    if not form.validate():
        flash(_("Please correct the fields marked below."), "danger")
        return render_application(application, status_code=422, finding_form=(finding_id, form))
    with attempt() as outcome:
        for upload in form.uploads():
            attach_finding_file(
                finding, upload.read(), upload.filename, outlet_id=application.outlet_id, actor=current_user
            )
        answer_finding(
            finding,
            responsible_person=form.responsible_person.data,
            response=form.response.data,
            actor=current_user,
        )
    if not outcome.done:
        application = db.session.get(Application, application_id)
        if outcome.refusal is not None and outcome.refusal.field in form:
            form[outcome.refusal.field].errors = [outcome.message]
        return render_application(application, status_code=422, finding_form=(finding_id, form))
    flash(
        _(
            "Your answer to item %(code)s is saved. Send all answers when every item is answered.",
            code=finding.item_code,
        ),
        "success",
    )
    return _back(application_id, finding_id)


@bp.post("/<int:application_id>/findings/<int:finding_id>/files/<int:evidence_id>/delete")
@allow(OUTLET)
def remove_finding_file_view(application_id: int, finding_id: int, evidence_id: int):
    application, finding = _finding(application_id, finding_id)
    evidence = db.session.get(Evidence, evidence_id)
    if evidence is None or evidence.finding_id != finding.id:
        abort(404)
    with attempt() as outcome:
        remove_finding_file(finding, evidence, current_user)
    if outcome.done:
        flash(_("The file is removed from your answer."), "success")
    return _back(application_id, finding_id)


@bp.post("/<int:application_id>/findings/<int:finding_id>/check")
@allow(INSPECTORS)
def check_finding_view(application_id: int, finding_id: int):
    application, finding = _finding(application_id, finding_id)
    form = FindingCheckForm(prefix=f"check{finding_id}")
    record = assessment_of(application, AssessmentKind.INSPECTION)
    if record is None:
        abort(404)
    if not form.validate():
        flash(_("Please correct the fields marked below."), "danger")
        return render_application(application, status_code=422, finding_form=(finding_id, form))
    with attempt() as outcome:
        check_finding(
            record,
            finding,
            outcome=form.outcome.data or "",
            method=form.method.data or "",
            note=form.note.data or "",
            actor=current_user,
        )
    if not outcome.done:
        application = db.session.get(Application, application_id)
        if outcome.refusal is not None and outcome.refusal.field in form:
            form[outcome.refusal.field].errors = [outcome.message]
        return render_application(application, status_code=422, finding_form=(finding_id, form))
    flash(_("Your verification of item %(code)s is saved.", code=finding.item_code), "success")
    return _back(application_id, finding_id)
