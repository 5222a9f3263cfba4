"""Every page type, as each role opens it, in Chinese and English: never wider than a 390 px phone
however long the values it shows (an unbroken name, address, manager, opening hours), and with no
serious or critical accessibility violation found by axe-core (the engine shipped in the pinned
axe-playwright-python package: no download, no Node) at 390 px and 1280 px. And the daily work
the bureau and the outlet do, photographed at both widths in both languages.

The records are made by the real operations, their free text as long as the columns allow and in
one unbroken run of Latin letters and digits that a browser could not wrap by itself.
"""

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import expect
from sqlalchemy import update

from outlet_audit.accounts.models import User
from outlet_audit.checklist.kinds import AssessmentKind
from outlet_audit.checklist.service import assessment_of
from outlet_audit.core.time import clock_at
from outlet_audit.extensions import db
from outlet_audit.roles import Role
from outlet_audit.workflow.states import Status
from tests.browser.conftest import SCREENSHOT_DIR, sign_in
from tests.certificate_helpers import make_certified
from tests.factories import make_application, make_outlet, make_user

pytestmark = pytest.mark.browser

UNBROKEN = "SFExpressNanqiaoService" + "0123456789ABCDEF" * 6  # 119 characters, nowhere to wrap
IMPACTS = ("serious", "critical")  # what must not be found
DESKTOP = {"viewport": {"width": 1280, "height": 900}}
LOCALES = ["zh_CN", "en"]


def long_outlet(tag: str):
    return make_outlet(
        "FX",
        name=f"奉贤{tag}网点{UNBROKEN}"[:200],
        address=f"上海市奉贤区南桥镇{UNBROKEN}{UNBROKEN}"[:300],
        manager=("Manager" + UNBROKEN)[:50],
        opening_hours=("Open" + UNBROKEN)[:100],
    )


@dataclass(frozen=True)
class World:
    readers: dict  # who (as PAGES names them) -> username
    certified_id: int  # the certified outlet's approved application
    certificate_id: int
    certificate_number: str
    inspection_id: int
    self_id: int
    submitted_id: int  # the waiting outlet's application, submitted
    outlet_id: int


def make_world() -> World:
    certified = make_certified(long_outlet("甲"))
    waiting_outlet = long_outlet("乙")
    waiting_user = make_user(Role.OUTLET, outlet=waiting_outlet)
    submitted = make_application(waiting_outlet, status=Status.SUBMITTED)
    with clock_at(datetime.now(UTC).replace(tzinfo=None) - timedelta(days=40)):  # overdue in the queue
        make_application(make_outlet("FX", name="奉贤超期网点"), status=Status.ACCEPTED)
    readers = {
        "outlet": certified.outlet_user,
        "waiting": waiting_user,
        "inspector": certified.inspector,
        "bureau": certified.bureau,
        "city": make_user(Role.CITY_BUREAU),
        "admin": make_user(Role.ADMIN),
    }
    db.session.commit()
    return World(
        readers={who: user.username for who, user in readers.items()},
        certified_id=certified.application.id,
        certificate_id=certified.certificate.id,
        certificate_number=certified.certificate.number,
        inspection_id=certified.inspection.id,
        self_id=assessment_of(certified.application, AssessmentKind.SELF).id,
        submitted_id=submitted.id,
        outlet_id=certified.outlet.id,
    )


