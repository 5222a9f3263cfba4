"""Managing certificates: the list and its filters, the detail page, revocation, renewal, supersession."""

from datetime import timedelta

import pytest
from flask import url_for
from sqlalchemy import select

from outlet_audit.audit.models import AuditEvent
from outlet_audit.certificates.models import Certificate
from outlet_audit.certificates.page import RENEWAL_ENDPOINT
from outlet_audit.certificates.queries import state_condition
from outlet_audit.certificates.revocation import RevocationRefused, revoke_certificate
from outlet_audit.certificates.state import CertificateState, certificate_state
from outlet_audit.core.time import today_in_shanghai
from outlet_audit.notifications.models import Notification
from outlet_audit.roles import Role
from tests.certificate_helpers import make_certified
from tests.conftest import counted_statements
from tests.factories import certify, login, make_outlet, make_user


def long_ago(days: int):
    return today_in_shanghai() - timedelta(days=days)


@pytest.fixture
def four_states(ctx, db_session):
    """One certificate in each state, all in Fengxian; plus one valid one in Qingpu."""
    valid = make_certified(name="奉贤有效网点")
    expired = make_certified(name="奉贤过期网点", issued_on=long_ago(3 * 365))
    revoked = make_certified(name="奉贤撤销网点")
    revoke_certificate(revoked.certificate, revoked.bureau, "复查发现使用不可降解胶带")
    superseded = make_certified(name="奉贤被替代网点")
    certify(superseded.outlet, "city", cast=superseded.cast)
    qingpu = make_certified(name="青浦有效网点", district_code="QP")
    return {
        "valid": valid,
        "expired": expired,
        "revoked": revoked,
        "superseded": superseded,
        "qingpu": qingpu,
    }


def test_the_sql_state_filter_agrees_with_certificate_state(four_states, db_session):
    today = today_in_shanghai()
    for state in CertificateState:
        ids = set(db_session.scalars(select(Certificate.id).where(state_condition(state, today))))
        expected = {
            c.id
            for c in db_session.scalars(select(Certificate))
            if certificate_state(c.state, c.valid_until, today) is state
        }
        assert ids == expected and ids, state


def test_list_shows_each_role_its_own_certificates(client, four_states):
    fengxian = {name for name in ("奉贤有效网点", "奉贤过期网点", "奉贤撤销网点", "奉贤被替代网点")}
    login(client, four_states["valid"].bureau)
    page = client.get("/certificates/").get_data(as_text=True)
    assert all(name in page for name in fengxian) and "青浦有效网点" not in page
    login(client, make_user(Role.CITY_BUREAU))
    page = client.get("/certificates/").get_data(as_text=True)
    assert all(name in page for name in fengxian | {"青浦有效网点"})
    login(client, four_states["expired"].outlet_user)
    page = client.get("/certificates/").get_data(as_text=True)
    assert four_states["expired"].certificate.number in page
    assert four_states["valid"].certificate.number not in page


@pytest.mark.parametrize(
    "state, shown",
    [
        ("valid", {"valid", "superseded_city"}),
        ("expired", {"expired"}),
        ("revoked", {"revoked"}),
        ("superseded", {"superseded"}),
        ("", {"valid", "expired", "revoked", "superseded", "superseded_city"}),
        ("nonsense", {"valid", "expired", "revoked", "superseded", "superseded_city"}),
    ],
)
def test_list_filters_by_displayed_state(client, four_states, db_session, state, shown):
    numbers = {key: value.certificate.number for key, value in four_states.items() if key != "qingpu"}
    city = db_session.get(Certificate, four_states["superseded"].certificate.superseded_by_id)
    numbers["superseded_city"] = city.number
    login(client, four_states["valid"].bureau)
    page = client.get(f"/certificates/?state={state}").get_data(as_text=True)
    assert {key for key, number in numbers.items() if number in page} == shown


def test_list_searches_by_outlet_name_or_number(client, four_states):
    login(client, make_user(Role.CITY_BUREAU))
    page = client.get("/certificates/?q=过期").get_data(as_text=True)
    assert "奉贤过期网点" in page and "奉贤有效网点" not in page
    number = four_states["qingpu"].certificate.number
    page = client.get(f"/certificates/?q={number.lower()}").get_data(as_text=True)
    assert "青浦有效网点" in page and "奉贤过期网点" not in page
    assert "奉贤有效网点" not in client.get("/certificates/?q=%25").get_data(as_text=True)


def test_list_and_detail_are_not_for_inspectors_or_admins(client, four_states):
    certificate_id = four_states["valid"].certificate.id
    for role in (Role.INSPECTOR, Role.ADMIN):
        login(client, make_user(role))
        assert client.get("/certificates/").status_code == 403
        assert client.get(f"/certificates/{certificate_id}").status_code == 403


