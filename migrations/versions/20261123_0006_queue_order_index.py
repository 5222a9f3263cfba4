"""Index applications by district, status and submission: a bureau's queue filtered by status is
read page by page in submission order; with (district_id, status) alone every matching row was
sorted for each page.

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-23
"""

from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade():
    op.create_index(
        "ix_applications_district_status_submitted",
        "applications",
        ["district_id", "status", "submitted_at", "id"],
    )


def downgrade():
    op.drop_index("ix_applications_district_status_submitted", table_name="applications")
