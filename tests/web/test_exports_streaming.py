"""Exports stream: the query is read a batch at a time and the file written as the rows come, so
exporting five times the rows takes no more memory (the export job and the page, CSV and XLSX),
and every row still arrives, its hostile text neutralised.

The database is a small one of the benchmark's seeder (bench/seed.py, lean): 1,500 applications,
made in seconds where the factories would take minutes. The batch sizes are made small here, so
a few hundred rows already span many batches and blocks.
"""

import csv
import io
import tracemalloc

import openpyxl
import pytest
from flask_login import login_user
from sqlalchemy import func, select, update

from bench import synthetic as syn
from bench.seed import seed
from outlet_audit.accounts.models import User
from outlet_audit.core import spreadsheets
from outlet_audit.core.spreadsheets import iter_csv, iter_xlsx
from outlet_audit.core.time import today_in_shanghai
from outlet_audit.dashboards import export_rows
from outlet_audit.dashboards.export_tables import export_table, filters_to_json
from outlet_audit.dashboards.queries import Filters
from outlet_audit.extensions import db
from outlet_audit.jobs.exports import build_export, export_dir
from outlet_audit.jobs.models import ExportFile
from outlet_audit.outlets.models import District, Outlet
from outlet_audit.workflow.models import Application
from tests.conftest import fresh_database, make_test_app

APPLICATIONS = 1_500
HOSTILE_NAME = "=cmd|' /C calc'!A0"
HOSTILE_ADDRESS = "+SUM(1,2)"


