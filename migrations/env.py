"""Alembic environment. The schema comes only from these migrations, in tests as well."""

import logging
from contextlib import contextmanager
from logging.config import fileConfig

from alembic import context
from flask import current_app

config = context.config
if config.config_file_name and not config.attributes.get("skip_logging_config"):
    fileConfig(config.config_file_name, disable_existing_loggers=False)
logger = logging.getLogger("alembic.env")

target_db = current_app.extensions["migrate"].db
target_metadata = target_db.metadata


def _configure(connection=None, url=None):
    is_sqlite = (connection.dialect.name if connection is not None else url.startswith("sqlite")) == "sqlite"
    context.configure(
        connection=connection,
        url=url,
        target_metadata=target_metadata,
        **{
            **current_app.extensions["migrate"].configure_args,
            "compare_type": True,
            "render_as_batch": is_sqlite,  # SQLite alters tables by copying them
            "literal_binds": connection is None,
        },
    )


def run_migrations_offline():
    _configure(url=str(target_db.engine.url))
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online():
    connection = config.attributes.get("connection")
    if connection is not None:  # handed in by a test that holds the connection
        _configure(connection=connection)
        with context.begin_transaction():
            context.run_migrations()
        return
    with target_db.engine.connect() as connection, _sqlite_foreign_keys_deferred(connection):
        _configure(connection=connection)
        with context.begin_transaction():
            context.run_migrations()
            _check_sqlite_foreign_keys(connection)


@contextmanager
def _sqlite_foreign_keys_deferred(connection):
    """Let SQLite copy a table that other rows point at (how it alters one); check the keys after.

    With enforcement on, dropping the old copy of a referenced table fails as soon as the
    database holds data. The pragma only takes effect outside a transaction, so it goes
    straight to the driver before the migration's transaction begins.
    """
    if connection.dialect.name != "sqlite":
        yield
        return
    driver = connection.connection.driver_connection
    driver.execute("PRAGMA foreign_keys=OFF")
    try:
        yield
    finally:
        driver.execute("PRAGMA foreign_keys=ON")


def _check_sqlite_foreign_keys(connection):
    if connection.dialect.name == "sqlite":
        broken = connection.exec_driver_sql("PRAGMA foreign_key_check").fetchall()
        if broken:  # raised inside the transaction: the migration is rolled back
            raise RuntimeError(f"the migration left rows pointing at nothing: {broken[:5]}")


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
