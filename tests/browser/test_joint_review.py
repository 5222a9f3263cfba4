"""The city-level approval in Chromium: the district recommends, its ecology and environment bureau
co-signs, the city bureau disagrees with a reason, and the outlet reads that reason (issue #16)."""

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from outlet_audit.accounts.models import User
from outlet_audit.extensions import db
from outlet_audit.workflow.models import Application
from outlet_audit.workflow.states import Status
from tests.browser.conftest import sign_in
from tests.browser.journey_steps import act
from tests.factories import PASSWORD, certify, make_application, make_outlet, make_user

pytestmark = pytest.mark.browser

OUTLET_NAME = "奉贤金汇邮政联合审核网点"
REASON = "市级认定要求的可循环快递箱使用台账不完整，暂不同意。"


def inspected_city_application(live_server) -> tuple[int, str]:
    """A Fengxian outlet certified at district level whose city-level visit is signed: the district
    bureau's turn to propose. Made by the real operations, as the other tests' factories do."""

    def make():
        outlet = make_outlet("FX", name=OUTLET_NAME)
        manager = make_user(username="jinhui-manager", outlet=outlet, outlet_manager=True)
        inspectors = db.session.scalars(
            select(User).where(User.username.in_(("fx-inspector", "fx-eco-inspector"))).order_by(User.id)
        ).all()
        certify(outlet, "district")
        application = make_application(
            outlet, status=Status.INSPECTED, target_level="city", inspectors=inspectors
        )
        db.session.commit()
        return application.id, manager.username

    return live_server.query(make)


def test_the_city_disagrees_and_the_outlet_reads_why(new_context, live_server, shoot, no_server_errors):
    users = live_server.users
    application_id, manager = inspected_city_application(live_server)

    bureau = sign_in(new_context(), users["bureau"])
    bureau.goto(f"/applications/{application_id}")
    act(bureau, "approve", granted_level="city", opinion="现场评估达到市级要求，推荐认定为市级。")
    expect(bureau.locator("#approval")).to_contain_text("初审推荐")

    # The ecology and environment bureau finds it among the approvals awaiting it, at phone size.
    ecology = sign_in(new_context(phone=True), users["ecology"])
    ecology.goto("/applications/approvals")
    shoot(ecology, "ecology-approvals-390")
    with ecology.expect_navigation():
        ecology.get_by_role("link", name=OUTLET_NAME).first.click()
    expect(ecology.locator("#action-approve")).to_have_count(0)  # the postal bureau's act, not theirs
    act(ecology, "agree", opinion="经联合核查，同意推荐。")
    shoot(ecology, "ecology-co-signed-390")

    city = sign_in(new_context(), users["city"])
    city.goto("/applications/approvals")
    with city.expect_navigation():
        city.get_by_role("link", name=OUTLET_NAME).first.click()
    shoot(city, "city-step-1280")
    act(city, "disagree", opinion=REASON)
    assert live_server.query(lambda: db.session.get(Application, application_id).status) == "inspected"
    expect(city.locator("#approval")).to_contain_text(REASON)

    # The outlet is told who decided what, and why, in its notifications and on the application.
    outlet = sign_in(new_context(phone=True), manager, PASSWORD)
    outlet.goto("/notifications/")
    expect(outlet.locator("main")).to_contain_text("上海市邮政管理局")
    expect(outlet.locator("main")).to_contain_text(REASON)
    shoot(outlet, "outlet-notified-390")
    outlet.goto(f"/applications/{application_id}")
    expect(outlet.locator("#approval")).to_contain_text(REASON)
    shoot(outlet, "outlet-application-390")
    # Nothing on the outlet's page lets it act on the approval.
    expect(outlet.locator('button[name="action"][value="agree"]')).to_have_count(0)
