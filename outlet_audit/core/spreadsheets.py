"""Streaming CSV and XLSX writers for bureau reports, safe to open in Excel.

Every string cell goes through `neutralise_cell` (OWASP's advice against CSV/formula
injection), so an outlet named "=HYPERLINK(...)" stays text in Excel and WPS.
Numbers, dates and None keep their type: a real negative number stays a number.

Web layer, CSV:  `Response(stream_with_context(iter_csv(header, rows)),
mimetype="text/csv; charset=utf-8")` — chunks are str, encoded as UTF-8 by Werkzeug.
Web layer, XLSX: an xlsx is a zip whose central directory is written last, so it cannot
be streamed while rows are read. `spool_xlsx` writes it into a SpooledTemporaryFile
(memory up to 8 MiB, then disk) and hands it back rewound for `send_file`; `iter_xlsx`
yields that file in chunks for a plain streamed response. XlsxWriter's constant-memory
mode writes each row to a temporary file as soon as the next one starts (strings inline,
no shared-string table), so memory stays flat for 100,000+ rows. XlsxWriter rather than
openpyxl's write-only mode: the same workbook in about half the time (openpyxl still
reads the import files).
"""

import csv
import io
import re
import tempfile
from collections.abc import Iterable, Iterator, Sequence
from datetime import date, datetime, time
from decimal import Decimal
from itertools import chain, islice
from typing import Any, BinaryIO
from urllib.parse import quote

import xlsxwriter

XLSX_MIMETYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
CSV_MIMETYPE = "text/csv; charset=utf-8"

# OWASP CSV injection: cells starting with these are run as formulas by spreadsheet programs.
FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")

CSV_CHUNK_CHARS = 16 * 1024
XLSX_CHUNK_BYTES = 64 * 1024
SPOOL_MAX_BYTES = 8 * 1024 * 1024
WIDTH_SAMPLE_ROWS = 100  # rows looked at to size the columns; the rest stream untouched
MIN_COLUMN_WIDTH, MAX_COLUMN_WIDTH = 8, 60
EXCEL_MAX_CELL_CHARS = 32_767

# The number formats openpyxl gives dates and times, so the sheets look as they always did.
DATE_FORMAT, DATETIME_FORMAT, TIME_FORMAT = "yyyy-mm-dd", "yyyy-mm-dd h:mm:ss", "h:mm:ss"
HEADER_FORMAT = {"bold": True, "pattern": 1, "bg_color": "#DDEBF7", "valign": "vcenter"}
WORKBOOK_OPTIONS = {
    "constant_memory": True,
    # Only the typed write_* methods are used; these keep a stray call to write() from turning
    # text into a formula, a link or a number all the same.
    "strings_to_formulas": False,
    "strings_to_urls": False,
    "strings_to_numbers": False,
    "nan_inf_to_errors": True,  # a NaN would otherwise abort the export; Excel shows #NUM!
}

_SHEET_TITLE_FORBIDDEN = re.compile(r"[\[\]:*?/\\]")
# Control characters that the xlsx XML cannot hold: dropped (XlsxWriter would write them as
# escapes like "_x0007_", which readers other than Excel show literally).
_XLSX_ILLEGAL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")


def attachment_disposition(filename: str, ascii_fallback: str) -> str:
    """The Content-Disposition of a streamed download: the (Chinese) name, and ASCII for old clients."""
    return f"attachment; filename={ascii_fallback}; filename*=UTF-8''{quote(filename)}"


def neutralise_cell(value: Any) -> Any:
    """Prefix a string that a spreadsheet would read as a formula with `'`; leave other values."""
    if isinstance(value, str) and value.startswith(FORMULA_TRIGGERS):
        return "'" + value
    return value


def iter_csv(header: Sequence[str], rows: Iterable[Sequence[Any]]) -> Iterator[str]:
    """Yield a CSV for Excel: UTF-8 BOM and header first, then rows in chunks of about 16 KiB.

    Dates are ISO 8601 (datetimes as "2025-03-01 09:30:00", with an offset if aware),
    Decimals in plain notation, None as an empty cell.
    """
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    buffer.write("\ufeff")  # without the BOM Excel reads UTF-8 as the ANSI code page (GBK)
    writer.writerow([_csv_value(name) for name in header])
    # The header goes out at once so the download starts before the first query row arrives.
    yield buffer.getvalue()
    buffer.seek(0)
    buffer.truncate()
    for row in rows:
        writer.writerow([_csv_value(value) for value in row])
        if buffer.tell() >= CSV_CHUNK_CHARS:
            yield buffer.getvalue()
            buffer.seek(0)
            buffer.truncate()
    if buffer.tell():
        yield buffer.getvalue()


def write_xlsx(
    fileobj: BinaryIO,
    header: Sequence[str],
    rows: Iterable[Sequence[Any]],
    *,
    sheet_title: str,
) -> int:
    """Write one sheet with a bold, frozen, filterable header row; return the number of data rows."""
    workbook = xlsxwriter.Workbook(fileobj, WORKBOOK_OPTIONS)
    try:
        sheet = workbook.add_worksheet(safe_sheet_title(sheet_title))
        write_cell = _cell_writer(workbook, sheet)
        rows = iter(rows)
        sample = list(islice(rows, WIDTH_SAMPLE_ROWS))
        for index, width in enumerate(_column_widths(header, sample)):
            sheet.set_column(index, index, width)
        sheet.freeze_panes(1, 0)

        heading = workbook.add_format(HEADER_FORMAT)
        for column, name in enumerate(header):
            write_cell(0, column, name, heading)

        count = 0
        for count, row in enumerate(chain(sample, rows), start=1):
            for column, value in enumerate(row):
                write_cell(count, column, value)
        if header:
            sheet.autofilter(0, 0, count, len(header) - 1)
    finally:
        # Also after an error: closing removes the temporary file that holds the rows.
        workbook.close()
    return count


