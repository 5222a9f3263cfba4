"""Sign PDF bytes with a PAdES baseline B-B signature and check a PDF's signature. No database.

The signature goes in an invisible field (the seal stays printed as an image) and is made as an
incremental update, so the rendered page is untouched. It carries the signer's certificate and
the chain above it, the signing time the signer states and a /Reason naming the certificate
number, so a signed file says which certificate it is.

Checking reads the last signature of the file and says separately: is there one; do the signed
bytes hash to what was signed (intact); is the signature cryptographically valid and its
signer's chain trusted by our roots (nothing is fetched from the network: no CRL or OCSP; a
compromised key is withdrawn by replacing the roots); does it cover the whole file (nothing was
appended after signing). A file pyHanko cannot read at all raises UnreadablePdf.
"""

import asyncio
import warnings
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime
from io import BytesIO

from cryptography import x509
from cryptography.utils import CryptographyDeprecationWarning

from outlet_audit.certificates.signing.keys import SigningKey, TrustStore

with warnings.catch_warnings():
    # pyHanko imports cryptography's DSA names, which cryptography marks deprecated; we never use DSA.
    warnings.simplefilter("ignore", CryptographyDeprecationWarning)
    from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
    from pyhanko.pdf_utils.reader import PdfFileReader
    from pyhanko.sign import fields, signers
    from pyhanko.sign.validation import validate_pdf_signature
    from pyhanko.sign.validation.settings import KeyUsageConstraints
    from pyhanko.sign.validation.status import SignatureCoverageLevel
    from pyhanko_certvalidator import ValidationContext
    from pyhanko_certvalidator.registry import SimpleCertificateStore

SIGNATURE_FIELD = "IssuerSignature"
LOCATION = "上海 Shanghai"
# Document-signing certificates carry non-repudiation, digital signature or both: either will do.
KEY_USAGE = KeyUsageConstraints(
    key_usage={"non_repudiation", "digital_signature"}, match_all_key_usages=False
)


class UnreadablePdf(Exception):
    """pyHanko cannot read the file's structure or its signature (damaged, or not a PDF)."""


def sign_pdf(pdf: bytes, key: SigningKey, reason: str) -> bytes:
    """`pdf` with a PAdES B-B signature of `key` over the whole file appended."""
    signer = signers.SimpleSigner(
        signing_cert=key.certificate,
        signing_key=key.key,
        cert_registry=SimpleCertificateStore.from_certs(key.chain),
    )
    metadata = signers.PdfSignatureMetadata(
        field_name=SIGNATURE_FIELD,
        subfilter=fields.SigSeedSubFilter.PADES,  # PAdES; no timestamp or revocation data: baseline B-B
        md_algorithm="sha256",
        reason=reason,
        location=LOCATION,
    )
    writer = IncrementalPdfFileWriter(BytesIO(pdf), strict=False)
    return _without_a_running_loop(lambda: signers.sign_pdf(writer, metadata, signer=signer).getvalue())


def _without_a_running_loop(work):
    """Run pyHanko's synchronous calls, which start an asyncio loop of their own: in a thread of their
    own when this one already runs a loop (an async server, a test driving a browser), else here."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return work()
    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(work).result()


@dataclass(frozen=True)
class SignatureCheck:
    """What a PDF's signature shows. `signed` False: no signature at all (the rest is then False/empty)."""

    signed: bool
    intact: bool = False  # the signed bytes are exactly those that were signed
    valid: bool = False  # the signature value is right for the signer's key
    trusted: bool = False  # the signer's certificate chains to our roots and was in force
    whole_file: bool = False  # the signature covers every byte (nothing appended after it)
    signer: str = ""  # the signing certificate's subject, RFC 4514
    signed_at: datetime | None = None  # as the signer states it (not a timestamp authority's)
    reason: str = ""  # the signature's /Reason: names the certificate number in ours

    @property
    def unchanged(self) -> bool:
        """Nothing in the file changed since it was signed."""
        return self.signed and self.intact and self.valid and self.whole_file

    @property
    def genuine(self) -> bool:
        """Unchanged since one of our trusted signers signed it."""
        return self.unchanged and self.trusted


UNSIGNED = SignatureCheck(signed=False)


def check_signature(pdf: bytes, trust: TrustStore, *, at_signing_time: bool = False) -> SignatureCheck:
    """Check the last signature of `pdf` against `trust`.

    The signer's chain is judged as it stands now, or, `at_signing_time`, as it stood when the
    signature says it was made: only for a file we know we signed (its hash is one we kept), so
    that a certificate outlives the signing certificate of its issuer without its file turning
    untrusted. A stranger's file never chooses its own time.
    """
    try:
        reader = PdfFileReader(BytesIO(pdf), strict=False)
        signatures = reader.embedded_regular_signatures
        if not signatures:
            return UNSIGNED
        signature = signatures[-1]
        context = ValidationContext(
            trust_roots=list(trust.roots),
            other_certs=list(trust.intermediates),
            moment=signature.self_reported_timestamp if at_signing_time else None,
            allow_fetching=False,
            revocation_mode="soft-fail",
        )
        status = _without_a_running_loop(
            lambda: validate_pdf_signature(signature, context, key_usage_settings=KEY_USAGE, skip_diff=True)
        )
        reason = signature.sig_object.get("/Reason")
    except Exception as error:  # noqa: BLE001 - anyone's file: any failure to read it is the answer
        raise UnreadablePdf(str(error)) from error
    return SignatureCheck(
        signed=True,
        intact=bool(status.intact),
        valid=bool(status.valid),
        trusted=bool(status.trusted),
        whole_file=status.coverage == SignatureCoverageLevel.ENTIRE_FILE,
        signer=_subject(status.signing_cert),
        signed_at=status.signer_reported_dt,
        reason=str(reason) if reason is not None else "",
    )


def _subject(certificate) -> str:
    return x509.load_der_x509_certificate(certificate.dump()).subject.rfc4514_string()
