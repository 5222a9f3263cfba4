"""The menu folds a group's entries into one drop-down (the bureaus' supervision pages), keeps a
group of one entry a plain link, and shows each reader only what their rule admits."""

import re

import pytest

from outlet_audit.roles import Agency, Role
from tests.factories import login, make_user

SUPERVISION_PAGES = {
    "/supervision/dashboard/",
    "/supervision/checks/",
    "/campaigns",
    "/complaints/",
    "/revocation-cases/",
    "/yearly-self-checks/",
}


def menu(client) -> str:
    page = client.get("/", follow_redirects=True).get_data(as_text=True)
    return page[page.index('<ul class="navbar-nav') : page.index("</ul>\n      <div")]


def dropdowns(html: str) -> dict[str, set[str]]:
    """Each drop-down's label and the links inside it."""
    found = {}
    for label, body in re.findall(
        r'data-bs-toggle="dropdown" aria-expanded="false">([^<]+)</a>\s*<ul class="dropdown-menu">(.*?)</ul>',
        html,
        re.S,
    ):
        found[label] = set(re.findall(r'href="([^"]+)"', body))
    return found


@pytest.mark.parametrize("role", [Role.DISTRICT_BUREAU, Role.CITY_BUREAU])
def test_a_postal_bureau_finds_supervision_in_one_drop_down(client, english_ui, role):
    login(client, make_user(role))
    groups = dropdowns(menu(client))
    assert set(groups) == {"Supervision"}
    assert {link.split("?")[0] for link in groups["Supervision"]} == SUPERVISION_PAGES


def test_the_ecology_bureau_finds_only_what_it_may_read(client, english_ui):
    login(client, make_user(Role.DISTRICT_BUREAU, agency=Agency.DISTRICT_ECOLOGY))
    html = menu(client)
    links = dropdowns(html)["Supervision"]
    # every supervision page is read jointly (acting on them is the postal bureau's, on the pages)
    assert {link.split("?")[0] for link in links} == SUPERVISION_PAGES
    assert 'href="/applications/approvals"' in html  # its own work stays a plain link
    # the verification queue and the exports are the postal bureau's alone
    assert "/outlets/verification" not in html and "/dashboard/exports" not in html


def test_the_postal_bureau_still_has_its_own_pages_as_links(client, english_ui):
    login(client, make_user(Role.DISTRICT_BUREAU))
    html = menu(client)
    assert 'href="/outlets/verification"' in html and 'href="/dashboard/exports"' in html


def test_an_outlet_and_an_inspector_have_no_drop_down(client, english_ui):
    for user in (make_user(Role.OUTLET), make_user(Role.INSPECTOR)):
        login(client, user)
        html = menu(client)
        assert dropdowns(html) == {}
        client.post("/logout")


def test_the_drop_down_is_in_chinese_by_default(client):
    login(client, make_user(Role.DISTRICT_BUREAU))
    assert set(dropdowns(menu(client))) == {"监督管理"}
