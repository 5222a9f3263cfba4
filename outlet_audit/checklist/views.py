"""The checklist pages: fill in (inspection on site, or the outlet's self-assessment), sign off, result.

`edit` serves both ways of saving: the page's JavaScript saves each answer as it changes
through `save_item` (JSON, one item, with the version it started from); without
JavaScript the whole form is posted back to `edit` and every changed item is saved the
same way. Both read values through the generated form and save through
`checklist.service.save_answer`, so neither can overwrite another inspector's newer answer.
"""

from flask import abort, flash, jsonify, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy.exc import IntegrityError

from outlet_audit.access import allow
from outlet_audit.checklist import offline_views, sign_off_views  # noqa: F401  (their routes join `bp`)
from outlet_audit.checklist.attachments import attach_item_evidence, reuse_map
from outlet_audit.checklist.blueprint import READERS, Checklist, bp, load_checklist
from outlet_audit.checklist.forms import (
    build_assessment_form,
    field_name,
    item_form_class,
    item_formdata,
    read_item,
)
from outlet_audit.checklist.kinds import AssessmentKind
from outlet_audit.checklist.models import Answer as AnswerRow
from outlet_audit.checklist.page import (
    ChecklistState,
    load_state,
    row_json,
    same_answer,
    summary_json,
)
from outlet_audit.checklist.permissions import refusal_is_state
from outlet_audit.checklist.service import (
    AnswerConflict,
    AnswerRefused,
    answer_rows_by_code,
    assessment_of,
    get_or_create_assessment,
    save_answer,
    score_assessment,
)
from outlet_audit.checklist.team import team_of
from outlet_audit.checklist.visit_context import visit_context
from outlet_audit.core.i18n import current_language, translate_message
from outlet_audit.core.requests import attempt
from outlet_audit.core.views import wants_json
from outlet_audit.evidence.files import UploadRefused
from outlet_audit.extensions import db, writes_on_get
from outlet_audit.roles import Role
from outlet_audit.text import N_, Message
from outlet_audit.workflow.models import Application

# The records a team signs: their pages count what is missing for the sign-off.
SIGNED_BY_TEAM = frozenset({AssessmentKind.INSPECTION, AssessmentKind.SUPERVISION})
NOT_COVERED = N_("This item is not part of this check.")

# Also imported from here by the evidence views, which act on the same checklists.
__all__ = ["READERS", "bp", "load_checklist", "refusal_json", "wants_json"]

# --- filling in --------------------------------------------------------------------------


@bp.route("/<int:assessment_id>", methods=["GET", "POST"])
@allow(READERS)
def edit(assessment_id: int):
    checklist = load_checklist(assessment_id)
    if checklist.mode is None:
        abort(403)
    form_class = build_assessment_form(checklist.edition, current_language())
    if request.method == "POST":
        if not checklist.editable:
            flash(translate_message(checklist.refusal()), "warning")
            return redirect(url_for(".edit", assessment_id=assessment_id))
        form = form_class()
        with attempt() as outcome:
            saved = save_whole_form(checklist, form)
        if outcome.done and saved:
            flash(_("The checklist is saved."), "success")
            return redirect(url_for(".edit", assessment_id=assessment_id))
    state = load_state(
        checklist.assessment, checklist.edition, checklist.application.outlet_id, covered=checklist.covered
    )
    if request.method == "GET":
        form = form_class(formdata=None, data=state.form_data())
    return render_checklist(checklist, state, form)


def render_checklist(checklist: Checklist, state: ChecklistState, form):
    is_inspection = checklist.assessment.kind in SIGNED_BY_TEAM
    all_evidence = [e for items in state.evidence.values() for e in items]
    state.load_people()
    lang = current_language()
    return render_template(
        "checklist/edit.html",
        checklist=checklist,
        state=state,
        form=form,
        field_name=field_name,
        lang=lang,
        context=visit_context(checklist.assessment, checklist.edition, lang),
        refusal=None if checklist.editable else checklist.refusal(),
        # While the record waits for the rest of its team: who has signed it and who has not.
        team=team_of(checklist.assessment) if checklist.signed_off and checklist.awaiting else None,
        missing=state.missing_for_sign_off() if is_inspection else None,
        reuse=reuse_map(all_evidence, current_user),
        can_delete=lambda evidence: checklist.editable and evidence.uploaded_by_id == current_user.id,
    )


