"""The people of an outlet: several accounts, the manager invites and removes staff, and a leaving
manager hands over with the district bureau's approval; every act is audited with who did it."""

import re

import pytest
from sqlalchemy import select

from outlet_audit.accounts.models import ManagerHandover, User
from outlet_audit.audit.models import AuditEvent
from outlet_audit.extensions import db
from outlet_audit.notifications.models import Notification
from outlet_audit.roles import Role
from tests.account_factories import english_fixture  # noqa: F401
from tests.factories import login, make_application, make_outlet, make_user

NEW_PASSWORD = "lantern orchard 47 kites"


@pytest.fixture
def crew(ctx):
    outlet = make_outlet("FX")
    manager = make_user(Role.OUTLET, outlet=outlet, outlet_manager=True, display_name="王经理")
    staff = make_user(Role.OUTLET, outlet=outlet, display_name="李店员")
    bureau = make_user(Role.DISTRICT_BUREAU, district_code="FX")
    return outlet, manager, staff, bureau


def audited(action: str) -> AuditEvent:
    return db.session.scalar(select(AuditEvent).where(AuditEvent.action == action))


def test_every_account_of_the_outlet_works_on_its_applications(english, crew):
    outlet, manager, staff, _ = crew
    application = make_application(outlet)
    for user in (manager, staff):
        login(english, user)
        assert english.get(f"/applications/{application.id}").status_code == 200
    page = english.get("/outlet/people").get_data(as_text=True)
    assert "王经理" in page and "李店员" in page
    assert "Invite a member of staff" not in page  # staff see who is there, the manager acts


def test_the_manager_invites_staff_who_create_their_own_account(english, crew, db_session):
    outlet, manager, _, _ = crew
    login(english, manager)
    letter = english.post(f"/outlets/{outlet.id}/invitations").get_data(as_text=True)
    (code,) = re.findall(r"data-invitation-code>([A-Z0-9-]+)<", letter)
    newcomer = english.application.test_client()
    assert newcomer.post("/invitation", data={"code": code}).status_code == 302
    created = newcomer.post(
        "/invitation/account",
        data={"username": "zhang-new", "display_name": "张新", "password": NEW_PASSWORD},
    )
    assert created.status_code == 302
    user = db_session.scalar(select(User).where(User.username == "zhang-new"))
    assert (user.outlet_id, user.outlet_manager) == (outlet.id, False)
    note = db_session.scalar(select(Notification).where(Notification.user_id == manager.id))
    assert note.kind == "invitation_accepted" and note.link == "/outlet/people"


def test_staff_cannot_invite_or_remove(english, crew, db_session):
    outlet, manager, staff, _ = crew
    other = make_user(Role.OUTLET, outlet=outlet)
    login(english, staff)
    response = english.post(f"/outlets/{outlet.id}/invitations", follow_redirects=True)
    assert "You cannot invite people to this outlet." in response.get_data(as_text=True)
    response = english.post(f"/outlet/people/{other.id}/remove", follow_redirects=True)
    assert "Only the outlet&#39;s manager can do this." in response.get_data(as_text=True)
    db_session.refresh(other)
    assert other.active


def test_the_manager_removes_a_member_of_staff(english, crew, app, db_session):
    outlet, manager, staff, _ = crew
    signed_in = app.test_client()
    login(signed_in, staff)
    login(english, manager)
    assert english.post(f"/outlet/people/{staff.id}/remove").status_code == 302
    db_session.refresh(staff)
    assert not staff.active
    assert signed_in.get("/applications/").status_code == 302  # signed out at once
    event = audited("outlet_staff_removed")
    assert (event.actor_id, event.subject_id, event.outlet_id) == (manager.id, staff.id, outlet.id)
    assert "Removed" in english.get("/outlet/people").get_data(as_text=True)


def test_the_manager_cannot_remove_themselves_or_another_outlets_staff(english, crew):
    _, manager, _, _ = crew
    stranger = make_user(Role.OUTLET, outlet=make_outlet("FX"))
    login(english, manager)
    refused = english.post(f"/outlet/people/{manager.id}/remove", follow_redirects=True)
    assert "handing over" in refused.get_data(as_text=True)
    assert english.post(f"/outlet/people/{stranger.id}/remove").status_code == 404


