"""Every transition of the state machine, through the web: allowed for its actor, refused for the others.

Each case builds an application in the row's status with everything the row's guard needs,
then posts the action to its one door (`workflow.actions.ACTIONS`) as each person of the crew:
the outlet's staff, the district postal bureau, the district ecology bureau, the inspector and the
city postal bureau. The row's actor moves it (the district postal bureau for the case; for an
approval step whoever it names: in the 2025 edition the ecology bureau co-signs first); everyone
else gets the state machine's reason on the same page (or, at a door only one role may use, the
access refusal) and the status stays.
"""

import html
import re
from datetime import timedelta

import pytest
from sqlalchemy import select

from outlet_audit.certificates.models import Certificate
from outlet_audit.core.time import clock_at, today_in_shanghai
from outlet_audit.roles import AGENCY_LABELS, Agency, Role
from outlet_audit.workflow.actions import ACTIONS
from outlet_audit.workflow.seeding import answer_findings, verify_findings
from outlet_audit.workflow.states import _FINAL_REFUSALS, _ROLE_REFUSALS, TRANSITIONS, Action, Rule, Status
from tests.factories import advance, login, make_application, shanghai_moment
from tests.workflow_helpers import (
    action_request,
    answer_all,
    application_in,
    make_crew,
    ready_to_submit,
    reload,
)

S, A = Status, Action
WORKFLOW_ROLES = (Role.OUTLET, Role.DISTRICT_BUREAU, Role.INSPECTOR, Role.CITY_BUREAU)
# Everyone who could try an action, by the crew's names for them.
PEOPLE = ("outlet_user", "bureau", "ecology", "inspector", "city")
# The 2025 edition: after the district postal bureau's proposal the district ecology bureau co-signs,
# then the district postal bureau decides (district level). An application in approval waits for the
# co-signature.
FIRST_SIGNER = "ecology"
# Rows that do not settle the approval under the 2025 edition: more steps follow.
MORE_STEPS = {(S.INSPECTED, A.APPROVE): S.IN_APPROVAL, (S.IN_APPROVAL, A.AGREE): S.IN_APPROVAL}


@pytest.fixture
def crew(ctx):
    return make_crew()


ROWS = sorted(TRANSITIONS, key=lambda row: (list(Status).index(row[0]), list(Action).index(row[1])))


def prepare(crew, status: Status, action: Action):
    """An application in `status` that satisfies the guard of (status, action), and its door and form."""
    today = today_in_shanghai()
    rectify = {"rectification_item_codes": frozenset({"3.1"})}
    if status in (S.RECTIFICATION_REQUESTED, S.RECTIFICATION_SUBMITTED) and action == A.REJECT:
        # Requested three weeks ago, due yesterday: the deadline has passed.
        missed = {**rectify, "rectification_deadline": today - timedelta(days=1)}
        with clock_at(shanghai_moment(today - timedelta(days=21))):
            application = application_in(crew, status, inputs={A.REQUEST_RECTIFICATION: missed})
    elif action in (A.SUBMIT, A.RESUBMIT):
        application = ready_to_submit(crew, status=status, inspectors=[crew.inspector])
    elif action == A.REQUEST_RECTIFICATION:  # the visit found 3.1 short: a finding to order rectified
        application = application_in(crew, S.INSPECTION_SCHEDULED)
        answer_all(application, "inspection", crew.inspector, short_of=("3.1",))
        advance(application, status)
    else:
        application = application_in(crew, status, inputs={A.REQUEST_RECTIFICATION: rectify})
    if action == A.SIGN_OFF:
        verify_findings(application, crew.inspector)  # a re-inspection verifies what was rectified
        answer_all(application, "inspection", crew.inspector)
    if action == A.SUBMIT_RECTIFICATION:
        answer_findings(application, crew.outlet_user)  # each item answered on the application page
    fields = {}
    if action == A.REOPEN_INSPECTION:
        fields["reason"] = "4.2 照片看不清，请复核。"
    elif action in (A.RETURN, A.REJECT):
        fields["reasons"] = "材料不全，请补充。"
    elif action in (A.AGREE, A.DISAGREE, A.RETURN_STEP):
        fields["opinion"] = "经审核，意见如上。"
    elif action in (A.SCHEDULE_INSPECTION, A.RESCHEDULE_INSPECTION):
        fields["inspector_ids"] = [str(crew.inspector.id), str(crew.second_inspector.id)]
        fields["scheduled_on"] = (today + timedelta(days=5)).isoformat()
    elif action == A.REQUEST_RECTIFICATION:
        fields["item_codes"] = ["3.1"]
        fields["deadline"] = (today + timedelta(days=14)).isoformat()
    elif action == A.APPROVE:
        fields["granted_level"] = "district"
        fields["opinion"] = "符合区级要求。"
    return application, action_request(application, action.value, **fields)


