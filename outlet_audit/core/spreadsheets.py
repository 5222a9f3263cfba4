"""Streaming CSV and XLSX writers for bureau reports, safe to open in Excel.

Every string cell goes through `neutralise_cell` (OWASP's advice against CSV/formula
injection), so an outlet named "=HYPERLINK(...)" stays text in Excel and WPS.
Numbers, dates and None keep their type: a real negative number stays a number.

Web layer, CSV:  `Response(stream_with_context(iter_csv(header, rows)),
mimetype="text/csv; charset=utf-8")` — chunks are str, encoded as UTF-8 by Werkzeug.
Web layer, XLSX: `Response(stream_with_context(iter_xlsx(header, rows, sheet_title=...)),
mimetype=XLSX_MIMETYPE)`. A zip can be written without seeking when each entry's sizes follow
its data, so the workbook streams while rows are read, a block of rows at a time; `spool_xlsx`
writes it into a SpooledTemporaryFile (memory up to 8 MiB, then disk) for `send_file`, and
`write_xlsx` into any file (the export job's). Strings are inline (no shared-string table), so
memory stays flat for 100,000+ rows.

The sheet's XML is written here, not by a library: one f-string a cell runs about four times
as fast as XlsxWriter's constant-memory mode (which checked, tracked and spilled every cell to a
temporary file), and the few fixed parts (styles, workbook, relationships) are constants.
openpyxl still reads the import files, and the tests read every export back with it.
"""

import csv
import io
import math
import re
import tempfile
import zipfile
from collections.abc import Iterable, Iterator, Sequence
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from itertools import chain, islice
from typing import Any, BinaryIO
from urllib.parse import quote

XLSX_MIMETYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
CSV_MIMETYPE = "text/csv; charset=utf-8"

# OWASP CSV injection: cells starting with these are run as formulas by spreadsheet programs.
FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")
# A trigger after a comma: in a row's line joined without quotes every cell but the first starts
# right after one, so this and the line's first character find every cell a formula could start.
_TRIGGER_AFTER_COMMA = re.compile(",[" + "".join(map(re.escape, FORMULA_TRIGGERS)) + "]")

CSV_CHUNK_CHARS = 16 * 1024
XLSX_CHUNK_BYTES = 64 * 1024
SPOOL_MAX_BYTES = 8 * 1024 * 1024
WIDTH_SAMPLE_ROWS = 100  # rows looked at to size the columns; the rest stream untouched
MIN_COLUMN_WIDTH, MAX_COLUMN_WIDTH = 8, 60
EXCEL_MAX_CELL_CHARS = 32_767

XLSX_ROWS_PER_WRITE = 100  # rows of sheet XML joined, encoded and compressed at once (~2 MiB peak at 500)
# zlib's fastest level: at level 6 (zipfile's default, and XlsxWriter's) a sheet of 30,000 rows
# took 10-30% longer to write, for a file a fifth smaller.
XLSX_ZIP_LEVEL = 1

_SHEET_TITLE_FORBIDDEN = re.compile(r"[\[\]:*?/\\]")
# Characters the xlsx XML cannot hold: dropped (written as escapes like "_x0007_", readers
# other than Excel would show them literally).
_XLSX_ILLEGAL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
_EXCEL_ESCAPE_LIKE = re.compile(r"(_x[0-9A-Fa-f]{4}_)")

