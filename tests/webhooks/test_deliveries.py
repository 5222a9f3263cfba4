"""Deliveries to a real HTTP server on 127.0.0.1: signed as documented, retried, timed out, kept in the
history, never sent for a rolled-back act, refused on the server's own network; and who reaches what."""

import json
import time

import pytest
import sqlalchemy as sa
from sqlalchemy import func, select

from outlet_audit.audit.models import AuditEvent
from outlet_audit.extensions import db
from outlet_audit.roles import Agency, Role
from outlet_audit.text import Refused
from outlet_audit.webhooks.addresses import AddressRefused, _public, check_url
from outlet_audit.webhooks.delivery import attempt_delivery
from outlet_audit.webhooks.endpoints import EndpointSettings, rotate_secret, update_endpoint
from outlet_audit.webhooks.events import DeliveryStatus, WebhookEvent
from outlet_audit.webhooks.publishing import send_test_event
from tests.factories import login, make_user
from tests.webhooks.helpers import documented_verify, endpoint_for, organisation

pytestmark = pytest.mark.usefixtures("held_jobs")  # jobs kept, not run (conftest)


@pytest.fixture
def admin_of_fx(db_session):
    return make_user(Role.DISTRICT_BUREAU, district_code="FX")  # an approver of the FX postal bureau


@pytest.fixture
def fx_endpoint(ctx, hook, admin_of_fx):
    endpoint, secret = endpoint_for(organisation(Agency.DISTRICT_POSTAL), hook.url, admin_of_fx)
    db.session.commit()
    return endpoint, secret


def test_a_delivery_is_signed_as_documented(app, fx_endpoint, hook):
    endpoint, secret = fx_endpoint
    delivery = send_test_event(endpoint)
    assert attempt_delivery(delivery) is False  # delivered: nothing to retry
    [received] = hook.requests
    assert documented_verify(secret, received.headers["X-OA-Signature"], received.body, time.time())
    assert not documented_verify(
        "whsec_other", received.headers["X-OA-Signature"], received.body, time.time()
    )
    assert not documented_verify(
        secret, received.headers["X-OA-Signature"], received.body + b" ", time.time()
    )
    assert received.headers["X-OA-Event"] == "ping" and received.headers["X-OA-Delivery"] == delivery.uuid
    document = json.loads(received.body)
    assert set(document) == {"id", "type", "occurred_at", "data"} and document["type"] == "ping"
    assert delivery.status == DeliveryStatus.DELIVERED and delivery.attempts[0].status_code == 200


def test_a_timeout_is_an_attempt_that_failed(app, fx_endpoint, hook, monkeypatch):
    monkeypatch.setitem(app.config, "WEBHOOK_TIMEOUT_SECONDS", 0.3)
    hook.answer((200, "late", 1.0))
    delivery = send_test_event(fx_endpoint[0])
    assert attempt_delivery(delivery) is True  # worth retrying
    [tried] = delivery.attempts
    assert tried.status_code is None and "timed out" in tried.error and tried.duration_ms < 1000
    assert delivery.status == DeliveryStatus.FAILED


def test_an_endpoint_switched_off_gets_no_test_event_and_no_delivery(app, fx_endpoint, hook, admin_of_fx):
    endpoint, _secret = fx_endpoint
    delivery = send_test_event(endpoint)
    update_endpoint(endpoint, EndpointSettings(endpoint.url, tuple(endpoint.events), False), admin_of_fx)
    with pytest.raises(Refused):
        send_test_event(endpoint)
    assert attempt_delivery(delivery) is False and hook.requests == []  # waits for "send again"


def test_a_redirect_is_not_followed(app, fx_endpoint, hook):
    hook.answer((302, "moved", 0))
    delivery = send_test_event(fx_endpoint[0])
    attempt_delivery(delivery)
    assert len(hook.requests) == 1 and delivery.attempts[0].status_code == 302
    assert delivery.status == DeliveryStatus.FAILED


def test_the_history_shows_the_last_answer_escaped(app, client, fx_endpoint, hook, admin_of_fx):
    endpoint, _secret = fx_endpoint
    hook.answer((502, "<script>alert(1)</script>" + "x" * 600, 0))
    delivery = send_test_event(endpoint)
    attempt_delivery(delivery)
    db.session.commit()
    login(client, admin_of_fx)
    page = client.get(f"/webhooks/{endpoint.id}").get_data(as_text=True)
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" + "x" * 475 + "</pre>" in page
    assert "<script>alert(1)" not in page and "502" in page
    assert f"/deliveries/{delivery.id}/again" in page  # the "send again" button of a failed delivery


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1/hook",
        "http://localhost:8080/hook",
        "http://10.1.2.3/hook",
        "http://192.168.0.10/hook",
        "http://169.254.169.254/latest/meta-data",
        "http://[::1]/hook",
        "http://[::ffff:127.0.0.1]/hook",
        "http://100.64.0.1/hook",
        "ftp://example.com/hook",
        "file:///etc/passwd",
        "http://user:secret@example.com/hook",
        "javascript:alert(1)",
    ],
)
def test_private_addresses_and_other_schemes_are_refused(url):
    with pytest.raises(AddressRefused):
        check_url(url, allow_private=False)


