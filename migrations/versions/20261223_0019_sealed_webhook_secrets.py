"""Webhook secrets sealed at rest (outlet_audit/webhooks/sealing.py): each endpoint's secret,
kept as it was given, is encrypted with a key derived from SECRET_KEY. The column keeps its name
and size (a sealed secret is 93 characters). Going down unseals them again.

Revision ID: 0019
Revises: 0018
Create Date: 2026-12-23
"""

import sqlalchemy as sa
from alembic import op
from flask import current_app

revision = "0019"
down_revision = "0018"
branch_labels = None
depends_on = None

# As sealing.py seals them, written out here: a migration must not change when the code does.
SEALED_PREFIX = "siv1:"
_PURPOSE = b"outlet-audit webhook endpoint secrets, v1"

endpoints = sa.table("webhook_endpoints", sa.column("id", sa.Integer), sa.column("secret", sa.String))


def _cipher():
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.ciphers.aead import AESSIV
    from cryptography.hazmat.primitives.kdf.hkdf import HKDF

    secret_key = current_app.config["SECRET_KEY"]
    material = secret_key.encode() if isinstance(secret_key, str) else secret_key
    return AESSIV(HKDF(algorithm=hashes.SHA256(), length=64, salt=None, info=_PURPOSE).derive(material))


def _rewrite(change) -> None:
    connection = op.get_bind()
    for endpoint_id, stored in connection.execute(sa.select(endpoints.c.id, endpoints.c.secret)).all():
        new = change(stored)
        if new != stored:
            connection.execute(endpoints.update().where(endpoints.c.id == endpoint_id).values(secret=new))


def upgrade():
    import base64

    cipher = _cipher()

    def sealed(stored: str) -> str:
        if stored.startswith(SEALED_PREFIX):
            return stored
        text = base64.urlsafe_b64encode(cipher.encrypt(stored.encode(), None)).decode().rstrip("=")
        return SEALED_PREFIX + text

    _rewrite(sealed)


def downgrade():
    import base64

    cipher = _cipher()

    def plain(stored: str) -> str:
        if not stored.startswith(SEALED_PREFIX):
            return stored
        data = stored[len(SEALED_PREFIX) :]
        return cipher.decrypt(base64.urlsafe_b64decode(data + "=" * (-len(data) % 4)), None).decode()

    _rewrite(plain)
