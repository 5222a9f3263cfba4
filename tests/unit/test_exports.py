import csv
import io
import tracemalloc
import weakref
import zipfile
from datetime import UTC, date, datetime, time
from decimal import Decimal
from unittest.mock import patch

import openpyxl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from outlet_audit.core import spreadsheets
from outlet_audit.core.spreadsheets import (
    CSV_CHUNK_CHARS,
    WIDTH_SAMPLE_ROWS,
    _csv_value,
    iter_csv,
    iter_xlsx,
    neutralise_cell,
    safe_sheet_title,
    spool_xlsx,
    write_xlsx,
)

HEADER = ["网点名称", "许可证号", "所属区", "得分", "检查日期", "变化"]
HOSTILE = ['=HYPERLINK("http://evil.example","点我")', "+1+1", "-2+3", "@SUM(A1)", "\tcmd", "\r=1"]


class Row(list):
    """A row that can be watched with a weak reference, to see whether the writer keeps it."""


def sample_rows():
    return [
        ["顺丰南桥营业部", "SH-FX-0001", "奉贤", Decimal("87.50"), date(2025, 3, 1), -3],
        ['中通青浦网点, "总部"', "SH-QP-0002", "青浦", 92, datetime(2025, 4, 2, 9, 30), 0],
        ["多行\n地址", None, "浦东新区", Decimal("-1.5"), None, 12],
    ]


def read_xlsx(data: bytes):
    return openpyxl.load_workbook(io.BytesIO(data))


def xlsx_bytes(header, rows, sheet_title="网点") -> bytes:
    buffer = io.BytesIO()
    write_xlsx(buffer, header, rows, sheet_title=sheet_title)
    return buffer.getvalue()


@pytest.mark.parametrize("value", HOSTILE)
def test_formula_like_strings_get_a_leading_apostrophe(value):
    assert neutralise_cell(value) == "'" + value


@pytest.mark.parametrize(
    "value",
    [-5, 3.5, Decimal("-2.25"), date(2025, 1, 1), datetime(2025, 1, 1, 8), None, True, "奉贤", "", "a=b"],
)
def test_other_values_pass_unchanged(value):
    assert neutralise_cell(value) is value


def test_csv_starts_with_a_bom_and_parses_back_to_the_rows():
    text = "".join(iter_csv(HEADER, sample_rows()))

    assert text.startswith("\ufeff网点名称,许可证号")
    parsed = list(csv.reader(io.StringIO(text.removeprefix("\ufeff"), newline="")))
    assert parsed == [
        HEADER,
        ["顺丰南桥营业部", "SH-FX-0001", "奉贤", "87.50", "2025-03-01", "-3"],
        ['中通青浦网点, "总部"', "SH-QP-0002", "青浦", "92", "2025-04-02 09:30:00", "0"],
        ["多行\n地址", "", "浦东新区", "-1.5", "", "12"],
    ]


def test_csv_neutralises_hostile_cells_in_rows_and_header():
    text = "".join(iter_csv(["=cmd", "名称"], [[value, -7] for value in HOSTILE]))

    parsed = list(csv.reader(io.StringIO(text.removeprefix("\ufeff"), newline="")))
    assert parsed[0] == ["'=cmd", "名称"]
    assert [row[0] for row in parsed[1:]] == ["'" + value for value in HOSTILE]
    assert {row[1] for row in parsed[1:]} == {"-7"}  # a real negative number stays a number


def test_csv_writes_times_aware_datetimes_and_other_objects_as_text():
    rows = [[time(8, 30), datetime(2025, 5, 1, 12, 0, tzinfo=UTC), Decimal("1E+3")]]
    text = "".join(iter_csv(["a", "b", "c"], rows))

    assert text.splitlines()[1] == "08:30:00,2025-05-01 12:00:00+00:00,1000"


def test_csv_yields_the_header_before_pulling_any_row_and_streams_50000_rows():
    pulled = []

    def rows():
        for index in range(50_000):
            pulled.append(index)
            yield Row([f"网点{index}", f"SH-{index:06d}", "奉贤", index, date(2025, 1, 1), -index])

    chunks = iter_csv(HEADER, rows())
    first = next(chunks)
    assert first == "\ufeff" + ",".join(HEADER) + "\r\n"
    assert pulled == []

    second = next(chunks)
    assert len(second) >= CSV_CHUNK_CHARS
    assert 0 < len(pulled) < 1_000  # one chunk's worth, not the whole generator

    rest = list(chunks)
    assert len(pulled) == 50_000
    lines = "".join([first, second, *rest]).splitlines()
    assert len(lines) == 50_001
    assert lines[-1] == "网点49999,SH-049999,奉贤,49999,2025-01-01,-49999"


