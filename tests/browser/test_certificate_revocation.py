"""Revoking a city-level certificate, as the people do it in the browser: the district postal
bureau proposes (it has no revoke form), the city bureau finds the proposal in its menu and
declines it, the district reads why; the district proposes again, the city revokes as proposed,
and the outlet reads which organisation revoked its certificate and why. On a phone and a desk,
in Chinese and in English; no page is wider than the phone."""

import pytest
from playwright.sync_api import expect

from outlet_audit.extensions import db
from outlet_audit.roles import Role
from tests.browser.conftest import sign_in
from tests.factories import cast_for, certify, make_outlet, make_user

pytestmark = pytest.mark.browser

FIRST_REASONS = "区局复查发现网点使用不可降解胶带，整改通知书逾期未落实。"
DECLINED_BECAUSE = "经市局核查，网点已于本月完成整改，不予撤销。"
SECOND_REASONS = "区局再次抽查：网点已停业，无法继续履行无废快递网点要求。"
REVOKED_BECAUSE = "市局核实网点已停业，同意撤销。"


def city_certificate(locale: str) -> dict:
    """A Fengxian outlet certified at city level; its people (speaking `locale`) by role."""
    outlet = make_outlet("FX", name="奉贤南桥镇百曲村综合快递服务站")
    people = {
        "outlet": make_user(Role.OUTLET, outlet=outlet, locale=locale),
        "district": make_user(Role.DISTRICT_BUREAU, district_code="FX", locale=locale, display_name="张伟"),
        "city": make_user(Role.CITY_BUREAU, locale=locale, display_name="李明"),
    }
    cast = cast_for(outlet, outlet_user=people["outlet"], bureau=people["district"], city=people["city"])
    certificate = certify(outlet, "city", cast=cast)
    db.session.commit()
    return {"certificate": certificate.id, **{role: user.username for role, user in people.items()}}


def no_wider_than(page, width: int) -> None:
    """The page fits: on a phone all of it; on a desk its content (the bureaus' menu bar in English
    is wider than 1280 px whatever the page: a matter of the menu, not of these pages)."""
    part = "document.documentElement" if width < 576 else "document.querySelector('main')"
    scroll = page.evaluate(f"{part}.scrollWidth")
    assert scroll <= width, f"{page.url} is {scroll} px wide on a {width} px screen"


@pytest.mark.parametrize(
    "locale, phone", [("zh_CN", True), ("zh_CN", False), ("en", True), ("en", False)], ids=str
)
def test_a_district_proposes_and_the_city_decides(
    new_context, live_server, shoot, no_server_errors, locale, phone
):
    made = live_server.query(lambda: city_certificate(locale))
    url = f"/certificates/{made['certificate']}"
    width = 390 if phone else 1280
    options = {} if phone else {"viewport": {"width": 1280, "height": 900}}

    district = sign_in(new_context(phone=phone, **options), made["district"])
    district.goto(url)
    expect(district.locator('[data-act="propose_revocation"]')).to_be_visible()
    expect(district.locator('[data-act="revoke"]')).to_have_count(0)
    district.fill("#reasons", FIRST_REASONS)
    shoot(district, f"{locale}-{width}-district-proposes")
    district.locator('[data-act="propose_revocation"] [type="submit"]').click()
    expect(district.locator('[data-proposals] [data-outcome="open"]')).to_be_visible()
    expect(district.locator('[data-act="propose_revocation"]')).to_have_count(0)  # one open at a time
    no_wider_than(district, width)

    city = sign_in(new_context(phone=phone, **options), made["city"])
    city.goto("/certificates/revocation-proposals")
    shoot(city, f"{locale}-{width}-city-proposals")
    no_wider_than(city, width)
    city.locator('[data-proposals] [data-outcome="open"] a').first.click()
    expect(city.locator('[data-act="decide_proposal"]')).to_be_visible()
    expect(city.locator('[data-act="decide_proposal"]')).to_contain_text(FIRST_REASONS)
    city.check('input[name="decision"][value="declined"]')
    city.fill("#decision_reason", DECLINED_BECAUSE)
    shoot(city, f"{locale}-{width}-city-decides")
    no_wider_than(city, width)
    city.locator('[data-act="decide_proposal"] [type="submit"]').click()
    expect(city.locator('[data-proposals] [data-outcome="declined"]')).to_contain_text(DECLINED_BECAUSE)

    district.goto("/notifications/")
    expect(district.locator("main")).to_contain_text(DECLINED_BECAUSE)
    expect(district.locator("main")).to_contain_text("李明")
    shoot(district, f"{locale}-{width}-district-told")
    no_wider_than(district, width)

    district.goto(url)
    district.fill("#reasons", SECOND_REASONS)
    district.locator('[data-act="propose_revocation"] [type="submit"]').click()
    city.goto(url)
    city.check('input[name="decision"][value="revoked"]')  # accepted: notice first, the outlet answers
    city.fill("#decision_reason", REVOKED_BECAUSE)
    city.select_option("#ground", "spot_check_failed")
    city.fill("#evidence", "区局复查记录。")
    city.locator('[data-act="decide_proposal"] [type="submit"]').click()
    expect(city.locator('[data-status="notified"]')).to_be_visible()
    expect(city.locator("[data-grounds]")).to_contain_text(SECOND_REASONS)
    shoot(city, f"{locale}-{width}-city-serves-notice")
    no_wider_than(city, width)

    outlet = sign_in(new_context(phone=phone, **options), made["outlet"])
    outlet.goto(url)
    expect(outlet.locator("[data-open-case]")).to_be_visible()
    outlet.locator("[data-open-case] a").click()
    expect(outlet.locator('[data-act="state_case"]')).to_be_visible()
    expect(outlet.locator("[data-notice-pdf]")).to_be_visible()
    shoot(outlet, f"{locale}-{width}-outlet-states-its-case")
    no_wider_than(outlet, width)
