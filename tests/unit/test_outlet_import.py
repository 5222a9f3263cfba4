import io
import zipfile

import openpyxl
import pytest
from hypothesis import given
from hypothesis import strategies as st

from outlet_audit.outlets.outlet_import import (
    COLUMN_BY_KEY,
    COLUMNS,
    EXAMPLE_ROW,
    TEMPLATE_HEADER,
    ImportFileError,
    RawRow,
    normalise_phone,
    parse_import_file,
    template_csv,
    validate_rows,
    write_template_xlsx,
)
from outlet_audit.outlets.rules import is_valid_permit_number, normalise_permit_number

DISTRICTS = {"黄浦": 1, "浦东新区": 11, "青浦": 14, "奉贤": 15}
BRANDS = ("中国邮政", "顺丰", "京东", "中通", "圆通", "申通", "韵达", "极兔", "德邦", "菜鸟", "其他")
GOOD = {
    "name": "顺丰奉贤南桥营业部",
    "brand": "顺丰",
    "district": "奉贤",
    "address": "上海市奉贤区南桥镇百齐路 100 号",
    "permit_number": "SH-FX-0001",
    "manager": "王芳",
    "phone": "13812345678",
    "opening_hours": "08:00-20:00",
    "has_packing_bench": "有",
}
GOOD_LINE = list(GOOD.values())


def csv_bytes(lines, encoding="utf-8-sig", header=TEMPLATE_HEADER) -> bytes:
    def quote(value):
        return (
            '"' + str(value).replace('"', '""') + '"' if any(c in str(value) for c in ',"\n') else str(value)
        )

    text = "\r\n".join(",".join(quote(value) for value in line) for line in [header, *lines])
    return text.encode(encoding)


def filled_template(lines, *, active_sheet=0) -> bytes:
    """Fill the template as a user would in Excel and save it."""
    template = io.BytesIO()
    write_template_xlsx(template, districts=list(DISTRICTS), brands=BRANDS)
    book = openpyxl.load_workbook(io.BytesIO(template.getvalue()))
    sheet = book["网点"]
    for line in lines:
        sheet.append(line)
    book.active = active_sheet
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def validate(*rows, allowed=None):
    raw = [RawRow(number, {**GOOD, **changes}) for number, changes in enumerate(rows, start=2)]
    return validate_rows(raw, districts=DISTRICTS, allowed_district_ids=allowed, known_brands=BRANDS)


def refused(data: bytes, filename: str = "网点.csv", **kwargs) -> ImportFileError:
    with pytest.raises(ImportFileError) as caught:
        parse_import_file(data, filename, **kwargs)
    return caught.value


# --- template -------------------------------------------------------------------------------


def test_template_has_the_header_drop_downs_and_an_instructions_sheet_with_the_example():
    buffer = io.BytesIO()
    write_template_xlsx(buffer, districts=list(DISTRICTS), brands=BRANDS)
    book = openpyxl.load_workbook(io.BytesIO(buffer.getvalue()))

    assert book.sheetnames == ["网点", "填写说明"]
    sheet = book["网点"]
    assert tuple(cell.value for cell in sheet[1]) == TEMPLATE_HEADER
    assert sheet.max_row == 1  # no example row where it would be imported
    assert sheet.freeze_panes == "A2"
    assert sheet.column_dimensions["G"].number_format == "@"  # phone stays text
    lists = {validation.formula1 for validation in sheet.data_validations.dataValidation}
    assert '"' + ",".join(BRANDS) + '"' in lists
    assert '"黄浦,浦东新区,青浦,奉贤"' in lists
    help_rows = [
        tuple(row) for row in book["填写说明"].iter_rows(max_col=len(TEMPLATE_HEADER), values_only=True)
    ]
    assert EXAMPLE_ROW in help_rows
    assert ("营业时间", "选填", COLUMN_BY_KEY["opening_hours"].hint) in [row[:3] for row in help_rows]


def test_empty_template_is_read_as_a_header_without_outlets():
    buffer = io.BytesIO()
    write_template_xlsx(buffer, districts=list(DISTRICTS), brands=BRANDS)

    error = refused(buffer.getvalue(), "模板.xlsx")
    assert error.message.template == "The file has no outlets below the header row."


