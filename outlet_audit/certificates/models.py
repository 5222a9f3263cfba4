from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import CheckConstraint, ForeignKey, Index, LargeBinary, Numeric, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from outlet_audit.certificates.authority import ProposalOutcome
from outlet_audit.certificates.state import StoredCertificateState
from outlet_audit.core.time import utcnow
from outlet_audit.extensions import db, sql_values
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
    issuing_bureau: Mapped[str] = mapped_column(String(100))  # its name as printed when issued
    # The organisation that issued it (the agency of its level's settling approval step): the one
    # that revokes or renews it, and whose key signs its PDF.
    issuer_organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"))
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
    issuer = relationship("Organisation")
    revoked_by = relationship("User", foreign_keys=[revoked_by_id])


class CertificateDocument(db.Model):
    """The certificate's PDF as issued and digitally signed by its issuer (PAdES), kept byte for byte.

    `sha256` is the digest of exactly these bytes: the public verification page compares an
    uploaded file with it, and the signature inside shows who signed and that nothing changed.
    """

    __tablename__ = "certificate_documents"

    certificate_id: Mapped[int] = mapped_column(
        ForeignKey("certificates.id", ondelete="CASCADE"), primary_key=True
    )
    sha256: Mapped[str] = mapped_column(String(64), unique=True)
    pdf: Mapped[bytes] = mapped_column(LargeBinary)
    signer: Mapped[str] = mapped_column(String(255))  # the signing certificate's subject
    signed_at: Mapped[datetime] = mapped_column(default=utcnow)


PROPOSAL_OUTCOMES = tuple(outcome.value for outcome in ProposalOutcome)


class RevocationProposal(db.Model):
    """A bureau's proposal that the issuer revoke a certificate it did not issue (a district
    bureau's, of a city-level certificate in its district), with reasons; the issuer revokes the
    certificate or declines, saying why. One open proposal per certificate."""

    __tablename__ = "revocation_proposals"
    __table_args__ = (
        CheckConstraint(
            f"outcome IS NULL OR outcome IN ({sql_values(PROPOSAL_OUTCOMES)})", name="outcome_known"
        ),
        CheckConstraint("(outcome IS NULL) = (decided_at IS NULL)", name="decided_with_outcome"),
        CheckConstraint("length(reasons) > 0", name="reasons_given"),
        Index(
            "ux_revocation_proposals_one_open",
            "certificate_id",
            unique=True,
            sqlite_where=text("outcome IS NULL"),
            postgresql_where=text("outcome IS NULL"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    certificate_id: Mapped[int] = mapped_column(ForeignKey("certificates.id", ondelete="CASCADE"))
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"))  # who proposes
    proposed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    reasons: Mapped[str] = mapped_column(Text)
    proposed_at: Mapped[datetime] = mapped_column(default=utcnow)
    outcome: Mapped[str | None] = mapped_column(String(10))
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    decided_at: Mapped[datetime | None]
    decision_reason: Mapped[str | None] = mapped_column(Text)

    certificate: Mapped[Certificate] = relationship()
    organisation = relationship("Organisation")
    proposed_by = relationship("User", foreign_keys=[proposed_by_id])
    decided_by = relationship("User", foreign_keys=[decided_by_id])
