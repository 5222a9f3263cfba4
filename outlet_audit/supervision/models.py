"""Supervision after the certificate: random spot-check campaigns, the checks (visits) they and
complaints open, public complaints, revocation cases with prior notice, and yearly self-checks.

A check's visit is an assessment of kind `supervision` on the application that earned the
certificate (its answers, photos and team signatures work as a first inspection's do); a yearly
self-check is an assessment of kind `yearly` there, filled in by the outlet. Neither is an
inspection record of that application: queries of its inspection records ask for that kind.
"""

from datetime import date, datetime

from sqlalchemy import JSON, CheckConstraint, ForeignKey, Index, String, Text, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from outlet_audit.core.time import utcnow
from outlet_audit.extensions import db, sql_values
from outlet_audit.supervision.kinds import (
    CampaignChecklist,
    CampaignStatus,
    CheckPurpose,
    CheckStatus,
    ComplaintCategory,
    ComplaintStatus,
    RevocationStatus,
    YearlyStatus,
)

DECIDED = "decided_at IS NULL"


class Campaign(db.Model):
    """A random spot-check campaign (双随机、一公开) run by a district postal bureau or the city's.

    Its scope and numbers are set before the draw; the draw records its `seed` and the `inputs` it
    drew from (the eligible certificates and the inspector pool of each district, in a fixed order),
    so anyone given both re-runs the draw and gets the same outlets and teams.
    Exactly one of `share_percent` and `per_district` says how many outlets each district gives.
    """

    __tablename__ = "supervision_campaigns"
    __table_args__ = (
        CheckConstraint(f"status IN ({sql_values(CampaignStatus)})", name="status_known"),
        CheckConstraint(f"checklist IN ({sql_values(CampaignChecklist)})", name="checklist_known"),
        CheckConstraint("(share_percent IS NULL) != (per_district IS NULL)", name="one_sample_size"),
        CheckConstraint("share_percent IS NULL OR share_percent BETWEEN 1 AND 100", name="share_in_range"),
        CheckConstraint("per_district IS NULL OR per_district >= 1", name="per_district_positive"),
        CheckConstraint("window_until >= window_from", name="window_ordered"),
        CheckConstraint("recusal_months BETWEEN 0 AND 60", name="recusal_in_range"),
        CheckConstraint("team_size BETWEEN 1 AND 4", name="team_size_in_range"),
        CheckConstraint("quota_per_inspector >= 1", name="quota_positive"),
        CheckConstraint("(status = 'planned') = (seed IS NULL)", name="drawn_has_seed"),
        CheckConstraint("(seed IS NULL) = (drawn_at IS NULL)", name="seed_has_time"),
        CheckConstraint("(status = 'closed') = (closed_at IS NOT NULL)", name="closed_has_time"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[str] = mapped_column(String(40), unique=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), index=True)  # who runs it
    title: Mapped[str] = mapped_column(String(200))
    district_ids: Mapped[list] = mapped_column(JSON)  # sorted district ids in scope
    levels: Mapped[list] = mapped_column(JSON)  # level codes in scope
    brands: Mapped[list] = mapped_column(JSON)  # brands in scope; empty: every brand
    share_percent: Mapped[int | None]
    per_district: Mapped[int | None]
    window_from: Mapped[date]
    window_until: Mapped[date]
    edition_id: Mapped[str] = mapped_column(String(64))  # whose spot-check rules the visits use
    checklist: Mapped[str] = mapped_column(String(12), default=CampaignChecklist.SPOT_CHECK.value)
    recusal_months: Mapped[int]
    team_size: Mapped[int] = mapped_column(default=2)
    quota_per_inspector: Mapped[int]
    status: Mapped[str] = mapped_column(String(10), default=CampaignStatus.PLANNED.value)
    seed: Mapped[str | None] = mapped_column(String(64))
    inputs: Mapped[dict | None] = mapped_column(JSON)  # what the draw drew from, published with the seed
    drawn_at: Mapped[datetime | None]
    drawn_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    closed_at: Mapped[datetime | None]
    closed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    created_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))

    organisation = relationship("Organisation")
    checks: Mapped[list["SupervisionCheck"]] = relationship(
        back_populates="campaign", order_by="SupervisionCheck.id"
    )