def save_whole_form(checklist: Checklist, form) -> bool:
    """Save every changed item of a posted form and its files; False if anything needs the user.

    An item refused or in conflict is marked on its field and the others are still saved
    (the caller commits them)."""
    form.validate()  # fills each sub-form's errors; CSRFProtect has already checked the token
    ok, rows = True, answer_rows_by_code(checklist.assessment)  # read once: compared, saved, scored
    for item, subform in form.item_forms():
        if not checklist.covers(item.code):
            continue  # not shown, never posted with an answer: nothing of it is saved
        ok &= _attach_posted_files(checklist, item, subform)  # files chosen cannot be kept for a retry
        if subform.errors:
            ok = False
            continue
        ok &= _save_posted_item(checklist, rows, item, subform)
    score_assessment(checklist.assessment, checklist.edition, checklist.application.outlet_id, rows.values())
    if not ok:
        flash(_("Some answers were not saved. Check the items marked below; the others are saved."), "danger")
    return ok


def _save_posted_item(checklist: Checklist, rows: dict[str, AnswerRow], item, subform) -> bool:
    given = read_item(subform)
    if same_answer(rows.get(item.code), given):
        return True  # unchanged: saving it again could only collide with someone else's newer answer
    try:
        row = save_answer(
            checklist.assessment,
            checklist.edition,
            item.code,
            value=given.value,
            not_applicable=given.not_applicable,
            note=given.note,
            expected_version=given.version,
            actor=current_user,
            rows=rows,
        )
    except AnswerConflict as conflict:
        current = row_json(item, conflict.current, checklist.edition, current_language())
        subform.value.errors.append(
            _(
                "%(name)s saved this item at %(time)s: “%(answer)s”. Your answer is kept here; "
                "save again to replace theirs.",
                name=current["updated_by"] or _("Someone"),
                time=current["updated_at_text"],
                answer=current["display"],
            )
        )
        _set_version(subform, conflict.current.version)
        return False
    except AnswerRefused as refused:
        subform.value.errors.append(translate_message(refused.message))
        return False
    _set_version(subform, row.version)
    return True


def _set_version(subform, version: int) -> None:
    """Make the re-rendered page start from this version (a typed-in field shows its raw data)."""
    subform.version.data = version
    subform.version.raw_data = [str(version)]


def _attach_posted_files(checklist: Checklist, item, subform) -> bool:
    ok = True
    for upload in subform.evidence.data or ():
        if not getattr(upload, "filename", ""):
            continue  # an empty file input sends an empty part
        try:
            attach_item_evidence(
                checklist.assessment,
                checklist.application,
                checklist.edition,
                item.code,
                upload.read(),
                upload.filename,
                current_user,
            )
        except UploadRefused as refused:
            subform.evidence.errors = [
                *subform.evidence.errors,
                f"{upload.filename}: {translate_message(refused.message)}",
            ]
            ok = False
    return ok


@bp.post("/<int:assessment_id>/items/<item_code>")
@allow(READERS)
def save_item(assessment_id: int, item_code: str):
    """Save one item's answer from the page's JavaScript.

    Request (header X-CSRFToken): {"value": the input's text ("yes"/"no", an option code, a
    number, "" for none), "not_applicable": bool, "note": str, "expected_version": the version
    the page started from (0 if never saved)}.
    200 {"status": "saved", "item": {code, value, not_applicable, note, version, display,
    updated_by, updated_at, updated_at_text, evidence_required, evidence_missing}, "progress":
    {answered, total}, "sections": {code: {answered, total}}, "score": {total, bonus, final,
    level, level_label, veto_failures, sections: {code: {earned, possible}}}, "missing_count"}.
    409 {"status": "conflict", "message", "current": item as above} when someone saved first;
    409 "locked" / 403 "forbidden" when this user may not change it now; 409 "stale" when the
    checklist changed under the save; 422 "invalid" with `errors` or "refused"; 400
    "bad_request" or "csrf"; 404 "unknown_item".
    """
    checklist = load_checklist(assessment_id)
    if not checklist.editable:
        return refusal_json(checklist)
    try:
        item = checklist.edition.item(item_code)
    except KeyError:
        return jsonify(status="unknown_item", message=_("There is no such item.")), 404
    if not checklist.covers(item_code):
        return jsonify(status="refused", message=translate_message(Message(NOT_COVERED))), 422
    payload = request.get_json(silent=True)
    expected = payload.get("expected_version") if isinstance(payload, dict) else None
    if not isinstance(expected, int) or isinstance(expected, bool) or expected < 0:
        return jsonify(status="bad_request", message=_("The save was incomplete. Reload the page.")), 400
    lang = current_language()
    subform = item_form_class(item, lang)(formdata=item_formdata(item, payload))
    if not subform.validate():
        errors = {name: [str(e) for e in messages] for name, messages in subform.errors.items()}
        return jsonify(status="invalid", errors=errors, message=" ".join(sum(errors.values(), []))), 422
    given = read_item(subform)
    try:
        with attempt(flash_refusal=False) as outcome:
            reply = _save_and_reply(checklist, item, given, expected, lang)
    except AnswerConflict as conflict:  # rolled back: someone else's answer stands
        return conflict_json(checklist, item, conflict.current)
    if outcome.refusal is not None:
        return jsonify(status="refused", message=outcome.message), 422
    if outcome.stale:
        return jsonify(status="stale", message=outcome.message), 409
    return reply


