"""Moving an application through the workflow. The only code that writes `Application.status`.

`apply_transition` asks the pure state machine (`states.plan_transition`) whether the move is
allowed, applies the action's fields, records the audit event and notifies the people
concerned. It flushes; the view commits once. Two simultaneous transitions of the same
application collide on `Application.version` (StaleDataError) instead of both succeeding.
A transition that scores a checklist, or opens or closes it, first holds that checklist's lock
(`checklist.locking`), so no answer or file changes between its reading and its commit.
"""

from datetime import date

from sqlalchemy import select

from outlet_audit.accounts.models import User
from outlet_audit.audit.operations import record
from outlet_audit.certificates.operations import issue_certificate
from outlet_audit.checklist.kinds import AssessmentKind
from outlet_audit.checklist.locking import lock_checklists
from outlet_audit.checklist.models import Assessment
from outlet_audit.checklist.service import (
    assessment_of,
    get_or_create_assessment,
    missing_for_sign_off,
    score_assessment,
)
from outlet_audit.core.time import today_in_shanghai, utcnow
from outlet_audit.core.urls import path_for
from outlet_audit.criteria.editions import pinned_edition
from outlet_audit.evidence.models import Evidence
from outlet_audit.evidence.purposes import EvidencePurpose
from outlet_audit.extensions import db
from outlet_audit.notifications.operations import notify
from outlet_audit.roles import Role
from outlet_audit.text import N_
from outlet_audit.workflow.models import Application
from outlet_audit.workflow.states import (
    Action,
    Actor,
    ApplicationFacts,
    Level,
    Payload,
    Status,
    plan_transition,
)

# The checklists each action scores, or opens or closes to their editors: their locks are held
# before the transition reads anything, so a save lands wholly before it (and is scored) or after.
LOCKED_CHECKLISTS: dict[Action, tuple[AssessmentKind, ...]] = {
    Action.SUBMIT: (AssessmentKind.SELF,),
    Action.RESUBMIT: (AssessmentKind.SELF,),
    Action.RETURN: (AssessmentKind.SELF,),
    Action.SCHEDULE_INSPECTION: (AssessmentKind.INSPECTION,),
    Action.RESCHEDULE_INSPECTION: (AssessmentKind.INSPECTION,),
    Action.SIGN_OFF: (AssessmentKind.INSPECTION,),
    Action.REOPEN_INSPECTION: (AssessmentKind.INSPECTION,),
    Action.SUBMIT_RECTIFICATION: (AssessmentKind.INSPECTION,),
    Action.WITHDRAW: (AssessmentKind.INSPECTION, AssessmentKind.SELF),
}


def actor_for(user) -> Actor:
    return Actor(role=user.role, user_id=user.id, district_id=user.district_id, outlet_id=user.outlet_id)


def district_inspector_ids(district_id: int) -> frozenset[int]:
    ids = db.session.scalars(
        select(User.id).where(
            User.role == Role.INSPECTOR, User.district_id == district_id, User.active.is_(True)
        )
    )
    return frozenset(ids)


def commitment_letter_attached(application: Application) -> bool:
    return (
        db.session.scalar(
            select(Evidence.id).where(
                Evidence.application_id == application.id, Evidence.purpose == EvidencePurpose.COMMITMENT
            )
        )
        is not None
    )


