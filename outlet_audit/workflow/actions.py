"""What each action does beyond its move: its form, its door, what it writes and whom it tells.

The rules of an action (who, at which stage, with what input) are its row in the pure table
`states.TRANSITIONS`; everything else about it is its `ActionSpec` here. Adding an action
means one row there and one entry in `ACTIONS` (a test checks both tables name every action).

`door` is the endpoint of the one route that takes the action: most are posted from the
application page to `workflow.transition`; signing off is posted from the sign-off page, where
the inspector confirms and signs, and reopening from the inspection's result page. Each route
declares the actions it takes with `@door(...)`, and a test proves every action has one.
"""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime

from flask import url_for

from outlet_audit.accounts.models import User
from outlet_audit.accounts.queries import agency_users, district_bureau_users, outlet_accounts
from outlet_audit.audit.operations import record
from outlet_audit.certificates.operations import issuing_bureau
from outlet_audit.checklist.findings import issue_notice, on_sign_off, open_notice, start_record
from outlet_audit.checklist.kinds import AssessmentKind, VisitType
from outlet_audit.checklist.models import Assessment
from outlet_audit.checklist.service import assessment_of, get_or_create_assessment, score_assessment
from outlet_audit.checklist.team import sign_as_member, team_of, unsigned
from outlet_audit.core.urls import path_for
from outlet_audit.criteria.editions import pinned_edition
from outlet_audit.extensions import db
from outlet_audit.jobs import enqueue
from outlet_audit.notifications.operations import notify
from outlet_audit.roles import ACT_LABELS, Outcome
from outlet_audit.text import N_
from outlet_audit.workflow.approvals import next_step, record_step, records_of, signers_of_round, standing
from outlet_audit.workflow.forms import (
    ActionForm,
    ConfirmForm,
    DecisionForm,
    OpinionForm,
    ReasonsForm,
    RectificationRequestForm,
    ReopenForm,
    ScheduleForm,
    SignOffForm,
)
from outlet_audit.workflow.models import Application, ApprovalRecord
from outlet_audit.workflow.states import LEVEL_LABELS, TRANSITIONS, Action, Level, Payload, Status

TRANSITION_ROUTE = "workflow.transition"

# What an action writes on the application (and its checklists) once the state machine agreed.
Effects = Callable[[Application, User, Payload, Status, datetime], None]
# Whom it tells: the application, who acted, its new status and the link to its page.
Notice = Callable[[Application, User, Status, str], None]
# Where its form is when that is not the application page (the page links there).
FormPage = Callable[[Application, Assessment | None], str | None]


def nothing(*_args) -> None:
    """An action that writes nothing but its status, or tells nobody."""


@dataclass(frozen=True)
class ActionSpec:
    form: type[ActionForm] = ConfirmForm
    effects: Effects = nothing
    notice: Notice = nothing
    # Ends or undoes something: its button sits behind a second, deliberate click, listed last.
    careful: bool = False
    # The checklists it scores, or opens or closes to their editors ("self", "inspection"): their
    # locks are held before the facts are read, so a save lands wholly before it or after.
    checklists: tuple[AssessmentKind, ...] = ()
    door: str = TRANSITION_ROUTE
    form_page: FormPage | None = None
    # What the person reads once it is done: one sentence saying what happened and what follows.
    done: str = ""
    # ... when the state machine sent the application elsewhere (a city-level approval).
    done_detour: str = ""
    # What will happen, said before an act that cannot be taken back: the action's button then
    # opens a confirmation (a <details>, no script needed) holding this and the final button,
    # labelled `confirm` when the form has nothing to fill in.
    consequence: str = ""
    confirm: str = ""


# --- effects ---------------------------------------------------------------------------------