def _save_and_reply(checklist: Checklist, item, given, expected: int, lang: str):
    """Save one item, score the checklist and make the reply (before the commit, which expires
    every loaded object: read after it, each would be loaded again)."""
    assessment, edition, outlet_id = checklist.assessment, checklist.edition, checklist.application.outlet_id
    rows = answer_rows_by_code(assessment)  # read once: saved, scored, counted
    try:
        row = save_answer(
            assessment,
            edition,
            item.code,
            value=given.value,
            not_applicable=given.not_applicable,
            note=given.note,
            expected_version=expected,
            actor=current_user,
            rows=rows,
        )
    except AnswerConflict as conflict:
        if not same_answer(conflict.current, given):
            raise
        row = conflict.current  # the same answer is already stored: a replay of a save whose reply was lost
    result = score_assessment(assessment, edition, outlet_id, rows.values())
    state = load_state(assessment, edition, outlet_id, result, rows, covered=checklist.covered)
    missing_count = len(state.missing_for_sign_off()) if assessment.kind in SIGNED_BY_TEAM else None
    return jsonify(
        status="saved",
        item={
            **row_json(item, row, edition, lang),
            "evidence_required": state.evidence_required(item),
            "evidence_missing": state.evidence_missing(item),
        },
        **summary_json(state, missing_count),
    )


def refusal_json(checklist: Checklist):
    """403 for someone who may only read; 409 for the editor when the stage or sign-off forbids it."""
    message = translate_message(checklist.refusal())
    if checklist.mode is not None and refusal_is_state(checklist.assessment.kind, current_user.role):
        return jsonify(status="locked", message=message), 409
    return jsonify(status="forbidden", message=message), 403


def conflict_json(checklist: Checklist, item, current):
    theirs = row_json(item, current, checklist.edition, current_language())
    message = _(
        "%(name)s saved this item at %(time)s: “%(answer)s”.",
        name=theirs["updated_by"] or _("Someone"),
        time=theirs["updated_at_text"],
        answer=theirs["display"],
    )
    return jsonify(status="conflict", message=message, current=theirs), 409


# --- shortcuts from the application pages ---------------------------------------------------


@bp.get("/applications/<int:application_id>/self-assessment")
@allow(READERS, joint=True)
@writes_on_get  # the self-assessment is made at its first opening
def self_assessment(application_id: int):
    """Open the application's self-assessment, starting it when the outlet opens it first."""
    application = db.get_or_404(Application, application_id)
    existing = assessment_of(application, AssessmentKind.SELF)
    if existing is None:
        if current_user.role != Role.OUTLET:
            abort(404)
        try:
            with attempt():
                existing = get_or_create_assessment(application, AssessmentKind.SELF)
        except IntegrityError:  # opened twice at once (rolled back): the other request made it
            existing = assessment_of(application, AssessmentKind.SELF)
    return redirect(url_for(".edit", assessment_id=existing.id))


@bp.get("/applications/<int:application_id>/inspection")
@allow({role: scope for role, scope in READERS.items() if role != Role.OUTLET}, joint=True)
def inspection(application_id: int):
    application = db.get_or_404(Application, application_id)
    existing = assessment_of(application, AssessmentKind.INSPECTION)
    if existing is None:
        abort(404)
    return redirect(url_for(".edit", assessment_id=existing.id))
