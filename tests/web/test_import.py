"""Bulk outlet import: dry run first, then confirm; idempotent; the confirmation cannot be forged."""

import io
import re

import openpyxl
import pytest
from sqlalchemy import func, select

from outlet_audit.audit.models import AuditEvent
from outlet_audit.extensions import db
from outlet_audit.outlets import import_operations
from outlet_audit.outlets.models import Outlet
from outlet_audit.outlets.outlet_import import TEMPLATE_HEADER
from outlet_audit.roles import Role
from tests.dashboard_helpers import read_table
from tests.factories import district, login, make_outlet, make_user

pytestmark = pytest.mark.usefixtures("english_ui")  # these tests read English messages


def row(permit, *, name=None, brand="顺丰", district_name="奉贤", phone="13812345678", hours="08:00-20:00"):
    return [
        name or f"网点 {permit}",
        brand,
        district_name,
        f"南桥镇 {permit} 号",
        permit,
        "王芳",
        phone,
        hours,
    ]


GOOD = [row("FX-IMPORT-0001"), row("FX-IMPORT-0002", brand="京东"), row("FX-IMPORT-0003", hours="")]


def csv_file(rows) -> bytes:
    lines = [",".join(TEMPLATE_HEADER)] + [",".join(cells) for cells in rows]
    return ("\ufeff" + "\r\n".join(lines)).encode("utf-8")


def xlsx_file(rows) -> bytes:
    book = openpyxl.Workbook()
    book.active.append(list(TEMPLATE_HEADER))
    for cells in rows:
        book.active.append(cells)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


@pytest.fixture
def bureau(ctx):
    return make_user(Role.DISTRICT_BUREAU, district_code="FX")


def outlet_count() -> int:
    return db.session.scalar(select(func.count(Outlet.id)))


def audit_count() -> int:
    return db.session.scalar(select(func.count(AuditEvent.id)))


def dry_run(client, user, data, filename="网点.csv"):
    login(client, user)
    return client.post(
        "/dashboard/import", data={"file": (io.BytesIO(data), filename)}, content_type="multipart/form-data"
    )


def hidden(html, name):
    return re.search(rf'name="{name}" type="hidden" value="([^"]*)"', html).group(1)


def confirm(client, html, mode, **overrides):
    form = {"sha256": hidden(html, "sha256"), "token": hidden(html, "token"), "mode": mode, **overrides}
    return client.post("/dashboard/import/confirm", data=form)


def by_permit(permit):
    return db.session.scalar(select(Outlet).where(Outlet.permit_number == permit))


def test_dry_run_lists_every_kind_of_problem_by_row_and_column_and_writes_nothing(client, bureau):
    make_outlet("QP", permit_number="QP-TAKEN-0001")
    rows = [
        row("FX-IMPORT-0001"),  # 2: fine
        row("FX-IMPORT-0010", brand="UPS"),  # 3: unknown brand
        row("FX-IMPORT-0011", phone="12345"),  # 4: bad phone
        row("AB12"),  # 5: malformed permit
        row("FX-IMPORT-0012", district_name="青浦"),  # 6: another district
        row("FX-IMPORT-0013", district_name="纽约"),  # 7: unknown district
        row("FX-IMPORT-0014"),  # 8: duplicate ...
        row("fx-import-0014"),  # 9: ... of row 8 once normalised
        row("QP-TAKEN-0001"),  # 10: an outlet of another district
        ["", "顺丰", "奉贤", "", "FX-IMPORT-0015", "", "13812345678", ""],  # 11: three required fields
    ]
    before = (outlet_count(), audit_count())

    response = dry_run(client, bureau, csv_file(rows))

    assert response.status_code == 200
    html = response.get_data(as_text=True)
    pairs = sorted({tuple(key) for key in re.findall(r'data-row="(\d+)" data-column="(\w+)"', html)})
    assert pairs == sorted(
        [
            ("3", "brand"),
            ("4", "phone"),
            ("5", "permit_number"),
            ("6", "district"),
            ("7", "district"),
            ("8", "permit_number"),
            ("9", "permit_number"),
            ("10", "permit_number"),
            ("11", "name"),
            ("11", "address"),
            ("11", "manager"),
        ]
    )
    assert "青浦" in html and "outside your bureau" in html
    assert "another district" in html
    assert (hidden(html, "sha256"), re.search(r'id="count-create">(\d+)<', html).group(1)) != ("", "0")
    assert (outlet_count(), audit_count()) == before


