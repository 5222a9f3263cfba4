"""The application page and the transition route, the one door of every action posted from it.

load → check → validate the action's form → `apply_transition` inside `attempt()` → redirect.
The state machine decides; a refusal comes back on the same page with its reason and the input
kept. Signing off and reopening the inspection have their doors on the checklist pages
(`actions.ACTIONS` names each action's door); this route refuses them. The outlet's own pages
are in `views_outlet`, the lists each role works from in `views_lists`.
"""

from flask import abort, flash, redirect, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from markupsafe import Markup

from outlet_audit.access import allow
from outlet_audit.core.requests import attempt
from outlet_audit.criteria.editions import pinned_edition
from outlet_audit.extensions import db

# Registering the application_id loader, and adding the outlet's pages and the lists to `bp`.
from outlet_audit.workflow import record_facts, views_findings, views_lists, views_outlet  # noqa: F401
from outlet_audit.workflow.actions import TRANSITION_ROUTE, actions_through, done_sentence, door
from outlet_audit.workflow.blueprint import APPLICATION_READERS, bp
from outlet_audit.workflow.models import Application
from outlet_audit.workflow.operations import apply_transition
from outlet_audit.workflow.page import build_action_form, render_application
from outlet_audit.workflow.states import Action

RECEIPTED = frozenset({Action.SUBMIT, Action.RESUBMIT})  # a submission gets a receipt to print


@bp.get("/<int:application_id>")
@allow(APPLICATION_READERS, joint=True)
def application_detail(application_id: int):
    return render_application(db.get_or_404(Application, application_id))


@bp.post("/<int:application_id>/transition")
@allow(APPLICATION_READERS, joint=True)
@door(TRANSITION_ROUTE)
def transition(application_id: int):
    application = db.get_or_404(Application, application_id)
    action = _posted_action()
    form = build_action_form(action, application, pinned_edition(application.edition), bound=True)
    if not form.validate():
        flash(_("Please correct the fields marked below."), "danger")
        return render_application(application, status_code=422, posted_action=action, posted_form=form)
    with attempt() as outcome:
        new_status = apply_transition(application, action, current_user, form.payload())
    if outcome.stale:
        return redirect(url_for("workflow.application_detail", application_id=application_id))
    if not outcome.done:
        application = db.session.get(Application, application_id)
        return render_application(application, status_code=422, posted_action=action, posted_form=form)
    flash(_done_message(action, new_status, application_id), "success")
    return redirect(url_for("workflow.application_detail", application_id=application_id))


def _done_message(action: Action, new_status, application_id: int) -> str:
    """The sentence saying what happened; a submission adds the link to its receipt (回执)."""
    sentence = _(done_sentence(action, new_status))
    if action not in RECEIPTED:
        return sentence
    link = url_for("workflow.receipt", application_id=application_id)
    return Markup('{} <a class="alert-link" href="{}">{}</a>').format(
        sentence, link, _("Print the receipt of submission")
    )


def _posted_action() -> Action:
    """The action posted, when this route is its door (400 otherwise: the form never sends another)."""
    try:
        action = Action(request.form.get("action", ""))
    except ValueError:
        abort(400)
    if action not in actions_through(TRANSITION_ROUTE):
        abort(400)
    return action
