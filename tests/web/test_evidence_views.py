"""Evidence over HTTP: every accepted and refused kind of file, serving with the right headers,
scope checks, deleting one's own upload, and the photo's own time and place shown to the bureau."""

import io
import re

import pytest
from PIL import Image
from sqlalchemy import select

from outlet_audit.audit.models import AuditEvent
from outlet_audit.checklist import attachments
from outlet_audit.core.time import utcnow
from outlet_audit.evidence.models import Evidence
from outlet_audit.roles import Role
from tests.checklist_helpers import (
    HEIC_HEADER,
    HTML_AS_JPEG,
    SHANGHAI_GPS,
    SVG_WITH_SCRIPT,
    Inspection,
    attach,
    bomb_png,
    full_form,
    pdf,
    photo,
)
from tests.factories import login, make_user

pytestmark = pytest.mark.usefixtures("english_ui")  # these tests read English messages

JSON = {"Accept": "application/json"}


@pytest.fixture
def inspection(ctx):
    return Inspection()


def upload(client, inspection, code, data, filename, *, json=True):
    return client.post(
        inspection.upload_url,
        data={"item_code": code, "file": (io.BytesIO(data), filename)},
        headers=JSON if json else {},
    )


def item_evidence(db_session, inspection, code="1.1"):
    return db_session.scalars(
        select(Evidence).where(Evidence.assessment_id == inspection.assessment.id, Evidence.item_code == code)
    ).all()


@pytest.mark.parametrize(
    ("code", "data", "filename", "kind"),
    [
        ("1.1", photo(), "面单打印机.jpg", "photo"),
        ("1.1", photo(fmt="PNG"), "screen.png", "photo"),
        ("1.1", photo(fmt="WEBP"), "photo.webp", "photo"),
        ("4.3", pdf(), "台账.pdf", "document"),
        ("4.3", photo(), "ledger-photo.jpg", "photo"),  # a photographed ledger is fine for a document item
        ("2.1", pdf(), "抽样记录.pdf", "document"),
    ],
    ids=["jpeg", "png", "webp", "pdf", "photo-of-document", "pdf-or-photo"],
)
def test_accepted_files_are_stored_and_returned_as_a_card(
    client, inspection, db_session, code, data, filename, kind
):
    login(client, inspection.inspector)

    response = upload(client, inspection, code, data, filename)

    body = response.get_json()
    assert response.status_code == 200 and body["status"] == "stored", body
    [stored] = item_evidence(db_session, inspection, code)
    assert stored.kind == kind and body["evidence"][0]["id"] == stored.id
    assert f'data-evidence-id="{stored.id}"' in body["evidence"][0]["html"]
    assert body["item"]["evidence_count"] == 1
    event = db_session.scalar(
        select(AuditEvent).where(AuditEvent.action == "evidence_uploaded").order_by(AuditEvent.id.desc())
    )
    assert event.subject_id == stored.id and event.actor_id == inspection.inspector.id


def test_the_photos_own_time_and_place_are_kept_and_shown_beside_the_upload_time(
    client, inspection, db_session
):
    login(client, inspection.inspector)
    taken = photo(taken="2025:05:01 10:31:00", gps=SHANGHAI_GPS)

    body = upload(client, inspection, "1.1", taken, "IMG_0001.jpg").get_json()

    [stored] = item_evidence(db_session, inspection)
    assert stored.captured_at.isoformat() == "2025-05-01T10:31:00"
    assert (round(stored.gps_lat, 4), round(stored.gps_lon, 4)) == (31.23, 121.47)
    card = body["evidence"][0]["html"]
    assert "2025-05-01 10:31" in card and "31.23000, 121.47000" in card and "Uploaded" in card
    assert "days before upload" in card  # taken long before it was uploaded: the bureau should look twice
    login(client, inspection.bureau)
    page = client.get(inspection.edit_url).get_data(as_text=True)
    assert "2025-05-01 10:31" in page and "31.23000, 121.47000" in page