def test_xlsx_has_a_bold_frozen_header_and_typed_rows():
    book = read_xlsx(xlsx_bytes(HEADER, sample_rows()))

    sheet = book["网点"]
    assert [cell.value for cell in sheet[1]] == HEADER
    assert all(cell.font.bold for cell in sheet[1])
    assert sheet.freeze_panes == "A2"
    assert sheet.auto_filter.ref == "A1:F4"
    first = [cell.value for cell in sheet[2]]
    assert first[:3] == ["顺丰南桥营业部", "SH-FX-0001", "奉贤"]
    assert first[3] == 87.5 and sheet["D2"].data_type == "n"
    assert sheet["E2"].is_date and first[4].date() == date(2025, 3, 1)
    assert first[5] == -3 and sheet["F2"].data_type == "n"
    assert sheet["E3"].value == datetime(2025, 4, 2, 9, 30)
    assert sheet["A4"].value == "多行\n地址" and sheet["B4"].value is None
    assert sheet["D4"].value == -1.5


def test_xlsx_neutralises_hostile_cells_so_none_is_a_formula():
    book = read_xlsx(xlsx_bytes(["=cmd", "n"], [[value, -2] for value in HOSTILE]))

    sheet = book.active
    assert sheet["A1"].value == "'=cmd"
    # XML reads a carriage return back as a line feed; the apostrophe is what matters.
    expected = ["'" + value.replace("\r", "\n") for value in HOSTILE]
    assert [row[0].value for row in sheet.iter_rows(min_row=2)] == expected
    assert all(row[0].data_type == "s" for row in sheet.iter_rows(min_row=2))
    assert {row[1].value for row in sheet.iter_rows(min_row=2)} == {-2}


def test_xlsx_column_widths_fit_chinese_text_within_bounds():
    rows = [["上海市奉贤区南桥镇示例路一号快递服务站", "x", "y" * 500]]
    sheet = read_xlsx(xlsx_bytes(["地址", "短", "长"], rows)).active

    widths = {letter: shown_width(sheet.column_dimensions[letter].width) for letter in "ABC"}
    assert widths["A"] >= 2 * len(rows[0][0])  # CJK characters are two units wide
    assert widths["B"] == 8
    assert widths["C"] == 60


def shown_width(stored: float) -> float:
    """The width Excel shows for a column (characters of the default font, Calibri 11).

    The file stores that many 7-pixel digits plus 5 pixels of padding, in 1/256 steps.
    """
    return round((stored * 7 - 5) / 7, 2)


def test_xlsx_strips_characters_excel_cannot_store_and_drops_time_zones():
    rows = [["网点\x00\x07名", datetime(2025, 5, 1, 20, 0, tzinfo=UTC)]]
    sheet = read_xlsx(xlsx_bytes(["名称", "时间"], rows)).active

    assert sheet["A2"].value == "网点名"
    assert sheet["B2"].value == datetime(2025, 5, 1, 20, 0)


def test_write_xlsx_returns_the_row_count_and_handles_no_rows():
    buffer = io.BytesIO()
    assert write_xlsx(buffer, HEADER, iter(()), sheet_title="空") == 0
    sheet = read_xlsx(buffer.getvalue()).active
    assert [cell.value for cell in sheet[1]] == HEADER
    assert sheet.max_row == 1


@pytest.mark.parametrize(
    ("title", "expected"),
    [
        ("网点", "网点"),
        ("2025/03 [奉贤]: 网点?", "2025 03  奉贤   网点"),
        ("'x'", "x"),
        ("", "Sheet1"),
        ("长" * 40, "长" * 31),
    ],
)
def test_sheet_titles_are_made_acceptable_to_excel(title, expected):
    assert safe_sheet_title(title) == expected


def test_iter_xlsx_yields_chunks_of_a_valid_workbook():
    rows = ([f"网点{i}", f"SH-{i:06d}", "奉贤", i, date(2025, 1, 1), -i] for i in range(3_000))
    chunks = list(iter_xlsx(HEADER, rows, sheet_title="网点清单"))

    assert len(chunks) > 1 and all(isinstance(chunk, bytes) for chunk in chunks)
    data = b"".join(chunks)
    assert zipfile.is_zipfile(io.BytesIO(data))
    sheet = read_xlsx(data)["网点清单"]
    assert sheet.max_row == 3_001
    assert sheet["A3001"].value == "网点2999" and sheet["F3001"].value == -2999


