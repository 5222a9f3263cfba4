"""Deliveries through the real queue (RQ on a private Redis, a database with real commits): sent only
after the commit, never for a rolled-back act; a 500 retried with the job's backoff (shortened here)
until delivered; "send again" queues a failed delivery once more."""

import pytest
from sqlalchemy import func, select

from outlet_audit.core.requests import attempt
from outlet_audit.extensions import db
from outlet_audit.jobs import registry
from outlet_audit.roles import Agency, Role
from outlet_audit.text import Refused
from outlet_audit.webhooks.events import DeliveryStatus
from outlet_audit.webhooks.models import WebhookDelivery, WebhookEndpoint
from outlet_audit.webhooks.publishing import send_again, send_test_event
from tests.factories import make_user
from tests.jobs_helpers import run_jobs
from tests.webhooks.helpers import endpoint_for, organisation


@pytest.fixture
def no_waits(monkeypatch):
    monkeypatch.setattr(registry, "FIRST_RETRY_SECONDS", 0)  # retries at once, in the same burst


def _endpoint_id(app, url: str) -> int:
    with app.test_request_context():
        actor = make_user(Role.DISTRICT_BUREAU, district_code="FX")
        endpoint, _secret = endpoint_for(organisation(Agency.DISTRICT_POSTAL), url, actor)
        db.session.commit()
        return endpoint.id


def test_rolled_back_nothing_then_a_500_retried_until_delivered_and_sent_again(queue_app, hook, no_waits):
    endpoint_id = _endpoint_id(queue_app, hook.url)
    with queue_app.test_request_context():  # an act rolled back sends nothing
        with attempt(flash_refusal=False) as outcome:
            send_test_event(db.session.get(WebhookEndpoint, endpoint_id))
            raise Refused("no")
        assert outcome.refusal is not None
        assert db.session.scalar(select(func.count()).select_from(WebhookDelivery)) == 0
    assert run_jobs(queue_app) == [] and hook.requests == []

    hook.answer((500, "boom", 0), (503, "busy", 0), (200, "thanks", 0))
    with queue_app.test_request_context():
        delivery_id = send_test_event(db.session.get(WebhookEndpoint, endpoint_id)).id
        assert run_jobs(queue_app) == []  # nothing leaves before the commit
        db.session.commit()
    assert [kind for kind, _ in run_jobs(queue_app)] == ["webhooks.deliver"] * 3
    assert len({r.headers["X-OA-Delivery"] for r in hook.requests}) == 1  # one delivery, three attempts
    with queue_app.app_context():
        delivery = db.session.get(WebhookDelivery, delivery_id)
        assert delivery.status == DeliveryStatus.DELIVERED
        assert [(a.status_code, a.response_excerpt) for a in delivery.attempts] == [
            (500, "boom"),
            (503, "busy"),
            (200, "thanks"),
        ]
        delivery.status, delivery.delivered_at = DeliveryStatus.FAILED, None  # as if its retries ran out
        db.session.commit()
    hook.answer((200, "again", 0))
    with queue_app.test_request_context():
        send_again(db.session.get(WebhookDelivery, delivery_id))
        db.session.commit()
    assert len(run_jobs(queue_app)) == 1 and len(hook.requests) == 4
