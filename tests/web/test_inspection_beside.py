"""What the inspectors have beside an inspection record: the outlet's own self-assessment under each
item, the findings a re-inspection verifies and what it carried over; the items short of full marks
before signing, the outlet's representative present, and the report PDF once signed."""

import html
import re

import pytest
from sqlalchemy import select

from outlet_audit.checklist.findings import findings_at, shortfalls
from outlet_audit.checklist.service import assessment_score, get_or_create_assessment
from outlet_audit.evidence.models import Evidence
from outlet_audit.extensions import db
from outlet_audit.roles import Role
from outlet_audit.workflow.seeding import worst_value
from tests.checklist_helpers import (
    TAPE_NOTE,
    Inspection,
    attach,
    complete,
    reinspection,
    self_assessed,
    self_photo,
)
from tests.factories import login, make_user

pytestmark = pytest.mark.usefixtures("english_ui")  # the tests read English words

SELF_NOTE = "已全部更换为瘦身胶带（自查）"


def item_block(page: str, code: str) -> str:
    """The HTML of one checklist item (items are articles, never nested)."""
    found = re.search(rf'<article[^>]*id="item-{re.escape(code)}".*?</article>', page, re.S)
    assert found, f"item {code} is not on the page"
    return found[0]


def self_files(assessment, code) -> list[Evidence]:
    return list(
        db.session.scalars(
            select(Evidence)
            .where(Evidence.assessment_id == assessment.id, Evidence.item_code == code)
            .order_by(Evidence.id)
        )
    )


def outlet_block(page: str, code: str) -> str | None:
    found = re.search(r"<details class=\"outlet-self\".*?</details>", item_block(page, code), re.S)
    return found[0] if found else None


# --- the outlet's self-assessment under each item ----------------------------------------------------


def test_the_outlets_answer_note_and_photos_sit_under_each_inspection_item(client, ctx):
    inspection = Inspection()
    mine = self_assessed(inspection, {"1.1": True, "1.2": True, "3.1": "B"}, notes={"1.2": SELF_NOTE})
    tape = self_photo(inspection, mine, "1.2", "self-tape.jpg")
    printer = self_photo(inspection, mine, "1.1", "self-printer.jpg")
    inspection.save("1.2", False, note=TAPE_NOTE)
    site = attach(inspection, "1.2", filename="site-tape.jpg")
    login(client, inspection.inspector)

    page = client.get(inspection.edit_url).get_data(as_text=True)

    block = html.unescape(outlet_block(page, "1.2"))
    assert "Outlet's self-assessment:" in block and "<strong data-outlet-answer>Yes</strong>" in block
    files = self_files(mine, "1.2")
    assert tape in files and SELF_NOTE in block and f"{len(files)} file(s)" in block
    for evidence in files:  # each one a thumbnail opening the file
        assert f'href="/evidence/{evidence.id}"' in block and f"/evidence/{evidence.id}/thumbnail" in block
    assert f"/evidence/{printer.id}" not in block and f"/evidence/{site.id}" not in block  # not mixed up
    assert f'data-evidence-id="{site.id}"' in item_block(page, "1.2")  # the inspector's own photo, as ever
    assert "<strong data-outlet-answer>Used occasionally or as a trial</strong>" in outlet_block(page, "3.1")
    assert "<strong data-outlet-answer>Not answered</strong>" in outlet_block(page, "B1")  # never answered
    assert "No note and no files from the outlet." in outlet_block(page, "B1")
    assert f"/evidence/{printer.id}/thumbnail" in outlet_block(page, "1.1")
    assert client.get(f"/evidence/{tape.id}/thumbnail").status_code == 200  # the thumbnail opens for them
    # Rendered with the page, folded: no further request, nothing opened until tapped.
    assert '<details class="outlet-self" data-outlet-self>' in outlet_block(page, "1.2")


def test_the_bureau_reading_the_inspection_sees_the_outlets_answers_too(client, ctx):
    inspection = Inspection()
    self_assessed(inspection, {"1.2": False}, notes={"1.2": SELF_NOTE})
    login(client, inspection.bureau)
    block = outlet_block(client.get(inspection.edit_url).get_data(as_text=True), "1.2")
    assert block and SELF_NOTE in html.unescape(block)


