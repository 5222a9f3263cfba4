"""Accounts for a real deployment: password reset links, registrations refused with a reason,
invitations, the manager of an outlet, two-factor sign-in.

users.password_reset_digest keeps the SHA-256 of the one reset link that works (none is stored
that could be used) and users.password_reset_sent_at when it was sent. Going down, every link
stops working, which is all a link is worth without the columns.

registration_refusals holds the registrations the district bureau did not accept, with the
reason the applicant reads, until the applicant sends the registration again. Going down, the
refused registrations are back in the bureau's queue (the refusal stays in the audit trail).

invitations let an outlet's manager, or its staff, create an account bound to the outlet; only the
SHA-256 of each one-time code is kept. users.outlet_manager marks the account that manages an
outlet's people: on the way up, the oldest active account of each outlet (the one that
registered it). Going down, open invitations are lost (their codes stop working) and every
outlet account is alike again, as before.

manager_handovers keeps a manager's requests to hand over to another account of the outlet and
the district bureau's decisions (one open request per outlet). Going down they go; the audit
trail keeps each act.

users.totp_secret, totp_enabled_at and totp_last_step hold an account's authenticator set-up;
recovery_codes the SHA-256 of its recovery codes. Going down, every account signs in with its
password alone again.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-10
"""

import sqlalchemy as sa
from alembic import op

