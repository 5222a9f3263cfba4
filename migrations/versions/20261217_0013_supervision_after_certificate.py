"""Supervision after the certificate: spot-check campaigns, supervision checks, public complaints,
revocation cases with prior notice, yearly self-checks.

supervision_campaigns holds each random spot-check campaign with its scope, numbers, recorded seed
and the inputs it drew from; supervision_checks each certified outlet checked (drawn, on a
complaint, or targeted), whose visit is an assessment of the new kind `supervision` on the
application that earned the certificate; complaints the public's reports; revocation_cases each
revocation with its notice, the outlet's statement and the issuer's decision (evidence rows of the
new purpose `statement` are the statement's documents); yearly_self_checks each outlet's yearly
self-check, an assessment of the new kind `yearly`.

Nothing existing changes meaning: the new tables start empty and the widened CHECK constraints
admit every row they admitted. Going down drops the tables, and the assessments and evidence of the
new kinds and purpose with them (they belong to supervision alone).

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-17
"""

import sqlalchemy as sa
from alembic import op

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None

OLD_KINDS = ("self", "inspection")
NEW_KINDS = (*OLD_KINDS, "supervision", "yearly")
OLD_PURPOSES = ("item", "commitment", "rectification", "signature")
NEW_PURPOSES = (*OLD_PURPOSES, "statement")


def _values(values) -> str:
    return ", ".join(f"'{value}'" for value in values)


def _known(kinds, purposes) -> None:
    with op.batch_alter_table("assessments", schema=None) as batch_op:
        batch_op.drop_constraint(op.f("ck_assessments_kind_known"), type_="check")
        batch_op.create_check_constraint("kind_known", f"kind IN ({_values(kinds)})")
    with op.batch_alter_table("evidence", schema=None) as batch_op:
        batch_op.drop_constraint(op.f("ck_evidence_purpose_known"), type_="check")
        batch_op.create_check_constraint("purpose_known", f"purpose IN ({_values(purposes)})")