def _submitted(application: Application, user, payload: Payload, new_status: Status, now: datetime) -> None:
    """Keep the self-assessment's figures as submitted, for the bureau's lists and comparison.

    It is not signed off: the checklist's own rules (checklist.permissions) let the outlet edit
    it only while the application is a draft or returned.
    """
    application.submitted_at = now
    assessment = get_or_create_assessment(application, AssessmentKind.SELF)
    score_assessment(assessment, pinned_edition(application.edition), application.outlet_id)


def _returned(application: Application, user, payload: Payload, new_status: Status, now: datetime) -> None:
    application.return_reasons = payload.reasons.strip()


def _scheduled(application: Application, user, payload: Payload, new_status: Status, now: datetime) -> None:
    """Assign the inspectors and the date: the application's, and the open visit's (made if new)."""
    application.inspectors = [db.session.get(User, uid) for uid in sorted(payload.inspector_ids)]
    application.scheduled_for = payload.scheduled_on
    visit = get_or_create_assessment(application, AssessmentKind.INSPECTION)
    if visit.signed_off_at is None:
        visit.inspectors = list(application.inspectors)
        visit.scheduled_for = payload.scheduled_on


def _signed_off(application: Application, user, payload: Payload, new_status: Status, now: datetime) -> None:
    """A member of the team signs the visit's record. The first to sign signs the record itself: its
    score is kept, what it settles and finds is written, and its answers are locked (with the
    outlet's representative present then). Every member's signature, the first's too, is kept on
    the team and audited; the state machine has moved the application on if it was the last."""
    inspection = get_or_create_assessment(application, AssessmentKind.INSPECTION)
    if inspection.signed_off_at is None:
        result = score_assessment(inspection, pinned_edition(application.edition), application.outlet_id)
        inspection.signed_off_at = now
        inspection.signed_off_by_id = user.id
        inspection.outlet_representative = payload.outlet_representative.strip() or None
        on_sign_off(inspection, result, now)
    sign_as_member(inspection, user, now)
    agency = user.agency
    record(
        "inspection_signed",
        actor=user,
        subject_type="assessment",
        subject_id=inspection.id,
        application_id=application.id,  # like an answer, it names no outlet: the application's history
        field=f"{AssessmentKind.INSPECTION}:{agency.value if agency else ''}",
        new=str(inspection.sequence),
    )
    # The report of a complete record never changes: render it for its first readers now (jobs/pdfs.py).
    enqueue("pdf.inspection_report", application_id=application.id, viewer_id=user.id)


def _reopened(application: Application, user, payload: Payload, new_status: Status, now: datetime) -> None:
    """A correction before the decision: a new record amends the signed one, which stays as signed."""
    signed = assessment_of(application, AssessmentKind.INSPECTION)
    start_record(
        application,
        signed,
        visit_type=VisitType(signed.visit_type),
        inspectors=application.inspectors,
        actor=user,
        amendment_reason=payload.reasons.strip(),
        scheduled_for=signed.scheduled_for,
    )


def _rectification_requested(
    application: Application, user, payload: Payload, new_status: Status, now: datetime
) -> None:
    issue_notice(
        application,
        assessment_of(application, AssessmentKind.INSPECTION),
        payload.rectification_item_codes,
        due_on=payload.rectification_deadline,
        instructions=payload.reasons,
        issuing_bureau=issuing_bureau("district", application.district),
        district_code=application.district.code,
        actor=user,
        now=now,
    )


def _rectification_submitted(
    application: Application, user, payload: Payload, new_status: Status, now: datetime
) -> None:
    """The outlet's answers are sent: a re-inspection starts, pre-filled from the last visit."""
    open_notice(application.id).submitted_at = now
    start_record(
        application,
        assessment_of(application, AssessmentKind.INSPECTION),
        visit_type=VisitType.REINSPECTION,
        inspectors=application.inspectors,
        actor=user,
    )


def _decided(application: Application, user, payload: Payload, new_status: Status, now: datetime) -> None:
    """The settling step agreed: the level is granted, with the opinion the certificate quotes."""
    if new_status == Status.APPROVED:
        application.granted_level = standing(application.id).level.value
        application.decision_opinion = payload.opinion.strip()
        application.decided_at = now


