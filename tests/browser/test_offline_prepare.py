"""An inspector prepares a visit at the office, fills it in a sorting hall with no signal at all
(the page itself comes from the phone), closes the browser, and everything reaches the server
when the connection returns: every answer, and every photo with the very bytes taken."""

import hashlib
from contextlib import ExitStack, closing

import pytest
from playwright.sync_api import Error as PlaywrightError
from playwright.sync_api import expect
from sqlalchemy import select

from outlet_audit.checklist.models import Answer
from outlet_audit.criteria.editions import active_edition
from outlet_audit.evidence.models import Evidence
from outlet_audit.extensions import db
from tests.browser.conftest import CHROMIUM_ARGS, PHONE, TIMEOUT_MS, sign_in
from tests.browser.journey_steps import answer_item, make_photo
from tests.workflow_helpers import best_value

pytestmark = pytest.mark.browser


@pytest.fixture
def phone(browser, chromium_path, live_server, tmp_path):
    """Open the same phone browser again and again: one profile on disk, as a real phone keeps it."""
    with ExitStack() as opened:

        def launch():
            context = opened.enter_context(
                closing(
                    browser.browser_type.launch_persistent_context(
                        str(tmp_path / "profile"),
                        executable_path=chromium_path,
                        args=CHROMIUM_ARGS,
                        headless=True,
                        base_url=live_server.url,
                        **PHONE,
                    )
                )
            )
            context.set_default_timeout(TIMEOUT_MS)
            return context

        yield launch


def server_state(live_server, assessment_id: int):
    def read():
        answers = dict(
            db.session.execute(
                select(Answer.item_code, Answer.value).where(Answer.assessment_id == assessment_id)
            ).all()
        )
        hashes = sorted(
            db.session.scalars(
                select(Evidence.original_sha256).where(Evidence.assessment_id == assessment_id)
            )
        )
        return answers, hashes

    return live_server.query(read)


def test_a_prepared_visit_is_filled_offline_and_sent_after_the_browser_was_closed(
    phone, live_server, inspection, shoot, no_server_errors, tmp_path, signal
):
    edition = live_server.query(active_edition)
    checklist_url = f"/checklist/{inspection}"
    context = phone()
    page = sign_in(context, live_server.users["second_inspector"])
    page.goto("/applications/assignments")
    visit = page.locator(f'[data-offline-visit][data-url="{checklist_url}"]')
    visit.locator("[data-prepare]").click()
    expect(visit).to_have_attribute("data-prepared", "true")
    expect(page.locator("[data-storage]")).not_to_be_empty()
    shoot(page, "visit-prepared")

    signal(context, False)
    other = context.new_page()
    with pytest.raises(PlaywrightError):
        other.goto("/applications/assignments")  # not prepared: network only, nothing else is kept
    other.close()
    page.goto(checklist_url)  # the phone's copy
    banner = page.locator("#save-banner")
    total = int(page.locator("[data-progress-total]").first.inner_text())
    expect(page.locator("[data-progress-answered]")).to_have_text("0")
    expect(page.locator("a.bar-signoff")).to_have_attribute("aria-disabled", "true")
    expect(page.locator("[data-signoff-offline]")).to_be_visible()

    codes = page.eval_on_selector_all(
        '[data-answer-type]:not([data-condition-met="false"])', "els => els.map(e => e.dataset.itemCode)"
    )
    for code in codes:
        answer_item(page, edition.item(code), best_value(edition.item(code)))
    expect(banner).to_have_attribute("data-pending", str(len(codes)))
    expect(banner).to_have_attribute("data-state", "offline")
    expect(page.locator("[data-progress-answered]")).to_have_text(str(total))

    photos = [make_photo(tmp_path, f"shelf-{n}", n) for n in range(3)]
    photo_items = codes[:2]
    for index, path in enumerate(photos):
        item = page.locator(f'[data-item-code="{photo_items[index % 2]}"]')
        item.locator("input[data-evidence-input]").last.set_input_files(str(path))
    expect(banner).to_have_attribute("data-waiting-files", "3")
    expect(page.locator(".queued-file")).to_have_count(3)
    expect(page.locator(f'[data-item-code="{photo_items[0]}"]')).to_have_attribute("data-waiting-files", "2")
    expect(page.locator("[data-waiting-text]")).to_contain_text(str(len(codes)))
    expect(page.locator("[data-waiting-text]")).to_contain_text("3")
    shoot(page, "filled-offline")
    assert server_state(live_server, inspection) == ({}, [])
    context.close()  # the browser is closed, on the phone everything waits

    context = phone()
    signal(context, False)
    page = context.new_page()
    page.goto(checklist_url)  # still no signal: the copy opens again, with what waits
    banner = page.locator("#save-banner")
    expect(banner).to_have_attribute("data-pending", str(len(codes)))
    expect(banner).to_have_attribute("data-waiting-files", "3")
    expect(page.locator(".queued-file img")).to_have_count(3)
    expect(page.locator("[data-progress-answered]")).to_have_text(str(total))

    signal(context, True)
    page.close()
    page = sign_in(context, live_server.users["second_inspector"])  # the browser forgot the session
    page.goto(checklist_url)
    banner = page.locator("#save-banner")
    expect(banner).to_have_attribute("data-loaded", "true")  # what the phone keeps is on the page
    expect(banner).to_have_attribute("data-state", "saved")
    expect(banner).to_have_attribute("data-waiting-files", "0")
    expect(page.locator(".queued-file")).to_have_count(0)
    expect(page.locator("a.bar-signoff")).to_have_attribute("aria-disabled", "false")
    expect(page.locator("[data-progress-answered]")).to_have_text(str(total))
    shoot(page, "all-sent")

    answers, hashes = server_state(live_server, inspection)
    assert set(answers) == set(codes)
    assert hashes == sorted(hashlib.sha256(path.read_bytes()).hexdigest() for path in photos)
    assert page.evaluate("() => Promise.all([OAStore.all('answers'), OAStore.all('files')])") == [[], []]


