"""Conditional items and items by profile on an inspector's phone (390 px), with jiading-2027: C2
(reusable box trips) is asked only when C1 (reusable boxes in use) is answered yes, and P1, P2 only
of outlets with a packing bench. Answering C1 shows and hides C2 at once; the answers saved score as
the edition says. Each step is photographed (test-artifacts/screenshots/)."""

from decimal import Decimal
from pathlib import Path

import pytest
from playwright.sync_api import expect

from outlet_audit.checklist.forms import field_name
from outlet_audit.checklist.models import Assessment
from outlet_audit.criteria import load_edition
from outlet_audit.extensions import db
from outlet_audit.scoring import ScoreResult
from tests.browser.conftest import PHONE, sign_in
from tests.checklist_helpers import Inspection

pytestmark = pytest.mark.browser

JIADING_PATH = Path(__file__).resolve().parents[1] / "data" / "criteria" / "jiading-2027.yaml"


def jiading_inspection(bench: bool | None) -> tuple[str, int]:
    inspection = Inspection(edition=load_edition(JIADING_PATH))
    inspection.outlet.has_packing_bench = bench
    inspection.inspector.locale = "en"
    db.session.commit()
    return inspection.inspector.username, inspection.assessment.id


def stored_result(live_server, assessment_id: int) -> ScoreResult:
    return live_server.query(lambda: ScoreResult.from_dict(db.session.get(Assessment, assessment_id).result))


def answer(page, code: str, value: str) -> None:
    """Tap an answer button (yes_no) and wait until the page says the item is saved."""
    item = page.locator(f'[id="item-{code}"]')
    item.locator(f'input[value="{value}"] + label').click()
    expect(item).to_have_attribute("data-save-state", "saved")


def no_sideways_scroll(page) -> None:
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["viewport"]["width"]


def test_answering_the_controlling_item_shows_and_hides_the_conditional_one(
    new_context, live_server, shoot, no_server_errors
):
    username, record_id = live_server.query(lambda: jiading_inspection(True))
    page = sign_in(new_context(phone=True), username)
    page.goto(f"/checklist/{record_id}")
    c2 = page.locator('[id="item-C2"]')
    expect(c2).to_be_hidden()  # C1 not answered yet
    no_sideways_scroll(page)
    shoot(page, "c1-unanswered")

    answer(page, "C1", "yes")
    expect(c2).to_be_visible()
    trips = c2.locator(f'input[name="{field_name("C2")}-value"]')
    trips.fill("30")
    trips.blur()
    expect(c2).to_have_attribute("data-save-state", "saved")
    no_sideways_scroll(page)
    shoot(page, "c1-yes-c2-answered")
    result = stored_result(live_server, record_id)
    assert (result.item("C1").earned, result.item("C2").earned) == (Decimal(10), Decimal(5))  # 30 ≥ 20 → 5
    assert result.item("C2").skipped is None

    answer(page, "C1", "no")
    expect(c2).to_be_hidden()
    shoot(page, "c1-no")
    result = stored_result(live_server, record_id)
    assert result.item("C2").skipped == "condition"  # the stored 30 is kept but not scored
    assert (result.item("C1").earned, result.item("C2").earned, result.item("C2").possible) == (0, 0, 0)

    page.reload()  # the server renders the same: C2 still hidden
    expect(c2).to_be_hidden()
    answer(page, "C1", "yes")
    expect(c2).to_be_visible()
    expect(trips).to_have_value("30")
    assert stored_result(live_server, record_id).item("C2").earned == Decimal(5)


def test_an_outlet_without_a_packing_bench_is_not_asked_the_packing_items(
    new_context, live_server, shoot, no_server_errors
):
    username, record_id = live_server.query(lambda: jiading_inspection(False))
    page = sign_in(new_context(phone=True), username)
    page.goto(f"/checklist/{record_id}")
    for code in ("P1", "P2"):
        item = page.locator(f'[id="item-{code}"]')
        expect(item).to_have_attribute("data-skipped", "profile")
        expect(item).to_contain_text("Does not apply to this outlet.")
        expect(item.locator("input")).to_have_count(0)
    no_sideways_scroll(page)
    shoot(page, "no-packing-bench")