def _proposed(application: Application, user, payload: Payload, new_status: Status, now: datetime) -> None:
    """The district postal bureau opens a round with the level it proposes (the first step)."""
    record_step(
        application,
        user,
        outcome=Outcome.AGREE,
        opinion=payload.opinion,
        now=now,
        level=payload.granted_level,
    )
    _decided(application, user, payload, new_status, now)


def _agreed(application: Application, user, payload: Payload, new_status: Status, now: datetime) -> None:
    record_step(application, user, outcome=Outcome.AGREE, opinion=payload.opinion, now=now)
    _decided(application, user, payload, new_status, now)


def _disagreed(application: Application, user, payload: Payload, new_status: Status, now: datetime) -> None:
    record_step(application, user, outcome=Outcome.DISAGREE, opinion=payload.opinion, now=now)


def _step_returned(
    application: Application, user, payload: Payload, new_status: Status, now: datetime
) -> None:
    record_step(application, user, outcome=Outcome.RETURN, opinion=payload.opinion, now=now)


def _rejected(application: Application, user, payload: Payload, new_status: Status, now: datetime) -> None:
    application.decision_opinion = (payload.reasons or payload.opinion).strip()
    application.decided_at = now


def _withdrawn(application: Application, user, payload: Payload, new_status: Status, now: datetime) -> None:
    application.decided_at = now


# --- notices ---------------------------------------------------------------------------------


def _iso(value: date | None) -> str:
    return value.isoformat() if value else ""


def _tell_bureau_submitted(application: Application, user: User, new_status: Status, link: str) -> None:
    notify(
        district_bureau_users(application.district_id),
        "application_submitted",
        N_("%(outlet)s submitted application %(ref)s."),
        link,
        outlet=application.outlet.name,
        ref=application.reference,
    )


def _tell_assignment(application: Application, user: User, new_status: Status, link: str) -> None:
    notify(
        application.inspectors,
        "assignment",
        N_("You are assigned to inspect %(outlet)s on %(date)s (%(ref)s)."),
        link,
        outlet=application.outlet.name,
        date=_iso(application.scheduled_for),
        ref=application.reference,
    )
    notify(
        outlet_accounts(application.outlet_id),
        "inspection_scheduled",
        N_("Your on-site inspection is scheduled for %(date)s (%(ref)s)."),
        link,
        date=_iso(application.scheduled_for),
        ref=application.reference,
    )


def _tell_outlet_returned(application: Application, user: User, new_status: Status, link: str) -> None:
    notify(
        outlet_accounts(application.outlet_id),
        "application_returned",
        N_("Application %(ref)s was returned for changes."),
        link,
        ref=application.reference,
    )


def _tell_bureau_signed_off(application: Application, user: User, new_status: Status, link: str) -> None:
    """The last member signed: the bureau learns the inspection is complete. Before that, the first
    signature asks the others of the team for theirs (later ones tell nobody: nothing new to do)."""
    if new_status == Status.INSPECTED:
        notify(
            district_bureau_users(application.district_id),
            "inspection_signed_off",
            N_("The inspection of %(outlet)s is signed off (%(ref)s)."),
            link,
            outlet=application.outlet.name,
            ref=application.reference,
        )
        return
    team_record = assessment_of(application, AssessmentKind.INSPECTION)
    team = team_of(team_record)
    waiting = unsigned(team)
    if len(team) - len(waiting) != 1:
        return
    notify(
        [member.user for member in waiting],
        "countersign_requested",
        N_("%(name)s signed the inspection of %(outlet)s (%(ref)s): it waits for your signature."),
        path_for("checklist.sign_off", assessment_id=team_record.id),
        name=user.display_name,
        outlet=application.outlet.name,
        ref=application.reference,
    )