def upgrade():
    _known(NEW_KINDS, NEW_PURPOSES)
    op.create_table(
        "supervision_campaigns",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("number", sa.String(length=40), nullable=False),
        sa.Column("organisation_id", sa.Integer(), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("district_ids", sa.JSON(), nullable=False),
        sa.Column("levels", sa.JSON(), nullable=False),
        sa.Column("brands", sa.JSON(), nullable=False),
        sa.Column("share_percent", sa.Integer(), nullable=True),
        sa.Column("per_district", sa.Integer(), nullable=True),
        sa.Column("window_from", sa.Date(), nullable=False),
        sa.Column("window_until", sa.Date(), nullable=False),
        sa.Column("edition_id", sa.String(length=64), nullable=False),
        sa.Column("checklist", sa.String(length=12), nullable=False),
        sa.Column("recusal_months", sa.Integer(), nullable=False),
        sa.Column("team_size", sa.Integer(), nullable=False),
        sa.Column("quota_per_inspector", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("seed", sa.String(length=64), nullable=True),
        sa.Column("inputs", sa.JSON(), nullable=True),
        sa.Column("drawn_at", sa.DateTime(), nullable=True),
        sa.Column("drawn_by_id", sa.Integer(), nullable=True),
        sa.Column("closed_at", sa.DateTime(), nullable=True),
        sa.Column("closed_by_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("created_by_id", sa.Integer(), nullable=False),
        sa.CheckConstraint(
            "(status = 'closed') = (closed_at IS NOT NULL)",
            name=op.f("ck_supervision_campaigns_closed_has_time"),
        ),
        sa.CheckConstraint(
            "(status = 'planned') = (seed IS NULL)", name=op.f("ck_supervision_campaigns_drawn_has_seed")
        ),
        sa.CheckConstraint(
            "checklist IN ('spot_check', 'full')", name=op.f("ck_supervision_campaigns_checklist_known")
        ),
        sa.CheckConstraint(
            "status IN ('planned', 'drawn', 'closed')", name=op.f("ck_supervision_campaigns_status_known")
        ),
        sa.CheckConstraint(
            "(seed IS NULL) = (drawn_at IS NULL)", name=op.f("ck_supervision_campaigns_seed_has_time")
        ),
        sa.CheckConstraint(
            "(share_percent IS NULL) != (per_district IS NULL)",
            name=op.f("ck_supervision_campaigns_one_sample_size"),
        ),
        sa.CheckConstraint(
            "per_district IS NULL OR per_district >= 1",
            name=op.f("ck_supervision_campaigns_per_district_positive"),
        ),
        sa.CheckConstraint("quota_per_inspector >= 1", name=op.f("ck_supervision_campaigns_quota_positive")),
        sa.CheckConstraint(
            "recusal_months BETWEEN 0 AND 60", name=op.f("ck_supervision_campaigns_recusal_in_range")
        ),
        sa.CheckConstraint(
            "share_percent IS NULL OR share_percent BETWEEN 1 AND 100",
            name=op.f("ck_supervision_campaigns_share_in_range"),
        ),
        sa.CheckConstraint(
            "team_size BETWEEN 1 AND 4", name=op.f("ck_supervision_campaigns_team_size_in_range")
        ),
        sa.CheckConstraint(
            "window_until >= window_from", name=op.f("ck_supervision_campaigns_window_ordered")
        ),
        sa.ForeignKeyConstraint(
            ["closed_by_id"], ["users.id"], name=op.f("fk_supervision_campaigns_closed_by_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["created_by_id"], ["users.id"], name=op.f("fk_supervision_campaigns_created_by_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["drawn_by_id"], ["users.id"], name=op.f("fk_supervision_campaigns_drawn_by_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["organisation_id"],
            ["organisations.id"],
            name=op.f("fk_supervision_campaigns_organisation_id_organisations"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_supervision_campaigns")),
        sa.UniqueConstraint("number", name=op.f("uq_supervision_campaigns_number")),
    )
    with op.batch_alter_table("supervision_campaigns", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_supervision_campaigns_organisation_id"), ["organisation_id"], unique=False
        )

    op.create_table(
        "complaints",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("reference", sa.String(length=24), nullable=False),
        sa.Column("outlet_id", sa.Integer(), nullable=False),
        sa.Column("certificate_id", sa.Integer(), nullable=True),
        sa.Column("district_id", sa.Integer(), nullable=False),
        sa.Column("category", sa.String(length=20), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("contact", sa.String(length=120), nullable=True),
        sa.Column("follow_code_hash", sa.String(length=255), nullable=True),
        sa.Column("photo_sha256", sa.String(length=64), nullable=True),
        sa.Column("photo_mime", sa.String(length=40), nullable=True),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("triage_reason", sa.Text(), nullable=True),
        sa.Column("triaged_at", sa.DateTime(), nullable=True),
        sa.Column("triaged_by_id", sa.Integer(), nullable=True),
        sa.Column("outcome", sa.Text(), nullable=True),
        sa.Column("closed_at", sa.DateTime(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.CheckConstraint(
            "(status = 'received') = (triaged_at IS NULL)", name=op.f("ck_complaints_triaged_has_time")
        ),
        sa.CheckConstraint(
            "category IN ('second_packaging', 'materials', 'recycling', 'waste_sorting', 'certificate', 'other')",  # noqa: E501
            name=op.f("ck_complaints_category_known"),
        ),
        sa.CheckConstraint(
            "status != 'dismissed' OR length(triage_reason) > 0",
            name=op.f("ck_complaints_dismissal_has_reason"),
        ),
        sa.CheckConstraint(
            "status IN ('received', 'dismissed', 'visit_opened', 'substantiated', 'not_substantiated')",
            name=op.f("ck_complaints_status_known"),
        ),
        sa.CheckConstraint(
            "(follow_code_hash IS NULL) OR (contact IS NOT NULL)",
            name=op.f("ck_complaints_code_needs_contact"),
        ),
        sa.CheckConstraint(
            "(photo_sha256 IS NULL) = (photo_mime IS NULL)", name=op.f("ck_complaints_photo_complete")
        ),
        sa.CheckConstraint("length(description) > 0", name=op.f("ck_complaints_description_given")),
        sa.ForeignKeyConstraint(
            ["certificate_id"], ["certificates.id"], name=op.f("fk_complaints_certificate_id_certificates")
        ),
        sa.ForeignKeyConstraint(
            ["district_id"], ["districts.id"], name=op.f("fk_complaints_district_id_districts")
        ),
        sa.ForeignKeyConstraint(["outlet_id"], ["outlets.id"], name=op.f("fk_complaints_outlet_id_outlets")),
        sa.ForeignKeyConstraint(
            ["triaged_by_id"], ["users.id"], name=op.f("fk_complaints_triaged_by_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_complaints")),
        sa.UniqueConstraint("reference", name=op.f("uq_complaints_reference")),
    )
    with op.batch_alter_table("complaints", schema=None) as batch_op:
        batch_op.create_index(
            "ix_complaints_district_status", ["district_id", "status", "created_at"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_complaints_outlet_id"), ["outlet_id"], unique=False)

    op.create_table(
        "supervision_checks",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("number", sa.String(length=40), nullable=False),
        sa.Column("purpose", sa.String(length=12), nullable=False),
        sa.Column("campaign_id", sa.Integer(), nullable=True),
        sa.Column("complaint_id", sa.Integer(), nullable=True),
        sa.Column("certificate_id", sa.Integer(), nullable=False),
        sa.Column("application_id", sa.Integer(), nullable=False),
        sa.Column("outlet_id", sa.Integer(), nullable=False),
        sa.Column("district_id", sa.Integer(), nullable=False),
        sa.Column("assessment_id", sa.Integer(), nullable=True),
        sa.Column("checklist", sa.String(length=12), nullable=False),
        sa.Column("due_by", sa.Date(), nullable=False),
        sa.Column("status", sa.String(length=14), nullable=False),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("conclusion", sa.Text(), nullable=True),
        sa.Column("concluded_at", sa.DateTime(), nullable=True),
        sa.Column("concluded_by_id", sa.Integer(), nullable=True),
        sa.Column("notice_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("created_by_id", sa.Integer(), nullable=False),
        sa.CheckConstraint(
            "(purpose = 'complaint') = (complaint_id IS NOT NULL)",
            name=op.f("ck_supervision_checks_complaint_visit_has_complaint"),
        ),
        sa.CheckConstraint(
            "(purpose = 'spot_check') = (campaign_id IS NOT NULL)",
            name=op.f("ck_supervision_checks_spot_check_has_campaign"),
        ),
        sa.CheckConstraint(
            "status != 'rectification' OR notice_id IS NOT NULL",
            name=op.f("ck_supervision_checks_rectification_has_notice"),
        ),
        sa.CheckConstraint(
            "(status IN ('passed', 'rectification', 'rectified', 'revocation')) = (concluded_at IS NOT NULL)",
            name=op.f("ck_supervision_checks_concluded_has_time"),
        ),
        sa.CheckConstraint(
            "checklist IN ('spot_check', 'full')", name=op.f("ck_supervision_checks_checklist_known")
        ),
        sa.CheckConstraint(
            "purpose IN ('spot_check', 'complaint', 'targeted')",
            name=op.f("ck_supervision_checks_purpose_known"),
        ),
        sa.CheckConstraint(
            "status IN ('scheduled', 'visited', 'passed', 'rectification', 'rectified', 'revocation', 'cancelled')",  # noqa: E501
            name=op.f("ck_supervision_checks_status_known"),
        ),
        sa.ForeignKeyConstraint(
            ["application_id"],
            ["applications.id"],
            name=op.f("fk_supervision_checks_application_id_applications"),
        ),
        sa.ForeignKeyConstraint(
            ["assessment_id"],
            ["assessments.id"],
            name=op.f("fk_supervision_checks_assessment_id_assessments"),
        ),
        sa.ForeignKeyConstraint(
            ["campaign_id"],
            ["supervision_campaigns.id"],
            name=op.f("fk_supervision_checks_campaign_id_supervision_campaigns"),
        ),
        sa.ForeignKeyConstraint(
            ["certificate_id"],
            ["certificates.id"],
            name=op.f("fk_supervision_checks_certificate_id_certificates"),
        ),
        sa.ForeignKeyConstraint(
            ["complaint_id"], ["complaints.id"], name=op.f("fk_supervision_checks_complaint_id_complaints")
        ),
        sa.ForeignKeyConstraint(
            ["concluded_by_id"], ["users.id"], name=op.f("fk_supervision_checks_concluded_by_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["created_by_id"], ["users.id"], name=op.f("fk_supervision_checks_created_by_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["district_id"], ["districts.id"], name=op.f("fk_supervision_checks_district_id_districts")
        ),
        sa.ForeignKeyConstraint(
            ["notice_id"],
            ["rectification_notices.id"],
            name=op.f("fk_supervision_checks_notice_id_rectification_notices"),
        ),
        sa.ForeignKeyConstraint(
            ["outlet_id"], ["outlets.id"], name=op.f("fk_supervision_checks_outlet_id_outlets")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_supervision_checks")),
        sa.UniqueConstraint("assessment_id", name=op.f("uq_supervision_checks_assessment_id")),
        sa.UniqueConstraint("complaint_id", name=op.f("uq_supervision_checks_complaint_id")),
        sa.UniqueConstraint("number", name=op.f("uq_supervision_checks_number")),
    )
    with op.batch_alter_table("supervision_checks", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_supervision_checks_campaign_id"), ["campaign_id"], unique=False)
        batch_op.create_index(
            "ix_supervision_checks_district_status", ["district_id", "status"], unique=False
        )
        batch_op.create_index("ix_supervision_checks_outlet", ["outlet_id", "created_at"], unique=False)
        batch_op.create_index(
            "ux_supervision_checks_one_open",
            ["certificate_id"],
            unique=True,
            sqlite_where=sa.text("status IN ('scheduled', 'visited', 'rectification')"),
            postgresql_where=sa.text("status IN ('scheduled', 'visited', 'rectification')"),
        )

    op.create_table(
        "revocation_cases",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("number", sa.String(length=40), nullable=False),
        sa.Column("certificate_id", sa.Integer(), nullable=False),
        sa.Column("organisation_id", sa.Integer(), nullable=False),
        sa.Column("ground", sa.String(length=40), nullable=False),
        sa.Column("immediate", sa.Boolean(), nullable=False),
        sa.Column("check_id", sa.Integer(), nullable=True),
        sa.Column("complaint_id", sa.Integer(), nullable=True),
        sa.Column("grounds", sa.Text(), nullable=False),
        sa.Column("evidence", sa.Text(), nullable=True),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column("response_due", sa.Date(), nullable=True),
        sa.Column("notified_at", sa.DateTime(), nullable=True),
        sa.Column("statement", sa.Text(), nullable=True),
        sa.Column("statement_at", sa.DateTime(), nullable=True),
        sa.Column("statement_by_id", sa.Integer(), nullable=True),
        sa.Column("decision_reason", sa.Text(), nullable=True),
        sa.Column("decided_at", sa.DateTime(), nullable=True),
        sa.Column("decided_by_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("created_by_id", sa.Integer(), nullable=False),
        sa.CheckConstraint(
            "(status IN ('revoked', 'not_revoked')) = (decided_at IS NOT NULL)",
            name=op.f("ck_revocation_cases_decided_has_time"),
        ),
        sa.CheckConstraint(
            "NOT immediate OR status = 'revoked'", name=op.f("ck_revocation_cases_immediate_is_revoked")
        ),
        sa.CheckConstraint(
            "status IN ('notified', 'statement', 'revoked', 'not_revoked')",
            name=op.f("ck_revocation_cases_status_known"),
        ),
        sa.CheckConstraint(
            "(statement_at IS NULL) = (statement IS NULL)",
            name=op.f("ck_revocation_cases_statement_has_time"),
        ),
        sa.CheckConstraint(
            "decided_at IS NULL OR length(decision_reason) > 0",
            name=op.f("ck_revocation_cases_decision_has_reason"),
        ),
        sa.CheckConstraint(
            "immediate = (notified_at IS NULL)",
            name=op.f("ck_revocation_cases_notice_served_unless_immediate"),
        ),
        sa.CheckConstraint(
            "immediate = (response_due IS NULL)", name=op.f("ck_revocation_cases_notice_has_deadline")
        ),
        sa.CheckConstraint("length(grounds) > 0", name=op.f("ck_revocation_cases_grounds_given")),
        sa.ForeignKeyConstraint(
            ["certificate_id"],
            ["certificates.id"],
            name=op.f("fk_revocation_cases_certificate_id_certificates"),
        ),
        sa.ForeignKeyConstraint(
            ["check_id"],
            ["supervision_checks.id"],
            name=op.f("fk_revocation_cases_check_id_supervision_checks"),
        ),
        sa.ForeignKeyConstraint(
            ["complaint_id"], ["complaints.id"], name=op.f("fk_revocation_cases_complaint_id_complaints")
        ),
        sa.ForeignKeyConstraint(
            ["created_by_id"], ["users.id"], name=op.f("fk_revocation_cases_created_by_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["decided_by_id"], ["users.id"], name=op.f("fk_revocation_cases_decided_by_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["organisation_id"],
            ["organisations.id"],
            name=op.f("fk_revocation_cases_organisation_id_organisations"),
        ),
        sa.ForeignKeyConstraint(
            ["statement_by_id"], ["users.id"], name=op.f("fk_revocation_cases_statement_by_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_revocation_cases")),
        sa.UniqueConstraint("number", name=op.f("uq_revocation_cases_number")),
    )
    with op.batch_alter_table("revocation_cases", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_revocation_cases_certificate_id"), ["certificate_id"], unique=False
        )
        batch_op.create_index(
            "ux_revocation_cases_one_open",
            ["certificate_id"],
            unique=True,
            sqlite_where=sa.text("decided_at IS NULL"),
            postgresql_where=sa.text("decided_at IS NULL"),
        )

    op.create_table(
        "yearly_self_checks",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("certificate_id", sa.Integer(), nullable=False),
        sa.Column("outlet_id", sa.Integer(), nullable=False),
        sa.Column("district_id", sa.Integer(), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("due_on", sa.Date(), nullable=False),
        sa.Column("assessment_id", sa.Integer(), nullable=True),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("submitted_at", sa.DateTime(), nullable=True),
        sa.Column("submitted_by_id", sa.Integer(), nullable=True),
        sa.Column("reviewed_at", sa.DateTime(), nullable=True),
        sa.Column("reviewed_by_id", sa.Integer(), nullable=True),
        sa.Column("review_note", sa.Text(), nullable=True),
        sa.Column("reminded_at", sa.DateTime(), nullable=True),
        sa.Column("check_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.CheckConstraint(
            "(status = 'open') = (submitted_at IS NULL)",
            name=op.f("ck_yearly_self_checks_submitted_has_time"),
        ),
        sa.CheckConstraint(
            "(status IN ('accepted', 'failed')) = (reviewed_at IS NOT NULL)",
            name=op.f("ck_yearly_self_checks_reviewed_has_time"),
        ),
        sa.CheckConstraint(
            "status != 'failed' OR length(review_note) > 0",
            name=op.f("ck_yearly_self_checks_failure_has_reason"),
        ),
        sa.CheckConstraint(
            "status IN ('open', 'submitted', 'accepted', 'failed')",
            name=op.f("ck_yearly_self_checks_status_known"),
        ),
        sa.ForeignKeyConstraint(
            ["assessment_id"],
            ["assessments.id"],
            name=op.f("fk_yearly_self_checks_assessment_id_assessments"),
        ),
        sa.ForeignKeyConstraint(
            ["certificate_id"],
            ["certificates.id"],
            name=op.f("fk_yearly_self_checks_certificate_id_certificates"),
        ),
        sa.ForeignKeyConstraint(
            ["check_id"],
            ["supervision_checks.id"],
            name=op.f("fk_yearly_self_checks_check_id_supervision_checks"),
        ),
        sa.ForeignKeyConstraint(
            ["district_id"], ["districts.id"], name=op.f("fk_yearly_self_checks_district_id_districts")
        ),
        sa.ForeignKeyConstraint(
            ["outlet_id"], ["outlets.id"], name=op.f("fk_yearly_self_checks_outlet_id_outlets")
        ),
        sa.ForeignKeyConstraint(
            ["reviewed_by_id"], ["users.id"], name=op.f("fk_yearly_self_checks_reviewed_by_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["submitted_by_id"], ["users.id"], name=op.f("fk_yearly_self_checks_submitted_by_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_yearly_self_checks")),
        sa.UniqueConstraint("assessment_id", name=op.f("uq_yearly_self_checks_assessment_id")),
        sa.UniqueConstraint("certificate_id", "year", name=op.f("uq_yearly_self_checks_certificate_id_year")),
    )
    with op.batch_alter_table("yearly_self_checks", schema=None) as batch_op:
        batch_op.create_index(
            "ix_yearly_self_checks_district_status", ["district_id", "status", "due_on"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_yearly_self_checks_outlet_id"), ["outlet_id"], unique=False)

    with op.batch_alter_table("evidence", schema=None) as batch_op:
        batch_op.add_column(sa.Column("revocation_case_id", sa.Integer(), nullable=True))
        batch_op.create_index(
            batch_op.f("ix_evidence_revocation_case_id"), ["revocation_case_id"], unique=False
        )
        batch_op.create_foreign_key(
            batch_op.f("fk_evidence_revocation_case_id_revocation_cases"),
            "revocation_cases",
            ["revocation_case_id"],
            ["id"],
            ondelete="CASCADE",
        )


def downgrade():
    with op.batch_alter_table("evidence", schema=None) as batch_op:
        batch_op.drop_constraint(
            batch_op.f("fk_evidence_revocation_case_id_revocation_cases"), type_="foreignkey"
        )
        batch_op.drop_index(batch_op.f("ix_evidence_revocation_case_id"))
        batch_op.drop_column("revocation_case_id")

    with op.batch_alter_table("yearly_self_checks", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_yearly_self_checks_outlet_id"))
        batch_op.drop_index("ix_yearly_self_checks_district_status")

    op.drop_table("yearly_self_checks")
    with op.batch_alter_table("revocation_cases", schema=None) as batch_op:
        batch_op.drop_index(
            "ux_revocation_cases_one_open",
            sqlite_where=sa.text("decided_at IS NULL"),
            postgresql_where=sa.text("decided_at IS NULL"),
        )
        batch_op.drop_index(batch_op.f("ix_revocation_cases_certificate_id"))

    op.drop_table("revocation_cases")
    with op.batch_alter_table("supervision_checks", schema=None) as batch_op:
        batch_op.drop_index(
            "ux_supervision_checks_one_open",
            sqlite_where=sa.text("status IN ('scheduled', 'visited', 'rectification')"),
            postgresql_where=sa.text("status IN ('scheduled', 'visited', 'rectification')"),
        )
        batch_op.drop_index("ix_supervision_checks_outlet")
        batch_op.drop_index("ix_supervision_checks_district_status")
        batch_op.drop_index(batch_op.f("ix_supervision_checks_campaign_id"))

    op.drop_table("supervision_checks")
    with op.batch_alter_table("complaints", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_complaints_outlet_id"))
        batch_op.drop_index("ix_complaints_district_status")

    op.drop_table("complaints")
    with op.batch_alter_table("supervision_campaigns", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_supervision_campaigns_organisation_id"))

    op.drop_table("supervision_campaigns")
    connection = op.get_bind()
    connection.execute(sa.text("DELETE FROM evidence WHERE purpose = 'statement'"))
    owned = "(SELECT id FROM assessments WHERE kind IN ('supervision', 'yearly'))"
    # Each row of theirs by hand: SQLite does not cascade within a migration.
    findings = f"(SELECT id FROM findings WHERE assessment_id IN {owned})"
    connection.execute(sa.text(f"DELETE FROM evidence WHERE finding_id IN {findings}"))
    connection.execute(sa.text(f"DELETE FROM finding_checks WHERE finding_id IN {findings}"))
    for table in ("evidence", "answers", "visit_inspectors", "finding_checks", "findings"):
        connection.execute(sa.text(f"DELETE FROM {table} WHERE assessment_id IN {owned}"))
    connection.execute(sa.text(f"DELETE FROM rectification_notices WHERE assessment_id IN {owned}"))
    connection.execute(sa.text("DELETE FROM assessments WHERE kind IN ('supervision', 'yearly')"))
    _known(OLD_KINDS, OLD_PURPOSES)