@pytest.mark.parametrize(
    ("code", "data", "filename", "reason"),
    [
        ("1.1", b"", "empty.jpg", "empty"),
        ("1.1", HTML_AS_JPEG, "photo.jpg", "not accepted"),
        ("1.1", SVG_WITH_SCRIPT, "drawing.svg", "not accepted"),
        ("1.1", SVG_WITH_SCRIPT, "drawing.png", "not accepted"),
        ("1.1", HEIC_HEADER, "IMG_0002.HEIC", "HEIC"),
        ("1.1", bomb_png(), "bomb.png", "too many pixels"),
        ("1.1", photo()[:400], "cut.jpg", "damaged"),
        ("4.3", pdf(b" /OpenAction << /S /JavaScript /JS (app.alert(1)) >>"), "script.pdf", "scripts"),
        ("4.3", pdf(trailer=b" /Encrypt << /Filter /Standard /V 2 >>"), "locked.pdf", "encrypted"),
        ("1.1", pdf(), "printer.pdf", "needs a photo"),  # 1.1 asks for a photo
        ("9.9", photo(), "photo.jpg", "Unknown item"),
    ],
    ids=[
        "empty",
        "lying-extension",
        "svg-script",
        "svg-as-png",
        "heic",
        "decompression-bomb",
        "truncated",
        "pdf-javascript",
        "pdf-encrypted",
        "pdf-for-photo-item",
        "unknown-item",
    ],
)
def test_refused_files_say_why_and_store_nothing(
    client, inspection, db_session, code, data, filename, reason
):
    login(client, inspection.inspector)

    response = upload(client, inspection, code, data, filename)

    body = response.get_json()
    assert response.status_code == 422 and body["status"] == "refused"
    assert reason in body["message"] and filename in body["message"]
    assert (
        db_session.scalars(select(Evidence).where(Evidence.assessment_id == inspection.assessment.id)).all()
        == []
    )


def test_an_oversized_file_is_refused_by_the_configured_limit(
    client, app, inspection, db_session, monkeypatch
):
    monkeypatch.setitem(app.config, "UPLOAD_MAX_BYTES", 2000)
    login(client, inspection.inspector)
    big = photo((1200, 900))
    assert len(big) > 2000
    body = upload(client, inspection, "1.1", big, "big.jpg").get_json()
    assert body["status"] == "refused" and "at most" in body["message"]
    assert (
        db_session.scalars(select(Evidence).where(Evidence.assessment_id == inspection.assessment.id)).all()
        == []
    )


def test_without_javascript_an_upload_redirects_back_to_the_item_with_a_message(
    client, inspection, db_session
):
    login(client, inspection.inspector)
    response = upload(client, inspection, "1.1", photo(), "p.jpg", json=False)
    assert response.status_code == 302 and response.headers["Location"].endswith(
        f"{inspection.edit_url}#item-1.1"
    )
    refused = upload(client, inspection, "1.1", HTML_AS_JPEG, "x.jpg", json=False)
    page = client.get(refused.headers["Location"]).get_data(as_text=True)
    assert "x.jpg: This kind of file is not accepted." in page
    assert len(item_evidence(db_session, inspection)) == 1


def test_the_plain_checklist_form_carries_files_per_item(client, inspection, db_session):
    login(client, inspection.inspector)
    data = full_form(inspection.edition, {"1.1": "yes"}, versions={})
    data["item_1_1-evidence"] = [(io.BytesIO(photo()), "a.jpg"), (io.BytesIO(photo(colour="red")), "b.jpg")]
    data["item_4_3-evidence"] = (io.BytesIO(HTML_AS_JPEG), "ledger.jpg")

    response = client.post(inspection.edit_url, data=data, content_type="multipart/form-data")

    assert response.status_code == 200  # one file was refused: the page comes back with the reason
    page = response.get_data(as_text=True)
    assert re.search(r'id="item_4_3-evidence-error"[^>]*>ledger.jpg: This kind of file is not accepted', page)
    assert len(item_evidence(db_session, inspection)) == 2 and inspection.version("1.1") == 1


