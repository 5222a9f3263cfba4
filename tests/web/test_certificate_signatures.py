"""Signed certificates: the PDF kept at issue, its PAdES signature, downloads, and checking an
uploaded PDF on the public verification page."""

import contextlib
import hashlib
import re
from datetime import timedelta
from io import BytesIO

import pytest
from sqlalchemy import func, select, update

from outlet_audit.audit.models import AuditEvent
from outlet_audit.certificates.certificate_pdf import render_certificate
from outlet_audit.certificates.models import Certificate, CertificateDocument
from outlet_audit.certificates.revocation import revoke_certificate
from outlet_audit.certificates.signing.dev_chain import DevOrganisation, write_dev_chain
from outlet_audit.certificates.signing.documents import (
    UploadVerdict,
    check_uploaded_pdf,
    number_in_reason,
    sha256_of,
)
from outlet_audit.certificates.signing.keys import SigningUnavailable, signing_key, trust_store
from outlet_audit.certificates.signing.pades import UnreadablePdf, check_signature, sign_pdf
from outlet_audit.core.time import today_in_shanghai
from outlet_audit.extensions import db
from outlet_audit.workflow.states import Action, Status
from tests.certificate_helpers import OPINION, make_certified, make_inspected, pdf_text
from tests.factories import advance, login
from tests.pdf_helpers import render_pages, sample_certificate

VERIFY_DOCUMENT = "/verify/document"


@pytest.fixture
def certified(ctx):
    return make_certified()


def kept(certificate) -> CertificateDocument:
    return db.session.get(CertificateDocument, certificate.id)


def download(client, certificate) -> bytes:
    response = client.get(f"/certificates/{certificate.id}/certificate.pdf")
    assert response.status_code == 200, response.status_code
    assert response.mimetype == "application/pdf"
    return response.data


def upload(client, data: bytes, name: str = "certificate.pdf"):
    return client.post(
        VERIFY_DOCUMENT, data={"file": (BytesIO(data), name)}, content_type="multipart/form-data"
    )


def signed_ranges(pdf: bytes) -> list[range]:
    """The byte ranges the signature covers: all of the file but its /Contents value."""
    start, first, second, length = map(
        int, re.search(rb"/ByteRange\s*\[(\d+) (\d+) (\d+) (\d+)", pdf).groups()
    )
    return [range(start, start + first), range(second, second + length)]


def with_byte_changed(pdf: bytes, position: int) -> bytes:
    return pdf[:position] + bytes([pdf[position] ^ 0x01]) + pdf[position + 1 :]


# -- the document kept at issue -----------------------------------------------------------


def test_an_issued_certificate_keeps_its_pdf_signed_by_the_issuer(certified):
    certificate = certified.certificate
    document = kept(certificate)
    assert document is not None
    assert document.sha256 == hashlib.sha256(document.pdf).hexdigest()
    assert "OU=FX-postal" in document.signer  # the district postal bureau issues district certificates
    check = check_signature(document.pdf, trust_store(), at_signing_time=True)
    assert check.genuine and check.whole_file and check.signer == document.signer
    assert number_in_reason(check.reason) == certificate.number
    assert certificate.number in pdf_text(document.pdf)
    signed = db.session.scalar(
        select(func.count()).where(
            AuditEvent.action == "certificate_signed",
            AuditEvent.subject_id == certificate.id,
            AuditEvent.new_value == document.sha256,
        )
    )
    assert signed == 1


def test_the_signature_is_invisible_and_the_page_renders_as_before(certified):
    document = kept(certified.certificate)
    (page,) = render_pages(document.pdf, resolution=40)
    (rendering,) = render_pages(render_certificate(_issued_data(certified.certificate)), resolution=40)
    assert page.tobytes() == rendering.tobytes()  # the seal stays printed; the signature adds nothing seen


def _issued_data(certificate):
    from outlet_audit.certificates.pdf_data import certificate_data

    return certificate_data(certificate, certificate.issued_on)


