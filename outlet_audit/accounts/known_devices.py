"""Known devices: a browser in which an account signed in before skips the account's sign-in wait.

The per-account wait (accounts/throttle.py) slows a guesser down, but a stranger who keeps
guessing could keep the owner waiting as well. After a successful sign-in the browser gets a
signed cookie naming the account; with it, the account's wait does not apply (OWASP's "device
cookie"). It proves nothing by itself: the password is still checked and still counted, and the
per-address limits still apply.
"""

from flask import current_app, request
from itsdangerous import BadSignature, URLSafeTimedSerializer

MAX_AGE_SECONDS = 180 * 24 * 3600
MAX_ACCOUNTS = 5  # a shared office computer: a few accounts, newest first


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.secret_key, salt="known-device")


def cookie_name() -> str:
    # __Host-: sent only over HTTPS, only to this host, for every path (production's cookies).
    return "__Host-known-device" if current_app.config.get("SESSION_COOKIE_SECURE") else "known-device"


def known_user_ids() -> tuple[int, ...]:
    """The accounts that signed in before in the requesting browser, newest first."""
    value = request.cookies.get(cookie_name())
    if not value:
        return ()
    try:
        ids = _serializer().loads(value, max_age=MAX_AGE_SECONDS)
    except BadSignature:  # forged, altered or expired (SignatureExpired is a BadSignature)
        return ()
    if not isinstance(ids, list):
        return ()
    return tuple(i for i in ids if isinstance(i, int) and not isinstance(i, bool))[:MAX_ACCOUNTS]


def remember_device(response, user_id: int, known: tuple[int, ...]) -> None:
    ids = [user_id, *(i for i in known if i != user_id)][:MAX_ACCOUNTS]
    response.set_cookie(
        cookie_name(),
        _serializer().dumps(ids),
        max_age=MAX_AGE_SECONDS,
        path="/",
        secure=bool(current_app.config.get("SESSION_COOKIE_SECURE")),
        httponly=True,
        samesite="Lax",
    )
