"""Fixtures shared by every test.

The database is the one named by TEST_DATABASE_URL (PostgreSQL in CI) or a fresh SQLite
file. Its schema is made by running the migrations, never by create_all. Each test runs
inside a transaction that is rolled back, so tests do not see each other's rows.

OUTLET_AUDIT_NO_SKIPS=1 (set by .ci/run) turns any skipped test into a failure: a run that
silently skipped PostgreSQL or the browser must not pass.
"""

import contextvars
import inspect
import os
import re
import uuid
from contextlib import contextmanager
from pathlib import Path

import pytest
import sqlalchemy as sa
from flask.testing import FlaskClient
from flask_migrate import upgrade
from flask_sqlalchemy.session import Session as FlaskSQLAlchemySession

from outlet_audit import create_app
from outlet_audit.extensions import db, limiter
from tests.signing_helpers import signing_dir_for_tests

TEST_DATABASE_URL = os.environ.get("TEST_DATABASE_URL", "")
NO_SKIPS = os.environ.get("OUTLET_AUDIT_NO_SKIPS") == "1"


def using_postgres() -> bool:
    return TEST_DATABASE_URL.startswith("postgresql")


TESTS = Path(__file__).resolve().parent
# Words by which a test module, a fixture's module or a tests helper they import reaches a database.
DATABASE_WORDS = (
    "fresh_database",
    "make_test_app",
    "create_app",
    "database_url",
    "live_server",
    "db.session",
    "db.engine",
)
_reaches_database: dict[Path, bool] = {}


def _mentions_database(path: Path) -> bool:
    """Whether the file, or a `tests.` helper module it imports (followed on), names a database."""
    if path not in _reaches_database:
        _reaches_database[path] = False  # an import cycle ends here
        text = path.read_text(encoding="utf-8")
        helpers = re.findall(r"^\s*(?:from|import) (tests(?:\.\w+)+)", text, re.MULTILINE)
        _reaches_database[path] = any(word in text for word in DATABASE_WORDS) or any(
            _mentions_database(module)
            for module in (TESTS.parent / (name.replace(".", "/") + ".py") for name in helpers)
            if module.is_file()
        )
    return _reaches_database[path]


def touches_database(item) -> bool:
    """Conservative: a test reaches a database unless neither its module nor the module of any
    fixture it uses (nor a tests helper they import) mentions one. Pure tests (states, scoring,
    criteria files, PDF layout, upload screening...) run the same whatever TEST_DATABASE_URL says."""
    paths = {Path(str(item.fspath))}
    for definitions in item._fixtureinfo.name2fixturedefs.values():
        for definition in definitions:
            try:
                paths.add(Path(inspect.getsourcefile(definition.func)))
            except TypeError:  # a fixture pytest builds in C or on the fly
                continue
    return any(path.is_relative_to(TESTS) and _mentions_database(path) for path in paths)


def pytest_collection_modifyitems(config, items):
    """Tests for one database only are deselected on the other, never skipped. On PostgreSQL the
    tests that touch no database are deselected too: the SQLite run (make test) has run them, and
    running them again would only repeat the same Python."""
    keep, drop = [], []
    for item in items:
        wrong_database = (item.get_closest_marker("postgres_only") and not using_postgres()) or (
            item.get_closest_marker("sqlite_only") and using_postgres()
        )
        if wrong_database or (using_postgres() and not touches_database(item)):
            drop.append(item)
        else:
            keep.append(item)
    if drop:
        config.hook.pytest_deselected(items=drop)
        items[:] = keep


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    report = outcome.get_result()
    if NO_SKIPS and report.skipped and not hasattr(report, "wasxfail"):
        report.outcome = "failed"
        report.longrepr = f"skipped, and OUTLET_AUDIT_NO_SKIPS=1 forbids skips: {report.longrepr}"