def test_valid_rows_only_imports_the_good_rows_verified_and_audited(client, bureau):
    rows = [*GOOD, row("FX-IMPORT-0009", phone="1")]
    html = dry_run(client, bureau, csv_file(rows)).get_data(as_text=True)
    before = outlet_count()

    response = confirm(client, html, "valid_rows")

    assert response.status_code == 302
    assert outlet_count() == before + 3
    assert by_permit("FX-IMPORT-0009") is None
    outlet = by_permit("FX-IMPORT-0002")
    assert (outlet.brand, outlet.district_id, outlet.verified) == ("京东", district("FX").id, True)
    assert outlet.verified_at is not None
    assert by_permit("FX-IMPORT-0003").opening_hours is None
    actions = db.session.execute(
        select(AuditEvent.action, AuditEvent.actor_id, AuditEvent.reason).where(
            AuditEvent.outlet_id == outlet.id
        )
    ).all()
    # the new outlet's manager is invited (accounts/invitations.py), by the importing bureau
    assert sorted(a for a, _, _ in actions) == ["invitation_created", "outlet_imported", "outlet_verified"]
    assert all(actor == bureau.id for _, actor, _ in actions)
    assert hidden(html, "sha256") in next(reason for a, _, reason in actions if a == "outlet_imported")


def test_all_or_nothing_writes_nothing_when_a_row_is_bad(client, bureau):
    html = dry_run(client, bureau, csv_file([*GOOD, row("FX-IMPORT-0009", brand="UPS")])).get_data(
        as_text=True
    )
    before = (outlet_count(), audit_count())

    response = confirm(client, html, "all_or_nothing")

    assert response.status_code == 200
    assert "Nothing was imported" in response.get_data(as_text=True)
    assert (outlet_count(), audit_count()) == before


def test_all_or_nothing_writes_everything_when_every_row_is_valid(client, bureau):
    html = dry_run(client, bureau, xlsx_file(GOOD), "网点.xlsx").get_data(as_text=True)
    before = outlet_count()

    assert confirm(client, html, "all_or_nothing").status_code == 302
    assert outlet_count() == before + 3


def test_importing_the_same_file_twice_changes_nothing(client, bureau):
    data = csv_file(GOOD)
    first = dry_run(client, bureau, data).get_data(as_text=True)
    confirm(client, first, "all_or_nothing")
    stamps = {
        p: (by_permit(p).updated_at, by_permit(p).verified_at) for p in ("FX-IMPORT-0001", "FX-IMPORT-0003")
    }
    before = (outlet_count(), audit_count())

    html = dry_run(client, bureau, data).get_data(as_text=True)
    assert re.search(r'id="count-unchanged">(\d+)<', html).group(1) == "3"
    assert re.search(r'id="count-update">(\d+)<', html).group(1) == "0"
    assert "nothing to import" in html and 'name="token"' not in html
    response = confirm(client, first, "all_or_nothing")  # the first confirmation, sent again

    assert response.status_code == 302
    assert (outlet_count(), audit_count()) == before
    assert {p: (by_permit(p).updated_at, by_permit(p).verified_at) for p in stamps} == stamps


def test_a_changed_outlet_is_listed_as_will_update_then_updated_and_audited(client, bureau):
    existing = make_outlet(
        "FX", verified=False, permit_number="FX-IMPORT-0001", name="旧名称", phone="13800000000"
    )
    html = dry_run(client, bureau, csv_file(GOOD)).get_data(as_text=True)

    updates = read_table(html, "table-updates")
    assert set(updates) == {"2"}  # keyed by row; its fields are separate rows of the table
    fields = re.findall(r'data-row="2" data-field="(\w+)"', html)
    assert set(fields) >= {"name", "phone", "address", "opening_hours", "verified"}
    assert "旧名称" in html
    assert existing.name == "旧名称"  # the dry run wrote nothing

    assert confirm(client, html, "valid_rows").status_code == 302
    db.session.refresh(existing)
    assert (existing.name, existing.phone, existing.verified) == ("网点 FX-IMPORT-0001", "13812345678", True)
    changed = dict(
        db.session.execute(
            select(AuditEvent.field, AuditEvent.old_value).where(
                AuditEvent.outlet_id == existing.id, AuditEvent.action == "outlet_updated"
            )
        ).all()
    )
    assert changed["name"] == "旧名称" and changed["phone"] == "13800000000"


