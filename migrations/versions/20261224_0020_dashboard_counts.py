"""The dashboard's maintained counts (outlet_audit/dashboards/counts.py): new tables, filled from
the records that are there.

The counts are derived data: every figure in them can be counted again from answers and findings.
So this migration fills them by calling the code that keeps them (`counts.rebuild`), not a copy
of it: whether an answer earns full marks is asked of the scoring rules, which exist only in code,
and the counts must agree with the code that reads and updates them. (A later change to what the
counts hold ships its own migration that rebuilds them.) tests/test_migrations_with_data.py runs
it over data on both databases and compares the figures with a recount.

Going down drops the tables; nothing else changes.

Revision ID: 0020
Revises: 0019
Create Date: 2026-12-24
"""

import sqlalchemy as sa
from alembic import op

revision = "0020"
down_revision = "0019"
branch_labels = None
depends_on = None

DIMENSIONS = ("district_id", "brand", "level", "grain", "period")
# The counts tables: their own keys after the dimensions, then what they count.
TABLES = {
    "dashboard_item_counts": (
        [sa.Column("item_code", sa.String(length=20)), sa.Column("edition_pk", sa.Integer())],
        ("answers", "answered", "passed", "not_applicable"),
    ),
    "dashboard_finding_counts": (
        [sa.Column("item_code", sa.String(length=20))],
        ("found", "ordered", "not_required", "closed", "verified", "closed_on_time"),
    ),
    "dashboard_waiting_finding_counts": (
        [sa.Column("item_code", sa.String(length=20)), sa.Column("due_on", sa.Date())],
        ("waiting",),
    ),
    "dashboard_closed_finding_counts": (
        [sa.Column("item_code", sa.String(length=20)), sa.Column("days", sa.Integer())],
        ("closed",),
    ),
    "dashboard_outlet_counts": ([], ("registered", "verified")),
    "dashboard_application_counts": ([sa.Column("status", sa.String(length=30))], ("applications",)),
    "dashboard_certificate_counts": ([sa.Column("state", sa.String(length=20))], ("certificates",)),
    "dashboard_active_certificate_counts": ([sa.Column("valid_until", sa.Date())], ("certificates",)),
    "dashboard_coverage_counts": ([sa.Column("until", sa.Date())], ("outlets",)),
    "dashboard_notice_counts": ([sa.Column("due_on", sa.Date())], ("notices",)),
}


def _dimensions():
    return [
        sa.Column("district_id", sa.Integer(), nullable=False),
        sa.Column("brand", sa.String(length=50), nullable=False),
        sa.Column("level", sa.String(length=10), nullable=False),
        sa.Column("grain", sa.String(length=1), nullable=False),
        sa.Column("period", sa.Date(), nullable=False),
    ]


def _measures(*names):
    return [sa.Column(name, sa.Integer(), nullable=False) for name in names]


def upgrade():
    for name, (keys, measures) in TABLES.items():
        for key in keys:
            key.nullable = False
        op.create_table(
            name,
            *_dimensions(),
            *keys,
            *_measures(*measures),
            sa.PrimaryKeyConstraint(*DIMENSIONS, *(key.name for key in keys), name=op.f(f"pk_{name}")),
        )
    op.create_table(
        "dashboard_answer_scores",
        sa.Column("edition_pk", sa.Integer(), nullable=False),
        sa.Column("item_code", sa.String(length=20), nullable=False),
        sa.Column("not_applicable", sa.Boolean(), nullable=False),
        sa.Column("value", sa.String(length=40), nullable=False),
        *_measures("answered", "passed"),
        sa.PrimaryKeyConstraint(
            "edition_pk", "item_code", "not_applicable", "value", name=op.f("pk_dashboard_answer_scores")
        ),
    )
    from outlet_audit.dashboards.counts import rebuild

    rebuild(op.get_bind())


def downgrade():
    op.drop_table("dashboard_answer_scores")
    for name in reversed(TABLES):
        op.drop_table(name)
