"""Sorting halls have poor signal: answers given while the network is cut are kept on the phone,
shown as not yet saved, and sent when the network returns, even after the page was closed."""

import time

import pytest
from playwright.sync_api import expect
from sqlalchemy import func, select

from outlet_audit.checklist.models import Answer
from outlet_audit.criteria.editions import active_edition
from outlet_audit.evidence.models import Evidence
from outlet_audit.extensions import db
from tests.browser.conftest import sign_in
from tests.browser.journey_steps import answer_item, make_photo

pytestmark = pytest.mark.browser


def stored_answers(live_server, assessment_id: int) -> dict[str, str]:
    return live_server.query(
        lambda: dict(
            db.session.execute(
                select(Answer.item_code, Answer.value).where(Answer.assessment_id == assessment_id)
            ).all()
        )
    )


def kept_on_phone(page) -> int:
    """How many answers wait in the phone's IndexedDB queue."""
    return page.evaluate("() => OAStore.all('answers').then((rows) => rows.length)")


def wait_until_nothing_kept(page) -> None:
    """The page marks an item saved on the server's reply, then deletes its queued copy from
    IndexedDB (a write of its own, a moment later): wait for that, rather than read it at once."""
    page.wait_for_function("() => OAStore.all('answers').then((rows) => rows.length === 0)")


def item(page, code: str):
    return page.locator(f'[data-item-code="{code}"]')


def test_answers_made_offline_are_kept_and_sent_when_the_network_returns(
    new_context, live_server, inspection, shoot, no_server_errors, signal
):
    edition = live_server.query(active_edition)
    context = new_context(phone=True)
    page = sign_in(context, live_server.users["second_inspector"])
    page.goto(f"/checklist/{inspection}")
    banner = page.locator("#save-banner")

    answer_item(page, edition.item("1.1"), True)  # online: saved at once
    expect(item(page, "1.1")).to_have_attribute("data-answered", "true")
    expect(banner).to_have_attribute("data-state", "saved")

    signal(context, False)
    answer_item(page, edition.item("1.2"), True)
    answer_item(page, edition.item("2.1"), 96)
    for code in ("1.2", "2.1"):
        expect(item(page, code)).to_have_attribute("data-save-state", "pending")
    expect(banner).to_have_attribute("data-state", "offline")
    expect(banner).to_have_attribute("data-pending", "2")
    shoot(page, "offline-two-answers-kept")
    assert set(stored_answers(live_server, inspection)) == {"1.1"}  # nothing reached the server

    signal(context, True)  # the browser's "online" event sends what was kept
    for code in ("1.2", "2.1"):
        expect(item(page, code)).to_have_attribute("data-save-state", "saved")
    expect(banner).to_have_attribute("data-state", "saved")
    shoot(page, "back-online-all-saved")
    stored = stored_answers(live_server, inspection)
    assert stored["1.2"] == "true" and stored["2.1"] == "96"


def test_answers_kept_offline_survive_closing_the_page(
    new_context, live_server, inspection, shoot, no_server_errors, signal
):
    edition = live_server.query(active_edition)
    context = new_context(phone=True)
    page = sign_in(context, live_server.users["second_inspector"])
    page.goto(f"/checklist/{inspection}")

    signal(context, False)
    answer_item(page, edition.item("3.1"), "B")
    answer_item(page, edition.item("5.2"), 3)
    expect(page.locator("#save-banner")).to_have_attribute("data-pending", "2")
    assert kept_on_phone(page) == 2  # on the device (IndexedDB), not only in the page's memory
    page.close()
    assert stored_answers(live_server, inspection) == {}

    signal(context, True)
    page = context.new_page()
    page.goto(f"/checklist/{inspection}")  # the page sends what an earlier visit left unsent
    for code in ("3.1", "5.2"):
        expect(item(page, code)).to_have_attribute("data-save-state", "saved")
        expect(item(page, code)).to_have_attribute("data-answered", "true")
    expect(page.locator("#save-banner")).to_have_attribute("data-state", "saved")
    shoot(page, "sent-after-reopening")
    assert stored_answers(live_server, inspection) == {"3.1": '"B"', "5.2": "3"}
    wait_until_nothing_kept(page)


def test_answers_queued_by_the_earlier_page_in_local_storage_are_moved_and_sent(
    new_context, live_server, inspection, no_server_errors
):
    context = new_context(phone=True)
    page = sign_in(context, live_server.users["second_inspector"])
    page.goto(f"/checklist/{inspection}")
    old = {"code": "1.1", "answer": {"value": "yes", "not_applicable": False, "note": "旧版暂存"}}
    page.evaluate(
        "([key, entry]) => localStorage.setItem(key, JSON.stringify(entry))",
        [f"outlet-audit:checklist:{inspection}:1.1", {**old, "base": 0, "seq": 1, "state": "pending"}],
    )
    page.reload()
    # The page is drawn "saved" (nothing of the server's is unsaved); "answered" turns true only
    # when the server has replied to the moved answer's save, so wait for that, not the first.
    expect(item(page, "1.1")).to_have_attribute("data-answered", "true")
    expect(item(page, "1.1")).to_have_attribute("data-save-state", "saved")
    assert stored_answers(live_server, inspection) == {"1.1": "true"}
    assert page.evaluate("Object.keys(window.localStorage).length") == 0
    wait_until_nothing_kept(page)


