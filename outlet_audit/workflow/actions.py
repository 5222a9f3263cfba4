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
from outlet_audit.accounts.queries import city_bureau_users, district_bureau_users, outlet_accounts
from outlet_audit.certificates.operations import issuing_bureau
from outlet_audit.checklist.findings import issue_notice, on_sign_off, open_notice, start_record
from outlet_audit.checklist.kinds import AssessmentKind, VisitType
from outlet_audit.checklist.models import Assessment
from outlet_audit.checklist.service import assessment_of, get_or_create_assessment, score_assessment
from outlet_audit.criteria.editions import pinned_edition
from outlet_audit.extensions import db
from outlet_audit.notifications.operations import notify
from outlet_audit.text import N_
from outlet_audit.workflow.forms import (
    ActionForm,
    ConfirmForm,
    DecisionForm,
    ReasonsForm,
    RectificationRequestForm,
    ReopenForm,
    ScheduleForm,
    SignOffForm,
)
from outlet_audit.workflow.models import Application
from outlet_audit.workflow.states import TRANSITIONS, Action, Level, Payload, Status

TRANSITION_ROUTE = "workflow.transition"

# What an action writes on the application (and its checklists) once the state machine agreed.
Effects = Callable[[Application, User, Payload, Status, datetime], None]
# Whom it tells: the application, its new status and the link to its page.
Notice = Callable[[Application, Status, str], None]
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
    """Sign the open record: its score is kept, and what it settles and finds is written."""
    inspection = get_or_create_assessment(application, AssessmentKind.INSPECTION)
    result = score_assessment(inspection, pinned_edition(application.edition), application.outlet_id)
    inspection.signed_off_at = now
    inspection.signed_off_by_id = user.id
    inspection.outlet_representative = payload.outlet_representative.strip() or None
    on_sign_off(inspection, result, now)


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


def _approved(application: Application, user, payload: Payload, new_status: Status, now: datetime) -> None:
    application.decision_opinion = payload.opinion.strip()
    if new_status == Status.APPROVED:  # not when it waits for the city bureau
        application.granted_level = payload.granted_level.value
        application.decided_at = now


def _city_confirmed(
    application: Application, user, payload: Payload, new_status: Status, now: datetime
) -> None:
    application.granted_level = Level.CITY.value
    application.decided_at = now


def _rejected(application: Application, user, payload: Payload, new_status: Status, now: datetime) -> None:
    application.decision_opinion = (payload.reasons or payload.opinion).strip()
    application.decided_at = now


def _withdrawn(application: Application, user, payload: Payload, new_status: Status, now: datetime) -> None:
    application.decided_at = now


# --- notices ---------------------------------------------------------------------------------


def _iso(value: date | None) -> str:
    return value.isoformat() if value else ""


def _tell_bureau_submitted(application: Application, new_status: Status, link: str) -> None:
    notify(
        district_bureau_users(application.district_id),
        "application_submitted",
        N_("%(outlet)s submitted application %(ref)s."),
        link,
        outlet=application.outlet.name,
        ref=application.reference,
    )


def _tell_assignment(application: Application, new_status: Status, link: str) -> None:
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


def _tell_outlet_returned(application: Application, new_status: Status, link: str) -> None:
    notify(
        outlet_accounts(application.outlet_id),
        "application_returned",
        N_("Application %(ref)s was returned for changes."),
        link,
        ref=application.reference,
    )


def _tell_bureau_signed_off(application: Application, new_status: Status, link: str) -> None:
    notify(
        district_bureau_users(application.district_id),
        "inspection_signed_off",
        N_("The inspection of %(outlet)s is signed off (%(ref)s)."),
        link,
        outlet=application.outlet.name,
        ref=application.reference,
    )


def _tell_outlet_rectification(application: Application, new_status: Status, link: str) -> None:
    notify(
        outlet_accounts(application.outlet_id),
        "rectification_requested",
        N_("Rectification requested for %(ref)s by %(date)s."),
        link,
        ref=application.reference,
        date=_iso(open_notice(application.id).due_on),
    )


def _tell_bureau_rectified(application: Application, new_status: Status, link: str) -> None:
    notify(
        [*district_bureau_users(application.district_id), *application.inspectors],
        "rectification_submitted",
        N_("%(outlet)s answered the rectification notice of %(ref)s: the re-inspection can start."),
        link,
        outlet=application.outlet.name,
        ref=application.reference,
    )


def _tell_outlet_decision(application: Application, new_status: Status, link: str) -> None:
    notify(
        outlet_accounts(application.outlet_id),
        "decision",
        N_("A decision was made on application %(ref)s."),
        link,
        ref=application.reference,
    )


def _tell_decision_or_city(application: Application, new_status: Status, link: str) -> None:
    if new_status != Status.AWAITING_CITY_CONFIRMATION:
        _tell_outlet_decision(application, new_status, link)
        return
    notify(
        city_bureau_users(),
        "city_confirmation",
        N_("%(outlet)s awaits city-level confirmation (%(ref)s)."),
        link,
        outlet=application.outlet.name,
        ref=application.reference,
    )


def _tell_bureau_city_declined(application: Application, new_status: Status, link: str) -> None:
    notify(
        district_bureau_users(application.district_id),
        "city_declined",
        N_("The city bureau declined city level for %(ref)s."),
        link,
        ref=application.reference,
    )


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
    ),
    A.RESUBMIT: ActionSpec(
        effects=_submitted,
        notice=_tell_bureau_submitted,
        checklists=(K.SELF,),
        done=N_("The corrected application is sent to the district bureau again."),
    ),
    A.WITHDRAW: ActionSpec(
        effects=_withdrawn,
        careful=True,
        checklists=(K.INSPECTION, K.SELF),
        done=N_("The application is withdrawn. The outlet may apply again at any time."),
    ),
    A.RETURN: ActionSpec(
        ReasonsForm,
        _returned,
        _tell_outlet_returned,
        checklists=(K.SELF,),
        done=N_("The application is returned to the outlet with your reasons."),
    ),
    A.ACCEPT: ActionSpec(done=N_("The application is accepted. Next, schedule the on-site inspection.")),
    A.REJECT: ActionSpec(
        ReasonsForm,
        _rejected,
        _tell_outlet_decision,
        careful=True,
        done=N_("The application is rejected; the outlet is told why."),
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
    ),
    A.APPROVE: ActionSpec(
        DecisionForm,
        _approved,
        _tell_decision_or_city,
        done=N_("The outlet is certified and its certificate is issued."),
        done_detour=N_("The application is approved and passed to the city bureau to confirm city level."),
    ),
    A.CONFIRM_CITY_LEVEL: ActionSpec(
        effects=_city_confirmed,
        notice=_tell_outlet_decision,
        done=N_("City level is confirmed and the certificate is issued."),
    ),
    A.DECLINE_CITY_LEVEL: ActionSpec(
        ReasonsForm,
        _returned,
        _tell_bureau_city_declined,
        careful=True,
        done=N_("City level is declined; the district bureau decides again, knowing why."),
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
