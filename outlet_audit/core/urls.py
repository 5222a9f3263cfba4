"""Links that work inside and outside a request (CLI commands and background work send notifications too)."""

from flask import current_app


def path_for(endpoint: str, **values) -> str:
    """The site-relative path of an endpoint, without needing a request or SERVER_NAME."""
    return current_app.url_map.bind("localhost").build(endpoint, values)
