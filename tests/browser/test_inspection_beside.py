"""An inspector on a phone and at a desk, in Chinese and in English: the outlet's self-assessment one
tap under each item of a re-inspection, the rectified items to verify marked; before signing, the
items short of full marks with their notes, and the representative's name kept when the sign-off is
refused. Each step is photographed (test-artifacts/screenshots/)."""

from types import SimpleNamespace

import pytest
from playwright.sync_api import expect

from outlet_audit.extensions import db
from tests.browser.conftest import PHONE, sign_in
from tests.checklist_helpers import TAPE_NOTE, Inspection, complete, reinspection, self_assessed, self_photo

pytestmark = pytest.mark.browser

SELF_NOTE = "已全部更换为 45 毫米瘦身胶带（自查）"
DESKTOP = {"viewport": {"width": 1280, "height": 900}}
WIDTH = {"phone": 390, "desktop": 1280}


def two_visits(locale: str) -> SimpleNamespace:
    """A re-inspection under way (1.2 and 3.1 to verify; the outlet's own photo and note on 1.2), and a
    first visit ready to sign with 1.2 and 3.1 short of full marks; their inspectors read `locale`."""
    again, _first, _photo = reinspection()
    mine = self_assessed(again, {"1.2": True}, notes={"1.2": SELF_NOTE})
    self_photo(again, mine, "1.2", "自查-胶带.jpg", colour="blue")
    fresh = Inspection()
    complete(fresh, {"1.2": False, "3.1": "B"})
    fresh.save("1.2", False, note=TAPE_NOTE)
    again.inspector.locale = fresh.inspector.locale = locale
    db.session.commit()
    return SimpleNamespace(
        again=(again.inspector.username, again.assessment.id),
        fresh=(fresh.inspector.username, fresh.assessment.id),
    )


def no_sideways_scroll(page, size: str) -> None:
    assert page.evaluate("document.documentElement.scrollWidth") <= WIDTH[size]


@pytest.mark.parametrize("size", ["phone", "desktop"])
@pytest.mark.parametrize("locale", ["zh_CN", "en"])
def test_the_inspector_compares_with_the_self_assessment_and_reviews_before_signing(
    new_context, live_server, shoot, no_server_errors, size, locale
):
    visits = live_server.query(lambda: two_visits(locale))
    options = PHONE if size == "phone" else DESKTOP

    username, record_id = visits.again
    page = sign_in(new_context(**options), username)
    page.goto(f"/checklist/{record_id}")
    item = page.locator('[id="item-1.2"]')
    expect(item.locator("[data-to-verify] .badge")).to_be_visible()
    expect(page.locator("#carried-over")).to_be_visible()
    note = item.locator(".outlet-self-note")
    expect(note).to_be_hidden()  # folded: one tap away
    item.locator(".outlet-self summary").click()
    expect(note).to_have_text(SELF_NOTE)
    thumbnail = item.locator(".outlet-self .evidence-mini img").last
    expect(thumbnail).to_be_visible()
    page.wait_for_function("img => img.complete && img.naturalWidth > 0", arg=thumbnail.element_handle())
    no_sideways_scroll(page, size)
    shoot(page, f"{size}-{locale}-reinspection")

    username, record_id = visits.fresh
    page = sign_in(new_context(**options), username)
    page.goto(f"/checklist/{record_id}/sign-off")
    listed = page.locator("article.shortfall").evaluate_all("lines => lines.map(l => l.dataset.itemCode)")
    assert listed == ["1.2", "3.1"]
    expect(page.locator("article.shortfall").first).to_contain_text(TAPE_NOTE)
    page.fill("#outlet_representative", "王建国 站长")
    page.locator("#sign-off-form button[type=submit]").click()  # without the confirmation: refused
    expect(page.locator("#outlet_representative")).to_have_value("王建国 站长")
    expect(page.locator(".alert-danger, .invalid-feedback").first).to_be_visible()  # and says why
    no_sideways_scroll(page, size)
    shoot(page, f"{size}-{locale}-sign-off")
