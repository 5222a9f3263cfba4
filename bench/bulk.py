"""Bulk loading: PostgreSQL COPY through psycopg, SQLite executemany through SQLAlchemy Core."""

import json
from collections.abc import Iterable, Sequence
from itertools import islice

import sqlalchemy as sa

BATCH_ROWS = 20_000


def insert_rows(conn: sa.Connection, table: sa.Table, columns: Sequence[str], rows: Iterable[tuple]) -> int:
    """Insert every row (tuples in `columns` order); return how many."""
    if conn.dialect.name == "postgresql":
        return _copy(conn, table, columns, rows)
    return _executemany(conn, table, columns, rows)


def _copy(conn: sa.Connection, table: sa.Table, columns: Sequence[str], rows: Iterable[tuple]) -> int:
    json_positions = {i for i, name in enumerate(columns) if isinstance(table.c[name].type, sa.JSON)}
    count = 0
    cursor = conn.connection.driver_connection.cursor()
    with cursor.copy(f"COPY {table.name} ({', '.join(columns)}) FROM STDIN") as copy:
        for row in rows:
            if json_positions:
                row = tuple(
                    json.dumps(value, ensure_ascii=False)
                    if i in json_positions and value is not None
                    else value
                    for i, value in enumerate(row)
                )
            copy.write_row(row)
            count += 1
    return count


def _executemany(conn: sa.Connection, table: sa.Table, columns: Sequence[str], rows: Iterable[tuple]) -> int:
    count, statement, remaining = 0, table.insert(), iter(rows)
    while batch := list(islice(remaining, BATCH_ROWS)):
        conn.execute(statement, [dict(zip(columns, row, strict=True)) for row in batch])
        count += len(batch)
    return count


def reset_sequences(conn: sa.Connection, tables: Iterable[sa.Table]) -> None:
    """After inserting explicit ids, let PostgreSQL's own inserts continue above them."""
    if conn.dialect.name != "postgresql":
        return  # SQLite's INTEGER PRIMARY KEY continues from max(rowid) by itself
    for table in tables:
        if "id" in table.c and table.c.id.primary_key:
            # Table names come from the models' metadata, not from input.
            name = table.name
            statement = f"SELECT setval(pg_get_serial_sequence('{name}', 'id'), (SELECT coalesce(max(id), 0) + 1 FROM {name}), false)"  # noqa: S608, E501
            conn.exec_driver_sql(statement)
