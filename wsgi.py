"""Entry point for gunicorn and `flask`: `gunicorn wsgi:app`."""

from outlet_audit import create_app

app = create_app()
