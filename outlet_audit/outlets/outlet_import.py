"""Read and check a bureau's bulk outlet import (XLSX or CSV); pure, the database comes later.

`parse_import_file` turns the upload into `RawRow`s or raises `ImportFileError`;
`validate_rows` turns those into an `ImportPlan`: clean outlets keyed by permit number
and every problem by row and column. Row numbers are the ones Excel shows (header = 1).
"""

import csv
import io
import re
import unicodedata
import warnings
import zipfile
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time
from pathlib import PurePath
from typing import Any, BinaryIO

from openpyxl import Workbook, load_workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation

from outlet_audit.core.spreadsheets import iter_csv
from outlet_audit.outlets.rules import is_valid_permit_number, normalise_permit_number
from outlet_audit.text import N_, Message, Refused, clean_text


@dataclass(frozen=True)
class ImportColumn:
    key: str
    header: str  # as in the template; the file is Chinese whatever the UI language
    required: bool
    max_length: int  # the column's length in outlet_audit/outlets/models.py
    aliases: tuple[str, ...] = ()  # other headers people type, Chinese or English
    hint: str = ""  # shown on the template's instructions sheet


COLUMNS = (
    ImportColumn("name", "网点名称", True, 200, ("名称", "outlet name"), "网点全称，如“顺丰南桥营业部”"),
    ImportColumn("brand", "品牌", True, 50, ("快递品牌",), "从下拉列表选择，其他品牌填“其他”"),
    ImportColumn("district", "所在区", True, 20, ("区", "所属区", "区县"), "如“奉贤”“奉贤区”或“浦东新区”"),
    ImportColumn("address", "地址", True, 300, ("网点地址", "详细地址"), "网点详细地址"),
    ImportColumn(
        "permit_number",
        "许可证或备案号",
        True,
        40,
        ("许可证号", "备案号", "许可证编号", "permit", "permit or filing number"),
        "快递业务经营许可证号或末端网点备案号：6–40 位字母、数字或连字符（至少 4 位数字），可以“沪”开头",
    ),
    ImportColumn("manager", "负责人", True, 50, ("联系人",), "网点负责人姓名"),
    ImportColumn(
        "phone", "联系电话", True, 30, ("电话", "手机", "联系方式"), "手机 11 位，或座机 021-12345678"
    ),
    ImportColumn("opening_hours", "营业时间", False, 100, ("hours",), "选填，如 08:00-20:00"),
    ImportColumn(
        "has_packing_bench",
        "封装台",
        False,
        10,
        ("有无封装台", "packing bench"),
        "选填：“有”或“无”；没有封装台的网点不评封装作业项目，空着表示保持原样（新网点为“未填写”，全部项目适用）",
    ),
)
# What the packing bench column accepts, folded (stripped, lower case).
PACKING_BENCH_WORDS = {
    "有": True,
    "是": True,
    "yes": True,
    "y": True,
    "无": False,
    "没有": False,
    "否": False,
    "no": False,
    "n": False,
}
COLUMN_BY_KEY = {column.key: column for column in COLUMNS}
TEMPLATE_HEADER = tuple(column.header for column in COLUMNS)
EXAMPLE_ROW = (
    "顺丰南桥营业部",
    "顺丰",
    "奉贤",
    "上海市奉贤区南桥镇示例路 1 号",
    "SH-FX-2025-0001",
    "张三",
    "13800000000",
    "08:00-20:00",
    "有",
)
DEFAULT_MAX_ROWS = 5000
# 5,000 outlets unpack to about 3 MB; far more is a zip bomb (a small upload that unpacks to
# gigabytes of empty rows and would keep a worker busy for hours).
MAX_UNPACKED_BYTES = 16 * 1024 * 1024
BLANK_ROWS_PER_ROW = 10  # blank rows are skipped, but only this many times max_rows of them are read
TEMPLATE_DATA_SHEET, TEMPLATE_HELP_SHEET = "网点", "填写说明"

_MOBILE = re.compile(r"(?:\+?86)?(1[3-9]\d{9})")
_LANDLINE = re.compile(r"(?:\+?8621|021)?([2-9]\d{7})")
_SCIENTIFIC = re.compile(r"\d(?:\.\d+)?E\+\d+", re.IGNORECASE)  # what Excel makes of long digit runs
# Columns whose own check already refuses anything too long, so one mistake gives one problem.
_CHECKED_BY_FORMAT = frozenset({"brand", "district", "permit_number", "phone"})
_XLSX_MAGIC, _XLS_MAGIC = b"PK\x03\x04", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"


