"""Configuration: one class per environment, values from the environment where they differ.

`OUTLET_AUDIT_ENV` chooses the class (development by default). Secrets never live in code:
`SECRET_KEY` comes from the environment; the embedded development default generates one once
and keeps it in the instance folder.
"""

import os
import secrets
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent


class ConfigError(RuntimeError):
    """The configuration is unsafe or incomplete; the app refuses to start."""


def _env_int(name: str, default: int) -> int:
    return int(os.environ.get(name, default))


class BaseConfig:
    ENV_NAME = "base"
    DEBUG = False
    TESTING = False
    LOAD_DEMO_DATA = True

    SQLALCHEMY_ENGINE_OPTIONS: dict = {"pool_pre_ping": True}
    SQLALCHEMY_RECORD_QUERIES = False

    # Babel reads zh_CN as zh_Hans_CN, so the catalog lives in translations/zh_Hans_CN.
    BABEL_DEFAULT_LOCALE = "zh_CN"
    BABEL_DEFAULT_TIMEZONE = "Asia/Shanghai"
    LANGUAGES = {"zh_CN": "简体中文", "en": "English"}

    BOOTSTRAP_SERVE_LOCAL = True
    WTF_CSRF_TIME_LIMIT = 8 * 3600  # an inspector's site visit can last a working day

    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    REMEMBER_COOKIE_HTTPONLY = True
    REMEMBER_COOKIE_SAMESITE = "Lax"
    PERMANENT_SESSION_LIFETIME = 12 * 3600

    MAX_CONTENT_LENGTH = 12 * 1024 * 1024  # request cap; each upload is checked against UPLOAD_MAX_BYTES
    UPLOAD_MAX_BYTES = _env_int("UPLOAD_MAX_BYTES", 10 * 1024 * 1024)

    CRITERIA_DIR = os.environ.get("CRITERIA_DIR", str(PROJECT_ROOT / "criteria"))
    PUBLIC_BASE_URL = os.environ.get("PUBLIC_BASE_URL", "http://127.0.0.1:5000")

    RATELIMIT_STORAGE_URI = os.environ.get("RATELIMIT_STORAGE_URI", "memory://")
    RATELIMIT_LOGIN = os.environ.get("RATELIMIT_LOGIN", "20 per minute")
    LOGIN_LOCK_AFTER_FAILURES = _env_int("LOGIN_LOCK_AFTER_FAILURES", 10)
    PASSWORD_HASH_METHOD = "scrypt"  # noqa: S105 - a hashing method

    MAIL_SERVER = os.environ.get("MAIL_SERVER", "")
    MAIL_PORT = _env_int("MAIL_PORT", 25)
    MAIL_SENDER = os.environ.get("MAIL_SENDER", "no-reply@outlet-audit.local")

    PAGE_SIZE = 20

    # The bureau dashboard serves stored figures younger than this (dashboards/snapshots.py);
    # 0 computes them on every request and stores nothing.
    DASHBOARD_SNAPSHOT_SECONDS = _env_int("DASHBOARD_SNAPSHOT_SECONDS", 300)

    # Issued certificates and signed-off reports are rendered once and kept (certificates/pdf_cache.py);
    # None: <instance>/pdf-cache. 0 bytes renders every download and keeps nothing.
    PDF_CACHE_DIR = os.environ.get("PDF_CACHE_DIR") or None
    PDF_CACHE_MAX_BYTES = _env_int("PDF_CACHE_MAX_BYTES", 512 * 1024 * 1024)


class DevelopmentConfig(BaseConfig):
    ENV_NAME = "development"
    DEBUG = False  # the Werkzeug debugger is never switched on by default; set FLASK_DEBUG=1 yourself


class TestingConfig(BaseConfig):
    ENV_NAME = "testing"
    TESTING = True
    LOAD_DEMO_DATA = False
    RATELIMIT_LOGIN = "1000 per minute"
    WTF_CSRF_ENABLED = False  # tests/web/test_csrf.py switches it back on and proves every form needs it
    PASSWORD_HASH_METHOD = "pbkdf2:sha256:1000"  # noqa: S105 - a hashing method  # fast for tests; production uses scrypt
    DASHBOARD_SNAPSHOT_SECONDS = 0  # live figures; tests/web/test_dashboard_snapshots.py turns snapshots on
    SERVER_NAME = None


class ProductionConfig(BaseConfig):
    ENV_NAME = "production"
    LOAD_DEMO_DATA = False
    SESSION_COOKIE_SECURE = True
    REMEMBER_COOKIE_SECURE = True
    PREFERRED_URL_SCHEME = "https"
    SESSION_COOKIE_NAME = "__Host-session"


CONFIGS = {
    "development": DevelopmentConfig,
    "testing": TestingConfig,
    "production": ProductionConfig,
}


def resolve_secret_key(config_name: str, instance_path: Path) -> str:
    """Return SECRET_KEY from the environment, or a key kept in the instance folder outside production."""
    key = os.environ.get("SECRET_KEY", "")
    if key:
        if config_name == "production" and len(key) < 32:
            raise ConfigError("SECRET_KEY must be at least 32 characters in production")
        return key
    if config_name == "production":
        raise ConfigError("SECRET_KEY is not set; production refuses to start without one")
    key_file = instance_path / "secret_key"
    if not key_file.exists():
        instance_path.mkdir(parents=True, exist_ok=True)
        fd = os.open(key_file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as f:
            f.write(secrets.token_hex(32))
    return key_file.read_text().strip()


def resolve_database_url(config_name: str, instance_path: Path) -> str:
    url = os.environ.get("DATABASE_URL", "")
    if url.startswith("postgres://"):  # the form many hosts hand out; SQLAlchemy wants the dialect named
        url = "postgresql+psycopg://" + url.removeprefix("postgres://")
    elif url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url.removeprefix("postgresql://")
    if url:
        return url
    if config_name == "production":
        raise ConfigError("DATABASE_URL is not set; production runs on PostgreSQL")
    return f"sqlite:///{instance_path / 'outlet_audit.sqlite3'}"
