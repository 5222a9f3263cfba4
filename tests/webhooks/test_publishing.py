"""Which organisations hear of what: each event published once where it happens, to the active
endpoints that subscribed and whose organisation reaches the record's district (the district's
bureaus, the city's bureaus for every district)."""

import json
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from outlet_audit.certificates.operations import send_expiry_reminders
from outlet_audit.certificates.revocation import revoke_certificate
from outlet_audit.core.time import today_in_shanghai
from outlet_audit.extensions import db
from outlet_audit.roles import Agency, Role
from outlet_audit.webhooks.events import WebhookEvent
from outlet_audit.webhooks.models import WebhookDelivery, WebhookEndpoint, WebhookEventRecord
from outlet_audit.webhooks.publishing import announce_expiries
from outlet_audit.workflow.states import Status
from tests.api.helpers import bearer, make_token
from tests.factories import cast_for, certify, make_application, make_outlet, make_user
from tests.webhooks.helpers import endpoint_for, organisation

pytestmark = pytest.mark.usefixtures("held_jobs")  # jobs kept, not run (conftest)

URL = "http://127.0.0.1:9/hook"  # never called here: these tests read the deliveries written


@pytest.fixture
def endpoints(ctx):
    admin = make_user(Role.ADMIN)
    made = {
        "fx": endpoint_for(organisation(Agency.DISTRICT_POSTAL, "FX"), URL, admin),
        "qp": endpoint_for(organisation(Agency.DISTRICT_POSTAL, "QP"), URL, admin),
        "city": endpoint_for(organisation(Agency.CITY_POSTAL, None), URL, admin),
        "fx ecology, revocations": endpoint_for(
            organisation(Agency.DISTRICT_ECOLOGY, "FX"), URL, admin, events=[WebhookEvent.CERTIFICATE_REVOKED]
        ),
        "fx off": endpoint_for(organisation(Agency.DISTRICT_POSTAL, "FX"), URL, admin, active=False),
    }
    return {name: endpoint for name, (endpoint, _secret) in made.items()}


def heard(endpoints) -> dict[str, list[str]]:
    names = {endpoint.id: name for name, endpoint in endpoints.items()}
    rows = db.session.execute(
        select(WebhookDelivery.endpoint_id, WebhookEventRecord.type)
        .join(WebhookEventRecord, WebhookEventRecord.id == WebhookDelivery.event_id)
        .order_by(WebhookDelivery.id)
    )
    found: dict[str, list[str]] = {}
    for endpoint_id, event in rows:
        found.setdefault(names[endpoint_id], []).append(event)
    return found


def last_body(event: WebhookEvent) -> dict:
    record = db.session.scalars(
        select(WebhookEventRecord)
        .where(WebhookEventRecord.type == event.value)
        .order_by(WebhookEventRecord.id.desc())
    ).first()
    return json.loads(record.body)


def test_a_district_hears_its_own_district_and_the_city_every_district(endpoints):
    outlet = make_outlet("FX")
    certificate = certify(outlet)
    assert heard(endpoints) == {
        "fx": ["certificate.issued", "application.decided"],
        "city": ["certificate.issued", "application.decided"],
    }
    body = last_body(WebhookEvent.CERTIFICATE_ISSUED)
    facts = body["data"]["certificate"]
    assert facts["number"] == certificate.number and facts["status"] == "valid"
    assert facts["level"] == "district" and facts["district"]["code"] == "FX"
    assert facts["issuer"]["code"] == certificate.issuer.code
    assert facts["valid_until"] == certificate.valid_until.isoformat()
    decided = last_body(WebhookEvent.APPLICATION_DECIDED)["data"]["application"]
    assert decided["decision"] == "approved" and decided["certificate"] == certificate.number

    certify(make_outlet("QP"))
    assert len(heard(endpoints)["qp"]) == 2 and len(heard(endpoints)["fx"]) == 2


