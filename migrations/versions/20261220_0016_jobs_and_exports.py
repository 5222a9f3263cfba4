"""Large exports built by a job and downloaded later (#21): one row per export asked for.

The file itself lives in EXPORT_DIR under `stored_name`; the row says whose it is, what was asked
(kind, format, the dashboard filters as JSON) and until when it may be downloaded. Going up there
is nothing to convert (the table is new); going down the table is dropped (the files left in
EXPORT_DIR are then no one's: delete the folder).

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-20
"""

import sqlalchemy as sa
from alembic import op

revision = "0016"
down_revision = "0015"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "export_files",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("fmt", sa.String(length=5), nullable=False),
        sa.Column("filters", sa.JSON(), nullable=False),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("download_name", sa.String(length=120), nullable=False),
        sa.Column("stored_name", sa.String(length=80), nullable=True),
        sa.Column("size", sa.Integer(), nullable=True),
        sa.Column("rows", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("ready_at", sa.DateTime(), nullable=True),
        sa.Column("expires_at", sa.DateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_export_files_user_id_users"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_export_files")),
    )
    op.create_index("ix_export_files_user_created", "export_files", ["user_id", "created_at"], unique=False)


def downgrade():
    op.drop_index("ix_export_files_user_created", table_name="export_files")
    op.drop_table("export_files")