def test_csv_template_is_header_only_with_a_bom():
    text = template_csv()

    assert text == "\ufeff" + ",".join(TEMPLATE_HEADER) + "\r\n"
    assert refused(text.encode("utf-8"), "模板.csv").message.template.startswith("The file has no outlets")


# --- reading files --------------------------------------------------------------------------


def test_xlsx_round_trip_through_the_template_keeps_chinese_and_excel_row_numbers():
    second = ["京东青浦站", "京东", "青浦区", "上海市青浦区华新镇", "沪20150002", "李强", 13900001111, None]
    data = filled_template([GOOD_LINE, [None] * 8, second], active_sheet=1)

    rows = parse_import_file(data, "网点导入.xlsx")

    assert [row.row for row in rows] == [2, 4]
    assert rows[0].values == GOOD
    assert rows[1].values["phone"] == "13900001111"  # a number cell read back as its digits
    assert rows[1].values["opening_hours"] == ""
    plan = validate_rows(rows, districts=DISTRICTS, allowed_district_ids=None, known_brands=BRANDS)
    assert plan.ok
    assert list(plan.outlets) == ["SH-FX-0001", "沪20150002"]
    assert plan.outlets["沪20150002"].district_id == 14


def test_xlsx_picks_the_sheet_with_the_header_even_when_it_is_not_first():
    book = openpyxl.Workbook()
    book.active.append(["说明"])
    data_sheet = book.create_sheet("数据")
    data_sheet.append(list(TEMPLATE_HEADER))
    data_sheet.append(GOOD_LINE)
    out = io.BytesIO()
    book.save(out)

    assert parse_import_file(out.getvalue(), "x.xlsx")[0].values == GOOD


@pytest.mark.parametrize(
    "encoding", ["utf-8-sig", "utf-8", "gb18030"], ids=["utf8-bom", "utf8", "gb18030-excel-china"]
)
def test_csv_encodings_that_excel_writes(encoding):
    rows = parse_import_file(csv_bytes([GOOD_LINE], encoding=encoding), "网点.csv")

    assert [(row.row, row.values) for row in rows] == [(2, GOOD)]


def test_gb18030_csv_is_really_not_utf8():
    data = csv_bytes([GOOD_LINE], encoding="gb18030")

    with pytest.raises(UnicodeDecodeError):
        data.decode("utf-8")
    assert parse_import_file(data, "网点.csv")[0].values["name"] == "顺丰奉贤南桥营业部"


def test_utf16_tab_separated_text_from_excel():
    text = "\t".join(TEMPLATE_HEADER) + "\r\n" + "\t".join(GOOD_LINE) + "\r\n"

    assert parse_import_file(text.encode("utf-16"), "网点.txt")[0].values == GOOD


def test_csv_blank_rows_are_skipped_and_rows_numbered_as_in_excel():
    lines = [GOOD_LINE, [""] * 8, ["  ", "", " "], [*GOOD_LINE[:3], "多行\n地址", *GOOD_LINE[4:]], GOOD_LINE]
    rows = parse_import_file(csv_bytes(lines) + b"\r\n,,,\r\n", "网点.csv")

    assert [row.row for row in rows] == [2, 5, 6]
    assert rows[1].values["address"] == "多行\n地址"


@pytest.mark.parametrize(
    "header",
    [
        (
            "name",
            "brand",
            "district",
            "address",
            "permit_number",
            "manager",
            "phone",
            "opening_hours",
            "has_packing_bench",
        ),
        (
            "Name",
            "Brand",
            "District",
            "Address",
            "Permit Number",
            "Manager",
            "Phone",
            "Opening hours",
            "Packing bench",
        ),
        (
            "*网点名称",
            "*品牌",
            "*所在区",
            "*地址",
            "*许可证或备案号",
            "*负责人",
            "*联系电话",
            "营业时间（选填）",
            "封装台（选填）",
        ),
        ("名称", "快递品牌", "区", "详细地址", "许可证号", "联系人", "手机", "营业时间", "有无封装台"),
        (
            " 网点名称 ",
            "品牌",
            "所属区",
            "地址",
            "备案号",
            "负责人",
            "联系电话",
            "营业时间(选填)",
            " 封装台 ",
        ),
    ],
    ids=["english-keys", "english-words", "starred", "aliases", "spaces-and-halfwidth"],
)
def test_header_variants(header):
    rows = parse_import_file(csv_bytes([GOOD_LINE], header=header), "网点.csv")

    assert rows[0].values == GOOD


