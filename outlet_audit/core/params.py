"""Numbers and dates read from query strings and forms, bounded before anything uses them.

A number or a date typed into a URL reaches SQL (LIMIT/OFFSET, an id, a timestamp bound) or
date arithmetic; outside the range those can hold it fails with a 500 (SQLite's OverflowError,
PostgreSQL's "bigint out of range", `date + timedelta` past year 9999). Every page number,
record id and filter date comes in through these few functions, so none can.
"""

from datetime import date

from flask import request

from outlet_audit.access import MAX_RECORD_ID

# Far beyond any list here (20 a page: two million rows), far below what OFFSET can hold.
MAX_PAGE = 100_000
# The dates a filter or a form may name: the scheme began in the 2020s; nothing is planned
# beyond this century. Arithmetic around them (a day more, Shanghai's midnight in UTC) is safe.
FIRST_DAY = date(2000, 1, 1)
LAST_DAY = date(2100, 12, 31)


def bounded_int(text, *, maximum: int, minimum: int = 1) -> int | None:
    """The whole number `text` spells in plain ASCII digits, if within bounds; else None.

    int() alone would also take "1_000", " 7 ", "٣" and a thousand-digit number.
    """
    if not isinstance(text, str) or not text.isascii() or not text.isdigit() or len(text) > 12:
        return None
    number = int(text)
    return number if minimum <= number <= maximum else None


def page_number(values=None, name: str = "page") -> int:
    """The page a list is asked for (the query string by default); anything unusable is page 1."""
    values = request.args if values is None else values
    return bounded_int(values.get(name), maximum=MAX_PAGE) or 1


def record_id(values, name: str) -> int | None:
    """A record id given as a parameter (not in the path); None when it cannot name a record."""
    return bounded_int(values.get(name), maximum=MAX_RECORD_ID)


def day_in_range(day: date) -> bool:
    return FIRST_DAY <= day <= LAST_DAY


def link_args(*dropped: str) -> dict[str, str]:
    """The query string's parameters, for a link to the same page with some of them changed (the
    next page, another sort, the same filters elsewhere): those named in `dropped` are left out,
    and so is any that `url_for` would take as its own argument. A parameter named "endpoint" made
    every list with a second page fail with a 500 (url_for got the argument twice), and "_anchor",
    "_scheme" or "_external" would steer where the link goes. Every such link is built from this."""
    return {
        name: value
        for name, value in request.args.items()
        if name not in dropped and name != "endpoint" and not name.startswith("_")
    }
