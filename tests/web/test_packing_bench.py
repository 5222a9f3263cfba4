"""Whether an outlet has a packing bench: stated at registration and in the profile (verified by the
district bureau like the outlet's other registered details), shown to the bureau, read from imports,
and deciding which checklist items apply. An item that does not apply, or whose condition is not met,
takes no answer and no file.

jiading-2027 asks P1 and P2 only of outlets with a packing bench (an outlet that has not said is
asked them), and C2 only when C1 is answered yes.
"""

import io
import re
from pathlib import Path

import pytest
from sqlalchemy import select

from outlet_audit.checklist.forms import field_name
from outlet_audit.checklist.models import Answer as AnswerRow
from outlet_audit.criteria import load_edition
from outlet_audit.evidence.models import Evidence
from outlet_audit.extensions import db
from outlet_audit.outlets.models import Outlet
from outlet_audit.outlets.outlet_import import RawRow, validate_rows
from outlet_audit.roles import Role
from tests.account_factories import english_fixture  # noqa: F401
from tests.checklist_helpers import Inspection, csrf_from, photo
from tests.factories import login, make_user
from tests.web.test_account_registrations import register
from tests.web.test_outlet_profile import fresh, profile_data
from tests.workflow_helpers import make_crew

pytestmark = pytest.mark.usefixtures("english_ui")

JIADING_PATH = Path(__file__).parents[1] / "data" / "criteria" / "jiading-2027.yaml"
BENCH_FIELD = "has_packing_bench"


def jiading_inspection(bench):
    inspection = Inspection(edition=load_edition(JIADING_PATH))
    inspection.outlet.has_packing_bench = bench
    db.session.flush()
    return inspection


def post_answer(client, inspection, code, value):
    page = client.get(inspection.edit_url).get_data(as_text=True)
    return client.post(
        inspection.save_url(code),
        json={
            "value": value,
            "not_applicable": False,
            "note": "",
            "expected_version": inspection.version(code),
        },
        headers={"X-CSRFToken": csrf_from(page)},
    )


def stored_codes(inspection) -> set[str]:
    query = select(AnswerRow.item_code).where(AnswerRow.assessment_id == inspection.assessment.id)
    return set(db.session.scalars(query))


# --- the checklist ------------------------------------------------------------------------------


@pytest.mark.parametrize(("bench", "asked"), [(True, True), (False, False), (None, True)])
def test_the_profiles_packing_bench_decides_whether_the_packing_items_are_asked(client, ctx, bench, asked):
    inspection = jiading_inspection(bench)
    login(client, inspection.inspector)
    page = client.get(inspection.edit_url).get_data(as_text=True)

    assert (f'name="{field_name("P1")}-value"' in page) is asked
    assert (re.search(r'id="item-P1"[^>]*data-skipped="profile"', page) is not None) is not asked
    sign_off = client.get(f"/checklist/{inspection.assessment.id}/sign-off").get_data(as_text=True)
    assert ("P1: no answer" in sign_off) is asked


def test_an_answer_to_an_item_that_does_not_apply_is_refused_and_not_stored(client, ctx):
    inspection = jiading_inspection(False)
    login(client, inspection.inspector)

    reply = post_answer(client, inspection, "P1", "yes")

    assert reply.status_code == 422
    assert reply.get_json()["status"] == "refused"
    assert "P1 does not apply to this outlet" in reply.get_json()["message"]
    assert "P1" not in stored_codes(inspection)
    assert post_answer(client, inspection, "D1", "0").status_code == 200  # the other items still save


def test_a_file_for_an_item_that_does_not_apply_is_refused_and_not_kept(client, ctx):
    inspection = jiading_inspection(False)
    login(client, inspection.inspector)

    reply = client.post(
        inspection.upload_url,
        data={"item_code": "P1", "file": (io.BytesIO(photo()), "tape.jpg")},
        headers={"Accept": "application/json"},
    )

    assert reply.status_code == 422, reply.get_json()
    assert "P1 does not apply to this outlet" in reply.get_data(as_text=True)
    kept = select(Evidence).where(Evidence.assessment_id == inspection.assessment.id)
    assert db.session.scalars(kept).all() == []


def test_a_conditional_item_takes_no_answer_until_its_condition_holds(client, ctx):
    inspection = jiading_inspection(True)
    login(client, inspection.inspector)

    refused = post_answer(client, inspection, "C2", "30")  # C1 unanswered
    assert refused.status_code == 422
    assert refused.get_json()["message"] == (
        "C2 is not asked: the answer to C1 does not call for it. Change that answer first."
    )
    assert post_answer(client, inspection, "C1", "no").status_code == 200
    assert post_answer(client, inspection, "C2", "30").status_code == 422
    assert "C2" not in stored_codes(inspection)

    assert post_answer(client, inspection, "C1", "yes").status_code == 200
    saved = post_answer(client, inspection, "C2", "30")
    assert saved.status_code == 200, saved.get_json()
    assert "C2" in stored_codes(inspection)


