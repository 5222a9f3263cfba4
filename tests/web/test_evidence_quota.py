"""Bounds on evidence: per application, per outlet account, and bytes uploaded a day (deletes included).

They are enforced once, in evidence.operations.store_upload, so every way a file comes in is
bounded; a refusal is an UploadRefused like any other (a message, JSON for JSON clients).
"""

import io

import pytest
from sqlalchemy import func, select

from outlet_audit.checklist.attachments import remove_evidence
from outlet_audit.evidence import operations
from outlet_audit.evidence.files import UploadRefused
from outlet_audit.evidence.models import Evidence
from outlet_audit.evidence.operations import store_upload
from outlet_audit.roles import Role
from tests.checklist_helpers import Inspection, attach, photo
from tests.factories import login, make_application, make_user

JSON = {"Accept": "application/json"}
PHOTOS = [photo((64, 48), colour=colour) for colour in ("red", "green", "blue", "yellow", "white")]


@pytest.fixture
def inspection(ctx):
    return Inspection()


@pytest.fixture
def stored_size(inspection, db_session):
    """What one test photo takes in the store (all of PHOTOS re-encode to about the same size)."""
    sizes = []
    for data in PHOTOS:
        savepoint = db_session.begin_nested()
        sizes.append(attach(inspection, "1.1", data).size_bytes)
        savepoint.rollback()
    return max(sizes)


@pytest.fixture
def fresh_day(app):
    """Forget what earlier tests uploaded under the same user ids (the limiter storage outlives them)."""

    def clear(*users):
        daily = operations._daily_uploads()
        if daily is not None:
            strategy, item = daily
            for user in users:
                strategy.clear(item, str(user.id))

    return clear


def set_bounds(app, monkeypatch, *, application=0, account=0, day=0):
    monkeypatch.setitem(app.config, "EVIDENCE_QUOTA_PER_APPLICATION", application)
    monkeypatch.setitem(app.config, "EVIDENCE_QUOTA_PER_ACCOUNT", account)
    monkeypatch.setitem(app.config, "EVIDENCE_UPLOAD_BYTES_PER_DAY", day)


def upload(client, inspection, data, **kwargs):
    form = {"item_code": "1.1", "file": (io.BytesIO(data), "p.jpg")}
    return client.post(inspection.upload_url, data=form, **kwargs)


def evidence_count(db_session) -> int:
    return db_session.scalar(select(func.count(Evidence.id)))


def held(application) -> int:
    """Bytes the application holds already (its letter and files from before the inspection)."""
    return operations.live_bytes(application_id=application.id)


def test_an_application_holds_at_most_its_quota_whoever_uploads(app, monkeypatch, inspection, stored_size):
    limit = held(inspection.application) + int(2.5 * stored_size)
    set_bounds(app, monkeypatch, application=limit)
    attach(inspection, "1.1", PHOTOS[0])
    attach(inspection, "1.1", PHOTOS[1], actor=inspection.second_inspector)

    with pytest.raises(UploadRefused) as refused:
        attach(inspection, "1.2", PHOTOS[2])

    assert refused.value.message.template == operations.APPLICATION_QUOTA_REACHED
    assert operations.live_bytes(application_id=inspection.application.id) <= limit


def test_deleting_evidence_makes_room_in_the_application_again(app, monkeypatch, inspection, stored_size):
    set_bounds(app, monkeypatch, application=held(inspection.application) + int(1.5 * stored_size))
    first = attach(inspection, "1.1", PHOTOS[0])
    with pytest.raises(UploadRefused):
        attach(inspection, "1.1", PHOTOS[1])

    remove_evidence(first, inspection.inspector, "inspection")

    assert attach(inspection, "1.1", PHOTOS[1]).id


