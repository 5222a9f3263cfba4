"""What the certificate PDF prints, read from the certificate row and the day: the same row on a day
of the same standing gives the same bytes."""

from datetime import date

from flask import current_app

from outlet_audit.certificates.certificate_pdf import CertificateData
from outlet_audit.certificates.models import Certificate
from outlet_audit.certificates.queries import edition_title, standing_of
from outlet_audit.core.urls import path_for


def verify_url(number: str) -> str:
    """The public verification address of a certificate number, as printed and put in the QR code."""
    base = current_app.config["PUBLIC_BASE_URL"].rstrip("/")
    return base + path_for("public.verify_number", number=number)


def certificate_data(certificate: Certificate, today: date) -> CertificateData:
    """The certificate as printed on `today`: its standing (revoked, expired, superseded) included."""
    outlet = certificate.outlet
    title = edition_title(certificate.edition_hash)
    return CertificateData(
        number=certificate.number,
        level=certificate.level,
        outlet_name=outlet.name,
        outlet_address=outlet.address,
        brand=outlet.brand,
        total_score=certificate.score,
        criteria_title=title.zh if title is not None else certificate.edition_id,
        issued_on=certificate.issued_on,
        valid_until=certificate.valid_until,
        issuing_bureau=certificate.issuing_bureau,
        verify_url=verify_url(certificate.number),
        standing=standing_of(certificate, today),
    )
