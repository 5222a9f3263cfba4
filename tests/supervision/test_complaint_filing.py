"""The public files a complaint without an account: the form, the photo, the contact and its code,
bad input, the limits per network and per outlet, and following a complaint by its code."""

import re
from io import BytesIO

import pytest
from PIL import Image
from sqlalchemy import select

from outlet_audit.accounts.codes import code_digest
from outlet_audit.audit.models import AuditEvent
from outlet_audit.certificates.state import StoredCertificateState
from outlet_audit.core.time import utcnow
from outlet_audit.evidence.operations import evidence_store
from outlet_audit.extensions import db
from outlet_audit.notifications.models import Notification
from outlet_audit.roles import Role
from outlet_audit.supervision.models import Complaint
from tests.checklist_helpers import SHANGHAI_GPS, pdf, photo
from tests.factories import make_user
from tests.supervision.complaint_helpers import (
    DESCRIPTION,
    certified,
    make_complaint,
    newest_complaint,
    receipt_of,
    send,
)

pytestmark = pytest.mark.usefixtures("english_ui")


@pytest.fixture
def certificate(ctx):
    return certified("FX")


def complaints_count() -> int:
    return len(db.session.scalars(select(Complaint.id)).all())


def test_anyone_files_a_complaint_without_an_account_and_gets_a_reference(client, certificate):
    fx_bureau = make_user(Role.DISTRICT_BUREAU, district_code="FX")
    qp_bureau = make_user(Role.DISTRICT_BUREAU, district_code="QP")
    outlet_staff = make_user(Role.OUTLET, outlet=certificate.outlet)
    page = client.get(f"/complaints/new/{certificate.number}")
    assert page.status_code == 200 and certificate.outlet.name in page.get_data(as_text=True)

    sent = send(client, certificate.number)

    assert sent.status_code == 302 and sent.headers["Location"].endswith("/complaints/received")
    reference, code = receipt_of(client.get("/complaints/received").get_data(as_text=True))
    complaint = newest_complaint()
    assert reference == complaint.reference and re.fullmatch(r"TS-\d{4}-FX-\d{6}", reference)
    assert code is None and complaint.follow_code_hash is None and complaint.contact is None
    assert (complaint.description, complaint.category, complaint.status) == (
        DESCRIPTION,
        "second_packaging",
        "received",
    )
    assert complaint.photo_sha256 is None and complaint.outlet_id == certificate.outlet_id
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "complaint_received"))
    # Nobody acted but the public, and the outlet's own history does not show it.
    assert (event.actor_id, event.outlet_id, event.subject_id) == (None, None, complaint.id)
    told = set(
        db.session.scalars(select(Notification.user_id).where(Notification.kind == "complaint_received"))
    )
    assert fx_bureau.id in told and qp_bureau.id not in told and outlet_staff.id not in told


def test_a_photo_is_kept_without_its_place_and_time_and_a_contact_gets_a_code_shown_once(client, certificate):
    taken_here = photo((800, 600), taken="2026:11:30 09:15:00", gps=SHANGHAI_GPS)
    assert Image.open(BytesIO(taken_here)).getexif()  # the phone's photo says where and when

    sent = send(client, certificate.number, photo=taken_here, contact="someone@example.com")

    assert sent.status_code == 302
    reference, code = receipt_of(client.get("/complaints/received").get_data(as_text=True))
    assert re.fullmatch(r"[A-Z2-9]{4}-[A-Z2-9]{4}-[A-Z2-9]{4}", code)
    complaint = newest_complaint()
    assert complaint.contact == "someone@example.com" and complaint.follow_code_hash == code_digest(code)
    assert code.replace("-", "") not in (complaint.follow_code_hash or "")
    stored = Image.open(BytesIO(evidence_store().open(complaint.photo_sha256)))
    assert stored.format == "JPEG" and complaint.photo_mime == "image/jpeg"
    assert not stored.getexif() and "exif" not in stored.info
    # Shown once: the receipt is gone at the next visit.
    again = client.get("/complaints/received")
    assert again.status_code == 302 and again.headers["Location"].endswith("/complaints/follow")


def test_a_phone_number_is_kept_in_its_plain_form(client, certificate):
    assert send(client, certificate.number, contact="138 0013 8000").status_code == 302
    assert newest_complaint().contact == "13800138000"


@pytest.mark.parametrize(
    ("fields", "error"),
    [
        ({"description": "   \n  "}, "Describe what you saw."),
        ({"description": "很长" * 1001}, "At most 2,000 characters."),
        ({"contact": "call me maybe"}, "Enter a mobile number"),
        ({"contact": "not-an-address@"}, "Enter an e-mail address"),
        ({"category": "fraud"}, "Choose what is wrong."),
    ],
)
def test_bad_input_comes_back_with_what_was_typed(client, certificate, fields, error):
    typed = {"description": "二次包装 <b>还在</b>", "contact": "138-abc", **fields}
    typed.setdefault("contact", "138-abc")

    page = send(client, certificate.number, **typed)

    text = page.get_data(as_text=True)
    assert page.status_code == 422 and error in text
    for name in ("description", "contact"):
        value = typed[name].strip()
        if value and len(value) < 100:
            escaped = value.replace("<", "&lt;").replace(">", "&gt;")
            assert escaped in text, f"{name} was not kept"
    assert complaints_count() == 0


@pytest.mark.parametrize(
    ("data", "error"),
    [
        (pdf(), "Only a photo can be attached"),
        (b"MZ\x90\x00 not an image at all", "This kind of file is not accepted"),
        (b"\xff\xd8\xff\xe0 a broken jpeg", "The image is damaged"),
    ],
    ids=["pdf", "executable", "broken jpeg"],
)
def test_a_file_that_is_not_a_photo_is_refused_and_nothing_is_kept(client, certificate, data, error):
    page = send(client, certificate.number, photo=data, contact="someone@example.com")

    text = page.get_data(as_text=True)
    assert page.status_code == 422 and error in text and "Choose the photo again" in text
    assert "someone@example.com" in text and complaints_count() == 0


