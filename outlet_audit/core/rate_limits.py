"""Rate limits per client address, in a storage every worker shares, and the one answer to a breach.

Flask-Limiter counts in RATELIMIT_STORAGE_URI. `memory://` is per process: under gunicorn with
four workers each worker allows the whole limit (an audit saw 62 of 70 sign-in attempts pass a
limit of 20), so production runs with Redis and says so at start when it does not.

A breach answers 429 with Retry-After, as a translated page or, to a JSON client, as JSON. A view
whose limit must not be told apart from its other failures (sign-in) gives its own answer through
`on_breach`, which is passed through as it is.
"""

import time

from flask import current_app
from flask_babel import gettext as _
from flask_limiter import RateLimitExceeded

from outlet_audit.core.views import error_response
from outlet_audit.extensions import limiter


def configured_limit(name: str):
    """A limit read from the configuration at request time (tests and deployments change it)."""
    return lambda: current_app.config[name]


# One budget per address for the public pages together (a lookup by the form is two requests):
# enough for anyone reading, not for walking through every certificate number.
public_pages_limit = limiter.shared_limit(configured_limit("RATELIMIT_PUBLIC"), scope="public-pages")
# Checking an uploaded certificate PDF (the public verification page), on top of the budget above.
pdf_check_limit = limiter.limit(configured_limit("RATELIMIT_PDF_CHECK"), methods=["POST"])


def _seconds_to_wait() -> int:
    current = limiter.current_limit
    if current is None:
        return 60
    return max(1, current.reset_at - int(time.time()))


def too_many_requests(error: RateLimitExceeded):
    """The core error answer (a page, or JSON to a JSON client) with Retry-After: more exact than
    the generic 429 handler, which also answers 429s that did not come from a limit."""
    if error.response is not None:
        return error.response  # the view's own answer (sign-in gives its one failure page)
    message = _("Too many requests from your network address. Please wait a few minutes and try again.")
    body, code = error_response(429, "too_many_requests", _("Too many requests"), message)
    return body, code, {"Retry-After": str(_seconds_to_wait())}


def storage_is_per_process(app) -> bool:
    return app.config["RATELIMIT_STORAGE_URI"].startswith("memory://")


def init_rate_limits(app) -> None:
    limiter.init_app(app)
    app.register_error_handler(RateLimitExceeded, too_many_requests)
    if app.config["ENV_NAME"] == "production" and storage_is_per_process(app):
        # The number of workers cannot be known from inside one of them: say it at every start.
        app.logger.warning(
            "RATELIMIT_STORAGE_URI is memory://: every worker process counts sign-in, registration "
            "and public-page attempts on its own, so with N workers each limit lets N times as many "
            "through. Set RATELIMIT_STORAGE_URI=redis://host:6379 when running more than one worker."
        )
