"""Signing the inspection off, the result page, and the bureau reopening a signed-off inspection.

Routes on the checklist blueprint (imported by checklist.views). The sign-off page is the one
door of `Action.SIGN_OFF`, the result page's reopen form that of `Action.REOPEN_INSPECTION`
(`workflow.actions`); both go through `workflow.operations.apply_transition`, whose state
machine checks the inspector's confirmation and the reason, and which scores, locks or unlocks,
audits and notifies. A posted sign-off holds the inspection's row lock from `load_checklist` to
its commit (`checklist.locking`): no answer or file changes between the signatures, the scoring
and the sign-off, and a save that comes after finds the checklist signed off.

Every inspector of the visit's team signs. The first to sign signs the open record (and locks
it); the page then shows each other member the record as it was signed, read-only, with their
own confirmation and drawn signature, and shows a member who has signed whom it still waits for.
"""

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from outlet_audit.access import Scope, allow
from outlet_audit.checklist.attachments import attach_signature, reuse_map
from outlet_audit.checklist.blueprint import READERS, Checklist, bp, load_checklist
from outlet_audit.checklist.findings import checks_in, findings_to_verify, unverified
from outlet_audit.checklist.kinds import (
    FINDING_STATUS_LABELS,
    VERIFICATION_METHOD_LABELS,
    VISIT_TYPE_LABELS,
    AssessmentKind,
)
from outlet_audit.checklist.page import level_label, load_state
from outlet_audit.checklist.permissions import Mode, inspection_visible_to
from outlet_audit.checklist.results import differences, result_view
from outlet_audit.checklist.service import (
    answer_rows,
    assessment_of,
    outlet_profile,
    score_is_stored,
    scoring_answers,
)
from outlet_audit.checklist.story import inspection_story
from outlet_audit.checklist.team import is_joint, team_of, unsigned
from outlet_audit.checklist.visit_context import shortfalls_of
from outlet_audit.core.i18n import current_language, translate_message
from outlet_audit.core.requests import attempt
from outlet_audit.criteria.editions import pinned_edition
from outlet_audit.extensions import db
from outlet_audit.roles import Agency, Role
from outlet_audit.scoring import score
from outlet_audit.workflow.actions import done_sentence, door
from outlet_audit.workflow.forms import ReopenForm, SignOffForm
from outlet_audit.workflow.models import Application
from outlet_audit.workflow.operations import apply_transition
from outlet_audit.workflow.states import Action, Status


@bp.route("/<int:assessment_id>/sign-off", methods=["GET", "POST"])
@allow({Role.INSPECTOR: Scope.ASSIGNED})
@door("checklist.sign_off")
def sign_off(assessment_id: int):
    checklist = load_checklist(assessment_id)
    if checklist.assessment.kind != AssessmentKind.INSPECTION:
        abort(404)  # the self-assessment is submitted with the application, never signed off
    # Signed by part of its team: the others sign the locked record as it stands.
    countersign = checklist.signed_off and checklist.awaiting
    if not countersign and checklist.mode is not Mode.EDIT:
        flash(translate_message(checklist.refusal()), "warning")
        return redirect(url_for(".edit", assessment_id=assessment_id))
    form = SignOffForm()
    status_code = 200
    if form.validate_on_submit():
        with attempt() as outcome:
            _attach_drawings(checklist, form, countersign)
            new_status = apply_transition(
                checklist.application, Action.SIGN_OFF, current_user, form.payload()
            )
        if outcome.done:
            flash(_(done_sentence(Action.SIGN_OFF, new_status)), "success")
            return redirect(url_for(".result", application_id=checklist.application.id))
        status_code = 422
    elif countersign and request.method == "POST":
        status_code = 422
    # Read after a signature was refused (and rolled back): the record as it stands.
    return _sign_off_page(checklist, form, countersign), status_code


def _attach_drawings(checklist: Checklist, form: SignOffForm, countersign: bool) -> None:
    """The drawn signatures posted with a signature: the inspector's, and with the first signature
    the outlet representative's (a later member adds only their own)."""
    drawings = [("inspector", form.inspector_signature)]
    if not countersign:
        drawings.append(("outlet", form.outlet_signature))
    for signer, field in drawings:
        if field.data:
            attach_signature(
                checklist.assessment,
                checklist.application,
                signer,
                field.data,
                current_user,
                countersign=countersign,
            )


