"""Flask-Login wiring. The session cookie holds a token that logout and password change rotate."""

from sqlalchemy import select

from outlet_audit.accounts.models import User
from outlet_audit.extensions import db, login_manager


def load_user(session_token: str) -> User | None:
    user = db.session.scalar(select(User).where(User.session_token == session_token))
    if user is None or not user.is_active:
        return None  # disabled or locked accounts are signed out on their next request
    return user


def init_login(app) -> None:
    login_manager.init_app(app)
    login_manager.user_loader(load_user)
    login_manager.login_view = "accounts.login"
    login_manager.session_protection = (
        "basic"  # "strong" would sign out inspectors whose phone changes network
    )
