"""Accounts for a real deployment: password reset links, registrations refused with a reason.

users.password_reset_digest keeps the SHA-256 of the one reset link that works (none is stored
that could be used) and users.password_reset_sent_at when it was sent. Going down, every link
stops working, which is all a link is worth without the columns.

registration_refusals holds the registrations the district bureau did not accept, with the
reason the applicant reads, until the applicant sends the registration again. Going down, the
refused registrations are back in the bureau's queue (the refusal stays in the audit trail).

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
    op.create_table(
        "registration_refusals",
        sa.Column("outlet_id", sa.Integer(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("refused_at", sa.DateTime(), nullable=False),
        sa.Column("refused_by_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["outlet_id"],
            ["outlets.id"],
            name=op.f("fk_registration_refusals_outlet_id_outlets"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["refused_by_id"], ["users.id"], name=op.f("fk_registration_refusals_refused_by_id_users")
        ),
        sa.PrimaryKeyConstraint("outlet_id", name=op.f("pk_registration_refusals")),
    )


def downgrade():
    op.drop_table("registration_refusals")
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.drop_column("password_reset_sent_at")
        batch_op.drop_column("password_reset_digest")
