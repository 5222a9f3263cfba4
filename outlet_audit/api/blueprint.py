"""The API's one blueprint: the /api/v1 endpoints (views.py) and the token page (token_views.py)."""

from flask import Blueprint

bp = Blueprint("api", __name__)
