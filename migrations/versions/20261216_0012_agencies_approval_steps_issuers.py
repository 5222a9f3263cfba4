"""Who decides what: organisations, approval steps, joint teams, issuers and signed certificates.

organisations holds each district's postal bureau and ecology and environment bureau, the city
postal bureau and the city ecology bureau; every staff account belongs to one (users.organisation_id)
and may sign approval steps when it is an approver (users.approver). approval_records keeps each
step of a level's approval as signed; applications.awaiting_agency says whose step comes next, and
the status awaiting_city_confirmation becomes in_approval. visit_inspectors.signed_at is each team
member's signature of a visit. certificates.issuer_organisation_id names the issuer;
certificate_documents keeps each certificate's signed PDF; revocation_proposals a bureau's proposal
that the issuer revoke a certificate.

Going up: the organisations are made for every district; each existing inspector and district
bureau account joins its district's postal bureau and each city bureau account the city postal
bureau, and every bureau account is an approver (as it could decide before). An application that
awaited city confirmation is in approval at its second step (the city's), with the district's
recommendation recorded from its opinion and the audit trail; every approval already made gets its
steps recorded from the audit trail the same way. A signed visit's signer has signed it. Each
certificate's issuer is the city postal bureau (city level) or its district's postal bureau.
Going down, the step records, documents, proposals and organisations are dropped, and applications
in approval wait for the city again (those at an earlier step go back to inspected).

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-16
"""

from datetime import datetime, timezone

import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None

OLD_STATUSES = (
    "draft", "submitted", "returned", "accepted", "inspection_scheduled", "inspected",
    "rectification_requested", "rectification_submitted", "awaiting_city_confirmation",
    "approved", "rejected", "withdrawn",
)  # fmt: skip
NEW_STATUSES = tuple("in_approval" if s == "awaiting_city_confirmation" else s for s in OLD_STATUSES)
AGENCIES = ("district_postal", "district_ecology", "city_postal", "city_ecology")


def _values(values) -> str:
    return ", ".join(f"'{value}'" for value in values)


districts = sa.table(
    "districts",
    sa.column("id", sa.Integer),
    sa.column("code", sa.String),
    sa.column("name_zh", sa.String),
    sa.column("name_en", sa.String),
    sa.column("sort_order", sa.Integer),
)
organisations = sa.table(
    "organisations",
    sa.column("id", sa.Integer),
    sa.column("agency", sa.String),
    sa.column("district_id", sa.Integer),
    sa.column("code", sa.String),
    sa.column("name_zh", sa.String),
    sa.column("name_en", sa.String),
    sa.column("created_at", sa.DateTime),
)
users = sa.table(
    "users",
    sa.column("id", sa.Integer),
    sa.column("role", sa.String),
    sa.column("district_id", sa.Integer),
    sa.column("organisation_id", sa.Integer),
    sa.column("approver", sa.Boolean),
)
applications = sa.table(
    "applications",
    sa.column("id", sa.Integer),
    sa.column("status", sa.String),
    sa.column("district_id", sa.Integer),
    sa.column("target_level", sa.String),
    sa.column("granted_level", sa.String),
    sa.column("decision_opinion", sa.Text),
    sa.column("awaiting_agency", sa.String),
    sa.column("decided_at", sa.DateTime),
    sa.column("updated_at", sa.DateTime),
)
approval_records = sa.table(
    "approval_records",
    sa.column("application_id", sa.Integer),
    sa.column("round", sa.Integer),
    sa.column("position", sa.Integer),
    sa.column("level", sa.String),
    sa.column("agency", sa.String),
    sa.column("act", sa.String),
    sa.column("outcome", sa.String),
    sa.column("opinion", sa.Text),
    sa.column("organisation_id", sa.Integer),
    sa.column("user_id", sa.Integer),
    sa.column("created_at", sa.DateTime),
)
audit_events = sa.table(
    "audit_events",
    sa.column("id", sa.Integer),
    sa.column("action", sa.String),
    sa.column("application_id", sa.Integer),
    sa.column("field", sa.String),
    sa.column("new_value", sa.Text),
    sa.column("actor_id", sa.Integer),
    sa.column("reason", sa.Text),
    sa.column("occurred_at", sa.DateTime),
)
assessments = sa.table(
    "assessments",
    sa.column("id", sa.Integer),
    sa.column("signed_off_at", sa.DateTime),
    sa.column("signed_off_by_id", sa.Integer),
)
visit_inspectors = sa.table(
    "visit_inspectors",
    sa.column("assessment_id", sa.Integer),
    sa.column("inspector_id", sa.Integer),
    sa.column("signed_at", sa.DateTime),
)
certificates = sa.table(
    "certificates",
    sa.column("id", sa.Integer),
    sa.column("level", sa.String),
    sa.column("district_id", sa.Integer),
    sa.column("issuer_organisation_id", sa.Integer),
)