def test_spool_xlsx_returns_a_rewound_file():
    with spool_xlsx(HEADER, sample_rows(), sheet_title="网点") as spool:
        assert spool.tell() == 0
        assert spool.read(2) == b"PK"


@pytest.mark.parametrize("write", ["csv", "xlsx"])
def test_5000_rows_stream_through_without_being_kept(write):
    """Each row is dropped once written: at the end only the width sample can still be alive."""
    refs = []
    alive_at_end = []

    def rows():
        for index in range(5_000):
            row = Row(
                [f"网点{index}", f"SH-{index:06d}", "奉贤", Decimal(index) / 4, date(2025, 1, 1), -index]
            )
            refs.append(weakref.ref(row))
            yield row
            del row
        alive_at_end.append(sum(ref() is not None for ref in refs))

    if write == "csv":
        for _ in iter_csv(HEADER, rows()):
            pass
    else:
        with spool_xlsx(HEADER, rows(), sheet_title="网点") as spool:
            assert read_xlsx(spool.read()).active.max_row == 5_001

    assert len(refs) == 5_000
    assert alive_at_end[0] <= WIDTH_SAMPLE_ROWS + 1


def test_xlsx_keeps_every_type_and_text_exactly():
    """The sheet XML is written by hand: each type, and text that XML or Excel would read otherwise."""
    values = [
        True, 2.5, float("nan"), float("inf"), Decimal("NaN"), time(9, 30, 15), 10**12,
        "a < b & c > d", "  leading and trailing  ", "literal _x0041_ stays", "bad\ud800surrogate\uffff",
    ]  # fmt: skip
    header = [f"c{index}" for index in range(len(values))]
    sheet = read_xlsx(xlsx_bytes(header, [values])).active

    cells = list(sheet[2])
    assert cells[0].value is True and cells[0].data_type == "b"
    assert cells[1].value == 2.5
    assert [cell.value for cell in cells[2:5]] == ["#NUM!"] * 3  # Excel has no NaN or infinity
    assert cells[5].value == time(9, 30, 15) and cells[5].is_date
    assert cells[6].value == 10**12 and cells[6].data_type == "n"
    assert cells[7].value == "a < b & c > d"
    assert cells[8].value == "  leading and trailing  "
    # Excel's escape of its escape: openpyxl shows what is stored, Excel shows "_x0041_" literally.
    assert cells[9].value in ("literal _x0041_ stays", "literal _x005F_x0041_ stays")
    assert cells[10].value == "badsurrogate"


def test_iter_xlsx_sends_its_first_bytes_before_the_last_row_is_read():
    pulled = []

    def rows():
        for index in range(20_000):
            pulled.append(index)
            yield [f"网点{index}", f"SH-{index:06d}", "奉贤", index, date(2025, 1, 1), -index]

    chunks = iter_xlsx(HEADER, rows(), sheet_title="网点")
    first = next(chunks)
    assert first.startswith(b"PK") and len(pulled) < 20_000
    data = first + b"".join(chunks)
    assert len(pulled) == 20_000
    sheet = read_xlsx(data)["网点"]
    assert sheet.max_row == 20_001 and sheet["A20001"].value == "网点19999"
    assert sheet.freeze_panes == "A2" and sheet.auto_filter.ref == "A1:F20001"


@pytest.mark.parametrize("write", ["csv", "xlsx"])
def test_memory_stays_flat_for_four_times_the_rows(write):
    """The writers hold a block of rows at most: 40,000 rows peak about as high as 10,000."""

    def peak(count: int) -> int:
        rows = ([f"上海市奉贤区南桥镇示例路{index}号", f"SH-{index:06d}", "奉贤", Decimal(index) / 4,
                 datetime(2025, 1, 1, 8), -index] for index in range(count))  # fmt: skip
        tracemalloc.start()
        try:
            if write == "csv":
                for _ in iter_csv(HEADER, rows):
                    pass
            else:
                for _ in iter_xlsx(HEADER, rows, sheet_title="网点"):
                    pass
            return tracemalloc.get_traced_memory()[1]
        finally:
            tracemalloc.stop()

    peak(10_000)  # warm: the interpreter's free lists, compiled patterns
    small, large = peak(10_000), peak(40_000)
    assert large < 1.5 * small, (small, large)