def test_a_byte_changed_in_a_signed_pdf_is_detected_by_hash_and_by_signature(certified):
    document = kept(certified.certificate)
    pdf = document.pdf
    content = pdf.index(b"stream", 2000) + 20  # inside a page content stream
    changed = with_byte_changed(pdf, content)
    assert sha256_of(changed) != document.sha256
    check = check_signature(changed, trust_store())
    assert check.signed and not check.intact and not check.unchanged and not check.genuine
    # Wherever the byte is, the signature check never says the file is unchanged.
    covered = [position for signed in signed_ranges(pdf) for position in signed]
    for position in covered[:: max(1, len(covered) // 40)]:
        with contextlib.suppress(UnreadablePdf):  # the structure itself broke: not genuine either
            assert not check_signature(with_byte_changed(pdf, position), trust_store()).unchanged, position


def test_content_appended_after_the_signature_is_detected(certified):
    pdf = kept(certified.certificate).pdf
    check = check_signature(pdf + b"\n1 0 obj\n<< /Forged true >>\nendobj\n", trust_store())
    assert check.intact and check.valid and not check.whole_file and not check.unchanged


def test_issuing_is_refused_before_anything_is_written_when_the_issuer_has_no_key(
    ctx, app, monkeypatch, tmp_path
):
    inspected = make_inspected()
    before = db.session.scalar(select(func.count()).select_from(Certificate))
    monkeypatch.setitem(app.config, "SIGNING_DIR", str(tmp_path / "empty"))
    with pytest.raises(SigningUnavailable) as refused:
        advance(
            inspected.application, Status.APPROVED, {Action.APPROVE: {"opinion": OPINION}}, inspected.cast
        )
    assert "上海市奉贤区邮政管理局" in str(refused.value) and "FX-postal.key.pem" in str(refused.value)
    assert db.session.scalar(select(func.count()).select_from(Certificate)) == before


# -- downloads ----------------------------------------------------------------------------


def test_a_certificate_in_force_downloads_as_its_kept_bytes_without_signing_again(
    client, certified, monkeypatch
):
    def no_signing(*_args, **_kwargs):
        raise AssertionError("a certificate in force must be served as kept, not signed again")

    monkeypatch.setattr("outlet_audit.certificates.signing.documents.sign_pdf", no_signing)
    login(client, certified.outlet_user)
    assert download(client, certified.certificate) == kept(certified.certificate).pdf


def test_a_revoked_certificate_downloads_as_a_stamped_copy_signed_now(client, certified):
    certificate = certified.certificate
    original = kept(certificate).pdf
    revoke_certificate(certificate, certified.bureau, "复查发现仍使用不可降解胶带")
    db.session.flush()
    login(client, certified.outlet_user)
    copy = download(client, certificate)
    assert copy != original and "已撤销" in pdf_text(copy)
    check = check_signature(copy, trust_store())
    assert check.genuine and number_in_reason(check.reason) == certificate.number
    assert kept(certificate).pdf == original  # the record is never overwritten


def test_a_certificate_issued_before_signing_gets_its_document_at_the_first_download(client, certified):
    certificate = certified.certificate
    db.session.delete(kept(certificate))
    db.session.flush()
    login(client, certified.bureau)
    first = download(client, certificate)
    db.session.expire_all()
    assert kept(certificate).pdf == first
    assert download(client, certificate) == first
    assert check_signature(first, trust_store(), at_signing_time=True).genuine


def test_a_download_without_the_issuers_key_says_so(
    client, certified, app, monkeypatch, tmp_path, english_ui
):
    revoke_certificate(certified.certificate, certified.bureau, "复查不合格")
    db.session.flush()
    monkeypatch.setitem(app.config, "SIGNING_DIR", str(tmp_path / "empty"))
    login(client, certified.bureau)
    response = client.get(f"/certificates/{certified.certificate.id}/certificate.pdf", follow_redirects=True)
    assert response.status_code == 200 and response.mimetype == "text/html"
    assert "No signing key is configured for 上海市奉贤区邮政管理局" in response.get_data(as_text=True)


# -- the public verification page ---------------------------------------------------------


def test_the_verification_page_shows_that_the_kept_pdf_matches_its_record(client, certified):
    certificate = certified.certificate
    page = client.get(f"/verify/{certificate.number}").get_data(as_text=True)
    assert 'data-document="sound"' in page and kept(certificate).sha256 in page
    assert "FX-postal test signer" in page  # who signed, by the certificate's common name
    db.session.execute(
        update(CertificateDocument)
        .where(CertificateDocument.certificate_id == certificate.id)
        .values(pdf=with_byte_changed(kept(certificate).pdf, 3000))
    )
    db.session.flush()
    page = client.get(f"/verify/{certificate.number}").get_data(as_text=True)
    assert 'data-document="broken"' in page


def test_the_genuine_file_uploaded_is_the_original_and_valid(client, certified, english_ui):
    document = kept(certified.certificate)
    response = upload(client, document.pdf)
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert 'data-verdict="original"' in page
    assert "Genuine: this is the certificate file as issued, unchanged." in page
    for name in ("signature", "unchanged", "original", "number"):
        assert f'data-check="{name}" data-ok="yes"' in page, name
    assert 'data-check="status" data-state="valid"' in page
    assert document.sha256 in page and certified.certificate.number in page


def test_a_tampered_file_uploaded_is_reported_changed(client, certified, english_ui):
    pdf = kept(certified.certificate).pdf
    page = upload(client, with_byte_changed(pdf, pdf.index(b"stream", 2000) + 20)).get_data(as_text=True)
    assert 'data-verdict="changed"' in page and "this file was altered after it was signed" in page
    assert 'data-check="unchanged" data-ok="no"' in page
    assert 'data-state="valid"' not in page  # a changed file is not tied to any certificate


def test_an_unknown_certificates_pdf_is_reported_unknown(client, ctx, english_ui):
    """Signed with a genuine key (a copy of the data, or a deleted record): still not a certificate."""
    rendering = render_certificate(sample_certificate(number="WFKD-2025-FX-Q-0999"))
    forged = sign_pdf(rendering, signing_key(_organisation("FX-postal")), "证书 WFKD-2025-FX-Q-0999")
    page = upload(client, forged).get_data(as_text=True)
    assert 'data-verdict="unknown"' in page
    assert "No certificate with the number WFKD-2025-FX-Q-0999 exists." in page
    assert 'data-check="number" data-ok="no"' in page


def test_a_revoked_certificates_file_shows_it_revoked_now(client, certified, english_ui):
    original = kept(certified.certificate).pdf
    revoke_certificate(certified.certificate, certified.bureau, "复查发现仍使用不可降解胶带")
    db.session.flush()
    page = upload(client, original).get_data(as_text=True)
    assert 'data-verdict="original"' in page
    assert 'data-check="status" data-state="revoked"' in page
    assert "复查发现仍使用不可降解胶带" in page and "card border-danger" in page


def test_a_downloaded_stamped_copy_is_a_genuine_copy(client, certified, english_ui):
    revoke_certificate(certified.certificate, certified.bureau, "复查不合格")
    db.session.flush()
    login(client, certified.outlet_user)
    copy = download(client, certified.certificate)
    client.post("/logout")
    page = upload(client, copy).get_data(as_text=True)
    assert 'data-verdict="copy"' in page and 'data-check="original" data-ok="no"' in page
    assert kept(certified.certificate).sha256 in page  # the issued file's hash, to compare with


def test_an_unsigned_pdf_and_one_signed_by_a_stranger(client, ctx, app, english_ui, tmp_path):
    rendering = render_certificate(sample_certificate())
    assert 'data-verdict="unsigned"' in upload(client, rendering).get_data(as_text=True)
    write_dev_chain(tmp_path, [DevOrganisation("FX-postal", "上海市奉贤区邮政管理局")])
    ours, app.config["SIGNING_DIR"] = app.config["SIGNING_DIR"], str(tmp_path)
    try:  # the same names and codes, another root: a look-alike chain
        stranger = sign_pdf(rendering, signing_key(_organisation("FX-postal")), "证书 WFKD-2025-FX-Q-0007")
    finally:
        app.config["SIGNING_DIR"] = ours
    page = upload(client, stranger).get_data(as_text=True)
    assert 'data-verdict="untrusted"' in page and "is not an issuing bureau of this scheme" in page


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"", "The file is empty."),
        (b"PK\x03\x04 a zip archive, not a PDF" * 10, "This is not a PDF file."),
        (b"%PDF-1.7\n" + b"0" * 4096, None),  # a PDF header, then nothing readable
    ],
    ids=["empty", "not a PDF", "damaged PDF"],
)
def test_bad_uploads_get_a_message_never_a_500(client, ctx, english_ui, data, message):
    response = upload(client, data)
    page = response.get_data(as_text=True)
    if message is None:
        assert response.status_code == 200 and 'data-verdict="unreadable"' in page
    else:
        assert response.status_code == 400 and message in page and 'id="file-error"' in page


