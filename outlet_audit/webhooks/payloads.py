"""What an event says: the facts of its certificate or application, as plain JSON values.

The certificate is the read API's certificate resource as a token reads it (one builder for both,
`certificates.resource`), plus its verification link, so a receiver parses one shape for both.
`Subject` also carries the district the record belongs to, which decides who hears of it
(`publishing`). Its facts are built only when somebody listens: most issues and decisions have
no endpoint to tell, and pay one query to learn it.
"""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date

from flask import current_app
from sqlalchemy import select

from outlet_audit.certificates.models import Certificate
from outlet_audit.certificates.resource import (
    CERTIFICATE_QUERY,
    CERTIFICATES,
    certificate_resource,
    district_json,
    utc,
)
from outlet_audit.core.time import today_in_shanghai
from outlet_audit.extensions import db


@dataclass(frozen=True)
class Subject:
    district_id: int | None
    facts: Callable[[], dict]  # the event's "data", built when the event is written
    certificate_id: int | None = None
    application_id: int | None = None


def _outlet(outlet) -> dict:
    return {"id": outlet.id, "name": outlet.name, "address": outlet.address, "brand": outlet.brand}


def certificate_facts(certificate: Certificate, today: date | None = None) -> dict:
    """The certificate as the API gives it to a token, plus its verification link. The revocation's
    reason is the one recorded and the issuer decided it (the API shows a revocation case's ground
    label and deciding organisation instead); a webhook goes to an organisation whose staff read
    the certificate's page, where the reason stands."""
    row = db.session.execute(CERTIFICATE_QUERY.where(CERTIFICATES.c.id == certificate.id)).one()
    revocations = {}
    if certificate.revoked_at is not None:
        issuer = certificate.issuer
        revocations[certificate.id] = {
            "reason": {"zh": certificate.revoked_reason, "en": certificate.revoked_reason},
            "by": {"zh": issuer.name_zh, "en": issuer.name_en},
        }
    facts = certificate_resource(row, today or today_in_shanghai(), revocations, full=True)
    base = current_app.config["PUBLIC_BASE_URL"].rstrip("/")
    return facts | {"verify_url": f"{base}/verify/{certificate.number}"}


def certificate_subject(certificate: Certificate, today: date | None = None) -> Subject:
    """`today`: the day the status is read on (the expiry sweep's), else Shanghai's today."""
    return Subject(
        district_id=certificate.district_id,
        facts=lambda: {"certificate": certificate_facts(certificate, today)},
        certificate_id=certificate.id,
        application_id=certificate.application_id,
    )


def _application_facts(application) -> dict:
    certificate = db.session.scalar(select(Certificate).where(Certificate.application_id == application.id))
    return {
        "application": {
            "reference": application.reference,
            "outlet": _outlet(application.outlet),
            "district": district_json(application.outlet.district_id),
            "target_level": application.target_level,
            "decision": application.status,
            "granted_level": application.granted_level,
            "decided_at": utc(application.decided_at),
            "certificate": certificate.number if certificate is not None else None,
        }
    }


def application_subject(application) -> Subject:
    """An application that has just been decided (approved with its level, or rejected)."""
    return Subject(
        district_id=application.district_id,
        facts=lambda: _application_facts(application),
        application_id=application.id,
    )
