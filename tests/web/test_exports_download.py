"""Exports: exactly the rows of the user's scope, Chinese headers, formulas neutralised, CSV and XLSX."""

import csv
import io
from decimal import Decimal

import openpyxl
import pytest

from outlet_audit.core.time import today_in_shanghai
from outlet_audit.roles import Role
from tests.dashboard_helpers import (  # shared_rows: the module's world; world_records: its fixture
    HOSTILE_NAME,
    bucket_of,
    shared_rows,  # noqa: F401
    world_records,  # noqa: F401
)
from tests.factories import login, make_user

KINDS = ("applications", "certificates", "inspections")
ITEMS_PER_INSPECTION = 15 + 3  # scored and bonus items of criteria/shanghai-2025.yaml


def download(client, user, kind, fmt, **args):
    login(client, user)
    # Buffered: the test client runs each request in its own context, where the stream must end too.
    response = client.post(f"/dashboard/exports/{kind}.{fmt}", query_string=args, buffered=True)
    assert response.status_code == 200, response.status_code
    data = response.get_data()
    if fmt == "csv":
        assert "Content-Length" not in response.headers  # streamed: the size is not known up front
        assert response.mimetype == "text/csv"
        text = data.decode("utf-8")
        assert text.startswith("\ufeff")
        rows = list(csv.reader(io.StringIO(text[1:])))
    else:
        assert response.mimetype == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
        book = openpyxl.load_workbook(io.BytesIO(data), read_only=True)
        rows = [list(row) for row in book.active.iter_rows(values_only=True)]
        book.close()
        rows = [
            row + [None] * (len(rows[0]) - len(row)) for row in rows
        ]  # empty cells at the end are not stored
    assert "attachment" in response.headers["Content-Disposition"]
    return rows[0], rows[1:]


def reference(application):
    return f"SQ{application.created_at:%Y}-{application.id:06d}"


def expected_keys(world, kind, district_code=None, brand=None):
    district_id = world.district_ids.get(district_code)

    def keep(record_district, outlet):
        return (district_id is None or record_district == district_id) and (
            brand is None or outlet.brand == brand
        )

    if kind == "applications":
        return sorted(reference(a) for a in world.applications if keep(a.district_id, a.outlet))
    if kind == "certificates":
        return sorted(c.number for c in world.certificates if keep(c.district_id, c.outlet))
    applications = {a.id: a for a in world.applications}
    return sorted(
        reference(applications[inspection.application_id])
        for inspection, _answers in world.inspections
        if keep(
            applications[inspection.application_id].district_id,
            applications[inspection.application_id].outlet,
        )
        for _item in range(ITEMS_PER_INSPECTION)
    )


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("scope", ["FX", "QP", None])
def test_each_export_holds_exactly_the_rows_of_the_scope(client, world, kind, fmt, scope):
    user = world.city if scope is None else world.bureaus[scope]

    header, rows = download(client, user, kind, fmt)

    key = 0
    want = expected_keys(world, kind, scope)
    assert want, "the data set must give every scope some rows"
    assert sorted(row[key] for row in rows) == want
    if scope is not None:
        district_column = header.index("所在区")
        assert {row[district_column] for row in rows} == {{"FX": "奉贤", "QP": "青浦"}[scope]}


@pytest.mark.parametrize("kind", KINDS)
def test_a_district_bureau_cannot_export_another_district_through_the_url(client, world, kind):
    _header, rows = download(client, world.bureaus["FX"], kind, "csv", district=world.district_ids["QP"])

    assert sorted(row[0] for row in rows) == expected_keys(world, kind, "FX")


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_headers_are_chinese(client, world, fmt):
    for kind, first in (
        ("applications", "申请编号"),
        ("certificates", "证书编号"),
        ("inspections", "申请编号"),
    ):
        header, _rows = download(client, world.city, kind, fmt)
        assert header[0] == first
        assert all(any("\u4e00" <= ch <= "\u9fff" for ch in name) for name in header), header


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_hostile_cells_are_neutralised(client, world, fmt):
    header, rows = download(client, world.city, "applications", fmt)

    names = [row[header.index("网点名称")] for row in rows]
    assert "'" + HOSTILE_NAME in names
    assert HOSTILE_NAME not in names


def test_csv_is_streamed_header_first(app, world):
    from flask_login import login_user

    from outlet_audit.dashboards.views import export

    with app.test_request_context("/dashboard/exports/applications.csv"):
        login_user(world.city)
        response = export("applications", "csv")
        assert response.is_streamed
        chunks = iter(response.response)
        first = next(chunks)
        assert first.startswith("\ufeff申请编号,") and first.count("\n") == 1  # header before any query row
        rest = "".join(chunks)
    assert rest.count("\n") == len(world.applications)


def test_filters_apply_to_exports(client, world):
    _header, rows = download(client, world.city, "certificates", "csv", brand="京东")
    assert sorted(row[0] for row in rows) == expected_keys(world, "certificates", brand="京东")

    header, rows = download(client, world.city, "certificates", "xlsx", level="city")
    assert {row[header.index("等级")] for row in rows} == {"市级"}
    assert len(rows) == sum(c.level == "city" for c in world.certificates)


