"""The outlet keeps its profile; changes to verified fields go to the district bureau first."""

import html

import pytest
from sqlalchemy import select

from outlet_audit.audit.models import AuditEvent
from outlet_audit.notifications.models import Notification
from outlet_audit.outlets.models import Outlet
from tests.factories import district, login, make_outlet
from tests.workflow_helpers import make_crew


@pytest.fixture
def crew(ctx):
    return make_crew()


def profile_data(outlet, **changes) -> dict:
    data = {
        "outlet_name": outlet.name,
        "brand": outlet.brand,
        "district_id": str(outlet.district_id),
        "address": outlet.address,
        "permit_number": outlet.permit_number,
        "manager": outlet.manager,
        "phone": outlet.phone,
        "opening_hours": outlet.opening_hours or "",
    }
    data.update(changes)
    return data


def fresh(outlet) -> Outlet:
    from outlet_audit.extensions import db

    db.session.expire_all()
    return db.session.get(Outlet, outlet.id)


def audit_rows(db_session, outlet, action):
    return db_session.execute(
        select(AuditEvent.field, AuditEvent.old_value, AuditEvent.new_value, AuditEvent.reason)
        .where(AuditEvent.outlet_id == outlet.id, AuditEvent.action == action)
        .order_by(AuditEvent.id)
    ).all()


def test_unverified_fields_change_at_once_and_are_audited(client, crew, db_session):
    login(client, crew.outlet_user)
    response = client.post(
        "/outlets/profile", data=profile_data(crew.outlet, phone="021-57001234", opening_hours="08:00–20:00")
    )
    assert response.status_code == 302
    outlet = fresh(crew.outlet)
    assert outlet.phone == "021-57001234" and outlet.opening_hours == "08:00–20:00"
    assert outlet.pending_changes is None
    rows = audit_rows(db_session, outlet, "profile_updated")
    assert [(r.field, r.new_value) for r in rows] == [
        ("phone", "021-57001234"),
        ("opening_hours", "08:00–20:00"),
    ]
    assert rows[0].old_value == "13800000000"


def test_verified_fields_wait_for_the_bureau(client, crew, db_session):
    login(client, crew.outlet_user)
    response = client.post(
        "/outlets/profile",
        data=profile_data(
            crew.outlet, outlet_name="奉贤测试顺丰网点（新址）", manager="李新", phone="13900001111"
        ),
    )
    assert response.status_code == 302
    outlet = fresh(crew.outlet)
    assert outlet.name == "奉贤测试顺丰网点" and outlet.manager == "王测试"  # unchanged until accepted
    assert outlet.phone == "13900001111"  # not a verified field
    assert outlet.pending_changes == {"name": "奉贤测试顺丰网点（新址）", "manager": "李新"}
    requested = audit_rows(db_session, outlet, "profile_change_requested")
    assert [(r.field, r.old_value, r.new_value) for r in requested] == [
        ("name", "奉贤测试顺丰网点", "奉贤测试顺丰网点（新址）"),
        ("manager", "王测试", "李新"),
    ]
    page = client.get("/outlets/profile").get_data(as_text=True)
    assert "Waiting for the district bureau" in page
    assert 'value="奉贤测试顺丰网点（新址）"' in page  # the form shows what was asked for
    notified = db_session.scalars(
        select(Notification.user_id).where(Notification.kind == "profile_change")
    ).all()
    assert notified == [crew.bureau.id]


def test_saving_again_keeps_the_request_and_setting_back_takes_it_back(client, crew, db_session):
    login(client, crew.outlet_user)
    client.post("/outlets/profile", data=profile_data(crew.outlet, manager="李新"))
    client.post("/outlets/profile", data=profile_data(crew.outlet, manager="李新"))
    assert fresh(crew.outlet).pending_changes == {"manager": "李新"}
    assert len(audit_rows(db_session, crew.outlet, "profile_change_requested")) == 1
    client.post("/outlets/profile", data=profile_data(crew.outlet, manager="王测试"))
    assert fresh(crew.outlet).pending_changes is None
    assert len(audit_rows(db_session, crew.outlet, "profile_change_withdrawn")) == 1