class SupervisionCheck(db.Model):
    """One certified outlet checked: drawn in a campaign, opened on a complaint, or targeted.

    Its visit (`assessment`) is the record the team fills in on the phone and signs; the bureau then
    concludes: passed, rectification by a date (`notice`), or revocation (a `RevocationCase`).
    """

    __tablename__ = "supervision_checks"
    __table_args__ = (
        CheckConstraint(f"purpose IN ({sql_values(CheckPurpose)})", name="purpose_known"),
        CheckConstraint(f"status IN ({sql_values(CheckStatus)})", name="status_known"),
        CheckConstraint(f"checklist IN ({sql_values(CampaignChecklist)})", name="checklist_known"),
        CheckConstraint(
            "(purpose = 'spot_check') = (campaign_id IS NOT NULL)", name="spot_check_has_campaign"
        ),
        CheckConstraint(
            "(purpose = 'complaint') = (complaint_id IS NOT NULL)", name="complaint_visit_has_complaint"
        ),
        CheckConstraint(
            "(status IN ('passed', 'rectification', 'rectified', 'revocation')) = (concluded_at IS NOT NULL)",
            name="concluded_has_time",
        ),
        CheckConstraint(
            "(status = 'rectification') <= (notice_id IS NOT NULL)", name="rectification_has_notice"
        ),
        # One open check per certificate: two teams never visit the same outlet for the same thing.
        Index(
            "ux_supervision_checks_one_open",
            "certificate_id",
            unique=True,
            sqlite_where=text("status IN ('scheduled', 'visited', 'rectification')"),
            postgresql_where=text("status IN ('scheduled', 'visited', 'rectification')"),
        ),
        Index("ix_supervision_checks_district_status", "district_id", "status"),
        Index("ix_supervision_checks_outlet", "outlet_id", "created_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[str] = mapped_column(String(40), unique=True)
    purpose: Mapped[str] = mapped_column(String(12))
    campaign_id: Mapped[int | None] = mapped_column(ForeignKey("supervision_campaigns.id"), index=True)
    complaint_id: Mapped[int | None] = mapped_column(ForeignKey("complaints.id"), unique=True)
    certificate_id: Mapped[int] = mapped_column(ForeignKey("certificates.id"))
    application_id: Mapped[int] = mapped_column(ForeignKey("applications.id"))  # the certificate's
    outlet_id: Mapped[int] = mapped_column(ForeignKey("outlets.id"))
    district_id: Mapped[int] = mapped_column(ForeignKey("districts.id"))
    assessment_id: Mapped[int | None] = mapped_column(ForeignKey("assessments.id"), unique=True)
    checklist: Mapped[str] = mapped_column(String(12), default=CampaignChecklist.SPOT_CHECK.value)
    due_by: Mapped[date]  # the visit is made by this date
    status: Mapped[str] = mapped_column(String(14), default=CheckStatus.SCHEDULED.value)
    reason: Mapped[str | None] = mapped_column(Text)  # why a targeted visit was opened
    conclusion: Mapped[str | None] = mapped_column(Text)  # the bureau's reasons for its conclusion
    concluded_at: Mapped[datetime | None]
    concluded_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    notice_id: Mapped[int | None] = mapped_column(ForeignKey("rectification_notices.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    created_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))

    campaign: Mapped[Campaign | None] = relationship(back_populates="checks")
    complaint: Mapped["Complaint | None"] = relationship(back_populates="check")
    certificate = relationship("Certificate")
    outlet = relationship("Outlet")
    assessment = relationship("Assessment")
    notice = relationship("RectificationNotice")


class Complaint(db.Model):
    """A member of the public's report of a problem at a certified outlet, made without an account.

    `reference` is public; the follow-up code is given once to a complainant who left a contact and
    kept only as a hash. The photo, if any, is in the content-addressed store.
    """

    __tablename__ = "complaints"
    __table_args__ = (
        CheckConstraint(f"category IN ({sql_values(ComplaintCategory)})", name="category_known"),
        CheckConstraint(f"status IN ({sql_values(ComplaintStatus)})", name="status_known"),
        CheckConstraint("length(description) > 0", name="description_given"),
        CheckConstraint("(photo_sha256 IS NULL) = (photo_mime IS NULL)", name="photo_complete"),
        CheckConstraint("(follow_code_hash IS NULL) OR (contact IS NOT NULL)", name="code_needs_contact"),
        CheckConstraint("status != 'dismissed' OR length(triage_reason) > 0", name="dismissal_has_reason"),
        CheckConstraint("(status = 'received') = (triaged_at IS NULL)", name="triaged_has_time"),
        Index("ix_complaints_district_status", "district_id", "status", "created_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    reference: Mapped[str] = mapped_column(String(24), unique=True)
    outlet_id: Mapped[int] = mapped_column(ForeignKey("outlets.id"), index=True)
    certificate_id: Mapped[int | None] = mapped_column(ForeignKey("certificates.id"))
    district_id: Mapped[int] = mapped_column(ForeignKey("districts.id"))
    category: Mapped[str] = mapped_column(String(20))
    description: Mapped[str] = mapped_column(Text)
    contact: Mapped[str | None] = mapped_column(String(120))
    follow_code_hash: Mapped[str | None] = mapped_column(String(255))
    photo_sha256: Mapped[str | None] = mapped_column(String(64))
    photo_mime: Mapped[str | None] = mapped_column(String(40))
    status: Mapped[str] = mapped_column(String(20), default=ComplaintStatus.RECEIVED.value)
    triage_reason: Mapped[str | None] = mapped_column(Text)
    triaged_at: Mapped[datetime | None]
    triaged_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    outcome: Mapped[str | None] = mapped_column(Text)  # what the visit found, as the complainant reads it
    closed_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    outlet = relationship("Outlet")
    check: Mapped[SupervisionCheck | None] = relationship(back_populates="complaint")


class RevocationCase(db.Model):
    """Revoking a certificate on a ground the edition lists: notice (告知: grounds, evidence, a
    response deadline) → the outlet's statement (陈述申辩, with documents) → the issuer's decision
    with reasons. A ground the edition marks immediate is decided at once (no notice, no statement).
    Acted on by the certificate's issuer (`organisation`). One open case per certificate.
    """

    __tablename__ = "revocation_cases"
    __table_args__ = (
        CheckConstraint(f"status IN ({sql_values(RevocationStatus)})", name="status_known"),
        CheckConstraint("length(grounds) > 0", name="grounds_given"),
        CheckConstraint("immediate = (response_due IS NULL)", name="notice_has_deadline"),
        CheckConstraint("immediate = (notified_at IS NULL)", name="notice_served_unless_immediate"),
        CheckConstraint("(statement_at IS NULL) = (statement IS NULL)", name="statement_has_time"),
        CheckConstraint(
            "(status IN ('revoked', 'not_revoked')) = (decided_at IS NOT NULL)", name="decided_has_time"
        ),
        CheckConstraint("decided_at IS NULL OR length(decision_reason) > 0", name="decision_has_reason"),
        CheckConstraint("NOT immediate OR status = 'revoked'", name="immediate_is_revoked"),
        Index(
            "ux_revocation_cases_one_open",
            "certificate_id",
            unique=True,
            sqlite_where=text(DECIDED),
            postgresql_where=text(DECIDED),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[str] = mapped_column(String(40), unique=True)  # the notice's number
    certificate_id: Mapped[int] = mapped_column(ForeignKey("certificates.id"), index=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"))  # the issuer acting
    ground: Mapped[str] = mapped_column(String(40))  # an edition's revocation ground code
    immediate: Mapped[bool] = mapped_column(default=False)
    check_id: Mapped[int | None] = mapped_column(ForeignKey("supervision_checks.id"))
    complaint_id: Mapped[int | None] = mapped_column(ForeignKey("complaints.id"))
    grounds: Mapped[str] = mapped_column(Text)  # the facts and grounds, as the notice states them
    evidence: Mapped[str | None] = mapped_column(Text)  # the evidence relied on, as the notice lists it
    status: Mapped[str] = mapped_column(String(12), default=RevocationStatus.NOTIFIED.value)
    response_due: Mapped[date | None]
    notified_at: Mapped[datetime | None]
    statement: Mapped[str | None] = mapped_column(Text)
    statement_at: Mapped[datetime | None]
    statement_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    decision_reason: Mapped[str | None] = mapped_column(Text)
    decided_at: Mapped[datetime | None]
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    created_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))

    certificate = relationship("Certificate")
    organisation = relationship("Organisation")
    check = relationship(SupervisionCheck)
    complaint = relationship(Complaint)


class YearlySelfCheck(db.Model):
    """A certified outlet's yearly continued-compliance self-check (年度自查), when the edition asks.

    The outlet answers the edition's yearly items with photos in `assessment` and submits by
    `due_on`; the district bureau accepts or fails it. Still open after `due_on` is missing.
    """

    __tablename__ = "yearly_self_checks"
    __table_args__ = (
        UniqueConstraint("certificate_id", "year"),
        CheckConstraint(f"status IN ({sql_values(YearlyStatus)})", name="status_known"),
        CheckConstraint("(status = 'open') = (submitted_at IS NULL)", name="submitted_has_time"),
        CheckConstraint(
            "(status IN ('accepted', 'failed')) = (reviewed_at IS NOT NULL)", name="reviewed_has_time"
        ),
        CheckConstraint("status != 'failed' OR length(review_note) > 0", name="failure_has_reason"),
        Index("ix_yearly_self_checks_district_status", "district_id", "status", "due_on"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    certificate_id: Mapped[int] = mapped_column(ForeignKey("certificates.id"))
    outlet_id: Mapped[int] = mapped_column(ForeignKey("outlets.id"), index=True)
    district_id: Mapped[int] = mapped_column(ForeignKey("districts.id"))
    year: Mapped[int]
    due_on: Mapped[date]
    assessment_id: Mapped[int | None] = mapped_column(ForeignKey("assessments.id"), unique=True)
    status: Mapped[str] = mapped_column(String(10), default=YearlyStatus.OPEN.value)
    submitted_at: Mapped[datetime | None]
    submitted_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    reviewed_at: Mapped[datetime | None]
    reviewed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    review_note: Mapped[str | None] = mapped_column(Text)
    reminded_at: Mapped[datetime | None]
    check_id: Mapped[int | None] = mapped_column(ForeignKey("supervision_checks.id"))  # the visit it led to
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    certificate = relationship("Certificate")
    outlet = relationship("Outlet")
    assessment = relationship("Assessment")
    check = relationship(SupervisionCheck)