def _sign_off_page(checklist: Checklist, form: SignOffForm, countersign: bool) -> str:
    """The open record with what still stops its sign-off; or, once a member has signed it, the
    record as signed (read-only) with each member's signature, and the form of a member still to sign."""
    lang = current_language()
    record = checklist.assessment
    state = load_state(record, checklist.edition, checklist.application.outlet_id)
    team = team_of(record)
    context = {
        "checklist": checklist,
        "form": form,
        "shortfalls": shortfalls_of(state, lang),
        "team": team,
        "joint": is_joint(team),
        "countersign": countersign,
        "edition": checklist.edition,
        "lang": lang,
    }
    if countersign:
        verified = checks_in(record)
        context.update(
            missing=[],
            to_verify=[],
            checks=[
                (finding, verified[finding.id])
                for finding in findings_to_verify(record)
                if finding.id in verified
            ],
            me=next((member for member in team if member.user.id == current_user.id), None),
            waiting_for=unsigned(team),
        )
    else:
        context.update(missing=state.missing_for_sign_off(), to_verify=unverified(record))
    return render_template("checklist/sign_off.html", **context)


@bp.get("/applications/<int:application_id>/result")
@allow(READERS, joint=True)
def result(application_id: int):
    return _result_page(db.get_or_404(Application, application_id))


def _result_page(application: Application, *, reopen_form: ReopenForm | None = None, status_code: int = 200):
    """Every inspection record the reader may see, in order, with the current one's figures and its
    comparison with the self-assessment; `reopen_form` keeps a refused reason."""
    edition = pinned_edition(application.edition)
    story = inspection_story(application, edition, current_user)
    current = story.current
    if current is None and not inspection_visible_to(current_user, None, None):
        abort(403)  # the outlet, before its first inspection record is signed
    self_assessment = assessment_of(application, AssessmentKind.SELF)
    lang = current_language()
    context = {
        "application": application,
        "edition": edition,
        "story": story,
        "current": current,
        "inspection": current.record if current else None,
        "lang": lang,
        "self_assessment": self_assessment,
        "level_label": level_label,
        "visit_type_labels": VISIT_TYPE_LABELS,
        "finding_status_labels": FINDING_STATUS_LABELS,
        "method_labels": VERIFICATION_METHOD_LABELS,
        "reopen_form": None,
    }
    if current is not None:
        profile = outlet_profile(application.outlet_id)
        self_answers = scoring_answers(edition, answer_rows(self_assessment)) if self_assessment else {}
        self_points = result_view(edition, score(edition, self_answers, profile=profile)).item_points
        every_file = [ev for record in story.records for items in record.evidence.values() for ev in items]
        context.update(
            view=current.view,
            reuse=reuse_map(every_file, current_user),
            differences=differences(
                edition, current.answers, current.view.item_points, self_answers, self_points, lang
            )
            if self_assessment
            else None,
            stored_at_sign_off=score_is_stored(current.record),
        )
        # the district postal bureau's: its district's ecology bureau (a district bureau too) may not
        postal_bureau = (
            current_user.role == Role.DISTRICT_BUREAU and current_user.agency == Agency.DISTRICT_POSTAL
        )
        if postal_bureau and application.status == Status.INSPECTED:
            context["reopen_form"] = reopen_form or ReopenForm(formdata=None)
    return render_template("checklist/result.html", **context), status_code


@bp.post("/applications/<int:application_id>/reopen")
@allow({Role.DISTRICT_BUREAU: Scope.OWN_DISTRICT})
@door("checklist.reopen")
def reopen(application_id: int):
    application = db.get_or_404(Application, application_id)
    form = ReopenForm()
    if not form.validate():
        flash(_("Please correct the fields marked below."), "danger")
        return _result_page(application, reopen_form=form, status_code=422)
    with attempt() as outcome:
        apply_transition(application, Action.REOPEN_INSPECTION, current_user, form.payload())
    if outcome.refusal is not None:
        return _result_page(db.session.get(Application, application_id), reopen_form=form, status_code=422)
    if outcome.done:
        flash(
            _("The inspection is reopened; the assigned inspectors can change the checklist again."),
            "success",
        )
    return redirect(url_for(".result", application_id=application_id))
