"""`flask users ...`: accounts from the command line, for the first administrator and for scripts."""

import click
from flask.cli import AppGroup
from sqlalchemy import select

from outlet_audit.accounts.forms import STAFF_ROLES, strong_password
from outlet_audit.accounts.models import User
from outlet_audit.accounts.operations import AccountError, create_staff_user, set_active
from outlet_audit.extensions import db
from outlet_audit.outlets.models import District
from outlet_audit.outlets.rules import USERNAME_RE
from outlet_audit.roles import Role

users_cli = AppGroup("users", help="Create, disable and list accounts.")


def _check_password(password: str) -> str:
    class _Field:
        data = password

    try:
        strong_password(None, _Field)
    except Exception as error:  # wtforms ValidationError carries the message
        raise click.BadParameter(str(error)) from None
    return password


@users_cli.command("create")
@click.option("--username", required=True)
@click.option("--display-name", required=True)
@click.option("--role", type=click.Choice([r.value for r in STAFF_ROLES]), required=True)
@click.option(
    "--district", "district_code", help="District code (e.g. FX) for inspectors and district bureaus."
)
@click.option("--email", default=None)
@click.password_option(help="Prompted for when not given.")
def create(username, display_name, role, district_code, email, password):
    """Create a bureau, inspector or administrator account."""
    if not USERNAME_RE.match(username):
        raise click.BadParameter(
            "3-64 letters, digits, dots, hyphens or underscores", param_hint="--username"
        )
    _check_password(password)
    district_id = None
    if Role(role) in (Role.INSPECTOR, Role.DISTRICT_BUREAU):
        if not district_code:
            raise click.UsageError(f"--district is required for the role {role}")
        district = db.session.scalar(select(District).where(District.code == district_code.upper()))
        if district is None:
            codes = ", ".join(db.session.scalars(select(District.code).order_by(District.sort_order)))
            raise click.BadParameter(f"unknown district; one of {codes}", param_hint="--district")
        district_id = district.id
    try:
        create_staff_user(
            username=username,
            display_name=display_name,
            email=email,
            role=role,
            district_id=district_id,
            password=password,
            actor=None,
        )
    except AccountError as error:
        db.session.rollback()
        raise click.ClickException(str(error.message)) from None
    db.session.commit()
    click.echo(f"created {username} ({role})")


@users_cli.command("disable")
@click.argument("username")
def disable(username):
    """Disable an account: its sessions end and it can no longer sign in."""
    user = db.session.scalar(select(User).where(User.username == username))
    if user is None:
        raise click.ClickException(f"no user {username}")
    set_active(user, False, actor=type("System", (), {"id": None})())
    db.session.commit()
    click.echo(f"disabled {username}")


@users_cli.command("list")
def list_users():
    """List every account with its role and state."""
    for user in db.session.scalars(select(User).order_by(User.role, User.username)):
        state = "locked" if user.locked_at else ("active" if user.active else "disabled")
        click.echo(f"{user.username:24} {user.role.value:16} {state}")
