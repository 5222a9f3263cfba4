"""Password recovery: a single-use, expiring link sent by e-mail.

The link carries a signed, timed token naming the account and a random nonce (itsdangerous).
The account keeps only the SHA-256 of the newest link's nonce, so a link works once (using it
clears the digest), stops working when a newer one is sent (the digest is replaced) or the
password changes in any way (`User.set_password` clears it), and expires after
PASSWORD_RESET_MAX_AGE_SECONDS. Nothing stored could be used as a link.

Asking for a link gives the same answer whether or not the account exists, has an address or
is disabled; the mail leaves after the commit, from the mail thread, so the answer takes the
same time too. An administrator (any account) or a district bureau (outlet accounts of its
district) can have a link sent; neither sees the link or the password.
"""

import hashlib
import hmac
import secrets
from datetime import timedelta

from flask import current_app
from itsdangerous import BadSignature, URLSafeTimedSerializer
from sqlalchemy import func, select

from outlet_audit.accounts.mail import mail_account, mail_is_configured, public_url
from outlet_audit.accounts.models import User
from outlet_audit.accounts.operations import AccountError, clear_throttle, set_checked_password, user_named
from outlet_audit.audit.operations import record
from outlet_audit.core.time import utcnow
from outlet_audit.core.urls import path_for
from outlet_audit.extensions import db
from outlet_audit.roles import Role
from outlet_audit.text import N_, Message

TOKEN_SALT = "accounts.password-reset"  # noqa: S105 - a signing namespace, not a secret
MAX_ACCOUNTS_PER_ADDRESS = 10  # an office address shared by a few outlet staff; never a mass mailing

LINK_INVALID = N_(
    "This link to set a new password is no longer valid: it was used already, a newer link was "
    "sent, the password was changed since, or it has expired. Ask for a new link."
)
RESET_SUBJECT = N_("Set a new password")
RESET_ASKED_BODY = N_(
    "Someone asked to set a new password for the account %(username)s. If it was you, open this "
    "link within %(minutes)d minutes. It works once.\n\n%(link)s\n\n"
    "If it was not you, ignore this message: your password stays as it is."
)
RESET_ISSUED_BODY = N_(
    "%(issuer)s asked that you set a new password for the account %(username)s. Open this link "
    "within %(minutes)d minutes. It works once, and nobody else sees the password you choose.\n\n%(link)s"
)


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.secret_key, salt=TOKEN_SALT)


def _digest(nonce: str) -> str:
    return hashlib.sha256(nonce.encode()).hexdigest()


def _max_age() -> int:
    return current_app.config["PASSWORD_RESET_MAX_AGE_SECONDS"]


def _send_link(user: User, body: str, action: str, actor, **params) -> None:
    """Make a new link for `user` (every earlier one stops working), queue its mail and record it."""
    nonce = secrets.token_urlsafe(24)
    user.password_reset_digest = _digest(nonce)
    user.password_reset_sent_at = utcnow()
    token = _serializer().dumps({"user": user.id, "nonce": nonce})
    mailed = mail_account(
        user.email,
        user.locale,
        Message(RESET_SUBJECT),
        Message(
            body,
            {
                "username": user.username,
                "minutes": _max_age() // 60,
                "link": public_url(path_for("accounts.reset_link", token=token)),
                **params,
            },
        ),
        about=f"user {user.id}",
    )
    if mailed:
        record(action, actor=actor, subject_type="user", subject_id=user.id, outlet_id=user.outlet_id)


def _accounts_for(login: str) -> list[User]:
    """The accounts a typed username or e-mail address names (an address may serve several)."""
    login = login.strip()
    if "@" not in login:
        user = user_named(login)
        return [user] if user is not None else []
    return list(
        db.session.scalars(
            select(User)
            .where(func.lower(User.email) == login.lower())
            .order_by(User.id)
            .limit(MAX_ACCOUNTS_PER_ADDRESS)
        )
    )


def request_password_reset(login: str) -> None:
    """Mail a reset link to each active account `login` names that has an address; say nothing.

    An account is mailed at most once every PASSWORD_RESET_RESEND_SECONDS, so nobody can fill
    its owner's mailbox by asking again and again (the address limit counts the asking itself).
    """
    now = utcnow()
    pause = timedelta(seconds=current_app.config["PASSWORD_RESET_RESEND_SECONDS"])
    for user in _accounts_for(login):
        if not user.active or not user.email:
            continue
        if user.password_reset_sent_at is not None and user.password_reset_sent_at > now - pause:
            continue
        _send_link(user, RESET_ASKED_BODY, "password_reset_requested", None)
    db.session.flush()


def may_issue_reset(actor, user: User) -> bool:
    """An administrator for any account; a district bureau for the outlet accounts of its district."""
    if actor.role == Role.ADMIN:
        return True
    return (
        actor.role == Role.DISTRICT_BUREAU
        and user.role == Role.OUTLET
        and user.outlet is not None
        and user.outlet.district_id == actor.district_id
    )


def issue_password_reset(user: User, *, actor) -> None:
    """Have a reset link mailed to `user` on `actor`'s word: the actor never sees link or password."""
    if not may_issue_reset(actor, user):
        raise AccountError(Message(N_("You cannot send a password link to this account.")))
    if not user.active:
        raise AccountError(Message(N_("This account is disabled: enable it first.")))
    if not user.email:
        raise AccountError(Message(N_("This account has no e-mail address, so no link can be sent to it.")))
    if not mail_is_configured():
        raise AccountError(Message(N_("This server sends no e-mail (MAIL_SERVER is not set).")))
    _send_link(
        user, RESET_ISSUED_BODY, action="password_reset_issued", actor=actor, issuer=actor.display_name
    )
    db.session.flush()


def account_for_reset_token(token: str) -> User | None:
    """The account a reset link is for, while the link still works; None otherwise."""
    try:
        data = _serializer().loads(token, max_age=_max_age())
    except BadSignature:  # forged, altered or expired (SignatureExpired is a BadSignature)
        return None
    if (
        not isinstance(data, dict)
        or not isinstance(data.get("user"), int)
        or not isinstance(data.get("nonce"), str)
    ):
        return None
    user = db.session.get(User, data["user"]) if 0 < data["user"] < 2**31 else None
    if user is None or not user.active or user.password_reset_digest is None:
        return None
    if not hmac.compare_digest(user.password_reset_digest, _digest(data["nonce"])):
        return None
    return user


def reset_password_with_token(token: str, password: str) -> User:
    """Set the new password through a working link, which stops working; every session ends."""
    user = account_for_reset_token(token)
    if user is None:
        raise AccountError(Message(LINK_INVALID))
    set_checked_password(user, password, field="new_password")  # clears the link's digest
    clear_throttle(user)  # the owner proved access to the mailbox: no wait left from a guesser
    user.rotate_session_token()
    record("password_reset", actor=user, subject_type="user", subject_id=user.id, outlet_id=user.outlet_id)
    db.session.flush()
    return user
