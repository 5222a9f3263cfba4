"""Invitations: an outlet entered by the bureau (bulk import, the administrator) gets its manager's
account through a one-time code, mailed as a link or printed on a letter; sent again, withdrawn,
expired or used, a code stops working."""

import re
from datetime import timedelta

import pytest
from sqlalchemy import select

from outlet_audit.accounts.models import Invitation, User
from outlet_audit.audit.models import AuditEvent
from outlet_audit.extensions import db
from outlet_audit.notifications.models import Notification
from outlet_audit.outlets.models import Outlet
from outlet_audit.roles import Role
from tests.account_factories import delivered, english_fixture, links_in, mail_sink_fixture, site_path  # noqa: F401
from tests.factories import login, make_outlet, make_user
from tests.web.test_accounts import registration
from tests.web.test_import import GOOD, confirm, csv_file, dry_run

NEW_PASSWORD = "lantern orchard 47 kites"
INVALID = "This invitation code does not work"


def codes_on(page: str) -> list[str]:
    return re.findall(r"data-invitation-code>([A-Z0-9-]+)<", page)


def accept(client, code, username="nanqiao-mgr", **fields):
    client.post("/language", data={"locale": "en"})
    entered = client.post("/invitation", data={"code": code})
    if entered.status_code != 302:
        return entered
    data = {"username": username, "display_name": "王经理", "email": "", "password": NEW_PASSWORD, **fields}
    return client.post("/invitation/account", data=data)


def sign_in(client, username, password=NEW_PASSWORD):
    return client.post("/login", data={"username": username, "password": password})


def open_invitation(outlet_id) -> Invitation:
    return db.session.scalar(
        select(Invitation).where(Invitation.outlet_id == outlet_id, Invitation.accepted_at.is_(None))
    )


def import_outlets(client, bureau) -> list[Outlet]:
    html = dry_run(client, bureau, csv_file(GOOD)).get_data(as_text=True)
    assert confirm(client, html, "all_or_nothing").status_code == 302
    permits = [line[4] for line in GOOD]
    return list(db.session.scalars(select(Outlet).where(Outlet.permit_number.in_(permits))))


def test_an_imported_outlet_gets_an_invitation_its_manager_turns_into_an_account(english, db_session):
    bureau = make_user(Role.DISTRICT_BUREAU, district_code="FX")
    login(english, bureau)
    outlets = import_outlets(english, bureau)
    assert len(outlets) == 3 and all(open_invitation(o.id).for_manager for o in outlets)
    outlet = outlets[0]
    detail = english.get(f"/outlets/{outlet.id}").get_data(as_text=True)
    assert "Open invitations" in detail and "Not handed over yet" in detail
    listing = english.get("/invitations").get_data(as_text=True)
    assert all(o.name in listing for o in outlets)
    letters = english.post("/invitations/letters")
    assert letters.status_code == 200
    page = letters.get_data(as_text=True)
    codes = codes_on(page)
    assert len(codes) == 3 and "<svg" in page  # a QR code of each link
    assert english.post("/invitations/letters", follow_redirects=True).status_code == 200  # none left
    manager = english.application.test_client()
    # the letter of the first outlet in the list (never handed over, oldest first)
    first = db.session.scalars(select(Invitation).order_by(Invitation.id)).first()
    code = codes[0]
    assert accept(manager, code).status_code == 302
    user = db_session.scalar(select(User).where(User.username == "nanqiao-mgr"))
    assert (user.role, user.outlet_id, user.outlet_manager) == (Role.OUTLET, first.outlet_id, True)
    assert sign_in(manager, "nanqiao-mgr").status_code == 302
    assert manager.get("/applications/new").status_code == 200  # the outlet is verified: it applies
    db_session.expire_all()
    assert db_session.get(Invitation, first.id).accepted_by_id == user.id
    assert INVALID in accept(english.application.test_client(), code, "second-go").get_data(as_text=True)
    note = db_session.scalar(select(Notification).where(Notification.user_id == bureau.id))
    assert note.kind == "invitation_accepted"
    actions = db_session.scalars(
        select(AuditEvent.action).where(AuditEvent.outlet_id == first.outlet_id).order_by(AuditEvent.id)
    ).all()
    assert actions[-2:] == ["invitation_printed", "invitation_accepted"]


def test_registering_an_imported_outlet_again_points_to_the_invitation(english):
    outlet = make_outlet(permit_number="SH-KD-2024-0099")
    page = english.post("/register", data=registration()).get_data(as_text=True)
    assert "ask the district bureau or the manager of your outlet for an invitation code" in page
    assert 'href="/invitation"' in page
    assert open_invitation(outlet.id) is None


def test_the_bureau_mails_an_invitation_link(english, mail_sink, db_session):
    outlet = make_outlet("FX")
    login(english, make_user(Role.DISTRICT_BUREAU, district_code="FX"))
    response = english.post(f"/outlets/{outlet.id}/invitations", data={"email": "boss@example.test"})
    assert response.status_code == 302
    ((recipients, message),) = delivered(mail_sink)
    assert recipients == ["boss@example.test"]
    (link,) = [link for link in links_in(message) if "/invitation/" in link]
    invitee = english.application.test_client()
    opened = invitee.get(site_path(link))
    assert opened.headers["Location"] == "/invitation/account"
    form = invitee.get("/invitation/account").get_data(as_text=True)
    assert 'value="boss@example.test"' in form and outlet.name in form
    created = invitee.post(
        "/invitation/account",
        data={
            "username": "boss",
            "display_name": "老板",
            "email": "boss@example.test",
            "password": NEW_PASSWORD,
        },
    )
    assert created.status_code == 302
    assert db_session.scalar(select(User).where(User.username == "boss")).outlet_id == outlet.id


