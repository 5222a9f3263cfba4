"""SQL pieces the dashboards need that SQLite and PostgreSQL spell differently."""

from sqlalchemy import Date, Integer, String
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.exc import CompileError
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.functions import FunctionElement


class year_month(FunctionElement):  # noqa: N801 - reads as the SQL function it renders
    """The 'YYYY-MM' of a date column, for GROUP BY month."""

    type = String()
    name = "year_month"
    inherit_cache = True
    utc_offset_hours = 0


class shanghai_year_month(year_month):  # noqa: N801
    """The Shanghai 'YYYY-MM' of a timestamp stored as naive UTC (Shanghai keeps UTC+8 all year)."""

    inherit_cache = True  # the class is part of the cache key, so each offset caches apart
    utc_offset_hours = 8


@compiles(year_month, "sqlite")
def _year_month_sqlite(element, compiler, **kw):
    column = compiler.process(element.clauses, **kw)
    if element.utc_offset_hours:
        return f"strftime('%Y-%m', {column}, '+{element.utc_offset_hours:d} hours')"
    return f"strftime('%Y-%m', {column})"


@compiles(year_month, "postgresql")
def _year_month_postgresql(element, compiler, **kw):
    column = compiler.process(element.clauses, **kw)
    if element.utc_offset_hours:
        return f"to_char({column} + interval '{element.utc_offset_hours:d} hours', 'YYYY-MM')"
    return f"to_char({column}, 'YYYY-MM')"


@compiles(year_month)
def _year_month_other(element, compiler, **kw):
    raise CompileError(f"year_month() is not written for {compiler.dialect.name}")


class shanghai_date(FunctionElement):  # noqa: N801
    """The Shanghai calendar date of a timestamp stored as naive UTC, comparable with a date column."""

    type = Date()
    name = "shanghai_date"
    inherit_cache = True


@compiles(shanghai_date, "sqlite")
def _shanghai_date_sqlite(element, compiler, **kw):
    # SQLite keeps dates as 'YYYY-MM-DD' text, so the text compares with a stored date.
    return f"date({compiler.process(element.clauses, **kw)}, '+8 hours')"


@compiles(shanghai_date, "postgresql")
def _shanghai_date_postgresql(element, compiler, **kw):
    return f"CAST({compiler.process(element.clauses, **kw)} + interval '8 hours' AS DATE)"


@compiles(shanghai_date)
def _shanghai_date_other(element, compiler, **kw):
    raise CompileError(f"shanghai_date() is not written for {compiler.dialect.name}")


class shanghai_days_between(FunctionElement):  # noqa: N801
    """Shanghai calendar days from the first naive-UTC timestamp to the second (a whole number)."""

    type = Integer()
    name = "shanghai_days_between"
    inherit_cache = True


@compiles(shanghai_days_between, "sqlite")
def _days_between_sqlite(element, compiler, **kw):
    start, end = (compiler.process(clause, **kw) for clause in element.clauses)
    return f"CAST(julianday(date({end}, '+8 hours')) - julianday(date({start}, '+8 hours')) AS INTEGER)"


@compiles(shanghai_days_between, "postgresql")
def _days_between_postgresql(element, compiler, **kw):
    start, end = (compiler.process(clause, **kw) for clause in element.clauses)
    # date - date is a whole number of days in PostgreSQL
    return f"(CAST({end} + interval '8 hours' AS DATE) - CAST({start} + interval '8 hours' AS DATE))"


@compiles(shanghai_days_between)
def _days_between_other(element, compiler, **kw):
    raise CompileError(f"shanghai_days_between() is not written for {compiler.dialect.name}")


class month_start(FunctionElement):  # noqa: N801
    """The first day of the month holding a date."""

    type = Date()
    name = "month_start"
    inherit_cache = True
    unit = "month"


class year_start(month_start):  # noqa: N801
    """The first day of the year holding a date."""

    inherit_cache = True  # the class is part of the cache key, so each unit caches apart
    unit = "year"


@compiles(month_start, "sqlite")
def _period_start_sqlite(element, compiler, **kw):
    return f"date({compiler.process(element.clauses, **kw)}, 'start of {element.unit}')"


@compiles(month_start, "postgresql")
def _period_start_postgresql(element, compiler, **kw):
    return f"CAST(date_trunc('{element.unit}', {compiler.process(element.clauses, **kw)}) AS DATE)"


@compiles(month_start)
def _period_start_other(element, compiler, **kw):
    raise CompileError(f"month_start() is not written for {compiler.dialect.name}")


def upsert_insert(dialect_name: str):
    """The dialect's INSERT, which has ON CONFLICT (SQLAlchemy's generic insert() has not)."""
    return {"postgresql": postgresql_insert, "sqlite": sqlite_insert}[dialect_name]