def test_detail_is_hidden_outside_the_scope(client, four_states):
    certificate_id = four_states["qingpu"].certificate.id
    login(client, four_states["valid"].bureau)
    assert client.get(f"/certificates/{certificate_id}").status_code == 404
    login(client, four_states["valid"].outlet_user)
    assert client.get(f"/certificates/{certificate_id}").status_code == 404
    login(client, four_states["qingpu"].outlet_user)
    assert client.get(f"/certificates/{certificate_id}").status_code == 200


def test_detail_shows_the_computed_state(client, four_states, db_session):
    login(client, make_user(Role.CITY_BUREAU))
    expired = client.get(f"/certificates/{four_states['expired'].certificate.id}").get_data(as_text=True)
    assert 'data-state="expired"' in expired and "text-bg-secondary" in expired
    assert four_states["expired"].certificate.state == "active"  # expiry is computed, never stored
    revoked = client.get(f"/certificates/{four_states['revoked'].certificate.id}").get_data(as_text=True)
    assert "复查发现使用不可降解胶带" in revoked
    superseded = four_states["superseded"].certificate
    city = db_session.get(Certificate, superseded.superseded_by_id)
    page = client.get(f"/certificates/{superseded.id}").get_data(as_text=True)
    assert city.number in page and f"/certificates/{city.id}" in page


# -- revocation ---------------------------------------------------------------------------


def test_district_bureau_revokes_with_a_reason_and_it_is_audited(client, four_states, db_session):
    certified = four_states["valid"]
    login(client, certified.bureau)
    response = client.post(
        f"/certificates/{certified.certificate.id}/revoke",
        data={"ground": "outlet_closed", "reason": "  复查不合格  "},
    )
    assert response.status_code == 302
    db_session.refresh(certified.certificate)
    certificate = certified.certificate
    assert certificate.state == "revoked" and certificate.revoked_reason == "复查不合格"
    assert certificate.revoked_by_id == certified.bureau.id and certificate.revoked_at is not None
    event = db_session.scalar(
        select(AuditEvent).where(
            AuditEvent.subject_type == "certificate",
            AuditEvent.subject_id == certificate.id,
            AuditEvent.action == "certificate_revoked",
        )
    )
    assert event.actor_id == certified.bureau.id and event.reason == "复查不合格"
    assert (event.old_value, event.new_value) == ("active", "revoked")
    notes = db_session.scalars(
        select(Notification).where(
            Notification.kind == "certificate_revoked", Notification.user_id == certified.outlet_user.id
        )
    ).all()
    assert [(note.link, note.params["reason"]) for note in notes] == [
        (f"/certificates/{certificate.id}", "复查不合格")
    ]


@pytest.mark.parametrize("reason", ["", "   "])
def test_revocation_without_a_reason_is_refused(client, four_states, db_session, reason):
    certified = four_states["valid"]
    login(client, certified.bureau)
    response = client.post(
        f"/certificates/{certified.certificate.id}/revoke", data={"ground": "outlet_closed", "reason": reason}
    )
    assert response.status_code == 400
    assert "is-invalid" in response.get_data(as_text=True)
    db_session.refresh(certified.certificate)
    assert certified.certificate.state == "active"
    assert (
        db_session.scalar(
            select(AuditEvent).where(
                AuditEvent.action == "certificate_revoked", AuditEvent.subject_id == certified.certificate.id
            )
        )
        is None
    )


def test_a_too_long_reason_keeps_what_was_typed(client, four_states):
    certified = four_states["valid"]
    login(client, certified.bureau)
    typed = "原因" * 600
    response = client.post(
        f"/certificates/{certified.certificate.id}/revoke", data={"ground": "outlet_closed", "reason": typed}
    )
    assert response.status_code == 400 and typed in response.get_data(as_text=True)


def test_revocation_of_a_district_certificate_is_for_its_district_postal_bureau_only(
    client, four_states, db_session, english_ui
):
    """The Fengxian postal bureau issued it: another district's bureau does not reach it, and the
    city bureau, the outlet and the inspector are refused (see test_certificate_authority.py)."""
    url = f"/certificates/{four_states['valid'].certificate.id}/revoke"
    login(client, make_user(Role.DISTRICT_BUREAU, district_code="QP"))
    assert client.post(url, data={"ground": "outlet_closed", "reason": "x"}).status_code == 404
    login(client, make_user(Role.CITY_BUREAU))
    response = client.post(url, data={"ground": "outlet_closed", "reason": "x"})
    assert response.status_code == 422
    assert "Only an approver of Fengxian District Postal Administration" in response.get_data(as_text=True)
    for user in (four_states["valid"].outlet_user, four_states["valid"].inspector):
        login(client, user)
        assert client.post(url, data={"ground": "outlet_closed", "reason": "x"}).status_code == 403
    db_session.refresh(four_states["valid"].certificate)
    assert four_states["valid"].certificate.state == "active"


