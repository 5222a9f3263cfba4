"""On a phone the outlet's history never widens the page, whatever it holds (a file's sha256, a
long file name, a URL in a reason), and its filter shows one kind of event at a time."""

import pytest
from playwright.sync_api import expect

from outlet_audit.audit.operations import record
from outlet_audit.extensions import db
from outlet_audit.roles import Role
from tests.browser.conftest import sign_in
from tests.factories import make_outlet, make_user

pytestmark = pytest.mark.browser

SHA256 = "cbe444d1f0a9e33b7c1d2e3f4a5b6c7d8e9f00112233445566778899aabbccdd"
LONG_FILE = "IMG_20261205_183000_" + "x" * 80 + ".jpg"
LONG_REASON = "地址不一致，见 https://example.gov.cn/verify?id=" + "0123456789abcdef" * 6


def outlet_with_a_long_history(locale: str) -> str:
    """An outlet whose history holds long unbroken values; its user's name."""
    outlet = make_outlet("FX", opening_hours="08:30–19:00")
    user = make_user(Role.OUTLET, outlet=outlet, locale=locale)
    bureau = make_user(Role.DISTRICT_BUREAU, district_code="FX")
    common = {"subject_type": "outlet", "subject_id": outlet.id, "outlet_id": outlet.id}
    record(
        "outlet_updated",
        actor=bureau,
        field="opening_hours",
        old="08:30–19:00",
        new="08:00–20:00",
        reason=f"bulk import, file sha256 {SHA256}",
        **common,
    )
    record(
        "profile_change_requested", actor=user, field="address", old=outlet.address, new=LONG_REASON, **common
    )
    record(
        "profile_change_rejected",
        actor=bureau,
        field="address",
        old=outlet.address,
        new=LONG_REASON,
        reason=LONG_REASON,
        **common,
    )
    record(
        "evidence_uploaded",
        actor=user,
        subject_type="evidence",
        subject_id=1,
        outlet_id=outlet.id,
        field="commitment",
        new=LONG_FILE,
    )
    db.session.commit()
    return user.username


@pytest.mark.parametrize("locale", ["zh_CN", "en"])
def test_the_outlet_profile_is_no_wider_than_a_phone(
    new_context, live_server, shoot, no_server_errors, locale
):
    username = live_server.query(lambda: outlet_with_a_long_history(locale))
    page = sign_in(new_context(phone=True), username)
    page.goto("/outlets/profile")
    expect(page.locator(".timeline-entry").first).to_be_visible()
    shoot(page, f"history-{locale}")
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 390, f"the profile is {width} px wide on a 390 px phone"
    token = page.locator(".audit-token").first
    assert token.get_attribute("title") == SHA256 and token.inner_text() == f"{SHA256[:12]}…"

    page.locator('.timeline-filter label[for="history-kind-evidence"]').click()
    expect(page.locator('.timeline-entry[data-kind="evidence"]')).to_be_visible()
    expect(page.locator('.timeline-entry[data-kind="profile"]').first).to_be_hidden()
    page.locator('.timeline-filter label[for="history-kind-all"]').click()
    expect(page.locator('.timeline-entry[data-kind="profile"]').first).to_be_visible()