def test_certificate_states_as_of_today(client, world):
    from flask_babel import force_locale

    from outlet_audit.dashboards.queries import CertificateBucket
    from outlet_audit.dashboards.views import BUCKET_LABELS

    header, rows = download(client, world.city, "certificates", "xlsx")
    shown = {row[0]: row[header.index("证书状态")] for row in rows}

    today = today_in_shanghai()
    with force_locale("zh_CN"):
        label = {bucket.value: str(BUCKET_LABELS[bucket]) for bucket in CertificateBucket}
    assert shown == {c.number: label[bucket_of(c, today)] for c in world.certificates}
    assert len(set(shown.values())) == 5


def test_inspection_rows_give_every_items_answer_and_points(client, world):
    header, rows = download(client, world.city, "inspections", "xlsx")
    column = {name: index for index, name in enumerate(header)}
    inspection, answers = next((i, a) for i, a in world.inspections if a["2.1"] == (Decimal("96.5"), True))
    application = next(a for a in world.applications if a.id == inspection.application_id)
    mine = {row[column["项目编号"]]: row for row in rows if row[0] == reference(application)}

    assert len(mine) == ITEMS_PER_INSPECTION
    row = mine["2.1"]
    assert (row[column["答案"]], row[column["得分"]], row[column["满分"]], row[column["是否满分"]]) == (
        96.5,
        15,
        15,
        "是",
    )
    assert row[column["项目名称"]].startswith("电商快件原装直发比例")
    assert (mine["1.1"][column["答案"]], mine["1.1"][column["得分"]]) == ("是", 8)
    assert mine["3.1"][column["答案"]].startswith("A ")
    assert mine["1.4"][column["不适用"]] == "是" and mine["1.4"][column["得分"]] is None
    assert "B2" not in answers and mine["B2"][column["答案"]] is None  # unanswered items are listed too
    assert mine["B1"][column["加分项"]] == "是"


def test_only_signed_off_inspections_are_exported(client, world):
    _header, rows = download(client, world.city, "inspections", "csv")
    pending = next(a for a in world.applications if a.status == "inspection_scheduled")
    assert reference(pending) not in {row[0] for row in rows}


def test_exports_page_links_carry_the_filters(client, world):
    login(client, world.bureaus["FX"])
    html = client.get("/dashboard/exports", query_string={"brand": "顺丰"}).get_data(as_text=True)
    assert "/dashboard/exports/inspections.xlsx?brand=" in html


def test_invalid_filters_send_back_to_the_exports_page(client, world):
    login(client, world.city)
    response = client.post("/dashboard/exports/applications.csv", query_string={"date_from": "yesterday"})
    assert response.status_code == 302 and "/dashboard/exports?" in response.headers["Location"]


@pytest.mark.parametrize("role", [Role.OUTLET, Role.INSPECTOR, Role.ADMIN])
def test_other_roles_cannot_export(client, ctx, role):
    login(client, make_user(role))
    assert client.post("/dashboard/exports/applications.csv").status_code == 403


def test_the_application_export_says_whether_each_outlet_has_a_packing_bench(client, world):
    """It decides which items were asked: 有, 无, or 未填写 for an outlet that never said."""
    header, rows = download(client, world.city, "applications", "csv")
    column = header.index("封装台")
    assert header[column - 1] == "网点地址"
    assert {row[column] for row in rows} <= {"有", "无", "未填写"}
    assert "未填写" in {row[column] for row in rows}  # the factories' outlets have not said


def test_every_download_is_recorded_with_what_was_taken_and_its_filters(client, world):
    from sqlalchemy import select

    from outlet_audit.audit.models import AuditEvent
    from outlet_audit.extensions import db

    def downloads():
        return db.session.scalars(
            select(AuditEvent).where(AuditEvent.action == "export_downloaded").order_by(AuditEvent.id)
        ).all()

    before = len(downloads())
    download(client, world.city, "certificates", "xlsx")
    download(client, world.city, "applications", "csv", brand="顺丰", level="city")
    bureau = world.bureaus["FX"]
    download(client, bureau, "inspections", "csv")
    city_all, city_filtered, district = downloads()[before:]
    assert (city_all.actor_id, city_all.field, city_all.new_value, city_all.old_value) == (
        world.city.id,
        "certificates",
        "xlsx",
        None,  # every record of the city's scope
    )
    assert (city_filtered.field, city_filtered.new_value) == ("applications", "csv")
    assert city_filtered.old_value == "level=city; brand=顺丰"
    # a district bureau's downloads always name its district: its scope, whatever the URL said
    assert district.actor_id == bureau.id and district.old_value == f"district_id={bureau.district_id}"


def test_an_export_address_opened_as_a_link_goes_to_the_exports_page_and_sends_nothing(client, world):
    from sqlalchemy import func, select

    from outlet_audit.audit.models import AuditEvent
    from outlet_audit.extensions import db

    count = select(func.count()).select_from(AuditEvent).where(AuditEvent.action == "export_downloaded")
    before = db.session.scalar(count)
    login(client, world.city)
    response = client.get("/dashboard/exports/applications.csv", query_string={"brand": "顺丰"})
    assert response.status_code == 302
    assert response.headers["Location"] == "/dashboard/exports?brand=%E9%A1%BA%E4%B8%B0"
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "请在本页重新选择下载" in page  # the city user reads Chinese
    assert 'method="post"' in page and "每次下载及其筛选条件都会记入审计记录" in page
    assert db.session.scalar(count) == before
