"""Extension objects, created unbound and initialised in the application factory."""

import ipaddress

from flask import current_app, g, has_request_context, request
from flask_babel import Babel
from flask_bootstrap import Bootstrap5
from flask_limiter import Limiter
from flask_login import LoginManager
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy
from flask_wtf.csrf import CSRFProtect
from sqlalchemy import MetaData, event
from sqlalchemy.engine import Engine
from sqlalchemy.orm import DeclarativeBase

# Stable constraint names, so migrations can drop and alter them on every database.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


def sql_values(values) -> str:
    """A quoted, comma-separated list of known constants for a CHECK constraint's IN (...)."""
    return ", ".join(f"'{value}'" for value in values)


def client_network() -> str:
    """The client as rate limits count it: its IPv4 address, or the /64 network of an IPv6 one
    (a single customer is handed a whole /64 and can use every address in it)."""
    address = request.remote_addr or ""
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return address or "unknown"
    if ip.version == 6:
        if ip.ipv4_mapped is not None:
            return str(ip.ipv4_mapped)
        return str(ipaddress.ip_network(f"{ip}/64", strict=False))
    return str(ip)


db = SQLAlchemy(model_class=Base)
migrate = Migrate()
login_manager = LoginManager()
csrf = CSRFProtect()
babel = Babel()
bootstrap = Bootstrap5()
limiter = Limiter(key_func=client_network)


@event.listens_for(Engine, "connect")
def _sqlite_pragmas(dbapi_connection, _record):
    """Make SQLite enforce foreign keys and let SQLAlchemy, not pysqlite, manage transactions."""
    if type(dbapi_connection).__module__ != "sqlite3":
        return
    dbapi_connection.isolation_level = None  # pysqlite's own BEGIN handling breaks SAVEPOINT
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=5000")
    cursor.execute("PRAGMA journal_mode=WAL")  # readers never wait for the writer (gunicorn workers)
    cursor.close()


SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
WRITES_ON_GET = "_writes_on_get"
_VIEW_RUNNING = "_oa_view_running"
_WRITE_STATEMENTS = frozenset({"INSERT", "UPDATE", "DELETE"})


class UndeclaredWrite(RuntimeError):
    """A GET view wrote without being declared `writes_on_get` (raised under TESTING only)."""


def writes_on_get(view):
    """Declare a GET view that writes: a cache kept, a record made on the first visit, a sign-in
    that arrives by redirect, a token's last use. It is a writing request like a POST: on SQLite
    its transaction takes the write lock up front and waits its turn, where a transaction that read
    first is refused at once ("database is locked", a 500) when another request wrote meanwhile."""
    setattr(view, WRITES_ON_GET, True)
    return view


def writing_request() -> bool:
    """Inside a request that may write: any method but GET, HEAD and OPTIONS, or a view
    declared `writes_on_get`."""
    if not has_request_context():
        return False
    if request.method not in SAFE_METHODS:
        return True
    view = current_app.view_functions.get(request.endpoint) if request.endpoint else None
    return getattr(view, WRITES_ON_GET, False)


def mark_view_running() -> None:
    """Before each request the app dispatches (not a context pushed by code or tests)."""
    g.setdefault(_VIEW_RUNNING, True)


@event.listens_for(Engine, "before_cursor_execute")
def _no_undeclared_writes_on_get(_conn, _cursor, statement, *_args):
    """Every GET that writes is declared: refused under TESTING (so a test fails), logged otherwise."""
    # Cheapest first: every statement of every request passes here, nearly all of them reads.
    if statement.lstrip()[:6].upper() not in _WRITE_STATEMENTS or not has_request_context():
        return
    if not g.get(_VIEW_RUNNING) or writing_request():  # a POST, or a GET declared to write
        return
    message = f"GET {request.endpoint} writes ({statement.split(None, 3)[:3]}): declare it @writes_on_get"
    if current_app.testing:
        raise UndeclaredWrite(message)
    current_app.logger.error(message)


@event.listens_for(Engine, "begin")
def _sqlite_begin(conn):
    """Requests that write take SQLite's write lock up front: a deferred transaction that
    upgrades later is refused at once ("database is locked") instead of waiting its turn."""
    if conn.dialect.name != "sqlite":
        return
    conn.exec_driver_sql("BEGIN IMMEDIATE" if writing_request() else "BEGIN")
