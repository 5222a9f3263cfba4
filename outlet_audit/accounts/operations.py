"""Account operations: they change the session's objects and flush; the view commits."""

import secrets
from functools import cache

from flask import current_app
from sqlalchemy import func, select
from werkzeug.security import check_password_hash, generate_password_hash

from outlet_audit.accounts.models import PASSWORD_METHOD, User
from outlet_audit.audit.operations import record
from outlet_audit.core.time import utcnow
from outlet_audit.extensions import db
from outlet_audit.outlets.models import Outlet
from outlet_audit.roles import Role
from outlet_audit.text import N_, Message


@cache
def _timing_dummy_hash() -> str:
    """A hash to check when the username is unknown: a wrong name costs as long as a wrong password."""
    return generate_password_hash(secrets.token_hex(16), method=PASSWORD_METHOD)


class AccountError(Exception):
    """A request about accounts that cannot be done, with the reason for the user."""

    def __init__(self, message: Message, field: str | None = None):
        super().__init__(str(message))
        self.message = message
        self.field = field


def username_taken(username: str) -> bool:
    return db.session.scalar(select(func.count()).where(func.lower(User.username) == username.lower())) > 0


def permit_number_taken(permit_number: str) -> bool:
    return db.session.scalar(select(func.count()).where(Outlet.permit_number == permit_number)) > 0


def authenticate(username: str, password: str) -> User:
    """Return the user, or raise AccountError. A wrong name and a wrong password read the same."""
    user = db.session.scalar(select(User).where(func.lower(User.username) == username.strip().lower()))
    if user is None:
        check_password_hash(_timing_dummy_hash(), password)
        raise AccountError(Message(N_("Wrong username or password.")))
    if not user.check_password(password):
        user.failed_logins += 1
        if user.locked_at is None and user.failed_logins >= current_app.config["LOGIN_LOCK_AFTER_FAILURES"]:
            user.locked_at = utcnow()
            record(
                "account_locked",
                actor=None,
                subject_type="user",
                subject_id=user.id,
                reason=f"{user.failed_logins} failed logins",
            )
        raise AccountError(Message(N_("Wrong username or password.")))
    # The password is right: from here on it is safe to say what else stands in the way.
    if user.locked_at is not None:
        raise AccountError(
            Message(
                N_("This account is locked after repeated failed logins. Ask the administrator to unlock it.")
            )
        )
    if not user.active:
        raise AccountError(Message(N_("This account is disabled. Ask the administrator.")))
    if user.role == Role.OUTLET and not user.outlet.verified:
        raise AccountError(
            Message(
                N_(
                    "Your outlet is waiting for the district bureau to verify it. "
                    "You can sign in once it is verified."
                )
            )
        )
    user.failed_logins = 0
    user.last_login_at = utcnow()
    return user


def register_outlet(form) -> User:
    """Create an unverified outlet and its first user; the district bureau verifies it."""
    if permit_number_taken(form.permit_number.data):
        raise AccountError(
            Message(N_("An outlet with this permit number is already registered.")), field="permit_number"
        )
    if username_taken(form.username.data):
        raise AccountError(Message(N_("This username is taken.")), field="username")
    outlet = Outlet(
        name=form.outlet_name.data,
        brand=form.brand.data,
        district_id=form.district_id.data,
        address=form.address.data,
        permit_number=form.permit_number.data,
        manager=form.manager.data,
        phone=form.phone.data,
        opening_hours=form.opening_hours.data or None,
        verified=False,
    )
    db.session.add(outlet)
    db.session.flush()
    user = User(
        username=form.username.data,
        display_name=form.display_name.data.strip(),
        email=form.email.data or None,
        role=Role.OUTLET,
        outlet_id=outlet.id,
    )
    user.set_password(form.password.data)
    db.session.add(user)
    db.session.flush()
    record(
        "outlet_registered",
        actor=user,
        subject_type="outlet",
        subject_id=outlet.id,
        outlet_id=outlet.id,
        new=outlet.permit_number,
    )
    return user


def create_staff_user(*, username, display_name, email, role, district_id, password, actor) -> User:
    if username_taken(username):
        raise AccountError(Message(N_("This username is taken.")), field="username")
    role = Role(role)
    user = User(
        username=username,
        display_name=display_name.strip(),
        email=email or None,
        role=role,
        district_id=district_id if role in (Role.INSPECTOR, Role.DISTRICT_BUREAU) else None,
    )
    user.set_password(password)
    db.session.add(user)
    db.session.flush()
    record("user_created", actor=actor, subject_type="user", subject_id=user.id, new=f"{username} ({role})")
    return user


def change_password(user: User, current: str, new: str) -> None:
    if not user.check_password(current):
        raise AccountError(Message(N_("The current password is wrong.")), field="current_password")
    user.set_password(new)
    user.rotate_session_token()
    record("password_changed", actor=user, subject_type="user", subject_id=user.id)


def set_active(user: User, active: bool, actor) -> None:
    if user.id == actor.id and not active:
        raise AccountError(Message(N_("You cannot disable your own account.")))
    if user.active != active:
        record(
            "user_enabled" if active else "user_disabled",
            actor=actor,
            subject_type="user",
            subject_id=user.id,
            old=user.active,
            new=active,
        )
        user.active = active
        user.rotate_session_token()


def unlock(user: User, actor) -> None:
    if user.locked_at is not None:
        record("account_unlocked", actor=actor, subject_type="user", subject_id=user.id)
    user.locked_at = None
    user.failed_logins = 0