def test_columns_in_another_order_extra_columns_and_no_optional_column():
    header = ["备注", "联系电话", "网点名称", "品牌", "所属区", "地址", "许可证或备案号", "负责人"]
    line = ["不导入", GOOD["phone"], *GOOD_LINE[:6]]

    rows = parse_import_file(csv_bytes([line], header=header), "网点.csv")

    assert rows[0].values == {**GOOD, "opening_hours": "", "has_packing_bench": ""}


def test_header_missing_columns_is_refused_with_their_names():
    header = ["网点名称", "品牌", "地址", "许可证或备案号", "负责人"]

    error = refused(csv_bytes([GOOD_LINE[:5]], header=header))

    assert error.message.template.startswith("The first row must be the header row")
    assert error.message.params == {"columns": "所在区, 联系电话"}


def test_header_not_in_the_first_row_is_refused():
    data = ("奉贤区网点导入\r\n" + ",".join(TEMPLATE_HEADER) + "\r\n" + ",".join(GOOD_LINE)).encode()

    assert "所在区" in refused(data).message.params["columns"]


def test_a_column_twice_in_the_header_is_refused():
    error = refused(csv_bytes([GOOD_LINE + ["x"]], header=(*TEMPLATE_HEADER, "许可证号")))

    assert error.message.params == {"column": "许可证或备案号"}


def test_too_many_rows_is_refused_but_blank_rows_do_not_count():
    data = csv_bytes([GOOD_LINE, [""] * 8, GOOD_LINE, GOOD_LINE])

    assert len(parse_import_file(data, "网点.csv", max_rows=3)) == 3
    error = refused(data, max_rows=2)
    assert error.message.params == {"max": 2}


def test_too_many_rows_in_xlsx_is_refused():
    data = filled_template([GOOD_LINE] * 6)

    assert refused(data, "网点.xlsx", max_rows=5).message.params == {"max": 5}


def other_zip() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("word/document.xml", "<w/>")
    return buffer.getvalue()


def broken_workbook() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("xl/workbook.xml", "not xml")
    return buffer.getvalue()


@pytest.mark.parametrize(
    ("data", "filename", "template"),
    [
        (b"", "a.csv", "The file is empty."),
        (b"  \r\n", "a.csv", "The file is empty."),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "photo.png", "%(filename)s is neither an Excel workbook"),
        (other_zip(), "报告.docx", "%(filename)s is neither an Excel workbook"),
        (b"PK\x03\x04garbage", "网点.xlsx", "%(filename)s is neither an Excel workbook"),
        (broken_workbook(), "网点.xlsx", "The workbook could not be read"),
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 64, "网点.xls", "Old Excel files (.xls)"),
        (b"\x81\x30\x81", "a.csv", "The CSV file is in an unknown text encoding"),
    ],
    ids=["empty", "whitespace", "png", "docx", "bad-zip", "broken-xlsx", "xls", "undecodable"],
)
def test_files_that_are_not_usable_spreadsheets_are_refused(data, filename, template):
    error = refused(data, filename)

    assert error.message.template.startswith(template)
    if "%(filename)s" in template:
        assert error.message.params == {"filename": filename}


# --- validating rows ------------------------------------------------------------------------


def test_a_good_row_becomes_an_outlet_keyed_by_permit_number_with_its_row():
    plan = validate({}, {"permit_number": "SH-FX-0002", "opening_hours": ""})

    assert plan.ok and plan.problems == [] and plan.row_count == 2
    outlet = plan.outlets["SH-FX-0001"]
    assert (outlet.row, outlet.name, outlet.brand, outlet.district_id) == (2, GOOD["name"], "顺丰", 15)
    assert (outlet.phone, outlet.opening_hours) == ("13812345678", "08:00-20:00")
    assert plan.outlets["SH-FX-0002"].opening_hours is None


