"""What an event says: the facts of its certificate or application, as plain JSON values.

The certificate's fields are those of the read API's certificate resource (number, outlet, level,
status, dates, issuer), so a receiver parses one shape. `Subject` also carries the district the
record belongs to, which decides who hears of it (`publishing`).
"""

from dataclasses import dataclass, field
from datetime import date, datetime

from flask import current_app
from sqlalchemy import select

from outlet_audit.certificates.models import Certificate
from outlet_audit.certificates.state import certificate_state
from outlet_audit.core.time import today_in_shanghai
from outlet_audit.extensions import db


@dataclass(frozen=True)
class Subject:
    district_id: int | None
    data: dict
    certificate_id: int | None = None
    application_id: int | None = None
    extra: dict = field(default_factory=dict)


def _day(value: date | None) -> str | None:
    return value.isoformat() if value is not None else None


def _moment(value: datetime | None) -> str | None:
    return value.isoformat(timespec="seconds") + "Z" if value is not None else None


def _outlet(outlet) -> dict:
    return {
        "id": outlet.id,
        "name": outlet.name,
        "permit_number": outlet.permit_number,
        "address": outlet.address,
        "district": outlet.district.code,
    }


def certificate_facts(certificate: Certificate, today: date | None = None) -> dict:
    base = current_app.config["PUBLIC_BASE_URL"].rstrip("/")
    superseded_by = (
        db.session.get(Certificate, certificate.superseded_by_id) if certificate.superseded_by_id else None
    )
    return {
        "number": certificate.number,
        "outlet": _outlet(certificate.outlet),
        "level": certificate.level,
        "status": certificate_state(
            certificate.state, certificate.valid_until, today or today_in_shanghai()
        ).value,
        "score": str(certificate.score),
        "issued_on": _day(certificate.issued_on),
        "valid_until": _day(certificate.valid_until),
        "revoked_at": _moment(certificate.revoked_at),
        "superseded_by": superseded_by.number if superseded_by else None,
        "issuer": {"code": certificate.issuer.code, "name": certificate.issuer.name_zh},
        "verify_url": f"{base}/verify/{certificate.number}",
    }


def certificate_subject(certificate: Certificate, today: date | None = None) -> Subject:
    """`today`: the day the status is read on (the expiry sweep's), else Shanghai's today."""
    return Subject(
        district_id=certificate.district_id,
        data={"certificate": certificate_facts(certificate, today)},
        certificate_id=certificate.id,
        application_id=certificate.application_id,
    )


def application_subject(application) -> Subject:
    """An application that has just been decided (approved with its level, or rejected)."""
    certificate = db.session.scalar(select(Certificate).where(Certificate.application_id == application.id))
    return Subject(
        district_id=application.district_id,
        data={
            "application": {
                "reference": application.reference,
                "outlet": _outlet(application.outlet),
                "target_level": application.target_level,
                "decision": application.status,
                "granted_level": application.granted_level,
                "decided_at": _moment(application.decided_at),
                "certificate": certificate.number if certificate is not None else None,
            }
        },
        application_id=application.id,
    )
