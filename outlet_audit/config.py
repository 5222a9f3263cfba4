"""Configuration: one class per environment, values from the environment where they differ.

`OUTLET_AUDIT_ENV` chooses the class (development by default). Secrets never live in code:
`SECRET_KEY` comes from the environment; the embedded development default generates one once
and keeps it in the instance folder.
"""

import os
import secrets
from datetime import date
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent


class ConfigError(RuntimeError):
    """The configuration is unsafe or incomplete; the app refuses to start."""


def _env_int(name: str, default: int) -> int:
    return int(os.environ.get(name, default))


def _env_flag(name: str, default: bool) -> bool:
    value = os.environ.get(name, "").strip().lower()
    return default if not value else value in ("1", "true", "yes", "on")


def _env_choice(name: str, choices: tuple[str, ...], default: str) -> str:
    value = os.environ.get(name, "").strip().lower() or default
    if value not in choices:
        raise ConfigError(f"{name} must be one of {', '.join(choices)}, not {value!r}")
    return value


def _env_dates(name: str) -> tuple[date, ...]:
    """Days listed in the environment as ISO dates separated by commas or spaces."""
    text = os.environ.get(name, "").replace(",", " ")
    try:
        return tuple(date.fromisoformat(part) for part in text.split())
    except ValueError as error:
        raise ConfigError(f"{name} lists days as YYYY-MM-DD separated by commas: {error}") from None


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
    # Bounds on evidence (evidence/operations.py), in stored bytes; 0 switches one off. An application
    # has 15-40 items, a few photos each (stored at most 2560 px, about 1-2 MB) in the self-assessment
    # and the inspection, plus letters and rectification files: 512 MiB leaves room for that several
    # times over. An outlet account keeps about four applications' worth; any account may upload
    # 1 GiB a day, deleted uploads included.
    EVIDENCE_QUOTA_PER_APPLICATION = _env_int("EVIDENCE_QUOTA_PER_APPLICATION", 512 * 1024 * 1024)
    EVIDENCE_QUOTA_PER_ACCOUNT = _env_int("EVIDENCE_QUOTA_PER_ACCOUNT", 2 * 1024 * 1024 * 1024)
    EVIDENCE_UPLOAD_BYTES_PER_DAY = _env_int("EVIDENCE_UPLOAD_BYTES_PER_DAY", 1024 * 1024 * 1024)
    # Import files wait here between the dry run and the confirmation, outside the evidence store
    # and the backups; None: <instance>/import-staging.
    IMPORT_STAGING_DIR = os.environ.get("IMPORT_STAGING_DIR") or None

    CRITERIA_DIR = os.environ.get("CRITERIA_DIR", str(PROJECT_ROOT / "criteria"))
    # `flask criteria remind` tells the administrators this many days before the edition in use ends.
    CRITERIA_NOTICE_DAYS = _env_int("CRITERIA_NOTICE_DAYS", 30)
    PUBLIC_BASE_URL = os.environ.get("PUBLIC_BASE_URL", "http://127.0.0.1:5000")

    # Flask-Limiter (core/rate_limits.py). memory:// counts in each process apart: with several
    # gunicorn workers every worker allows the whole limit, so production wants Redis.
    RATELIMIT_STORAGE_URI = os.environ.get("RATELIMIT_STORAGE_URI", "memory://")
    RATELIMIT_KEY_PREFIX = os.environ.get("RATELIMIT_KEY_PREFIX", "outlet-audit")
    RATELIMIT_STRATEGY = "moving-window"  # a fixed window lets twice the limit through across its edge
    # Redis unreachable: count in this process and log it, rather than refuse every request.
    RATELIMIT_IN_MEMORY_FALLBACK_ENABLED = True
    RATELIMIT_SWALLOW_ERRORS = True
    # Per client address (IPv6: per /64). Sign-in counts failed attempts only; the further limits
    # are the growing waits an address meets as its failures pile up.
    RATELIMIT_LOGIN = os.environ.get("RATELIMIT_LOGIN", "10 per minute; 30 per hour; 100 per day")
    RATELIMIT_REGISTER = os.environ.get("RATELIMIT_REGISTER", "10 per hour; 30 per day")
    RATELIMIT_PUBLIC = os.environ.get("RATELIMIT_PUBLIC", "60 per minute; 1000 per hour")
    # Checking an uploaded PDF reads and verifies a file (about 20 ms): fewer, on top of the above.
    RATELIMIT_PDF_CHECK = os.environ.get("RATELIMIT_PDF_CHECK", "10 per minute; 100 per day")
    # Asking for a password reset link, and redeeming an invitation code, per address: every
    # request counts, since each one probes whether a name, an address or a code is known.
    RATELIMIT_ACCOUNT_RECOVERY = os.environ.get("RATELIMIT_ACCOUNT_RECOVERY", "10 per hour; 30 per day")
    # Public complaints (supervision/complaint_views.py), per address: complaints sent (typing errors
    # are free), and looking one up by its reference and code (every try counts: each one guesses).
    RATELIMIT_COMPLAINT = os.environ.get("RATELIMIT_COMPLAINT", "5 per hour; 10 per day")
    RATELIMIT_COMPLAINT_FOLLOW = os.environ.get("RATELIMIT_COMPLAINT_FOLLOW", "20 per hour; 50 per day")
    # The read API (outlet_audit/api): per token, and per address without a token (wrong tokens too).
    RATELIMIT_API = os.environ.get("RATELIMIT_API", "600 per minute")
    RATELIMIT_API_ANONYMOUS = os.environ.get("RATELIMIT_API_ANONYMOUS", "60 per minute; 1000 per hour")
    # Per account (accounts/throttle.py): after this many failed sign-ins in a row, each further
    # attempt waits BASE seconds, doubling with every failure, at most MAX; the wait ends by itself.
    LOGIN_THROTTLE_AFTER_FAILURES = _env_int("LOGIN_THROTTLE_AFTER_FAILURES", 5)
    LOGIN_THROTTLE_BASE_SECONDS = _env_int("LOGIN_THROTTLE_BASE_SECONDS", 15)
    LOGIN_THROTTLE_MAX_SECONDS = _env_int("LOGIN_THROTTLE_MAX_SECONDS", 900)
    # A password reset link works once, for this long (accounts/recovery.py); one account is mailed
    # a link at most once in PASSWORD_RESET_RESEND_SECONDS, whoever asks how often.
    PASSWORD_RESET_MAX_AGE_SECONDS = _env_int("PASSWORD_RESET_MAX_AGE_SECONDS", 3600)
    PASSWORD_RESET_RESEND_SECONDS = _env_int("PASSWORD_RESET_RESEND_SECONDS", 120)
    # An invitation's one-time code works this long; sending it again gives a new code and term.
    INVITATION_MAX_AGE_DAYS = _env_int("INVITATION_MAX_AGE_DAYS", 30)
    # Bureau, city bureau and administrator accounts (which can revoke certificates and manage
    # accounts) must sign in with a second factor, an authenticator app's code (accounts/two_factor.py):
    # on in production unless TWO_FACTOR_REQUIRED=0, off elsewhere unless TWO_FACTOR_REQUIRED=1.
    TWO_FACTOR_REQUIRED = _env_flag("TWO_FACTOR_REQUIRED", False)
    TWO_FACTOR_ISSUER = os.environ.get("TWO_FACTOR_ISSUER", "无废快递网点")
    # Single sign-on with an OpenID Connect provider (accounts/oidc.py), e.g. the government's
    # unified login: off while OIDC_ISSUER is empty. The issuer's discovery document gives the rest.
    OIDC_ISSUER = os.environ.get("OIDC_ISSUER", "").rstrip("/")
    OIDC_CLIENT_ID = os.environ.get("OIDC_CLIENT_ID", "")
    OIDC_CLIENT_SECRET = os.environ.get("OIDC_CLIENT_SECRET", "")
    OIDC_SCOPES = os.environ.get("OIDC_SCOPES", "openid")
    OIDC_PROVIDER_NAME = os.environ.get("OIDC_PROVIDER_NAME", "")  # the button's name; empty: a general one
    # `amr` or `acr` values by which the provider says the person passed a second factor with it;
    # then our own code is not asked again. Empty (the default): an account with a code still types it.
    OIDC_MFA_VALUES = os.environ.get("OIDC_MFA_VALUES", "")
    OIDC_TIMEOUT = _env_int("OIDC_TIMEOUT", 10)  # seconds for each call to the provider
    # E-mail addresses at example.com, *.test and the like: accepted in development and tests only.
    EMAIL_ALLOW_TEST_DOMAINS = False
    PASSWORD_HASH_METHOD = "scrypt"  # noqa: S105 - a hashing method

    # Background jobs (jobs/): mail, notices to many people, reminders, dashboard refreshes, large
    # exports. With a Redis URL they go to Redis and `flask jobs worker` runs them (RQ); the shared
    # rate-limit Redis is used when JOBS_REDIS_URL is not set. Without Redis (the embedded SQLite
    # default) a thread in the app process runs them, and what is waiting is lost on a restart.
    JOBS_REDIS_URL = os.environ.get("JOBS_REDIS_URL") or (
        os.environ.get("RATELIMIT_STORAGE_URI", "")
        if os.environ.get("RATELIMIT_STORAGE_URI", "").startswith(("redis://", "rediss://", "unix://"))
        else ""
    )
    JOBS_QUEUE = os.environ.get("JOBS_QUEUE", "outlet-audit")  # the RQ queue's name (and key prefix)
    JOBS_TIMEOUT_SECONDS = _env_int("JOBS_TIMEOUT_SECONDS", 600)  # one try of one job, at most
    JOBS_FAILED_KEEP_DAYS = _env_int("JOBS_FAILED_KEEP_DAYS", 30)  # on the dead-letter page
    # Reminders, dashboard refreshes and the clean-up of expired exports, by the queue (jobs/periodic.py).
    JOBS_PERIODIC = _env_flag("JOBS_PERIODIC", True)
    # Without Redis, who sends the periodic jobs: only the development server (`make run`), one
    # process. Never a production app (each gunicorn worker would send every run again: run
    # `flask jobs worker` there) nor an app a test or a script makes, whose thread would outlive it
    # and work on whatever database session the process holds then.
    JOBS_SCHEDULE_IN_APP = False
    # A notice to more people than this is written by a job after the commit, not in the request.
    NOTIFY_INLINE_USERS = _env_int("NOTIFY_INLINE_USERS", 50)
    # Exports of more rows than this are built by a job and fetched later from 我的导出 (My exports),
    # kept EXPORT_KEEP_HOURS; EXPORT_DIR None: <instance>/exports.
    EXPORT_INLINE_ROWS = _env_int("EXPORT_INLINE_ROWS", 5000)
    EXPORT_KEEP_HOURS = _env_int("EXPORT_KEEP_HOURS", 24)
    EXPORT_DIR = os.environ.get("EXPORT_DIR") or None

    MAIL_SERVER = os.environ.get("MAIL_SERVER", "")
    MAIL_PORT = _env_int("MAIL_PORT", 25)
    MAIL_SENDER = os.environ.get("MAIL_SENDER", "no-reply@outlet-audit.local")
    # Seconds each SMTP step may take before a try is given up (and logged); mail is sent after the
    # commit by a job (notifications/mailer.py), so it never holds a request, and retried.
    MAIL_TIMEOUT = _env_int("MAIL_TIMEOUT", 5)

    PAGE_SIZE = 20

    # The processing time limit (办理时限, workflow/deadlines.py) the bureau's queue warns about:
    # a decision within PROCESSING_DAYS of submission, counted in working days as administrative
    # law counts them (or "calendar" days), not counting the time the outlet takes to rectify.
    # Working days leave out weekends and PUBLIC_HOLIDAYS, and count MAKEUP_WORKDAYS (weekend days
    # worked instead, 调休): add each year's State Council holiday schedule, else holidays count as
    # working days and the warnings come early. Due soon: PROCESSING_DUE_SOON_DAYS or fewer left.
    PROCESSING_DAYS = _env_int("PROCESSING_DAYS", 20)
    PROCESSING_DAYS_KIND = _env_choice("PROCESSING_DAYS_KIND", ("working", "calendar"), "working")
    PROCESSING_DUE_SOON_DAYS = _env_int("PROCESSING_DUE_SOON_DAYS", 5)
    PUBLIC_HOLIDAYS = _env_dates("PUBLIC_HOLIDAYS")
    MAKEUP_WORKDAYS = _env_dates("MAKEUP_WORKDAYS")
    # The outlet's time to state its case against an intended revocation (陈述申辩, supervision/
    # revocation_cases.py): counted in working days from the day after the notice, with the same
    # holidays as PROCESSING_DAYS. Five working days, as the market regulators' procedure gives
    # (市场监督管理行政处罚程序规定: 五个工作日); the issuer may give a later date, never an earlier one.
    REVOCATION_STATEMENT_DAYS = _env_int("REVOCATION_STATEMENT_DAYS", 5)
    # An outlet may apply to renew a certificate from this many days before it expires until its
    # last valid day (certificates/state.py), when the first expiry reminder invites it to.
    RENEWAL_WINDOW_DAYS = _env_int("RENEWAL_WINDOW_DAYS", 90)
    # Public complaints: at most this many a day about one outlet, from all addresses together (0: no
    # bound); one the district bureau has not triaged within COMPLAINT_TRIAGE_DAYS is marked overdue.
    COMPLAINTS_PER_OUTLET_PER_DAY = _env_int("COMPLAINTS_PER_OUTLET_PER_DAY", 20)
    COMPLAINT_TRIAGE_DAYS = _env_int("COMPLAINT_TRIAGE_DAYS", 7)

    # The bureau dashboard serves stored figures younger than this (dashboards/snapshots.py);
    # 0 computes them on every request and stores nothing.
    DASHBOARD_SNAPSHOT_SECONDS = _env_int("DASHBOARD_SNAPSHOT_SECONDS", 300)

    # After this many requests (and ten and a hundred times as many) a worker sets the objects it
    # keeps for good aside from the garbage collector (core/collector.py); 0: never.
    GC_FREEZE_AFTER_REQUESTS = _env_int("GC_FREEZE_AFTER_REQUESTS", 100)

    # Issued certificates and signed-off reports are rendered once and kept (pdf/cache.py);
    # None: <instance>/pdf-cache. 0 bytes renders every download and keeps nothing.
    PDF_CACHE_DIR = os.environ.get("PDF_CACHE_DIR") or None
    PDF_CACHE_MAX_BYTES = _env_int("PDF_CACHE_MAX_BYTES", 512 * 1024 * 1024)

    # Each issuing organisation's signing key and certificate, and the trust roots
    # (certificates/signing/__init__.py describes the files); None: <instance>/signing.
    SIGNING_DIR = os.environ.get("SIGNING_DIR") or None
    SIGNING_KEY_PASSPHRASE = os.environ.get("SIGNING_KEY_PASSPHRASE", "")  # for encrypted key files
    # A PDF checked on the public verification page: a certificate is about 20 KB.
    VERIFY_PDF_MAX_BYTES = _env_int("VERIFY_PDF_MAX_BYTES", 2 * 1024 * 1024)
    # Webhooks (outlet_audit/webhooks): each POST's timeout, and whether endpoints may be on private,
    # loopback or link-local addresses (off: the server's own network is out of reach, SSRF).
    WEBHOOK_TIMEOUT_SECONDS = float(os.environ.get("WEBHOOK_TIMEOUT_SECONDS", "5"))
    WEBHOOK_ALLOW_PRIVATE_HOSTS = _env_flag("WEBHOOK_ALLOW_PRIVATE_HOSTS", False)