def test_city_bureau_imports_into_any_district(client, ctx):
    city = make_user(Role.CITY_BUREAU)
    html = dry_run(client, city, csv_file([row("QP-IMPORT-0001", district_name="青浦区")])).get_data(
        as_text=True
    )

    assert 'id="table-problems"' not in html
    assert confirm(client, html, "all_or_nothing").status_code == 302
    assert by_permit("QP-IMPORT-0001").district_id == district("QP").id


def test_a_tampered_token_is_refused(client, bureau):
    html = dry_run(client, bureau, csv_file(GOOD)).get_data(as_text=True)
    token = hidden(html, "token")
    before = outlet_count()

    forged = token[:-3] + ("AAA" if not token.endswith("AAA") else "BBB")
    assert confirm(client, html, "valid_rows", token=forged).status_code == 400
    assert outlet_count() == before


def test_a_token_for_another_file_is_refused(client, bureau):
    first = dry_run(client, bureau, csv_file(GOOD[:1])).get_data(as_text=True)
    second = dry_run(client, bureau, csv_file(GOOD)).get_data(as_text=True)
    before = outlet_count()

    response = confirm(client, first, "valid_rows", sha256=hidden(second, "sha256"))

    assert response.status_code == 400
    assert outlet_count() == before


def test_a_file_from_another_bureaus_session_is_refused(client, bureau):
    html = dry_run(client, bureau, csv_file(GOOD)).get_data(as_text=True)
    other = make_user(Role.DISTRICT_BUREAU, district_code="FX")
    login(client, other)
    before = outlet_count()

    response = confirm(client, html, "valid_rows")

    assert response.status_code == 400
    assert outlet_count() == before


def test_an_expired_token_is_refused(client, bureau, monkeypatch):
    html = dry_run(client, bureau, csv_file(GOOD)).get_data(as_text=True)
    monkeypatch.setattr(import_operations, "TOKEN_MAX_AGE_SECONDS", -1)

    assert confirm(client, html, "valid_rows").status_code == 400


