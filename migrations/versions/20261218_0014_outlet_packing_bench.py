"""Whether an outlet has a packing bench (封装台): a fact of its profile that decides which items apply.

An edition's item may say `applies_to: {packing_bench: [true]}`: outlets that pack no parcels on
site (no packing bench) are then not asked the packing items, without the inspector marking them N/A.

Going up: every existing outlet gets NULL, "not stated", and an unstated fact leaves no item out,
so an outlet's next inspection asks exactly what it asked before; nothing is silently dropped until
the outlet says it has no bench (and, once verified, the district bureau accepts that change).
Going down, the column is dropped.

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-18
"""

import sqlalchemy as sa
from alembic import op

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("outlets", schema=None) as batch_op:
        batch_op.add_column(sa.Column("has_packing_bench", sa.Boolean(), nullable=True))


def downgrade():
    with op.batch_alter_table("outlets", schema=None) as batch_op:
        batch_op.drop_column("has_packing_bench")