# (who, the page): "outlet" holds the certificate, "inspector" inspected it, "bureau" is its district
# postal bureau, "waiting" waits for acceptance (World.readers); None: anyone, not signed in.
PAGES = (
    (None, "/login"),
    (None, "/register"),
    (None, "/verify/{certificate_number}"),
    (None, "/directory"),
    ("outlet", "/applications/"),
    ("outlet", "/applications/{certified_id}"),
    ("outlet", "/applications/{certified_id}/receipt"),
    ("outlet", "/applications/{certified_id}/commitment-letter"),
    ("outlet", "/checklist/{self_id}"),
    ("outlet", "/checklist/applications/{certified_id}/result"),
    ("outlet", "/certificates/"),
    ("outlet", "/certificates/{certificate_id}"),
    ("outlet", "/applications/new"),
    ("outlet", "/applications/new?renew={certificate_id}"),  # outside the renewal window: says when
    ("outlet", "/outlets/profile"),
    ("outlet", "/outlet/people"),
    ("outlet", "/notifications/"),
    ("outlet", "/account/password"),
    ("waiting", "/applications/{submitted_id}"),
    ("waiting", "/applications/{submitted_id}/receipt"),
    ("bureau", "/applications/queue"),
    ("bureau", "/applications/queue?status=all&sort=-outlet&submitted_from=nonsense"),  # an error shown
    ("bureau", "/applications/approvals"),
    ("bureau", "/applications/{submitted_id}"),
    ("bureau", "/outlets/verification"),
    ("bureau", "/outlets/{outlet_id}"),
    ("bureau", "/certificates/{certificate_id}"),
    ("bureau", "/dashboard/"),
    ("bureau", "/dashboard/import"),
    ("bureau", "/dashboard/exports"),
    ("bureau", "/invitations"),
    ("inspector", "/applications/assignments"),
    ("inspector", "/checklist/{inspection_id}"),
    ("city", "/applications/queue"),
    ("city", "/dashboard/"),
    ("admin", "/admin/users"),
    ("admin", "/admin/criteria/"),
    ("admin", "/admin/audit/"),
    ("admin", "/admin/audit/?person=fx&kind=nonsense&date_from=2026-13-01"),  # errors shown, kept
)


@pytest.fixture(scope="module")
def world(live_server):
    return live_server.query(make_world)


def speak(live_server, world: World, locale: str) -> None:
    """Set the language of the world's readers (an account's own choice is what the pages follow)."""

    def set_locale():
        db.session.execute(
            update(User).where(User.username.in_(world.readers.values())).values(locale=locale)
        )
        db.session.commit()

    live_server.query(set_locale)


def anyone(context, locale: str):
    """A page of a reader not signed in, who chose the language with the menu's button."""
    page = context.new_page()
    page.goto("/login")
    if locale != "zh_CN":
        with page.expect_navigation():
            # (on a phone the button is in the folded menu)
            page.locator(f'button[name="locale"][value="{locale}"]').evaluate("button => button.click()")
    return page


def pages_of(locale: str, phone: bool, new_context, live_server, world: World):
    """Each page of PAGES opened by its reader in `locale`: (who, path, page)."""
    speak(live_server, world, locale)
    readers = {}
    for who, template in PAGES:
        if who not in readers:
            context = new_context(phone=phone, **({} if phone else DESKTOP))
            readers[who] = anyone(context, locale) if who is None else sign_in(context, world.readers[who])
        page = readers[who]
        path = template.format(**vars(world))
        response = page.goto(path)
        status = response.status if response is not None else None
        assert status == 200, f"{who} {path}: HTTP {status}"
        expected = "en" if locale == "en" else "zh-CN"
        assert page.locator("html").get_attribute("lang") == expected, f"{who} {path} is not in {locale}"
        yield who, path, page


# The innermost elements reaching past the phone's width (a phone widens its layout viewport to
# the content, so the test compares with 390, not with innerWidth).
WIDEST = """() => [...document.querySelectorAll('body *')]
    .filter(e => e.getBoundingClientRect().right > 391
        && ![...e.children].some(c => c.getBoundingClientRect().right > 391))
    .slice(0, 3).map(e => e.tagName.toLowerCase() + [...e.classList].map(c => '.' + c).join(''))"""


@pytest.mark.parametrize("locale", LOCALES)
def test_no_page_is_wider_than_a_phone_with_long_unbroken_values(
    new_context, live_server, world, no_server_errors, locale
):
    too_wide = []
    for who, path, page in pages_of(locale, True, new_context, live_server, world):
        width = page.evaluate("document.documentElement.scrollWidth")
        if width > 390:
            too_wide.append(f"{who} {path}: {width} px ({', '.join(page.evaluate(WIDEST))})")
    assert too_wide == [], "pages wider than a 390 px phone:\n" + "\n".join(too_wide)