def test_the_bureau_sees_old_and_new_and_accepts(client, crew, db_session):
    login(client, crew.outlet_user)
    qingpu = district("QP")
    client.post(
        "/outlets/profile",
        data=profile_data(crew.outlet, address="奉贤区新址路 9 号", district_id=str(qingpu.id)),
    )
    login(client, crew.bureau)
    page = client.get("/outlets/verification").get_data(as_text=True)
    section = page.split('id="profile-changes"')[1]
    assert "奉贤区测试路 1 号" in section and "奉贤区新址路 9 号" in section
    assert "Qingpu" in section and "Fengxian" in section  # districts by name, in the reader's language
    response = client.post(f"/outlets/{crew.outlet.id}/changes/accept")
    assert response.status_code == 302
    outlet = fresh(crew.outlet)
    assert outlet.address == "奉贤区新址路 9 号" and outlet.district_id == qingpu.id
    assert outlet.pending_changes is None
    accepted = audit_rows(db_session, outlet, "profile_change_accepted")
    assert {(r.field, r.old_value, r.new_value) for r in accepted} == {
        ("address", "奉贤区测试路 1 号", "奉贤区新址路 9 号"),
        ("district_id", str(district("FX").id), str(qingpu.id)),
    }
    kinds = db_session.scalars(
        select(Notification.kind).where(Notification.user_id == crew.outlet_user.id)
    ).all()
    assert "profile_change_accepted" in kinds


def test_the_bureau_rejects_with_a_reason(client, crew, db_session):
    login(client, crew.outlet_user)
    client.post("/outlets/profile", data=profile_data(crew.outlet, manager="李新"))
    login(client, crew.bureau)
    assert client.post(f"/outlets/{crew.outlet.id}/changes/reject", data={"reason": ""}).status_code == 302
    assert fresh(crew.outlet).pending_changes == {"manager": "李新"}  # no reason, no rejection
    client.post(f"/outlets/{crew.outlet.id}/changes/reject", data={"reason": "与许可证登记不一致"})
    outlet = fresh(crew.outlet)
    assert outlet.pending_changes is None and outlet.manager == "王测试"
    (row,) = audit_rows(db_session, outlet, "profile_change_rejected")
    assert (row.field, row.new_value, row.reason) == ("manager", "李新", "与许可证登记不一致")
    login(client, crew.outlet_user)
    history = html.unescape(client.get("/outlets/profile").get_data(as_text=True))
    assert "did not accept the change to Manager" in history and "与许可证登记不一致" in history


def test_other_bureaus_cannot_decide_and_the_city_only_reads(client, crew):
    login(client, crew.outlet_user)
    client.post("/outlets/profile", data=profile_data(crew.outlet, manager="李新"))
    login(client, crew.other_bureau)
    assert client.post(f"/outlets/{crew.outlet.id}/changes/accept").status_code == 404
    assert client.post("/outlets/999999/changes/accept").status_code == 404
    assert "李新" not in client.get("/outlets/verification").get_data(as_text=True)
    login(client, crew.city)
    assert "李新" in client.get("/outlets/verification").get_data(as_text=True)
    assert client.post(f"/outlets/{crew.outlet.id}/changes/accept").status_code == 403
    assert fresh(crew.outlet).manager == "王测试"


def test_a_permit_number_of_another_outlet_is_refused_with_the_input_kept(client, crew):
    other = make_outlet("FX", permit_number="SH-KD-2020-9999")
    login(client, crew.outlet_user)
    response = client.post(
        "/outlets/profile", data=profile_data(crew.outlet, permit_number="sh-kd-2020-9999", manager="李新")
    )
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert "Another outlet is registered with this permit or filing number." in page
    assert 'value="李新"' in page
    assert fresh(crew.outlet).pending_changes is None and other.permit_number == "SH-KD-2020-9999"


def test_invalid_input_is_refused_and_kept(client, crew):
    login(client, crew.outlet_user)
    response = client.post("/outlets/profile", data=profile_data(crew.outlet, phone="12", manager="李新"))
    assert response.status_code == 422
    assert 'value="12"' in response.get_data(as_text=True)
    assert fresh(crew.outlet).pending_changes is None


def test_the_bureaus_outlet_page_shows_the_timeline(client, crew):
    login(client, crew.outlet_user)
    client.post("/outlets/profile", data=profile_data(crew.outlet, phone="13900001111"))
    login(client, crew.bureau)
    page = html.unescape(client.get(f"/outlets/{crew.outlet.id}").get_data(as_text=True))
    assert "changed Contact phone" in page and "13900001111" in page
    login(client, crew.other_bureau)
    assert client.get(f"/outlets/{crew.outlet.id}").status_code == 404