def test_a_full_phone_is_said_at_once_and_the_photo_is_still_sent_from_the_open_page(
    new_context, live_server, inspection, tmp_path, no_server_errors, signal
):
    context = new_context(phone=True)
    context.add_init_script(
        """const put = IDBObjectStore.prototype.put;
        IDBObjectStore.prototype.put = function (value) {
          const full = new DOMException("The quota has been exceeded.", "QuotaExceededError");
          if (this.name === "files") throw full;
          return put.apply(this, arguments);
        };"""
    )
    page = sign_in(context, live_server.users["second_inspector"])
    page.goto(f"/checklist/{inspection}")
    signal(context, False)
    item(page, "1.1").locator("input[data-evidence-input]").last.set_input_files(
        str(make_photo(tmp_path, "shelf", 1))
    )
    alert = page.locator("[data-quota-alert]")
    expect(alert).to_be_visible()
    expect(alert).to_have_attribute("data-reason", "quota")
    expect(page.locator("#save-banner")).to_have_attribute("data-waiting-files", "1")

    signal(context, True)  # kept in the open page, so it still goes out
    expect(page.locator("#save-banner")).to_have_attribute("data-waiting-files", "0")
    expect(item(page, "1.1").locator("[data-evidence-id]")).to_have_count(1)
    expect(alert).to_be_hidden()


def test_a_proxy_refusal_and_a_failing_server_are_said_as_such_and_nothing_is_held_back(
    new_context, live_server, inspection, tmp_path, no_server_errors
):
    """A 413 page from a proxy in front of the app is that file's refusal (not a sign-out that stops
    every other send); a 503 is the server failing, not "no connection"; both files stay on the phone."""
    edition = live_server.query(active_edition)
    context = new_context(phone=True)
    page = sign_in(context, live_server.users["second_inspector"])
    page.goto(f"/checklist/{inspection}")
    proxy = {"answer": (413, "<html><h1>413 Request Entity Too Large</h1><hr>nginx</html>")}

    def upload(route):
        if proxy["answer"] is None:
            return route.continue_()
        status, body = proxy["answer"]
        return route.fulfill(status=status, content_type="text/html", body=body)

    page.route("**/evidence/assessments/*/upload", upload)
    first = item(page, "1.1")
    first.locator("input[data-evidence-input]").last.set_input_files(str(make_photo(tmp_path, "big", 1)))
    expect(first.locator(".queued-file")).to_have_attribute("data-file-state", "failed")
    answer_item(page, edition.item("1.2"), True)  # the refusal holds nothing else back
    expect(item(page, "1.2")).to_have_attribute("data-save-state", "saved")

    proxy["answer"] = (503, "<html>Service Unavailable</html>")
    second = item(page, "2.1")
    second.locator("input[data-evidence-input]").last.set_input_files(str(make_photo(tmp_path, "shelf", 2)))
    banner = page.locator("#save-banner")
    expect(banner).to_contain_text("503")  # the server's failure, with its code
    expect(second.locator(".queued-file [data-queued-state]")).to_contain_text("503")

    proxy["answer"] = None
    banner.locator("[data-retry-now]").click()
    expect(second.locator("[data-evidence-id]")).to_have_count(1)
    expect(second.locator(".queued-file")).to_have_count(0)
    expect(first.locator(".queued-file")).to_have_attribute("data-file-state", "failed")  # still kept
    assert page.evaluate("() => OAStore.all('files').then((rows) => rows.length)") == 1


def test_two_tabs_of_the_same_checklist_never_send_a_file_twice(
    new_context, live_server, inspection, tmp_path, no_server_errors
):
    context = new_context(phone=True)
    first = sign_in(context, live_server.users["second_inspector"])
    first.goto(f"/checklist/{inspection}")
    first.route("**/evidence/assessments/*/upload", lambda route: route.abort())  # this tab's sends fail
    photos = item(first, "1.1").locator("input[data-evidence-input]").last
    photos.set_input_files([str(make_photo(tmp_path, f"shelf-{n}", n)) for n in range(2)])
    expect(first.locator("#save-banner")).to_have_attribute("data-waiting-files", "2")

    second = context.new_page()
    second.goto(f"/checklist/{inspection}")  # finds both on the phone and sends them
    expect(item(second, "1.1").locator("[data-evidence-id]")).to_have_count(2)

    first.unroute("**/evidence/assessments/*/upload")
    # The first tab sends again, as when its connection comes back. Not by its "send now" button: the
    # tab's own retry may already have found the queue empty and hidden it (a race that failed a run).
    first.evaluate("window.dispatchEvent(new Event('online'))")
    expect(first.locator("#save-banner")).to_have_attribute("data-waiting-files", "0")
    count = live_server.query(
        lambda: len(db.session.scalars(select(Evidence.id).where(Evidence.assessment_id == inspection)).all())
    )
    assert count == 2


