"""API tokens for the read API (/api/v1/): one organisation's key, kept only as the SHA-256 of its secret.

A new table and nothing else: nothing existing changes. Going down drops the table; the audit rows
of tokens created and revoked stay (the audit trail is append-only).

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-21
"""

import sqlalchemy as sa
from alembic import op

revision = "0017"
down_revision = "0016"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "api_tokens",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("organisation_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("secret_sha256", sa.String(length=64), nullable=False),
        sa.Column("scopes", sa.String(length=200), nullable=False),
        sa.Column("created_by_id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("expires_at", sa.DateTime(), nullable=True),
        sa.Column("last_used_at", sa.DateTime(), nullable=True),
        sa.Column("revoked_at", sa.DateTime(), nullable=True),
        sa.Column("revoked_by_id", sa.Integer(), nullable=True),
        sa.CheckConstraint("length(name) > 0", name=op.f("ck_api_tokens_name_not_empty")),
        sa.CheckConstraint("length(scopes) > 0", name=op.f("ck_api_tokens_scopes_not_empty")),
        sa.CheckConstraint("length(secret_sha256) = 64", name=op.f("ck_api_tokens_secret_sha256_length")),
        sa.CheckConstraint(
            "(revoked_at IS NULL) = (revoked_by_id IS NULL)", name=op.f("ck_api_tokens_revoked_has_who")
        ),
        sa.CheckConstraint(
            "expires_at IS NULL OR expires_at > created_at", name=op.f("ck_api_tokens_expires_after_creation")
        ),
        sa.ForeignKeyConstraint(
            ["created_by_id"], ["users.id"], name=op.f("fk_api_tokens_created_by_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["organisation_id"], ["organisations.id"], name=op.f("fk_api_tokens_organisation_id_organisations")
        ),
        sa.ForeignKeyConstraint(
            ["revoked_by_id"], ["users.id"], name=op.f("fk_api_tokens_revoked_by_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_api_tokens")),
        sa.UniqueConstraint("secret_sha256", name=op.f("uq_api_tokens_secret_sha256")),
    )
    with op.batch_alter_table("api_tokens", schema=None) as batch_op:
        batch_op.create_index("ix_api_tokens_organisation", ["organisation_id", "created_at"], unique=False)


def downgrade():
    with op.batch_alter_table("api_tokens", schema=None) as batch_op:
        batch_op.drop_index("ix_api_tokens_organisation")
    op.drop_table("api_tokens")
