"""The phone's key of an uploaded file (evidence.upload_key), unique on its record.

A phone in a hall with a weak signal sends a waiting photo again when the answer to its first
send never arrived (or the page closed before the phone noted it): the server had kept it, and
a second copy was made. The checklist page now names each file it sends; a second send with the
same key on the same record is answered with the file already kept. Files sent before have no
key (NULL, never equal to another in a unique index, on SQLite and PostgreSQL alike).

Revision ID: 0021
Revises: 0020
Create Date: 2026-12-25
"""

import sqlalchemy as sa
from alembic import op

revision = "0021"
down_revision = "0020"
branch_labels = None
depends_on = None


def upgrade():
    op.add_column("evidence", sa.Column("upload_key", sa.String(length=64), nullable=True))
    op.create_index(
        "ux_evidence_assessment_upload_key", "evidence", ["assessment_id", "upload_key"], unique=True
    )


def downgrade():
    op.drop_index("ux_evidence_assessment_upload_key", table_name="evidence")
    with op.batch_alter_table("evidence") as batch:
        batch.drop_column("upload_key")