def test_the_whole_form_marks_a_refused_item_and_keeps_the_others(client, ctx):
    """Without scripts: C2 posted while C1 is no is refused beside the field; D1 is saved."""
    inspection = jiading_inspection(True)
    inspection.save("C1", False)
    db.session.commit()
    login(client, inspection.inspector)
    page = client.get(inspection.edit_url).get_data(as_text=True)
    data = {"csrf_token": re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page)[1]}
    for code in ("C1", "C2", "D1"):
        data[f"{field_name(code)}-version"] = str(inspection.version(code))
        data[f"{field_name(code)}-note"] = ""
    data |= {
        f"{field_name('C1')}-value": "no",
        f"{field_name('C2')}-value": "30",
        f"{field_name('D1')}-value": "0",
    }

    response = client.post(inspection.edit_url, data=data)

    assert response.status_code == 200  # the page again, the refused item marked
    assert "C2 is not asked: the answer to C1 does not call for it." in response.get_data(as_text=True)
    assert stored_codes(inspection) == {"C1", "D1"}


# --- the profile ----------------------------------------------------------------------------------


@pytest.fixture
def crew(ctx):
    return make_crew()


def test_an_unverified_outlet_states_it_at_once_and_the_bureau_sees_it(client, crew):
    crew.outlet.verified = False
    db.session.commit()
    login(client, crew.outlet_user)
    page = client.get("/outlets/profile").get_data(as_text=True)
    assert 'name="has_packing_bench"' in page and "Not stated" in page

    response = client.post("/outlets/profile", data=profile_data(crew.outlet, **{BENCH_FIELD: "False"}))

    assert response.status_code == 302
    assert fresh(crew.outlet).has_packing_bench is False
    login(client, crew.bureau)
    detail = client.get(f"/outlets/{crew.outlet.id}").get_data(as_text=True)
    assert re.search(r'id="packing-bench">No<', detail)
    assert "Packing bench" in detail  # the history names the field


def test_a_verified_outlet_waits_for_the_bureau_before_items_drop(client, crew):
    login(client, crew.outlet_user)
    response = client.post("/outlets/profile", data=profile_data(crew.outlet, **{BENCH_FIELD: "False"}))
    assert response.status_code == 302
    outlet = fresh(crew.outlet)
    assert outlet.has_packing_bench is None  # not stated until the bureau accepts
    assert outlet.pending_changes == {BENCH_FIELD: False}

    login(client, crew.bureau)
    queue = client.get("/outlets/verification").get_data(as_text=True)
    assert "Packing bench" in queue and "Not stated" in queue
    assert client.post(f"/outlets/{crew.outlet.id}/changes/accept").status_code == 302
    assert fresh(crew.outlet).has_packing_bench is False


def test_a_bad_packing_bench_value_comes_back_with_the_form(client, crew):
    login(client, crew.outlet_user)
    response = client.post("/outlets/profile", data=profile_data(crew.outlet, **{BENCH_FIELD: "perhaps"}))
    assert response.status_code == 422
    assert fresh(crew.outlet).has_packing_bench is None


@pytest.mark.parametrize(
    ("posted", "stored"), [("True", True), ("False", False), ("None", None), (None, None)]
)
def test_registration_states_the_packing_bench_or_leaves_it_unstated(english, posted, stored):
    make_user(Role.DISTRICT_BUREAU, district_code="FX")
    overrides = {} if posted is None else {BENCH_FIELD: posted}
    assert register(english, **overrides).status_code == 302
    outlet = db.session.scalar(select(Outlet).where(Outlet.name == "奉贤新网点"))
    assert outlet.has_packing_bench is stored


# --- the bulk import ------------------------------------------------------------------------------

ROW = {
    "name": "顺丰奉贤南桥营业部",
    "brand": "顺丰",
    "district": "奉贤",
    "address": "上海市奉贤区南桥镇百齐路 100 号",
    "permit_number": "SH-FX-7001",
    "manager": "王芳",
    "phone": "13812345678",
    "opening_hours": "",
}


def check(rows):
    return validate_rows(rows, districts={"奉贤": 15}, allowed_district_ids=None, known_brands=("顺丰",))


@pytest.mark.parametrize(("cell", "value"), [("有", True), ("无", False), (" No ", False), ("", None)])
def test_the_import_reads_the_packing_bench(cell, value):
    plan = check([RawRow(2, {**ROW, BENCH_FIELD: cell.strip()})])
    assert plan.ok
    assert plan.outlets["SH-FX-7001"].has_packing_bench is value


def test_the_import_refuses_a_packing_bench_it_cannot_read():
    plan = check([RawRow(2, {**ROW, BENCH_FIELD: "大概"})])
    (problem,) = plan.problems
    assert problem.column == BENCH_FIELD
    assert problem.message.template == "Write “有” or “无” for the packing bench, not “%(value)s”."
