"""Dashboard snapshots: stored figures are served while fresh, per filter and scope, then recomputed.

The testing configuration computes the figures on every request (DASHBOARD_SNAPSHOT_SECONDS = 0);
these tests switch snapshots on.
"""

import re
from datetime import date, timedelta

import pytest
from sqlalchemy import func, select, update
from sqlalchemy.exc import OperationalError

from outlet_audit.core.time import today_in_shanghai, utcnow
from outlet_audit.criteria.editions import active_edition
from outlet_audit.dashboards import snapshots
from outlet_audit.dashboards.models import DashboardSnapshot
from outlet_audit.dashboards.queries import Filters
from outlet_audit.extensions import db
from outlet_audit.roles import Role
from tests.checklist_helpers import pudong_edition
from tests.conftest import counted_statements
from tests.dashboard_helpers import (  # shared_rows: the module's world; world_records: its fixture
    number,
    shared_rows,  # noqa: F401
    tile,
    world_records,  # noqa: F401
)
from tests.factories import login, make_outlet, make_user
from tests.web.test_dashboard import assert_page_shows, dashboard, expected

SECONDS = 300


@pytest.fixture
def snapshots_on(app, monkeypatch):
    monkeypatch.setitem(app.config, "DASHBOARD_SNAPSHOT_SECONDS", SECONDS)


def registered(html: str) -> int:
    return number(tile(html, "tile-registered"))


def stored_rows() -> int:
    return db.session.scalar(select(func.count()).select_from(DashboardSnapshot))


def age_snapshots(seconds: int) -> None:
    """Make every stored snapshot `seconds` older, as if that time had passed."""
    for row in db.session.scalars(select(DashboardSnapshot)):
        row.computed_at -= timedelta(seconds=seconds)
    db.session.flush()


def test_a_fresh_snapshot_is_served_until_it_expires(client, world, snapshots_on):
    first = dashboard(client, world.city)
    assert registered(first) == expected(world)["registered"]
    assert stored_rows() == 1

    make_outlet("PD")
    served = dashboard(client, world.city)
    assert registered(served) == registered(first)  # the stored figures, not the new outlet

    age_snapshots(SECONDS - 5)
    assert registered(dashboard(client, world.city)) == registered(first)

    age_snapshots(10)  # now older than DASHBOARD_SNAPSHOT_SECONDS
    recomputed = dashboard(client, world.city)
    assert registered(recomputed) == registered(first) + 1
    assert stored_rows() == 1  # replaced, not added


def test_without_snapshots_every_request_computes(client, world):
    first = dashboard(client, world.city)
    make_outlet("PD")
    assert registered(dashboard(client, world.city)) == registered(first) + 1
    assert stored_rows() == 0


def test_each_filter_combination_has_its_own_snapshot(client, world, snapshots_on):
    assert_page_shows(dashboard(client, world.city), expected(world))
    for brand in ("京东", "中国邮政"):
        assert_page_shows(dashboard(client, world.city, brand=brand), expected(world, brand=brand))
    assert_page_shows(
        dashboard(client, world.city, district=world.district_ids["PD"]), expected(world, district_code="PD")
    )
    since = today_in_shanghai() - timedelta(days=70)
    html = dashboard(client, world.city, date_from=since.isoformat())
    assert registered(html) < expected(world)["registered"]
    assert stored_rows() == 5

    # Served again from the snapshots, each is still its own.
    assert_page_shows(dashboard(client, world.city, brand="京东"), expected(world, brand="京东"))
    assert_page_shows(dashboard(client, world.city), expected(world))
    assert stored_rows() == 5


def test_a_district_bureau_never_sees_another_districts_snapshot(client, world, snapshots_on):
    world.outlets.append(make_outlet("QP"))  # so that the two districts' figures differ
    assert (
        expected(world, district_code="QP")["registered"] != expected(world, district_code="FX")["registered"]
    )
    assert 'id="table-districts"' in dashboard(client, world.city)

    for _served in range(2):  # computed and stored, then served
        for code in ("QP", "FX"):
            html = dashboard(client, world.bureaus[code])
            assert_page_shows(html, expected(world, district_code=code))
            assert 'id="table-districts"' not in html
    # Asking for another district in the URL still gives the bureau its own snapshot.
    html = dashboard(client, world.bureaus["FX"], district=world.district_ids["QP"])
    assert_page_shows(html, expected(world, district_code="FX"))
    assert stored_rows() == 3  # city-wide, QP, FX


def test_the_city_bureau_and_the_district_share_the_districts_snapshot(client, world, snapshots_on):
    dashboard(client, world.bureaus["PD"])
    make_outlet("PD")
    html = dashboard(client, world.city, district=world.district_ids["PD"])
    assert registered(html) == expected(world, district_code="PD")["registered"]  # without the new outlet
    assert 'id="table-districts"' not in html
    assert stored_rows() == 1


def as_of(html: str) -> str:
    return re.search(r'id="figures-as-of">(.*?)</p>', html).group(1)


