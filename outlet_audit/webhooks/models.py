"""An organisation's webhook endpoints, the events published, one delivery per endpoint and event,
and each attempt at a delivery."""

from datetime import datetime

from sqlalchemy import JSON, CheckConstraint, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from outlet_audit.core.time import utcnow
from outlet_audit.extensions import db, sql_values
from outlet_audit.webhooks.events import DeliveryStatus, WebhookEvent
from outlet_audit.webhooks.sealing import seal, unseal


class WebhookEndpoint(db.Model):
    """Where an organisation wants events POSTed, which ones, and the secret that signs them.

    The secret must be read back to sign each delivery, so it is not hashed but sealed (`sealing`:
    encrypted with a key derived from SECRET_KEY, outside the database). It is shown once, when made
    or rotated; `secret` reads and writes it, the column holds only the sealed text.
    """

    __tablename__ = "webhook_endpoints"

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), index=True)
    url: Mapped[str] = mapped_column(String(500))
    events: Mapped[list] = mapped_column(JSON)  # WebhookEvent values subscribed to
    active: Mapped[bool] = mapped_column(default=True)
    sealed_secret: Mapped[str] = mapped_column("secret", String(100))
    secret_rotated_at: Mapped[datetime] = mapped_column(default=utcnow)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))

    organisation = relationship("Organisation", lazy="joined")

    @property
    def secret(self) -> str:
        return unseal(self.sealed_secret)

    @secret.setter
    def secret(self, value: str) -> None:
        self.sealed_secret = seal(value)


class WebhookEventRecord(db.Model):
    """An event as published, once, whoever hears it: its id and body are the same in every delivery.

    Written when an endpoint listens; the daily expiry sweep's are kept whoever listens, as the mark
    that each expiry was announced once (`publishing.publish`).
    """

    __tablename__ = "webhook_events"
    __table_args__ = (
        CheckConstraint(f"type IN ({sql_values(WebhookEvent)})", name="type_known"),
        Index("ix_webhook_events_certificate", "certificate_id", "type"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    uuid: Mapped[str] = mapped_column(String(36), unique=True)
    type: Mapped[str] = mapped_column(String(40))
    occurred_at: Mapped[datetime] = mapped_column(default=utcnow)
    district_id: Mapped[int | None] = mapped_column(ForeignKey("districts.id"))
    certificate_id: Mapped[int | None] = mapped_column(ForeignKey("certificates.id"))
    application_id: Mapped[int | None] = mapped_column(ForeignKey("applications.id"))
    body: Mapped[str] = mapped_column(Text)  # the JSON sent, exactly as signed


class WebhookDelivery(db.Model):
    __tablename__ = "webhook_deliveries"
    __table_args__ = (
        CheckConstraint(f"status IN ({sql_values(DeliveryStatus)})", name="status_known"),
        CheckConstraint("(status = 'delivered') = (delivered_at IS NOT NULL)", name="delivered_has_time"),
        Index("ix_webhook_deliveries_endpoint", "endpoint_id", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    uuid: Mapped[str] = mapped_column(String(36), unique=True)  # X-OA-Delivery
    endpoint_id: Mapped[int] = mapped_column(ForeignKey("webhook_endpoints.id", ondelete="CASCADE"))
    event_id: Mapped[int] = mapped_column(ForeignKey("webhook_events.id"), index=True)
    status: Mapped[str] = mapped_column(String(12), default=DeliveryStatus.PENDING)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    delivered_at: Mapped[datetime | None]

    event: Mapped[WebhookEventRecord] = relationship(lazy="joined")
    attempts: Mapped[list["WebhookAttempt"]] = relationship(
        order_by="WebhookAttempt.id", cascade="all, delete-orphan", passive_deletes=True
    )


class WebhookAttempt(db.Model):
    """One POST of a delivery: when, how it was answered, and the start of the answer (as text)."""

    __tablename__ = "webhook_attempts"

    id: Mapped[int] = mapped_column(primary_key=True)
    delivery_id: Mapped[int] = mapped_column(
        ForeignKey("webhook_deliveries.id", ondelete="CASCADE"), index=True
    )
    attempted_at: Mapped[datetime] = mapped_column(default=utcnow)
    status_code: Mapped[int | None]
    duration_ms: Mapped[int]
    error: Mapped[str | None] = mapped_column(String(500))
    response_excerpt: Mapped[str | None] = mapped_column(Text)  # the first 500 characters