class DevelopmentConfig(BaseConfig):
    ENV_NAME = "development"
    EMAIL_ALLOW_TEST_DOMAINS = True
    DEBUG = False  # the Werkzeug debugger is never switched on by default; set FLASK_DEBUG=1 yourself
    JOBS_SCHEDULE_IN_APP = True  # `make run`: one process, no Redis, and still the reminders on time


class TestingConfig(BaseConfig):
    ENV_NAME = "testing"
    TESTING = True
    LOAD_DEMO_DATA = False
    RATELIMIT_LOGIN = "1000 per minute"
    RATELIMIT_REGISTER = "1000 per minute"
    RATELIMIT_PUBLIC = "1000 per minute"
    RATELIMIT_PDF_CHECK = "1000 per minute"
    RATELIMIT_ACCOUNT_RECOVERY = "1000 per minute"
    RATELIMIT_COMPLAINT = "1000 per minute"
    RATELIMIT_COMPLAINT_FOLLOW = "1000 per minute"
    RATELIMIT_API = "1000 per minute"
    RATELIMIT_API_ANONYMOUS = "1000 per minute"
    RATELIMIT_SWALLOW_ERRORS = False  # a limiter fault fails the test instead of passing unlimited
    EMAIL_ALLOW_TEST_DOMAINS = True
    WTF_CSRF_ENABLED = False  # tests/web/test_csrf.py switches it back on and proves every form needs it
    PASSWORD_HASH_METHOD = "pbkdf2:sha256:1000"  # noqa: S105 - a hashing method  # fast for tests; production uses scrypt
    DASHBOARD_SNAPSHOT_SECONDS = 0  # live figures; tests/web/test_dashboard_snapshots.py turns snapshots on
    GC_FREEZE_AFTER_REQUESTS = 0  # a test process builds hundreds of apps (tests/web/test_collector.py)
    JOBS_REDIS_URL = ""  # jobs run in-process; tests/jobs_helpers.py gives a test a real Redis
    JOBS_PERIODIC = False
    WEBHOOK_ALLOW_PRIVATE_HOSTS = True  # test receivers listen on 127.0.0.1; tests/webhooks switch it off
    SERVER_NAME = None


class ProductionConfig(BaseConfig):
    ENV_NAME = "production"
    LOAD_DEMO_DATA = False
    SESSION_COOKIE_SECURE = True
    REMEMBER_COOKIE_SECURE = True
    PREFERRED_URL_SCHEME = "https"
    SESSION_COOKIE_NAME = "__Host-session"
    TWO_FACTOR_REQUIRED = _env_flag("TWO_FACTOR_REQUIRED", True)


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


def resolve_secret_key_fallbacks() -> list[str]:
    """Earlier SECRET_KEYs, comma-separated in SECRET_KEY_FALLBACKS, while a rotation settles: Flask
    still reads sessions signed with them and webhook secrets sealed with them unseal."""
    return [key.strip() for key in os.environ.get("SECRET_KEY_FALLBACKS", "").split(",") if key.strip()]


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
