"""Chinese by default; one button switches to English and back, and the choice is remembered:
for the rest of the visit, and for a signed-in person from one sign-in to the next."""

import re

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import sign_in

pytestmark = pytest.mark.browser


def language_of(page) -> str:
    return page.locator("html").get_attribute("lang")


def switch_to(page, locale: str) -> None:
    with page.expect_navigation():
        page.locator(f'button[name="locale"][value="{locale}"]').click()


def sign_out(page) -> None:
    page.locator("#account-menu").click()  # the account menu holds the sign-out button
    with page.expect_navigation():
        page.locator("#sign-out").click()


def test_chinese_first_english_on_request_and_back(new_context, shoot, no_server_errors):
    page = new_context().new_page()
    page.goto("/verify")
    assert language_of(page) == "zh-CN"
    expect(page.locator('button[name="locale"][value="en"]')).to_be_visible()
    shoot(page, "chinese")

    switch_to(page, "en")
    assert language_of(page) == "en" and page.url.endswith("/verify")  # back on the same page
    # An msgid, so English whatever the catalogs hold.
    expect(page).to_have_title(re.compile("Zero-waste express outlets"))
    shoot(page, "english")
    page.goto("/directory")
    assert language_of(page) == "en"  # remembered for the visit

    switch_to(page, "zh_CN")
    assert language_of(page) == "zh-CN"
    page.reload()
    assert language_of(page) == "zh-CN"

    stranger = new_context().new_page()
    stranger.goto("/verify")
    assert language_of(stranger) == "zh-CN"  # one visitor's choice is theirs alone


def test_a_signed_in_persons_choice_follows_them_to_the_next_sign_in(
    new_context, live_server, shoot, no_server_errors
):
    city = live_server.users["city"]
    page = sign_in(new_context(), city)
    assert language_of(page) == "zh-CN"
    switch_to(page, "en")
    assert language_of(page) == "en"
    sign_out(page)

    page = sign_in(new_context(), city)  # another browser: only the account can remember
    assert language_of(page) == "en"
    shoot(page, "remembered-english")
    switch_to(page, "zh_CN")
    sign_out(page)

    page = sign_in(new_context(), city)
    assert language_of(page) == "zh-CN"
    shoot(page, "remembered-chinese")