def serious_violations(page) -> list[str]:
    results = Axe().run(page)
    return [
        f"{violation['id']} ({violation['impact']}): {violation['help']} — "
        + "; ".join(_node(node) for node in violation["nodes"][:4])
        for violation in results.response["violations"]
        if violation["impact"] in IMPACTS
    ]


def _node(node: dict) -> str:
    """Where, and for a contrast the colours and the ratio found."""
    checks = [check.get("data") for check in node.get("any", [])]
    data = next((found for found in checks if isinstance(found, dict) and "fgColor" in found), None)
    colours = f" {data['fgColor']} on {data['bgColor']} = {data['contrastRatio']}" if data else ""
    return " ".join(node["target"]) + colours


@pytest.mark.parametrize("locale", LOCALES)
@pytest.mark.parametrize("phone", [True, False], ids=["390px", "1280px"])
def test_axe_finds_no_serious_accessibility_violation(
    new_context, live_server, world, no_server_errors, locale, phone
):
    found = []
    for who, path, page in pages_of(locale, phone, new_context, live_server, world):
        found += [f"{who} {path}: {violation}" for violation in serious_violations(page)]
        width = page.evaluate("document.documentElement.scrollWidth")
        if not phone and width > 1280:  # the phone's width has its own test, with the culprits
            found.append(f"{who} {path}: {width} px wide on a 1280 px screen")
    assert found == [], "axe-core found:\n" + "\n".join(found)


@pytest.mark.parametrize("locale", LOCALES)
@pytest.mark.parametrize("phone", [True, False], ids=["390px", "1280px"])
def test_daily_work_as_people_see_it(new_context, live_server, world, shoot, no_server_errors, locale, phone):
    """The queue (its filters folded on a phone, open on a desk), a confirmation asked once, the
    receipt and the administrator's audit log, each photographed (test-artifacts/screenshots/)."""
    speak(live_server, world, locale)
    size = "phone" if phone else "desk"
    options = {} if phone else DESKTOP

    bureau = sign_in(new_context(phone=phone, **options), world.readers["bureau"])
    bureau.goto("/applications/queue?reset=1")
    filters = bureau.locator("#queue-filters form")
    if phone:
        expect(filters).to_be_hidden()
        shoot(bureau, f"queue-{size}-{locale}")
        bureau.locator("#queue-filters summary").click()
    expect(filters).to_be_visible()
    shoot(bureau, f"queue-filters-{size}-{locale}")

    bureau.goto(f"/applications/{world.submitted_id}")
    final = bureau.locator('button[name="action"][value="accept"]')
    expect(final).to_be_hidden()  # the first click opens the question; it does not accept
    bureau.locator("#action-accept summary").click()
    expect(final).to_be_visible()
    expect(bureau.locator("#consequence-accept")).to_be_visible()
    bureau.locator("#actions-title").scroll_into_view_if_needed()
    SCREENSHOT_DIR.mkdir(parents=True, exist_ok=True)  # the screen as the bureau sees it, not the page
    bureau.screenshot(path=SCREENSHOT_DIR / f"daily_work-accept-asked-{size}-{locale}.png")

    outlet = sign_in(new_context(phone=phone, **options), world.readers["waiting"])
    outlet.goto(f"/applications/{world.submitted_id}/receipt")
    expect(outlet.locator(".receipt")).to_be_visible()
    shoot(outlet, f"receipt-{size}-{locale}")

    admin = sign_in(new_context(phone=phone, **options), world.readers["admin"])
    admin.goto("/admin/audit/")
    expect(admin.locator("table.audit-log tbody tr").first).to_be_visible()
    shoot(admin, f"audit-log-{size}-{locale}")
