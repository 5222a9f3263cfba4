"""A self-signed development chain: a root CA and one signing certificate per organisation.

For `make run`, the tests and benchmarks only. Every name in it says "development"; a file
signed with it proves nothing to anyone outside this installation. EC P-256 keys: quick to make
and to sign with. The root's key is kept beside it (root.key.pem), so organisations added later
get their certificate from the same root; a folder whose root has no key there is a real chain
and is never touched.
"""

import datetime
import os
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from outlet_audit.certificates.signing.keys import DEV_ROOT_KEY_FILE, ROOTS_FILE, key_paths

DEV_ORGANISATION = "outlet-audit development chain (not for production)"
ROOT_NAME = "开发用根证书 Development root CA (not for production)"
ROOT_DAYS = 20 * 365
SIGNER_DAYS = 10 * 365  # longer than any certificate is valid, so dev signatures stay checkable
NOTICE_FILE = "DEVELOPMENT-CHAIN.txt"
NOTICE = (
    "This folder holds a DEVELOPMENT signing chain made by `flask signing dev-chain`.\n"
    "Its root is self-signed and its keys lie unprotected here: signatures made with it prove\n"
    "nothing outside this installation. Never use it in production; install the issuing\n"
    "organisations' real keys and certificates instead (README, production).\n"
)
KEY_MODE = 0o600


class NotADevelopmentChain(Exception):
    """The folder holds a chain whose root key is not here: a real one, left alone."""


@dataclass(frozen=True)
class DevOrganisation:
    code: str
    name: str


@dataclass
class DevChainResult:
    root_created: bool = False
    created: list[str] = field(default_factory=list)  # organisation codes given a certificate now
    kept: list[str] = field(default_factory=list)


def write_dev_chain(folder: Path, organisations: Iterable[DevOrganisation]) -> DevChainResult:
    """Make the root (once) and a key and certificate for each organisation that has none."""
    folder.mkdir(parents=True, exist_ok=True)
    result = DevChainResult()
    root_cert_path, root_key_path = folder / ROOTS_FILE, folder / DEV_ROOT_KEY_FILE
    if root_cert_path.exists() and not root_key_path.exists():
        raise NotADevelopmentChain(f"{root_cert_path} has no development root key beside it")
    if root_cert_path.exists():
        root_key = serialization.load_pem_private_key(root_key_path.read_bytes(), password=None)
        root = x509.load_pem_x509_certificate(root_cert_path.read_bytes())
    else:
        root_key, root = _make_root()
        _write(root_key_path, _key_pem(root_key), KEY_MODE)
        _write(root_cert_path, root.public_bytes(serialization.Encoding.PEM))
        (folder / NOTICE_FILE).write_text(NOTICE, encoding="utf-8")
        result.root_created = True
    for organisation in organisations:
        key_path, cert_path = key_paths(folder, organisation.code)
        # Signers of an older root would not chain to this one: made again with the root.
        if not result.root_created and key_path.exists() and cert_path.exists():
            result.kept.append(organisation.code)
            continue
        key, certificate = _make_signer(organisation, root_key, root)
        _write(key_path, _key_pem(key), KEY_MODE)
        _write(cert_path, certificate.public_bytes(serialization.Encoding.PEM))
        result.created.append(organisation.code)
    return result


def _make_root() -> tuple[ec.EllipticCurvePrivateKey, x509.Certificate]:
    key = ec.generate_private_key(ec.SECP256R1())
    name = _name(ROOT_NAME)
    certificate = (
        _builder(name, name, key.public_key(), ROOT_DAYS)
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(_key_usage(key_cert_sign=True, crl_sign=True), critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .sign(key, hashes.SHA256())
    )
    return key, certificate


def _make_signer(organisation: DevOrganisation, root_key, root: x509.Certificate):
    key = ec.generate_private_key(ec.SECP256R1())
    subject = _name(organisation.name, unit=organisation.code)
    certificate = (
        _builder(subject, root.subject, key.public_key(), SIGNER_DAYS)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(_key_usage(digital_signature=True, content_commitment=True), critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(root_key.public_key()), critical=False
        )
        .sign(root_key, hashes.SHA256())
    )
    return key, certificate


def _name(common_name: str, unit: str | None = None) -> x509.Name:
    attributes = [
        x509.NameAttribute(NameOID.COUNTRY_NAME, "CN"),
        x509.NameAttribute(NameOID.ORGANIZATION_NAME, DEV_ORGANISATION),
    ]
    if unit:
        attributes.append(x509.NameAttribute(NameOID.ORGANIZATIONAL_UNIT_NAME, unit))
    attributes.append(x509.NameAttribute(NameOID.COMMON_NAME, common_name))
    return x509.Name(attributes)


def _builder(subject, issuer, public_key, days: int) -> x509.CertificateBuilder:
    now = datetime.datetime.now(datetime.UTC)
    return (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(issuer)
        .public_key(public_key)
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(days=1))  # a clock a little behind still accepts it
        .not_valid_after(now + datetime.timedelta(days=days))
    )


def _key_usage(**usages: bool) -> x509.KeyUsage:
    names = (
        "digital_signature",
        "content_commitment",
        "key_encipherment",
        "data_encipherment",
        "key_agreement",
        "key_cert_sign",
        "crl_sign",
        "encipher_only",
        "decipher_only",
    )
    return x509.KeyUsage(**{name: usages.get(name, False) for name in names})


def _key_pem(key) -> bytes:
    return key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )


def _write(path: Path, data: bytes, mode: int = 0o644) -> None:
    """Write whole or not at all, with its mode from the start (a key is never readable by others)."""
    temporary = path.with_name(f".{path.name}.incoming")
    descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, mode)
    with os.fdopen(descriptor, "wb") as file:
        file.write(data)
    os.chmod(temporary, mode)  # a leftover temporary file keeps its old mode through O_CREAT
    os.replace(temporary, path)
