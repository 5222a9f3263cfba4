"""A joint team signs one visit on two phones (390 px): the district postal bureau's inspector
signs the checklist off with a finger, which locks it; the district ecology bureau's inspector finds
it in their list, reads what was signed and signs it too, which completes the inspection. Each step
is photographed (test-artifacts/screenshots/)."""

from types import SimpleNamespace

import pytest
from playwright.sync_api import expect

from outlet_audit.checklist.kinds import AssessmentKind
from outlet_audit.checklist.service import assessment_of
from outlet_audit.extensions import db
from outlet_audit.workflow.models import Application
from tests.browser.conftest import sign_in
from tests.team_helpers import ECOLOGY_NAME, POSTAL_NAME, Team

pytestmark = pytest.mark.browser

PHONE_WIDTH = 390


def joint_visit(locale: str) -> SimpleNamespace:
    team = Team()
    team.fill_in()
    team.postal.locale = team.ecology.locale = locale
    db.session.commit()
    return SimpleNamespace(
        application_id=team.application.id,
        record_id=team.record.id,
        postal=team.postal.username,
        ecology=team.ecology.username,
    )


def draw(page) -> None:
    pad = page.locator('[data-signature-pad="inspector"]')
    pad.scroll_into_view_if_needed()
    box = pad.locator("canvas").bounding_box()
    page.mouse.move(box["x"] + 20, box["y"] + box["height"] / 2)
    page.mouse.down()
    for step in range(1, 12):
        page.mouse.move(box["x"] + 20 + step * 20, box["y"] + box["height"] / 2 + (15 if step % 2 else -15))
    page.mouse.up()
    expect(pad).to_have_attribute("data-signed", "true")


def no_sideways_scroll(page) -> None:
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE_WIDTH


@pytest.mark.parametrize("locale", ["zh_CN", "en"])
def test_two_inspectors_of_different_agencies_sign_the_same_visit_on_their_phones(
    new_context, live_server, shoot, no_server_errors, locale
):
    visit = live_server.query(lambda: joint_visit(locale))

    # The postal inspector signs off first: the checklist is locked, the visit waits.
    postal = sign_in(new_context(phone=True), visit.postal)
    postal.goto(f"/checklist/{visit.record_id}/sign-off")
    expect(postal.locator("[data-joint-team]")).to_be_visible()
    expect(postal.locator("#other-inspectors")).to_contain_text(ECOLOGY_NAME)
    postal.fill("#outlet_representative", "王建国 站长")
    draw(postal)
    postal.check("#confirm")
    no_sideways_scroll(postal)
    shoot(postal, f"{locale}-postal-signs-off")
    with postal.expect_navigation():
        postal.locator("#sign-off-form button[type=submit]").click()
    expect(postal.locator("#awaiting-team")).to_be_visible()
    expect(postal.locator('#result-team [data-signed="no"]')).to_contain_text(ECOLOGY_NAME)
    no_sideways_scroll(postal)
    shoot(postal, f"{locale}-postal-waits")

    # The ecology inspector finds the visit waiting for them, reads it and signs it.
    ecology = sign_in(new_context(phone=True), visit.ecology)
    ecology.goto("/applications/assignments")
    sign_link = ecology.locator(f'a[href="/checklist/{visit.record_id}/sign-off"]')
    expect(sign_link).to_be_visible()
    shoot(ecology, f"{locale}-ecology-list")
    with ecology.expect_navigation():
        sign_link.click()
    expect(ecology.locator("#signed-by")).to_contain_text(POSTAL_NAME)
    expect(ecology.locator("#signed-record")).to_be_visible()
    expect(ecology.locator("#outlet_representative")).to_have_count(0)  # the first signature's
    draw(ecology)
    ecology.check("#confirm")
    no_sideways_scroll(ecology)
    shoot(ecology, f"{locale}-ecology-countersigns")
    with ecology.expect_navigation():
        ecology.locator("#countersign-form button[type=submit]").click()
    expect(ecology.locator("#awaiting-team")).to_have_count(0)
    expect(ecology.locator('#result-team [data-signed="yes"]')).to_have_count(2)
    expect(ecology.locator(".joint-team").first).to_be_visible()
    record = ecology.locator(f"#record-{1}-signatures")
    expect(record.locator("[data-signature-of]")).to_have_count(2)  # each member's own drawing
    no_sideways_scroll(ecology)
    shoot(ecology, f"{locale}-complete")

    # The postal inspector's page now says it is complete.
    postal.reload()
    expect(postal.locator("#awaiting-team")).to_have_count(0)

    def stored():
        application = db.session.get(Application, visit.application_id)
        return application.status, assessment_of(application, AssessmentKind.INSPECTION).signed_off_at

    status, signed_off_at = live_server.query(stored)
    assert status == "inspected" and signed_off_at is not None
