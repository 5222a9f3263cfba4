"""Marked copies: a photo an inspector marked (circle, arrow, words) is kept as a new file of the same
item pointing at the original, which stays as it was; anything else named as the original is refused."""

import io

import pytest
from sqlalchemy import select

from outlet_audit.audit.models import AuditEvent
from outlet_audit.checklist.attachments import attach_item_evidence, beside_originals
from outlet_audit.checklist.story import inspection_story
from outlet_audit.evidence.models import Evidence
from outlet_audit.reports.data import report_data
from outlet_audit.reports.report_pdf import render_inspection_report
from outlet_audit.roles import Role
from outlet_audit.workflow.invariants import broken_invariants
from tests.certificate_helpers import pdf_text
from tests.checklist_helpers import Inspection, attach, pdf, photo, reinspection
from tests.factories import login, make_user

pytestmark = pytest.mark.usefixtures("english_ui")

JSON = {"Accept": "application/json"}
NOT_MARKABLE = "not a photo of this item in this record"


@pytest.fixture
def inspection(ctx):
    return Inspection()


def mark(client, inspection, code, annotates, data=None, *, json=True):
    form = {
        "item_code": code,
        "annotates": str(annotates),
        "file": (io.BytesIO(data or photo(colour="red")), "m.jpg"),
    }
    return client.post(inspection.upload_url, data=form, headers=JSON if json else {})


def marked_copy(inspection, original, code="1.1"):
    """A marked copy of `original` attached as the upload does."""
    place = (inspection.assessment, inspection.application, inspection.edition, code)
    marked = photo(colour="red")
    return attach_item_evidence(*place, marked, "m.jpg", inspection.inspector, annotates_id=original.id)


def test_a_marked_copy_is_kept_beside_its_original_which_stays_as_it_was(client, inspection, db_session):
    original = attach(inspection, "1.1", filename="IMG_0001.jpg")
    untouched = (original.stored_sha256, original.original_sha256, original.size_bytes)
    login(client, inspection.inspector)

    response = mark(client, inspection, "1.1", original.id)

    body = response.get_json()
    assert response.status_code == 200, body
    copy = db_session.get(Evidence, body["evidence"][0]["id"])
    assert copy.annotates_id == original.id and body["evidence"][0]["annotates_id"] == original.id
    assert (copy.assessment_id, copy.item_code) == (original.assessment_id, "1.1")
    db_session.refresh(original)
    assert (original.stored_sha256, original.original_sha256, original.size_bytes) == untouched
    assert f"Marked copy of photo {original.id}" in body["evidence"][0]["html"]
    event = db_session.scalar(select(AuditEvent).where(AuditEvent.subject_id == copy.id))
    assert (event.action, event.old_value, event.new_value) == ("evidence_marked", "IMG_0001.jpg", "m.jpg")
    page = client.get(inspection.edit_url).get_data(as_text=True)
    # on the page the copy follows its original, each naming the other
    assert page.index(f'id="evidence-{original.id}"') < page.index(f'id="evidence-{copy.id}"')
    assert f"Its marked copy: photo {copy.id}" in page and f"Marked copy of photo {original.id}" in page
    login(client, inspection.bureau)
    history = client.get(f"/applications/{inspection.application.id}").get_data(as_text=True)
    assert "added a marked copy of “IMG_0001.jpg” to inspection item 1.1" in history
    unaudited = broken_invariants(db_session.connection(), limit=10_000).get("evidence, audited", [])
    assert copy.id not in unaudited and original.id not in unaudited


@pytest.mark.parametrize("target", ["other_item", "other_assessment", "document", "missing", "not_a_number"])
def test_a_marked_copy_of_anything_but_a_photo_of_the_same_item_and_record_is_refused(
    client, inspection, db_session, target
):
    other = Inspection()  # another outlet's inspection in the same district
    annotates = {
        "other_item": lambda: attach(inspection, "1.2").id,
        "other_assessment": lambda: attach(other, "1.1").id,
        "document": lambda: attach(inspection, "4.3", pdf(), filename="ledger.pdf").id,
        "missing": lambda: 999_999,
        "not_a_number": lambda: "12abc",
    }[target]()
    code = "4.3" if target == "document" else "1.1"
    before = db_session.scalar(select(Evidence.id).order_by(Evidence.id.desc()).limit(1))
    login(client, inspection.inspector)

    response = mark(client, inspection, code, annotates)

    assert response.status_code == 422
    assert NOT_MARKABLE in response.get_json()["message"]
    assert db_session.scalar(select(Evidence.id).order_by(Evidence.id.desc()).limit(1)) == before