# --- serving --------------------------------------------------------------------------------------


def test_a_photo_is_served_inline_without_its_metadata_and_never_sniffed(client, inspection):
    evidence = attach(inspection, "1.1", photo(taken="2025:05:01 10:31:00", gps=SHANGHAI_GPS))
    login(client, inspection.bureau)

    response = client.get(f"/evidence/{evidence.id}")

    assert response.status_code == 200 and response.mimetype == "image/jpeg"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Content-Disposition"].startswith("inline")
    assert "private" in response.headers["Cache-Control"] and "no-cache" in response.headers["Cache-Control"]
    with Image.open(io.BytesIO(response.data)) as served:
        assert not served.getexif()  # re-encoded: no GPS leaks to whoever downloads it
    again = client.get(f"/evidence/{evidence.id}", headers={"If-None-Match": response.headers["ETag"]})
    assert again.status_code == 304


def test_a_pdf_is_always_a_download(client, inspection):
    evidence = attach(inspection, "4.3", pdf(), filename="回收台账.pdf")
    login(client, inspection.inspector)
    response = client.get(f"/evidence/{evidence.id}")
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    assert response.headers["Content-Disposition"].startswith("attachment")
    assert (
        "filename*=UTF-8''%E5%9B%9E%E6%94%B6%E5%8F%B0%E8%B4%A6.pdf" in response.headers["Content-Disposition"]
    )
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert client.get(f"/evidence/{evidence.id}/thumbnail").status_code == 404  # documents have none


def test_thumbnails_are_small_jpegs_kept_privately_for_a_long_time(client, inspection):
    evidence = attach(inspection, "1.1", photo((2000, 1500)))
    login(client, inspection.inspector)
    response = client.get(f"/evidence/{evidence.id}/thumbnail?v={evidence.thumbnail_sha256[:16]}")
    assert response.status_code == 200 and response.mimetype == "image/jpeg"
    cache = response.headers["Cache-Control"]
    assert (
        "private" in cache and "max-age=31536000" in cache and "immutable" in cache and "public" not in cache
    )
    with Image.open(io.BytesIO(response.data)) as thumbnail:
        assert max(thumbnail.size) == 320
    assert response.headers["ETag"].strip('"') == evidence.thumbnail_sha256


@pytest.mark.parametrize("who", ["other_district_bureau", "unassigned_inspector", "other_outlet"])
def test_evidence_out_of_scope_is_404_everywhere(client, inspection, db_session, who):
    evidence = attach(inspection, "1.1")
    login(
        client,
        {
            "other_district_bureau": make_user(Role.DISTRICT_BUREAU, district_code="QP"),
            "unassigned_inspector": make_user(Role.INSPECTOR, district_code="FX"),
            "other_outlet": make_user(Role.OUTLET),
        }[who],
    )
    assert client.get(f"/evidence/{evidence.id}").status_code == 404
    assert client.get(f"/evidence/{evidence.id}/thumbnail").status_code == 404
    assert client.post(f"/evidence/{evidence.id}/delete").status_code == 404
    assert upload(client, inspection, "1.1", photo(), "p.jpg").status_code == 404
    assert len(item_evidence(db_session, inspection)) == 1


def test_the_city_bureau_sees_evidence_of_every_district(client, ctx):
    inspection = Inspection(district_code="QP")
    evidence = attach(inspection, "1.1")
    login(client, make_user(Role.CITY_BUREAU))
    assert client.get(f"/evidence/{evidence.id}/thumbnail").status_code == 200


# --- deleting ---------------------------------------------------------------------------------------