def test_revoked_superseded_expired_and_rejected(endpoints):
    outlet = make_outlet("FX")
    district = certify(outlet)
    city = certify(outlet, "city")  # replaces the district certificate
    superseded = last_body(WebhookEvent.CERTIFICATE_SUPERSEDED)["data"]["certificate"]["superseded"]
    assert superseded == {"by": city.number, "on": city.issued_on.isoformat()}
    revoke_certificate(city, cast_for(outlet).city, "撤销测试。")
    revoked = last_body(WebhookEvent.CERTIFICATE_REVOKED)["data"]["certificate"]
    assert revoked["status"] == "revoked" and revoked["revocation"]["reason"]["zh"] == "撤销测试。"
    assert heard(endpoints)["fx ecology, revocations"] == ["certificate.revoked"]
    assert "certificate.superseded" in heard(endpoints)["fx"]

    expired = certify(make_outlet("FX"))
    after = expired.valid_until + timedelta(days=1)
    send_expiry_reminders(after)  # the daily job (periodic, or flask certificates remind) announces it
    assert announce_expiries(after) == 0  # once
    assert len(heard(endpoints)["fx"]) == len(heard(endpoints)["city"])
    assert "certificate.expired" in heard(endpoints)["fx"]
    assert last_body(WebhookEvent.CERTIFICATE_EXPIRED)["data"]["certificate"]["status"] == "expired"
    assert announce_expiries(expired.valid_until) == 0  # its last valid day
    assert district.state == "superseded"

    make_application(make_outlet("FX"), status=Status.REJECTED)
    assert last_body(WebhookEvent.APPLICATION_DECIDED)["data"]["application"]["decision"] == "rejected"
    assert "fx off" not in heard(endpoints)


def test_an_old_expiry_is_not_announced_after_an_upgrade(endpoints):
    certificate = certify(make_outlet("FX"))
    assert announce_expiries(certificate.valid_until + timedelta(days=30)) == 0
    assert today_in_shanghai() <= certificate.valid_until
    assert db.session.scalar(select(WebhookEndpoint).where(WebhookEndpoint.active.is_(False))) is not None


def test_with_nobody_listening_nothing_is_built_or_written_but_an_expiry_is_marked_once(ctx, monkeypatch):
    import outlet_audit.webhooks.payloads as payloads

    built = []
    original = payloads.certificate_facts
    monkeypatch.setattr(payloads, "certificate_facts", lambda *a, **k: built.append(1) or original(*a, **k))
    certificate = certify(make_outlet("FX"))  # an issue and a decision, no endpoint anywhere
    assert db.session.scalar(select(func.count()).select_from(WebhookEventRecord)) == 0
    assert built == []

    after = certificate.valid_until + timedelta(days=1)
    assert announce_expiries(after) == 1  # kept: the mark that this expiry was announced
    assert announce_expiries(after) == 0
    assert [record.type for record in db.session.scalars(select(WebhookEventRecord))] == [
        "certificate.expired"
    ]


def test_a_certificate_event_carries_the_apis_certificate_resource(client, endpoints):
    certificate = certify(make_outlet("FX"))
    revoke_certificate(certificate, cast_for(certificate.outlet).bureau, "撤销测试。")
    facts = last_body(WebhookEvent.CERTIFICATE_REVOKED)["data"]["certificate"]
    token = make_token("FX")
    answer = client.get(f"/api/v1/certificates/{certificate.number}", headers=bearer(token)).get_json()
    assert facts.pop("verify_url").endswith(f"/verify/{certificate.number}")
    # one builder: the same keys and values, but the revocation's reason is the one recorded
    assert facts.keys() == answer.keys()
    assert {k: v for k, v in facts.items() if k != "revocation"} == {
        k: v for k, v in answer.items() if k != "revocation"
    }
    assert facts["revocation"]["reason"] == {"zh": "撤销测试。", "en": "撤销测试。"}
    assert facts["revocation"]["on"] == answer["revocation"]["on"]
