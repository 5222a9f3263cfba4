"""Deny-by-default access, response headers, safe redirects and bounded input, wired into every request."""

from urllib.parse import urlsplit

from flask import abort, request
from flask.json.provider import DefaultJSONProvider

from outlet_audit.access import enforce_access

CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data: blob:",
        "connect-src 'self'",
        "font-src 'self'",
        "object-src 'none'",
        "base-uri 'none'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ]
)


def set_security_headers(response):
    response.headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    response.headers.setdefault("Referrer-Policy", "same-origin")
    response.headers.setdefault("X-Frame-Options", "DENY")
    response.headers.setdefault("Permissions-Policy", "camera=(self), geolocation=(), microphone=()")
    if request.is_secure:
        response.headers.setdefault("Strict-Transport-Security", "max-age=31536000; includeSubDomains")
    if response.mimetype == "text/html":
        response.headers.setdefault("Cache-Control", "no-store")
    return response


def is_safe_redirect(target: str | None) -> bool:
    """Only follow `next` to a path on this site: no scheme, no host, no protocol-relative //."""
    if not target:
        return False
    parts = urlsplit(target)
    return not parts.scheme and not parts.netloc and target.startswith("/") and not target.startswith("//")


# No request body of ours nests deeper than 2; this leaves room and stays far from the parser's
# own recursion limit (about 1,000 levels, past which it raises RecursionError: a 500).
MAX_JSON_DEPTH = 32


class JSONTooDeep(ValueError):
    """A JSON body nested deeper than MAX_JSON_DEPTH (a ValueError: Flask answers it with 400)."""


def json_depth_exceeds(value, limit: int) -> bool:
    """Whether lists and objects nest more than `limit` deep in `value` (walked without recursion)."""
    stack = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, dict):
            children = item.values()
        elif isinstance(item, list):
            children = item
        else:
            continue
        if depth > limit:
            return True
        stack.extend((child, depth + 1) for child in children)
    return False


class BoundedJSONProvider(DefaultJSONProvider):
    """The app's JSON reader (every request's `get_json` uses it): too deep is a ValueError, which
    `get_json` answers with 400 (or None when silent), never the parser's RecursionError."""

    def loads(self, s, **kwargs):
        try:
            value = super().loads(s, **kwargs)
        except RecursionError:
            raise JSONTooDeep(f"JSON nested deeper than {MAX_JSON_DEPTH} levels") from None
        if json_depth_exceeds(value, MAX_JSON_DEPTH):
            raise JSONTooDeep(f"JSON nested deeper than {MAX_JSON_DEPTH} levels")
        return value


def _holds_nul(value) -> bool:
    if isinstance(value, str):
        return "\x00" in value
    if isinstance(value, dict):
        return any(_holds_nul(key) or _holds_nul(item) for key, item in value.items())
    if isinstance(value, list):
        return any(_holds_nul(item) for item in value)
    return False


def refuse_unreadable_input():
    """Answer 400 to text holding NUL (nobody types it, and PostgreSQL cannot store or compare it)
    and to a JSON body that cannot be read: malformed, or nested past MAX_JSON_DEPTH."""
    texts = [*request.args.listvalues(), *request.form.listvalues()]
    if any(_holds_nul(values) for values in texts):
        abort(400)
    if request.is_json and _holds_nul(request.get_json()):  # get_json raises BadRequest (400)
        abort(400)


def init_security(app) -> None:
    app.json = BoundedJSONProvider(app)
    app.before_request(enforce_access)
    app.before_request(refuse_unreadable_input)  # after the access check: refused requests are not parsed
    app.after_request(set_security_headers)