class ImportFileError(Refused):
    """The upload as a whole cannot be read; `message` says why, for the user."""


@dataclass(frozen=True)
class RawRow:
    row: int  # as Excel numbers it
    values: Mapping[str, str]  # every column key -> cell text, stripped, "" when empty or absent


@dataclass(frozen=True)
class OutletRow:
    row: int
    name: str
    brand: str
    district_id: int
    address: str
    permit_number: str  # normalised by outlets.rules, exactly as registration stores it
    manager: str
    phone: str  # normalised: see normalise_phone
    opening_hours: str | None
    has_packing_bench: bool | None = None  # None: the cell was empty


@dataclass(frozen=True)
class RowProblem:
    row: int
    column: str  # a key of COLUMN_BY_KEY
    message: Message


@dataclass(frozen=True)
class ImportPlan:
    outlets: dict[str, OutletRow]  # by permit number, in file order; rows with problems left out
    problems: list[RowProblem]  # sorted by row, then column order
    row_count: int  # non-blank rows read

    @property
    def ok(self) -> bool:
        return not self.problems

    def problem_rows(self) -> list[int]:
        return sorted({problem.row for problem in self.problems})


def parse_import_file(data: bytes, filename: str, *, max_rows: int = DEFAULT_MAX_ROWS) -> list[RawRow]:
    """Read an XLSX or CSV upload into rows; raise ImportFileError when it cannot be used."""
    if not data.strip():
        raise ImportFileError(Message(N_("The file is empty.")))
    if data.startswith(_XLS_MAGIC) or PurePath(filename).suffix.lower() == ".xls":
        raise ImportFileError(
            Message(
                N_(
                    "Old Excel files (.xls) cannot be read. "
                    "Save the file as .xlsx or CSV and upload it again."
                )
            )
        )
    if data.startswith(_XLSX_MAGIC):
        return _read_xlsx(data, filename, max_rows)
    text = _decode_text(data, filename)
    first_line = text.split("\n", 1)[0]
    # Excel's "Unicode text" export is tab-separated; everything else here is comma-separated.
    delimiter = "\t" if "\t" in first_line and "," not in first_line else ","
    try:
        return _rows_from_records(csv.reader(io.StringIO(text, newline=""), delimiter=delimiter), max_rows)
    except csv.Error as error:
        raise ImportFileError(_not_a_spreadsheet(filename)) from error


def validate_rows(
    rows: Iterable[RawRow],
    *,
    districts: Mapping[str, int],
    allowed_district_ids: set[int] | None,
    known_brands: Sequence[str],
) -> ImportPlan:
    """Check every row and report every problem; `allowed_district_ids=None` means all districts."""
    district_lookup = _district_lookup(districts)
    brand_lookup = {_fold(brand): brand for brand in known_brands}
    problems: list[RowProblem] = []
    clean: list[OutletRow] = []
    rows_by_permit: dict[str, list[int]] = defaultdict(list)
    rows = list(rows)
    for raw in rows:
        row_problems, outlet, permit = _check_row(
            raw, district_lookup, allowed_district_ids, brand_lookup, known_brands
        )
        problems.extend(row_problems)
        if outlet is not None:
            clean.append(outlet)
        if permit is not None:
            rows_by_permit[permit].append(raw.row)

    # Every copy of a repeated permit number is refused: which one is right is the bureau's call.
    for permit, numbers in rows_by_permit.items():
        if len(numbers) > 1:
            message = Message(
                N_("Permit number %(value)s appears more than once in the file (rows %(rows)s)."),
                {"value": permit, "rows": ", ".join(str(number) for number in numbers)},
            )
            problems.extend(RowProblem(number, "permit_number", message) for number in numbers)
    order = {key: index for index, key in enumerate(COLUMN_BY_KEY)}
    problems.sort(key=lambda problem: (problem.row, order[problem.column]))
    outlets = {
        outlet.permit_number: outlet for outlet in clean if len(rows_by_permit[outlet.permit_number]) == 1
    }
    return ImportPlan(outlets=outlets, problems=problems, row_count=len(rows))