def test_a_signed_record_takes_no_marked_copy(client, inspection, db_session):
    original = attach(inspection, "1.1")
    login(client, inspection.inspector)
    editable = client.get(inspection.edit_url).get_data(as_text=True)
    assert f'data-mark-url="{inspection.upload_url}"' in editable
    assert f'data-photo-id="{original.id}"' in editable
    inspection.sign_off()
    signed = client.get(inspection.edit_url).get_data(as_text=True)
    assert 'id="photo-viewer"' in signed and 'data-mark-url=""' in signed and "data-pv-mark" not in signed

    response = mark(client, inspection, "1.1", original.id)

    assert response.status_code in (409, 422) and response.get_json()["status"] != "stored"
    assert db_session.scalars(select(Evidence).where(Evidence.annotates_id == original.id)).all() == []


def test_an_original_with_a_marked_copy_cannot_be_deleted_before_its_copy(client, inspection, db_session):
    original = attach(inspection, "1.1")
    login(client, inspection.inspector)
    copy_id = mark(client, inspection, "1.1", original.id).get_json()["evidence"][0]["id"]

    refused = client.post(f"/evidence/{original.id}/delete", headers=JSON)

    assert refused.status_code == 422 and "Delete the marked copy first" in refused.get_json()["message"]
    assert client.post(f"/evidence/{copy_id}/delete", headers=JSON).status_code == 200
    assert client.post(f"/evidence/{original.id}/delete", headers=JSON).status_code == 200
    assert (
        db_session.scalars(select(Evidence).where(Evidence.assessment_id == inspection.assessment.id)).all()
        == []
    )


@pytest.mark.parametrize(
    ("role", "district"),
    [(Role.DISTRICT_BUREAU, "QP"), (Role.INSPECTOR, "FX"), (Role.OUTLET, None)],
    ids=["other-district-bureau", "unassigned-inspector", "other-outlet"],
)
def test_outsiders_cannot_mark_a_photo(client, inspection, db_session, role, district):
    original = attach(inspection, "1.1")
    login(client, make_user(role, district_code=district))

    assert mark(client, inspection, "1.1", original.id).status_code == 404
    assert db_session.scalars(select(Evidence).where(Evidence.annotates_id == original.id)).all() == []


def test_marked_copies_follow_their_originals_and_copies_of_copies_their_copy():
    def row(id, annotates=None):
        return Evidence(id=id, annotates_id=annotates)

    files = [
        row(1),
        row(2),
        row(3, annotates=1),
        row(4, annotates=3),
        row(5, annotates=2),
        row(6, annotates=99),
    ]

    assert [e.id for e in beside_originals(files)] == [1, 3, 4, 2, 5, 6]


def test_the_inspection_report_says_which_photo_a_marked_copy_marks(inspection, db_session):
    attach(inspection, "1.1", photo(colour="blue"))
    original = attach(inspection, "1.1", photo(colour="green"))
    attach(inspection, "1.1", photo(colour="yellow"))
    marked_copy(inspection, original)
    inspection.sign_off()

    story = inspection_story(inspection.application, inspection.edition, inspection.bureau)
    data = report_data(inspection.application, story)

    [item] = [item for section in data.current.sections for item in section.items if item.code == "1.1"]
    assert item.marked_copies == ((3, 2),)  # printed right after the photo it marks
    text = pdf_text(render_inspection_report(data))
    assert "第3张照片是第2张的标记副本Photo3isamarkedcopyofphoto2" in text


def test_a_reinspection_carries_a_marked_copy_pointing_at_the_carried_original(inspection, db_session):
    original = attach(inspection, "1.1")
    copy = marked_copy(inspection, original)

    inspection, first, _ = reinspection(inspection=inspection)

    second = select(Evidence).where(Evidence.assessment_id == inspection.assessment.id)
    carried = {evidence.copied_from_id: evidence for evidence in db_session.scalars(second)}
    assert carried[copy.id].annotates_id == carried[original.id].id  # in the new record, not the signed one
    assert carried[original.id].annotates_id is None
