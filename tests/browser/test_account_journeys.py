"""Accounts in Chromium: a forgotten password recovered through the mailed link; an outlet imported
in bulk whose manager turns the printed invitation into an account and applies."""

import re

import pytest
from sqlalchemy import select

from outlet_audit.accounts.models import User
from outlet_audit.extensions import db
from outlet_audit.outlets.models import Outlet
from outlet_audit.roles import Role
from tests.account_factories import delivered, links_in, site_path
from tests.browser.conftest import sign_in
from tests.factories import make_user
from tests.smtp_helpers import start_sink
from tests.web.test_import import csv_file, row

pytestmark = pytest.mark.browser

NEW_PASSWORD = "harbour lantern 58 kites"


@pytest.fixture
def mail_inbox(live_server):
    """The live server's mail goes to a real SMTP sink on 127.0.0.1 while the test runs."""
    inbox, controller = start_sink()
    config = live_server.app.config
    before = config["MAIL_SERVER"], config["MAIL_PORT"]
    config["MAIL_SERVER"], config["MAIL_PORT"] = "127.0.0.1", controller.port
    yield inbox
    config["MAIL_SERVER"], config["MAIL_PORT"] = before
    delivered(inbox)
    controller.stop()


def test_a_forgotten_password_is_recovered_through_the_mailed_link(
    new_context, live_server, mail_inbox, shoot, no_server_errors
):
    def seed():
        make_user(Role.INSPECTOR, district_code="FX", username="forgetful", email="forgetful@example.test")
        db.session.commit()

    live_server.query(seed)
    page = new_context().new_page()
    page.goto("/login")
    with page.expect_navigation():
        page.click("#forgot-password")
    page.fill("#login", "forgetful")
    with page.expect_navigation():
        page.click("#submit")
    assert page.url.endswith("/login")
    shoot(page, "link-asked")
    ((recipients, message),) = delivered(mail_inbox)
    assert recipients == ["forgetful@example.test"]
    (link,) = [link for link in links_in(message) if "/password/reset/" in link]
    page.goto(site_path(link))
    assert page.url.endswith("/password/reset")  # the token left the address bar
    page.fill("#new_password", NEW_PASSWORD)
    page.fill("#confirm", NEW_PASSWORD)
    shoot(page, "new-password")
    with page.expect_navigation():
        page.click("#submit")
    assert page.url.endswith("/login")
    signed_in = sign_in(new_context(), "forgetful", NEW_PASSWORD)
    assert "/login" not in signed_in.url
    page.goto(site_path(link))  # the link worked once
    assert page.url.endswith("/password/forgot")


def test_an_imported_outlets_manager_accepts_the_printed_invitation_and_applies(
    new_context, live_server, tmp_path, shoot, no_server_errors
):
    permit = "FX-INVITE-0001"
    bureau = sign_in(new_context(), live_server.users["bureau"])
    bureau.goto("/dashboard/import")
    upload = tmp_path / "网点.csv"
    upload.write_bytes(csv_file([row(permit, name="奉贤邀请测试网点")]))
    bureau.set_input_files('input[type="file"]', str(upload))
    with bureau.expect_navigation():
        bureau.click("#submit")
    bureau.check('input[name="mode"][value="all_or_nothing"]')
    with bureau.expect_navigation():
        bureau.click("#submit")
    bureau.goto("/invitations")
    shoot(bureau, "invitations")
    with bureau.expect_navigation():
        bureau.click("#print-letters")
    shoot(bureau, "letter")
    letter = bureau.locator(".invitation-letter", has_text="奉贤邀请测试网点")
    code = letter.locator("[data-invitation-code]").inner_text().strip()
    assert re.fullmatch(r"[A-Z0-9]{4}(-[A-Z0-9]{4}){3}", code)

    manager = new_context(phone=True).new_page()
    manager.goto("/login")
    with manager.expect_navigation():
        manager.click("#invitation-link")
    manager.fill("#code", code.lower())
    with manager.expect_navigation():
        manager.click("#submit")
    assert "奉贤邀请测试网点" in manager.locator("#invited-to").inner_text()
    manager.fill("#username", "invited-manager")
    manager.fill("#display_name", "邀请负责人")
    manager.fill("#password", NEW_PASSWORD)
    shoot(manager, "account")
    with manager.expect_navigation():
        manager.click("#submit")
    assert manager.url.endswith("/login")

    outlet = sign_in(new_context(), "invited-manager", NEW_PASSWORD)
    outlet.goto("/applications/new")
    with outlet.expect_navigation():
        outlet.locator("main form button").click()
    assert re.search(r"/applications/\d+$", outlet.url)
    shoot(outlet, "applied")

    def account():
        user = db.session.scalar(select(User).where(User.username == "invited-manager"))
        outlet_permit = db.session.scalar(select(Outlet.permit_number).where(Outlet.id == user.outlet_id))
        return user.outlet_manager, outlet_permit

    assert live_server.query(account) == (True, permit)