def expected_status(status: Status, action: Action) -> Status:
    return MORE_STEPS.get((status, action), TRANSITIONS[(status, action)].to)


def actor_name(rule: Rule) -> str:
    """Who in the crew takes the row: the step's signer, else the one person of the row's role."""
    if rule.at_step:
        return FIRST_SIGNER
    (role,) = rule.roles
    return {Role.OUTLET: "outlet_user", Role.DISTRICT_BUREAU: "bureau", Role.INSPECTOR: "inspector"}[role]


def refusal_for(rule: Rule) -> str:
    if rule.at_step:
        return f"this step is for the {AGENCY_LABELS[Agency.DISTRICT_ECOLOGY]}"
    (role,) = rule.roles
    return _ROLE_REFUSALS[role]


def post(client, application, data):
    """Post to the application page's transition route."""
    return client.post(
        f"/applications/{application.id}/transition", data=data, content_type="multipart/form-data"
    )


def post_to_door(client, door_request):
    url, data = door_request
    return client.post(url, data=data, content_type="multipart/form-data")


def landing_page(application, action: Action) -> str:
    """Where a done action sends the user back: the page its door belongs to."""
    if ACTIONS[action].door == "workflow.transition":
        return f"/applications/{application.id}"
    return f"/checklist/applications/{application.id}/result"


@pytest.mark.parametrize(("status", "action"), ROWS, ids=[f"{s}-{a}" for s, a in ROWS])
def test_the_rows_role_moves_the_application(client, crew, db_session, status, action):
    application, door_request = prepare(crew, status, action)
    login(client, getattr(crew, actor_name(TRANSITIONS[(status, action)])))
    response = post_to_door(client, door_request)
    assert response.status_code == 302, html.unescape(response.get_data(as_text=True))[-3000:]
    assert response.headers["Location"].endswith(landing_page(application, action))
    assert reload(application).status == expected_status(status, action)


@pytest.mark.parametrize(("status", "action"), ROWS, ids=[f"{s}-{a}" for s, a in ROWS])
def test_everyone_else_is_refused_with_the_reason(client, crew, db_session, status, action):
    rule = TRANSITIONS[(status, action)]
    application, (url, data) = prepare(crew, status, action)
    for name in PEOPLE:
        if name == actor_name(rule):
            continue
        login(client, getattr(crew, name))
        response = post_to_door(client, (url, data))
        if name == "inspector" and crew.inspector not in application.inspectors:
            assert response.status_code == 404  # assigned only when the inspection is scheduled
            continue
        if ACTIONS[action].door == "workflow.transition":
            assert response.status_code == 422, name
            page = html.unescape(response.get_data(as_text=True))
            assert refusal_for(rule) in page, name
        elif name == "ecology" and action == A.REOPEN_INSPECTION:
            # the reopen door is the postal bureaus': the ecology bureau is not let in (access.joint)
            assert response.status_code == 403
        else:  # the sign-off and reopen doors admit only the role that may take their action
            assert response.status_code in (403, 404), name
        assert reload(application).status == status


@pytest.mark.parametrize("status", [S.APPROVED, S.REJECTED, S.WITHDRAWN])
@pytest.mark.parametrize("action", [A.WITHDRAW, A.APPROVE, A.SUBMIT])
def test_nothing_moves_a_final_application(client, crew, status, action):
    application = make_application(crew.outlet, status=status.value)
    for role in WORKFLOW_ROLES:
        login(client, crew.by_role(role))
        response = post(client, application, {"action": action.value})
        if role == Role.INSPECTOR and crew.inspector not in application.inspectors:
            assert response.status_code == 404  # never assigned: out of scope
            continue
        assert response.status_code == 422
        assert _FINAL_REFUSALS[status] in html.unescape(response.get_data(as_text=True))
        assert reload(application).status == status


def test_an_action_the_stage_does_not_offer_is_refused_even_to_the_right_role(client, crew):
    application = make_application(crew.outlet, status="submitted", inspectors=[crew.inspector])
    login(client, crew.bureau)
    response = post(
        client, application, {"action": "approve", "approve-granted_level": "city", "approve-opinion": "x"}
    )
    assert response.status_code == 422
    assert "not possible at the application&#39;s current stage" in response.get_data(as_text=True)
    assert reload(application).status == "submitted"


def test_an_unknown_action_is_a_bad_request(client, crew):
    application = make_application(crew.outlet, status="submitted")
    login(client, crew.bureau)
    assert post(client, application, {"action": "promote"}).status_code == 400