@pytest.mark.parametrize(
    "moment",
    [datetime(2025, 3, 1, 20, 30), datetime(1991, 9, 15), datetime(1991, 7, 1, 12), datetime(1988, 6, 1, 3)],
)
def test_export_rows_shortcuts_agree_with_the_zone_and_the_reference(moment):
    """The exports skip the zone database after Shanghai's last summer time, and strftime."""
    from outlet_audit.core.time import SHANGHAI
    from outlet_audit.dashboards.export_rows import reference, shanghai_time
    from outlet_audit.workflow.models import application_reference

    assert shanghai_time(moment) == moment.replace(tzinfo=UTC).astimezone(SHANGHAI).replace(tzinfo=None)
    assert reference(moment, 42) == application_reference(moment, 42)


class Shown:
    """An object the CSV writes by its text (which is as untrusted as any string)."""

    def __init__(self, text: str) -> None:
        self.text = text

    def __str__(self) -> str:
        return self.text


class Tagged(str):
    """A str subclass (a StrEnum's members are one): written as its text, neutralised."""


def test_csv_pins_every_kind_of_cell_byte_for_byte():
    """What each value becomes, exactly: a faster writer must write the same file."""
    rows = [
        ["=1+2", "+86 21", "-5 元", "@SUM(A1)", "\tcmd", "\r=1", "a=b", "", None],
        ["上海市奉贤区", '中通, "总部"', "多行\n地址", "end\r", " =lead", "'quoted", "=a,b", "\r\n", "x\x00"],
        [-3, 0, 10**20, 2.5, -0.1, float("nan"), float("-inf"), True, False],
        [Decimal("87.50"), Decimal("-1.5"), Decimal("1E+3"), Decimal("NaN"), date(2025, 3, 1),
         datetime(2025, 4, 2, 9, 30), datetime(2025, 4, 2, 9, 30, 5, 123456),
         datetime(2025, 5, 1, 12, 0, tzinfo=UTC), time(8, 30, 1, 5)],
        [Shown("=HYPERLINK(1)"), Shown("fine"), Tagged("=tag"), Tagged("tag"), b"-bytes", (1, 2),
         datetime(999, 1, 2, 3, 4, 5), date(1, 1, 1), time(0)],
        [],
        [None],
        [""],
    ]  # fmt: skip
    text = "".join(iter_csv(["=cmd", "名称", "", None, 5], rows))

    assert text == (
        "\ufeff'=cmd,名称,,,5\r\n"
        "'=1+2,'+86 21,'-5 元,'@SUM(A1),'\tcmd,\"'\r=1\",a=b,,\r\n"
        '上海市奉贤区,"中通, ""总部""","多行\n地址","end\r", =lead,\'quoted,"\'=a,b","\'\r\n",x\x00\r\n'
        "-3,0,100000000000000000000,2.5,-0.1,nan,-inf,True,False\r\n"
        "87.50,-1.5,1000,NaN,2025-03-01,2025-04-02 09:30:00,2025-04-02 09:30:05,"
        "2025-05-01 12:00:00+00:00,08:30:01.000005\r\n"
        "'=HYPERLINK(1),fine,'=tag,tag,b'-bytes',\"(1, 2)\",0999-01-02 03:04:05,0001-01-01,00:00:00\r\n"
        "\r\n"
        '""\r\n'
        '""\r\n'
    )


def reference_csv(header, rows) -> str:
    """The CSV by its definition, one cell at a time: what `iter_csv` must write, only faster."""
    buffer = io.StringIO()
    buffer.write("\ufeff")
    writer = csv.writer(buffer)
    for row in [header, *rows]:
        writer.writerow([_csv_value(value) for value in row])
    return buffer.getvalue()


any_cell = st.one_of(
    st.none(),
    st.text(alphabet=st.sampled_from("=+-@\t\r\n,\"' a1上海_x")),
    st.text(),
    st.integers(),
    st.floats(allow_nan=True),
    st.decimals(allow_nan=True),
    st.booleans(),
    st.dates(),
    st.datetimes(),
    st.datetimes(timezones=st.just(UTC)),
    st.times(),
    st.builds(Shown, st.text(alphabet="=+-@ab", max_size=3)),
    st.builds(Tagged, st.text(alphabet="=+-@ab", max_size=3)),
)


@settings(max_examples=300, deadline=None)
@given(st.lists(st.lists(any_cell, max_size=12), max_size=40), st.integers(min_value=1, max_value=200))
def test_csv_writes_what_each_cell_defines_whatever_the_rows_and_chunks(rows, chunk_chars):
    with patch.object(spreadsheets, "CSV_CHUNK_CHARS", chunk_chars):
        assert "".join(iter_csv(["名称", "=h"], rows)) == reference_csv(["名称", "=h"], rows)