@contextmanager
def fresh_database(tmp_path_factory):
    """Yield the URL of a new, empty database, dropped afterwards."""
    if using_postgres():
        name = f"oa_test_{uuid.uuid4().hex[:12]}"
        admin = sa.create_engine(TEST_DATABASE_URL, isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
        url = sa.engine.make_url(TEST_DATABASE_URL).set(database=name)
        try:
            yield url.render_as_string(hide_password=False)
        finally:
            with admin.connect() as conn:
                conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            admin.dispose()
    else:
        path = tmp_path_factory.mktemp("db") / "test.sqlite3"
        yield f"sqlite:///{path}"


def make_test_app(database_url: str, tmp_path, **overrides):
    os.environ.setdefault("OUTLET_AUDIT_INSTANCE", str(tmp_path / "instance"))
    overrides.setdefault("SIGNING_DIR", str(signing_dir_for_tests()))  # every issuer can sign
    overrides.setdefault("SECRET_KEY", "test-" + "x" * 40)
    application = create_app(
        "testing",
        SQLALCHEMY_DATABASE_URI=database_url,
        EVIDENCE_DIR=str(tmp_path / "evidence"),
        **overrides,
    )
    application.test_client_class = IsolatedClient
    return application


class IsolatedClient(FlaskClient):
    """Run each request in an empty context, so it gets its own app context, `g` and DB session.

    Without this, a request made while the test holds an app context reuses it (and its `g`:
    the signed-in user, the locale, the CSRF token), which production never does.
    """

    def open(self, *args, **kwargs):
        return contextvars.Context().run(super().open, *args, **kwargs)


@pytest.fixture(scope="session")
def database_url(tmp_path_factory):
    with fresh_database(tmp_path_factory) as url:
        yield url


@pytest.fixture(scope="session")
def app(database_url, tmp_path_factory):
    application = make_test_app(database_url, tmp_path_factory.mktemp("app"))
    with application.app_context():
        upgrade()
        db.session.remove()
    yield application
    with application.app_context():
        db.engine.dispose()


class ConnectionBoundSession(FlaskSQLAlchemySession):
    """Flask-SQLAlchemy's session picks its engine by bind key; in tests it must use our connection."""

    def get_bind(self, *args, **kwargs):
        return self.bind


@contextmanager
def counted_statements(*, savepoints: bool = True):
    """Collect the SQL statements run inside the block.

    savepoints=False leaves out SAVEPOINT, RELEASE and ROLLBACK: the tests' own session runs in
    savepoints, which a page outside the tests would not send.
    """
    statements: list[str] = []

    def count(_conn, _cursor, statement, *_args):
        if savepoints or not statement.lstrip().upper().startswith(("SAVEPOINT", "RELEASE", "ROLLBACK")):
            statements.append(statement)

    sa.event.listen(db.engine, "before_cursor_execute", count)
    try:
        yield statements
    finally:
        sa.event.remove(db.engine, "before_cursor_execute", count)


@contextmanager
def connection_bound_session(app, connection=None):
    """Point db.session at one connection whose outer transaction is rolled back at the end.

    Commits inside (a request's, a test's) only release savepoints into that transaction, so
    nothing written inside outlives the block. Yields the connection. Given a `connection` in a
    transaction already (rows a module's tests share), the block works in a savepoint of it.
    """
    with app.app_context():
        shared = connection is not None
        connection = connection if shared else db.engine.connect()
        outer = connection.begin_nested() if shared else connection.begin()
        original = db.session
        db.session = db._make_scoped_session(
            {
                "bind": connection,
                "join_transaction_mode": "create_savepoint",
                "class_": ConnectionBoundSession,
            }
        )
        try:
            yield connection
        finally:
            db.session.remove()
            db.session = original
            outer.rollback()
            if not shared:
                connection.close()


@pytest.fixture(scope="module")
def module_rows(app, request):
    """What the test module's `shared_rows()` made, once for all its tests, and its connection.

    It runs in a transaction kept open (and rolled back) around the module's tests; each test's
    `db_session` works in a savepoint of it. It returns plain values (ids, keys): the objects it
    made belong to a session that is gone when the tests run.
    """
    with connection_bound_session(app) as connection:
        with app.test_request_context():
            built = request.module.shared_rows()
            db.session.commit()  # releases the session's savepoint into the module's transaction
        db.session.remove()
        yield connection, built


@pytest.fixture
def db_session(app, request):
    """A session whose work is rolled back after the test, through savepoints (on the module's shared
    rows when the module defines `shared_rows`)."""
    shared = request.getfixturevalue("module_rows")[0] if hasattr(request.module, "shared_rows") else None
    # Every test starts with the rate limits unspent: the public pages share one budget per address
    # (the test client's), and what earlier tests in this worker spent must not answer 429 here.
    limiter.reset()
    with connection_bound_session(app, shared):
        yield db.session


@pytest.fixture
def ctx(app, db_session):
    """A request context for calling operations and url_for directly."""
    with app.test_request_context():
        yield


@pytest.fixture
def client(app, db_session):
    return app.test_client()


@pytest.fixture
def english_ui(app, monkeypatch):
    """Serve pages in English: for tests that read messages (the Chinese default is tested in test_i18n)."""
    monkeypatch.setitem(app.config, "BABEL_DEFAULT_LOCALE", "en")
