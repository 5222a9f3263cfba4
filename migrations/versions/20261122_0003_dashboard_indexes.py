"""Indexes for the dashboards and exports: figures by district and date, coverage by brand.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-22
"""

from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

INDEXES = [
    ("applications", "ix_applications_district_submitted", ["district_id", "submitted_at"]),
    ("applications", "ix_applications_submitted", ["submitted_at"]),
    ("certificates", "ix_certificates_district_issued", ["district_id", "issued_on"]),
    ("certificates", "ix_certificates_issued", ["issued_on"]),
    ("outlets", "ix_outlets_district_created", ["district_id", "created_at"]),
    ("outlets", "ix_outlets_district_brand_verified", ["district_id", "brand", "verified"]),
]


def upgrade():
    for table, name, columns in INDEXES:
        op.create_index(name, table, columns)


def downgrade():
    for table, name, _columns in reversed(INDEXES):
        op.drop_index(name, table_name=table)
