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


def test_the_menu_kept_for_one_reader_is_never_shown_to_another(client):
    """The navbar is built once per role, organisation kind and language (core/navigation.py):
    readers taking turns on one app each get their own, in their own language."""
    postal = make_user(Role.DISTRICT_BUREAU)
    ecology = make_user(Role.DISTRICT_BUREAU, agency=Agency.DISTRICT_ECOLOGY)
    inspector = make_user(Role.INSPECTOR)
    seen = []
    for user, locale in ((postal, None), (ecology, None), (inspector, None), (postal, "en"), (postal, None)):
        login(client, user)  # in place of the one before (signing out would end the account's sessions)
        with client.session_transaction() as session:
            session.pop("locale", None)
            if locale:
                session["locale"] = locale
        html = menu(client)
        seen.append((dropdowns(html), "/outlets/verification" in html))
    assert seen[0] == seen[4] and set(seen[0][0]) == {"监督管理"} and seen[0][1]
    assert set(seen[1][0]) == {"监督管理"} and not seen[1][1]  # the ecology bureau's own menu
    assert seen[2] == ({}, False)  # the inspector's has no drop-down
    assert set(seen[3][0]) == {"Supervision"} and seen[3][1]  # the same reader's menu in English
