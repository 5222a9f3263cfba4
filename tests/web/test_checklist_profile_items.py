"""Items that apply by outlet profile and conditional items, through the checklist, sign-off and report.

The jiading-2027 edition is pinned: P1 and P2 apply to every brand but 菜鸟, and C2 is asked only
when C1 is answered yes (then a document is needed when C2 is above 0).
"""

import re
from pathlib import Path

import pytest

from outlet_audit.checklist.forms import field_name
from outlet_audit.criteria import load_edition
from outlet_audit.extensions import db
from tests.certificate_helpers import pdf_text
from tests.checklist_helpers import (
    Inspection,
    csrf_from,
)
from tests.factories import login

pytestmark = pytest.mark.usefixtures("english_ui")

JIADING_PATH = Path(__file__).parents[1] / "data" / "criteria" / "jiading-2027.yaml"


def jiading_inspection(brand="顺丰"):
    inspection = Inspection(edition=load_edition(JIADING_PATH))
    inspection.outlet.brand = brand
    db.session.flush()
    return inspection


def missing_codes(client, inspection) -> set[str]:
    """The item codes the sign-off page lists as still missing something."""
    login(client, inspection.inspector)
    page = client.get(f"/checklist/{inspection.assessment.id}/sign-off").get_data(as_text=True)
    return set(re.findall(r'<li><a href="[^"]*#item-([^"]+)">', page))


def save(client, inspection, code, value):
    page = client.get(inspection.edit_url).get_data(as_text=True)
    reply = client.post(
        inspection.save_url(code),
        json={
            "value": value,
            "not_applicable": False,
            "note": "",
            "expected_version": inspection.version(code),
        },
        headers={"X-CSRFToken": csrf_from(page)},
    )
    assert reply.status_code == 200, reply.get_json()
    return reply.get_json()


@pytest.mark.parametrize(("brand", "asked"), [("菜鸟", False), ("顺丰", True)])
def test_an_item_for_other_brands_has_no_input_and_is_never_missing(client, ctx, brand, asked):
    inspection = jiading_inspection(brand)
    login(client, inspection.inspector)
    page = client.get(inspection.edit_url).get_data(as_text=True)

    assert (f'name="{field_name("P1")}-value"' in page) is asked
    assert ('data-skipped="profile"' in page) is not asked
    assert ("Does not apply to this outlet." in page) is not asked
    missing = missing_codes(client, inspection)
    assert {"P1", "P2"} <= missing if asked else not missing & {"P1", "P2"}
    assert "R1" in missing  # other items are still asked


def test_a_conditional_item_is_asked_once_its_condition_holds_and_then_needs_its_evidence(client, ctx):
    inspection = jiading_inspection()
    login(client, inspection.inspector)
    page = client.get(inspection.edit_url).get_data(as_text=True)
    # shown to a browser without scripts with its note; hidden by the stylesheet when scripts run
    assert re.search(r'id="item-C2"[^>]*data-condition-met="false"', page)
    assert "Answer only if C1 is answered: Yes" in page
    assert "C2" not in missing_codes(client, inspection)

    assert save(client, inspection, "C1", "no")["not_asked"] == ["C2"]
    assert "C2" not in missing_codes(client, inspection)

    assert save(client, inspection, "C1", "yes")["not_asked"] == []
    assert "C2" in missing_codes(client, inspection)  # no answer yet
    page = client.get(inspection.edit_url).get_data(as_text=True)
    assert re.search(r'id="item-C2"[^>]*data-condition-met="true"', page)

    reply = save(client, inspection, "C2", "30")
    assert reply["item"]["evidence_required"] is True  # the evidence rule applies now it is asked
    login(client, inspection.inspector)
    page = client.get(f"/checklist/{inspection.assessment.id}/sign-off").get_data(as_text=True)
    assert "C2: evidence required" in page

    save(client, inspection, "C1", "no")  # asked no more: neither its answer nor its evidence is missing
    assert "C2" not in missing_codes(client, inspection)


def test_the_report_says_why_an_item_was_left_out(client, ctx):
    inspection = jiading_inspection("菜鸟")
    inspection.save("C1", False)
    db.session.commit()
    login(client, inspection.bureau)

    response = client.get(f"/reports/{inspection.application.id}/inspection-report.pdf")

    assert response.status_code == 200
    text = pdf_text(response.data)
    assert "P1" in text and "Doesnotapplytothisoutlet" in text
    assert "C2" in text and "Notasked:conditionnotmet" in text
