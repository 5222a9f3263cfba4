"""Flask-Login wiring. The session cookie holds a token that logout and password change rotate."""

from functools import lru_cache

from sqlalchemy import bindparam, func, select

from outlet_audit.accounts.models import User
from outlet_audit.extensions import db, login_manager
from outlet_audit.notifications.models import Notification
from outlet_audit.outlets.models import Outlet


@lru_cache(maxsize=1)
def _user_statement():
    """The signed-in user, with the unread count the navbar shows and whether its outlet is verified,
    in one statement. Built once: constructing it again on every request (columns coerced, the
    correlated count, the join) cost more than the database's part of running it."""
    unread = (
        select(func.count())
        .where(Notification.user_id == User.id, Notification.read_at.is_(None))
        .correlate(User)
        .scalar_subquery()
    )
    return (
        select(User, unread, Outlet.verified)
        .outerjoin(Outlet, Outlet.id == User.outlet_id)
        .where(User.session_token == bindparam("session_token"))
    )


def load_user(session_token: str) -> User | None:
    """The signed-in user, with the unread count the navbar shows and whether its outlet is verified
    fetched in the same statement (database round trips fewer on every page)."""
    row = db.session.execute(_user_statement(), {"session_token": session_token}).first()
    if row is None or not row[0].is_active:
        return None  # disabled or locked accounts are signed out on their next request
    user, unread_count, outlet_verified = row
    user.unread_at_load = unread_count
    user.outlet_verified_at_load = outlet_verified  # for accounts/gate.py, on every request
    return user


def init_login(app) -> None:
    login_manager.init_app(app)
    login_manager.user_loader(load_user)
    login_manager.login_view = "accounts.login"
    login_manager.session_protection = (
        "basic"  # "strong" would sign out inspectors whose phone changes network
    )
