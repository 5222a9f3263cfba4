"""The application page and its one door for every action: load → check → operation → commit → redirect.

Every button on the page posts an action to `transition`. The state machine decides; a refusal
comes back on the same page with its reason and the input kept. The outlet's own pages are in
`views_outlet`, the lists each role works from in `views_lists`.
"""

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy.orm.exc import StaleDataError

from outlet_audit.access import Scope, allow
from outlet_audit.core.i18n import translate_message
from outlet_audit.criteria.editions import pinned_edition
from outlet_audit.evidence.files import UploadRefused
from outlet_audit.evidence.operations import store_upload
from outlet_audit.evidence.purposes import EvidencePurpose
from outlet_audit.extensions import db
from outlet_audit.roles import Role
from outlet_audit.text import Message
from outlet_audit.workflow import record_facts  # noqa: F401  (registers the application_id loader)
from outlet_audit.workflow.drafting import record_upload, submission_gaps
from outlet_audit.workflow.forms import (
    DecisionForm,
    ReasonsForm,
    RectificationAnswerForm,
    RectificationRequestForm,
    ScheduleForm,
)
from outlet_audit.workflow.models import Application
from outlet_audit.workflow.operations import (
    actor_for,
    application_facts,
    apply_transition,
    hold_checklists,
    make_payload,
)
from outlet_audit.workflow.page import application_page, build_action_form, can_open
from outlet_audit.workflow.states import ACTION_LABELS, STATUS_LABELS, Action, Level, TransitionRefused, can

bp = Blueprint("workflow", __name__, url_prefix="/applications")

# Who may open an application, and how far: the state machine then says what each may do.
APPLICATION_READERS = {
    Role.OUTLET: Scope.OWN_OUTLET,
    Role.INSPECTOR: Scope.ASSIGNED,
    Role.DISTRICT_BUREAU: Scope.OWN_DISTRICT,
    Role.CITY_BUREAU: Scope.ALL,
}
SUBMISSIONS = (Action.SUBMIT, Action.RESUBMIT)


# For templates: link to another feature's page only when it exists and admits this role.
bp.add_app_template_global(can_open, "endpoint_available")


def render_application(application: Application, *, status_code: int = 200, **posted):
    return render_template("workflow/detail.html", **application_page(application, **posted)), status_code


@bp.get("/<int:application_id>")
@allow(APPLICATION_READERS)
def application_detail(application_id: int):
    return render_application(db.get_or_404(Application, application_id))


@bp.post("/<int:application_id>/transition")
@allow(APPLICATION_READERS)
def transition(application_id: int):
    application = db.get_or_404(Application, application_id)
    try:
        action = Action(request.form.get("action", ""))
    except ValueError:
        abort(400)
    edition = pinned_edition(application.edition)
    form = build_action_form(action, application, edition, bound=True)
    if not form.validate():
        flash(_("Please correct the fields marked below."), "danger")
        return render_application(application, status_code=422, posted_action=action, posted_form=form)
    if action in SUBMISSIONS and can(application_facts(application), actor_for(current_user), action):
        # Under the self-assessment's lock: no save can empty an answer between this check and the
        # submission it allows (the lock is held until the commit below).
        hold_checklists(application, action)
        gaps = submission_gaps(application)
        if gaps:
            flash(
                _(
                    "The application cannot be submitted yet: %(count)d things are missing.",
                    count=gaps.count(),
                ),
                "danger",
            )
            return render_application(application, status_code=422, gaps=gaps)
    try:
        evidence_count = _store_rectification_files(application, form)
        new_status = apply_transition(application, action, current_user, _payload(form, evidence_count))
        db.session.commit()
    except (TransitionRefused, UploadRefused) as refusal:
        db.session.rollback()
        flash(translate_message(refusal.message), "danger")
        application = db.session.get(Application, application_id)
        return render_application(application, status_code=422, posted_action=action, posted_form=form)
    except StaleDataError:
        db.session.rollback()
        flash(
            _(
                "Someone else changed this application a moment ago. Here it is as it is now; "
                "please check it and try again."
            ),
            "warning",
        )
        return redirect(url_for("workflow.application_detail", application_id=application_id))
    flash(
        _(
            "%(action)s: done. The application is now “%(status)s”.",
            action=translate_message(Message(ACTION_LABELS[action])),
            status=translate_message(Message(STATUS_LABELS[new_status])),
        ),
        "success",
    )
    return redirect(url_for("workflow.application_detail", application_id=application_id))


def _store_rectification_files(application: Application, form) -> int:
    """Keep the rectification files sent with the answer; their count is the action's evidence."""
    if not isinstance(form, RectificationAnswerForm):
        return 0
    if not can(application_facts(application), actor_for(current_user), Action.SUBMIT_RECTIFICATION):
        return 0  # the transition will say why; keep no files for an answer that cannot be given
    stored = 0
    for upload in form.files.data or []:
        if not getattr(upload, "filename", ""):
            continue  # the browser sends an empty part when no file was chosen
        evidence = store_upload(
            upload.read(),
            upload.filename,
            outlet_id=application.outlet_id,
            actor=current_user,
            purpose=EvidencePurpose.RECTIFICATION,
            application_id=application.id,
        )
        record_upload(application, evidence, current_user)
        stored += 1
    return stored


def _payload(form, evidence_count: int):
    if isinstance(form, ReasonsForm):
        return make_payload(reasons=form.reasons.data or "")
    if isinstance(form, ScheduleForm):
        return make_payload(
            inspector_ids=frozenset(form.inspector_ids.data or ()), scheduled_on=form.scheduled_on.data
        )
    if isinstance(form, RectificationRequestForm):
        return make_payload(
            rectification_item_codes=frozenset(form.item_codes.data or ()),
            rectification_deadline=form.deadline.data,
            reasons=form.reasons.data or "",
        )
    if isinstance(form, DecisionForm):
        level = Level(form.granted_level.data) if form.granted_level.data else None
        return make_payload(granted_level=level, opinion=form.opinion.data or "")
    if isinstance(form, RectificationAnswerForm):
        return make_payload(reasons=form.response.data or "", evidence_count=evidence_count)
    return make_payload()


from outlet_audit.workflow import views_lists, views_outlet  # noqa: E402, F401  (their routes join `bp`)
