"""Deny-by-default access, response headers and safe redirects, wired into every request."""

from urllib.parse import urlsplit

from flask import abort, request

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


def _holds_nul(value) -> bool:
    if isinstance(value, str):
        return "\x00" in value
    if isinstance(value, dict):
        return any(_holds_nul(key) or _holds_nul(item) for key, item in value.items())
    if isinstance(value, list):
        return any(_holds_nul(item) for item in value)
    return False


def refuse_nul_characters():
    """Answer 400 to text holding NUL: nobody types it, and PostgreSQL cannot store or compare it."""
    texts = [*request.args.listvalues(), *request.form.listvalues()]
    if any(_holds_nul(values) for values in texts):
        abort(400)
    if request.is_json and _holds_nul(request.get_json(silent=True)):
        abort(400)


def init_security(app) -> None:
    app.before_request(enforce_access)
    app.before_request(refuse_nul_characters)  # after the access check: refused requests are not parsed
    app.after_request(set_security_headers)