def test_sending_again_ends_the_old_code_and_withdrawing_ends_the_invitation(english):
    outlet = make_outlet("FX")
    login(english, make_user(Role.DISTRICT_BUREAU, district_code="FX"))
    first = codes_on(english.post(f"/outlets/{outlet.id}/invitations").get_data(as_text=True))
    invitation = open_invitation(outlet.id)
    second = codes_on(english.post(f"/invitations/{invitation.id}/send").get_data(as_text=True))
    assert first != second and len(first) == len(second) == 1
    invitee = english.application.test_client()
    assert INVALID in accept(invitee, first[0]).get_data(as_text=True)
    assert english.post(f"/invitations/{invitation.id}/withdraw").status_code == 302
    assert INVALID in accept(invitee, second[0]).get_data(as_text=True)
    refused = english.post(f"/invitations/{invitation.id}/send", follow_redirects=True)
    assert "This invitation was used or withdrawn already." in refused.get_data(as_text=True)


def test_an_expired_code_is_refused(english, db_session):
    outlet = make_outlet("FX")
    login(english, make_user(Role.DISTRICT_BUREAU, district_code="FX"))
    (code,) = codes_on(english.post(f"/outlets/{outlet.id}/invitations").get_data(as_text=True))
    invitation = open_invitation(outlet.id)
    invitation.expires_at -= timedelta(days=31)
    db_session.flush()
    assert INVALID in accept(english.application.test_client(), code).get_data(as_text=True)


def test_a_typed_code_may_differ_in_case_dashes_and_spaces(english):
    outlet = make_outlet("FX")
    login(english, make_user(Role.DISTRICT_BUREAU, district_code="FX"))
    (code,) = codes_on(english.post(f"/outlets/{outlet.id}/invitations").get_data(as_text=True))
    typed = " " + code.lower().replace("-", " ") + " "
    assert english.application.test_client().post("/invitation", data={"code": typed}).status_code == 302


def test_an_outlet_with_a_manager_gets_no_second_manager_invitation(english):
    outlet = make_outlet("FX")
    make_user(Role.OUTLET, outlet=outlet, outlet_manager=True)
    login(english, make_user(Role.DISTRICT_BUREAU, district_code="FX"))
    page = english.get(f"/outlets/{outlet.id}").get_data(as_text=True)
    assert "invite-form" not in page
    response = english.post(f"/outlets/{outlet.id}/invitations", follow_redirects=True)
    assert "The outlet has a manager already" in response.get_data(as_text=True)
    assert open_invitation(outlet.id) is None


def test_the_administrator_invites_the_manager_of_an_outlet_by_its_permit_number(english):
    outlet = make_outlet("QP", permit_number="SH-KD-2024-0555")
    login(english, make_user(Role.ADMIN))
    page = english.get("/admin/users/new").get_data(as_text=True)
    assert "An account for an outlet" in page and 'action="/admin/outlet-invitations"' in page
    letter = english.post("/admin/outlet-invitations", data={"permit_number": "sh-kd-2024-0555", "email": ""})
    (code,) = codes_on(letter.get_data(as_text=True))
    assert open_invitation(outlet.id).delivery == "print"
    missing = english.post(
        "/admin/outlet-invitations", data={"permit_number": "SH-KD-2024-9999"}, follow_redirects=True
    )
    assert "No outlet has this permit or filing number." in missing.get_data(as_text=True)
    assert accept(english.application.test_client(), code).status_code == 302


@pytest.mark.parametrize(
    ("role", "code", "status"), [(Role.DISTRICT_BUREAU, "QP", 404), (Role.CITY_BUREAU, None, 403)]
)
def test_only_the_outlets_district_bureau_invites(english, role, code, status):
    outlet = make_outlet("FX")
    login(english, make_user(role, district_code=code) if code else make_user(role))
    assert english.post(f"/outlets/{outlet.id}/invitations").status_code == status
    assert open_invitation(outlet.id) is None


def test_an_unverified_outlet_gets_no_invitation(english):
    outlet = make_outlet("FX", verified=False)
    login(english, make_user(Role.DISTRICT_BUREAU, district_code="FX"))
    response = english.post(f"/outlets/{outlet.id}/invitations", follow_redirects=True)
    assert "The outlet is not verified yet" in response.get_data(as_text=True)


def test_entering_codes_is_limited_per_address(english, app, monkeypatch):
    monkeypatch.setitem(app.config, "RATELIMIT_ACCOUNT_RECOVERY", "2 per minute")
    codes = [
        english.post("/invitation", data={"code": f"AAAA-BBBB-CCCC-DDD{n}"}).status_code for n in range(3)
    ]
    assert codes == [422, 422, 429]


def test_the_new_account_follows_the_password_policy_and_keeps_the_invitation_open(english):
    outlet = make_outlet("FX")
    login(english, make_user(Role.DISTRICT_BUREAU, district_code="FX"))
    (code,) = codes_on(english.post(f"/outlets/{outlet.id}/invitations").get_data(as_text=True))
    response = accept(english.application.test_client(), code, password="password1")
    assert response.status_code == 422
    assert open_invitation(outlet.id) is not None


def test_a_malformed_address_is_refused_and_nothing_is_made(english):
    outlet = make_outlet("FX")
    login(english, make_user(Role.DISTRICT_BUREAU, district_code="FX"))
    response = english.post(f"/outlets/{outlet.id}/invitations", data={"email": "y"}, follow_redirects=True)
    assert "Enter an e-mail address such as name@company.cn." in response.get_data(as_text=True)
    assert open_invitation(outlet.id) is None