def test_the_page_says_when_the_figures_were_computed(client, world, english_ui, snapshots_on):
    assert as_of(dashboard(client, world.city)).endswith(", refreshed every 5 minutes.")

    moment = (utcnow() - timedelta(minutes=2)).replace(second=0, microsecond=0)
    db.session.execute(update(DashboardSnapshot).values(computed_at=moment))
    text = as_of(dashboard(client, world.city))
    shanghai = moment + timedelta(hours=8)
    assert text.startswith(f"Figures as of {shanghai:%-I:%M}"), text
    assert ("AM" if shanghai.hour < 12 else "PM") in text


def test_without_snapshots_the_page_shows_the_time_only(client, world, english_ui):
    text = as_of(dashboard(client, world.city))
    assert text.startswith("Figures as of ") and "refreshed" not in text


def test_a_served_snapshot_reads_none_of_the_counted_tables(app, client, world, snapshots_on):
    dashboard(client, world.city)
    with counted_statements() as statements:
        html = dashboard(client, world.city)
    assert_page_shows(html, expected(world))
    counted = ("answers", "assessments", "applications", "certificates", "outlets")
    assert not [s for s in statements if any(f"FROM {table}" in s for table in counted)], statements
    assert len(statements) <= 8, statements


def test_expired_snapshots_of_any_key_are_deleted_when_one_is_stored(client, world, snapshots_on):
    dashboard(client, world.city, brand="京东")
    dashboard(client, world.bureaus["FX"])
    age_snapshots(SECONDS + 1)
    dashboard(client, world.city)

    keys = db.session.scalars(select(DashboardSnapshot.key)).all()
    assert keys == [snapshots.snapshot_key(Filters(today_in_shanghai()), active_edition())]


def test_an_older_computation_never_replaces_a_newer_one(ctx, db_session, snapshots_on):
    f = Filters(today_in_shanghai())
    figures = snapshots.compute_figures(f, active_edition())
    key = snapshots.snapshot_key(f, active_edition())
    newer = utcnow()
    snapshots.store_figures(key, figures, newer)
    snapshots.store_figures(key, figures, newer - timedelta(seconds=30))
    assert db_session.scalar(select(DashboardSnapshot.computed_at)) == newer


def test_figures_survive_the_trip_through_json(world, snapshots_on):
    for f in (
        Filters(today_in_shanghai()),
        Filters(today_in_shanghai(), district_id=world.district_ids["FX"]),
    ):
        figures = snapshots.compute_figures(f, active_edition())
        assert figures.items and any(i.answered for i in figures.items)
        assert bool(figures.districts) is (f.district_id is None)
        assert snapshots.figures_from_json(snapshots.figures_to_json(figures)) == figures


def test_the_key_covers_every_filter_the_day_and_the_edition(ctx):
    base = Filters(date(2026, 3, 1))
    variants = [
        base,
        Filters(date(2026, 3, 2)),
        Filters(base.today, district_id=1),
        Filters(base.today, district_id=2),
        Filters(base.today, date_from=date(2026, 1, 1)),
        Filters(base.today, date_to=date(2026, 1, 1)),
        Filters(base.today, level="city"),
        Filters(base.today, brand="京东"),
    ]
    keys = {snapshots.snapshot_key(f, active_edition()) for f in variants}
    keys.add(snapshots.snapshot_key(base, pudong_edition()))
    assert len(keys) == len(variants) + 1
    assert snapshots.snapshot_key(Filters(date(2026, 3, 1)), active_edition()) in keys  # stable


def test_a_snapshot_that_cannot_be_stored_still_shows_the_figures(client, world, snapshots_on, monkeypatch):
    login(client, world.city)
    db.session.commit()  # the test's data stays when the request rolls its own work back

    def busy():
        raise OperationalError("COMMIT", {}, Exception("database is locked"))

    monkeypatch.setattr(db.session, "commit", busy)
    response = client.get("/dashboard/")
    assert response.status_code == 200
    assert_page_shows(response.get_data(as_text=True), expected(world))
    assert stored_rows() == 0


def test_refresh_command_stores_the_default_views(app, client, world, snapshots_on):
    result = app.test_cli_runner().invoke(args=["dashboards", "refresh"])
    assert result.exit_code == 0, result.output
    assert "17 dashboard views refreshed." in result.output
    assert stored_rows() == 17

    make_outlet("FX")
    html = dashboard(client, world.bureaus["FX"])
    assert registered(html) == expected(world, district_code="FX")["registered"]  # served, not recomputed


def test_refresh_command_without_snapshots_stores_nothing(app, db_session):
    result = app.test_cli_runner().invoke(args=["dashboards", "refresh"])
    assert result.exit_code == 0 and "DASHBOARD_SNAPSHOT_SECONDS is 0" in result.output
    assert stored_rows() == 0


def test_other_roles_never_reach_the_snapshots(client, ctx, snapshots_on):
    login(client, make_user(Role.INSPECTOR))
    assert client.get("/dashboard/").status_code == 403
    assert stored_rows() == 0
