"""Webhook secrets sealed at rest: a copy of the database or of a backup does not give anyone the
secrets that sign our deliveries (a receiver trusts whoever holds them).

A secret must be read back to sign (an HMAC needs the secret itself, a hash would not do), so it is
encrypted with a key derived from the application's SECRET_KEY, which lives in the environment, not
in the database. AES-SIV: authenticated, and deterministic, so sealing the same secret twice gives
the same text (a migration down and up again leaves the row as it was); each secret is random and
used once, so equal texts reveal nothing. SECRET_KEY_FALLBACKS (Flask's list of earlier keys) still
unseal after SECRET_KEY is rotated; rotating an endpoint's secret seals it with the new key.
"""

import base64

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESSIV
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from flask import current_app

SEALED_PREFIX = "siv1:"
_PURPOSE = b"outlet-audit webhook endpoint secrets, v1"


class UnsealableSecret(Exception):
    """Sealed with a key that is neither SECRET_KEY nor one of SECRET_KEY_FALLBACKS."""


def _cipher(secret_key: str | bytes) -> AESSIV:
    material = secret_key.encode() if isinstance(secret_key, str) else secret_key
    key = HKDF(algorithm=hashes.SHA256(), length=64, salt=None, info=_PURPOSE).derive(material)
    return AESSIV(key)


def seal(secret: str, secret_key: str | bytes | None = None) -> str:
    sealed = _cipher(secret_key or current_app.config["SECRET_KEY"]).encrypt(secret.encode(), None)
    return SEALED_PREFIX + base64.urlsafe_b64encode(sealed).decode().rstrip("=")


def unseal(stored: str, secret_keys: list | None = None) -> str:
    """The secret of a sealed text; a text written before sealing (no prefix) is the secret itself."""
    if not stored.startswith(SEALED_PREFIX):
        return stored
    data = stored[len(SEALED_PREFIX) :]
    sealed = base64.urlsafe_b64decode(data + "=" * (-len(data) % 4))
    if secret_keys is None:
        config = current_app.config
        secret_keys = [config["SECRET_KEY"], *(config.get("SECRET_KEY_FALLBACKS") or [])]
    for key in secret_keys:
        try:
            return _cipher(key).decrypt(sealed, None).decode()
        except InvalidTag:
            continue
    raise UnsealableSecret("a webhook secret sealed with a key this application no longer has")
