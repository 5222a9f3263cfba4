"""On PostgreSQL, gunicorn workers storing dashboard snapshots at once (the same key, other keys, and
cleaning up each other's expired rows) all succeed and leave one fresh row per key.
Real commits on a database of its own, like tests/test_concurrency.py."""

from datetime import timedelta

import pytest
from flask_migrate import upgrade
from sqlalchemy import select

from outlet_audit.core.time import today_in_shanghai, utcnow
from outlet_audit.criteria.editions import active_edition
from outlet_audit.dashboards.models import DashboardSnapshot
from outlet_audit.dashboards.queries import Filters
from outlet_audit.dashboards.snapshots import compute_figures, figures_to_json, store_figures
from outlet_audit.extensions import db
from tests.conftest import fresh_database, make_test_app
from tests.factories import district, make_outlet
from tests.test_concurrency import THREADS, run_threads

pytestmark = pytest.mark.postgres_only
ROUNDS = 15
SECONDS = 300


@pytest.fixture
def app(tmp_path_factory, tmp_path):
    with fresh_database(tmp_path_factory) as url:
        app = make_test_app(
            url,
            tmp_path,
            SQLALCHEMY_ENGINE_OPTIONS={"pool_size": THREADS + 2},
            DASHBOARD_SNAPSHOT_SECONDS=SECONDS,
        )
        with app.app_context():
            upgrade()
            make_outlet("FX")
            db.session.commit()
            db.session.remove()
        yield app
        with app.app_context():
            db.engine.dispose()


def key_of(index: int) -> str:
    """Half the workers share one key; the others each have their own."""
    return "shared".ljust(64, "0") if index % 2 == 0 else f"own-{index}".ljust(64, "0")


def test_simultaneous_snapshot_writes_all_succeed_and_leave_one_fresh_row_per_key(app):
    with app.app_context():
        figures = compute_figures(
            Filters(today_in_shanghai(), district_id=district("FX").id), active_edition()
        )
        db.session.remove()
    keys = {key_of(i) for i in range(THREADS)}

    def worker_stores(index):
        with app.app_context():
            try:
                store_figures(key_of(index), figures, utcnow())
                db.session.commit()
            finally:
                db.session.remove()

    for _round in range(ROUNDS):
        with app.app_context():
            # Every key's row has expired: each worker replaces its own while the clean-up of
            # the others would delete it, the order in which row locks can deadlock.
            expired = utcnow() - timedelta(seconds=SECONDS + 60)
            for row in db.session.scalars(select(DashboardSnapshot)):
                row.computed_at = expired
            for key in keys | {f"stale-{n}".ljust(64, "0") for n in range(4)}:
                db.session.merge(DashboardSnapshot(key=key, figures={}, computed_at=expired))
            db.session.commit()
            db.session.remove()

        run_threads(worker_stores)

        with app.app_context():
            rows = db.session.execute(select(DashboardSnapshot.key, DashboardSnapshot.computed_at)).all()
            assert {key for key, _at in rows} == keys and len(rows) == len(keys)
            assert all(at > utcnow() - timedelta(seconds=SECONDS) for _key, at in rows)
            stored = db.session.scalar(
                select(DashboardSnapshot.figures).where(DashboardSnapshot.key == key_of(0))
            )
            assert stored == figures_to_json(figures)
            db.session.remove()
