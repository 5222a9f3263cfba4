"""initial schema

Revision ID: 0001
Revises:
Create Date: 2026-11-22 21:52:49.846569

"""

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

SHANGHAI_DISTRICTS = [
    ("HP", "黄浦", "Huangpu"),
    ("XH", "徐汇", "Xuhui"),
    ("CN", "长宁", "Changning"),
    ("JA", "静安", "Jing'an"),
    ("PT", "普陀", "Putuo"),
    ("HK", "虹口", "Hongkou"),
    ("YP", "杨浦", "Yangpu"),
    ("MH", "闵行", "Minhang"),
    ("BS", "宝山", "Baoshan"),
    ("JD", "嘉定", "Jiading"),
    ("PD", "浦东新区", "Pudong New Area"),
    ("JS", "金山", "Jinshan"),
    ("SJ", "松江", "Songjiang"),
    ("QP", "青浦", "Qingpu"),
    ("FX", "奉贤", "Fengxian"),
    ("CM", "崇明", "Chongming"),
]
DISTRICTS_TABLE = sa.table(
    "districts",
    sa.column("id", sa.Integer),
    sa.column("code", sa.String),
    sa.column("name_zh", sa.String),
    sa.column("name_en", sa.String),
    sa.column("sort_order", sa.Integer),
)


def append_only_triggers(dialect: str) -> list[str]:
    """The audit trail refuses UPDATE and DELETE in the database itself, not only in the app."""
    if dialect == "postgresql":
        return [
            """CREATE FUNCTION audit_events_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
               BEGIN RAISE EXCEPTION 'audit_events is append-only'; END $$""",
            """CREATE TRIGGER audit_events_append_only BEFORE UPDATE OR DELETE ON audit_events
               FOR EACH ROW EXECUTE FUNCTION audit_events_append_only()""",
        ]
    return [
        f"""CREATE TRIGGER audit_events_no_{verb.lower()} BEFORE {verb} ON audit_events
            BEGIN SELECT RAISE(ABORT, 'audit_events is append-only'); END"""
        for verb in ("UPDATE", "DELETE")
    ]


def drop_append_only_triggers(dialect: str) -> list[str]:
    if dialect == "postgresql":
        return [
            "DROP TRIGGER audit_events_append_only ON audit_events",
            "DROP FUNCTION audit_events_append_only()",
        ]
    return ["DROP TRIGGER audit_events_no_update", "DROP TRIGGER audit_events_no_delete"]