def _tell_outlet_rectification(application: Application, user: User, new_status: Status, link: str) -> None:
    notify(
        outlet_accounts(application.outlet_id),
        "rectification_requested",
        N_("Rectification requested for %(ref)s by %(date)s."),
        link,
        ref=application.reference,
        date=_iso(open_notice(application.id).due_on),
    )


def _tell_bureau_rectified(application: Application, user: User, new_status: Status, link: str) -> None:
    notify(
        [*district_bureau_users(application.district_id), *application.inspectors],
        "rectification_submitted",
        N_("%(outlet)s answered the rectification notice of %(ref)s: the re-inspection can start."),
        link,
        outlet=application.outlet.name,
        ref=application.reference,
    )


def _organisation_param(user: User | None) -> dict:
    """Who acted, as a name kept in both languages (notifications are read long after)."""
    organisation = user.organisation if user is not None else None
    if organisation is None:
        return {"zh": "", "en": ""}
    return {"zh": organisation.name_zh, "en": organisation.name_en}


def _level_param(level: str) -> dict:
    return {"label": LEVEL_LABELS[Level(level)].text}


def _last_step(application: Application) -> ApprovalRecord:
    return records_of(application.id)[-1]


def _tell_outlet_rejected(application: Application, user: User, new_status: Status, link: str) -> None:
    notify(
        outlet_accounts(application.outlet_id),
        "decision",
        N_("Application %(ref)s for %(level)s is rejected by %(organisation)s. Reasons: %(reasons)s"),
        link,
        ref=application.reference,
        level=_level_param(application.target_level),
        organisation=_organisation_param(user),
        reasons=application.decision_opinion or "",
    )


def _tell_approval_moved(application: Application, user: User, new_status: Status, link: str) -> None:
    """A step agreed: the outlet learns of a granted level; otherwise the next step's agency is asked."""
    last = _last_step(application)
    if new_status == Status.APPROVED:
        notify(
            outlet_accounts(application.outlet_id),
            "decision",
            N_("%(organisation)s granted %(level)s to application %(ref)s. Opinion: %(opinion)s"),
            link,
            organisation=_organisation_param(last.user),
            level=_level_param(application.granted_level),
            ref=application.reference,
            opinion=last.opinion,
        )
        return
    step = next_step(application)
    notify(
        agency_users(step.agency, application.district_id),
        "approval_step",
        N_(
            "%(outlet)s (%(ref)s) awaits your %(act)s for %(level)s; %(organisation)s signed the step before."  # noqa: E501
        ),
        link,
        outlet=application.outlet.name,
        ref=application.reference,
        act={"label": ACT_LABELS[step.act]},
        level=_level_param(last.level),
        organisation=_organisation_param(last.user),
    )


def _tell_why_the_round_ended(
    application: Application, link: str, kind: str, template: str, *, outlet_too: bool
) -> None:
    """The step that ended the round is told, with its opinion, to the earlier signers and the district
    postal bureau (and the outlet, when the step disagreed)."""
    last = _last_step(application)
    earlier = [person for person in signers_of_round(application.id) if person.id != last.user_id]
    outlet = outlet_accounts(application.outlet_id) if outlet_too else []
    notify(
        _unique(outlet, earlier, district_bureau_users(application.district_id)),
        kind,
        template,
        link,
        organisation=_organisation_param(last.user),
        level=_level_param(last.level),
        ref=application.reference,
        opinion=last.opinion,
    )


def _tell_approval_stopped(application: Application, user: User, new_status: Status, link: str) -> None:
    _tell_why_the_round_ended(
        application,
        link,
        "approval_disagreed",
        N_("%(organisation)s did not agree to %(level)s for application %(ref)s. Reasons: %(opinion)s"),
        outlet_too=True,
    )


