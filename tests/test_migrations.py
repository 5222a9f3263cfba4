"""The schema comes only from migrations: the models match the head, and every step goes both ways."""

import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_migrate import downgrade, upgrade

from outlet_audit.extensions import db
from tests.conftest import fresh_database, make_test_app


def test_models_and_migration_head_agree(app):
    with app.app_context(), db.engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        differences = compare_metadata(context, db.metadata)
    assert differences == [], f"run `flask db revision --autogenerate`: {differences}"


def test_upgrade_downgrade_upgrade(tmp_path_factory, tmp_path):
    with fresh_database(tmp_path_factory) as url:
        app = make_test_app(url, tmp_path)
        with app.app_context():
            upgrade()
            tables = set(sa.inspect(db.engine).get_table_names())
            assert {"districts", "outlets", "users", "applications", "audit_events"} <= tables
            assert db.session.execute(sa.text("SELECT count(*) FROM districts")).scalar() == 16
            db.session.remove()
            downgrade(revision="base")
            assert set(sa.inspect(db.engine).get_table_names()) <= {"alembic_version"}
            upgrade()
            assert db.session.execute(sa.text("SELECT count(*) FROM districts")).scalar() == 16
            db.session.remove()
            db.engine.dispose()


def test_audit_events_are_append_only_in_the_database(app, db_session):
    db_session.execute(
        sa.text(
            "INSERT INTO audit_events (occurred_at, subject_type, action) "
            "VALUES (CURRENT_TIMESTAMP, 'test', 'x')"
        )
    )
    for statement in ("UPDATE audit_events SET action = 'y'", "DELETE FROM audit_events"):
        nested = db_session.begin_nested()
        try:
            db_session.execute(sa.text(statement))
        except sa.exc.DatabaseError as error:
            assert "append-only" in str(error)
            nested.rollback()
        else:
            raise AssertionError(f"{statement} was allowed")
