"""Moving an application through the workflow. The only code that writes `Application.status`.

`apply_transition` asks the pure state machine (`states.plan_transition`) whether the move is
allowed, applies the action's effects, records the audit event, issues the certificate of an
approved application and notifies the people concerned (each action's effects and notice are
its `actions.ACTIONS` entry). It flushes; the view commits once. Two simultaneous transitions of the same
application collide on `Application.version` (StaleDataError) instead of both succeeding.
A transition that scores a checklist, or opens or closes it, first holds that checklist's lock
(`checklist.locking`), so no answer or file changes between its reading and its commit.
"""

from sqlalchemy import select

from outlet_audit.accounts.models import User
from outlet_audit.accounts.organisations import Organisation
from outlet_audit.audit.operations import record
from outlet_audit.certificates.operations import issue_certificate
from outlet_audit.checklist.findings import findings_at, open_notice, unanswered, unverified
from outlet_audit.checklist.kinds import AssessmentKind, FindingStatus
from outlet_audit.checklist.locking import lock_checklists
from outlet_audit.checklist.models import Assessment
from outlet_audit.checklist.permissions import VISIT_STAGES
from outlet_audit.checklist.service import assessment_of, missing_for_sign_off
from outlet_audit.checklist.team import signatures_of
from outlet_audit.core.time import today_in_shanghai, utcnow
from outlet_audit.core.urls import path_for
from outlet_audit.criteria.editions import pinned_edition
from outlet_audit.extensions import db
from outlet_audit.roles import Agency, Role
from outlet_audit.webhooks.events import WebhookEvent
from outlet_audit.webhooks.payloads import application_subject
from outlet_audit.webhooks.publishing import publish
from outlet_audit.workflow.actions import ACTIONS
from outlet_audit.workflow.approvals import approval_chains, next_step, standing
from outlet_audit.workflow.drafting import EDITABLE_STATUSES, submission_gaps
from outlet_audit.workflow.models import Application
from outlet_audit.workflow.states import (
    Action,
    Actor,
    ApplicationFacts,
    Level,
    Payload,
    Status,
    SubmissionGaps,
    plan_transition,
)


def actor_for(user) -> Actor:
    return Actor(
        role=user.role,
        user_id=user.id,
        district_id=user.district_id,
        outlet_id=user.outlet_id,
        agency=user.agency,
        approver=user.approver,
    )


def district_inspectors(district_id: int) -> dict[int, Agency]:
    """The district's active inspectors, of either agency, with the agency each belongs to."""
    rows = db.session.execute(
        select(User.id, Organisation.agency)
        .join(Organisation, Organisation.id == User.organisation_id)
        .where(User.role == Role.INSPECTOR, User.district_id == district_id, User.active.is_(True))
    )
    return {user_id: Agency(agency) for user_id, agency in rows}


def application_facts(
    application: Application,
    *,
    assessments: dict[str, Assessment] | None = None,
    evidence_purposes: frozenset[str] | None = None,
) -> ApplicationFacts:
    """Describe the application to the pure state machine, in plain values.

    A page that has already read the application's assessments (by kind) and the purposes of
    its files passes them, so they are not read twice. What still stops a submission is worked
    out only while the outlet holds the application (a draft, or returned to it).
    """
    edition = pinned_edition(application.edition)
    inspection = assessment_of(application, AssessmentKind.INSPECTION, loaded=assessments)
    checklist_complete = False
    level_reached = None
    status = Status(application.status)
    notice = open_notice(application.id) if status in RECTIFYING else None
    open_codes: frozenset[str] = frozenset()
    if inspection is not None and status == Status.INSPECTED:
        open_codes = frozenset(
            finding.item_code for finding in findings_at(inspection) if finding.status == FindingStatus.OPEN
        )
    if inspection is not None:
        # A signed-off checklist was complete when signed and is locked since; only an open one
        # has to be checked item by item (answers and evidence).
        checklist_complete = inspection.signed_off_at is not None or not missing_for_sign_off(
            inspection, edition, application.outlet_id
        )
        if inspection.signed_off_at is not None and inspection.level_reached:
            level_reached = Level(inspection.level_reached)
    current = standing(application.id) if status == Status.IN_APPROVAL else None
    inspectors = district_inspectors(application.district_id)
    # Who signs the newest record, at the visit stages where it is signed: its team (the
    # application's, until the record is made), each member with when they signed it.
    visiting = status.value in VISIT_STAGES
    signatures: dict = {}
    if visiting:
        signatures = (
            signatures_of(inspection)
            if inspection is not None
            else {user.id: None for user in application.inspectors}
        )
    return ApplicationFacts(
        status=status,
        outlet_id=application.outlet_id,
        district_id=application.district_id,
        target_level=Level(application.target_level),
        assigned_inspector_ids=frozenset(user.id for user in application.inspectors),
        district_inspector_ids=frozenset(inspectors),
        inspector_agencies=inspectors,
        team_required=edition.level(application.target_level).inspection_team,
        team_ids=frozenset(signatures),
        unsigned_team_ids=frozenset(
            user_id for user_id, signed_at in signatures.items() if signed_at is None
        ),
        record_signed=visiting and inspection is not None and inspection.signed_off_at is not None,
        level_reached=level_reached,
        approval_chains=approval_chains(edition),
        approval_level=current.level if current else None,
        approval_position=current.agreed if current else 0,
        checklist_complete=checklist_complete,
        submission_gaps=submission_gaps(
            application, assessments=assessments, evidence_purposes=evidence_purposes
        )
        if status in EDITABLE_STATUSES
        else SubmissionGaps(),
        rectification_deadline=notice.due_on if notice is not None else None,
        open_finding_codes=open_codes,
        unanswered_findings=len(unanswered(notice)),
        unverified_findings=len(unverified(inspection))
        if inspection is not None and inspection.signed_off_at is None
        else 0,
    )


RECTIFYING = frozenset({Status.RECTIFICATION_REQUESTED, Status.RECTIFICATION_SUBMITTED})


def make_payload(**fields) -> Payload:
    fields.setdefault("today", today_in_shanghai())
    return Payload(**fields)


def hold_checklists(application: Application, action: Action) -> None:
    """Lock the checklists the action reads, so what a view checks before it stays true until commit."""
    lock_checklists(application.id, ACTIONS[action].checklists)


def apply_transition(application: Application, action: Action, user, payload: Payload) -> Status:
    """Move the application by `action`, or raise states.TransitionRefused with the reason."""
    hold_checklists(application, action)  # before the facts are read
    facts = application_facts(application)
    new_status = plan_transition(facts, action, actor_for(user), payload)
    old_status = application.status
    spec = ACTIONS[action]
    spec.effects(application, user, payload, new_status, utcnow())
    # Status and the agency awaited change in one write (the database ties them together).
    step = next_step(application) if new_status == Status.IN_APPROVAL else None
    application.awaiting_agency = step.agency.value if step is not None else None
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
    if new_status in (Status.APPROVED, Status.REJECTED):
        publish(WebhookEvent.APPLICATION_DECIDED, application_subject(application))
    spec.notice(
        application, user, new_status, path_for("workflow.application_detail", application_id=application.id)
    )
    return new_status
