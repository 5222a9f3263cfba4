"""Reading the signing folder: each organisation's key and certificate, and the trust roots.

Files are read at each use (a handful of small PEM files; signing happens at issue and on the
rare download of a certificate no longer in force), so keys replaced on disk take effect at once.
"""

import logging
import os
from dataclasses import dataclass
from pathlib import Path

from asn1crypto import keys as asn1_keys
from asn1crypto import x509 as asn1_x509
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from flask import current_app

from outlet_audit.text import N_, Message, Refused

log = logging.getLogger(__name__)

ROOTS_FILE = "root.cert.pem"
CHAIN_FILE = "chain.pem"
DEV_ROOT_KEY_FILE = "root.key.pem"


class SigningUnavailable(Refused):
    """An organisation's signing key or the trust roots are not configured or cannot be read."""


@dataclass(frozen=True)
class SigningKey:
    """What signs for one organisation: its key, its certificate and the CA certificates above it."""

    code: str
    key: asn1_keys.PrivateKeyInfo
    certificate: asn1_x509.Certificate
    chain: tuple[asn1_x509.Certificate, ...]
    subject: str  # RFC 4514, as CertificateDocument.signer keeps it


@dataclass(frozen=True)
class TrustStore:
    roots: tuple[asn1_x509.Certificate, ...]
    intermediates: tuple[asn1_x509.Certificate, ...]
    version: tuple  # changes whenever the files change: results checked against them can be kept


def signing_dir(app=None) -> Path:
    app = app or current_app
    configured = app.config.get("SIGNING_DIR")
    return Path(configured) if configured else Path(app.instance_path) / "signing"


def warn_about_signing_folder(app) -> None:
    """Say at start, in production, when certificates cannot be signed or only with a development chain."""
    roots = signing_dir(app) / ROOTS_FILE
    if not roots.is_file():
        app.logger.warning(
            "%s is missing: no certificate can be issued or checked (README, production)", roots
        )
    elif (roots.parent / DEV_ROOT_KEY_FILE).exists():
        app.logger.warning(
            "%s is a DEVELOPMENT signing chain (flask signing dev-chain): certificates signed with it "
            "prove nothing to anyone; install the organisations' real keys (README, production)",
            roots.parent,
        )


def key_paths(folder: Path, code: str) -> tuple[Path, Path]:
    return folder / f"{code}.key.pem", folder / f"{code}.cert.pem"


def signing_key(organisation) -> SigningKey:
    """The organisation's key and certificate, or SigningUnavailable saying what is missing."""
    folder = signing_dir()
    key_path, cert_path = key_paths(folder, organisation.code)
    if not key_path.is_file() or not cert_path.is_file():
        log.error(
            "no signing key for %s (%s): expected %s and %s",
            organisation.code,
            organisation.name_zh,
            key_path,
            cert_path,
        )
        raise SigningUnavailable(
            Message(
                N_(
                    "No signing key is configured for %(organisation)s, so its certificates cannot be "
                    "issued or signed. An administrator must install its key and certificate "
                    "(%(code)s.key.pem and %(code)s.cert.pem in the signing folder)."
                ),
                {"organisation": organisation.name_zh, "code": organisation.code},
            )
        )
    try:
        certificate = x509.load_pem_x509_certificate(cert_path.read_bytes())
        private_key = serialization.load_pem_private_key(key_path.read_bytes(), password=_passphrase())
        chain = _read_certificates(folder / CHAIN_FILE) + _read_certificates(folder / ROOTS_FILE)
    except (OSError, ValueError, TypeError) as error:
        log.error("the signing key of %s cannot be read: %s", organisation.code, error)
        raise SigningUnavailable(
            Message(
                N_(
                    "The signing key of %(organisation)s cannot be read, so its certificates cannot be "
                    "issued or signed. An administrator must check %(code)s.key.pem and %(code)s.cert.pem."
                ),
                {"organisation": organisation.name_zh, "code": organisation.code},
            )
        ) from error
    der_key = private_key.private_bytes(
        serialization.Encoding.DER, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    return SigningKey(
        code=organisation.code,
        key=asn1_keys.PrivateKeyInfo.load(der_key),
        certificate=_asn1(certificate),
        chain=tuple(_asn1(c) for c in chain),
        subject=certificate.subject.rfc4514_string(),
    )


def trust_store() -> TrustStore:
    """The roots a signature must chain to; SigningUnavailable when there are none."""
    folder = signing_dir()
    roots_path, chain_path = folder / ROOTS_FILE, folder / CHAIN_FILE
    try:
        roots = _read_certificates(roots_path)
        intermediates = _read_certificates(chain_path)
    except (OSError, ValueError) as error:
        log.error("the trust roots in %s cannot be read: %s", folder, error)
        roots = []
    if not roots:
        # Never an empty list: pyHanko would then trust the operating system's TLS roots.
        raise SigningUnavailable(Message(N_("Signatures cannot be checked here at the moment.")))
    return TrustStore(
        roots=tuple(_asn1(c) for c in roots),
        intermediates=tuple(_asn1(c) for c in intermediates),
        version=(_stamp(roots_path), _stamp(chain_path)),
    )


def common_name(subject: str) -> str:
    """The CN of an RFC 4514 subject (the organisation's name in our certificates), else the whole."""
    try:
        names = x509.Name.from_rfc4514_string(subject).get_attributes_for_oid(x509.NameOID.COMMON_NAME)
    except ValueError:
        return subject
    return str(names[0].value) if names else subject


def _read_certificates(path: Path) -> list[x509.Certificate]:
    if not path.is_file():
        return []
    return x509.load_pem_x509_certificates(path.read_bytes())


def _asn1(certificate: x509.Certificate) -> asn1_x509.Certificate:
    return asn1_x509.Certificate.load(certificate.public_bytes(serialization.Encoding.DER))


def _passphrase() -> bytes | None:
    passphrase = current_app.config.get("SIGNING_KEY_PASSPHRASE")
    return passphrase.encode() if passphrase else None


def _stamp(path: Path) -> tuple:
    try:
        stat = os.stat(path)
    except OSError:
        return (str(path), None)
    return (str(path), stat.st_mtime_ns, stat.st_size)
