"""What an event says: the facts of its certificate or application, as plain JSON values.

The certificate's fields are those of the read API's certificate resource (number, outlet, level,
status, dates, issuer...), so a receiver parses one shape for both. `Subject` also carries the district the
record belongs to, which decides who hears of it (`publishing`).
"""

from dataclasses import dataclass, field
from datetime import UTC, date, datetime

from flask import current_app
from sqlalchemy import select

from outlet_audit.certificates.models import Certificate
from outlet_audit.certificates.state import certificate_state
from outlet_audit.core.time import shanghai_date, today_in_shanghai
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
    """A stored (naive UTC) moment as the API writes it: ISO 8601 with its offset."""
    return value.replace(tzinfo=UTC).isoformat() if value is not None else None


def _district(district) -> dict:
    return {"code": district.code, "name_zh": district.official_name_zh, "name_en": district.name_en}


def _outlet(outlet) -> dict:
    return {"id": outlet.id, "name": outlet.name, "address": outlet.address, "brand": outlet.brand}


def certificate_facts(certificate: Certificate, today: date | None = None) -> dict:
    """The certificate as the read API's certificate resource gives it to a token (api/queries.py
    `certificate_json`: the same keys and shapes), plus its verification link. The revocation's
    reason is the one recorded (the API shows a revocation case's ground label instead); a webhook
    goes to an organisation whose staff read the certificate's page, where the reason stands."""
    state = certificate_state(certificate.state, certificate.valid_until, today or today_in_shanghai())
    issuer = certificate.issuer
    replacement = (
        db.session.get(Certificate, certificate.superseded_by_id) if certificate.superseded_by_id else None
    )
    base = current_app.config["PUBLIC_BASE_URL"].rstrip("/")
    return {
        "number": certificate.number,
        "level": certificate.level,
        "status": state.value,
        "score": float(certificate.score),
        "issued_on": _day(certificate.issued_on),
        "valid_until": _day(certificate.valid_until),
        "issuing_bureau": certificate.issuing_bureau,
        "issuer": {"code": issuer.code, "name_zh": issuer.name_zh, "name_en": issuer.name_en},
        "outlet": _outlet(certificate.outlet),
        "district": _district(certificate.outlet.district),
        "edition": {"id": certificate.edition_id, "hash": certificate.edition_hash},
        "revocation": (
            {
                "on": _day(shanghai_date(certificate.revoked_at)),
                "reason": {"zh": certificate.revoked_reason, "en": certificate.revoked_reason},
                "decided_by": {"zh": issuer.name_zh, "en": issuer.name_en},
            }
            if certificate.revoked_at is not None
            else None
        ),
        "superseded": (
            {"by": replacement.number, "on": _day(replacement.issued_on)} if replacement is not None else None
        ),
        "created_at": _moment(certificate.created_at),
        "revoked_at": _moment(certificate.revoked_at),
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
                "district": _district(application.outlet.district),
                "target_level": application.target_level,
                "decision": application.status,
                "granted_level": application.granted_level,
                "decided_at": _moment(application.decided_at),
                "certificate": certificate.number if certificate is not None else None,
            }
        },
        application_id=application.id,
    )
