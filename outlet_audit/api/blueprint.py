"""The API's one blueprint: the /api/v1 endpoints (views.py) and the token page (token_views.py)."""

import os

from flask import Blueprint

from outlet_audit.api.auth import DEFAULT_ANONYMOUS_LIMIT, DEFAULT_TOKEN_LIMIT

bp = Blueprint("api", __name__)


@bp.record_once
def _configure(state) -> None:
    """RATELIMIT_API (per token) and RATELIMIT_API_ANONYMOUS (per address), from the environment."""
    config = state.app.config
    config.setdefault("RATELIMIT_API", os.environ.get("RATELIMIT_API", DEFAULT_TOKEN_LIMIT))
    config.setdefault(
        "RATELIMIT_API_ANONYMOUS", os.environ.get("RATELIMIT_API_ANONYMOUS", DEFAULT_ANONYMOUS_LIMIT)
    )
