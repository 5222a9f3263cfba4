"""Sign-in throttling instead of lockout: users.locked_at (locked until an administrator unlocked
the account) becomes users.login_blocked_until (the end of a wait that ends by itself).

Accounts locked under the old rule are released and their failure count starts again: under the
new rule their wait would long be over. Going down, no account comes back locked.

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-24
"""

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

users = sa.table(
    "users",
    sa.column("failed_logins", sa.Integer),
    sa.column("locked_at", sa.DateTime),
    sa.column("login_blocked_until", sa.DateTime),
)


def upgrade():
    op.execute(users.update().where(users.c.locked_at.is_not(None)).values(failed_logins=0))
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.alter_column("locked_at", new_column_name="login_blocked_until")
    op.execute(users.update().values(login_blocked_until=None))


def downgrade():
    op.execute(users.update().values(login_blocked_until=None))
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.alter_column("login_blocked_until", new_column_name="locked_at")