def _check_row(
    raw: RawRow,
    district_lookup: Mapping[str, int],
    allowed_district_ids: set[int] | None,
    brand_lookup: Mapping[str, str],
    known_brands: Sequence[str],
) -> tuple[list[RowProblem], OutletRow | None, str | None]:
    """Return the row's problems, the clean outlet if it has none, and its well-formed permit number."""
    problems: list[RowProblem] = []

    def report(column: str, template: str, **params: Any) -> None:
        problems.append(RowProblem(raw.row, column, Message(template, params)))

    values = {column.key: _tidy(raw.values.get(column.key, "")) for column in COLUMNS}
    for column in COLUMNS:
        value = values[column.key]
        if column.required and not value:
            report(column.key, N_("This field is required."))
        elif len(value) > column.max_length and column.key not in _CHECKED_BY_FORMAT:
            report(
                column.key,
                N_("At most %(max)d characters are allowed; this has %(length)d."),
                max=column.max_length,
                length=len(value),
            )

    brand = brand_lookup.get(_fold(values["brand"]))
    if values["brand"] and brand is None:
        choices = ", ".join(known_brands)
        report(
            "brand",
            N_("Unknown brand “%(value)s”; use one of: %(choices)s."),
            value=values["brand"],
            choices=choices,
        )

    district_id = _find_district(values["district"], district_lookup)
    if values["district"] and district_id is None:
        report("district", N_("Unknown district “%(value)s”."), value=values["district"])
    elif (
        district_id is not None
        and allowed_district_ids is not None
        and district_id not in allowed_district_ids
    ):
        report("district", N_("District %(value)s is outside your bureau's area."), value=values["district"])

    # One rule for registration and import (outlets.rules), so both store the same number.
    permit = normalise_permit_number(values["permit_number"])
    if not is_valid_permit_number(permit):
        permit = None
    if permit == EXAMPLE_ROW[4]:
        report("permit_number", N_("This is the template's example row; delete it or fill in a real outlet."))
    elif values["permit_number"] and permit is None:
        template = N_(
            "“%(value)s” is not a valid permit or filing number: use 6 to 40 letters, digits or hyphens, "
            "with at least four digits."
        )
        report(
            "permit_number",
            _excel_number_hint(values["permit_number"], template),
            value=values["permit_number"],
        )

    phone = normalise_phone(values["phone"])
    if values["phone"] and phone is None:
        template = N_(
            "“%(value)s” is not a phone number: "
            "use a mobile number (11 digits) or a Shanghai landline (021-12345678)."
        )
        report("phone", _excel_number_hint(values["phone"], template), value=values["phone"])

    bench = PACKING_BENCH_WORDS.get(values["has_packing_bench"].lower())
    if values["has_packing_bench"] and bench is None:
        report(
            "has_packing_bench",
            N_("Write “有” or “无” for the packing bench, not “%(value)s”."),
            value=values["has_packing_bench"],
        )

    if problems or brand is None or district_id is None or permit is None or phone is None:
        return problems, None, permit
    outlet = OutletRow(
        row=raw.row,
        name=values["name"],
        brand=brand,
        district_id=district_id,
        address=values["address"],
        permit_number=permit,
        manager=values["manager"],
        phone=phone,
        opening_hours=values["opening_hours"] or None,
        has_packing_bench=bench,
    )
    return problems, outlet, permit


def normalise_phone(text: str) -> str | None:
    """Return a mobile as 11 digits or a Shanghai landline as 021-xxxxxxxx, or None if neither."""
    compact = re.sub(r"[\s()\-]", "", unicodedata.normalize("NFKC", text))
    if match := _MOBILE.fullmatch(compact):
        return match.group(1)
    if match := _LANDLINE.fullmatch(compact):
        return f"021-{match.group(1)}"
    return None


