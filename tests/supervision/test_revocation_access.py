"""Who reaches a revocation case: the issuer acts, its district's and the city's postal bureaus
read, the ecology bureaus read, the outlet reads its own and states its case; nobody else."""

import pytest
from sqlalchemy import select

from outlet_audit.accounts.models import User
from outlet_audit.extensions import db
from outlet_audit.roles import Agency, Role
from outlet_audit.supervision.models import RevocationCase
from tests.factories import certify, login, make_outlet, make_user
from tests.supervision.revocation_helpers import notice

READ = ("", "/notice.pdf")


@pytest.fixture
def case(ctx):
    certificate = certify(make_outlet("FX"))
    return notice(certificate, make_user(Role.DISTRICT_BUREAU, district_code="FX"))


def people(case):
    return {
        "issuer colleague": make_user(Role.DISTRICT_BUREAU, district_code="FX", approver=False),
        "city": make_user(Role.CITY_BUREAU),
        "district ecology": make_user(
            Role.DISTRICT_BUREAU, district_code="FX", agency=Agency.DISTRICT_ECOLOGY
        ),
        "city ecology": make_user(Role.CITY_BUREAU, agency=Agency.CITY_ECOLOGY),
        "own outlet": make_user(Role.OUTLET, outlet=case.certificate.outlet),
        "other outlet": make_user(Role.OUTLET, outlet=make_outlet("FX")),
        "inspector": make_user(Role.INSPECTOR, district_code="FX"),
        "other district": make_user(Role.DISTRICT_BUREAU, district_code="QP"),
    }


READERS = {"issuer colleague", "city", "district ecology", "city ecology", "own outlet"}


def test_anonymous_is_sent_to_sign_in(client, case):
    for suffix in READ:
        response = client.get(f"/revocation-cases/{case.id}{suffix}")
        assert response.status_code == 302 and "/login" in response.location
    assert client.get("/revocation-cases/").status_code == 302


def test_who_reads_the_case_and_its_notice(client, case):
    for name, user in people(case).items():
        login(client, user)
        for suffix in READ:
            status = client.get(f"/revocation-cases/{case.id}{suffix}").status_code
            if name in READERS:
                assert status == 200, (name, suffix, status)
            else:
                assert status in (403, 404), (name, suffix, status)
        listed = client.get("/revocation-cases/")
        if name in {"issuer colleague", "city", "district ecology", "city ecology"}:
            assert case.number in listed.get_data(as_text=True), name
        elif name == "other district":
            assert case.number not in listed.get_data(as_text=True)
        else:
            assert listed.status_code == 403, name


def test_only_the_own_outlet_states_and_only_the_issuer_decides(client, case):
    for name, user in people(case).items():
        login(client, user)
        response = client.post(f"/revocation-cases/{case.id}/statement", data={"statement": f"{name} 陈述"})
        assert (response.status_code == 302) == (name == "own outlet"), (name, response.status_code)
    db.session.refresh(case)
    assert case.statement == "own outlet 陈述"
    for name, user in people(case).items():
        login(client, user)
        response = client.post(
            f"/revocation-cases/{case.id}/decide", data={"decision": "not_revoked", "reasons": "x"}
        )
        # a colleague who does not sign for the issuer, the city (not the issuer), ecology: refused
        assert response.status_code in (403, 404, 422), (name, response.status_code)
    db.session.refresh(case)
    assert case.status == "statement"
    login(client, db.session.get(User, case.created_by_id))  # the issuer's approver who served it
    response = client.post(
        f"/revocation-cases/{case.id}/decide", data={"decision": "not_revoked", "reasons": "x"}
    )
    assert response.status_code == 302


def test_serving_notice_is_the_issuers_approvers(client, ctx):
    certificate = certify(make_outlet("FX"))
    data = {"ground": "false_materials", "grounds": "x", "evidence": "y", "response_due": "2099-01-01"}
    for user in (
        make_user(Role.DISTRICT_BUREAU, district_code="FX", approver=False),
        make_user(Role.CITY_BUREAU),
        make_user(Role.DISTRICT_BUREAU, district_code="FX", agency=Agency.DISTRICT_ECOLOGY),
        make_user(Role.INSPECTOR, district_code="FX"),
        make_user(Role.OUTLET, outlet=certificate.outlet),
    ):
        login(client, user)
        response = client.post(f"/certificates/{certificate.id}/revocation-cases/new", data=data)
        assert response.status_code in (403, 404, 422), (user.role, response.status_code)
    assert db.session.scalar(select(RevocationCase)) is None
    login(client, make_user(Role.DISTRICT_BUREAU, district_code="FX"))
    assert client.post(f"/certificates/{certificate.id}/revocation-cases/new", data=data).status_code == 302
