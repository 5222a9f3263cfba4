"""The draft-impact page in a real browser, on a phone (390 px, Chinese) and a desktop (1280 px,
English): the draft is uploaded through the form, the diff and the figures show, and neither the
page nor its tables widen the screen. Nothing is saved (the live server's folder is the repo's)."""

import pytest
from playwright.sync_api import expect

from outlet_audit.extensions import db
from outlet_audit.roles import Role
from tests.browser.conftest import sign_in
from tests.factories import make_outlet, make_user
from tests.impact_helpers import draft_text, holds_certificate, signed_inspection

pytestmark = pytest.mark.browser

FAILING = {"FX": [(), ("1.1",), ("1.3",), ("5.1",)], "QP": [("1.1", "1.2"), ("3.2", "3.3", "4.1")]}


def seed(locale: str) -> str:
    for code, answers in FAILING.items():
        for failing in answers:
            outlet = make_outlet(code)
            signed_inspection(outlet, failing)
            if failing == ("5.1",):
                holds_certificate(outlet)
    admin = make_user(Role.ADMIN, locale=locale)
    db.session.commit()
    return admin.username


@pytest.mark.parametrize(("locale", "phone", "width"), [("zh_CN", True, 390), ("en", False, 1280)])
def test_the_draft_preview_fits_the_screen(
    new_context, live_server, shoot, no_server_errors, tmp_path, locale, phone, width
):
    username = live_server.query(lambda: seed(locale))
    options = {} if phone else {"viewport": {"width": width, "height": 900}}
    page = sign_in(new_context(phone=phone, **options), username)
    page.goto("/admin/criteria/")
    page.click("#draft-impact-link")
    draft = tmp_path / "shanghai-2026-draft.yaml"
    draft.write_text(draft_text(), encoding="utf-8")
    page.set_input_files("#file", str(draft))
    page.click("#draft-upload button")

    expect(page.locator("#impact-levels")).to_be_visible()
    expect(page.locator('#diff-changed tbody[data-item="1.1"]')).to_be_visible()
    expect(page.locator('#impact-districts tr[data-district="QP"]')).to_be_visible()
    shoot(page, f"preview-{width}")
    scroll_width = page.evaluate("document.documentElement.scrollWidth")
    assert scroll_width <= width, f"the preview is {scroll_width} px wide on a {width} px screen"

    page.set_input_files("#file", {"name": "bad.yaml", "mimeType": "text/yaml", "buffer": b"id: &a x\n"})
    page.click("#draft-upload button")
    expect(page.locator("#draft-problems")).to_contain_text("bad.yaml: line 1, column 5")
    shoot(page, f"problems-{width}")
    assert page.evaluate("document.documentElement.scrollWidth") <= width