def test_an_unreadable_file_is_refused_with_the_reason(client, bureau):
    response = dry_run(client, bureau, b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1old excel", "网点.xls")

    assert response.status_code == 400
    assert "Old Excel files" in response.get_data(as_text=True)


@pytest.mark.parametrize("fmt", ["xlsx", "csv"])
def test_templates_download(client, bureau, fmt):
    login(client, bureau)
    response = client.get(f"/dashboard/import/template.{fmt}")

    assert response.status_code == 200
    if fmt == "csv":
        assert response.get_data(as_text=True) == "\ufeff" + ",".join(TEMPLATE_HEADER) + "\r\n"
    else:
        book = openpyxl.load_workbook(io.BytesIO(response.get_data()))
        assert tuple(cell.value for cell in book["网点"][1]) == TEMPLATE_HEADER
        lists = {v.formula1 for v in book["网点"].data_validations.dataValidation}
        assert '"奉贤"' in lists  # a district bureau is offered its own district only


@pytest.mark.parametrize("role", [Role.OUTLET, Role.INSPECTOR, Role.ADMIN])
def test_other_roles_cannot_import(client, ctx, role):
    login(client, make_user(role))
    assert client.post("/dashboard/import", data={}).status_code == 403
    assert client.post("/dashboard/import/confirm", data={}).status_code == 403


def test_an_outlet_registered_between_the_check_and_the_write_stops_the_whole_import(
    client, bureau, monkeypatch
):
    html = dry_run(client, bureau, csv_file(GOOD)).get_data(as_text=True)
    make_outlet(permit_number="FX-IMPORT-0001")  # registered by its staff meanwhile
    db.session.commit()
    before, audited = outlet_count(), audit_count()
    # The confirmation's own check runs before the registration lands: the write meets it.
    monkeypatch.setattr(import_operations, "_outlets_by_permit", lambda permits: {})

    response = confirm(client, html, "valid_rows")

    assert response.status_code == 302 and response.location.endswith("/dashboard/import")
    page = client.get(response.location).get_data(as_text=True)
    assert "Someone registered one of these outlets meanwhile. Nothing was imported" in page
    assert (outlet_count(), audit_count()) == (before, audited)
    assert by_permit("FX-IMPORT-0002") is None


# -- an import never erases and never overrides what the bureau verified ----------------------------


def test_an_empty_optional_cell_keeps_the_value_there(client, bureau):
    kept = make_outlet("FX", verified=False, permit_number="FX-IMPORT-0003", opening_hours="09:00-18:00")
    html = dry_run(client, bureau, csv_file(GOOD)).get_data(as_text=True)  # row 4: hours left empty
    assert "opening_hours" not in re.findall(r'data-row="4" data-field="(\w+)"', html)
    assert confirm(client, html, "valid_rows").status_code == 302
    db.session.refresh(kept)
    assert kept.opening_hours == "09:00-18:00"
    assert kept.name == "网点 FX-IMPORT-0003"  # the other cells did apply


def test_a_file_without_the_optional_column_erases_nothing(client, bureau):
    kept = make_outlet("FX", permit_number="FX-IMPORT-0001", opening_hours="09:00-18:00")
    lines = [",".join(TEMPLATE_HEADER[:-1]), ",".join(row("FX-IMPORT-0001", name=kept.name)[:-1])]
    html = dry_run(client, bureau, "\r\n".join(lines).encode()).get_data(as_text=True)
    assert "opening_hours" not in html.split('id="table-updates"')[-1]
    confirm(client, html, "valid_rows")
    db.session.refresh(kept)
    assert kept.opening_hours == "09:00-18:00"


@pytest.mark.parametrize("importer_role", [Role.DISTRICT_BUREAU, Role.CITY_BUREAU])
def test_a_verified_outlets_registered_details_wait_for_the_bureaus_review(client, bureau, importer_role):
    """Name, brand, district, address and manager of a verified outlet go to the verification queue;
    the phone changes at once; the district bureau is told once; the same file again asks nothing new."""
    from outlet_audit.notifications.models import Notification

    outlet = make_outlet("FX", permit_number="FX-IMPORT-0001", name="旧名称", manager="旧经理")
    importer = bureau if importer_role == Role.DISTRICT_BUREAU else make_user(Role.CITY_BUREAU)
    colleague = make_user(Role.DISTRICT_BUREAU, district_code="FX")
    html = dry_run(client, importer, csv_file(GOOD)).get_data(as_text=True)
    waiting = set(re.findall(r'data-row="2" data-field="(\w+)">(?:(?!</tr>).)*data-review', html, re.S))
    assert waiting == {"name", "address", "manager"}
    assert confirm(client, html, "valid_rows").status_code == 302

    db.session.refresh(outlet)
    assert (outlet.name, outlet.manager) == ("旧名称", "旧经理")  # unchanged until the bureau accepts
    assert outlet.pending_changes == {
        "name": "网点 FX-IMPORT-0001",
        "address": "南桥镇 FX-IMPORT-0001 号",
        "manager": "王芳",
    }
    assert (outlet.phone, outlet.opening_hours) == ("13812345678", "08:00-20:00")  # at once: not verified
    actions = dict(
        db.session.execute(
            select(AuditEvent.field, AuditEvent.action).where(AuditEvent.outlet_id == outlet.id)
        ).all()
    )
    assert actions == {
        "name": "import_change_requested",
        "address": "import_change_requested",
        "manager": "import_change_requested",
        "phone": "outlet_updated",
        "opening_hours": "outlet_updated",
    }
    told = db.session.scalars(select(Notification.user_id).where(Notification.kind == "profile_change")).all()
    assert sorted(told) == sorted({bureau.id, colleague.id})
    flashed = client.get("/dashboard/import").get_data(as_text=True)
    assert "1 verified outlet has new registered details: they wait for review." in flashed
    assert 'href="/outlets/verification"' in flashed

    again = dry_run(client, importer, csv_file(GOOD)).get_data(as_text=True)
    assert 'data-row="2" data-field' not in again  # the same change already waits: nothing to do

    login(client, bureau)
    queue = client.get("/outlets/verification").get_data(as_text=True)
    assert "网点 FX-IMPORT-0001" in queue
    assert client.post(f"/outlets/{outlet.id}/changes/accept").status_code == 302
    db.session.refresh(outlet)
    assert (outlet.name, outlet.manager, outlet.pending_changes) == ("网点 FX-IMPORT-0001", "王芳", None)


def test_an_unverified_outlet_is_updated_and_verified_at_once(client, bureau):
    outlet = make_outlet("FX", verified=False, permit_number="FX-IMPORT-0001", name="旧名称")
    html = dry_run(client, bureau, csv_file(GOOD)).get_data(as_text=True)
    assert "data-review" not in html
    confirm(client, html, "valid_rows")
    db.session.refresh(outlet)
    assert (outlet.name, outlet.verified, outlet.pending_changes) == ("网点 FX-IMPORT-0001", True, None)