def test_an_outlet_account_keeps_at_most_its_quota_across_its_applications(
    app, monkeypatch, ctx, stored_size, db_session
):
    account = make_user(Role.OUTLET)
    earlier = make_application(account.outlet, status="approved")
    current = make_application(account.outlet, status="draft")
    used = operations.live_bytes(account=account)  # the letter and the self-assessment's files
    set_bounds(
        app, monkeypatch, application=held(earlier) + 10 * stored_size, account=used + int(1.5 * stored_size)
    )
    store_upload(PHOTOS[0], "a.jpg", outlet_id=account.outlet_id, actor=account, application_id=earlier.id)
    before = evidence_count(db_session)

    with pytest.raises(UploadRefused) as refused:
        store_upload(
            PHOTOS[1], "b.jpg", outlet_id=account.outlet_id, actor=account, application_id=current.id
        )

    assert refused.value.message.template == operations.ACCOUNT_QUOTA_REACHED
    assert evidence_count(db_session) == before


def test_staff_accounts_are_bounded_by_the_application_not_by_an_account_quota(
    app, monkeypatch, inspection, stored_size
):
    set_bounds(
        app,
        monkeypatch,
        application=held(inspection.application) + 10 * stored_size,
        account=int(1.5 * stored_size),
    )

    for data in PHOTOS[:3]:
        attach(inspection, "1.1", data)


def test_uploading_and_deleting_in_a_loop_is_bounded_by_the_day(
    app, monkeypatch, client, inspection, stored_size, db_session, fresh_day
):
    """The audit's 42 MB in 5 s: every upload counts against the day, also when deleted at once."""
    set_bounds(
        app,
        monkeypatch,
        application=held(inspection.application) + 10 * stored_size,
        day=int(3.5 * stored_size),
    )
    fresh_day(inspection.inspector)
    before = evidence_count(db_session)
    login(client, inspection.inspector)
    statuses = []
    for data in PHOTOS:
        response = upload(client, inspection, data, headers=JSON)
        statuses.append(response.status_code)
        if response.status_code == 200:
            evidence_id = response.get_json()["evidence"][0]["id"]
            assert client.post(f"/evidence/{evidence_id}/delete", headers=JSON).status_code == 200

    assert statuses == [200, 200, 200, 422, 422]
    assert response.get_json()["status"] == "refused"
    assert "一天内上传的文件已达系统上限" in response.get_json()["message"]  # Chinese, the default UI
    assert evidence_count(db_session) == before
    # Another account's day is its own.
    fresh_day(inspection.second_inspector)
    assert attach(inspection, "1.1", PHOTOS[0], actor=inspection.second_inspector).id


def test_a_refusal_reaches_a_json_client_as_json_and_a_form_as_a_message(
    app, monkeypatch, client, inspection, stored_size
):
    set_bounds(app, monkeypatch, application=held(inspection.application) + stored_size // 2)
    login(client, inspection.inspector)

    response = upload(client, inspection, PHOTOS[0], headers=JSON)

    assert response.status_code == 422 and response.is_json
    assert "本申请已有" in response.get_json()["message"]
    response = upload(client, inspection, PHOTOS[0], follow_redirects=True)
    assert response.status_code == 200 and "本申请已有" in response.get_data(as_text=True)


@pytest.mark.parametrize(("swallow", "accepted"), [(False, False), (True, True)])
def test_when_the_limiter_storage_is_down_the_limiters_own_policy_decides(
    app, monkeypatch, inspection, stored_size, swallow, accepted
):
    set_bounds(app, monkeypatch, day=100 * stored_size)
    monkeypatch.setitem(app.config, "RATELIMIT_SWALLOW_ERRORS", swallow)

    def unreachable(*args, **kwargs):
        raise ConnectionError("redis is down")

    monkeypatch.setattr(operations.SlidingWindowCounterRateLimiter, "test", unreachable)

    if accepted:
        assert attach(inspection, "1.1", PHOTOS[0]).id
    else:
        with pytest.raises(UploadRefused) as refused:
            attach(inspection, "1.1", PHOTOS[0])
        assert refused.value.message.template == operations.UPLOAD_RATE_UNAVAILABLE


def test_zero_switches_every_bound_off(app, monkeypatch, inspection):
    set_bounds(app, monkeypatch)

    for data in PHOTOS:
        attach(inspection, "1.1", data)
