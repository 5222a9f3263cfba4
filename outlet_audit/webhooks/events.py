"""The events an endpoint may subscribe to. Pure."""

import enum

from outlet_audit.text import N_


class WebhookEvent(enum.StrEnum):
    CERTIFICATE_ISSUED = "certificate.issued"
    CERTIFICATE_REVOKED = "certificate.revoked"
    CERTIFICATE_EXPIRED = "certificate.expired"
    CERTIFICATE_SUPERSEDED = "certificate.superseded"
    APPLICATION_DECIDED = "application.decided"  # approved or rejected: the application's last word
    # Sent only by the "send a test event" button, to the one endpoint; never subscribed to.
    PING = "ping"


SUBSCRIBABLE = tuple(event for event in WebhookEvent if event is not WebhookEvent.PING)

EVENT_LABELS = {
    WebhookEvent.CERTIFICATE_ISSUED: N_("Certificate issued"),
    WebhookEvent.CERTIFICATE_REVOKED: N_("Certificate revoked"),
    WebhookEvent.CERTIFICATE_EXPIRED: N_("Certificate expired"),
    WebhookEvent.CERTIFICATE_SUPERSEDED: N_("Certificate superseded"),
    WebhookEvent.APPLICATION_DECIDED: N_("Application decided (approved or rejected)"),
    WebhookEvent.PING: N_("Test event"),
}


class DeliveryStatus(enum.StrEnum):
    PENDING = "pending"  # waiting for its first attempt
    FAILED = "failed"  # the last attempt failed; retried with backoff until the job's retries run out
    DELIVERED = "delivered"  # an attempt was answered 2xx


DELIVERY_STATUS_LABELS = {
    DeliveryStatus.PENDING: N_("Waiting"),
    DeliveryStatus.FAILED: N_("Failed"),
    DeliveryStatus.DELIVERED: N_("Delivered"),
}