def application_facts(
    application: Application,
    *,
    assessments: dict[str, Assessment] | None = None,
    evidence_purposes: frozenset[str] | None = None,
) -> ApplicationFacts:
    """Describe the application to the pure state machine, in plain values.

    A page that has already read the application's assessments (by kind) and the purposes of
    its files passes them, so they are not read twice.
    """
    edition = pinned_edition(application.edition)
    inspection = assessment_of(application, AssessmentKind.INSPECTION, loaded=assessments)
    checklist_complete = False
    level_reached = None
    if inspection is not None:
        # A signed-off checklist was complete when signed and is locked since; only an open one
        # has to be checked item by item (answers and evidence).
        checklist_complete = inspection.signed_off_at is not None or not missing_for_sign_off(
            inspection, edition, application.outlet_id
        )
        if inspection.signed_off_at is not None and inspection.level_reached:
            level_reached = Level(inspection.level_reached)
    city_rules = next((rules for rules in edition.levels if rules.code == "city"), None)
    return ApplicationFacts(
        status=Status(application.status),
        outlet_id=application.outlet_id,
        district_id=application.district_id,
        target_level=Level(application.target_level),
        assigned_inspector_ids=frozenset(user.id for user in application.inspectors),
        district_inspector_ids=district_inspector_ids(application.district_id),
        level_reached=level_reached,
        approvals_required_for_city=tuple(city_rules.approvals) if city_rules else (),
        checklist_complete=checklist_complete,
        commitment_letter_attached=commitment_letter_attached(application)
        if evidence_purposes is None
        else EvidencePurpose.COMMITMENT in evidence_purposes,
        edition_item_codes=frozenset(item.code for item in (*edition.items(), *edition.bonus_items())),
        rectification_deadline=application.rectification_deadline,
    )


def make_payload(**fields) -> Payload:
    fields.setdefault("today", today_in_shanghai())
    return Payload(**fields)


def hold_checklists(application: Application, action: Action) -> None:
    """Lock the checklists the action reads, so what a view checks before it stays true until commit."""
    lock_checklists(application.id, LOCKED_CHECKLISTS.get(action, ()))


def apply_transition(application: Application, action: Action, user, payload: Payload) -> Status:
    """Move the application by `action`, or raise states.TransitionRefused with the reason."""
    hold_checklists(application, action)  # before the facts are read
    facts = application_facts(application)
    new_status = plan_transition(facts, action, actor_for(user), payload)
    old_status = application.status
    _apply_fields(application, action, user, payload, new_status)
    application.status = new_status.value
    db.session.flush()
    record(
        "transition",
        actor=user,
        subject_type="application",
        subject_id=application.id,
        application_id=application.id,
        outlet_id=application.outlet_id,
        field=action.value,
        old=old_status,
        new=new_status.value,
        reason=payload.reasons or payload.opinion or None,
    )
    if new_status == Status.APPROVED:
        issue_certificate(application, user)
    _notify(application, action, new_status)
    return new_status


def _apply_fields(
    application: Application, action: Action, user, payload: Payload, new_status: Status
) -> None:
    now = utcnow()
    if action in (Action.SUBMIT, Action.RESUBMIT):
        application.submitted_at = now
        _score_self_assessment(application)
    elif action == Action.RETURN:
        application.return_reasons = payload.reasons.strip()
    elif action in (Action.SCHEDULE_INSPECTION, Action.RESCHEDULE_INSPECTION):
        application.inspectors = [db.session.get(User, uid) for uid in sorted(payload.inspector_ids)]
        application.scheduled_for = payload.scheduled_on
        get_or_create_assessment(application, AssessmentKind.INSPECTION)
    elif action == Action.SIGN_OFF:
        inspection = get_or_create_assessment(application, AssessmentKind.INSPECTION)
        score_assessment(inspection, pinned_edition(application.edition), application.outlet_id)
        inspection.signed_off_at = now
        inspection.signed_off_by_id = user.id
    elif action == Action.REOPEN_INSPECTION:
        _unlock_inspection(application)
    elif action == Action.REQUEST_RECTIFICATION:
        application.rectification_items = sorted(payload.rectification_item_codes)
        application.rectification_deadline = payload.rectification_deadline
        application.rectification_response = None
    elif action == Action.SUBMIT_RECTIFICATION:
        application.rectification_response = payload.reasons.strip() or None
        _unlock_inspection(application)  # the inspector verifies and re-scores
    elif action == Action.APPROVE:
        application.decision_opinion = payload.opinion.strip()
        if new_status == Status.APPROVED:
            application.granted_level = payload.granted_level.value
            application.decided_at = now
    elif action == Action.CONFIRM_CITY_LEVEL:
        application.granted_level = Level.CITY.value
        application.decided_at = now
    elif action == Action.DECLINE_CITY_LEVEL:
        application.return_reasons = payload.reasons.strip()
    elif action == Action.REJECT:
        application.decision_opinion = (payload.reasons or payload.opinion).strip()
        application.decided_at = now
    elif action == Action.WITHDRAW:
        application.decided_at = now


