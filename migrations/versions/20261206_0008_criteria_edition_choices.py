"""The administrator's choices of criteria edition, kept and dated (criteria_edition_choices), instead
of one setting that a missing value turned into "the newest file in effect".

The edition in use is carried over as an explicit choice, in use from the start (active_from
NULL, chosen by nobody: recorded at installation): the edition the setting named; else the one
the latest application was made against, which is what the old rule was using; else, on a new
installation, shanghai-2025, the edition this release ships. The settings table held only that
setting and goes. Going down, the latest choice begun today becomes the setting again.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-06
"""

from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None

ACTIVE_EDITION_SETTING = "active_criteria_edition"
SHIPPED_EDITION = "shanghai-2025"

settings = sa.table("settings", sa.column("key", sa.String), sa.column("value", sa.Text))
stored_editions = sa.table(
    "criteria_editions", sa.column("id", sa.Integer), sa.column("edition_id", sa.String)
)


def _now() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


def upgrade():
    choices = op.create_table(
        "criteria_edition_choices",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("edition_id", sa.String(length=64), nullable=False),
        sa.Column("active_from", sa.Date(), nullable=True),
        sa.Column("chosen_at", sa.DateTime(), nullable=False),
        sa.Column("chosen_by_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["chosen_by_id"], ["users.id"], name=op.f("fk_criteria_edition_choices_chosen_by_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_criteria_edition_choices")),
    )
    connection = op.get_bind()
    in_use = (
        connection.scalar(sa.select(settings.c.value).where(settings.c.key == ACTIVE_EDITION_SETTING))
        or connection.scalar(
            sa.select(stored_editions.c.edition_id).order_by(stored_editions.c.id.desc()).limit(1)
        )
        or SHIPPED_EDITION
    )
    op.bulk_insert(
        choices,
        [{"edition_id": in_use, "active_from": None, "chosen_at": _now(), "chosen_by_id": None}],
    )
    op.drop_table("settings")


def downgrade():
    op.create_table(
        "settings",
        sa.Column("key", sa.String(length=50), nullable=False),
        sa.Column("value", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_settings")),
    )
    choices = sa.table(
        "criteria_edition_choices",
        sa.column("id", sa.Integer),
        sa.column("edition_id", sa.String),
        sa.column("active_from", sa.Date),
    )
    connection = op.get_bind()
    today = _now().date()
    begun = [
        row
        for row in connection.execute(sa.select(choices.c.id, choices.c.edition_id, choices.c.active_from))
        if row.active_from is None or row.active_from <= today
    ]
    if begun:
        latest = max(begun, key=lambda row: (row.active_from or datetime.min.date(), row.id))
        op.bulk_insert(settings, [{"key": ACTIVE_EDITION_SETTING, "value": latest.edition_id}])
    op.drop_table("criteria_edition_choices")