def test_without_a_self_assessment_the_page_says_so_once(client, ctx, db_session):
    inspection = Inspection()
    db_session.delete(get_or_create_assessment(inspection.application, "self"))  # as before this scheme
    db_session.flush()
    login(client, inspection.inspector)
    page = client.get(inspection.edit_url).get_data(as_text=True)
    assert 'id="no-self-assessment"' in page and "data-outlet-self" not in page


def test_the_self_assessment_page_itself_shows_no_second_copy(client, ctx):
    inspection = Inspection(status="draft")
    mine = self_assessed(inspection, {"1.1": True})
    login(client, inspection.outlet_user)
    page = client.get(f"/checklist/{mine.id}").get_data(as_text=True)
    assert page.count('id="item-1.1"') == 1 and "data-outlet-self" not in page
    assert 'id="no-self-assessment"' not in page


# --- a re-inspection: what it verifies, what it carried over -----------------------------------------


def test_a_reinspection_marks_the_items_to_verify_and_what_it_carried_over(client, ctx, db_session):
    inspection, first, first_photo = reinspection()
    findings = {f.item_code: f for f in findings_at(first)}
    inspection.save("3.1", "A")  # changed in this visit: no longer as carried over
    login(client, inspection.inspector)

    page = html.unescape(client.get(inspection.edit_url).get_data(as_text=True))

    for code, finding in findings.items():
        block = item_block(page, code)
        assert "To verify: rectification" in block
        assert f'href="/applications/{inspection.application.id}#finding-{finding.id}"' in block
    assert "To verify: rectification" not in item_block(page, "1.1")
    assert re.search(
        r'id="items-to-verify">[^<]*<a href="#item-1.2">1.2</a> <a href="#item-3.1">3.1</a>', page
    )
    assert "This re-inspection starts from record 1 (First inspection, signed on" in page
    assert "Carried over from record 1" in item_block(page, "1.2")
    assert "Carried over from record 1" not in item_block(page, "3.1")  # saved again in this record
    assert TAPE_NOTE in item_block(page, "1.2")  # the note came with the answer
    carried = db_session.scalar(select(Evidence).where(Evidence.copied_from_id == first_photo.id))
    assert carried.assessment_id == inspection.assessment.id
    assert re.search(
        rf'data-evidence-id="{carried.id}".*?Carried over from an earlier record',
        item_block(page, "1.2"),
        re.S,
    )
    # The link leads to the finding on the application page, where the inspector verifies it.
    detail = client.get(f"/applications/{inspection.application.id}").get_data(as_text=True)
    assert f'id="finding-{findings["1.2"].id}"' in detail


def test_the_sign_off_page_of_a_reinspection_lists_the_findings_still_to_verify(client, ctx, db_session):
    inspection, first, _photo = reinspection(codes=("1.2",))
    finding = findings_at(first)[0]
    login(client, inspection.inspector)
    page = html.unescape(client.get(f"/checklist/{inspection.assessment.id}/sign-off").get_data(as_text=True))
    assert "1.2: rectification not verified yet" in page
    assert f"/applications/{inspection.application.id}#finding-{finding.id}" in page
    assert re.search(r'<button type="submit"[^>]*disabled', page)


# --- before signing: the items short of full marks -----------------------------------------------------


def sign_off_page(client, inspection) -> str:
    login(client, inspection.inspector)
    return html.unescape(client.get(f"/checklist/{inspection.assessment.id}/sign-off").get_data(as_text=True))


def listed_shortfalls(page: str) -> list[str]:
    return re.findall(r'<article class="shortfall card mb-2" data-item-code="([^"]+)">', page)


def test_the_sign_off_page_lists_exactly_the_items_short_of_full_marks_with_notes_and_photos(
    client, ctx, db_session
):
    inspection = Inspection()
    edition = inspection.edition
    complete(inspection, {"1.2": False, "3.1": "B", "5.1": worst_value(edition.item("5.1"))})
    inspection.save("1.2", False, note=TAPE_NOTE)
    inspection.save("1.4", None, not_applicable=True)  # N/A: not a shortfall
    tape = db_session.scalar(
        select(Evidence).where(
            Evidence.assessment_id == inspection.assessment.id, Evidence.item_code == "1.2"
        )
    )

    page = sign_off_page(client, inspection)

    result = assessment_score(inspection.assessment, edition, inspection.outlet.id)
    assert listed_shortfalls(page) == shortfalls(result) == ["1.2", "3.1", "5.1"]
    line = re.search(r'data-item-code="1.2">.*?</article>', page, re.S)[0]
    assert TAPE_NOTE in line and "0 of 6 pts" in line and "<strong>No</strong>" in line
    assert f"/evidence/{tape.id}/thumbnail" in line and f'href="/evidence/{tape.id}"' in line
    line = re.search(r'data-item-code="3.1">.*?</article>', page, re.S)[0]
    assert "4 of 8 pts" in line and "No note." in line
    # What was listed is what becomes the findings of the visit.
    response = client.post(f"/checklist/{inspection.assessment.id}/sign-off", data={"confirm": "y"})
    assert response.status_code == 302
    assert sorted(f.item_code for f in findings_at(inspection.assessment)) == ["1.2", "3.1", "5.1"]


