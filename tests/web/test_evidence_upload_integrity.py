"""An upload says what arrived (its SHA-256), is refused when it is not what the phone hashed (the phone
keeps the file and sends it again), and flags the same file attached twice to one item."""

import hashlib
import io

import pytest
from sqlalchemy import select

from outlet_audit.audit.models import AuditEvent
from outlet_audit.evidence.models import Evidence
from tests.checklist_helpers import Inspection, attach, photo
from tests.factories import login

pytestmark = pytest.mark.usefixtures("english_ui")

JSON = {"Accept": "application/json"}


@pytest.fixture
def inspection(ctx):
    return Inspection()


def upload(client, inspection, code, data, **fields):
    form = {"item_code": code, "file": (io.BytesIO(data), "IMG_0001.jpg"), **fields}
    return client.post(inspection.upload_url, data=form, headers=JSON)


def stored(db_session, inspection):
    return db_session.scalars(
        select(Evidence).where(Evidence.assessment_id == inspection.assessment.id)
    ).all()


@pytest.mark.parametrize("client_sha256", [None, "match", "MATCH"], ids=["none", "match", "upper-case"])
def test_the_answer_says_the_sha256_received_and_a_matching_hash_is_accepted(
    client, inspection, db_session, client_sha256
):
    data = photo()
    digest = hashlib.sha256(data).hexdigest()
    fields = (
        {}
        if client_sha256 is None
        else {"client_sha256": digest.upper() if client_sha256 == "MATCH" else digest}
    )
    login(client, inspection.inspector)

    body = upload(client, inspection, "1.1", data, **fields).get_json()

    assert body["status"] == "stored"
    assert body["original_sha256"] == body["evidence"][0]["original_sha256"] == digest
    assert [evidence.original_sha256 for evidence in stored(db_session, inspection)] == [digest]


@pytest.mark.parametrize("sent", ["another file's", "cut short", "not hex"])
def test_a_file_that_is_not_what_the_phone_hashed_is_refused_and_nothing_is_kept(
    client, inspection, db_session, sent
):
    data = photo()
    claimed = {
        "another file's": hashlib.sha256(photo(colour="red")).hexdigest(),
        "cut short": hashlib.sha256(data).hexdigest()[:40],
        "not hex": "z" * 64,
    }[sent]
    login(client, inspection.inspector)

    response = upload(client, inspection, "1.1", data, client_sha256=claimed)

    body = response.get_json()
    assert response.status_code == 422 and body["status"] == "damaged"
    assert body["message"] == "The file arrived damaged; it is still on your phone and will be sent again."
    assert body["original_sha256"] == hashlib.sha256(data).hexdigest()
    assert stored(db_session, inspection) == []


def test_the_same_file_twice_on_an_item_is_kept_and_flagged_on_both(client, inspection, db_session):
    data = photo(colour="blue")
    login(client, inspection.inspector)
    first = upload(client, inspection, "1.1", data).get_json()
    other_item = upload(client, inspection, "1.2", data).get_json()  # another item: not a slip
    different = upload(client, inspection, "1.1", photo(colour="red")).get_json()

    second = upload(client, inspection, "1.1", data).get_json()

    first_id = first["evidence"][0]["id"]
    assert [first["duplicate_of"], other_item["duplicate_of"], different["duplicate_of"]] == [
        None,
        None,
        None,
    ]
    assert (
        second["status"] == "stored"
        and second["duplicate_of"] == second["evidence"][0]["duplicate_of"] == first_id
    )
    assert f"Same file as photo {first_id}" in second["evidence"][0]["html"]
    second_id = second["evidence"][0]["id"]
    page = client.get(inspection.edit_url).get_data(as_text=True)
    assert f"Same file as photo {first_id}" in page and f"Same file as photo {second_id}" in page
    assert page.count("data-duplicate-flag") == 2  # the two on 1.1, not the one on 1.2

    assert client.post(f"/evidence/{second_id}/delete", headers=JSON).status_code == 200
    assert "data-duplicate-flag" not in client.get(inspection.edit_url).get_data(as_text=True)


def test_the_same_file_in_another_record_is_not_flagged_here(client, inspection, db_session):
    """Only the same record and item count: the same photo in another outlet's record is a matter
    for the bureau's reuse check."""
    data = photo(colour="blue")
    other = Inspection()
    attach(other, "1.1", data)
    login(client, inspection.inspector)

    assert upload(client, inspection, "1.1", data).get_json()["duplicate_of"] is None


def test_a_file_sent_again_with_its_key_after_a_lost_answer_is_kept_once(client, inspection, db_session):
    """The phone sends a waiting photo again when the answer to its first send never reached it:
    the same key for the same item of the record is the file already kept, answered as stored."""
    data = photo()
    login(client, inspection.inspector)
    first = upload(client, inspection, "1.1", data, upload_key="fm3k2x1abc123").get_json()
    again = upload(client, inspection, "1.1", data, upload_key="fm3k2x1abc123").get_json()

    assert first["status"] == again["status"] == "stored"
    assert [entry["id"] for entry in again["evidence"]] == [entry["id"] for entry in first["evidence"]]
    assert again["evidence"][0]["duplicate_of"] is None  # not flagged as the same file attached twice
    (kept,) = stored(db_session, inspection)
    assert kept.upload_key == "fm3k2x1abc123"
    uploads = db_session.scalars(
        select(AuditEvent).where(AuditEvent.action == "evidence_uploaded", AuditEvent.subject_id == kept.id)
    ).all()
    assert len(uploads) == 1


def test_the_same_file_sent_under_another_key_is_a_second_file_flagged_as_such(
    client, inspection, db_session
):
    data = photo()
    login(client, inspection.inspector)
    upload(client, inspection, "1.1", data, upload_key="first-send")
    second = upload(client, inspection, "1.1", data, upload_key="second-send").get_json()
    assert len(stored(db_session, inspection)) == 2
    assert second["duplicate_of"] is not None  # attached twice on purpose or by mistake: said so


@pytest.mark.parametrize(
    "key", ["../../etc", "x" * 65, "", "sp ace", "键"], ids=["path", "too-long", "empty", "space", "cjk"]
)
def test_a_key_the_page_never_makes_is_not_kept_and_the_file_is(client, inspection, db_session, key):
    login(client, inspection.inspector)
    body = upload(client, inspection, "1.1", photo(), upload_key=key).get_json()
    assert body["status"] == "stored"
    assert [evidence.upload_key for evidence in stored(db_session, inspection)] == [None]


def test_a_key_already_used_on_another_item_does_not_hand_out_that_file(client, inspection, db_session):
    login(client, inspection.inspector)
    upload(client, inspection, "1.1", photo(), upload_key="same-key")
    other = upload(client, inspection, "2.1", photo(), upload_key="same-key").get_json()
    assert other["status"] == "stored"
    rows = sorted(stored(db_session, inspection), key=lambda evidence: evidence.id)
    assert [(evidence.item_code, evidence.upload_key) for evidence in rows] == [
        ("1.1", "same-key"),
        ("2.1", None),
    ]
