"""Registrations both ways: the bureau is told one arrived and verifies or refuses it with a reason
the applicant reads; the applicant corrects and sends it again. Profile changes go both ways too."""

import pytest
from sqlalchemy import select

from outlet_audit.accounts.models import RegistrationRefusal
from outlet_audit.audit.models import AuditEvent
from outlet_audit.extensions import db
from outlet_audit.notifications.models import Notification
from outlet_audit.outlets.models import Outlet
from outlet_audit.roles import Role
from tests.account_factories import english_fixture  # noqa: F401
from tests.factories import PASSWORD, login, make_outlet, make_user
from tests.web.test_accounts import registration
from tests.web.test_outlet_profile import profile_data

REASON = "许可证号与登记簿不符，请核对后重新提交。"


def notes_of(user) -> list[Notification]:
    query = select(Notification).where(Notification.user_id == user.id).order_by(Notification.id)
    return list(db.session.scalars(query))


def applicant(verified=False, district_code="FX"):
    outlet = make_outlet(district_code, verified=verified, name="奉贤申请网点")
    return outlet, make_user(Role.OUTLET, outlet=outlet)


def register(client, **overrides):
    return client.post("/register", data=registration(**{"outlet_name": "奉贤新网点", **overrides}))


def test_the_district_bureau_is_told_a_registration_arrived(english):
    bureau = make_user(Role.DISTRICT_BUREAU, district_code="FX")
    elsewhere = make_user(Role.DISTRICT_BUREAU, district_code="QP")
    assert register(english).status_code == 302
    (note,) = notes_of(bureau)
    assert note.kind == "registration" and note.link == "/outlets/verification"
    assert note.params == {"outlet": "奉贤新网点"}
    assert notes_of(elsewhere) == []


def test_an_unverified_outlet_signs_in_to_its_registration_page_only(english):
    outlet, user = applicant()
    assert english.post("/login", data={"username": user.username, "password": PASSWORD}).status_code == 302
    for path in ("/applications/", "/applications/new", "/certificates/"):
        response = english.get(path)
        assert response.status_code == 302 and response.headers["Location"] == "/registration", path
    for path in ("/registration", "/outlets/profile", "/notifications/", "/account/password", "/verify"):
        assert english.get(path).status_code == 200, path


def test_the_bureau_refuses_with_a_reason_the_applicant_reads(english, db_session):
    outlet, user = applicant()
    bureau = make_user(Role.DISTRICT_BUREAU, district_code="FX")
    login(english, bureau)
    queue = english.get("/outlets/verification").get_data(as_text=True)
    # one table on every screen (a card per registration on a phone): each drawn once
    assert queue.count(f"/outlets/{outlet.id}/registration/refuse") == 1
    assert queue.count(f"/outlets/{outlet.id}/verify") == 1 and 'data-label="Phone"' in queue
    response = english.post(f"/outlets/{outlet.id}/registration/refuse", data={"reason": REASON})
    assert response.status_code == 302
    assert f"/outlets/{outlet.id}/verify" not in english.get("/outlets/verification").get_data(as_text=True)
    detail = english.get(f"/outlets/{outlet.id}").get_data(as_text=True)
    assert "Registration not accepted" in detail and REASON in detail
    (note,) = notes_of(user)
    assert note.kind == "registration_refused" and note.params["reason"] == REASON
    event = db_session.scalar(select(AuditEvent).where(AuditEvent.action == "registration_refused"))
    assert (event.actor_id, event.outlet_id, event.reason) == (bureau.id, outlet.id, REASON)
    login(english, user)
    page = english.get("/registration").get_data(as_text=True)
    assert "did not accept the registration" in page and REASON in page
    assert not db_session.get(Outlet, outlet.id).verified


def test_a_refusal_needs_a_reason(english, db_session):
    outlet, _ = applicant()
    login(english, make_user(Role.DISTRICT_BUREAU, district_code="FX"))
    response = english.post(
        f"/outlets/{outlet.id}/registration/refuse", data={"reason": "  "}, follow_redirects=True
    )
    assert "Give the reason, so the outlet knows what to correct." in response.get_data(as_text=True)
    assert db_session.get(RegistrationRefusal, outlet.id) is None