# Serial numbers count days from 1899-12-30 (right from March 1900 on: Excel's 1900 is a leap year).
_EXCEL_EPOCH = datetime(1899, 12, 30)
_DAY = timedelta(days=1)
# Cell styles of styles.xml below: 1 the header, 2-4 dates, date-times and times (openpyxl's
# number formats, so the sheets look as they always did).
_DATE_STYLE, _DATETIME_STYLE, _TIME_STYLE = ' s="2"', ' s="3"', ' s="4"'
_MAIN_NS = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
_REL_NS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
_PACKAGE_REL_NS = "http://schemas.openxmlformats.org/package/2006/relationships"
_XML_DECLARATION = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
_SHEET_TAIL = (
    '<pageMargins left="0.7" right="0.7" top="0.75" bottom="0.75" header="0.3" footer="0.3"/></worksheet>'
)
_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml"
_XLSX_FIXED_PARTS = (
    (
        "[Content_Types].xml",
        _XML_DECLARATION + '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
        '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
        '<Default Extension="xml" ContentType="application/xml"/>'
        f'<Override PartName="/xl/workbook.xml" ContentType="{_CONTENT_TYPE}.sheet.main+xml"/>'
        f'<Override PartName="/xl/worksheets/sheet1.xml" ContentType="{_CONTENT_TYPE}.worksheet+xml"/>'
        f'<Override PartName="/xl/styles.xml" ContentType="{_CONTENT_TYPE}.styles+xml"/></Types>',
    ),
    (
        "_rels/.rels",
        _XML_DECLARATION + f'<Relationships xmlns="{_PACKAGE_REL_NS}">'
        f'<Relationship Id="rId1" Type="{_REL_NS}/officeDocument" Target="xl/workbook.xml"/></Relationships>',
    ),
    (
        "xl/_rels/workbook.xml.rels",
        _XML_DECLARATION + f'<Relationships xmlns="{_PACKAGE_REL_NS}">'
        f'<Relationship Id="rId1" Type="{_REL_NS}/worksheet" Target="worksheets/sheet1.xml"/>'
        f'<Relationship Id="rId2" Type="{_REL_NS}/styles" Target="styles.xml"/></Relationships>',
    ),
    (
        "xl/styles.xml",
        _XML_DECLARATION + f'<styleSheet xmlns="{_MAIN_NS}">'
        '<numFmts count="3"><numFmt numFmtId="164" formatCode="yyyy-mm-dd"/>'
        '<numFmt numFmtId="165" formatCode="yyyy-mm-dd h:mm:ss"/>'
        '<numFmt numFmtId="166" formatCode="h:mm:ss"/>'
        '</numFmts><fonts count="2"><font><sz val="11"/><name val="Calibri"/><family val="2"/></font>'
        '<font><b/><sz val="11"/><name val="Calibri"/><family val="2"/></font></fonts>'
        '<fills count="3"><fill><patternFill patternType="none"/></fill>'
        '<fill><patternFill patternType="gray125"/>'
        '</fill><fill><patternFill patternType="solid"><fgColor rgb="FFDDEBF7"/><bgColor indexed="64"/>'
        '</patternFill></fill></fills><borders count="1"><border><left/><right/><top/><bottom/><diagonal/>'
        '</border></borders><cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/>'
        '</cellStyleXfs><cellXfs count="5"><xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/>'
        '<xf numFmtId="0" fontId="1" fillId="2" borderId="0" xfId="0" applyFont="1" applyFill="1"'
        ' applyAlignment="1"><alignment vertical="center"/></xf>'
        '<xf numFmtId="164" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/>'
        '<xf numFmtId="165" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/>'
        '<xf numFmtId="166" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/></cellXfs>'
        '<cellStyles count="1"><cellStyle name="Normal" xfId="0" builtinId="0"/></cellStyles></styleSheet>',
    ),
)


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
    quoting = _CsvQuoting()
    # Without the BOM Excel reads UTF-8 as the ANSI code page (GBK). The header goes out at
    # once so the download starts before the first query row arrives.
    yield "\ufeff" + quoting.line([_csv_value(name) for name in header]) + "\r\n"
    lines: list[str] = []
    size = 0
    for row in rows:
        cells = _csv_cells_unchecked(row)
        line = ",".join(cells)
        # One search of the joined line instead of a check of every text cell (a twelfth of the
        # export's time): a line where a cell may start a formula is made again cell by cell,
        # neutralised. A negative number also matches, and is written as it was.
        if line.startswith(FORMULA_TRIGGERS) or _TRIGGER_AFTER_COMMA.search(line):
            cells = [_csv_value(value) for value in row]
            line = ",".join(cells)
        # The csv module's line when no cell needs quotes (its QUOTE_MINIMAL): the same text
        # at a third of its cost. A comma, quote or line break in a cell, or a lone empty
        # cell (written ""), goes through the module.
        if not line or line.count(",") != len(cells) - 1 or '"' in line or "\n" in line or "\r" in line:
            line = quoting.line(cells)
        lines.append(line)
        size += len(line)
        if size >= CSV_CHUNK_CHARS:
            lines.append("")
            yield "\r\n".join(lines)
            lines.clear()
            size = 0
    if lines:
        lines.append("")
        yield "\r\n".join(lines)


