"""Marked copies of photos: evidence.annotates_id names the photo a marked copy was drawn on.

An inspector circles a problem on a photo, adds an arrow or a few words, and the marked copy is
kept as a new evidence row of the same item that points at the original, which stays as it was
taken. The foreign key has no ON DELETE (as copied_from_id): an original cannot be deleted while
a marked copy names it.

Going up: every existing row gets NULL (nothing was marked before). Going down, the column goes;
marked copies stay as ordinary photos of their item.

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-19
"""

import sqlalchemy as sa
from alembic import op

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("evidence", schema=None) as batch_op:
        batch_op.add_column(sa.Column("annotates_id", sa.Integer(), nullable=True))
        batch_op.create_index(batch_op.f("ix_evidence_annotates_id"), ["annotates_id"], unique=False)
        batch_op.create_foreign_key(
            batch_op.f("fk_evidence_annotates_id_evidence"), "evidence", ["annotates_id"], ["id"]
        )


def downgrade():
    with op.batch_alter_table("evidence", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("fk_evidence_annotates_id_evidence"), type_="foreignkey")
        batch_op.drop_index(batch_op.f("ix_evidence_annotates_id"))
        batch_op.drop_column("annotates_id")