def test_a_leaving_manager_hands_over_with_the_bureaus_approval(english, crew, app, db_session):
    outlet, manager, staff, bureau = crew
    login(english, manager)
    asked = english.post("/outlet/handover", data={"to_user": staff.id, "close_account": "y"})
    assert asked.status_code == 302
    handover = db_session.scalar(select(ManagerHandover))
    assert (handover.from_user_id, handover.to_user_id, handover.close_account) == (
        manager.id,
        staff.id,
        True,
    )
    note = db_session.scalar(select(Notification).where(Notification.user_id == bureau.id))
    assert note.kind == "manager_handover" and note.link == f"/outlets/{outlet.id}"
    reviewer = app.test_client()
    reviewer.post("/language", data={"locale": "en"})
    login(reviewer, bureau)
    page = reviewer.get(f"/outlets/{outlet.id}").get_data(as_text=True)
    assert "asks to hand over to 李店员" in page
    assert reviewer.post(f"/outlets/{outlet.id}/handover/approve").status_code == 302
    db_session.expire_all()
    manager, staff = db_session.get(User, manager.id), db_session.get(User, staff.id)
    assert (manager.outlet_manager, manager.active) == (False, False)
    assert (staff.outlet_manager, staff.active) == (True, True)
    assert db_session.get(ManagerHandover, handover.id).outcome == "approved"
    event = audited("manager_handover_approved")
    assert (event.actor_id, event.outlet_id) == (bureau.id, outlet.id)
    login(english, staff)
    assert "Invite a member of staff" in english.get("/outlet/people").get_data(as_text=True)


def test_the_bureau_refuses_a_handover_with_a_reason(english, crew, db_session):
    outlet, manager, staff, bureau = crew
    login(english, manager)
    english.post("/outlet/handover", data={"to_user": staff.id})
    login(english, bureau)
    empty = english.post(f"/outlets/{outlet.id}/handover/refuse", data={"reason": ""}, follow_redirects=True)
    assert "Give the reason" in empty.get_data(as_text=True)
    english.post(f"/outlets/{outlet.id}/handover/refuse", data={"reason": "请提供新负责人的任命书。"})
    db_session.expire_all()
    assert db_session.get(User, manager.id).outlet_manager
    note = db_session.scalar(
        select(Notification).where(
            Notification.user_id == manager.id, Notification.kind == "manager_handover"
        )
    )
    assert note.params["reason"] == "请提供新负责人的任命书。"
    assert audited("manager_handover_refused").reason == "请提供新负责人的任命书。"


def test_a_handover_is_to_another_active_account_of_the_outlet_and_one_at_a_time(english, crew, db_session):
    outlet, manager, staff, _ = crew
    stranger = make_user(Role.OUTLET, outlet=make_outlet("FX"))
    login(english, manager)
    english.post("/outlet/handover", data={"to_user": stranger.id})
    assert db_session.scalar(select(ManagerHandover)) is None
    english.post("/outlet/handover", data={"to_user": staff.id})
    second = english.post("/outlet/handover", data={"to_user": staff.id}, follow_redirects=True)
    assert "A handover is waiting for the district bureau already." in second.get_data(as_text=True)
    assert english.post("/outlet/handover/withdraw").status_code == 302
    assert db_session.scalar(select(ManagerHandover)).outcome == "withdrawn"


def test_another_district_cannot_decide_a_handover(english, crew, db_session):
    outlet, manager, staff, _ = crew
    login(english, manager)
    english.post("/outlet/handover", data={"to_user": staff.id})
    login(english, make_user(Role.DISTRICT_BUREAU, district_code="QP"))
    assert english.post(f"/outlets/{outlet.id}/handover/approve").status_code == 404
    assert db_session.scalar(select(ManagerHandover)).outcome is None


def test_the_bureau_sends_a_password_link_to_any_of_the_outlets_accounts_from_its_page(english, crew):
    outlet, manager, staff, bureau = crew
    staff.email = "li@example.test"
    db.session.flush()
    login(english, bureau)
    page = english.get(f"/outlets/{outlet.id}").get_data(as_text=True)
    assert f"/accounts/{staff.id}/password-link" in page
    assert f"/accounts/{manager.id}/password-link" not in page  # no address: no link can reach it