def test_an_oversized_upload_is_refused_with_a_message(client, ctx, app, monkeypatch, english_ui):
    monkeypatch.setitem(app.config, "VERIFY_PDF_MAX_BYTES", 1024 * 1024)
    response = upload(client, b"%PDF-1.7\n" + b"0" * (1024 * 1024))
    assert response.status_code == 400
    assert "The file is larger than 1 MB" in response.get_data(as_text=True)


def test_no_file_chosen_says_so(client, ctx, english_ui):
    response = client.post(VERIFY_DOCUMENT, data={}, content_type="multipart/form-data")
    assert response.status_code == 400 and "Choose the PDF file to check." in response.get_data(as_text=True)


def test_the_upload_page_speaks_chinese_by_default(client, certified):
    page = upload(client, kept(certified.certificate).pdf).get_data(as_text=True)
    assert 'data-verdict="original"' in page and "Genuine" not in page
    assert "真实：这是颁发时的证书文件，未经改动。" in page and "核验证书文件" in page


def test_a_file_checked_later_shows_the_standing_of_that_day(ctx, certified):
    check = check_uploaded_pdf(kept(certified.certificate).pdf, today_in_shanghai() + timedelta(days=3650))
    assert check.verdict is UploadVerdict.ORIGINAL and check.standing.state == "expired"