def write_xlsx(
    fileobj: BinaryIO,
    header: Sequence[str],
    rows: Iterable[Sequence[Any]],
    *,
    sheet_title: str,
) -> int:
    """Write one sheet with a bold, frozen, filterable header row; return the number of data rows."""
    writer = _XlsxWriter(fileobj, header, sheet_title)
    for _ in writer.steps(rows):
        pass
    return writer.count


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
    """Yield the workbook while it is written, about 64 KiB at a time.

    A zip needs no seeking when each entry's sizes follow its data, so the first bytes leave
    before the last row is read, and a 100,000-row download holds no more than a chunk.
    """
    sink = _Sink()
    for _ in _XlsxWriter(sink, header, sheet_title).steps(rows):
        if sink.size >= XLSX_CHUNK_BYTES:
            yield sink.take()
    if sink.size:
        yield sink.take()


def safe_sheet_title(title: str) -> str:
    """Make a title Excel accepts: no []:*?/\\, no edge apostrophes, at most 31 characters."""
    cleaned = _SHEET_TITLE_FORBIDDEN.sub(" ", _XLSX_ILLEGAL.sub("", title)).strip().strip("'")[:31]
    return cleaned.strip() or "Sheet1"


def _csv_cells_unchecked(row: Sequence[Any]) -> list[str]:
    """A row's cells as `_csv_value` writes them, but text not checked for formulas (`iter_csv`
    checks the joined line), the common types without `_csv_value`'s checks (they were half of a
    CSV export's time): None empty, datetimes and Decimals formatted (the positional isoformat is
    a third faster than with keywords). Exact types only: a subclass (a StrEnum, a bool) takes
    `_csv_value`'s way."""
    return [
        value
        if (kind := type(value)) is str
        else ""
        if value is None
        else value.isoformat(" ", "seconds")
        if kind is datetime
        else str(value)
        if kind is int
        else format(value, "f")
        if kind is Decimal
        else _csv_value(value)
        for value in row
    ]


class _CsvQuoting:
    """The csv module's writer for the lines that need quotes, each returned without its end."""

    def __init__(self) -> None:
        self._buffer = io.StringIO()
        self._writer = csv.writer(self._buffer)  # its line end also says which cells need quotes

    def line(self, cells: Sequence[str]) -> str:
        self._buffer.seek(0)
        self._buffer.truncate()
        self._writer.writerow(cells)
        return self._buffer.getvalue().removesuffix("\r\n")


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


class _Sink:
    """A write-only stream that keeps what is written until taken: zipfile writes to it without
    seeking (it cannot tell where it is, so each entry's sizes follow the entry's data)."""

    def __init__(self) -> None:
        self._parts: list[bytes] = []
        self.size = 0

    def write(self, data) -> int:
        self._parts.append(bytes(data))
        self.size += len(data)
        return len(data)

    def flush(self) -> None:
        pass

    def take(self) -> bytes:
        data = b"".join(self._parts)
        self._parts.clear()
        self.size = 0
        return data


