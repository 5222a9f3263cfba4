"""`flask users ...`: accounts from the command line, for the first administrator and for scripts.

Everything a sole administrator needs to get back in without SQL: `enable`, `unlock` (end a
sign-in wait now), `set-password` and `reset-two-factor` (a lost phone). Refusals print the reason
and exit non-zero; no input ends in a traceback. Each change is in the audit trail with no actor:
the command line.
"""

import click
from flask.cli import AppGroup
from sqlalchemy import select

from outlet_audit.accounts.forms import STAFF_ROLES
from outlet_audit.accounts.models import User
from outlet_audit.accounts.operations import (
    AccountError,
    create_staff_user,
    is_throttled,
    reset_password,
    set_active,
    unlock,
    user_named,
)
from outlet_audit.accounts.two_factor import reset_by_administrator
from outlet_audit.extensions import db
from outlet_audit.outlets.models import District
from outlet_audit.outlets.rules import USERNAME_RE
from outlet_audit.roles import Role

users_cli = AppGroup(
    "users", help="Create, disable, enable, unlock and list accounts; set passwords; reset second factors."
)


def _apply(change) -> None:
    """Run an account operation and commit, or print its refusal and exit 1."""
    try:
        change()
    except AccountError as error:
        db.session.rollback()
        raise click.ClickException(str(error.message)) from None
    db.session.commit()


def _change_account(username: str, change, done: str) -> None:
    """Apply `change(user)` to the named account and commit, then print `done` with its username."""
    user = user_named(username)
    if user is None:
        raise click.ClickException(f"no user {username}")
    _apply(lambda: change(user))
    click.echo(done.format(username=user.username))


@users_cli.command("create")
@click.option("--username", required=True)
@click.option("--display-name", required=True)
@click.option("--role", type=click.Choice([r.value for r in STAFF_ROLES]), required=True)
@click.option(
    "--district", "district_code", help="District code (e.g. FX) for inspectors and district bureaus."
)
@click.option(
    "--organisation",
    "kind",
    type=click.Choice(["postal", "ecology"]),
    default="postal",
    show_default=True,
    help="The postal administration or the ecology and environment bureau (of the district, or the city's).",
)
@click.option("--approver/--no-approver", default=False, help="May sign approval steps (bureau staff only).")
@click.option("--email", default=None)
@click.password_option(help="Prompted for (twice, hidden) when not given.")
def create(username, display_name, role, district_code, kind, approver, email, password):
    """Create a bureau, inspector or administrator account."""
    if not USERNAME_RE.match(username):
        raise click.BadParameter(
            "3-64 letters, digits, dots, hyphens or underscores", param_hint="--username"
        )
    district_id = None
    if Role(role) in (Role.INSPECTOR, Role.DISTRICT_BUREAU):
        if not district_code:
            raise click.UsageError(f"--district is required for the role {role}")
        district = db.session.scalar(select(District).where(District.code == district_code.upper()))
        if district is None:
            codes = ", ".join(db.session.scalars(select(District.code).order_by(District.sort_order)))
            raise click.BadParameter(f"unknown district; one of {codes}", param_hint="--district")
        district_id = district.id
    _apply(
        lambda: create_staff_user(
            username=username,
            display_name=display_name,
            email=email,
            role=role,
            district_id=district_id,
            password=password,
            actor=None,
            kind=kind,
            approver=approver,
        )
    )
    click.echo(f"created {username} ({role})")


@users_cli.command("set-password")
@click.argument("username")
@click.password_option(help="Prompted for (twice, hidden) when not given.")
def set_password(username, password):
    """Set an account's password, end its sign-in wait and sign out its sessions."""
    _change_account(
        username,
        lambda user: reset_password(user, password, actor=None),
        "password set for {username}; its other sessions are signed out",
    )


@users_cli.command("reset-two-factor")
@click.argument("username")
def reset_two_factor(username):
    """Switch an account's second factor off (a lost phone); it sets one up again at its next sign-in."""
    _change_account(
        username,
        lambda user: reset_by_administrator(user, actor=None),
        "second factor of {username} reset; its sessions are signed out",
    )


@users_cli.command("unlock")
@click.argument("username")
def unlock_command(username):
    """End an account's sign-in wait now (it would also end by itself)."""
    _change_account(username, lambda user: unlock(user, actor=None), "unlocked {username}")


@users_cli.command("enable")
@click.argument("username")
def enable(username):
    """Enable a disabled account."""
    _change_account(username, lambda user: set_active(user, True, actor=None), "enabled {username}")


@users_cli.command("disable")
@click.argument("username")
def disable(username):
    """Disable an account: its sessions end and it can no longer sign in."""
    _change_account(username, lambda user: set_active(user, False, actor=None), "disabled {username}")


@users_cli.command("list")
def list_users():
    """List every account with its role and state."""
    for user in db.session.scalars(select(User).order_by(User.role, User.username)):
        state = "active" if user.active else "disabled"
        if is_throttled(user):
            state += f", waiting until {user.login_blocked_until:%Y-%m-%d %H:%M} UTC"
        click.echo(f"{user.username:24} {user.role.value:16} {state}")