def write_template_xlsx(fileobj: BinaryIO, *, districts: Sequence[str], brands: Sequence[str]) -> None:
    """Write the import template: an empty data sheet with drop-downs, then an instructions sheet."""
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = TEMPLATE_DATA_SHEET
    sheet.append(TEMPLATE_HEADER)
    for index, column in enumerate(COLUMNS, start=1):
        cell = sheet.cell(row=1, column=index)
        cell.font, cell.fill = Font(bold=True), PatternFill("solid", fgColor="DDEBF7")
        dimension = sheet.column_dimensions[get_column_letter(index)]
        dimension.width = 40 if column.key == "address" else 20
        # Text format keeps Excel from turning phone and permit numbers into 1.38E+10.
        dimension.number_format = "@"
    sheet.freeze_panes = "A2"
    for key, choices in (("brand", brands), ("district", districts)):
        listed = ",".join(choices)
        if choices and len(listed) <= 250:  # Excel's limit for an inline list is 255 characters
            letter = get_column_letter(list(COLUMN_BY_KEY).index(key) + 1)
            # A suggestion, not a rule: "奉贤区" typed by hand must stay possible.
            validation = DataValidation(type="list", formula1=f'"{listed}"', showErrorMessage=False)
            validation.add(f"{letter}2:{letter}{DEFAULT_MAX_ROWS + 1}")
            sheet.add_data_validation(validation)

    help_sheet = workbook.create_sheet(TEMPLATE_HELP_SHEET)
    help_sheet.append(["无废快递网点批量导入说明"])
    help_sheet.append(["请在“网点”工作表第 2 行起每行填写一个网点，不要修改第 1 行表头；空行会被跳过。"])
    help_sheet.append(["许可证或备案号相同的网点会更新已有记录，因此同一文件内不能重复。"])
    help_sheet.append([])
    help_sheet.append(["列名", "是否必填", "填写要求"])
    for column in COLUMNS:
        help_sheet.append([column.header, "必填" if column.required else "选填", column.hint])
    help_sheet.append([])
    help_sheet.append(["示例（仅供参考；导入时只读取“网点”工作表）"])
    help_sheet.append(list(TEMPLATE_HEADER))
    help_sheet.append(list(EXAMPLE_ROW))
    help_sheet["A1"].font = Font(bold=True, size=14)
    for row in help_sheet.iter_rows(min_row=5, max_row=5):
        for cell in row:
            cell.font = Font(bold=True)
    for letter, width in (("A", 18), ("B", 12), ("C", 60)):
        help_sheet.column_dimensions[letter].width = width
        for cell in help_sheet[letter]:
            cell.alignment = Alignment(wrap_text=True, vertical="top")
    workbook.save(fileobj)


def template_csv() -> str:
    """Return the CSV template: BOM and header only, since an example row would be imported."""
    return "".join(iter_csv(TEMPLATE_HEADER, ()))


def _read_xlsx(data: bytes, filename: str, max_rows: int) -> list[RawRow]:
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            is_workbook = "xl/workbook.xml" in archive.namelist()
            # Declared sizes bound what unzipping yields: zipfile stops each member there.
            unpacked = sum(member.file_size for member in archive.infolist())
    except zipfile.BadZipFile:
        is_workbook, unpacked = False, 0
    if not is_workbook:
        raise ImportFileError(_not_a_spreadsheet(filename))
    if unpacked > MAX_UNPACKED_BYTES:
        raise ImportFileError(
            Message(N_("The workbook is too large once unpacked; split it into smaller files."))
        )
    # openpyxl warns about features it drops (extensions, styles); none matter for reading values.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
        except Exception as error:  # openpyxl raises many kinds on damaged files
            raise ImportFileError(
                Message(N_("The workbook could not be read; it may be damaged."))
            ) from error
        try:
            sheet = _data_sheet(workbook.worksheets)
            return _rows_from_records(sheet.iter_rows(values_only=True), max_rows)
        finally:
            workbook.close()


def _data_sheet(sheets: Sequence[Any]) -> Any:
    """Pick the first sheet whose header row has every required column, else the first sheet."""
    for sheet in sheets:
        sheet.reset_dimensions()  # some writers record a wrong size, which would cut rows off
        header = next(sheet.iter_rows(max_row=1, values_only=True), ())
        if not _missing_columns(_header_positions(header)):
            return sheet
    return sheets[0]


def _decode_text(data: bytes, filename: str) -> str:
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):  # Excel's "Unicode text"
        return data.decode("utf-16")
    if b"\x00" in data:
        raise ImportFileError(_not_a_spreadsheet(filename))
    # GB18030 is what Excel on Chinese Windows writes for "CSV (comma delimited)".
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise ImportFileError(
        Message(
            N_("The CSV file is in an unknown text encoding. Save it as “CSV UTF-8” and upload it again.")
        )
    )


