from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import CheckConstraint, ForeignKey, Index, Numeric, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from outlet_audit.certificates.state import StoredCertificateState
from outlet_audit.core.time import utcnow
from outlet_audit.extensions import db
from outlet_audit.outlets.models import Outlet


class Certificate(db.Model):
    """A granted status. Expiry follows from `valid_until`; revocation and supersession are recorded."""

    __tablename__ = "certificates"
    __table_args__ = (
        CheckConstraint("level IN ('district', 'city')", name="level_known"),
        CheckConstraint("state IN ('active', 'revoked', 'superseded')", name="state_known"),
        CheckConstraint("valid_until > issued_on", name="valid_after_issue"),
        CheckConstraint("(state = 'revoked') = (revoked_at IS NOT NULL)", name="revoked_has_time"),
        CheckConstraint("state != 'revoked' OR length(revoked_reason) > 0", name="revoked_has_reason"),
        Index("ix_certificates_district_level_state", "district_id", "level", "state", "valid_until"),
        Index("ix_certificates_outlet", "outlet_id", "state"),
        Index("ix_certificates_district_issued", "district_id", "issued_on"),  # dashboards, exports
        Index("ix_certificates_issued", "issued_on"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[str] = mapped_column(String(40), unique=True)
    application_id: Mapped[int] = mapped_column(ForeignKey("applications.id"), unique=True)
    outlet_id: Mapped[int] = mapped_column(ForeignKey("outlets.id"))
    district_id: Mapped[int] = mapped_column(ForeignKey("districts.id"))
    level: Mapped[str] = mapped_column(String(10))
    score: Mapped[Decimal] = mapped_column(Numeric(6, 1))
    edition_id: Mapped[str] = mapped_column(String(64))
    edition_hash: Mapped[str] = mapped_column(String(64))
    issuing_bureau: Mapped[str] = mapped_column(String(100))
    issued_on: Mapped[date]
    valid_until: Mapped[date]
    state: Mapped[str] = mapped_column(String(12), default=StoredCertificateState.ACTIVE)
    revoked_at: Mapped[datetime | None]
    revoked_reason: Mapped[str | None] = mapped_column(Text)
    revoked_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    superseded_by_id: Mapped[int | None] = mapped_column(ForeignKey("certificates.id"))
    expiry_reminder_sent_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    outlet: Mapped[Outlet] = relationship(lazy="joined")
