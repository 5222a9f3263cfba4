"""Index evidence by application and purpose: the application page looks up the commitment letter
and rectification files, which scanned the whole evidence table.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-22
"""

from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade():
    op.create_index("ix_evidence_application_purpose", "evidence", ["application_id", "purpose"])


def downgrade():
    op.drop_index("ix_evidence_application_purpose", table_name="evidence")
