"""Streaming CSV and XLSX writers for bureau reports, safe to open in Excel.

Every string cell goes through `neutralise_cell` (OWASP's advice against CSV/formula
injection), so an outlet named "=HYPERLINK(...)" stays text in Excel and WPS.
Numbers, dates and None keep their type: a real negative number stays a number.

Web layer, CSV:  `Response(stream_with_context(iter_csv(header, rows)),
mimetype="text/csv; charset=utf-8")` — chunks are str, encoded as UTF-8 by Werkzeug.
Web layer, XLSX: an xlsx is a zip whose central directory is written last, so it cannot
be streamed while rows are read. `spool_xlsx` writes it into a SpooledTemporaryFile
(memory up to 8 MiB, then disk) and hands it back rewound for `send_file`; `iter_xlsx`
yields that file in chunks for a plain streamed response. openpyxl's write-only mode
keeps the rows themselves on disk, so memory stays flat for 100,000+ rows.
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

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter

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

_SHEET_TITLE_FORBIDDEN = re.compile(r"[\[\]:*?/\\]")
# Control characters that the xlsx XML cannot hold (openpyxl refuses them).
_XLSX_ILLEGAL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")


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
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(title=safe_sheet_title(sheet_title))
    rows = iter(rows)
    sample = list(islice(rows, WIDTH_SAMPLE_ROWS))
    # Write-only sheets take column widths and panes before the first row, hence the sample.
    for index, width in enumerate(_column_widths(header, sample), start=1):
        sheet.column_dimensions[get_column_letter(index)].width = width
    sheet.freeze_panes = "A2"

    bold = Font(bold=True)
    fill = PatternFill("solid", fgColor="DDEBF7")
    centred = Alignment(vertical="center")
    header_cells = []
    for name in header:
        cell = WriteOnlyCell(sheet, value=_xlsx_value(name))
        cell.font, cell.fill, cell.alignment = bold, fill, centred
        header_cells.append(cell)
    sheet.append(header_cells)

    count = 0
    for row in chain(sample, rows):
        sheet.append([_xlsx_value(value) for value in row])
        count += 1
    if header:
        # The tail of the sheet (filter included) is written when the workbook is saved.
        sheet.auto_filter.ref = f"A1:{get_column_letter(len(header))}{count + 1}"
    workbook.save(fileobj)
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


def _xlsx_value(value: Any) -> Any:
    if value is None or isinstance(value, bool | int | float | Decimal | date | time):
        if isinstance(value, datetime) and value.tzinfo is not None:
            # Excel has no time zones: keep the wall-clock time the caller chose to show.
            return value.replace(tzinfo=None)
        return value
    text = value if isinstance(value, str) else str(value)
    return neutralise_cell(_XLSX_ILLEGAL.sub("", text)[:EXCEL_MAX_CELL_CHARS])


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