class _XlsxWriter:
    """Write an xlsx part by part: the fixed parts, the sheet's XML a block of rows at a time into
    its zip entry, then the workbook (which names the filter's range, known after the last row).

    The sheet XML is built here from strings rather than through XlsxWriter: a cell is one
    f-string, where XlsxWriter's constant-memory mode spent some 30 µs a row per cell on
    checks, dimension tracking and a temporary file. Strings are inline (no shared-string table
    to keep), so nothing grows with the rows.
    """

    def __init__(self, fileobj: BinaryIO, header: Sequence[str], sheet_title: str) -> None:
        self.fileobj, self.header, self.title = fileobj, list(header), safe_sheet_title(sheet_title)
        self.count = 0

    def steps(self, rows: Iterable[Sequence[Any]]) -> Iterator[None]:
        """Write the workbook, pausing after each block of rows reaches the zip."""
        rows = iter(rows)
        sample = list(islice(rows, WIDTH_SAMPLE_ROWS))
        letters = _column_letters(len(self.header))
        last_column = letters[-1] if letters else None
        with zipfile.ZipFile(self.fileobj, "w", zipfile.ZIP_DEFLATED, compresslevel=XLSX_ZIP_LEVEL) as book:
            for name, text in _XLSX_FIXED_PARTS:
                book.writestr(name, text)
            with book.open("xl/worksheets/sheet1.xml", "w", force_zip64=True) as sheet:
                sheet.write(_sheet_head(_column_widths(self.header, sample)).encode())
                block = [_row_xml(1, self.header, letters, ' s="1"')]
                number = 1
                for row in chain(sample, rows):
                    number += 1
                    if len(row) > len(letters):
                        letters = _column_letters(len(row))
                    block.append(_row_xml(number, row, letters, ""))
                    if len(block) >= XLSX_ROWS_PER_WRITE:
                        sheet.write("".join(block).encode())
                        block.clear()
                        yield
                self.count = number - 1
                block.append("</sheetData>")
                if last_column:
                    block.append(f'<autoFilter ref="A1:{last_column}{number}"/>')
                block.append(_SHEET_TAIL)
                sheet.write("".join(block).encode())
            filter_range = f"$A$1:${last_column}${number}" if last_column else None
            book.writestr("xl/workbook.xml", _workbook_xml(self.title, filter_range))
        yield


def _column_letters(count: int) -> list[str]:
    letters = []
    for index in range(count):
        name, index = "", index + 1
        while index:
            index, remainder = divmod(index - 1, 26)
            name = chr(65 + remainder) + name
        letters.append(name)
    return letters


def _row_xml(number: int, row: Sequence[Any], letters: list[str], style: str) -> str:
    """One <row> of cells; a None leaves its cell out (a styled header cell stays, blank).

    Types as XlsxWriter wrote them: text inline, numbers as numbers, booleans as booleans, dates
    and times as Excel serial numbers in their number format, NaN and infinity as #NUM!.
    """
    r = str(number)
    cells = [f'<row r="{r}">']
    for letter, value in zip(letters, row, strict=False):
        kind = type(value)
        if kind is str:
            cells.append(f'<c r="{letter}{r}"{style} t="inlineStr"><is>{_xml_text(value)}</is></c>')
        elif value is None:
            if style:
                cells.append(f'<c r="{letter}{r}"{style}/>')
        elif kind is int:
            cells.append(f'<c r="{letter}{r}"{style}><v>{value}</v></c>')
        else:
            cells.append(_typed_cell(f"{letter}{r}", value, style))
    cells.append("</row>")
    return "".join(cells)


def _typed_cell(ref: str, value: Any, style: str) -> str:
    if isinstance(value, bool):
        return f'<c r="{ref}"{style} t="b"><v>{int(value)}</v></c>'
    if isinstance(value, int | float | Decimal):
        if isinstance(value, int):
            return f'<c r="{ref}"{style}><v>{int(value)}</v></c>'
        if not (value.is_finite() if isinstance(value, Decimal) else math.isfinite(value)):
            return f'<c r="{ref}"{style} t="e"><v>#NUM!</v></c>'  # Excel has no NaN or infinity
        text = format(value, "f") if isinstance(value, Decimal) else repr(float(value))
        return f'<c r="{ref}"{style}><v>{text}</v></c>'
    if isinstance(value, datetime):
        # Excel has no time zones: keep the wall-clock time the caller chose to show.
        serial = (value.replace(tzinfo=None) - _EXCEL_EPOCH) / _DAY
        return f'<c r="{ref}"{style or _DATETIME_STYLE}><v>{serial!r}</v></c>'
    if isinstance(value, date):
        return f'<c r="{ref}"{style or _DATE_STYLE}><v>{(value - _EXCEL_EPOCH.date()).days}</v></c>'
    if isinstance(value, time):
        seconds = value.hour * 3600 + value.minute * 60 + value.second + value.microsecond / 1e6
        return f'<c r="{ref}"{style or _TIME_STYLE}><v>{seconds / 86400!r}</v></c>'
    # A str subclass (an enum member) by its text, any other object by its str(): as untrusted.
    text = str.__str__(value) if isinstance(value, str) else str(value)
    return f'<c r="{ref}"{style} t="inlineStr"><is>{_xml_text(text)}</is></c>'