def test_the_admin_takes_no_part(client, crew):
    application = make_application(crew.outlet, status="submitted")
    login(client, crew.admin)
    assert post(client, application, {"action": "accept"}).status_code == 403
    assert client.get(f"/applications/{application.id}").status_code == 403
    assert reload(application).status == "submitted"


@pytest.mark.parametrize("status", [s for s in Status])
def test_the_page_offers_exactly_the_actions_of_each_person_at_this_stage(client, crew, status):
    application = application_in(crew, status)
    for name in PEOPLE:
        login(client, getattr(crew, name))
        page = client.get(f"/applications/{application.id}").get_data(as_text=True)
        offered = set(_offered_actions(page))
        expected = {
            a.value for (s, a), rule in TRANSITIONS.items() if s == status and actor_name(rule) == name
        }
        assert offered == expected, name


@pytest.mark.parametrize(
    ("awaiting", "signer"),
    [(Agency.DISTRICT_ECOLOGY, "ecology"), (Agency.DISTRICT_POSTAL, "bureau"), (Agency.CITY_POSTAL, "city")],
)
def test_in_approval_only_the_awaited_agency_is_offered_the_step(client, crew, awaiting, signer):
    application = application_in(crew, S.IN_APPROVAL, awaiting=awaiting)
    assert application.awaiting_agency == awaiting.value
    steps = {a.value for (s, a), rule in TRANSITIONS.items() if s == S.IN_APPROVAL and rule.at_step}
    for name in PEOPLE:
        login(client, getattr(crew, name))
        page = client.get(f"/applications/{application.id}").get_data(as_text=True)
        offered = set(_offered_actions(page))
        assert offered == (steps if name == signer else {"withdraw"} if name == "outlet_user" else set()), (
            name
        )


def _offered_actions(page: str):
    """The actions posted from this page, and those whose door is on another page it links to."""
    yield from re.findall(r'name="action" value="([a-z_]+)"', page)
    yield from re.findall(r'data-action="([a-z_]+)"', page)


def test_refused_input_stays_in_the_form(client, crew):
    application = make_application(crew.outlet, status="accepted")
    login(client, crew.bureau)
    past = (today_in_shanghai() - timedelta(days=2)).isoformat()
    response = post(
        client,
        application,
        {
            "action": "schedule_inspection",
            "schedule_inspection-inspector_ids": [str(crew.inspector.id)],
            "schedule_inspection-scheduled_on": past,
        },
    )
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert "the inspection date cannot be in the past" in page
    assert f'value="{past}"' in page
    checked = re.findall(
        r'<input checked[^>]*name="schedule_inspection-inspector_ids"[^>]*value="(\d+)"', page
    )
    assert checked == [str(crew.inspector.id)]
    assert reload(application).status == "accepted"


def test_inspectors_of_another_district_cannot_be_assigned(client, crew):
    application = make_application(crew.outlet, status="accepted")
    login(client, crew.bureau)
    response = post(
        client,
        application,
        {
            "action": "schedule_inspection",
            "schedule_inspection-inspector_ids": [str(crew.foreign_inspector.id)],
            "schedule_inspection-scheduled_on": (today_in_shanghai() + timedelta(days=3)).isoformat(),
        },
    )
    assert response.status_code == 422  # not even offered as a choice: the form refuses it
    assert reload(application).inspectors == []


def test_approval_issues_the_certificate_once_the_last_step_agrees(client, crew, db_session):
    application, door_request = prepare(crew, S.INSPECTED, A.APPROVE)
    login(client, crew.bureau)
    assert post_to_door(client, door_request).status_code == 302
    assert reload(application).awaiting_agency == Agency.DISTRICT_ECOLOGY.value
    for signer in (crew.ecology, crew.bureau):  # the co-signature, then the district's decision
        assert (
            db_session.scalar(select(Certificate).where(Certificate.application_id == application.id)) is None
        )
        login(client, signer)
        assert post_to_door(client, action_request(application, "agree", opinion="同意。")).status_code == 302
    assert reload(application).status == S.APPROVED
    certificate = db_session.scalar(select(Certificate).where(Certificate.application_id == application.id))
    assert certificate is not None and certificate.level == "district" and certificate.state == "active"


def test_the_result_page_offers_reopening_to_the_district_postal_bureau_only(client, crew):
    application = application_in(crew, S.INSPECTED)
    url = f"/checklist/applications/{application.id}/result"
    for person, offered in ((crew.bureau, True), (crew.ecology, False), (crew.city, False)):
        login(client, person)
        page = client.get(url).get_data(as_text=True)
        assert ('id="reopen-title"' in page) == offered, person.display_name
