from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import (
    JSON,
    CheckConstraint,
    Column,
    DateTime,
    ForeignKey,
    Index,
    Numeric,
    String,
    Table,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from outlet_audit.checklist.kinds import AssessmentKind, FindingStatus, VerificationMethod, VisitType
from outlet_audit.core.time import utcnow
from outlet_audit.extensions import db, sql_values

# Only one record of each kind is open (unsigned) at a time: the one being filled in.
UNSIGNED = "signed_off_at IS NULL"

visit_inspectors = Table(
    "visit_inspectors",
    db.metadata,
    Column("assessment_id", ForeignKey("assessments.id", ondelete="CASCADE"), primary_key=True),
    Column("inspector_id", ForeignKey("users.id"), primary_key=True, index=True),
    # When this member signed the record: every member of the team signs (a joint team has one
    # from each agency the edition names); the first signature locks the answers.
    Column("signed_at", DateTime),
)


class Assessment(db.Model):
    """A set of answers to an edition's items: the outlet's self-assessment, or one inspection record.

    An application's inspection records are numbered by `sequence`: each visit (`visit_type`) is
    one, and a correction of a signed visit is another that `amends` it (the signed one is never
    changed again; it is `superseded` once the correction is signed). Drawn signatures are evidence
    rows with purpose SIGNATURE attached to the record. Its answers, evidence and figures change
    only under its lock (`checklist.locking`), and only while it is not signed off.
    """

    __tablename__ = "assessments"
    __table_args__ = (
        UniqueConstraint("application_id", "kind", "sequence"),
        CheckConstraint(f"kind IN ({sql_values(AssessmentKind)})", name="kind_known"),
        CheckConstraint("(signed_off_at IS NULL) = (signed_off_by_id IS NULL)", name="sign_off_complete"),
        CheckConstraint("sequence >= 1", name="sequence_positive"),
        CheckConstraint(
            f"(kind = 'inspection') = (visit_type IS NOT NULL)"
            f" AND (visit_type IS NULL OR visit_type IN ({sql_values(VisitType)}))",
            name="visit_type_known",
        ),
        CheckConstraint("(amends_id IS NULL) = (amendment_reason IS NULL)", name="amendment_has_reason"),
        CheckConstraint("superseded_at IS NULL OR signed_off_at IS NOT NULL", name="superseded_was_signed"),
        Index(
            "ux_assessments_one_open_record",
            "application_id",
            "kind",
            unique=True,
            sqlite_where=text(UNSIGNED),
            postgresql_where=text(UNSIGNED),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    application_id: Mapped[int] = mapped_column(ForeignKey("applications.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(12))  # an AssessmentKind
    sequence: Mapped[int] = mapped_column(default=1)
    visit_type: Mapped[str | None] = mapped_column(String(16))  # a VisitType; None for the self-assessment
    scheduled_for: Mapped[date | None]
    amends_id: Mapped[int | None] = mapped_column(ForeignKey("assessments.id"))
    amendment_reason: Mapped[str | None] = mapped_column(Text)
    superseded_at: Mapped[datetime | None]
    outlet_representative: Mapped[str | None] = mapped_column(String(100))  # present at sign-off
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
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
    inspectors = relationship("User", secondary=visit_inspectors, order_by="User.id")

    @property
    def is_correction(self) -> bool:
        return self.amends_id is not None


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


class RectificationNotice(db.Model):
    """A rectification notice (整改通知书): the findings of one visit the bureau ordered rectified,
    by one date. Its `number` is what the printed notice carries."""

    __tablename__ = "rectification_notices"

    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[str] = mapped_column(String(40), unique=True)
    application_id: Mapped[int] = mapped_column(ForeignKey("applications.id", ondelete="CASCADE"), index=True)
    assessment_id: Mapped[int] = mapped_column(ForeignKey("assessments.id", ondelete="CASCADE"))
    issuing_bureau: Mapped[str] = mapped_column(String(100))
    due_on: Mapped[date]
    instructions: Mapped[str | None] = mapped_column(Text)
    issued_at: Mapped[datetime] = mapped_column(default=utcnow)
    issued_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    submitted_at: Mapped[datetime | None]  # the outlet sent its answers
    reminded_at: Mapped[datetime | None]  # the reminder before the due date went out

    findings: Mapped[list["Finding"]] = relationship(back_populates="notice", order_by="Finding.id")


class Finding(db.Model):
    """An item not at full marks at a signed visit (整改项), and what became of it.

    Written when the visit is signed off; `status` moves on as the bureau orders it rectified, the
    outlet answers and the inspector verifies (`checklist.findings`). The verification itself is a
    `FindingCheck` of the visit that verified it, signed with that visit.
    """

    __tablename__ = "findings"
    __table_args__ = (
        UniqueConstraint("assessment_id", "item_code"),
        CheckConstraint(f"status IN ({sql_values(FindingStatus)})", name="status_known"),
        CheckConstraint(
            "(notice_id IS NULL) = (status IN ('open', 'not_required'))", name="ordered_has_notice"
        ),
        Index("ix_findings_application", "application_id", "status"),
        Index("ix_findings_item", "item_code", "status"),  # the dashboards' figures per item
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    application_id: Mapped[int] = mapped_column(ForeignKey("applications.id", ondelete="CASCADE"))
    assessment_id: Mapped[int] = mapped_column(ForeignKey("assessments.id", ondelete="CASCADE"))
    item_code: Mapped[str] = mapped_column(String(20))
    status: Mapped[str] = mapped_column(String(16), default=FindingStatus.OPEN.value)
    notice_id: Mapped[int | None] = mapped_column(ForeignKey("rectification_notices.id"), index=True)
    responsible_person: Mapped[str | None] = mapped_column(String(100))
    response: Mapped[str | None] = mapped_column(Text)
    responded_at: Mapped[datetime | None]
    responded_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    closed_at: Mapped[datetime | None]  # when the visit that verified it closed was signed
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    notice: Mapped[RectificationNotice | None] = relationship(back_populates="findings")


class FindingCheck(db.Model):
    """An inspector's verification of one finding, part of the visit that made it (and signed with it)."""

    __tablename__ = "finding_checks"
    __table_args__ = (
        UniqueConstraint("finding_id", "assessment_id"),
        CheckConstraint("outcome IN ('closed', 'not_closed')", name="outcome_known"),
        CheckConstraint(f"method IN ({sql_values(VerificationMethod)})", name="method_known"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    finding_id: Mapped[int] = mapped_column(ForeignKey("findings.id", ondelete="CASCADE"))
    assessment_id: Mapped[int] = mapped_column(ForeignKey("assessments.id", ondelete="CASCADE"), index=True)
    outcome: Mapped[str] = mapped_column(String(12))  # FindingStatus.CLOSED or NOT_CLOSED
    method: Mapped[str] = mapped_column(String(12))  # a VerificationMethod
    note: Mapped[str | None] = mapped_column(Text)
    checked_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    checked_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
