"""What the application page shows, gathered for the template (read-only but for the forms it builds)."""

from datetime import timedelta

from flask import render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select
from wtforms.fields.choices import SelectChoice

from outlet_audit.accounts.models import User
from outlet_audit.audit.queries import application_timeline
from outlet_audit.certificates.models import Certificate
from outlet_audit.certificates.queries import outlet_certificates
from outlet_audit.checklist.findings import findings_at
from outlet_audit.checklist.kinds import AssessmentKind
from outlet_audit.checklist.models import Assessment
from outlet_audit.checklist.permissions import inspection_visible_to
from outlet_audit.checklist.service import assessment_of, assessments_by_kind
from outlet_audit.core.i18n import current_language
from outlet_audit.core.time import today_in_shanghai
from outlet_audit.criteria.editions import pinned_edition
from outlet_audit.evidence.models import Evidence
from outlet_audit.evidence.purposes import EvidencePurpose
from outlet_audit.extensions import db
from outlet_audit.roles import ACT_LABELS, AGENCY_LABELS, OUTCOME_LABELS, Role
from outlet_audit.workflow.actions import ACTIONS
from outlet_audit.workflow.approvals import approval_rounds
from outlet_audit.workflow.drafting import EDITABLE_STATUSES
from outlet_audit.workflow.forms import (
    CommitmentUploadForm,
    ConfirmForm,
    DecisionForm,
    RectificationRequestForm,
    ScheduleForm,
    draft_form,
)
from outlet_audit.workflow.models import Application
from outlet_audit.workflow.operations import actor_for, application_facts
from outlet_audit.workflow.rectification import rectification_panel
from outlet_audit.workflow.states import ACTION_LABELS, STATUS_LABELS, Action, Status, available_actions

DEFAULT_RECTIFICATION_DAYS = 30
APPLICATION_FILE_PURPOSES = (EvidencePurpose.COMMITMENT, EvidencePurpose.RECTIFICATION)
INPUT_ACTIONS = frozenset(action for action, spec in ACTIONS.items() if spec.form is not ConfirmForm)
CAREFUL_ACTIONS = frozenset(action for action, spec in ACTIONS.items() if spec.careful)
# Acts that cannot be taken back ask once, saying what will happen (actions.ActionSpec.consequence).
CONSEQUENCES = {action: spec.consequence for action, spec in ACTIONS.items() if spec.consequence}
CONFIRM_LABELS = {action: spec.confirm for action, spec in ACTIONS.items() if spec.confirm}


def render_application(application: Application, *, status_code: int = 200, **posted):
    return render_template("workflow/detail.html", **application_page(application, **posted)), status_code


def build_action_form(
    action: Action,
    application: Application,
    edition,
    *,
    bound: bool = False,
    assessments: dict[str, Assessment] | None = None,
):
    """The form of one action, filled with sensible defaults unless it carries what was posted.

    The application page passes the assessments it has read (by kind): the defaults of the
    rectification and decision forms come from the inspection, not read again per form.
    """
    cls = ACTIONS[action].form
    form = cls(prefix=action.value) if bound else cls(formdata=None, prefix=action.value)
    if isinstance(form, ScheduleForm):
        inspectors = db.session.scalars(
            select(User)
            .where(
                User.role == Role.INSPECTOR,
                User.district_id == application.district_id,
                User.active.is_(True),
            )
            .order_by(User.organisation_id, User.display_name)
        )
        lang = current_language()
        form.inspector_ids.choices = [
            SelectChoice(user.id, f"{user.display_name}（{user.organisation.name(lang)}）")
            if lang == "zh"
            else SelectChoice(user.id, f"{user.display_name} ({user.organisation.name(lang)})")
            for user in inspectors
        ]
        team = edition.level(application.target_level).inspection_team
        if team:
            form.inspector_ids.description = _(
                "A joint team: at least one inspector of each of %(agencies)s.",
                agencies="、".join(_(AGENCY_LABELS[agency]) for agency in team)
                if lang == "zh"
                else ", ".join(_(AGENCY_LABELS[agency]) for agency in team),
            )
        if not bound:
            form.inspector_ids.data = [user.id for user in application.inspectors]
            form.scheduled_on.data = application.scheduled_for
    elif isinstance(form, RectificationRequestForm):
        lang = current_language()
        inspection = assessment_of(application, AssessmentKind.INSPECTION, loaded=assessments)
        found = [finding.item_code for finding in findings_at(inspection)] if inspection is not None else []
        form.item_codes.choices = [
            SelectChoice(code, f"{code} {item.title.get(lang) if (item := edition.find_item(code)) else ''}")
            for code in found
        ]
        if not bound:
            form.item_codes.data = found
            form.deadline.data = today_in_shanghai() + timedelta(days=DEFAULT_RECTIFICATION_DAYS)
    elif isinstance(form, DecisionForm) and not bound:
        inspection = assessment_of(application, AssessmentKind.INSPECTION, loaded=assessments)
        reached = inspection.level_reached if inspection is not None else None
        form.granted_level.data = reached if reached in ("district", "city") else application.target_level
        if form.granted_level.data == "city" and application.target_level == "district":
            form.granted_level.data = "district"
    return form