def _tell_approval_returned(application: Application, user: User, new_status: Status, link: str) -> None:
    _tell_why_the_round_ended(
        application,
        link,
        "approval_returned",
        N_(
            "%(organisation)s returned application %(ref)s (%(level)s) to the district postal bureau: %(opinion)s"  # noqa: E501
        ),
        outlet_too=False,
    )


def _unique(*groups) -> list[User]:
    seen, people = set(), []
    for group in groups:
        for user in group:
            if user.id not in seen:
                seen.add(user.id)
                people.append(user)
    return people


# --- pages holding a form of their own -------------------------------------------------------


def _sign_off_page(application: Application, inspection: Assessment | None) -> str | None:
    return url_for("checklist.sign_off", assessment_id=inspection.id) if inspection is not None else None


def _result_page(application: Application, inspection: Assessment | None) -> str | None:
    return url_for("checklist.result", application_id=application.id, _anchor="reopen-title")


A, K = Action, AssessmentKind
ACTIONS: dict[Action, ActionSpec] = {
    A.SUBMIT: ActionSpec(
        effects=_submitted,
        notice=_tell_bureau_submitted,
        checklists=(K.SELF,),
        done=N_("The application is sent to the district bureau, which will accept it or return it."),
        consequence=N_(
            "The application goes to the district postal bureau, which accepts it or returns it for "
            "changes. You cannot change it unless it is returned. You get a receipt with its number and date."
        ),
        confirm=N_("Yes, submit the application"),
    ),
    A.RESUBMIT: ActionSpec(
        effects=_submitted,
        notice=_tell_bureau_submitted,
        checklists=(K.SELF,),
        done=N_("The corrected application is sent to the district bureau again."),
        consequence=N_(
            "The corrected application goes to the district postal bureau again and the processing time "
            "starts anew. You cannot change it unless it is returned. You get a new receipt."
        ),
        confirm=N_("Yes, submit it again"),
    ),
    A.WITHDRAW: ActionSpec(
        effects=_withdrawn,
        careful=True,
        checklists=(K.INSPECTION, K.SELF),
        done=N_("The application is withdrawn. The outlet may apply again at any time."),
        consequence=N_(
            "The application ends here and cannot be taken up again. The outlet may open a new one."
        ),
        confirm=N_("Yes, withdraw the application"),
    ),
    A.RETURN: ActionSpec(
        ReasonsForm,
        _returned,
        _tell_outlet_returned,
        checklists=(K.SELF,),
        done=N_("The application is returned to the outlet with your reasons."),
    ),
    A.ACCEPT: ActionSpec(
        done=N_("The application is accepted. Next, schedule the on-site inspection."),
        consequence=N_(
            "Once accepted, the application can no longer be returned to the outlet or refused "
            "acceptance. Next, you schedule the on-site inspection."
        ),
        confirm=N_("Yes, accept the application"),
    ),
    A.REJECT: ActionSpec(
        ReasonsForm,
        _rejected,
        _tell_outlet_rejected,
        careful=True,
        done=N_("The application is rejected; the outlet is told why."),
        consequence=N_(
            "The application ends as rejected and cannot be reopened; the outlet is told your reasons."
        ),
    ),
    A.SCHEDULE_INSPECTION: ActionSpec(
        ScheduleForm,
        _scheduled,
        _tell_assignment,
        checklists=(K.INSPECTION,),
        done=N_("The on-site inspection is scheduled; the inspectors and the outlet are told."),
    ),
    A.RESCHEDULE_INSPECTION: ActionSpec(
        ScheduleForm,
        _scheduled,
        _tell_assignment,
        checklists=(K.INSPECTION,),
        done=N_("The on-site inspection is rescheduled; the inspectors and the outlet are told."),
    ),
    A.SIGN_OFF: ActionSpec(
        SignOffForm,
        _signed_off,
        _tell_bureau_signed_off,
        checklists=(K.INSPECTION,),
        door="checklist.sign_off",
        form_page=_sign_off_page,
        done=N_("The inspection is signed off and locked."),
        done_detour=N_(
            "You signed the inspection. It is locked, and complete once the other inspectors of the team have signed it."  # noqa: E501
        ),
    ),
    A.REOPEN_INSPECTION: ActionSpec(
        ReopenForm,
        _reopened,
        careful=True,
        checklists=(K.INSPECTION,),
        door="checklist.reopen",
        form_page=_result_page,
        done=N_("A correction of the inspection is open; the signed record stays as it was."),
    ),
    A.REQUEST_RECTIFICATION: ActionSpec(
        RectificationRequestForm,
        _rectification_requested,
        _tell_outlet_rectification,
        done=N_("The rectification notice is issued; the outlet is told what to rectify and by when."),
    ),
    A.SUBMIT_RECTIFICATION: ActionSpec(
        effects=_rectification_submitted,
        notice=_tell_bureau_rectified,
        checklists=(K.INSPECTION,),
        done=N_("Your rectification is sent; the inspectors will verify each item."),
        consequence=N_(
            "Your answers go to the inspectors, who verify each item at the re-inspection. You can no "
            "longer change them."
        ),
        confirm=N_("Yes, send for re-inspection"),
    ),
    A.APPROVE: ActionSpec(
        DecisionForm,
        _proposed,
        _tell_approval_moved,
        done=N_("The outlet is certified and its certificate is issued."),
        done_detour=N_("Your proposal is signed; the next approval step's bureau is asked to sign."),
        consequence=N_(
            "Your proposal and opinion are signed and cannot be changed. With a single approval step the "
            "certificate is issued at once; otherwise the next step's bureau is asked to sign."
        ),
    ),
    A.AGREE: ActionSpec(
        OpinionForm,
        _agreed,
        _tell_approval_moved,
        done=N_("You agreed and the approval is complete: the certificate is issued."),
        done_detour=N_("You agreed; the next approval step's bureau is asked to sign."),
        consequence=N_(
            "Your agreement and opinion are signed and cannot be changed. If yours is the last approval "
            "step, the certificate is issued at once."
        ),
    ),
    A.DISAGREE: ActionSpec(
        OpinionForm,
        _disagreed,
        _tell_approval_stopped,
        careful=True,
        done=N_("You disagreed: the approval stops, and the outlet and the earlier steps are told why."),
        consequence=N_(
            "The approval stops: the application goes back to the district postal bureau, and the outlet "
            "and the earlier steps are told your reasons. Your opinion is signed and cannot be changed."
        ),
    ),
    A.RETURN_STEP: ActionSpec(
        OpinionForm,
        _step_returned,
        _tell_approval_returned,
        careful=True,
        done=N_("The application is returned to the district postal bureau with your opinion."),
        consequence=N_(
            "The approval stops and the application goes back to the district postal bureau to complete "
            "the file. Your opinion is signed and cannot be changed."
        ),
    ),
}
del A, K


def done_sentence(action: Action, new_status: Status) -> str:
    """The sentence the person reads once `action` moved the application to `new_status`."""
    spec = ACTIONS[action]
    detoured = any(
        rule.detour is not None and rule.detour.status == new_status != rule.to
        for (_status, taken), rule in TRANSITIONS.items()
        if taken == action
    )
    return spec.done_detour if detoured and spec.done_detour else spec.done


DOOR_ATTRIBUTE = "_door_actions"


def actions_through(endpoint: str) -> frozenset[Action]:
    """The actions whose one door is this endpoint."""
    return frozenset(action for action, spec in ACTIONS.items() if spec.door == endpoint)


def door(endpoint: str):
    """Declare a route the one way in for the actions whose spec names its endpoint.

    Set on the view as `allow` sets the access rule; the route refuses any other action.
    """
    actions = actions_through(endpoint)
    if not actions:
        raise ValueError(f"no action names {endpoint!r} as its door")

    def decorate(view):
        setattr(view, DOOR_ATTRIBUTE, actions)
        return view

    return decorate
