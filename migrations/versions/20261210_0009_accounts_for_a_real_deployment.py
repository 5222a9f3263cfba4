"""Accounts for a real deployment: password reset links.

users.password_reset_digest keeps the SHA-256 of the one reset link that works (none is stored
that could be used) and users.password_reset_sent_at when it was sent. Going down, every link
stops working, which is all a link is worth without the columns.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-10
"""

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.add_column(sa.Column("password_reset_digest", sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column("password_reset_sent_at", sa.DateTime(), nullable=True))


def downgrade():
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.drop_column("password_reset_sent_at")
        batch_op.drop_column("password_reset_digest")
