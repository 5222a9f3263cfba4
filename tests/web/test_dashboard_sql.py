"""The month and day boundaries of the dashboard, in Shanghai time, on the database under test."""

from datetime import date, datetime

import pytest
from sqlalchemy import literal_column, select
from sqlalchemy.dialects import postgresql, sqlite

from outlet_audit.core.time import clock_at, utc_end_of, utc_start_of
from outlet_audit.dashboards.queries import Filters, applications_by_status, monthly_trend
from outlet_audit.dashboards.sql import (
    shanghai_date,
    shanghai_days_between,
    shanghai_year_month,
    year_month,
)
from outlet_audit.extensions import db
from outlet_audit.workflow.models import Application
from tests.factories import district, make_application, make_outlet


@pytest.mark.parametrize(
    ("dialect", "plain", "shifted"),
    [
        (sqlite.dialect(), "strftime('%Y-%m', d)", "strftime('%Y-%m', d, '+8 hours')"),
        (postgresql.dialect(), "to_char(d, 'YYYY-MM')", "to_char(d + interval '8 hours', 'YYYY-MM')"),
    ],
)
def test_year_month_is_written_for_each_database(dialect, plain, shifted):
    column = literal_column("d")
    assert str(year_month(column).compile(dialect=dialect)) == plain
    assert str(shanghai_year_month(column).compile(dialect=dialect)) == shifted


@pytest.mark.parametrize(
    ("dialect", "day", "days"),
    [
        (
            sqlite.dialect(),
            "date(t, '+8 hours')",
            "CAST(julianday(date(u, '+8 hours')) - julianday(date(t, '+8 hours')) AS INTEGER)",
        ),
        (
            postgresql.dialect(),
            "CAST(t + interval '8 hours' AS DATE)",
            "(CAST(u + interval '8 hours' AS DATE) - CAST(t + interval '8 hours' AS DATE))",
        ),
    ],
)
def test_shanghai_dates_are_written_for_each_database(dialect, day, days):
    start, end = literal_column("t"), literal_column("u")
    assert str(shanghai_date(start).compile(dialect=dialect)) == day
    assert str(shanghai_days_between(start, end).compile(dialect=dialect)) == days


@pytest.mark.parametrize(
    ("start", "end", "days", "same_day"),
    [
        (datetime(2025, 3, 31, 15, 59), datetime(2025, 3, 31, 16, 0), 1, False),  # 23:59 → 00:00 in Shanghai
        (datetime(2025, 3, 31, 16, 0), datetime(2025, 4, 1, 15, 59), 0, True),  # all of 1 April
        (datetime(2024, 12, 31, 20, 0), datetime(2025, 3, 1, 0, 0), 59, False),  # 1 January to 1 March
    ],
)
def test_shanghai_dates_on_the_database(db_session, start, end, days, same_day):
    a, b = submitted_at(start), submitted_at(end)
    first, second = Application.__table__.alias(), Application.__table__.alias()
    stmt = (
        select(
            shanghai_days_between(first.c.submitted_at, second.c.submitted_at),
            shanghai_date(first.c.submitted_at) == shanghai_date(second.c.submitted_at),
        )
        .select_from(first.join(second, second.c.id == b.id))
        .where(first.c.id == a.id)
    )
    assert tuple(db.session.execute(stmt).one()) == (days, same_day)


def test_shanghai_days_as_utc_bounds():
    assert utc_start_of(date(2025, 4, 1)) == datetime(2025, 3, 31, 16, 0)
    assert utc_end_of(date(2025, 4, 30)) == datetime(2025, 4, 30, 16, 0)


def submitted_at(moment: datetime, status: str = "submitted"):
    """An application of a Fengxian outlet submitted at `moment` (naive UTC)."""
    with clock_at(moment):
        return make_application(make_outlet("FX"), status=status)


@pytest.mark.parametrize(
    ("stored_utc", "month"),
    [
        (datetime(2025, 3, 31, 15, 59), "2025-03"),  # 23:59 on 31 March in Shanghai
        (datetime(2025, 3, 31, 16, 0), "2025-04"),  # midnight on 1 April in Shanghai
        (datetime(2024, 12, 31, 20, 30), "2025-01"),  # across the year too
    ],
)
def test_shanghai_year_month_on_the_database(db_session, stored_utc, month):
    application = submitted_at(stored_utc)

    stmt = select(shanghai_year_month(Application.submitted_at)).where(Application.id == application.id)
    assert db.session.scalar(stmt) == month


def test_plain_year_month_of_a_date_on_the_database(db_session):
    application = submitted_at(datetime(2025, 7, 9, 1, 0))
    stmt = select(year_month(Application.submitted_at)).where(Application.id == application.id)
    assert db.session.scalar(stmt) == "2025-07"


def test_trend_and_date_range_follow_shanghai_days(db_session):
    late_march = submitted_at(datetime(2025, 3, 31, 15, 30))
    first_april = submitted_at(datetime(2025, 3, 31, 16, 30), status="accepted")
    f = Filters(
        today=date(2025, 6, 1),
        district_id=district("FX").id,
        date_from=date(2025, 3, 1),
        date_to=date(2025, 4, 30),
    )

    trend = {m.month: m.submitted for m in monthly_trend(f)}
    assert trend == {"2025-03": 1, "2025-04": 1}

    only_march = Filters(f.today, f.district_id, date(2025, 3, 1), date(2025, 3, 31))
    counts = dict(applications_by_status(only_march))
    assert (counts["submitted"], counts["accepted"]) == (1, 0)
    only_april = Filters(f.today, f.district_id, date(2025, 4, 1), date(2025, 4, 1))
    counts = dict(applications_by_status(only_april))
    assert (counts["submitted"], counts["accepted"]) == (0, 1)
    assert {late_march.status, first_april.status} == {"submitted", "accepted"}


def test_trend_without_dates_is_the_last_twelve_months_and_long_ranges_are_capped(db_session):
    f = Filters(today=date(2025, 6, 15))
    months = [m.month for m in monthly_trend(f)]
    assert months[0] == "2024-07" and months[-1] == "2025-06" and len(months) == 12

    long = Filters(today=date(2025, 6, 15), date_from=date(1990, 1, 1), date_to=date(2025, 6, 15))
    months = [m.month for m in monthly_trend(long)]
    assert len(months) == 120 and months[-1] == "2025-06"