def test_a_refused_file_stays_on_the_phone_with_the_reason_and_signing_out_forgets_the_pages(
    new_context, live_server, inspection, shoot, no_server_errors
):
    checklist_url = f"/checklist/{inspection}"
    context = new_context(phone=True)
    page = sign_in(context, live_server.users["second_inspector"])
    page.goto("/applications/assignments")
    visit = page.locator(f'[data-offline-visit][data-url="{checklist_url}"]')
    visit.get_by_role("button", name="准备离线使用：奉贤金汇中通网点").click()  # says which visit
    expect(visit).to_have_attribute("data-prepared", "true")
    kept_script = """async (replacement) => {
      const cache = await caches.open("oa-assets");
      const key = (await cache.keys()).find((request) => request.url.endsWith("/static/js/checklist.js"));
      if (replacement) await cache.put(key, new Response(replacement));
      return (await cache.match(key)).text();
    }"""
    page.evaluate(kept_script, "/* the previous deployment's script */")

    page.goto(checklist_url)  # online: the phone's copies of its assets are brought up to date too
    for _ in range(50):
        if not page.evaluate(kept_script, None).startswith("/* the previous"):
            break
        page.wait_for_timeout(100)
    assert "OAOffline" in page.evaluate(kept_script, None)
    code = page.locator("[data-answer-type]").first.get_attribute("data-item-code")
    item = page.locator(f'[data-item-code="{code}"]')
    item.locator("input[data-evidence-input]").last.set_input_files(
        {"name": "shelf.jpg", "mimeType": "image/jpeg", "buffer": b"not a photo at all"}
    )
    queued = item.locator(".queued-file")
    expect(queued).to_have_attribute("data-file-state", "failed")
    expect(queued.locator("[data-queued-state]")).to_contain_text("shelf.jpg")  # the server's reason
    banner = page.locator("#save-banner")
    expect(banner).to_have_attribute("data-state", "problem")
    expect(banner).to_have_attribute("data-failed-files", "1")
    shoot(page, "refused-file-kept")
    page.reload()  # still there, still refused: nothing is dropped without the inspector
    expect(queued).to_have_attribute("data-file-state", "failed")
    page.once("dialog", lambda dialog: dialog.accept())
    item.get_by_role("button", name="移除：shelf.jpg").click()  # says which file
    expect(item.locator(".queued-file")).to_have_count(0)
    expect(banner).to_have_attribute("data-state", "saved")
    assert page.evaluate("() => OAStore.all('files')") == []

    page.locator("form[action='/logout'] button").first.evaluate("button => button.form.submit()")
    page.wait_for_url("**/login")
    kept = page.evaluate(
        """async () => {
          const names = (await caches.keys()).filter((name) => name.startsWith("oa-user-"));
          const db = await new Promise((done) => {
            indexedDB.open("outlet-audit").onsuccess = (e) => done(e.target.result);
          });
          const count = await new Promise((done) => {
            const store = db.transaction("prepared").objectStore("prepared");
            store.count().onsuccess = (e) => done(e.target.result);
          });
          return [names, count];
        }"""
    )
    assert kept == [[], 0]  # the login page loads no script of ours: read the stores directly


def test_a_visit_taken_from_the_inspector_leaves_the_phone_at_the_next_answer_from_the_server(
    new_context, live_server, inspection, shoot, signal
):
    from outlet_audit.accounts.models import User
    from outlet_audit.checklist.models import Assessment
    from outlet_audit.workflow.models import Application

    checklist_url = f"/checklist/{inspection}"
    context = new_context(phone=True)
    page = sign_in(context, live_server.users["second_inspector"])
    page.goto("/applications/assignments")
    visit = page.locator(f'[data-offline-visit][data-url="{checklist_url}"]')
    visit.locator("[data-prepare]").click()
    expect(visit).to_have_attribute("data-prepared", "true")
    kept = """async (path) => {
      for (const name of await caches.keys()) {
        if (name.startsWith("oa-user-") && (await (await caches.open(name)).match(path))) return true;
      }
      return false;
    }"""
    assert page.evaluate(kept, checklist_url)

    def take_off_the_visit():
        assessment = db.session.get(Assessment, inspection)
        inspector = db.session.scalar(
            select(User).where(User.username == live_server.users["second_inspector"])
        )
        application = db.session.get(Application, assessment.application_id)
        application.inspectors.remove(inspector)
        db.session.commit()

    live_server.query(take_off_the_visit)
    answer = page.goto(checklist_url)  # online: the server's refusal, not the phone's copy
    assert answer.status in (403, 404)
    page.wait_for_function(f"() => ({kept})({checklist_url!r}).then((found) => !found)")
    shoot(page, "visit-taken-away")
    signal(context, False)
    with pytest.raises(PlaywrightError):
        page.goto(checklist_url)  # nothing left on the phone to show