users = sa.table(
    "users",
    sa.column("id", sa.Integer),
    sa.column("role", sa.String),
    sa.column("outlet_id", sa.Integer),
    sa.column("active", sa.Boolean),
    sa.column("outlet_manager", sa.Boolean),
)

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.add_column(sa.Column("password_reset_digest", sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column("password_reset_sent_at", sa.DateTime(), nullable=True))
    op.create_table(
        "registration_refusals",
        sa.Column("outlet_id", sa.Integer(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("refused_at", sa.DateTime(), nullable=False),
        sa.Column("refused_by_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["outlet_id"],
            ["outlets.id"],
            name=op.f("fk_registration_refusals_outlet_id_outlets"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["refused_by_id"], ["users.id"], name=op.f("fk_registration_refusals_refused_by_id_users")
        ),
        sa.PrimaryKeyConstraint("outlet_id", name=op.f("pk_registration_refusals")),
    )
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("outlet_manager", sa.Boolean(), nullable=False, server_default=sa.false())
        )
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.alter_column("outlet_manager", server_default=None)
        batch_op.create_check_constraint(
            op.f("ck_users_manager_is_outlet_staff"), "NOT outlet_manager OR role = 'outlet'"
        )
    first_accounts = (
        sa.select(sa.func.min(users.c.id))
        .where(users.c.role == "outlet", users.c.active.is_(True))
        .group_by(users.c.outlet_id)
    )
    op.execute(users.update().where(users.c.id.in_(first_accounts)).values(outlet_manager=True))
    op.create_table(
        "invitations",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("outlet_id", sa.Integer(), nullable=False),
        sa.Column("for_manager", sa.Boolean(), nullable=False),
        sa.Column("email", sa.String(length=254), nullable=True),
        sa.Column("code_digest", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.Column("issued_at", sa.DateTime(), nullable=False),
        sa.Column("expires_at", sa.DateTime(), nullable=False),
        sa.Column("delivery", sa.String(length=10), nullable=True),
        sa.Column("accepted_at", sa.DateTime(), nullable=True),
        sa.Column("accepted_by_id", sa.Integer(), nullable=True),
        sa.Column("withdrawn_at", sa.DateTime(), nullable=True),
        sa.CheckConstraint(
            "accepted_at IS NULL OR withdrawn_at IS NULL", name=op.f("ck_invitations_accepted_or_withdrawn")
        ),
        sa.CheckConstraint(
            "(accepted_at IS NULL) = (accepted_by_id IS NULL)", name=op.f("ck_invitations_accepted_by_someone")
        ),
        sa.CheckConstraint("delivery IN ('email', 'print')", name=op.f("ck_invitations_delivery_known")),
        sa.ForeignKeyConstraint(
            ["accepted_by_id"], ["users.id"], name=op.f("fk_invitations_accepted_by_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["created_by_id"], ["users.id"], name=op.f("fk_invitations_created_by_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["outlet_id"], ["outlets.id"], name=op.f("fk_invitations_outlet_id_outlets"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_invitations")),
        sa.UniqueConstraint("code_digest", name=op.f("uq_invitations_code_digest")),
    )
    with op.batch_alter_table("invitations", schema=None) as batch_op:
        batch_op.create_index(
            "ix_invitations_outlet", ["outlet_id", "accepted_at", "withdrawn_at"], unique=False
        )
    op.create_table(
        "manager_handovers",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("outlet_id", sa.Integer(), nullable=False),
        sa.Column("from_user_id", sa.Integer(), nullable=False),
        sa.Column("to_user_id", sa.Integer(), nullable=False),
        sa.Column("close_account", sa.Boolean(), nullable=False),
        sa.Column("requested_at", sa.DateTime(), nullable=False),
        sa.Column("outcome", sa.String(length=10), nullable=True),
        sa.Column("decided_at", sa.DateTime(), nullable=True),
        sa.Column("decided_by_id", sa.Integer(), nullable=True),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.CheckConstraint(
            "outcome IN ('approved', 'refused', 'withdrawn')", name=op.f("ck_manager_handovers_outcome_known")
        ),
        sa.CheckConstraint(
            "(outcome IS NULL) = (decided_at IS NULL)", name=op.f("ck_manager_handovers_decided_with_outcome")
        ),
        sa.CheckConstraint("from_user_id <> to_user_id", name=op.f("ck_manager_handovers_to_someone_else")),
        sa.ForeignKeyConstraint(
            ["decided_by_id"], ["users.id"], name=op.f("fk_manager_handovers_decided_by_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["from_user_id"], ["users.id"], name=op.f("fk_manager_handovers_from_user_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["outlet_id"],
            ["outlets.id"],
            name=op.f("fk_manager_handovers_outlet_id_outlets"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(["to_user_id"], ["users.id"], name=op.f("fk_manager_handovers_to_user_id_users")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_manager_handovers")),
    )
    with op.batch_alter_table("manager_handovers", schema=None) as batch_op:
        batch_op.create_index(
            "ux_manager_handovers_one_open_per_outlet",
            ["outlet_id"],
            unique=True,
            sqlite_where=sa.text("outcome IS NULL"),
            postgresql_where=sa.text("outcome IS NULL"),
        )
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.add_column(sa.Column("totp_secret", sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column("totp_enabled_at", sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column("totp_last_step", sa.Integer(), nullable=True))
    op.create_table(
        "recovery_codes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("code_digest", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("used_at", sa.DateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_recovery_codes_user_id_users"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_recovery_codes")),
    )
    with op.batch_alter_table("recovery_codes", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_recovery_codes_user_id"), ["user_id"], unique=False)


def downgrade():
    with op.batch_alter_table("recovery_codes", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_recovery_codes_user_id"))
    op.drop_table("recovery_codes")
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.drop_column("totp_last_step")
        batch_op.drop_column("totp_enabled_at")
        batch_op.drop_column("totp_secret")
    with op.batch_alter_table("manager_handovers", schema=None) as batch_op:
        batch_op.drop_index("ux_manager_handovers_one_open_per_outlet")
    op.drop_table("manager_handovers")
    with op.batch_alter_table("invitations", schema=None) as batch_op:
        batch_op.drop_index("ix_invitations_outlet")
    op.drop_table("invitations")
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.drop_constraint(op.f("ck_users_manager_is_outlet_staff"), type_="check")
        batch_op.drop_column("outlet_manager")
    op.drop_table("registration_refusals")
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.drop_column("password_reset_sent_at")
        batch_op.drop_column("password_reset_digest")
