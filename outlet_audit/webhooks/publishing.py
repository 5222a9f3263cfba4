"""`publish(event, subject)`: the one call an operation makes when something a webhook tells happens.

Inside the caller's transaction it writes the event and one delivery per active endpoint that
subscribed and may hear of the record, and enqueues each delivery's job, which the queue sends
only after the commit: an act that is rolled back sends nothing.

Who hears of what: an organisation hears of the certificates and applications its staff may read.
A district's organisations (postal and ecology bureaus) hear of their district's records, the
city's organisations of every district's: the same reach as their pages (`Scope.OWN_DISTRICT`,
`Scope.ALL`), so a webhook never tells an organisation what its own staff could not look up.
"""

import json
import uuid
from datetime import date, timedelta

from sqlalchemy import exists, or_, select

from outlet_audit.accounts.organisations import Organisation
from outlet_audit.certificates.models import Certificate
from outlet_audit.certificates.queries import state_condition
from outlet_audit.certificates.resource import json_value
from outlet_audit.certificates.state import CertificateState
from outlet_audit.core.time import utcnow
from outlet_audit.extensions import db
from outlet_audit.jobs import enqueue
from outlet_audit.text import N_, Message, Refused
from outlet_audit.webhooks.delivery import deliver
from outlet_audit.webhooks.events import DeliveryStatus, WebhookEvent
from outlet_audit.webhooks.models import WebhookDelivery, WebhookEndpoint, WebhookEventRecord
from outlet_audit.webhooks.payloads import Subject, certificate_subject

# The expiry sweep announces certificates that expired this many days ago at most: a missed
# cron run is caught up, but the first run after an upgrade does not announce every old expiry.
EXPIRY_CATCH_UP_DAYS = 7


def event_body(record: WebhookEventRecord, data: dict) -> str:
    document = {
        "id": record.uuid,
        "type": record.type,
        "occurred_at": record.occurred_at.isoformat(timespec="seconds") + "Z",
        "data": data,
    }
    return json.dumps(document, ensure_ascii=False, sort_keys=True, separators=(",", ":"), default=json_value)


def _record(event: WebhookEvent, subject: Subject) -> WebhookEventRecord:
    record = WebhookEventRecord(
        uuid=str(uuid.uuid4()),
        type=event.value,
        occurred_at=utcnow().replace(microsecond=0),
        district_id=subject.district_id,
        certificate_id=subject.certificate_id,
        application_id=subject.application_id,
    )
    record.body = event_body(record, subject.facts())
    db.session.add(record)
    return record


def listening(event: WebhookEvent, district_id: int | None) -> list[WebhookEndpoint]:
    """The active endpoints subscribed to `event` whose organisation reaches the district."""
    reach = Organisation.district_id.is_(None)
    if district_id is not None:
        reach = or_(reach, Organisation.district_id == district_id)
    endpoints = db.session.scalars(
        select(WebhookEndpoint)
        .join(Organisation, Organisation.id == WebhookEndpoint.organisation_id)
        .where(WebhookEndpoint.active.is_(True), reach)
        .order_by(WebhookEndpoint.id)
    )
    # Subscriptions are a short JSON list on few endpoints: read here, the same on every database.
    return [endpoint for endpoint in endpoints if event.value in endpoint.events]


def _send(record: WebhookEventRecord, endpoints: list[WebhookEndpoint]) -> list[WebhookDelivery]:
    deliveries = [
        WebhookDelivery(uuid=str(uuid.uuid4()), endpoint_id=endpoint.id, event=record)
        for endpoint in endpoints
    ]
    db.session.add_all(deliveries)
    db.session.flush()
    for delivery in deliveries:
        enqueue(deliver, delivery_id=delivery.id)
    return deliveries


def publish(event: WebhookEvent, subject: Subject, *, keep: bool = False) -> WebhookEventRecord | None:
    """Record the event and queue a delivery to every endpoint that listens (sent after the commit).

    With no endpoint listening nothing is built or written (None), unless `keep`: the expiry sweep
    keeps its events as the mark that each expiry was announced once."""
    endpoints = listening(event, subject.district_id)
    if not endpoints and not keep:
        return None
    record = _record(event, subject)
    _send(record, endpoints)
    return record


def send_test_event(endpoint: WebhookEndpoint) -> WebhookDelivery:
    """A `ping` to this endpoint alone, whatever it subscribed to, to try the receiver."""
    if not endpoint.active:
        raise Refused(
            Message(N_("Switch the endpoint on first: one that is off receives nothing, tests included."))
        )
    subject = Subject(
        district_id=endpoint.organisation.district_id,
        facts=lambda: {"endpoint": {"id": endpoint.id, "url": endpoint.url}, "test": True},
    )
    return _send(_record(WebhookEvent.PING, subject), [endpoint])[0]


def send_again(delivery: WebhookDelivery) -> None:
    """Queue a failed delivery once more: same event, same delivery id (receivers may dedupe on it)."""
    delivery.status = DeliveryStatus.PENDING
    db.session.flush()
    enqueue(deliver, delivery_id=delivery.id)


def announce_expiries(today: date) -> int:
    """Publish `certificate.expired` for each active certificate that expired lately and was not
    announced yet (certificates expire by their date; nothing else notices the day). Called by the
    daily expiry reminders (`certificates.operations.send_expiry_reminders`)."""
    announced = exists().where(
        WebhookEventRecord.certificate_id == Certificate.id,
        WebhookEventRecord.type == WebhookEvent.CERTIFICATE_EXPIRED.value,
    )
    expired = db.session.scalars(
        select(Certificate)
        .where(
            state_condition(CertificateState.EXPIRED, today),
            Certificate.valid_until >= today - timedelta(days=EXPIRY_CATCH_UP_DAYS),
            ~announced,
        )
        .order_by(Certificate.valid_until, Certificate.id)
    ).all()
    for certificate in expired:
        publish(WebhookEvent.CERTIFICATE_EXPIRED, certificate_subject(certificate, today), keep=True)
    return len(expired)
