"""The order in which the phone sends what waits, and how long it waits between tries
(static/js/offline-queue.js), checked in Chromium on a blank page: no server, no Node."""

from pathlib import Path

import pytest

pytestmark = pytest.mark.browser

QUEUE_JS = Path(__file__).resolve().parents[2] / "outlet_audit" / "static" / "js" / "offline-queue.js"


@pytest.fixture(scope="module")
def queue(browser):
    context = browser.new_context()
    page = context.new_page()
    page.set_content("<!doctype html><title>queue</title>")
    page.add_script_tag(path=str(QUEUE_JS))
    yield page
    context.close()


def order(page, answers, files):
    return page.evaluate(
        """([answers, files]) => OAQueue.order(answers, files).map((t) => t.kind === "answer"
             ? "answer " + t.entry.code + "#" + t.entry.seq : "file " + t.entry.localId)""",
        [answers, files],
    )


def test_answers_go_in_the_order_given_and_the_newest_answer_of_an_item_wins(queue):
    answers = [{"code": "2.1", "seq": 1}, {"code": "1.1", "seq": 1}, {"code": "2.1", "seq": 3}]
    assert order(queue, answers, []) == ["answer 2.1#3", "answer 1.1#1"]


def test_files_follow_the_answer_of_their_item_and_a_marked_copy_its_original(queue):
    answers = [{"code": "1.1", "seq": 1}, {"code": "2.1", "seq": 1}]
    files = [
        {"localId": "mark", "itemCode": "2.1", "createdAt": 1, "annotatesLocalId": "photo"},
        {"localId": "loose", "itemCode": "9.9", "createdAt": 2},
        {"localId": "photo", "itemCode": "2.1", "createdAt": 3},
        {"localId": "first", "itemCode": "1.1", "createdAt": 4},
    ]
    assert order(queue, answers, files) == [
        "answer 1.1#1",
        "file first",
        "answer 2.1#1",
        "file photo",
        "file mark",
        "file loose",  # its item's answer is on the server already: after all answers
    ]


def test_the_wait_between_tries_grows_and_stops_at_a_minute(queue):
    delays = queue.evaluate("() => [0, 1, 2, 3, 4, 5, 6, 10].map(OAQueue.retryDelay)")
    assert delays == [2000, 4000, 8000, 16000, 32000, 60000, 60000, 60000]


def test_a_file_counts_as_sent_only_when_the_server_names_the_same_bytes(queue):
    assert queue.evaluate("() => OAQueue.sameBytes('ABcd', 'abcd')") is True
    assert queue.evaluate("() => OAQueue.sameBytes('abcd', 'abce')") is False
    assert queue.evaluate("() => OAQueue.sameBytes('abcd', undefined)") is False
