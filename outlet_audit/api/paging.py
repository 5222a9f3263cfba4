"""Keyset paging and the list parameters. Pure.

A page is "the next `limit` rows after the last id seen", never an offset: a row added while a
client pages through lands after every id already handed out (ids only grow), so no row is
returned twice or skipped, and page 1,000 costs what page 1 costs. The cursor is opaque to the
client (base64url of the resource and the id) so the order may change later without breaking it.
"""

import base64
import binascii
from datetime import UTC, datetime

DEFAULT_LIMIT = 50
MAX_LIMIT = 200
MAX_CURSOR_CHARS = 64
MAX_ROW_ID = 2**31 - 1  # PostgreSQL integer: a larger id names nothing


class BadParameter(ValueError):
    """A query parameter that cannot be read: answered with 400 and the parameter's name."""

    def __init__(self, name: str):
        super().__init__(name)
        self.name = name


def cursor_for(resource: str, row_id: int) -> str:
    return base64.urlsafe_b64encode(f"{resource}:{row_id}".encode()).decode().rstrip("=")


def after_id(resource: str, cursor: str | None) -> int:
    """The id a cursor stands for (0 for none); another resource's cursor is refused."""
    if not cursor:
        return 0
    if len(cursor) > MAX_CURSOR_CHARS:
        raise BadParameter("after")
    try:
        text = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
    except (binascii.Error, UnicodeDecodeError, ValueError):
        raise BadParameter("after") from None
    kind, _sep, number = text.partition(":")
    if kind != resource or not number.isdigit() or not 0 < int(number) <= MAX_ROW_ID:
        raise BadParameter("after")
    return int(number)


def page_limit(asked: int | None) -> int:
    """The page size asked for (already at least 1), capped at MAX_LIMIT."""
    return DEFAULT_LIMIT if asked is None else min(asked, MAX_LIMIT)


def page_of(resource: str, rows: list, limit: int, row_id=lambda row: row.id) -> tuple[list, str | None]:
    """The page's rows (of `limit + 1` read) and the cursor of the next page, if there is one."""
    if len(rows) <= limit:
        return rows, None
    rows = rows[:limit]
    return rows, cursor_for(resource, row_id(rows[-1]))


def naive_utc(name: str, moment: datetime | None) -> datetime | None:
    """An aware time as naive UTC, the database's convention (a time near the calendar's ends
    cannot be moved to UTC: refused as unreadable)."""
    if moment is None:
        return None
    try:
        return moment.astimezone(UTC).replace(tzinfo=None)
    except (OverflowError, ValueError):
        raise BadParameter(name) from None