def test_the_applicant_corrects_and_sends_the_registration_again(english, db_session):
    outlet, user = applicant()
    bureau = make_user(Role.DISTRICT_BUREAU, district_code="FX")
    login(english, bureau)
    english.post(f"/outlets/{outlet.id}/registration/refuse", data={"reason": REASON})
    login(english, user)
    profile = profile_data(outlet, permit_number="SH-KD-2024-0321")
    assert english.post("/outlets/profile", data=profile).status_code == 302
    assert english.post("/registration/resubmit").status_code == 302
    db_session.expire_all()
    assert db_session.get(RegistrationRefusal, outlet.id) is None
    assert db_session.get(Outlet, outlet.id).permit_number == "SH-KD-2024-0321"  # unverified: at once
    assert [note.kind for note in notes_of(bureau)] == ["registration"]
    assert english.post("/registration/resubmit", follow_redirects=True).status_code == 200  # nothing to send
    login(english, bureau)
    assert f"/outlets/{outlet.id}/verify" in english.get("/outlets/verification").get_data(as_text=True)
    actions = db_session.scalars(
        select(AuditEvent.action).where(AuditEvent.outlet_id == outlet.id).order_by(AuditEvent.id)
    ).all()
    assert actions[0] == "registration_refused" and actions[-1] == "registration_resubmitted"


def test_the_outlet_is_told_when_it_is_verified_and_may_then_apply(english, db_session):
    outlet, user = applicant()
    bureau = make_user(Role.DISTRICT_BUREAU, district_code="FX")
    login(english, bureau)
    english.post(f"/outlets/{outlet.id}/registration/refuse", data={"reason": REASON})
    assert english.post(f"/outlets/{outlet.id}/verify").status_code == 302  # the bureau thought better of it
    db_session.expire_all()
    assert db_session.get(RegistrationRefusal, outlet.id) is None
    assert [note.kind for note in notes_of(user)] == ["registration_refused", "outlet_verified"]
    login(english, user)
    assert english.get("/applications/").status_code == 200
    assert english.get("/registration").headers["Location"] == "/"


@pytest.mark.parametrize(
    ("role", "code", "status"), [(Role.DISTRICT_BUREAU, "QP", 404), (Role.CITY_BUREAU, None, 403)]
)
def test_only_the_outlets_own_district_bureau_refuses(english, db_session, role, code, status):
    outlet, _ = applicant()
    login(english, make_user(role, district_code=code) if code else make_user(role))
    assert (
        english.post(f"/outlets/{outlet.id}/registration/refuse", data={"reason": REASON}).status_code
        == status
    )
    assert db_session.get(RegistrationRefusal, outlet.id) is None


def test_a_verified_outlet_cannot_be_refused(english, db_session):
    outlet, _ = applicant(verified=True)
    login(english, make_user(Role.DISTRICT_BUREAU, district_code="FX"))
    response = english.post(
        f"/outlets/{outlet.id}/registration/refuse", data={"reason": REASON}, follow_redirects=True
    )
    assert "This outlet is verified already." in response.get_data(as_text=True)
    assert db_session.get(RegistrationRefusal, outlet.id) is None


def test_a_change_of_verified_details_goes_both_ways(english, db_session):
    outlet, user = applicant(verified=True)
    bureau = make_user(Role.DISTRICT_BUREAU, district_code="FX")
    login(english, user)
    profile = profile_data(outlet, outlet_name="奉贤改名网点")
    english.post("/outlets/profile", data=profile)
    assert [note.kind for note in notes_of(bureau)] == ["profile_change"]
    login(english, bureau)
    english.post(f"/outlets/{outlet.id}/changes/reject", data={"reason": "名称与营业执照不符。"})
    login(english, user)
    english.post("/outlets/profile", data=profile)
    login(english, bureau)
    english.post(f"/outlets/{outlet.id}/changes/accept")
    assert [note.kind for note in notes_of(user)] == ["profile_change_rejected", "profile_change_accepted"]
    assert notes_of(user)[0].params == {"reason": "名称与营业执照不符。"}
    db_session.refresh(outlet)
    assert outlet.name == "奉贤改名网点"