def test_an_inspector_deletes_their_own_upload_and_the_audit_trail_keeps_it(client, inspection, db_session):
    evidence = attach(inspection, "1.1", filename="wrong-item.jpg")
    evidence_id = evidence.id
    login(client, inspection.inspector)

    response = client.post(f"/evidence/{evidence_id}/delete", headers=JSON)

    assert response.status_code == 200
    assert response.get_json()["item"] == {
        "code": "1.1",
        "evidence_count": 0,
        "evidence_required": False,
        "evidence_missing": False,
    }
    db_session.expire_all()
    assert db_session.get(Evidence, evidence_id) is None
    event = db_session.scalar(select(AuditEvent).where(AuditEvent.action == "evidence_deleted"))
    assert (event.subject_id, event.old_value, event.actor_id) == (
        evidence_id,
        "wrong-item.jpg",
        inspection.inspector.id,
    )


def test_nobody_deletes_someone_elses_upload(client, inspection, db_session):
    evidence = attach(inspection, "1.1", actor=inspection.second_inspector)
    login(client, inspection.inspector)
    response = client.post(f"/evidence/{evidence.id}/delete", headers=JSON)
    assert response.status_code == 403 and response.get_json()["status"] == "forbidden"
    login(client, inspection.bureau)
    assert client.post(f"/evidence/{evidence.id}/delete", headers=JSON).status_code == 403
    assert db_session.get(Evidence, evidence.id) is not None


def test_a_plain_delete_form_redirects_back_to_the_item(client, inspection, db_session):
    evidence = attach(inspection, "3.2")
    login(client, inspection.inspector)
    page = client.get(inspection.edit_url).get_data(as_text=True)
    assert (
        f'<form id="delete-evidence-{evidence.id}" method="post" action="/evidence/{evidence.id}/delete"'
        in page
    )
    assert f'form="delete-evidence-{evidence.id}"' in page
    response = client.post(f"/evidence/{evidence.id}/delete")
    assert response.status_code == 302 and response.headers["Location"].endswith("#item-3.2")
    db_session.expire_all()
    assert item_evidence(db_session, inspection, "3.2") == []


def test_the_edit_page_flags_a_reused_photo_to_the_bureau_only(client, ctx):
    borrowed = photo(colour="purple")
    first, second = Inspection(), Inspection()  # one district: named (another district's use is not)
    attach(second, "4.1", borrowed)
    attach(first, "4.1", borrowed)
    login(client, first.bureau)
    page = client.get(first.edit_url).get_data(as_text=True)
    assert "evidence-reused" in page and second.outlet.name in page
    login(client, first.inspector)
    assert "evidence-reused" not in client.get(first.edit_url).get_data(as_text=True)


def sign_off_before_the_next_lock(monkeypatch):
    """The sign-off lands between the page's check and the operation's lock on the assessment."""
    real_lock = attachments.lock_assessment

    def lock_after_sign_off(assessment_id):
        assessment = real_lock(assessment_id)
        assessment.signed_off_at = utcnow()
        return assessment

    monkeypatch.setattr(attachments, "lock_assessment", lock_after_sign_off)


@pytest.mark.parametrize("json", [True, False], ids=["json", "plain-form"])
def test_a_delete_refused_under_the_lock_says_why_and_keeps_the_file(
    client, inspection, db_session, monkeypatch, json
):
    evidence_id = attach(inspection, "1.1").id
    login(client, inspection.inspector)
    sign_off_before_the_next_lock(monkeypatch)

    response = client.post(f"/evidence/{evidence_id}/delete", headers=JSON if json else {})

    if json:
        assert response.status_code == 422
        assert response.get_json() == {
            "status": "refused",
            "message": "This checklist is signed off and locked.",
        }
    else:
        assert response.status_code == 302 and response.headers["Location"].endswith("#item-1.1")
        assert "This checklist is signed off and locked." in client.get(inspection.edit_url).get_data(
            as_text=True
        )
    db_session.expire_all()
    assert db_session.get(Evidence, evidence_id) is not None
    assert db_session.scalar(select(AuditEvent).where(AuditEvent.action == "evidence_deleted")) is None