@pytest.mark.parametrize("column", [column.key for column in COLUMNS if column.required])
def test_required_fields(column):
    plan = validate({column: "  "})

    assert [(p.row, p.column, p.message.template) for p in plan.problems] == [
        (2, column, "This field is required.")
    ]
    assert plan.outlets == {}


@pytest.mark.parametrize(
    ("column", "limit"), [("name", 200), ("address", 300), ("manager", 50), ("opening_hours", 100)]
)
def test_lengths(column, limit):
    assert validate({column: "长" * limit}).ok
    plan = validate({column: "长" * (limit + 1)})

    assert [(p.column, p.message.params) for p in plan.problems] == [
        (column, {"max": limit, "length": limit + 1})
    ]


@pytest.mark.parametrize(("column", "value"), [("phone", "1" * 31), ("district", "区" * 21)])
def test_too_long_coded_values_give_one_problem(column, value):
    assert [p.column for p in validate({column: value}).problems] == [column]


@pytest.mark.parametrize(
    "permit",
    [
        "AB123",
        "A" * 41,
        "A" * 40,  # no digits: registration wants at least four
        "SH-FX-001",  # three digits
        "SH_FX_0001",
        "-SH0001",
        "SH0001-",
        "SH—FX—0001",
        "京20150001x!",
        "ＳＨ－ＦＸ－０００１",  # full-width digits: registration refuses them too
    ],
)
def test_malformed_permit_numbers(permit):
    plan = validate({"permit_number": permit})

    assert [(p.column, p.message.params) for p in plan.problems] == [("permit_number", {"value": permit})]
    assert "not a valid permit" in plan.problems[0].message.template


@pytest.mark.parametrize(
    ("typed", "stored"),
    [
        ("SH-FX-0001", "SH-FX-0001"),
        ("sh-fx-0001", "SH-FX-0001"),
        ("SH FX 0001", "SHFX0001"),  # spaces go, as on the registration form
        ("SH－FX－0001", "SH-FX-0001"),  # a full-width hyphen from a Chinese IME
        ("沪20150001", "沪20150001"),
        ("310000000000", "310000000000"),
        ("A" * 36 + "1234", "A" * 36 + "1234"),
    ],
)
def test_permit_numbers_are_normalised(typed, stored):
    assert list(validate({"permit_number": typed}).outlets) == [stored]


PERMIT_ALPHABET = "AZaz09-－ 沪京_.—ＳＨ１"


@given(st.text(alphabet=PERMIT_ALPHABET, min_size=0, max_size=44))
def test_import_and_registration_agree_on_every_permit_number(typed):
    """The import accepts exactly what the registration form accepts and stores the same number."""
    plan = validate({"permit_number": typed})
    permit_problems = [p for p in plan.problems if p.column == "permit_number"]

    if is_valid_permit_number(typed):
        assert permit_problems == []
        assert list(plan.outlets) == [normalise_permit_number(typed)]
    else:
        assert len(permit_problems) == 1
        assert plan.outlets == {}


@pytest.mark.parametrize(
    ("typed", "stored"),
    [
        ("13812345678", "13812345678"),
        ("138 1234 5678", "13812345678"),
        ("+86 138-1234-5678", "13812345678"),
        ("１３８１２３４５６７８", "13812345678"),
        ("021-57123456", "021-57123456"),
        ("(021) 5712 3456", "021-57123456"),
        ("02157123456", "021-57123456"),
        ("57123456", "021-57123456"),
    ],
)
def test_phone_numbers_are_normalised(typed, stored):
    assert normalise_phone(typed) == stored
    assert validate({"phone": typed}).outlets["SH-FX-0001"].phone == stored


@pytest.mark.parametrize(
    "phone", ["1234", "23812345678", "1381234567", "4008208820", "010-12345678", "95311", "12345678"]
)
def test_bad_phone_numbers(phone):
    plan = validate({"phone": phone})

    assert [(p.column, p.message.params) for p in plan.problems] == [("phone", {"value": phone})]
    assert "not a phone number" in plan.problems[0].message.template


