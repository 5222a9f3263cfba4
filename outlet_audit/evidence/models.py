from datetime import datetime

from sqlalchemy import CheckConstraint, Float, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from outlet_audit.core.time import utcnow
from outlet_audit.evidence.purposes import EvidencePurpose
from outlet_audit.extensions import db, sql_values


class Evidence(db.Model):
    """An uploaded photo or document. The bytes live in the content-addressed store.

    `purpose` says what it proves: an item's answer (assessment + item_code), the signed
    commitment letter (application), a rectification answer, or a drawn signature (assessment).
    """

    __tablename__ = "evidence"
    __table_args__ = (
        CheckConstraint("kind IN ('photo', 'document')", name="kind_known"),
        CheckConstraint(f"purpose IN ({sql_values(EvidencePurpose)})", name="purpose_known"),
        CheckConstraint("size_bytes > 0", name="size_positive"),
        Index("ix_evidence_original_sha256", "original_sha256"),
        Index("ix_evidence_assessment_item", "assessment_id", "item_code"),
        Index("ix_evidence_application_purpose", "application_id", "purpose"),  # application pages
        # A phone sends a waiting file again when the answer to its first send was lost: the same
        # key on the same record is that file, already kept (checklist.attachments).
        Index("ux_evidence_assessment_upload_key", "assessment_id", "upload_key", unique=True),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    outlet_id: Mapped[int] = mapped_column(ForeignKey("outlets.id"), index=True)
    application_id: Mapped[int | None] = mapped_column(ForeignKey("applications.id", ondelete="CASCADE"))
    assessment_id: Mapped[int | None] = mapped_column(ForeignKey("assessments.id", ondelete="CASCADE"))
    item_code: Mapped[str | None] = mapped_column(String(20))
    # a rectification answer's file belongs to the finding it answers
    finding_id: Mapped[int | None] = mapped_column(ForeignKey("findings.id", ondelete="CASCADE"), index=True)
    # a document given with the outlet's statement against a revocation (purpose STATEMENT)
    revocation_case_id: Mapped[int | None] = mapped_column(
        ForeignKey("revocation_cases.id", ondelete="CASCADE"), index=True
    )
    # carried into a later inspection record (a re-inspection, a correction) from an earlier one
    copied_from_id: Mapped[int | None] = mapped_column(ForeignKey("evidence.id"))
    # A marked copy (circles, arrows, words drawn on a photo) points at the photo it marks, of the
    # same item; the original is never replaced. No ON DELETE, like copied_from_id: the database
    # refuses to delete an original that a marked copy still names (a signed record's are never
    # deleted), and checklist.attachments refuses it with a message first.
    annotates_id: Mapped[int | None] = mapped_column(ForeignKey("evidence.id"), index=True)
    purpose: Mapped[str] = mapped_column(String(16), default=EvidencePurpose.ITEM.value)
    kind: Mapped[str] = mapped_column(String(10))
    mime_type: Mapped[str] = mapped_column(String(40))
    filename: Mapped[str] = mapped_column(String(200))
    size_bytes: Mapped[int]
    original_sha256: Mapped[str] = mapped_column(String(64))
    stored_sha256: Mapped[str] = mapped_column(String(64))
    thumbnail_sha256: Mapped[str | None] = mapped_column(String(64))
    width: Mapped[int | None]
    height: Mapped[int | None]
    captured_at: Mapped[datetime | None]
    gps_lat: Mapped[float | None] = mapped_column(Float)
    gps_lon: Mapped[float | None] = mapped_column(Float)
    uploaded_at: Mapped[datetime] = mapped_column(default=utcnow)
    uploaded_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    # The sending phone's own name for the file (its queue's id), so a repeated send is known.
    upload_key: Mapped[str | None] = mapped_column(String(64))