def slow_network(route):
    time.sleep(0.8)  # a weak signal: the answer is still on its way when the next tap comes
    route.continue_()


def test_signing_off_right_after_typing_waits_until_the_last_words_are_saved(
    new_context, live_server, inspection, no_server_errors
):
    context = new_context(phone=True)
    page = sign_in(context, live_server.users["second_inspector"])
    page.goto(f"/checklist/{inspection}")
    first = item(page, "1.1")
    first.locator("details.item-note summary").click()
    page.route(f"**/checklist/{inspection}/items/*", slow_network)
    first.locator("textarea").fill("现场胶带过宽")  # no pause: the page had no time to send it
    page.locator("a.bar-signoff").click()
    page.wait_for_url(f"**/checklist/{inspection}/sign-off")
    notes = live_server.query(
        lambda: db.session.scalars(
            select(Answer.note).where(Answer.assessment_id == inspection, Answer.item_code == "1.1")
        ).all()
    )
    assert notes == ["现场胶带过宽"]


def test_a_photo_whose_answer_was_lost_is_sent_again_and_kept_once(
    new_context, live_server, inspection, tmp_path, no_server_errors
):
    """The server kept the photo but its answer never reached the phone (the signal dropped): the
    phone sends it again, and the server answers with the file it already has."""
    context = new_context(phone=True)
    page = sign_in(context, live_server.users["second_inspector"])
    page.goto(f"/checklist/{inspection}")
    sends = []
    page.on("request", lambda request: sends.append(request.url) if "/upload" in request.url else None)
    live_server.lose_answer(rf"^/evidence/assessments/{inspection}/upload")
    item(page, "1.1").locator("input[data-evidence-input]").last.set_input_files(
        str(make_photo(tmp_path, "shelf", 1))
    )
    expect(page.locator("#save-banner")).to_have_attribute("data-waiting-files", "0")  # sent again, answered
    expect(item(page, "1.1").locator("[data-evidence-id]")).to_have_count(1)
    assert len(sends) >= 2 and live_server.answers_lost == []
    kept = live_server.query(
        lambda: db.session.scalars(
            select(Evidence.item_code).where(Evidence.assessment_id == inspection)
        ).all()
    )
    assert kept == ["1.1"]
    page.reload()
    expect(item(page, "1.1").locator("[data-evidence-id]")).to_have_count(1)


def test_a_photo_waiting_when_the_session_has_ended_waits_for_the_new_sign_in_and_is_then_sent(
    new_context, live_server, inspection, tmp_path, no_server_errors, signal
):
    """The signal returns after the session has ended (signed out elsewhere, expired): the server
    refuses the waiting photo for its CSRF token, and the page, asking for a fresh token, finds the
    sign-in page. The photo waits for the new sign-in (it was marked "not accepted" for good, and
    never sent), and is then sent."""
    context = new_context(phone=True)
    page = sign_in(context, live_server.users["second_inspector"])
    page.goto(f"/checklist/{inspection}")
    expect(page.locator("#save-banner")).to_have_attribute("data-loaded", "true")
    signal(context, False)
    item(page, "5.2").locator("input[data-evidence-input]").last.set_input_files(
        str(make_photo(tmp_path, "bins", 7))
    )
    banner = page.locator("#save-banner")
    expect(banner).to_have_attribute("data-waiting-files", "1")
    kept = select(func.count()).select_from(Evidence).where(Evidence.assessment_id == inspection)
    files_before = live_server.query(lambda: db.session.scalar(kept))
    context.clear_cookies()  # the session has ended
    with page.expect_response(lambda response: "/upload" in response.url) as refused:
        signal(context, True)
    assert refused.value.status == 400
    # the photo waits on the phone, saying why
    page.wait_for_function(
        "() => OAStore.all('files').then((rows) => rows.length === 1 && rows[0].state === 'waiting'"
        " && rows[0].message !== '')"
    )
    expect(banner).to_have_attribute("data-failed-files", "0")

    page = sign_in(context, live_server.users["second_inspector"])
    page.goto(f"/checklist/{inspection}")
    banner = page.locator("#save-banner")
    expect(banner).to_have_attribute("data-waiting-files", "0")
    expect(banner).to_have_attribute("data-failed-files", "0")
    expect(item(page, "5.2").locator("[data-evidence-id]")).not_to_have_count(0)
    assert live_server.query(lambda: db.session.scalar(kept)) == files_before + 1
