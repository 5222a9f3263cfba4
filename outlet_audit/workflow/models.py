from datetime import date, datetime

from sqlalchemy import (
    JSON,
    CheckConstraint,
    Column,
    ForeignKey,
    Index,
    String,
    Table,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from outlet_audit.core.time import utcnow
from outlet_audit.criteria.stored import StoredEdition
from outlet_audit.extensions import db, sql_values
from outlet_audit.outlets.models import District, Outlet
from outlet_audit.roles import Act, Outcome
from outlet_audit.workflow import states
from outlet_audit.workflow.states import Level, Status

# The values the database accepts, taken from the state machine so the two never drift apart.
STATUSES = tuple(status.value for status in Status)
LEVELS = tuple(level.value for level in Level)
FINAL_STATUSES = tuple(status.value for status in Status if status in states.FINAL_STATUSES)


# An outlet has at most one application in progress: the database holds the rule, so two
# "new application" clicks at the same moment cannot both succeed.
OPEN_APPLICATION = f"status NOT IN ({sql_values(FINAL_STATUSES)})"


def application_reference(created_at: datetime, application_id: int) -> str:
    """The number people quote on the phone: year of creation and id (lists build it from columns)."""
    return f"SQ{created_at:%Y}-{application_id:06d}"


inspection_assignments = Table(
    "inspection_assignments",
    db.metadata,
    Column("application_id", ForeignKey("applications.id", ondelete="CASCADE"), primary_key=True),
    Column("inspector_id", ForeignKey("users.id"), primary_key=True, index=True),
)


class Application(db.Model):
    """An outlet's application for a level, pinned to the criteria edition it is assessed against.

    `status` is written only by `workflow.operations.apply_transition`, which also writes the
    audit row; `version` makes two simultaneous transitions collide instead of both winning.
    """

    __tablename__ = "applications"
    __table_args__ = (
        CheckConstraint(f"status IN ({sql_values(STATUSES)})", name="status_known"),
        CheckConstraint(f"target_level IN ({sql_values(LEVELS)})", name="target_level_known"),
        CheckConstraint(
            f"granted_level IS NULL OR granted_level IN ({sql_values(LEVELS)})", name="granted_level_known"
        ),
        CheckConstraint("(status = 'approved') = (granted_level IS NOT NULL)", name="granted_iff_approved"),
        CheckConstraint(
            "(status = 'in_approval') = (awaiting_agency IS NOT NULL)", name="awaiting_iff_in_approval"
        ),
        Index("ix_applications_awaiting_agency", "awaiting_agency", "district_id"),
        Index("ix_applications_district_status", "district_id", "status"),
        # the bureau queue, one status, page by page in submission order
        Index("ix_applications_district_status_submitted", "district_id", "status", "submitted_at", "id"),
        Index("ix_applications_status_submitted", "status", "submitted_at"),
        Index("ix_applications_district_submitted", "district_id", "submitted_at"),  # dashboards, exports
        Index("ix_applications_submitted", "submitted_at"),
        Index(
            "ux_applications_one_open_per_outlet",
            "outlet_id",
            unique=True,
            sqlite_where=text(OPEN_APPLICATION),
            postgresql_where=text(OPEN_APPLICATION),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    outlet_id: Mapped[int] = mapped_column(ForeignKey("outlets.id"), index=True)
    # Copied from the outlet when the application is made: the bureau that receives it keeps it.
    district_id: Mapped[int] = mapped_column(ForeignKey("districts.id"))
    edition_pk: Mapped[int] = mapped_column(ForeignKey("criteria_editions.id"))
    target_level: Mapped[str] = mapped_column(String(10))
    status: Mapped[str] = mapped_column(String(32), default="draft")
    eligibility: Mapped[dict] = mapped_column(JSON, default=dict)
    scheduled_for: Mapped[date | None]
    return_reasons: Mapped[str | None] = mapped_column(Text)
    granted_level: Mapped[str | None] = mapped_column(String(10))
    decision_opinion: Mapped[str | None] = mapped_column(Text)
    # While in approval: the agency whose step comes next (the application's approval records and
    # its edition say which; kept here so queues can ask the database "what waits for us").
    awaiting_agency: Mapped[str | None] = mapped_column(String(20))
    renewal_of_id: Mapped[int | None] = mapped_column(
        ForeignKey("certificates.id", use_alter=True, name="fk_applications_renewal_of_id_certificates")
    )
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    submitted_at: Mapped[datetime | None]
    decided_at: Mapped[datetime | None]
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    version: Mapped[int] = mapped_column(default=1)

    outlet: Mapped[Outlet] = relationship(lazy="joined")
    district: Mapped[District] = relationship()
    edition: Mapped[StoredEdition] = relationship()
    inspectors = relationship("User", secondary=inspection_assignments, order_by="User.id")

    __mapper_args__ = {"version_id_col": version}

    @property
    def reference(self) -> str:
        return application_reference(self.created_at, self.id)


OUTCOMES = tuple(outcome.value for outcome in Outcome)
ACTS = tuple(act.value for act in Act)


class ApprovalRecord(db.Model):
    """One approval step signed: who, for which organisation, when, the outcome and the written opinion.

    A round is one walk along the level's steps (the edition's `approvals`), opened by the district
    postal bureau's proposal; a disagreement or a return ends it, and a new proposal opens the next.
    Records are never changed: the unique position makes two people signing the same step at once
    collide instead of both counting.
    """

    __tablename__ = "approval_records"
    __table_args__ = (
        CheckConstraint(f"outcome IN ({sql_values(OUTCOMES)})", name="outcome_known"),
        CheckConstraint(f"act IN ({sql_values(ACTS)})", name="act_known"),
        CheckConstraint(f"level IN ({sql_values(LEVELS)})", name="level_known"),
        CheckConstraint("round >= 1 AND position >= 0", name="position_counts"),
        CheckConstraint("length(opinion) > 0", name="opinion_written"),
        UniqueConstraint("application_id", "round", "position"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    application_id: Mapped[int] = mapped_column(ForeignKey("applications.id", ondelete="CASCADE"))
    round: Mapped[int]
    position: Mapped[int]  # the step's index in the level's approvals
    level: Mapped[str] = mapped_column(String(10))  # the level proposed in this round
    agency: Mapped[str] = mapped_column(String(20))
    act: Mapped[str] = mapped_column(String(20))
    outcome: Mapped[str] = mapped_column(String(10))
    opinion: Mapped[str] = mapped_column(Text)
    organisation_id: Mapped[int | None] = mapped_column(ForeignKey("organisations.id"))
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    user = relationship("User")
    organisation = relationship("Organisation")