def _xml_text(value: str) -> str:
    """The <t> of a text cell: cleaned and neutralised (`_xlsx_text`), then XML-escaped."""
    text = _xlsx_text(value)
    if "&" in text or "<" in text or ">" in text:
        text = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    if "_x" in text:
        # Excel reads "_x0041_" in text as the character it encodes; its own escape keeps it literal.
        text = _EXCEL_ESCAPE_LIKE.sub(r"_x005F\1", text)
    if text[:1].isspace() or text[-1:].isspace():
        return f'<t xml:space="preserve">{text}</t>'
    return f"<t>{text}</t>"


def _xlsx_text(value: str) -> str:
    """Text as Excel stores it: no XML-illegal characters, at most 32,767 characters, no formula."""
    printable = value.isprintable()  # most cells are: they skip the regular expression
    text = (value if printable else _XLSX_ILLEGAL.sub("", value))[:EXCEL_MAX_CELL_CHARS]
    if text.startswith(FORMULA_TRIGGERS):
        text = "'" + text
    if not printable:
        # A carriage return comes back from the XML as a line feed; written as one, it is not
        # escaped to "_x000D_", which readers other than Excel show literally.
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    return text


def _sheet_head(widths: list[float]) -> str:
    columns = "".join(
        f'<col min="{index}" max="{index}" width="{_stored_width(width):.16g}" customWidth="1"/>'
        for index, width in enumerate(widths, start=1)
    )
    return (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
        f'<worksheet xmlns="{_MAIN_NS}" xmlns:r="{_REL_NS}">'
        '<sheetViews><sheetView tabSelected="1" workbookViewId="0">'
        '<pane ySplit="1" topLeftCell="A2" activePane="bottomLeft" state="frozen"/>'
        '<selection pane="bottomLeft"/></sheetView></sheetViews>'
        '<sheetFormatPr defaultRowHeight="15"/>'
        + (f"<cols>{columns}</cols>" if columns else "")
        + "<sheetData>"
    )


def _stored_width(width: float) -> float:
    """A width in characters as the file stores it (Excel's, and XlsxWriter's, rounding):
    whole pixels of 7-pixel digits plus 5 pixels of padding, in 1/256 steps."""
    pixels = int(width * 7 + 0.5) + 5
    return (pixels * 256 // 7) / 256


def _workbook_xml(title: str, filter_range: str | None) -> str:
    names = ""
    if filter_range:
        quoted = "'" + title.replace("'", "''") + "'"
        names = (
            '<definedNames><definedName name="_xlnm._FilterDatabase" localSheetId="0" hidden="1">'
            f"{_xml_escape(quoted)}!{filter_range}</definedName></definedNames>"
        )
    return (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
        f'<workbook xmlns="{_MAIN_NS}" xmlns:r="{_REL_NS}">'
        '<bookViews><workbookView xWindow="240" yWindow="15" windowWidth="16095" windowHeight="9660"/>'
        f'</bookViews><sheets><sheet name="{_xml_escape(title, quote=True)}" sheetId="1" r:id="rId1"/>'
        f"</sheets>{names}</workbook>"
    )


def _xml_escape(text: str, *, quote: bool = False) -> str:
    text = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return text.replace('"', "&quot;") if quote else text


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
