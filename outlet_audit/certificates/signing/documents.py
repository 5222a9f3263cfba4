"""Each certificate's signed document: made when it is issued, served for download, and checked
when someone uploads a PDF on the public verification page.

The document is the certificate as issued (its standing on the day of issue: in force), signed by
the issuer's key and kept byte for byte with the SHA-256 of those bytes (`CertificateDocument`).
While the certificate is in force a download serves exactly those bytes: nothing is rendered or
signed again. Once it is not (revoked, expired, superseded) the download is the stamped rendering
of the day, signed at download time; that copy is not kept (the original is the record).

A certificate issued before documents were signed (or loaded in bulk) gets its document at the
first download while it is in force: rendered as in force, signed and kept then, once.
"""

import hashlib
import logging
import re
import time
from dataclasses import dataclass
from datetime import date, datetime
from enum import StrEnum

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from outlet_audit.audit.operations import record
from outlet_audit.certificates.certificate_pdf import render_certificate
from outlet_audit.certificates.models import Certificate, CertificateDocument
from outlet_audit.certificates.numbering import parse_certificate_number
from outlet_audit.certificates.pdf_data import certificate_data
from outlet_audit.certificates.queries import standing_of
from outlet_audit.certificates.signing.keys import SigningKey, SigningUnavailable, signing_key, trust_store
from outlet_audit.certificates.signing.pades import (
    SignatureCheck,
    UnreadablePdf,
    check_signature,
    sign_pdf,
)
from outlet_audit.certificates.state import Standing
from outlet_audit.core.time import utcnow
from outlet_audit.extensions import db
from outlet_audit.pdf.cache import rendered_pdf

log = logging.getLogger(__name__)

SIGNED_AUDIT_ACTION = "certificate_signed"
_NUMBER_IN_REASON = re.compile(r"WFKD-[0-9A-Za-z-]+")


def signing_reason(number: str) -> str:
    """The signature's /Reason: what the file is, and which certificate (read back on upload)."""
    return f"无废快递网点证书 Zero-waste express outlet certificate {number}"


def number_in_reason(reason: str) -> str | None:
    match = _NUMBER_IN_REASON.search(reason or "")
    number = parse_certificate_number(match.group()) if match else None
    return str(number) if number is not None else None


def sha256_of(pdf: bytes) -> str:
    return hashlib.sha256(pdf).hexdigest()


def issued_rendering(certificate: Certificate) -> bytes:
    """The certificate as printed on the day it was issued (in force), from the rendering cache."""
    data = certificate_data(certificate, certificate.issued_on)
    return rendered_pdf("certificate", data, render_certificate)


def store_signed_document(
    certificate: Certificate, actor, key: SigningKey | None = None
) -> CertificateDocument:
    """Render the certificate as issued, sign it with its issuer's key and keep the exact bytes.

    Raises keys.SigningUnavailable (a Refused, with the message) when the issuer has no usable key.
    """
    key = key or signing_key(certificate.issuer)
    pdf = sign_pdf(issued_rendering(certificate), key, signing_reason(certificate.number))
    document = CertificateDocument(
        certificate_id=certificate.id, sha256=sha256_of(pdf), pdf=pdf, signer=key.subject, signed_at=utcnow()
    )
    db.session.add(document)
    db.session.flush()
    record(
        SIGNED_AUDIT_ACTION,
        actor=actor,
        subject_type="certificate",
        subject_id=certificate.id,
        application_id=certificate.application_id,
        outlet_id=certificate.outlet_id,
        field="sha256",
        new=document.sha256,
    )
    return document


@dataclass(frozen=True)
class Download:
    pdf: bytes
    stored_now: bool = False  # a document was made and kept by this download (the caller commits)


def certificate_download(certificate: Certificate, today: date) -> Download:
    """The signed PDF to hand out today: the kept original while in force, else today's stamped copy."""
    standing = standing_of(certificate, today)
    if not standing.in_force:
        rendered = rendered_pdf("certificate", certificate_data(certificate, today), render_certificate)
        key = signing_key(certificate.issuer)
        return Download(sign_pdf(rendered, key, signing_reason(certificate.number)))
    document = db.session.get(CertificateDocument, certificate.id)
    if document is not None:
        return Download(document.pdf)
    log.info("certificate %s has no signed document yet: signing it now", certificate.number)
    try:
        with db.session.begin_nested():
            document = store_signed_document(certificate, actor=None)
    except IntegrityError:  # another request kept it a moment ago: serve that one
        return Download(db.session.get(CertificateDocument, certificate.id, populate_existing=True).pdf)
    return Download(document.pdf, stored_now=True)


# -- checking ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class KeptDocumentCheck:
    """What the verification page says of a certificate's kept document."""

    sha256: str  # as recorded
    signer: str  # as recorded (RFC 4514 subject)
    signed_at: datetime
    hash_matches: bool  # the kept bytes still hash to the recorded SHA-256
    signature: SignatureCheck | None  # None: the signature could not be checked (no roots, damage)

    @property
    def sound(self) -> bool:
        return self.hash_matches and self.signature is not None and self.signature.genuine