def test_only_an_active_certificate_can_be_revoked(client, four_states, db_session, english_ui):
    superseded = four_states["superseded"]
    with pytest.raises(RevocationRefused):
        revoke_certificate(superseded.certificate, superseded.bureau, "再次撤销")
    login(client, superseded.bureau)
    response = client.post(
        f"/certificates/{superseded.certificate.id}/revoke", data={"ground": "outlet_closed", "reason": "x"}
    )
    assert response.status_code == 422
    assert "Only an active certificate can be revoked." in response.get_data(as_text=True)
    db_session.refresh(superseded.certificate)
    assert superseded.certificate.state == "superseded"


def test_revoke_form_is_offered_to_the_issuers_approvers_only(client, four_states):
    url = f"/certificates/{four_states['valid'].certificate.id}"
    login(client, four_states["valid"].bureau)
    assert "/revoke" in client.get(url).get_data(as_text=True)
    for user in (
        make_user(Role.CITY_BUREAU),
        make_user(Role.DISTRICT_BUREAU, district_code="FX", approver=False),
        four_states["valid"].outlet_user,
    ):
        login(client, user)
        assert "/revoke" not in client.get(url).get_data(as_text=True)


# -- renewal and supersession -------------------------------------------------------------


def test_renew_button_links_to_a_new_application_for_a_valid_certificate(app, client, ctx):
    certified = make_certified(issued_on=long_ago(700))  # 24 months' validity: expires in about a month
    expired = make_certified(issued_on=long_ago(3 * 365))
    with app.test_request_context():
        renew_url = url_for(RENEWAL_ENDPOINT, renew=certified.certificate.id)
    assert f"renew={certified.certificate.id}" in renew_url
    login(client, certified.outlet_user)
    page = client.get(f"/certificates/{certified.certificate.id}").get_data(as_text=True)
    assert f'href="{renew_url}"' in page
    login(client, certified.bureau)
    assert "renew=" not in client.get(f"/certificates/{certified.certificate.id}").get_data(as_text=True)
    login(client, expired.outlet_user)
    assert "renew=" not in client.get(f"/certificates/{expired.certificate.id}").get_data(as_text=True)


def test_a_city_certificate_supersedes_the_district_one(ctx, db_session):
    certified = make_certified()
    district_certificate = certified.certificate
    city = certify(certified.outlet, "city", cast=certified.cast)
    assert city.level == "city" and city.number.split("-")[3] == "S"
    assert district_certificate.state == "superseded" and district_certificate.superseded_by_id == city.id
    assert city.issuing_bureau == "上海市邮政管理局"
    assert city.state == "active"
    event = db_session.scalar(
        select(AuditEvent).where(
            AuditEvent.action == "certificate_superseded", AuditEvent.subject_id == district_certificate.id
        )
    )
    assert (event.old_value, event.new_value) == (district_certificate.number, city.number)


def test_a_renewal_supersedes_the_certificate_it_renews(ctx):
    certified = make_certified(issued_on=long_ago(700))
    new = certify(certified.outlet, cast=certified.cast, renewal_of=certified.certificate)
    assert certified.certificate.state == "superseded" and certified.certificate.superseded_by_id == new.id
    assert new.valid_until > certified.certificate.valid_until


def test_menu_offers_certificates_to_outlets_and_bureaus(client, ctx):
    for role in (Role.OUTLET, Role.DISTRICT_BUREAU, Role.CITY_BUREAU):
        login(client, make_user(role))
        assert 'href="/certificates/"' in client.get("/certificates/").get_data(as_text=True)


def test_state_filter_stays_within_the_district(client, ctx):
    qingpu = make_outlet("QP", name="青浦网点")
    make_certified(qingpu)
    login(client, make_user(Role.DISTRICT_BUREAU, district_code="FX"))
    assert "青浦网点" not in client.get("/certificates/?state=valid").get_data(as_text=True)


def test_the_list_needs_a_fixed_number_of_queries(client, ctx):
    city = make_user(Role.CITY_BUREAU)
    make_certified()
    login(client, city)
    with counted_statements(savepoints=False) as few:
        client.get("/certificates/")
    for index in range(8):
        make_certified(name=f"网点{index}", district_code="QP" if index % 2 else "FX")
    with counted_statements(savepoints=False) as many:
        page = client.get("/certificates/").get_data(as_text=True)
    assert "网点7" in page
    assert len(many) == len(few), many