@pytest.fixture(scope="module")
def seeded(tmp_path_factory):
    """(app, city bureau id, the smallest busy district's id and its number of applications)."""
    with fresh_database(tmp_path_factory) as url:
        instance = tmp_path_factory.mktemp("instance")
        scale = syn.Scale(outlets=APPLICATIONS // 3, applications=APPLICATIONS, answers=0, extras=False)
        seed(url, instance, scale, log=lambda _line: None)
        app = make_test_app(
            url,
            tmp_path_factory.mktemp("app"),
            EXPORT_INLINE_ROWS=10 * APPLICATIONS,
            BABEL_DEFAULT_LOCALE="en",
        )
        with app.app_context():
            db.session.execute(
                update(Outlet).where(Outlet.id % 7 == 0).values(name=HOSTILE_NAME, address=HOSTILE_ADDRESS)
            )
            db.session.commit()
            city = db.session.scalar(select(User.id).where(User.username == "bench-city"))
            # A district with about a fifth of the rows: the small export against the whole city's.
            per_district = db.session.execute(
                select(Application.district_id, func.count()).group_by(Application.district_id)
            ).all()
            district_id, count = min(
                ((d, n) for d, n in per_district if n >= APPLICATIONS // 6), key=lambda pair: pair[1]
            )
            db.session.remove()
        yield app, city, district_id, count
        with app.app_context():
            db.engine.dispose()


@pytest.fixture
def small_batches(monkeypatch):
    monkeypatch.setattr(export_rows, "YIELD_PER", 20)
    monkeypatch.setattr(spreadsheets, "XLSX_ROWS_PER_WRITE", 20)
    monkeypatch.setattr(spreadsheets, "WIDTH_SAMPLE_ROWS", 10)
    monkeypatch.setattr(spreadsheets, "CSV_CHUNK_CHARS", 2048)
    monkeypatch.setattr(spreadsheets, "XLSX_CHUNK_BYTES", 4096)


def run_job(app, user_id: int, fmt: str, district_id: int | None, *, read: bool = True) -> tuple[int, bytes]:
    """Build the export as the job does; return its row count and (`read`) the file's bytes."""
    with app.app_context():
        f = Filters(today=today_in_shanghai(), district_id=district_id)
        export = ExportFile(
            user_id=user_id, kind="applications", fmt=fmt, filters=filters_to_json(f), download_name="x"
        )
        db.session.add(export)
        db.session.flush()
        build_export(export.id)
        stored = export_dir() / export.stored_name
        data = stored.read_bytes() if read else b""
        stored.unlink()
        rows = export.rows
        db.session.rollback()
        db.session.remove()
    return rows, data


def stream_body(app, fmt: str, district_id: int | None) -> int:
    """What the page streams once it knows the export is small enough to send at once: the
    export's rows through `iter_csv` or `iter_xlsx`, each chunk dropped as a WSGI server sends it."""
    with app.app_context():
        sheet_title, header, rows = export_table(
            "applications", Filters(today=today_in_shanghai(), district_id=district_id)
        )
        chunks = iter_csv(header, rows) if fmt == "csv" else iter_xlsx(header, rows, sheet_title=sheet_title)
        size = sum(len(chunk) for chunk in chunks)
        db.session.remove()
    return size


def stream_page(app, user_id: int, fmt: str, district_id: int | None) -> bytes:
    """Run the export page and read its streamed body chunk by chunk, as a WSGI server sends it."""
    query = {"district": district_id} if district_id else {}
    kept = []
    with app.test_request_context(f"/dashboard/exports/applications.{fmt}", query_string=query):
        login_user(db.session.get(User, user_id))
        response = app.view_functions["dashboards.export"](kind="applications", fmt=fmt)
        assert response.status_code == 200 and response.is_streamed
        assert "attachment" in response.headers["Content-Disposition"]
        for chunk in response.response:
            kept.append(chunk.encode() if isinstance(chunk, str) else chunk)
        response.close()
        db.session.remove()
    assert len(kept) > 1  # sent in pieces, not built whole first
    return b"".join(kept)


def peak_bytes(run) -> int:
    """The peak of Python allocations while `run()` runs, the lower of two runs (a collection of
    garbage may fall in either).

    No gc.collect() first: a full collection empties the interpreter's free lists (some 2,000
    tuples of each size), and refilling them while traced would count some 400 KiB that a
    thousand rows take and a million take no more of.
    """
    peaks = []
    for _ in range(2):
        tracemalloc.start()
        try:
            run()
            peaks.append(tracemalloc.get_traced_memory()[1])
        finally:
            tracemalloc.stop()
    return min(peaks)


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
@pytest.mark.parametrize("path", ["job", "stream"])
def test_five_times_the_rows_take_about_the_same_memory(seeded, small_batches, fmt, path):
    """The job (every export above EXPORT_INLINE_ROWS) and the page's streamed body; the page
    itself first reads up to EXPORT_INLINE_ROWS + 1 rows to choose between them, a fixed bound."""
    app, city, district_id, count = seeded
    assert APPLICATIONS / count >= 4

    def export(district):
        if path == "job":
            return lambda: run_job(app, city, fmt, district, read=False)
        return lambda: stream_body(app, fmt, district)

    small, large = export(district_id), export(None)
    small(), large()  # warm what any export pays once (statements compiled, modules imported)
    small, large = peak_bytes(small), peak_bytes(large)

    # Holding the rows (or the file) would take well over twice the memory for five times the rows.
    assert large < 1.5 * small, (small, large)


def read_table(fmt: str, data: bytes) -> list[list]:
    if fmt == "csv":
        text = data.decode("utf-8")
        assert text.startswith("\ufeff")
        return list(csv.reader(io.StringIO(text[1:])))
    book = openpyxl.load_workbook(io.BytesIO(data), read_only=True)
    sheet = book.active
    rows = []
    for row in sheet.iter_rows():
        cells = list(row)
        # No cell is a formula: text stays text, neutralised.
        assert all(cell.data_type != "f" for cell in cells)
        rows.append([cell.value for cell in cells])
    book.close()
    return rows


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
@pytest.mark.parametrize("path", ["job", "page"])
def test_every_row_arrives_once_in_order_with_hostile_text_neutralised(seeded, fmt, path):
    app, city, _district_id, _count = seeded
    if path == "job":
        count, data = run_job(app, city, fmt, None)
        assert count == APPLICATIONS
    else:
        data = stream_page(app, city, fmt, None)
    header, *rows = read_table(fmt, data)

    assert header == list(export_rows.APPLICATION_HEADER)
    with app.app_context():
        expected = [
            f"SQ{created_at:%Y}-{application_id:06d}"
            for application_id, created_at in db.session.execute(
                select(Application.id, Application.created_at).order_by(Application.id)
            )
        ]
        hostile = db.session.scalar(select(func.count()).select_from(Outlet).where(Outlet.id % 7 == 0))
        districts = set(db.session.scalars(select(District.name_zh)))
        db.session.remove()
    assert [row[0] for row in rows] == expected
    assert hostile > 0
    names, addresses = [row[1] for row in rows], [row[5] for row in rows]
    assert HOSTILE_NAME not in names and HOSTILE_ADDRESS not in addresses
    neutralised = [index for index, name in enumerate(names) if name == "'" + HOSTILE_NAME]
    assert neutralised and all(addresses[index] == "'" + HOSTILE_ADDRESS for index in neutralised)
    assert {row[4] for row in rows} <= districts
    assert not any(isinstance(value, str) and value.startswith(spreadsheets.FORMULA_TRIGGERS) for row in rows
                   for value in row)  # fmt: skip


@pytest.mark.postgres_only
def test_an_export_cursor_is_planned_for_every_row_on_postgresql(ctx):
    """PostgreSQL plans a server-side cursor for its first tenth: the applications export then took
    15 s for 6,000 rows (the bench's page, 0 requests in 4 s). The export's transaction plans for all."""
    from sqlalchemy import literal, select

    from outlet_audit.dashboards.export_rows import _stream
    from outlet_audit.extensions import db

    assert list(_stream(select(literal(1)))) == [(1,)]
    assert db.session.connection().exec_driver_sql("SHOW cursor_tuple_fraction").scalar() == "1"
