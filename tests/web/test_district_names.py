"""Districts have one source, the rows the first migration wrote; certificate numbers and pages follow it."""

from sqlalchemy import select

from outlet_audit.certificates.numbering import DISTRICT_CODES
from outlet_audit.certificates.operations import issuing_bureau
from outlet_audit.extensions import db
from outlet_audit.outlets.models import District
from outlet_audit.outlets.reference import all_districts

OFFICIAL_NAMES = {
    "HP": "黄浦区", "XH": "徐汇区", "CN": "长宁区", "JA": "静安区", "PT": "普陀区", "HK": "虹口区",
    "YP": "杨浦区", "MH": "闵行区", "BS": "宝山区", "JD": "嘉定区", "PD": "浦东新区", "JS": "金山区",
    "SJ": "松江区", "QP": "青浦区", "FX": "奉贤区", "CM": "崇明区",
}  # fmt: skip


def test_certificate_numbers_know_the_codes_of_the_district_rows(ctx):
    assert set(db.session.scalars(select(District.code))) == DISTRICT_CODES


def test_official_names_come_from_the_rows_by_one_rule(ctx):
    rows = db.session.scalars(select(District)).all()
    assert {row.code: row.official_name_zh for row in rows} == OFFICIAL_NAMES
    assert {d.code: d.official_name_zh for d in all_districts()} == OFFICIAL_NAMES


def test_the_issuing_bureau_is_named_with_the_official_name(ctx):
    pudong = db.session.scalar(select(District).where(District.code == "PD"))
    huangpu = db.session.scalar(select(District).where(District.code == "HP"))
    assert issuing_bureau("district", pudong) == "上海市浦东新区邮政管理局"
    assert issuing_bureau("district", huangpu) == "上海市黄浦区邮政管理局"
