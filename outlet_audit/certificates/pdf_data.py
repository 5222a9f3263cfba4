"""What the certificate PDF prints, read from the certificate row (never the clock): same row, same bytes."""

from flask import current_app

from outlet_audit.certificates.certificate_pdf import CertificateData
from outlet_audit.certificates.models import Certificate
from outlet_audit.core.urls import path_for


def verify_url(number: str) -> str:
    """The public verification address of a certificate number, as printed and put in the QR code."""
    base = current_app.config["PUBLIC_BASE_URL"].rstrip("/")
    return base + path_for("public.verify_number", number=number)


def certificate_data(certificate: Certificate) -> CertificateData:
    outlet = certificate.outlet
    return CertificateData(
        number=certificate.number,
        level=certificate.level,
        outlet_name=outlet.name,
        outlet_address=outlet.address,
        brand=outlet.brand,
        total_score=certificate.score,
        criteria_edition_id=certificate.edition_id,
        criteria_content_hash=certificate.edition_hash,
        issued_on=certificate.issued_on,
        valid_until=certificate.valid_until,
        issuing_bureau=certificate.issuing_bureau,
        verify_url=verify_url(certificate.number),
    )
