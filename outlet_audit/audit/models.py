from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from outlet_audit.core.time import utcnow
from outlet_audit.extensions import db


class AuditEvent(db.Model):
    """Who did what, when, from what to what, and why. Append-only: triggers refuse UPDATE and DELETE."""

    __tablename__ = "audit_events"
    __table_args__ = (
        Index("ix_audit_events_application", "application_id", "id"),
        Index("ix_audit_events_subject", "subject_type", "subject_id"),
        # The audit log's filters (audit.log): who acted, what kind of act, which days.
        Index("ix_audit_events_actor", "actor_id", "id"),
        Index("ix_audit_events_action", "action", "id"),
        Index("ix_audit_events_occurred_at", "occurred_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    occurred_at: Mapped[datetime] = mapped_column(default=utcnow)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    application_id: Mapped[int | None] = mapped_column(ForeignKey("applications.id"))
    outlet_id: Mapped[int | None] = mapped_column(ForeignKey("outlets.id"))
    subject_type: Mapped[str] = mapped_column(String(30))  # application, answer, outlet, user, certificate
    subject_id: Mapped[int | None]
    action: Mapped[str] = mapped_column(String(40))
    field: Mapped[str | None] = mapped_column(String(60))
    old_value: Mapped[str | None] = mapped_column(Text)
    new_value: Mapped[str | None] = mapped_column(Text)
    reason: Mapped[str | None] = mapped_column(Text)