# Checked documents by the SHA-256 of their actual bytes and the trust files' version: the
# verification page is read far more often than a document or the roots change, and a checked
# signature is 15 ms. Keyed by the bytes' own digest, so changed bytes are always checked afresh.
_kept_checks: dict[tuple, tuple[float, SignatureCheck | None]] = {}
KEPT_CHECK_ENTRIES = 1024
KEPT_CHECK_SECONDS = 3600


def check_kept_document(sha256: str, pdf: bytes, signer: str, signed_at: datetime) -> KeptDocumentCheck:
    actual = sha256_of(pdf)
    try:
        trust = trust_store()
    except SigningUnavailable:  # said on the page; trust_store logged why
        return KeptDocumentCheck(sha256, signer, signed_at, actual == sha256, None)
    key = (actual, trust.version)
    cached = _kept_checks.get(key)
    if cached is not None and cached[0] > time.monotonic():
        signature = cached[1]
    else:
        try:
            signature = check_signature(pdf, trust, at_signing_time=True)
        except UnreadablePdf:
            log.error("the kept document with SHA-256 %s cannot be read", sha256)
            signature = None
        if len(_kept_checks) >= KEPT_CHECK_ENTRIES:
            _kept_checks.clear()
        _kept_checks[key] = (time.monotonic() + KEPT_CHECK_SECONDS, signature)
    if actual != sha256 or signature is None or not signature.genuine:
        log.error("the kept document with SHA-256 %s no longer matches its record", sha256)
    return KeptDocumentCheck(sha256, signer, signed_at, actual == sha256, signature)


class UploadVerdict(StrEnum):
    """The one-line answer about an uploaded file, most reassuring first."""

    ORIGINAL = "original"  # genuine, unchanged, and the very file issued (its hash is on record)
    COPY = "copy"  # genuine and unchanged: a copy signed at download (e.g. stamped revoked)
    UNKNOWN = "unknown"  # genuine signature, but no certificate with its number exists here
    UNTRUSTED = "untrusted"  # unchanged since signed, but not by an issuing organisation of ours
    CHANGED = "changed"  # the file was altered after it was signed
    UNSIGNED = "unsigned"  # a PDF with no digital signature
    UNREADABLE = "unreadable"  # damaged: its structure or signature cannot be read


@dataclass(frozen=True)
class UploadCheck:
    verdict: UploadVerdict
    sha256: str
    signature: SignatureCheck | None
    number: str | None  # the certificate the file is (from our record, or a genuine signature)
    certificate: Certificate | None
    standing: Standing | None  # the certificate's standing today
    original_sha256: str | None  # the issued document's hash on record, to compare with `sha256`

    @property
    def matches_record(self) -> bool:
        return self.original_sha256 is not None and self.original_sha256 == self.sha256


def check_uploaded_pdf(pdf: bytes, today: date) -> UploadCheck:
    """Say whether `pdf` is a genuine certificate file, unchanged, which one, and its standing today.

    Raises keys.SigningUnavailable when no trust roots are configured (nothing can be judged).
    """
    digest = sha256_of(pdf)
    trust = trust_store()
    kept = db.session.scalar(select(CertificateDocument).where(CertificateDocument.sha256 == digest))
    try:
        signature = check_signature(pdf, trust, at_signing_time=kept is not None)
    except UnreadablePdf as error:
        log.info("an uploaded PDF could not be read: %s", error)
        return UploadCheck(UploadVerdict.UNREADABLE, digest, None, None, None, None, None)
    certificate = db.session.get(Certificate, kept.certificate_id) if kept is not None else None
    # The number a file names counts only when our signature vouches for it.
    claimed = number_in_reason(signature.reason) if signature.genuine else None
    if certificate is None and claimed is not None:
        certificate = db.session.scalar(select(Certificate).where(Certificate.number == claimed))
    if not signature.signed:
        verdict = UploadVerdict.UNSIGNED
    elif not signature.unchanged:
        verdict = UploadVerdict.CHANGED
    elif not signature.trusted:
        verdict = UploadVerdict.UNTRUSTED
    elif certificate is None:
        verdict = UploadVerdict.UNKNOWN
    else:
        verdict = UploadVerdict.ORIGINAL if kept is not None else UploadVerdict.COPY
    original = None
    if certificate is not None:
        original = kept.sha256 if kept is not None else _kept_sha256(certificate.id)
    return UploadCheck(
        verdict=verdict,
        sha256=digest,
        signature=signature,
        number=certificate.number if certificate is not None else claimed,
        certificate=certificate,
        standing=standing_of(certificate, today) if certificate is not None else None,
        original_sha256=original,
    )


def _kept_sha256(certificate_id: int) -> str | None:
    return db.session.scalar(
        select(CertificateDocument.sha256).where(CertificateDocument.certificate_id == certificate_id)
    )
