"""The job that POSTs one delivery: signed, 5-second timeout, no redirects; 2xx is delivered.

Any other answer, a timeout or a refused connection is recorded as an attempt and raises, so the
queue retries with backoff (the job's `retries`), then keeps it among the dead letters. Each
attempt keeps the time, status code, duration, the error and the first 500 characters of the
answer, which the endpoint's page shows (escaped). The host is resolved and checked again before
every attempt (`addresses`): a name may point into the server's own network by now.
"""

import time

import requests
from flask import current_app

from outlet_audit.core.time import utcnow
from outlet_audit.extensions import db
from outlet_audit.jobs import job
from outlet_audit.webhooks.addresses import AddressRefused, check_url
from outlet_audit.webhooks.events import DeliveryStatus
from outlet_audit.webhooks.models import WebhookAttempt, WebhookDelivery, WebhookEndpoint
from outlet_audit.webhooks.signature import DELIVERY_HEADER, EVENT_HEADER, SIGNATURE_HEADER, signature_header

EXCERPT_CHARS = 500
# Read no more of an answer than this: only its start is kept, and a receiver could send gigabytes.
READ_BYTES = 4096
DELIVERY_RETRIES = 8


class DeliveryFailed(Exception):
    """Raised after a failed attempt is recorded, so the queue retries the job."""


def _excerpt(response: requests.Response) -> str:
    raw = response.raw.read(READ_BYTES, decode_content=True) or b""
    return raw.decode(response.encoding or "utf-8", errors="replace")[:EXCERPT_CHARS]


def _post(endpoint: WebhookEndpoint, delivery: WebhookDelivery) -> tuple[WebhookAttempt, bool]:
    """One POST, recorded; and whether trying again could change the outcome."""
    config = current_app.config
    body = delivery.event.body.encode()
    headers = {
        "Content-Type": "application/json; charset=utf-8",
        "User-Agent": "outlet-audit-webhooks/1",
        EVENT_HEADER: delivery.event.type,
        DELIVERY_HEADER: delivery.uuid,
        SIGNATURE_HEADER: signature_header(endpoint.secret, int(time.time()), body),
    }
    attempt = WebhookAttempt(delivery_id=delivery.id, attempted_at=utcnow(), duration_ms=0)
    worth_retrying = True
    started = time.monotonic()
    try:
        check_url(endpoint.url, allow_private=config["WEBHOOK_ALLOW_PRIVATE_HOSTS"])
        with requests.Session() as session:
            session.trust_env = False  # an environment proxy would reach what the address check refused
            response = session.post(
                endpoint.url,
                data=body,
                headers=headers,
                timeout=config["WEBHOOK_TIMEOUT_SECONDS"],
                allow_redirects=False,  # a redirect could lead anywhere, past the address check
                stream=True,
            )
            with response:
                attempt.status_code = response.status_code
                attempt.response_excerpt = _excerpt(response)
    except AddressRefused as refusal:
        attempt.error = str(refusal.message)[:500]
        worth_retrying = False  # the address would be refused again
    except requests.Timeout:
        attempt.error = f"timed out after {config['WEBHOOK_TIMEOUT_SECONDS']} s"
    except requests.RequestException as error:
        attempt.error = f"{type(error).__name__}: {error}"[:500]
    attempt.duration_ms = round((time.monotonic() - started) * 1000)
    db.session.add(attempt)
    return attempt, worth_retrying


def attempt_delivery(delivery: WebhookDelivery) -> bool:
    """POST the delivery once and record how it went (flushes). Whether the queue should try again:
    not once delivered, nor when its endpoint is switched off or its address refused."""
    endpoint = db.session.get(WebhookEndpoint, delivery.endpoint_id)
    if not endpoint.active:
        return False  # stays waiting or failed; "send again" once the endpoint is on
    attempt, worth_retrying = _post(endpoint, delivery)
    if attempt.status_code is not None and 200 <= attempt.status_code < 300:
        delivery.status = DeliveryStatus.DELIVERED
        delivery.delivered_at = attempt.attempted_at
    else:
        delivery.status = DeliveryStatus.FAILED
    db.session.flush()
    return worth_retrying and delivery.status == DeliveryStatus.FAILED


@job("webhooks.deliver", retries=DELIVERY_RETRIES)
def deliver(delivery_id: int) -> None:
    delivery = db.session.get(WebhookDelivery, delivery_id)
    if delivery is None or delivery.status == DeliveryStatus.DELIVERED:
        return  # its endpoint was deleted, or a second run of a job already done
    retry = attempt_delivery(delivery)
    db.session.commit()  # the attempt stays recorded whatever the queue does next
    if retry:
        raise DeliveryFailed(f"delivery {delivery.uuid} to endpoint {delivery.endpoint_id} failed")
