"""one open application per outlet

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-22 22:20:00.000000

"""

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

OPEN_APPLICATION = "status NOT IN ('approved', 'rejected', 'withdrawn')"


def upgrade():
    with op.batch_alter_table("applications", schema=None) as batch_op:
        batch_op.create_index(
            "ux_applications_one_open_per_outlet",
            ["outlet_id"],
            unique=True,
            sqlite_where=sa.text(OPEN_APPLICATION),
            postgresql_where=sa.text(OPEN_APPLICATION),
        )


def downgrade():
    with op.batch_alter_table("applications", schema=None) as batch_op:
        batch_op.drop_index("ux_applications_one_open_per_outlet")
