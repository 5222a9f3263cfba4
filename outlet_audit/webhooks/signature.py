"""The signature of a delivery, as the README and the management page document it. Pure.

Header `X-OA-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256(secret, "<t>.<body>")>`: the time is
signed with the body, so a receiver that refuses old timestamps cannot be fed a recorded delivery
again later (Stripe's scheme; receivers already have code for its shape).
"""

import hashlib
import hmac
import secrets

SIGNATURE_HEADER = "X-OA-Signature"
EVENT_HEADER = "X-OA-Event"
DELIVERY_HEADER = "X-OA-Delivery"
SECRET_PREFIX = "whsec_"  # noqa: S105 - the prefix of every secret, not one
DEFAULT_TOLERANCE_SECONDS = 300


def new_secret() -> str:
    return SECRET_PREFIX + secrets.token_urlsafe(32)


def signature_digest(secret: str, timestamp: int, body: bytes) -> str:
    signed = str(timestamp).encode() + b"." + body
    return hmac.new(secret.encode(), signed, hashlib.sha256).hexdigest()


def signature_header(secret: str, timestamp: int, body: bytes) -> str:
    return f"t={timestamp},v1={signature_digest(secret, timestamp, body)}"


def verify(
    secret: str, header: str, body: bytes, now: int, tolerance: int = DEFAULT_TOLERANCE_SECONDS
) -> bool:
    """Whether `header` signs `body` with `secret` at a time within `tolerance` seconds of `now`."""
    parts = dict(part.split("=", 1) for part in header.split(",") if "=" in part)
    try:
        timestamp = int(parts.get("t", ""))
    except ValueError:
        return False
    if abs(now - timestamp) > tolerance:
        return False
    return hmac.compare_digest(parts.get("v1", ""), signature_digest(secret, timestamp, body))
