"""Who reads the API: anonymous, or an organisation's token (`Authorization: Bearer oa_...`).

Every API endpoint is `@public` for the deny-by-default check (access.py) and then declares the
scope a token needs with `@api_read(scope)`; that one decorator authenticates, counts the rate
limit and hands the view a `Reader`. A wrong or revoked token is refused (401), never quietly
read as anonymous: a system that believes it reads its district must not get less without knowing.
"""

import functools
import time
from dataclasses import dataclass

from flask import current_app, g, jsonify, request
from flask_babel import gettext as _
from limits import parse_many

from outlet_audit.api.models import ApiToken
from outlet_audit.api.scopes import TokenScope
from outlet_audit.api.tokens import token_for
from outlet_audit.extensions import client_network, limiter, writes_on_get

API_SCOPE_ATTRIBUTE = "_api_scope"
REALM = "outlet-audit"


@dataclass(frozen=True)
class Reader:
    """Whoever is asking: no token (the public), or a token and the districts it reaches."""

    token: ApiToken | None = None

    @property
    def anonymous(self) -> bool:
        return self.token is None

    @property
    def district_id(self) -> int | None:
        """The one district a district organisation's token reaches; None: every district (the
        city's organisations), or none beyond the public's (no token)."""
        return self.token.organisation.district_id if self.token else None

    def reaches(self, district_id: int) -> bool:
        return self.token is not None and self.district_id in (None, district_id)


def api_error(code: int, status: str, message: str, headers: dict | None = None):
    response = jsonify(status=status, message=message)
    response.status_code = code
    response.headers.update(headers or {})
    return response


def unauthorised(message: str | None = None):
    """401 with the challenge RFC 6750 asks for."""
    return api_error(
        401,
        "unauthorized",
        message or _("The API token is missing, unknown, expired or revoked."),
        {"WWW-Authenticate": f'Bearer realm="{REALM}", error="invalid_token"'},
    )


def _bearer() -> str | None:
    """The token sent, '' for an Authorization header that is not a bearer token, None for none."""
    header = request.headers.get("Authorization")
    if header is None:
        return None
    kind, _sep, value = header.strip().partition(" ")
    return value.strip() if kind.lower() == "bearer" else ""


def _over_limit(setting: str, *identity: str):
    """Count this request against the limits of `setting` (RATELIMIT_API, RATELIMIT_API_ANONYMOUS);
    the 429 answer when one is exceeded. The `limits` strategy Flask-Limiter counts with, in its
    storage, called here because the key (token or address) is known only after authentication."""
    config = current_app.config[setting]
    key = current_app.config.get("RATELIMIT_KEY_PREFIX", "outlet-audit")
    for item in parse_many(config):
        try:
            allowed = limiter.limiter.hit(item, key, setting, *identity)
        except Exception:
            if not current_app.config.get("RATELIMIT_SWALLOW_ERRORS"):
                raise
            # As Flask-Limiter does with this setting: a storage fault is logged, not a refusal.
            current_app.logger.exception("API rate limit storage unavailable; request let through")
            return None
        if not allowed:
            reset_at = limiter.limiter.get_window_stats(item, key, setting, *identity).reset_time
            wait = max(1, int(reset_at - time.time()))
            return api_error(
                429,
                "too_many_requests",
                _("Too many requests. Please wait %(seconds)s seconds and try again.", seconds=wait),
                {"Retry-After": str(wait)},
            )
    return None


def identify_reader() -> tuple[Reader | None, object | None]:
    """The reader, or the refusal to answer with (401, 429)."""
    sent = _bearer()
    if sent is None:
        refusal = _over_limit("RATELIMIT_API_ANONYMOUS", client_network())
        return (None, refusal) if refusal else (Reader(), None)
    token = token_for(sent) if sent else None
    if token is None:
        # Wrong tokens count against the address, so guessing is as slow as anonymous reading.
        refusal = _over_limit("RATELIMIT_API_ANONYMOUS", client_network())
        return None, refusal or unauthorised()
    refusal = _over_limit("RATELIMIT_API", f"token-{token.id}")
    return (None, refusal) if refusal else (Reader(token), None)


def api_read(scope: TokenScope | None):
    """Declare the scope a token needs for the endpoint (None: anyone, token or not, e.g. the spec);
    the view gets the `reader` keyword."""

    def decorate(view):
        @functools.wraps(view)
        def wrapped(*args, **kwargs):
            reader, refusal = identify_reader()
            if refusal is not None:
                return refusal
            if scope is not None and reader.token is not None and scope not in reader.token.scope_set:
                return api_error(
                    403,
                    "forbidden",
                    _("This token does not have the scope %(scope)s.", scope=scope.value),
                )
            g.api_reader = reader
            return view(*args, reader=reader, **kwargs)

        setattr(wrapped, API_SCOPE_ATTRIBUTE, scope)
        return writes_on_get(wrapped)  # any reader's token has its last use noted (tokens._note_use)

    return decorate
