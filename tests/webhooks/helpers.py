"""Endpoints for webhook tests, made by the real operation."""

from outlet_audit.accounts.organisations import organisation_for
from outlet_audit.roles import Agency
from outlet_audit.webhooks.endpoints import EndpointSettings, create_endpoint
from outlet_audit.webhooks.events import SUBSCRIBABLE, WebhookEvent
from tests.factories import district

DOCUMENTED_TOLERANCE = 300


def organisation(agency: Agency, district_code: str | None = "FX"):
    return organisation_for(agency, district(district_code).id if district_code else None)


def endpoint_for(org, url: str, actor, events=SUBSCRIBABLE, active=True):
    endpoint, secret = create_endpoint(
        org.id, EndpointSettings(url=url, events=tuple(WebhookEvent(e) for e in events), active=active), actor
    )
    return endpoint, secret


def documented_verify(secret: str, header: str, body: bytes, now: float) -> bool:
    """The verification snippet of the README and the management page, as a receiver writes it."""
    import hashlib
    import hmac

    parts = dict(p.split("=", 1) for p in header.split(",") if "=" in p)
    t = int(parts.get("t", "0"))
    expected = hmac.new(secret.encode(), f"{t}.".encode() + body, hashlib.sha256).hexdigest()
    return abs(now - t) <= DOCUMENTED_TOLERANCE and hmac.compare_digest(expected, parts.get("v1", ""))