def _organisation(code: str):
    from outlet_audit.accounts.organisations import Organisation

    return db.session.scalar(select(Organisation).where(Organisation.code == code))


# -- the development chain ----------------------------------------------------------------


def test_dev_chain_makes_a_key_for_every_organisation_and_is_idempotent(
    app, db_session, monkeypatch, tmp_path
):
    from outlet_audit.accounts.organisations import all_organisations

    folder = tmp_path / "signing"
    monkeypatch.setitem(app.config, "SIGNING_DIR", str(folder))
    runner = app.test_cli_runner()
    first = runner.invoke(args=["signing", "dev-chain"])
    assert first.exit_code == 0, first.output
    assert "DEVELOPMENT signing chain" in first.output and "NOT fit for production" in first.output
    codes = [organisation.code for organisation in all_organisations()]
    assert len(codes) == 34
    for code in codes:
        assert (folder / f"{code}.key.pem").stat().st_mode & 0o077 == 0
        assert (folder / f"{code}.cert.pem").is_file()
    files = {path.name: path.read_bytes() for path in folder.iterdir()}
    second = runner.invoke(args=["signing", "dev-chain"])
    assert second.exit_code == 0 and "0 signing key(s) made, 34 kept" in second.output
    assert {path.name: path.read_bytes() for path in folder.iterdir()} == files
    status = runner.invoke(args=["signing", "status"])
    assert status.exit_code == 0 and "DEVELOPMENT chain" in status.output
    assert "上海市奉贤区邮政管理局" in status.output  # named as the database names the organisation


def test_dev_chain_is_refused_in_production_and_on_a_real_chain(app, db_session, monkeypatch, tmp_path):
    folder = tmp_path / "signing"
    monkeypatch.setitem(app.config, "SIGNING_DIR", str(folder))
    monkeypatch.setitem(app.config, "ENV_NAME", "production")
    runner = app.test_cli_runner()
    refused = runner.invoke(args=["signing", "dev-chain"])
    assert refused.exit_code != 0 and "refused" in refused.output and not folder.exists()
    assert runner.invoke(args=["signing", "dev-chain", "--force"]).exit_code == 0
    (folder / "root.key.pem").unlink()  # now it looks like a real chain: never touched
    files = {path.name: path.read_bytes() for path in folder.iterdir()}
    again = runner.invoke(args=["signing", "dev-chain", "--force"])
    assert again.exit_code == 0 and "real chain" in again.output  # make run goes on with it
    assert {path.name: path.read_bytes() for path in folder.iterdir()} == files


def test_status_names_organisations_that_cannot_sign(app, db_session, monkeypatch, tmp_path):
    write_dev_chain(tmp_path, [DevOrganisation("FX-postal", "上海市奉贤区邮政管理局")])
    monkeypatch.setitem(app.config, "SIGNING_DIR", str(tmp_path))
    result = app.test_cli_runner().invoke(args=["signing", "status"])
    assert result.exit_code != 0 and "33 organisation(s) cannot sign" in result.output
    assert "FX-postal" in result.output and "PD-postal" in result.output


def test_production_says_at_start_when_it_signs_with_a_development_chain(
    app, database_url, monkeypatch, tmp_path, caplog
):
    from outlet_audit import create_app
    from outlet_audit.extensions import limiter

    monkeypatch.setenv("SECRET_KEY", "p" * 48)
    monkeypatch.setenv("DATABASE_URL", database_url)
    monkeypatch.setenv("OUTLET_AUDIT_INSTANCE", str(tmp_path))
    try:
        with caplog.at_level("WARNING"):
            create_app("production", SIGNING_DIR=str(tmp_path / "none"))
        assert "no certificate can be issued or checked" in caplog.text
        caplog.clear()
        write_dev_chain(tmp_path / "dev", [DevOrganisation("FX-postal", "上海市奉贤区邮政管理局")])
        with caplog.at_level("WARNING"):
            create_app("production", SIGNING_DIR=str(tmp_path / "dev"))
        assert "is a DEVELOPMENT signing chain" in caplog.text
    finally:
        limiter.init_app(app)


def test_pdf_checks_are_rate_limited_per_address(app, database_url, tmp_path, db_session):
    from outlet_audit.extensions import limiter
    from tests.conftest import make_test_app

    limited = make_test_app(database_url, tmp_path, RATELIMIT_PDF_CHECK="2 per minute")
    try:
        client = limited.test_client()
        answers = [upload(client, b"not a pdf").status_code for _ in range(3)]
        assert answers == [400, 400, 429]
        assert client.get("/verify").status_code == 200  # reading pages is not held up by it
    finally:
        limiter.init_app(app)  # the limiter is one object: the session's app gets its storage back