def _score_self_assessment(application: Application) -> None:
    """Keep the self-assessment's figures as submitted, for the bureau's lists and comparison.

    It is not signed off: the checklist's own rules (checklist.permissions) let the outlet edit
    it only while the application is a draft or returned.
    """
    assessment = get_or_create_assessment(application, AssessmentKind.SELF)
    score_assessment(assessment, pinned_edition(application.edition), application.outlet_id)


def _unlock_inspection(application: Application) -> None:
    inspection = assessment_of(application, AssessmentKind.INSPECTION)
    if inspection is not None:
        inspection.signed_off_at = None
        inspection.signed_off_by_id = None


def _bureau_users(district_id: int):
    return db.session.scalars(
        select(User).where(
            User.role == Role.DISTRICT_BUREAU, User.district_id == district_id, User.active.is_(True)
        )
    ).all()


def _city_users():
    return db.session.scalars(select(User).where(User.role == Role.CITY_BUREAU, User.active.is_(True))).all()


def _outlet_users(outlet_id: int):
    return db.session.scalars(select(User).where(User.outlet_id == outlet_id, User.active.is_(True))).all()


def _notify(application: Application, action: Action, new_status: Status) -> None:
    link = path_for("workflow.application_detail", application_id=application.id)
    ref = application.reference
    outlet = application.outlet.name
    if action in (Action.SUBMIT, Action.RESUBMIT, Action.SUBMIT_RECTIFICATION):
        notify(
            _bureau_users(application.district_id),
            "application_submitted",
            N_("%(outlet)s submitted application %(ref)s."),
            link,
            outlet=outlet,
            ref=ref,
        )
    elif action in (Action.SCHEDULE_INSPECTION, Action.RESCHEDULE_INSPECTION):
        notify(
            application.inspectors,
            "assignment",
            N_("You are assigned to inspect %(outlet)s on %(date)s (%(ref)s)."),
            link,
            outlet=outlet,
            date=_iso(application.scheduled_for),
            ref=ref,
        )
        notify(
            _outlet_users(application.outlet_id),
            "inspection_scheduled",
            N_("Your on-site inspection is scheduled for %(date)s (%(ref)s)."),
            link,
            date=_iso(application.scheduled_for),
            ref=ref,
        )
    elif action == Action.RETURN:
        notify(
            _outlet_users(application.outlet_id),
            "application_returned",
            N_("Application %(ref)s was returned for changes."),
            link,
            ref=ref,
        )
    elif action == Action.SIGN_OFF:
        notify(
            _bureau_users(application.district_id),
            "inspection_signed_off",
            N_("The inspection of %(outlet)s is signed off (%(ref)s)."),
            link,
            outlet=outlet,
            ref=ref,
        )
    elif action == Action.REQUEST_RECTIFICATION:
        notify(
            _outlet_users(application.outlet_id),
            "rectification_requested",
            N_("Rectification requested for %(ref)s by %(date)s."),
            link,
            ref=ref,
            date=_iso(application.rectification_deadline),
        )
    elif new_status == Status.AWAITING_CITY_CONFIRMATION:
        notify(
            _city_users(),
            "city_confirmation",
            N_("%(outlet)s awaits city-level confirmation (%(ref)s)."),
            link,
            outlet=outlet,
            ref=ref,
        )
    elif new_status in (Status.APPROVED, Status.REJECTED):
        notify(
            _outlet_users(application.outlet_id),
            "decision",
            N_("A decision was made on application %(ref)s."),
            link,
            ref=ref,
        )
    elif action == Action.DECLINE_CITY_LEVEL:
        notify(
            _bureau_users(application.district_id),
            "city_declined",
            N_("The city bureau declined city level for %(ref)s."),
            link,
            ref=ref,
        )


def _iso(value: date | None) -> str:
    return value.isoformat() if value else ""