def _now() -> datetime:
    return datetime.now(timezone.utc).replace(tzinfo=None)


def _official(name_zh: str) -> str:
    return name_zh if name_zh.endswith("区") else f"{name_zh}区"


def _english(name_en: str) -> str:
    return name_en if name_en.endswith(("Area", "District")) else f"{name_en} District"


def upgrade():
    op.create_table(
        "organisations",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("agency", sa.String(length=20), nullable=False),
        sa.Column("district_id", sa.Integer(), nullable=True),
        sa.Column("code", sa.String(length=20), nullable=False),
        sa.Column("name_zh", sa.String(length=100), nullable=False),
        sa.Column("name_en", sa.String(length=150), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.CheckConstraint(f"agency IN ({_values(AGENCIES)})", name=op.f("ck_organisations_agency_known")),
        sa.CheckConstraint(
            "(agency IN ('district_postal', 'district_ecology')) = (district_id IS NOT NULL)",
            name=op.f("ck_organisations_district_matches_agency"),
        ),
        sa.ForeignKeyConstraint(
            ["district_id"], ["districts.id"], name=op.f("fk_organisations_district_id_districts")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_organisations")),
        sa.UniqueConstraint("code", name=op.f("uq_organisations_code")),
        sa.UniqueConstraint("name_zh", name=op.f("uq_organisations_name_zh")),
    )
    with op.batch_alter_table("organisations", schema=None) as batch_op:
        batch_op.create_index("ux_organisations_agency_district", ["agency", "district_id"], unique=True)
        batch_op.create_index(
            "ux_organisations_city_agency",
            ["agency"],
            unique=True,
            sqlite_where=sa.text("district_id IS NULL"),
            postgresql_where=sa.text("district_id IS NULL"),
        )
    connection = op.get_bind()
    now = _now()
    rows = [
        {"agency": "city_postal", "district_id": None, "code": "SH-postal", "name_zh": "上海市邮政管理局",
         "name_en": "Shanghai Postal Administration", "created_at": now},
        {"agency": "city_ecology", "district_id": None, "code": "SH-ecology", "name_zh": "上海市生态环境局",
         "name_en": "Shanghai Municipal Bureau of Ecology and Environment", "created_at": now},
    ]  # fmt: skip
    for district in connection.execute(sa.select(districts).order_by(districts.c.sort_order)):
        official, english = _official(district.name_zh), _english(district.name_en)
        rows.append(
            {"agency": "district_postal", "district_id": district.id, "code": f"{district.code}-postal", "name_zh": f"上海市{official}邮政管理局",
             "name_en": f"{english} Postal Administration, Shanghai", "created_at": now}
        )  # fmt: skip
        rows.append(
            {"agency": "district_ecology", "district_id": district.id, "code": f"{district.code}-ecology", "name_zh": f"上海市{official}生态环境局",
             "name_en": f"{english} Bureau of Ecology and Environment, Shanghai", "created_at": now}
        )  # fmt: skip
    op.bulk_insert(organisations, rows)
    postal = {
        row.district_id: row.id
        for row in connection.execute(
            sa.select(organisations.c.id, organisations.c.district_id).where(
                organisations.c.agency.in_(("district_postal", "city_postal"))
            )
        )
    }

    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.add_column(sa.Column("organisation_id", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("approver", sa.Boolean(), nullable=False, server_default=sa.false()))
    for district_id, organisation_id in postal.items():
        staff = ("inspector", "district_bureau") if district_id is not None else ("city_bureau",)
        condition = users.c.role.in_(staff)
        if district_id is not None:
            condition = condition & (users.c.district_id == district_id)
        connection.execute(users.update().where(condition).values(organisation_id=organisation_id))
    connection.execute(
        users.update().where(users.c.role.in_(("district_bureau", "city_bureau"))).values(approver=True)
    )
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.create_foreign_key(
            batch_op.f("fk_users_organisation_id_organisations"), "organisations", ["organisation_id"], ["id"]
        )
        batch_op.create_index("ix_users_organisation", ["organisation_id"], unique=False)
        batch_op.create_check_constraint(
            "organisation_matches_role",
            "(role IN ('city_bureau', 'district_bureau', 'inspector')) = (organisation_id IS NOT NULL)",
        )
        batch_op.create_check_constraint(
            "approver_is_bureau", "NOT approver OR role IN ('city_bureau', 'district_bureau')"
        )

    op.create_table(
        "approval_records",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("application_id", sa.Integer(), nullable=False),
        sa.Column("round", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("level", sa.String(length=10), nullable=False),
        sa.Column("agency", sa.String(length=20), nullable=False),
        sa.Column("act", sa.String(length=20), nullable=False),
        sa.Column("outcome", sa.String(length=10), nullable=False),
        sa.Column("opinion", sa.Text(), nullable=False),
        sa.Column("organisation_id", sa.Integer(), nullable=True),
        sa.Column("user_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.CheckConstraint(
            "act IN ('opinion', 'recommendation', 'cosign', 'decision', 'confirmation')",
            name=op.f("ck_approval_records_act_known"),
        ),
        sa.CheckConstraint("level IN ('district', 'city')", name=op.f("ck_approval_records_level_known")),
        sa.CheckConstraint("length(opinion) > 0", name=op.f("ck_approval_records_opinion_written")),
        sa.CheckConstraint(
            "outcome IN ('agree', 'disagree', 'return')", name=op.f("ck_approval_records_outcome_known")
        ),
        sa.CheckConstraint("round >= 1 AND position >= 0", name=op.f("ck_approval_records_position_counts")),
        sa.ForeignKeyConstraint(
            ["application_id"],
            ["applications.id"],
            name=op.f("fk_approval_records_application_id_applications"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["organisation_id"],
            ["organisations.id"],
            name=op.f("fk_approval_records_organisation_id_organisations"),
        ),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], name=op.f("fk_approval_records_user_id_users")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_approval_records")),
        sa.UniqueConstraint(
            "application_id", "round", "position", name=op.f("uq_approval_records_application_id_round_position")
        ),
    )

    with op.batch_alter_table("applications", schema=None) as batch_op:
        batch_op.add_column(sa.Column("awaiting_agency", sa.String(length=20), nullable=True))
        batch_op.drop_constraint(op.f("ck_applications_status_known"), type_="check")
    _record_past_approvals(connection)
    connection.execute(
        applications.update()
        .where(applications.c.status == "awaiting_city_confirmation")
        .values(status="in_approval", awaiting_agency="city_postal")
    )
    with op.batch_alter_table("applications", schema=None) as batch_op:
        batch_op.create_check_constraint("status_known", f"status IN ({_values(NEW_STATUSES)})")
        batch_op.create_check_constraint(
            "awaiting_iff_in_approval", "(status = 'in_approval') = (awaiting_agency IS NOT NULL)"
        )
        batch_op.create_index("ix_applications_awaiting_agency", ["awaiting_agency", "district_id"], unique=False)

    with op.batch_alter_table("visit_inspectors", schema=None) as batch_op:
        batch_op.add_column(sa.Column("signed_at", sa.DateTime(), nullable=True))
    for visit in connection.execute(
        sa.select(assessments.c.id, assessments.c.signed_off_at, assessments.c.signed_off_by_id).where(
            assessments.c.signed_off_at.is_not(None)
        )
    ):
        connection.execute(
            visit_inspectors.update()
            .where(
                visit_inspectors.c.assessment_id == visit.id,
                visit_inspectors.c.inspector_id == visit.signed_off_by_id,
            )
            .values(signed_at=visit.signed_off_at)
        )

    with op.batch_alter_table("certificates", schema=None) as batch_op:
        batch_op.add_column(sa.Column("issuer_organisation_id", sa.Integer(), nullable=True))
    connection.execute(
        certificates.update().where(certificates.c.level == "city").values(issuer_organisation_id=postal[None])
    )
    for district_id, organisation_id in postal.items():
        if district_id is not None:
            connection.execute(
                certificates.update()
                .where(certificates.c.level == "district", certificates.c.district_id == district_id)
                .values(issuer_organisation_id=organisation_id)
            )
    with op.batch_alter_table("certificates", schema=None) as batch_op:
        batch_op.alter_column("issuer_organisation_id", existing_type=sa.Integer(), nullable=False)
        batch_op.create_foreign_key(
            batch_op.f("fk_certificates_issuer_organisation_id_organisations"),
            "organisations",
            ["issuer_organisation_id"],
            ["id"],
        )

    op.create_table(
        "certificate_documents",
        sa.Column("certificate_id", sa.Integer(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("pdf", sa.LargeBinary(), nullable=False),
        sa.Column("signer", sa.String(length=255), nullable=False),
        sa.Column("signed_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["certificate_id"],
            ["certificates.id"],
            name=op.f("fk_certificate_documents_certificate_id_certificates"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("certificate_id", name=op.f("pk_certificate_documents")),
        sa.UniqueConstraint("sha256", name=op.f("uq_certificate_documents_sha256")),
    )
    op.create_table(
        "revocation_proposals",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("certificate_id", sa.Integer(), nullable=False),
        sa.Column("organisation_id", sa.Integer(), nullable=False),
        sa.Column("proposed_by_id", sa.Integer(), nullable=True),
        sa.Column("reasons", sa.Text(), nullable=False),
        sa.Column("proposed_at", sa.DateTime(), nullable=False),
        sa.Column("outcome", sa.String(length=10), nullable=True),
        sa.Column("decided_by_id", sa.Integer(), nullable=True),
        sa.Column("decided_at", sa.DateTime(), nullable=True),
        sa.Column("decision_reason", sa.Text(), nullable=True),
        sa.CheckConstraint(
            "(outcome IS NULL) = (decided_at IS NULL)", name=op.f("ck_revocation_proposals_decided_with_outcome")
        ),
        sa.CheckConstraint(
            "outcome IS NULL OR outcome IN ('revoked', 'declined')",
            name=op.f("ck_revocation_proposals_outcome_known"),
        ),
        sa.CheckConstraint("length(reasons) > 0", name=op.f("ck_revocation_proposals_reasons_given")),
        sa.ForeignKeyConstraint(
            ["certificate_id"],
            ["certificates.id"],
            name=op.f("fk_revocation_proposals_certificate_id_certificates"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["decided_by_id"], ["users.id"], name=op.f("fk_revocation_proposals_decided_by_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["organisation_id"],
            ["organisations.id"],
            name=op.f("fk_revocation_proposals_organisation_id_organisations"),
        ),
        sa.ForeignKeyConstraint(
            ["proposed_by_id"], ["users.id"], name=op.f("fk_revocation_proposals_proposed_by_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_revocation_proposals")),
    )
    with op.batch_alter_table("revocation_proposals", schema=None) as batch_op:
        batch_op.create_index(
            "ux_revocation_proposals_one_open",
            ["certificate_id"],
            unique=True,
            sqlite_where=sa.text("outcome IS NULL"),
            postgresql_where=sa.text("outcome IS NULL"),
        )


def _record_past_approvals(connection) -> None:
    """Write the steps of the approvals made before steps were recorded, from the audit trail.

    The district's approval ("approve") was its decision, or its recommendation when the city
    bureau followed ("confirm_city_level"); a city decline ("decline_city_level") was a
    disagreement that ended the round. Organisations follow from the signer's account.
    """
    organisation_of = dict(connection.execute(sa.select(users.c.id, users.c.organisation_id)).all())
    events = connection.execute(
        sa.select(
            audit_events.c.application_id,
            audit_events.c.field,
            audit_events.c.new_value,
            audit_events.c.actor_id,
            audit_events.c.reason,
            audit_events.c.occurred_at,
        )
        .where(
            audit_events.c.action == "transition",
            audit_events.c.field.in_(("approve", "confirm_city_level", "decline_city_level")),
        )
        .order_by(audit_events.c.application_id, audit_events.c.occurred_at, audit_events.c.id)
    ).all()
    rows, rounds = [], {}
    for event in events:
        round_, position = rounds.get(event.application_id, (0, 0))
        if event.field == "approve":
            round_, position = round_ + 1, 0
            level = "city" if event.new_value == "awaiting_city_confirmation" else None
            if level is None:
                level = connection.scalar(
                    sa.select(applications.c.granted_level).where(applications.c.id == event.application_id)
                ) or "district"
            agency, act = "district_postal", "recommendation" if level == "city" else "decision"
        else:
            level, agency = "city", "city_postal"
            act = "confirmation"
        outcome = "disagree" if event.field == "decline_city_level" else "agree"
        rows.append(
            {
                "application_id": event.application_id,
                "round": round_,
                "position": position,
                "level": level,
                "agency": agency,
                "act": act,
                "outcome": outcome,
                "opinion": (event.reason or "").strip() or "（迁移前未记录意见）",
                "organisation_id": organisation_of.get(event.actor_id),
                "user_id": event.actor_id,
                "created_at": event.occurred_at,
            }
        )
        rounds[event.application_id] = (round_, position + 1)
    if rows:
        op.bulk_insert(approval_records, rows)


def downgrade():
    connection = op.get_bind()
    op.drop_table("revocation_proposals")
    op.drop_table("certificate_documents")
    with op.batch_alter_table("certificates", schema=None) as batch_op:
        batch_op.drop_constraint(op.f("fk_certificates_issuer_organisation_id_organisations"), type_="foreignkey")
        batch_op.drop_column("issuer_organisation_id")
    with op.batch_alter_table("visit_inspectors", schema=None) as batch_op:
        batch_op.drop_column("signed_at")
    with op.batch_alter_table("applications", schema=None) as batch_op:
        batch_op.drop_index("ix_applications_awaiting_agency")
        batch_op.drop_constraint(op.f("ck_applications_awaiting_iff_in_approval"), type_="check")
        batch_op.drop_constraint(op.f("ck_applications_status_known"), type_="check")
    connection.execute(
        applications.update()
        .where(applications.c.status == "in_approval", applications.c.awaiting_agency == "city_postal")
        .values(status="awaiting_city_confirmation")
    )
    connection.execute(
        applications.update().where(applications.c.status == "in_approval").values(status="inspected")
    )
    with op.batch_alter_table("applications", schema=None) as batch_op:
        batch_op.drop_column("awaiting_agency")
        batch_op.create_check_constraint("status_known", f"status IN ({_values(OLD_STATUSES)})")
    op.drop_table("approval_records")
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.drop_constraint(op.f("ck_users_approver_is_bureau"), type_="check")
        batch_op.drop_constraint(op.f("ck_users_organisation_matches_role"), type_="check")
        batch_op.drop_index("ix_users_organisation")
        batch_op.drop_constraint(op.f("fk_users_organisation_id_organisations"), type_="foreignkey")
        batch_op.drop_column("approver")
        batch_op.drop_column("organisation_id")
    op.drop_table("organisations")