def test_public_addresses_pass():
    assert _public("93.184.216.34") and _public("2606:4700::1111")
    check_url("https://93.184.216.34/hook", allow_private=False)


def test_the_form_refuses_a_private_address_with_what_was_typed(
    app, client, admin_of_fx, monkeypatch, english_ui
):
    monkeypatch.setitem(app.config, "WEBHOOK_ALLOW_PRIVATE_HOSTS", False)
    login(client, admin_of_fx)
    response = client.post(
        "/webhooks/new", data={"url": "http://169.254.169.254/x", "events": ["certificate.issued"]}
    )
    page = response.get_data(as_text=True)
    assert response.status_code == 422 and "private, loopback or link-local" in page
    assert 'value="http://169.254.169.254/x"' in page


def test_the_address_is_checked_again_at_delivery(app, fx_endpoint, hook, monkeypatch):
    monkeypatch.setitem(app.config, "WEBHOOK_ALLOW_PRIVATE_HOSTS", False)
    delivery = send_test_event(fx_endpoint[0])
    assert attempt_delivery(delivery) is False  # refused: not worth retrying
    assert hook.requests == [] and "private" in delivery.attempts[0].error


def test_each_change_is_in_the_audit_trail(ctx, fx_endpoint, admin_of_fx):
    endpoint, secret = fx_endpoint
    update_endpoint(
        endpoint, EndpointSettings(endpoint.url, (WebhookEvent.CERTIFICATE_REVOKED,), False), admin_of_fx
    )
    assert rotate_secret(endpoint, admin_of_fx) != secret
    actions = db.session.scalars(
        select(AuditEvent.action).where(
            AuditEvent.subject_type == "webhook_endpoint", AuditEvent.subject_id == endpoint.id
        )
    ).all()
    assert actions == ["webhook_endpoint_created", "webhook_endpoint_changed", "webhook_secret_rotated"]


def test_another_organisations_endpoint_is_not_found(app, client, fx_endpoint):
    endpoint, _secret = fx_endpoint
    path = f"/webhooks/{endpoint.id}"
    strangers = [
        make_user(Role.DISTRICT_BUREAU, district_code="QP"),  # another district
        make_user(Role.CITY_BUREAU),  # the city: reaches every district's records, not their endpoints
        make_user(Role.DISTRICT_BUREAU, district_code="FX", agency=Agency.DISTRICT_ECOLOGY),  # same district
    ]
    for stranger in strangers:
        login(client, stranger)
        assert client.get(path).status_code == 404, stranger
        assert client.post(f"{path}/delete").status_code == 404, stranger
        assert endpoint.url not in client.get("/webhooks").get_data(as_text=True)
    reader = make_user(Role.DISTRICT_BUREAU, district_code="FX", approver=False)
    login(client, reader)
    assert client.get(path).status_code == 200
    assert client.post(f"{path}/rotate").status_code == 403
    assert client.get("/webhooks/new").status_code == 403
    login(client, make_user(Role.ADMIN))
    assert client.get(path).status_code == 200
    assert client.post(f"{path}/delete").status_code == 302
    assert (
        db.session.scalar(
            select(func.count())
            .select_from(AuditEvent)
            .where(AuditEvent.action == "webhook_endpoint_deleted")
        )
        == 1
    )


def test_an_endpoint_is_added_and_its_secret_shown_once(app, client, admin_of_fx, hook):
    login(client, admin_of_fx)
    response = client.post(
        "/webhooks/new", data={"url": hook.url, "events": ["certificate.issued"], "active": "y"}
    )
    page = response.get_data(as_text=True)
    assert response.status_code == 200 and 'id="secret">whsec_' in page
    endpoint_id = int(page.split("/webhooks/")[1].split('"')[0])
    assert "whsec_" not in client.get(f"/webhooks/{endpoint_id}").get_data(as_text=True)
    response = client.post("/webhooks/new", data={"url": hook.url, "events": []})
    assert response.status_code == 422


def test_the_secret_is_sealed_at_rest_and_outlives_a_rotated_secret_key(ctx, app):
    """The column holds no secret a copy of the database could sign with; after SECRET_KEY is
    rotated (the old key in SECRET_KEY_FALLBACKS) the endpoint still signs with its secret."""
    from outlet_audit.webhooks.sealing import UnsealableSecret, seal, unseal

    endpoint, secret = endpoint_for(
        organisation(Agency.DISTRICT_POSTAL), "http://127.0.0.1:9/hook", make_user(Role.ADMIN)
    )
    db.session.flush()
    stored = db.session.execute(
        sa.text("SELECT secret FROM webhook_endpoints WHERE id = :id"), {"id": endpoint.id}
    ).scalar_one()
    assert secret not in stored and secret.removeprefix("whsec_") not in stored
    assert endpoint.secret == secret and unseal(stored) == secret

    old_key = app.config["SECRET_KEY"]
    new_key = "a-new-secret-key-for-this-test-only-0123456789"
    assert unseal(seal(secret, new_key), [new_key]) == secret
    with pytest.raises(UnsealableSecret):
        unseal(stored, [new_key])  # the old key gone: refused, never a wrong secret
    assert unseal(stored, [new_key, old_key]) == secret  # the old key among the fallbacks