def _rows_from_records(records: Iterable[Sequence[Any]], max_rows: int) -> list[RawRow]:
    records = iter(records)
    header = next(records, None)
    positions = _header_positions(header or ())
    if missing := _missing_columns(positions):
        raise ImportFileError(
            Message(
                N_("The first row must be the header row; it lacks the column(s): %(columns)s."),
                {"columns": ", ".join(missing)},
            )
        )
    rows: list[RawRow] = []
    for number, record in enumerate(records, start=2):
        if number > max_rows * BLANK_ROWS_PER_ROW + 1:
            raise ImportFileError(
                Message(
                    N_("The file has more than %(max)d rows; split it into smaller files."),
                    {"max": max_rows * BLANK_ROWS_PER_ROW},
                )
            )
        values = {
            key: _cell_text(record[index]) if index < len(record) else "" for key, index in positions.items()
        }
        values = {column.key: values.get(column.key, "") for column in COLUMNS}
        if not any(values.values()):
            continue
        if len(rows) == max_rows:
            raise ImportFileError(
                Message(
                    N_("The file has more than %(max)d outlets; split it into smaller files."),
                    {"max": max_rows},
                )
            )
        rows.append(RawRow(number, values))
    if not rows:
        raise ImportFileError(Message(N_("The file has no outlets below the header row.")))
    return rows


def _header_positions(header: Sequence[Any]) -> dict[str, int]:
    names = {}
    for column in COLUMNS:
        for name in (column.header, column.key, *column.aliases):
            names[_header_key(name)] = column.key
    positions: dict[str, int] = {}
    for index, cell in enumerate(header):
        key = names.get(_header_key(_cell_text(cell)))
        if key is not None:
            if key in positions:
                raise ImportFileError(
                    Message(
                        N_("The column %(column)s appears twice in the header row."),
                        {"column": COLUMN_BY_KEY[key].header},
                    )
                )
            positions[key] = index
    return positions


def _missing_columns(positions: Mapping[str, int]) -> list[str]:
    return [column.header for column in COLUMNS if column.required and column.key not in positions]


def _header_key(text: str) -> str:
    """Fold header spellings together: width, case, spaces, "*" marks and "(选填)" notes."""
    text = unicodedata.normalize("NFKC", text).strip().strip("*").strip()
    text = re.sub(r"\([^)]*\)$", "", text).strip()
    return re.sub(r"[\s_-]+", "_", text.casefold())


def _cell_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))  # a phone number Excel stored as a number
    if isinstance(value, datetime):
        return value.isoformat(sep=" ", timespec="minutes")
    if isinstance(value, time):
        return value.strftime("%H:%M")
    if isinstance(value, date):
        return value.isoformat()
    # Cleaned as typed text is (no bidi overrides, zero-widths, controls); _tidy joins its lines.
    return clean_text(str(value), multiline=True)


def _tidy(text: str) -> str:
    """Collapse runs of whitespace (line breaks in cells included) into one space."""
    return " ".join(text.split())


def _fold(text: str) -> str:
    return unicodedata.normalize("NFKC", text).strip().casefold()


def _district_lookup(districts: Mapping[str, int]) -> dict[str, int]:
    """Index districts under their names with and without 区 (浦东新区 also as 浦东)."""
    lookup: dict[str, int] = {}
    for name, district_id in districts.items():
        folded = _fold(name).replace(" ", "")
        base = folded.removesuffix("新区") if folded.endswith("新区") else folded.removesuffix("区")
        for key in (folded, base, base + "区"):
            lookup.setdefault(key, district_id)
    return lookup


def _find_district(text: str, lookup: Mapping[str, int]) -> int | None:
    if not text:
        return None
    folded = _fold(text).replace(" ", "")
    folded = folded.removeprefix("上海市").removeprefix("上海").removesuffix("district")
    return lookup.get(folded)


def _excel_number_hint(value: str, template: str) -> str:
    """Explain a number that Excel turned into scientific notation; otherwise keep the template."""
    if _SCIENTIFIC.fullmatch(value):
        return N_("Excel turned this number into “%(value)s”; format the column as text and type it again.")
    return template


def _not_a_spreadsheet(filename: str) -> Message:
    return Message(
        N_("%(filename)s is neither an Excel workbook (.xlsx) nor a CSV file."), {"filename": filename}
    )
