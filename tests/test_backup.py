"""`flask backup` / `flask restore`: a round trip brings back every row and every evidence file."""

import sqlalchemy as sa
from flask_migrate import upgrade

from outlet_audit.evidence.operations import evidence_store
from outlet_audit.extensions import db
from outlet_audit.roles import Role
from tests.conftest import fresh_database, make_test_app
from tests.factories import make_outlet, make_user


def count(table: str) -> int:
    return db.session.execute(sa.text(f"SELECT count(*) FROM {table}")).scalar()  # noqa: S608 - fixed names


def test_backup_and_restore_round_trip(tmp_path_factory, tmp_path):
    with fresh_database(tmp_path_factory) as url:
        app = make_test_app(url, tmp_path)
        runner = app.test_cli_runner()
        archive = tmp_path / "backup.tar.gz"
        with app.app_context():
            upgrade()
            outlet = make_outlet("PD", name="备份测试网点")
            make_user(Role.OUTLET, outlet=outlet, username="backup-user")
            photo_hash = evidence_store().put(b"evidence bytes that must survive")
            db.session.commit()
            outlets_before = count("outlets")

            result = runner.invoke(args=["backup", str(archive)])
            assert result.exit_code == 0, result.output
            assert archive.stat().st_mode & 0o077 == 0  # not readable by others

            db.session.execute(sa.text("DELETE FROM users WHERE username = 'backup-user'"))
            db.session.execute(sa.text("DELETE FROM outlets WHERE name = '备份测试网点'"))
            db.session.commit()
            evidence_store().path_for(photo_hash).unlink()
            assert count("outlets") == outlets_before - 1

            refused = runner.invoke(args=["restore", str(archive)])
            assert refused.exit_code != 0 and "--yes" in refused.output
            result = runner.invoke(args=["restore", "--yes", str(archive)])
            assert result.exit_code == 0, result.output

            db.session.remove()
            assert count("outlets") == outlets_before
            assert (
                db.session.execute(
                    sa.text("SELECT count(*) FROM users WHERE username = 'backup-user'")
                ).scalar()
                == 1
            )
            assert evidence_store().open(photo_hash) == b"evidence bytes that must survive"
            db.session.remove()
            db.engine.dispose()