def spool_xlsx(
    header: Sequence[str], rows: Iterable[Sequence[Any]], *, sheet_title: str
) -> tempfile.SpooledTemporaryFile:
    """Build the workbook in a spooled temporary file, rewound and ready for `send_file`."""
    spool = tempfile.SpooledTemporaryFile(max_size=SPOOL_MAX_BYTES)  # noqa: SIM115 - the caller closes it
    try:
        write_xlsx(spool, header, rows, sheet_title=sheet_title)
    except BaseException:
        spool.close()
        raise
    spool.seek(0)
    return spool


def iter_xlsx(header: Sequence[str], rows: Iterable[Sequence[Any]], *, sheet_title: str) -> Iterator[bytes]:
    """Yield a finished workbook in 64 KiB chunks (all rows are read before the first chunk)."""
    with spool_xlsx(header, rows, sheet_title=sheet_title) as spool:
        while chunk := spool.read(XLSX_CHUNK_BYTES):
            yield chunk


def safe_sheet_title(title: str) -> str:
    """Make a title Excel accepts: no []:*?/\\, no edge apostrophes, at most 31 characters."""
    cleaned = _SHEET_TITLE_FORBIDDEN.sub(" ", _XLSX_ILLEGAL.sub("", title)).strip().strip("'")[:31]
    return cleaned.strip() or "Sheet1"


def _csv_value(value: Any) -> str:
    value = neutralise_cell(value)
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, datetime):
        return value.isoformat(sep=" ", timespec="seconds")
    if isinstance(value, date | time):
        return value.isoformat()
    if isinstance(value, Decimal):
        return format(value, "f")
    if isinstance(value, int | float):
        return str(value)
    return neutralise_cell(str(value))  # an object's text is as untrusted as any string


def _cell_writer(workbook, sheet):
    """Return write_cell(row, column, value, cell_format=None) that keeps each value's type.

    Strings are cleaned and neutralised (`_xlsx_text`); numbers stay numbers, dates and times
    become Excel dates in their own number format; None leaves the cell empty.
    """
    date_format = workbook.add_format({"num_format": DATE_FORMAT})
    datetime_format = workbook.add_format({"num_format": DATETIME_FORMAT})
    time_format = workbook.add_format({"num_format": TIME_FORMAT})

    def write_datetime(row, column, value, cell_format=None):
        if value.tzinfo is not None:
            # Excel has no time zones: keep the wall-clock time the caller chose to show.
            value = value.replace(tzinfo=None)
        sheet.write_datetime(row, column, value, cell_format or datetime_format)

    def write_date(row, column, value, cell_format=None):
        sheet.write_datetime(row, column, value, cell_format or date_format)

    def write_time(row, column, value, cell_format=None):
        sheet.write_datetime(row, column, value.replace(tzinfo=None), cell_format or time_format)

    def write_text(row, column, value, cell_format=None):
        sheet.write_string(row, column, _xlsx_text(value), cell_format)

    by_type = {
        str: write_text,
        int: sheet.write_number,
        float: sheet.write_number,
        Decimal: sheet.write_number,
        bool: sheet.write_boolean,
        datetime: write_datetime,
        date: write_date,
        time: write_time,
    }

    def write_cell(row: int, column: int, value: Any, cell_format=None) -> None:
        if value is None:
            if cell_format is not None:
                sheet.write_blank(row, column, None, cell_format)
            return
        write = by_type.get(type(value))
        if write is None:  # a subclass of one of those types (an enum member), or any other object
            write = next((w for kind, w in by_type.items() if isinstance(value, kind)), None)
            if write is None:
                write, value = write_text, str(value)  # an object's text is as untrusted as any string
        write(row, column, value, cell_format)

    return write_cell


def _xlsx_text(value: str) -> str:
    """Text as Excel stores it: no XML-illegal characters, at most 32,767 characters, no formula."""
    text = neutralise_cell(_XLSX_ILLEGAL.sub("", value)[:EXCEL_MAX_CELL_CHARS])
    # A carriage return comes back from the XML as a line feed; written as one, it is not escaped
    # to "_x000D_", which readers other than Excel show literally.
    return text.replace("\r\n", "\n").replace("\r", "\n")


def _column_widths(header: Sequence[str], sample: Sequence[Sequence[Any]]) -> list[float]:
    widths = [_display_width(name) for name in header]
    for row in sample:
        for index, value in enumerate(row[: len(widths)]):
            widths[index] = max(widths[index], _display_width(value))
    return [min(max(width + 2, MIN_COLUMN_WIDTH), MAX_COLUMN_WIDTH) for width in widths]


def _display_width(value: Any) -> int:
    """Count Excel width units: CJK characters take two, others one."""
    if value is None:
        return 0
    if isinstance(value, datetime):
        return 19
    if isinstance(value, date):
        return 10
    text = _csv_value(value)
    return sum(2 if ord(char) >= 0x2E80 else 1 for char in text)
