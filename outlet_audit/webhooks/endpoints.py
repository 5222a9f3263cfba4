"""Managing an organisation's endpoints: add, change, delete, rotate the secret; each act audited.

Who manages them: the organisation's approvers (its senior staff, who sign its decisions) and the
system administrator. Other staff of the organisation read the endpoints and their deliveries.
Operations flush, never commit.
"""

from dataclasses import dataclass

from flask import current_app
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from outlet_audit.audit.operations import record
from outlet_audit.core.time import utcnow
from outlet_audit.extensions import db
from outlet_audit.roles import Role
from outlet_audit.text import N_, Message, Refused
from outlet_audit.webhooks.addresses import check_url
from outlet_audit.webhooks.events import SUBSCRIBABLE, WebhookEvent
from outlet_audit.webhooks.models import WebhookDelivery, WebhookEndpoint
from outlet_audit.webhooks.signature import new_secret

SUBJECT = "webhook_endpoint"


@dataclass(frozen=True)
class EndpointSettings:
    url: str
    events: tuple[WebhookEvent, ...]
    active: bool


def may_read(user, organisation_id: int) -> bool:
    return user.role == Role.ADMIN or user.organisation_id == organisation_id


def may_manage(user, organisation_id: int) -> bool:
    return user.role == Role.ADMIN or (user.organisation_id == organisation_id and user.approver)


def endpoints_of(organisation_ids) -> list[WebhookEndpoint]:
    return list(
        db.session.scalars(
            select(WebhookEndpoint)
            .where(WebhookEndpoint.organisation_id.in_(list(organisation_ids)))
            .order_by(WebhookEndpoint.organisation_id, WebhookEndpoint.id)
        )
    )


def _checked(settings: EndpointSettings) -> EndpointSettings:
    check_url(settings.url, allow_private=current_app.config["WEBHOOK_ALLOW_PRIVATE_HOSTS"])
    if not settings.events:
        raise Refused(Message(N_("Choose at least one event.")), field="events")
    return settings


def _events(settings: EndpointSettings) -> list[str]:
    return [event.value for event in SUBSCRIBABLE if event in settings.events]


def _describe(endpoint: WebhookEndpoint) -> str:
    state = "on" if endpoint.active else "off"
    return f"{endpoint.url} [{', '.join(endpoint.events)}] {state}"


def _audit(action: str, endpoint: WebhookEndpoint, actor, **values) -> None:
    record(action, actor=actor, subject_type=SUBJECT, subject_id=endpoint.id, **values)


def create_endpoint(organisation_id: int, settings: EndpointSettings, actor) -> tuple[WebhookEndpoint, str]:
    """The new endpoint and its secret, which is shown this once."""
    settings = _checked(settings)
    secret = new_secret()
    endpoint = WebhookEndpoint(
        organisation_id=organisation_id,
        url=settings.url,
        events=_events(settings),
        active=settings.active,
        secret=secret,
        created_by_id=actor.id,
    )
    db.session.add(endpoint)
    db.session.flush()
    _audit("webhook_endpoint_created", endpoint, actor, new=_describe(endpoint))
    return endpoint, secret


def update_endpoint(endpoint: WebhookEndpoint, settings: EndpointSettings, actor) -> None:
    settings = _checked(settings)
    before = _describe(endpoint)
    endpoint.url, endpoint.events, endpoint.active = settings.url, _events(settings), settings.active
    db.session.flush()
    if _describe(endpoint) != before:
        _audit("webhook_endpoint_changed", endpoint, actor, old=before, new=_describe(endpoint))


def delete_endpoint(endpoint: WebhookEndpoint, actor) -> None:
    """Delete the endpoint with its deliveries' history; the events stay (other endpoints share them)."""
    _audit("webhook_endpoint_deleted", endpoint, actor, old=_describe(endpoint))
    db.session.delete(endpoint)
    db.session.flush()


def rotate_secret(endpoint: WebhookEndpoint, actor) -> str:
    """A new secret, shown once; the old one stops signing at once (deliveries are signed when sent)."""
    secret = new_secret()
    endpoint.secret = secret
    endpoint.secret_rotated_at = utcnow()
    db.session.flush()
    _audit("webhook_secret_rotated", endpoint, actor, new=endpoint.url)
    return secret


def deliveries_of(endpoint_id: int, limit: int = 50) -> list[WebhookDelivery]:
    return list(
        db.session.scalars(
            select(WebhookDelivery)
            .where(WebhookDelivery.endpoint_id == endpoint_id)
            .options(selectinload(WebhookDelivery.attempts))
            .order_by(WebhookDelivery.id.desc())
            .limit(limit)
        ).unique()
    )