def upgrade():
    op.create_table(
        "criteria_editions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("edition_id", sa.String(length=64), nullable=False),
        sa.Column("content_hash", sa.String(length=64), nullable=False),
        sa.Column("snapshot", sa.JSON(), nullable=False),
        sa.Column("stored_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_criteria_editions")),
        sa.UniqueConstraint("content_hash", name=op.f("uq_criteria_editions_content_hash")),
    )
    with op.batch_alter_table("criteria_editions", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_criteria_editions_edition_id"), ["edition_id"], unique=False)

    op.create_table(
        "districts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=2), nullable=False),
        sa.Column("name_zh", sa.String(length=20), nullable=False),
        sa.Column("name_en", sa.String(length=40), nullable=False),
        sa.Column("sort_order", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_districts")),
        sa.UniqueConstraint("code", name=op.f("uq_districts_code")),
        sa.UniqueConstraint("name_zh", name=op.f("uq_districts_name_zh")),
    )
    op.create_table(
        "settings",
        sa.Column("key", sa.String(length=50), nullable=False),
        sa.Column("value", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_settings")),
    )
    op.create_table(
        "outlets",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("brand", sa.String(length=50), nullable=False),
        sa.Column("district_id", sa.Integer(), nullable=False),
        sa.Column("address", sa.String(length=300), nullable=False),
        sa.Column("permit_number", sa.String(length=40), nullable=False),
        sa.Column("manager", sa.String(length=50), nullable=False),
        sa.Column("phone", sa.String(length=30), nullable=False),
        sa.Column("opening_hours", sa.String(length=100), nullable=True),
        sa.Column("verified", sa.Boolean(), nullable=False),
        sa.Column("verified_at", sa.DateTime(), nullable=True),
        sa.Column("pending_changes", sa.JSON(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.CheckConstraint("length(name) > 0", name=op.f("ck_outlets_name_not_empty")),
        sa.CheckConstraint("length(permit_number) >= 6", name=op.f("ck_outlets_permit_number_length")),
        sa.ForeignKeyConstraint(
            ["district_id"], ["districts.id"], name=op.f("fk_outlets_district_id_districts")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_outlets")),
        sa.UniqueConstraint("permit_number", name=op.f("uq_outlets_permit_number")),
    )
    with op.batch_alter_table("outlets", schema=None) as batch_op:
        batch_op.create_index("ix_outlets_brand", ["brand"], unique=False)
        batch_op.create_index("ix_outlets_district_verified", ["district_id", "verified"], unique=False)

    op.create_table(
        "applications",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("outlet_id", sa.Integer(), nullable=False),
        sa.Column("district_id", sa.Integer(), nullable=False),
        sa.Column("edition_pk", sa.Integer(), nullable=False),
        sa.Column("target_level", sa.String(length=10), nullable=False),
        sa.Column("status", sa.String(length=32), nullable=False),
        sa.Column("eligibility", sa.JSON(), nullable=False),
        sa.Column("scheduled_for", sa.Date(), nullable=True),
        sa.Column("return_reasons", sa.Text(), nullable=True),
        sa.Column("rectification_items", sa.JSON(), nullable=True),
        sa.Column("rectification_deadline", sa.Date(), nullable=True),
        sa.Column("rectification_response", sa.Text(), nullable=True),
        sa.Column("granted_level", sa.String(length=10), nullable=True),
        sa.Column("decision_opinion", sa.Text(), nullable=True),
        sa.Column("renewal_of_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("submitted_at", sa.DateTime(), nullable=True),
        sa.Column("decided_at", sa.DateTime(), nullable=True),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.CheckConstraint(
            "(status = 'approved') = (granted_level IS NOT NULL)",
            name=op.f("ck_applications_granted_iff_approved"),
        ),
        sa.CheckConstraint(
            "granted_level IS NULL OR granted_level IN ('district', 'city')",
            name=op.f("ck_applications_granted_level_known"),
        ),
        sa.CheckConstraint(
            "status IN ('draft', 'submitted', 'returned', 'accepted', 'inspection_scheduled', 'inspected', 'rectification_requested', 'rectification_submitted', 'awaiting_city_confirmation', 'approved', 'rejected', 'withdrawn')",
            name=op.f("ck_applications_status_known"),
        ),
        sa.CheckConstraint(
            "target_level IN ('district', 'city')", name=op.f("ck_applications_target_level_known")
        ),
        sa.ForeignKeyConstraint(
            ["district_id"], ["districts.id"], name=op.f("fk_applications_district_id_districts")
        ),
        sa.ForeignKeyConstraint(
            ["edition_pk"],
            ["criteria_editions.id"],
            name=op.f("fk_applications_edition_pk_criteria_editions"),
        ),
        sa.ForeignKeyConstraint(
            ["outlet_id"], ["outlets.id"], name=op.f("fk_applications_outlet_id_outlets")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_applications")),
    )
    with op.batch_alter_table("applications", schema=None) as batch_op:
        batch_op.create_index("ix_applications_district_status", ["district_id", "status"], unique=False)
        batch_op.create_index(batch_op.f("ix_applications_outlet_id"), ["outlet_id"], unique=False)
        batch_op.create_index("ix_applications_status_submitted", ["status", "submitted_at"], unique=False)

    op.create_table(
        "users",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("username", sa.String(length=64), nullable=False),
        sa.Column("display_name", sa.String(length=100), nullable=False),
        sa.Column("email", sa.String(length=254), nullable=True),
        sa.Column("password_hash", sa.String(length=255), nullable=False),
        sa.Column(
            "role",
            sa.Enum(
                "outlet",
                "inspector",
                "district_bureau",
                "city_bureau",
                "admin",
                name="role",
                native_enum=False,
                create_constraint=True,
                length=20,
            ),
            nullable=False,
        ),
        sa.Column("district_id", sa.Integer(), nullable=True),
        sa.Column("outlet_id", sa.Integer(), nullable=True),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("locale", sa.String(length=10), nullable=True),
        sa.Column("session_token", sa.String(length=64), nullable=False),
        sa.Column("failed_logins", sa.Integer(), nullable=False),
        sa.Column("locked_at", sa.DateTime(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("last_login_at", sa.DateTime(), nullable=True),
        sa.CheckConstraint(
            "(role = 'outlet') = (outlet_id IS NOT NULL)", name=op.f("ck_users_outlet_matches_role")
        ),
        sa.CheckConstraint(
            "(role IN ('inspector', 'district_bureau')) = (district_id IS NOT NULL)",
            name=op.f("ck_users_district_matches_role"),
        ),
        sa.CheckConstraint("failed_logins >= 0", name=op.f("ck_users_failed_logins_not_negative")),
        sa.ForeignKeyConstraint(
            ["district_id"], ["districts.id"], name=op.f("fk_users_district_id_districts")
        ),
        sa.ForeignKeyConstraint(["outlet_id"], ["outlets.id"], name=op.f("fk_users_outlet_id_outlets")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_users")),
        sa.UniqueConstraint("session_token", name=op.f("uq_users_session_token")),
        sa.UniqueConstraint("username", name=op.f("uq_users_username")),
    )
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_users_outlet_id"), ["outlet_id"], unique=False)
        batch_op.create_index("ix_users_role_district", ["role", "district_id"], unique=False)

    op.create_table(
        "assessments",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("application_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=12), nullable=False),
        sa.Column("signed_off_at", sa.DateTime(), nullable=True),
        sa.Column("signed_off_by_id", sa.Integer(), nullable=True),
        sa.Column("total", sa.Numeric(precision=6, scale=1), nullable=True),
        sa.Column("final", sa.Numeric(precision=6, scale=1), nullable=True),
        sa.Column("level_reached", sa.String(length=10), nullable=True),
        sa.Column("result", sa.JSON(), nullable=True),
        sa.CheckConstraint("kind IN ('self', 'inspection')", name=op.f("ck_assessments_kind_known")),
        sa.CheckConstraint(
            "(signed_off_at IS NULL) = (signed_off_by_id IS NULL)",
            name=op.f("ck_assessments_sign_off_complete"),
        ),
        sa.ForeignKeyConstraint(
            ["application_id"],
            ["applications.id"],
            name=op.f("fk_assessments_application_id_applications"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["signed_off_by_id"], ["users.id"], name=op.f("fk_assessments_signed_off_by_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_assessments")),
        sa.UniqueConstraint("application_id", "kind", name=op.f("uq_assessments_application_id_kind")),
    )
    op.create_table(
        "audit_events",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("occurred_at", sa.DateTime(), nullable=False),
        sa.Column("actor_id", sa.Integer(), nullable=True),
        sa.Column("application_id", sa.Integer(), nullable=True),
        sa.Column("outlet_id", sa.Integer(), nullable=True),
        sa.Column("subject_type", sa.String(length=30), nullable=False),
        sa.Column("subject_id", sa.Integer(), nullable=True),
        sa.Column("action", sa.String(length=40), nullable=False),
        sa.Column("field", sa.String(length=60), nullable=True),
        sa.Column("old_value", sa.Text(), nullable=True),
        sa.Column("new_value", sa.Text(), nullable=True),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(["actor_id"], ["users.id"], name=op.f("fk_audit_events_actor_id_users")),
        sa.ForeignKeyConstraint(
            ["application_id"], ["applications.id"], name=op.f("fk_audit_events_application_id_applications")
        ),
        sa.ForeignKeyConstraint(
            ["outlet_id"], ["outlets.id"], name=op.f("fk_audit_events_outlet_id_outlets")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_events")),
    )
    with op.batch_alter_table("audit_events", schema=None) as batch_op:
        batch_op.create_index("ix_audit_events_application", ["application_id", "id"], unique=False)
        batch_op.create_index("ix_audit_events_subject", ["subject_type", "subject_id"], unique=False)

    op.create_table(
        "certificates",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("number", sa.String(length=40), nullable=False),
        sa.Column("application_id", sa.Integer(), nullable=False),
        sa.Column("outlet_id", sa.Integer(), nullable=False),
        sa.Column("district_id", sa.Integer(), nullable=False),
        sa.Column("level", sa.String(length=10), nullable=False),
        sa.Column("score", sa.Numeric(precision=6, scale=1), nullable=False),
        sa.Column("edition_id", sa.String(length=64), nullable=False),
        sa.Column("edition_hash", sa.String(length=64), nullable=False),
        sa.Column("issuing_bureau", sa.String(length=100), nullable=False),
        sa.Column("issued_on", sa.Date(), nullable=False),
        sa.Column("valid_until", sa.Date(), nullable=False),
        sa.Column("state", sa.String(length=12), nullable=False),
        sa.Column("revoked_at", sa.DateTime(), nullable=True),
        sa.Column("revoked_reason", sa.Text(), nullable=True),
        sa.Column("revoked_by_id", sa.Integer(), nullable=True),
        sa.Column("superseded_by_id", sa.Integer(), nullable=True),
        sa.Column("expiry_reminder_sent_at", sa.DateTime(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.CheckConstraint(
            "(state = 'revoked') = (revoked_at IS NOT NULL)", name=op.f("ck_certificates_revoked_has_time")
        ),
        sa.CheckConstraint("level IN ('district', 'city')", name=op.f("ck_certificates_level_known")),
        sa.CheckConstraint(
            "state != 'revoked' OR length(revoked_reason) > 0",
            name=op.f("ck_certificates_revoked_has_reason"),
        ),
        sa.CheckConstraint(
            "state IN ('active', 'revoked', 'superseded')", name=op.f("ck_certificates_state_known")
        ),
        sa.CheckConstraint("valid_until > issued_on", name=op.f("ck_certificates_valid_after_issue")),
        sa.ForeignKeyConstraint(
            ["application_id"], ["applications.id"], name=op.f("fk_certificates_application_id_applications")
        ),
        sa.ForeignKeyConstraint(
            ["district_id"], ["districts.id"], name=op.f("fk_certificates_district_id_districts")
        ),
        sa.ForeignKeyConstraint(
            ["outlet_id"], ["outlets.id"], name=op.f("fk_certificates_outlet_id_outlets")
        ),
        sa.ForeignKeyConstraint(
            ["revoked_by_id"], ["users.id"], name=op.f("fk_certificates_revoked_by_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["superseded_by_id"],
            ["certificates.id"],
            name=op.f("fk_certificates_superseded_by_id_certificates"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_certificates")),
        sa.UniqueConstraint("application_id", name=op.f("uq_certificates_application_id")),
        sa.UniqueConstraint("number", name=op.f("uq_certificates_number")),
    )
    with op.batch_alter_table("certificates", schema=None) as batch_op:
        batch_op.create_index(
            "ix_certificates_district_level_state",
            ["district_id", "level", "state", "valid_until"],
            unique=False,
        )
        batch_op.create_index("ix_certificates_outlet", ["outlet_id", "state"], unique=False)

    op.create_table(
        "inspection_assignments",
        sa.Column("application_id", sa.Integer(), nullable=False),
        sa.Column("inspector_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["application_id"],
            ["applications.id"],
            name=op.f("fk_inspection_assignments_application_id_applications"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["inspector_id"], ["users.id"], name=op.f("fk_inspection_assignments_inspector_id_users")
        ),
        sa.PrimaryKeyConstraint("application_id", "inspector_id", name=op.f("pk_inspection_assignments")),
    )
    with op.batch_alter_table("inspection_assignments", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_inspection_assignments_inspector_id"), ["inspector_id"], unique=False
        )

    op.create_table(
        "notifications",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=30), nullable=False),
        sa.Column("template", sa.String(length=300), nullable=False),
        sa.Column("params", sa.JSON(), nullable=False),
        sa.Column("link", sa.String(length=300), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("read_at", sa.DateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_notifications_user_id_users"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_notifications")),
    )
    with op.batch_alter_table("notifications", schema=None) as batch_op:
        batch_op.create_index("ix_notifications_user_unread", ["user_id", "read_at"], unique=False)

    op.create_table(
        "answers",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("assessment_id", sa.Integer(), nullable=False),
        sa.Column("item_code", sa.String(length=20), nullable=False),
        sa.Column("value", sa.String(length=40), nullable=True),
        sa.Column("not_applicable", sa.Boolean(), nullable=False),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.Column("updated_by_id", sa.Integer(), nullable=True),
        sa.CheckConstraint("version >= 1", name=op.f("ck_answers_version_positive")),
        sa.ForeignKeyConstraint(
            ["assessment_id"],
            ["assessments.id"],
            name=op.f("fk_answers_assessment_id_assessments"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(["updated_by_id"], ["users.id"], name=op.f("fk_answers_updated_by_id_users")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_answers")),
        sa.UniqueConstraint("assessment_id", "item_code", name=op.f("uq_answers_assessment_id_item_code")),
    )
    op.create_table(
        "evidence",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("outlet_id", sa.Integer(), nullable=False),
        sa.Column("application_id", sa.Integer(), nullable=True),
        sa.Column("assessment_id", sa.Integer(), nullable=True),
        sa.Column("item_code", sa.String(length=20), nullable=True),
        sa.Column("purpose", sa.String(length=16), nullable=False),
        sa.Column("kind", sa.String(length=10), nullable=False),
        sa.Column("mime_type", sa.String(length=40), nullable=False),
        sa.Column("filename", sa.String(length=200), nullable=False),
        sa.Column("size_bytes", sa.Integer(), nullable=False),
        sa.Column("original_sha256", sa.String(length=64), nullable=False),
        sa.Column("stored_sha256", sa.String(length=64), nullable=False),
        sa.Column("thumbnail_sha256", sa.String(length=64), nullable=True),
        sa.Column("width", sa.Integer(), nullable=True),
        sa.Column("height", sa.Integer(), nullable=True),
        sa.Column("captured_at", sa.DateTime(), nullable=True),
        sa.Column("gps_lat", sa.Float(), nullable=True),
        sa.Column("gps_lon", sa.Float(), nullable=True),
        sa.Column("uploaded_at", sa.DateTime(), nullable=False),
        sa.Column("uploaded_by_id", sa.Integer(), nullable=False),
        sa.CheckConstraint("kind IN ('photo', 'document')", name=op.f("ck_evidence_kind_known")),
        sa.CheckConstraint(
            "purpose IN ('item', 'commitment', 'rectification', 'signature')",
            name=op.f("ck_evidence_purpose_known"),
        ),
        sa.CheckConstraint("size_bytes > 0", name=op.f("ck_evidence_size_positive")),
        sa.ForeignKeyConstraint(
            ["application_id"],
            ["applications.id"],
            name=op.f("fk_evidence_application_id_applications"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["assessment_id"],
            ["assessments.id"],
            name=op.f("fk_evidence_assessment_id_assessments"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(["outlet_id"], ["outlets.id"], name=op.f("fk_evidence_outlet_id_outlets")),
        sa.ForeignKeyConstraint(
            ["uploaded_by_id"], ["users.id"], name=op.f("fk_evidence_uploaded_by_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_evidence")),
    )
    with op.batch_alter_table("evidence", schema=None) as batch_op:
        batch_op.create_index("ix_evidence_assessment_item", ["assessment_id", "item_code"], unique=False)
        batch_op.create_index("ix_evidence_original_sha256", ["original_sha256"], unique=False)
        batch_op.create_index(batch_op.f("ix_evidence_outlet_id"), ["outlet_id"], unique=False)

    # applications.renewal_of_id and certificates.application_id point at each other.
    with op.batch_alter_table("applications", schema=None) as batch_op:
        batch_op.create_foreign_key(
            "fk_applications_renewal_of_id_certificates", "certificates", ["renewal_of_id"], ["id"]
        )

    op.bulk_insert(
        DISTRICTS_TABLE,
        [
            {"id": i, "code": code, "name_zh": zh, "name_en": en, "sort_order": i}
            for i, (code, zh, en) in enumerate(SHANGHAI_DISTRICTS, start=1)
        ],
    )
    for statement in append_only_triggers(op.get_bind().dialect.name):
        op.execute(statement)


def downgrade():
    for statement in drop_append_only_triggers(op.get_bind().dialect.name):
        op.execute(statement)
    with op.batch_alter_table("applications", schema=None) as batch_op:
        batch_op.drop_constraint("fk_applications_renewal_of_id_certificates", type_="foreignkey")
    with op.batch_alter_table("evidence", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_evidence_outlet_id"))
        batch_op.drop_index("ix_evidence_original_sha256")
        batch_op.drop_index("ix_evidence_assessment_item")

    op.drop_table("evidence")
    op.drop_table("answers")
    with op.batch_alter_table("notifications", schema=None) as batch_op:
        batch_op.drop_index("ix_notifications_user_unread")

    op.drop_table("notifications")
    with op.batch_alter_table("inspection_assignments", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_inspection_assignments_inspector_id"))

    op.drop_table("inspection_assignments")
    with op.batch_alter_table("certificates", schema=None) as batch_op:
        batch_op.drop_index("ix_certificates_outlet")
        batch_op.drop_index("ix_certificates_district_level_state")

    op.drop_table("certificates")
    with op.batch_alter_table("audit_events", schema=None) as batch_op:
        batch_op.drop_index("ix_audit_events_subject")
        batch_op.drop_index("ix_audit_events_application")

    op.drop_table("audit_events")
    op.drop_table("assessments")
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.drop_index("ix_users_role_district")
        batch_op.drop_index(batch_op.f("ix_users_outlet_id"))

    op.drop_table("users")
    with op.batch_alter_table("applications", schema=None) as batch_op:
        batch_op.drop_index("ix_applications_status_submitted")
        batch_op.drop_index(batch_op.f("ix_applications_outlet_id"))
        batch_op.drop_index("ix_applications_district_status")

    op.drop_table("applications")
    with op.batch_alter_table("outlets", schema=None) as batch_op:
        batch_op.drop_index("ix_outlets_district_verified")
        batch_op.drop_index("ix_outlets_brand")

    op.drop_table("outlets")
    op.drop_table("settings")
    op.drop_table("districts")
    with op.batch_alter_table("criteria_editions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_criteria_editions_edition_id"))

    op.drop_table("criteria_editions")
