"""A spot-check visit on the phone (390 px): an inspector of the team opens the visit from their list,
answers the items the spot check covers with a photo where one is needed, and signs; the second
member signs; the district postal bureau reads the result and concludes the check passed. The check
page is photographed in Chinese and English at 390 and 1280 px (test-artifacts/screenshots/)."""

from types import SimpleNamespace

import pytest
from playwright.sync_api import expect

from outlet_audit.accounts.models import User
from outlet_audit.extensions import db
from outlet_audit.supervision.models import SupervisionCheck
from tests.browser.conftest import sign_in
from tests.browser.journey_steps import fill_checklist, full_marks, make_photo
from tests.supervision.visit_helpers import Visit

pytestmark = pytest.mark.browser

PHONE_WIDTH = 390


def spot_check(app) -> SimpleNamespace:
    with app.test_request_context():
        visit = Visit()
        db.session.commit()
        return SimpleNamespace(
            check_id=visit.check.id,
            record_id=visit.record.id,
            edition=visit.edition,
            covered=visit.covered,
            inspector=visit.inspector.username,
            second=visit.second_inspector.username,
            bureau=visit.bureau.username,
            bureau_id=visit.bureau.id,
        )


def no_sideways_scroll(page, width: int = PHONE_WIDTH) -> None:
    assert page.evaluate("document.documentElement.scrollWidth") <= width


def sign(page, record_id: int) -> None:
    page.goto(f"/supervision/checks/visits/{record_id}/sign")
    if page.locator("#outlet_representative").count():
        page.fill("#outlet_representative", "孙店长")
    page.check("#confirm")
    no_sideways_scroll(page)
    with page.expect_navigation():
        page.locator("#sign-off-form button[type=submit]").click()


def test_an_inspector_fills_in_a_spot_check_on_the_phone_and_the_bureau_concludes(
    new_context, live_server, shoot, no_server_errors, tmp_path
):
    visit = live_server.query(lambda: spot_check(live_server.app))
    inspector = sign_in(new_context(phone=True), visit.inspector)

    # The visit is in the inspector's list: outlet, address, due date, purpose.
    inspector.goto("/supervision/checks/visits")
    card = inspector.locator(f'[data-check="{visit.check_id}"]')
    expect(card).to_be_visible()
    no_sideways_scroll(inspector)
    shoot(inspector, "inspector-list")
    card.locator(f'a[href="/checklist/{visit.record_id}"]').click()
    inspector.wait_for_url(f"**/checklist/{visit.record_id}")

    # Only the covered items are asked; each answer and photo saves as it goes.
    asked = inspector.locator("[data-item-code].checklist-item")
    expect(asked).to_have_count(len(visit.covered))
    values = {code: value for code, value in full_marks(visit.edition).items() if code in visit.covered}
    photos = [make_photo(tmp_path, f"shelf-{n}", n) for n in range(3)]
    fill_checklist(inspector, visit.edition, values, photos, camera=True)
    no_sideways_scroll(inspector)
    shoot(inspector, "checklist-filled")

    sign(inspector, visit.record_id)
    expect(inspector.locator('[data-check-status="scheduled"]')).to_be_visible()  # waits for the second
    second = sign_in(new_context(phone=True), visit.second)
    sign(second, visit.record_id)
    expect(second.locator('[data-check-status="visited"]')).to_be_visible()

    # The district postal bureau reads the result and concludes: passed.
    bureau = sign_in(new_context(phone=True), visit.bureau)
    bureau.goto(f"/supervision/checks/{visit.check_id}")
    expect(bureau.locator("#visit-result")).to_have_attribute("data-passed", "yes")
    no_sideways_scroll(bureau)
    shoot(bureau, "zh-390-check-visited")
    bureau.fill("#pass-note", "抽查各项均符合要求。")
    with bureau.expect_navigation():
        bureau.locator("#pass-form button").click()
    expect(bureau.locator('[data-check-status="passed"]')).to_be_visible()
    assert live_server.query(lambda: db.session.get(SupervisionCheck, visit.check_id).status) == "passed"
    no_sideways_scroll(bureau)
    shoot(bureau, "zh-390-check-passed")
    bureau.set_viewport_size({"width": 1280, "height": 900})
    shoot(bureau, "zh-1280-check-passed")

    def english():
        db.session.get(User, visit.bureau_id).locale = "en"
        db.session.commit()

    live_server.query(english)
    bureau.reload()
    shoot(bureau, "en-1280-check-passed")
    bureau.set_viewport_size({"width": PHONE_WIDTH, "height": 844})
    bureau.reload()
    no_sideways_scroll(bureau)
    shoot(bureau, "en-390-check-passed")