@pytest.mark.parametrize(("column", "value"), [("phone", "1.38123E+10"), ("permit_number", "3.10000E+11")])
def test_numbers_mangled_by_excel_get_a_hint(column, value):
    plan = validate({column: value})

    assert plan.problems[0].column == column
    assert plan.problems[0].message.template.startswith("Excel turned this number into")


@pytest.mark.parametrize(
    ("typed", "district_id"),
    [("奉贤", 15), ("奉贤区", 15), ("浦东新区", 11), ("浦东", 11), ("上海市青浦区", 14), (" 黄浦区 ", 1)],
)
def test_districts_with_or_without_qu(typed, district_id):
    assert validate({"district": typed}).outlets["SH-FX-0001"].district_id == district_id


def test_english_district_names_when_the_caller_passes_them():
    raw = [
        RawRow(2, {**GOOD, "district": "Pudong New Area"}),
        RawRow(3, {**GOOD, "district": "Fengxian District", "permit_number": "SH-FX-0009"}),
    ]
    plan = validate_rows(
        raw, districts={"Pudong New Area": 11, "Fengxian": 15}, allowed_district_ids=None, known_brands=BRANDS
    )

    assert [outlet.district_id for outlet in plan.outlets.values()] == [11, 15]


def test_unknown_district():
    plan = validate({"district": "嘉定"})

    assert [(p.column, p.message.template, p.message.params) for p in plan.problems] == [
        ("district", "Unknown district “%(value)s”.", {"value": "嘉定"})
    ]


def test_district_outside_the_bureaus_area():
    plan = validate({"district": "浦东新区"}, {"permit_number": "SH-FX-0002"}, allowed={15})

    assert [(p.row, p.column, p.message.params) for p in plan.problems] == [
        (2, "district", {"value": "浦东新区"})
    ]
    assert "outside your bureau" in plan.problems[0].message.template
    assert list(plan.outlets) == ["SH-FX-0002"]


def test_unknown_brand_lists_the_allowed_ones():
    plan = validate({"brand": "UPS"})

    assert plan.problems[0].column == "brand"
    assert plan.problems[0].message.params == {"value": "UPS", "choices": ", ".join(BRANDS)}


def test_duplicate_permit_numbers_refuse_every_copy():
    plan = validate({}, {"permit_number": "SH-FX-0002"}, {"permit_number": "sh-fx-0001", "name": "另一个"})

    duplicates = [(p.row, p.column, p.message.params) for p in plan.problems]
    assert duplicates == [
        (2, "permit_number", {"value": "SH-FX-0001", "rows": "2, 4"}),
        (4, "permit_number", {"value": "SH-FX-0001", "rows": "2, 4"}),
    ]
    assert list(plan.outlets) == ["SH-FX-0002"]
    assert plan.problem_rows() == [2, 4]


def test_the_templates_example_row_is_refused():
    plan = validate(dict(zip(GOOD, EXAMPLE_ROW, strict=True)))

    assert [p.column for p in plan.problems] == ["permit_number"]
    assert "example row" in plan.problems[0].message.template


def test_every_problem_of_every_row_is_reported_in_row_and_column_order():
    plan = validate(
        {"name": "", "brand": "UPS", "district": "纽约", "permit_number": "x", "phone": "12", "manager": ""},
        {},
        {"permit_number": "SH-FX-0003", "address": ""},
    )

    assert [(p.row, p.column) for p in plan.problems] == [
        (2, "name"),
        (2, "brand"),
        (2, "district"),
        (2, "permit_number"),
        (2, "manager"),
        (2, "phone"),
        (4, "address"),
    ]
    assert list(plan.outlets) == ["SH-FX-0001"]
    assert plan.problem_rows() == [2, 4]
    assert not plan.ok


def test_whitespace_inside_cells_is_tidied():
    plan = validate({"name": "  顺丰\n南桥   营业部 ", "address": "南桥镇\r\n百齐路"})

    outlet = plan.outlets["SH-FX-0001"]
    assert (outlet.name, outlet.address) == ("顺丰 南桥 营业部", "南桥镇 百齐路")


def test_messages_render_with_their_parameters():
    problem = validate({"district": "纽约"}).problems[0]

    assert str(problem.message) == "Unknown district “纽约”."