def test_an_unknown_certificate_has_no_form(client, certificate):
    assert client.get("/complaints/new/WFKD-2025-FX-Q-9999").status_code == 404
    assert client.get("/complaints/new/nonsense").status_code == 404
    assert send(client, "WFKD-2025-FX-Q-9999").status_code == 404


def test_a_certificate_no_longer_in_force_can_still_be_reported(client, certificate):
    certificate.state, certificate.revoked_at, certificate.revoked_reason = (
        StoredCertificateState.REVOKED,
        utcnow(),
        "复查不合格",
    )
    db.session.flush()
    page = client.get(f"/complaints/new/{certificate.number}").get_data(as_text=True)
    assert "data-not-in-force" in page
    assert send(client, certificate.number, category="certificate").status_code == 302
    assert newest_complaint().certificate_id == certificate.id


def test_the_verification_page_and_the_directory_link_to_the_form(client, certificate):
    target = f"/complaints/new/{certificate.number}"
    assert target in client.get(f"/verify/{certificate.number}").get_data(as_text=True)
    assert target in client.get("/directory").get_data(as_text=True)


def test_each_network_may_send_a_few_and_typing_errors_are_free(app, client, certificate, monkeypatch):
    monkeypatch.setitem(app.config, "RATELIMIT_COMPLAINT", "2 per hour")
    address = "10.71.0.1"
    assert send(client, certificate.number, address=address).status_code == 302
    assert send(client, certificate.number, address=address, description=" ").status_code == 422
    assert send(client, certificate.number, address=address).status_code == 302

    refused = send(client, certificate.number, address=address)

    assert refused.status_code == 429 and int(refused.headers["Retry-After"]) > 0
    assert (
        client.get(f"/complaints/new/{certificate.number}", environ_base={"REMOTE_ADDR": address}).status_code
        == 200
    )
    assert send(client, certificate.number, address="10.71.0.2").status_code == 302  # another network
    assert complaints_count() == 3


def test_an_outlet_receives_a_bounded_number_a_day_from_all_networks(app, client, certificate, monkeypatch):
    monkeypatch.setitem(app.config, "COMPLAINTS_PER_OUTLET_PER_DAY", 2)
    other = certified("FX")
    for n in range(2):
        assert send(client, certificate.number, address=f"10.72.0.{n + 1}").status_code == 302

    refused = send(client, certificate.number, address="10.72.0.9", contact="someone@example.com")

    text = refused.get_data(as_text=True)
    assert refused.status_code == 429 and "many reports today" in text and "someone@example.com" in text
    assert send(client, other.number, address="10.72.0.9").status_code == 302
    assert complaints_count() == 3


# --- following ------------------------------------------------------------------------------------


def follow(client, reference, code, address=None):
    extra = {"environ_base": {"REMOTE_ADDR": address}} if address else {}
    return client.post("/complaints/follow", data={"reference": reference, "code": code}, **extra)


NOT_FOUND = "No complaint matches this reference and code."


def test_the_right_code_shows_the_status_in_any_case_and_spacing(client, certificate):
    complaint, code = make_complaint(certificate, contact="someone@example.com")
    db.session.commit()

    for typed in (code, code.lower().replace("-", " ")):
        page = follow(client, complaint.reference.lower(), typed)
        text = page.get_data(as_text=True)
        assert page.status_code == 200 and 'data-status="received"' in text
        assert certificate.outlet.name in text and NOT_FOUND not in text


def test_a_wrong_code_answers_as_an_unknown_reference_does(client, certificate):
    with_code, code = make_complaint(certificate, contact="someone@example.com")
    without_code, _ = make_complaint(certificate)
    db.session.commit()
    wrong = "A" * 12 if code.replace("-", "") != "A" * 12 else "B" * 12

    answers = [
        follow(client, with_code.reference, wrong),
        follow(client, "TS-2000-FX-999999", code),
        follow(client, without_code.reference, code),
        follow(client, without_code.reference, "-"),
    ]

    for answer in answers:
        text = answer.get_data(as_text=True)
        assert answer.status_code in (404, 422) and "data-status" not in text
    assert [answer.status_code for answer in answers[:3]] == [404, 404, 404]
    assert all(NOT_FOUND in answer.get_data(as_text=True) for answer in answers[:3])


def test_following_is_rate_limited_per_network(app, client, certificate, monkeypatch):
    monkeypatch.setitem(app.config, "RATELIMIT_COMPLAINT_FOLLOW", "3 per hour")
    complaint, code = make_complaint(certificate, contact="someone@example.com")
    db.session.commit()
    address = "10.73.0.1"
    for _ in range(3):
        assert follow(client, complaint.reference, "WRONG-CODE-0", address).status_code == 404
    assert follow(client, complaint.reference, code, address).status_code == 429
    assert follow(client, complaint.reference, code, "10.73.0.2").status_code == 200


def test_the_public_pages_speak_chinese_by_default(app, client, certificate, monkeypatch):
    monkeypatch.setitem(app.config, "BABEL_DEFAULT_LOCALE", "zh_CN")  # the default, which english_ui changed
    form = client.get(f"/complaints/new/{certificate.number}").get_data(as_text=True)
    assert "投诉已认定网点" in form and "二次包装或过度包装" in form
    assert send(client, certificate.number, contact="13800138000").status_code == 302
    receipt = client.get("/complaints/received").get_data(as_text=True)
    assert "查询码只显示这一次" in receipt
