"""Approval steps as the edition lays them out, signed through the pages (issue #16)."""

import pytest
from sqlalchemy import select

from outlet_audit.roles import Agency, Role
from outlet_audit.text import Refused
from outlet_audit.workflow.approvals import standing
from outlet_audit.workflow.models import ApprovalRecord
from outlet_audit.workflow.operations import apply_transition, make_payload
from outlet_audit.workflow.states import Action
from tests.factories import login, make_user
from tests.workflow_helpers import action_request, application_in, make_crew, reload


@pytest.fixture
def crew(ctx):
    return make_crew()


def post(client, application, action, **fields):
    url, data = action_request(application, action, **fields)
    return client.post(url, data=data)


def test_a_reviewer_who_is_not_an_approver_runs_the_case_but_cannot_propose(client, crew):
    reviewer = make_user(Role.DISTRICT_BUREAU, district_code="FX", approver=False, locale="en")
    application = application_in(crew, "inspected")
    login(client, reviewer)
    page = client.get(f"/applications/{application.id}").get_data(as_text=True)
    assert 'value="approve"' not in page and 'value="request_rectification"' in page
    refused = post(client, application, "approve", granted_level="district", opinion="同意。")
    assert refused.status_code == 422
    assert "only an approver of your organisation may sign approval steps" in refused.get_data(as_text=True)
    assert reload(application).status == "inspected"


def test_only_the_ecology_bureau_of_the_outlets_district_co_signs(client, crew):
    application = application_in(crew, "in_approval")
    assert application.awaiting_agency == Agency.DISTRICT_ECOLOGY
    for outsider in (
        make_user(Role.DISTRICT_BUREAU, district_code="QP", agency=Agency.DISTRICT_ECOLOGY),
        crew.bureau,  # the postal bureau's step comes after
        crew.city,
    ):
        login(client, outsider)
        answer = post(client, application, "agree", opinion="同意。")
        assert answer.status_code in (404, 422), outsider
        assert reload(application).awaiting_agency == Agency.DISTRICT_ECOLOGY
    login(client, crew.ecology)
    refused = post(client, application, "agree", opinion="   ")
    assert refused.status_code == 422 and "write your opinion" in refused.get_data(as_text=True)
    assert post(client, application, "agree", opinion="同意。").status_code == 302
    assert reload(application).awaiting_agency == Agency.DISTRICT_POSTAL


def test_a_step_signed_a_moment_ago_by_someone_else_is_refused_not_counted_twice(crew, db_session):
    application = application_in(crew, "in_approval")
    current = standing(application.id)
    db_session.add(  # as if a colleague's signature had just been committed
        ApprovalRecord(
            application_id=application.id,
            round=current.round,
            position=current.agreed,
            level=current.level.value,
            agency=Agency.DISTRICT_ECOLOGY.value,
            act="cosign",
            outcome="agree",
            opinion="同意。",
            user_id=crew.ecology.id,
        )
    )
    db_session.flush()
    db_session.expire_all()
    application = reload(application)
    # the facts still say the step waits (the other commit is not seen yet by a real request);
    # writing the same position is refused with a message
    with pytest.raises(Refused):
        apply_transition(application, Action.RETURN_STEP, crew.ecology, make_payload(opinion="退回。"))


def test_a_return_sends_the_file_back_to_the_district_postal_bureau_without_telling_the_outlet(
    client, crew, db_session
):
    application = application_in(crew, "in_approval")
    login(client, crew.ecology)
    assert post(client, application, "return_step", opinion="请补充可循环快递箱台账。").status_code == 302
    application = reload(application)
    assert application.status == "inspected" and application.awaiting_agency is None
    outcomes = db_session.scalars(
        select(ApprovalRecord.outcome).where(ApprovalRecord.application_id == application.id)
    ).all()
    assert outcomes == ["agree", "return"]
    login(client, crew.bureau)
    page = client.get("/notifications/").get_data(as_text=True)
    assert "请补充可循环快递箱台账。" in page
    login(client, crew.outlet_user)
    assert "请补充可循环快递箱台账。" not in client.get("/notifications/").get_data(as_text=True)
    # a new proposal opens the next round
    login(client, crew.bureau)
    assert (
        post(client, application, "approve", granted_level="district", opinion="已补充。").status_code == 302
    )
    assert standing(application.id).round == 2
