from datetime import datetime
from decimal import Decimal

from sqlalchemy import JSON, CheckConstraint, ForeignKey, Numeric, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from outlet_audit.checklist.kinds import AssessmentKind
from outlet_audit.core.time import utcnow
from outlet_audit.extensions import db, sql_values


class Assessment(db.Model):
    """A set of answers to an edition's items: the outlet's self-assessment or the inspection.

    Drawn signatures are evidence rows with purpose SIGNATURE attached to the assessment.
    Its answers, evidence and figures change only under its lock (`checklist.locking`).
    """

    __tablename__ = "assessments"
    __table_args__ = (
        UniqueConstraint("application_id", "kind"),
        CheckConstraint(f"kind IN ({sql_values(AssessmentKind)})", name="kind_known"),
        CheckConstraint("(signed_off_at IS NULL) = (signed_off_by_id IS NULL)", name="sign_off_complete"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    application_id: Mapped[int] = mapped_column(ForeignKey("applications.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(12))  # an AssessmentKind
    signed_off_at: Mapped[datetime | None]
    signed_off_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    # The last score, kept so lists and exports need not re-score; the answers stay the truth.
    total: Mapped[Decimal | None] = mapped_column(Numeric(6, 1))
    final: Mapped[Decimal | None] = mapped_column(Numeric(6, 1))
    level_reached: Mapped[str | None] = mapped_column(String(10))
    result: Mapped[dict | None] = mapped_column(JSON)

    answers: Mapped[list["Answer"]] = relationship(
        back_populates="assessment", cascade="all, delete-orphan", order_by="Answer.id"
    )
    signed_off_by = relationship("User", foreign_keys=[signed_off_by_id])


class Answer(db.Model):
    """One item's answer. Saved alone, so two inspectors on one checklist never overwrite each other.

    `version` grows with every save; a save that names an older version is a conflict.
    """

    __tablename__ = "answers"
    __table_args__ = (
        UniqueConstraint("assessment_id", "item_code"),
        CheckConstraint("version >= 1", name="version_positive"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    assessment_id: Mapped[int] = mapped_column(ForeignKey("assessments.id", ondelete="CASCADE"))
    item_code: Mapped[str] = mapped_column(String(20))
    value: Mapped[str | None] = mapped_column(String(40))  # the answer in its type's text form
    not_applicable: Mapped[bool] = mapped_column(default=False)
    note: Mapped[str | None] = mapped_column(Text)
    version: Mapped[int] = mapped_column(default=1)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))

    assessment: Mapped[Assessment] = relationship(back_populates="answers")
