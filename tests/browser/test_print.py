"""Pages that print: the commitment letter on one A4 page with its signature block, and printed
pages without the navigation, the buttons or the footer."""

import io
import unicodedata

import pytest
from pypdf import PdfReader

from outlet_audit.extensions import db
from outlet_audit.roles import Role
from tests.browser.conftest import sign_in
from tests.factories import make_application, make_outlet, make_user

pytestmark = pytest.mark.browser


def draft_of_a_long_named_outlet() -> tuple[str, int]:
    outlet = make_outlet(
        "FX",
        name="上海市奉贤区南桥镇百曲村" + "综合" * 10 + "快递服务站",
        address="上海市奉贤区南桥镇江海路" + "1234 弄 56 号 " * 6,
    )
    user = make_user(Role.OUTLET, outlet=outlet)
    application = make_application(outlet)
    db.session.commit()
    return user.username, application.id


def printed(page) -> list[str]:
    """The page as Chromium prints it on A4: the text of each sheet, whitespace removed."""
    page.emulate_media(media="print")
    pdf = page.pdf(format="A4", prefer_css_page_size=True)
    sheets = PdfReader(io.BytesIO(pdf)).pages
    return ["".join(_unradical(sheet.extract_text() or "").split()) for sheet in sheets]


def _unradical(text: str) -> str:
    """The CJK font's glyphs of some characters come back as Kangxi radicals (⽆ for 无)."""
    return "".join(unicodedata.normalize("NFKC", c) if "\u2e80" <= c <= "\u2fdf" else c for c in text)


def test_the_commitment_letter_prints_on_one_page_with_its_signature_block(new_context, live_server):
    username, application_id = live_server.query(draft_of_a_long_named_outlet)
    page = sign_in(new_context(), username)
    page.goto(f"/applications/{application_id}/commitment-letter")
    sheets = printed(page)
    assert len(sheets) == 1, f"the letter prints on {len(sheets)} pages"
    assert "无废快递网点申报承诺书" in sheets[0]
    assert "法定代表人或单位负责人（签字）" in sheets[0] and "申报单位（盖章）" in sheets[0]
    assert "打印" not in sheets[0]  # the screen's instructions and button stay on the screen
    assert "（（" not in sheets[0] and "））" not in sheets[0]  # no brackets inside brackets


@pytest.mark.parametrize("locale", ["zh_CN", "en"])
def test_a_printed_application_has_no_navigation_buttons_or_footer(new_context, live_server, locale):
    username, application_id = live_server.query(draft_of_a_long_named_outlet)
    page = sign_in(new_context(locale="zh-CN" if locale == "zh_CN" else "en-GB"), username)
    page.goto(f"/applications/{application_id}")
    screen = "".join(page.locator("nav.navbar").inner_text().split())
    assert screen  # the navigation is there on screen...
    text = "".join(printed(page))
    footer = "".join(page.locator("footer").inner_text().split())
    assert footer and footer not in text  # ...and neither it nor the footer is printed
    # The language button is in the navigation only (the user's name is also in the history).
    assert "".join(page.locator("nav.navbar form button").first.inner_text().split()) not in text
    assert page.locator("h1").first.inner_text().split()[0] in text


def submitted_by_a_long_named_outlet() -> tuple[str, int, str]:
    outlet = make_outlet(
        "FX",
        name="上海市奉贤区南桥镇百曲村" + "综合" * 10 + "快递服务站",
        address="上海市奉贤区南桥镇江海路" + "1234 弄 56 号 " * 6,
    )
    user = make_user(Role.OUTLET, outlet=outlet)
    application = make_application(outlet, status="submitted")
    db.session.commit()
    return user.username, application.id, application.reference


def test_the_receipt_prints_on_one_page_without_its_buttons(new_context, live_server):
    username, application_id, reference = live_server.query(submitted_by_a_long_named_outlet)
    page = sign_in(new_context(), username)
    page.goto(f"/applications/{application_id}/receipt")
    sheets = printed(page)
    assert len(sheets) == 1, f"the receipt prints on {len(sheets)} pages"
    assert "申报回执" in sheets[0] and reference in sheets[0] and "办理时限" in sheets[0]
    assert "打印" not in sheets[0] and "返回申请" not in sheets[0]  # the screen's tools stay on the screen