def test_at_full_marks_the_summary_says_there_is_nothing_short(client, ctx):
    inspection = Inspection()
    complete(inspection)
    page = sign_off_page(client, inspection)
    assert listed_shortfalls(page) == [] and "Every answered item is at full marks." in page


# --- the outlet's representative present ---------------------------------------------------------------


def test_the_representative_field_stands_with_the_signatures_with_its_label_and_hint(client, ctx):
    inspection = Inspection()
    page = sign_off_page(client, inspection)
    signatures = page[page.index('id="signatures-title"') :]
    assert "The outlet's representative present" in signatures
    assert "Name and position of the person who signs for the outlet." in signatures
    assert 'name="outlet_representative"' in signatures
    assert signatures.index('name="outlet_representative"') < signatures.index("data-signature-pads")


def test_the_typed_representative_comes_back_when_the_sign_off_is_refused(client, ctx):
    inspection = Inspection()
    complete(inspection)
    login(client, inspection.inspector)
    response = client.post(
        f"/checklist/{inspection.assessment.id}/sign-off", data={"outlet_representative": "王建国 站长"}
    )  # no confirmation
    assert response.status_code == 422
    assert re.search(r'name="outlet_representative"[^>]*value="王建国 站长"', response.get_data(as_text=True))
    assert inspection.assessment.signed_off_at is None


def test_the_representative_is_optional_stored_and_shown_on_the_result_page(client, ctx, db_session):
    named, unnamed = Inspection(), Inspection()
    for inspection, name in ((named, "  王建国 站长 "), (unnamed, "")):
        complete(inspection)
        login(client, inspection.inspector)
        response = client.post(
            f"/checklist/{inspection.assessment.id}/sign-off",
            data={"confirm": "y", "outlet_representative": name},
        )
        assert response.status_code == 302
        db_session.refresh(inspection.assessment)
    assert named.assessment.outlet_representative == "王建国 站长"
    assert unnamed.assessment.outlet_representative is None
    login(client, named.bureau)
    page = html.unescape(client.get(named.result_url).get_data(as_text=True))
    assert "The outlet's representative present: 王建国 站长" in page
    login(client, unnamed.inspector)
    assert 'id="outlet-representative"' not in client.get(unnamed.result_url).get_data(as_text=True)


# --- the report PDF for the inspectors of the visit -------------------------------------------------------


def report_url(inspection) -> str:
    return f"/reports/{inspection.application.id}/inspection-report.pdf"


def test_the_inspector_downloads_the_report_once_signed_and_not_before(client, ctx):
    inspection = Inspection()
    complete(inspection)
    login(client, inspection.inspector)
    assert client.get(report_url(inspection)).status_code == 404  # the draft is read in the app

    assert (
        client.post(f"/checklist/{inspection.assessment.id}/sign-off", data={"confirm": "y"}).status_code
        == 302
    )
    response = client.get(report_url(inspection))
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    assert response.get_data().startswith(b"%PDF")
    login(client, inspection.second_inspector)  # the other inspector of the visit
    assert client.get(report_url(inspection)).status_code == 200
    result = client.get(inspection.result_url).get_data(as_text=True)
    assert f'href="{report_url(inspection)}" id="report-link"' in result


@pytest.mark.parametrize("district_code", ["FX", "QP"])  # an inspector of the same district, of another
def test_an_inspector_not_assigned_to_the_visit_gets_no_report(client, ctx, district_code):
    inspection = Inspection()
    inspection.sign_off()
    stranger = make_user(Role.INSPECTOR, district_code=district_code)
    login(client, stranger)
    assert client.get(report_url(inspection)).status_code == 404  # as if there were no such application