def application_page(
    application: Application, *, posted_action=None, posted_form=None, draft=None, finding_form=None
) -> dict:
    """Everything the detail template needs; `posted_*` keep a refused form's input on the page."""
    edition = pinned_edition(application.edition)
    lang = current_language()
    status = Status(application.status)
    assessments = assessments_by_kind(application)
    files = application_files(application)
    facts = application_facts(application, assessments=assessments, evidence_purposes=frozenset(files))
    # What moves the application on comes first; what ends or undoes it last.
    actions = sorted(
        available_actions(facts, actor_for(current_user)),
        key=lambda action: action in CAREFUL_ACTIONS,
    )
    # An action whose form is on another page (signing off, reopening) is a link to that page.
    elsewhere = {
        action: ACTIONS[action].form_page(application, assessments.get(AssessmentKind.INSPECTION))
        for action in actions
        if ACTIONS[action].form_page is not None
    }
    forms = {
        action: posted_form
        if action == posted_action and posted_form is not None
        else build_action_form(action, application, edition, assessments=assessments)
        for action in actions
        if action not in elsewhere
    }
    is_outlet = current_user.role == Role.OUTLET
    editable = is_outlet and status in EDITABLE_STATUSES
    self_assessment = assessments.get(AssessmentKind.SELF)
    inspection = assessments.get(AssessmentKind.INSPECTION)
    # What the page shows of the inspection (its score, the result link, its history) follows the
    # one rule; the actions above were planned from the full facts, which nothing here displays.
    inspection_shown = inspection_visible_to(current_user, inspection, application.status)
    return {
        "application": application,
        "edition": edition,
        "lang": lang,
        "status": status,
        "status_label": STATUS_LABELS[status],
        "actions": actions,
        "forms": forms,
        "elsewhere": elsewhere,
        "action_labels": ACTION_LABELS,
        "posted_action": posted_action,
        "careful_actions": CAREFUL_ACTIONS,
        "consequences": CONSEQUENCES,
        "confirm_labels": CONFIRM_LABELS,
        "input_actions": INPUT_ACTIONS,
        "is_outlet": is_outlet,
        "editable": editable,
        "draft": draft
        if draft is not None
        else (draft_form(edition, lang, application=application) if editable else None),
        "upload_form": CommitmentUploadForm(formdata=None, prefix="commitment") if editable else None,
        "gaps": facts.submission_gaps if editable else None,
        "self_assessment": self_assessment,
        "inspection": inspection if inspection_shown else None,
        "inspection_withheld": inspection is not None and not inspection_shown,
        "commitment_files": files.get(EvidencePurpose.COMMITMENT, []),
        "rectification_files": files.get(EvidencePurpose.RECTIFICATION, []),
        "rectification": rectification_panel(application, edition, lang, inspection, finding_form),
        # Which of the outlet's certificates is in force, and why an older one is not (_status_notes).
        "certificates": outlet_certificates(application.outlet_id, today_in_shanghai()),
        "renewal_of": db.session.get(Certificate, application.renewal_of_id)
        if application.renewal_of_id
        else None,
        "approval_rounds": approval_rounds(application, edition, in_approval=status == Status.IN_APPROVAL),
        "agency_labels": AGENCY_LABELS,
        "act_labels": ACT_LABELS,
        "outcome_labels": OUTCOME_LABELS,
        "timeline": application_timeline(application.id, viewer=current_user, inspection=inspection),
        "links": _links(application, self_assessment, inspection if inspection_shown else None),
    }


def application_files(application: Application) -> dict[str, list[Evidence]]:
    """The application's own files (commitment letter; rectification proof sent before answers were
    given item by item) by purpose, oldest first."""
    files: dict[str, list[Evidence]] = {}
    rows = db.session.scalars(
        select(Evidence)
        .where(
            Evidence.application_id == application.id,
            Evidence.purpose.in_(APPLICATION_FILE_PURPOSES),
            Evidence.finding_id.is_(None),
        )
        .order_by(Evidence.uploaded_at, Evidence.id)
    )
    for evidence in rows:
        files.setdefault(evidence.purpose, []).append(evidence)
    return files


def _links(application: Application, self_assessment, inspection) -> dict[str, str]:
    """Ways into the checklist pages: everyone who reads the application reads its checklists
    (the inspection once `inspection_visible_to` lets them); only inspectors fill it in."""
    links = {}
    if self_assessment is not None:
        links[AssessmentKind.SELF] = url_for("checklist.edit", assessment_id=self_assessment.id)
    if inspection is not None and current_user.role == Role.INSPECTOR:
        links[AssessmentKind.INSPECTION] = url_for("checklist.edit", assessment_id=inspection.id)
    if inspection is not None:
        links["result"] = url_for("checklist.result", application_id=application.id)
    return links
