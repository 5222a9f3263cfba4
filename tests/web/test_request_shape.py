"""`attempt()`, the one request shape: commit on success, or roll back and say why."""

import pytest
from flask import get_flashed_messages
from sqlalchemy import select
from sqlalchemy.orm.exc import StaleDataError

from outlet_audit.access import public
from outlet_audit.core.requests import attempt, flush_or_refuse
from outlet_audit.extensions import db, writes_on_get
from outlet_audit.outlets.models import Outlet
from outlet_audit.text import Message, Refused
from tests.factories import make_outlet


def _name_in_database(outlet_id: int) -> str:
    db.session.expire_all()
    return db.session.scalar(select(Outlet.name).where(Outlet.id == outlet_id))


def test_success_commits_once(ctx):
    outlet = make_outlet(name="旧名")
    db.session.commit()
    with attempt() as outcome:
        outlet.name = "新名"
    assert outcome.done and outcome.message == ""
    db.session.rollback()  # nothing pending is left to lose: the block was committed
    assert _name_in_database(outlet.id) == "新名"


def test_refusal_rolls_back_and_flashes_its_message(ctx, english_ui):
    outlet = make_outlet(name="旧名")
    db.session.commit()
    with attempt() as outcome:
        outlet.name = "半途"
        raise Refused(Message("the outlet %(name)s cannot do this", {"name": "A"}), field="name")
    assert not outcome.done
    assert outcome.refusal.field == "name"
    assert outcome.message == "the outlet A cannot do this"
    assert get_flashed_messages(with_categories=True) == [("danger", "the outlet A cannot do this")]
    assert _name_in_database(outlet.id) == "旧名"


def test_stale_version_rolls_back_and_warns(ctx):
    outlet = make_outlet(name="旧名")
    db.session.commit()
    with attempt() as outcome:
        outlet.name = "半途"
        raise StaleDataError("changed by someone else")
    assert outcome.stale and not outcome.done
    assert [category for category, _ in get_flashed_messages(with_categories=True)] == ["warning"]
    assert _name_in_database(outlet.id) == "旧名"


def test_json_callers_get_the_message_without_a_flash(ctx):
    with attempt(flash_refusal=False) as outcome:
        raise Refused("no")
    assert outcome.message and get_flashed_messages() == []


def test_any_other_error_rolls_back_and_propagates(ctx):
    outlet = make_outlet(name="旧名")
    db.session.commit()
    with pytest.raises(ZeroDivisionError), attempt():
        outlet.name = "半途"
        1 / 0  # noqa: B018
    assert _name_in_database(outlet.id) == "旧名"


@pytest.fixture
def refusing_view(app, monkeypatch):
    """The health check changes an outlet, then refuses outside any `attempt` (as in production)."""
    outlet = make_outlet(name="旧名")
    db.session.commit()

    @public
    @writes_on_get
    def refuse():
        db.session.get(Outlet, outlet.id).name = "半途"
        db.session.flush()
        raise Refused(Message("the outlet %(name)s cannot do this", {"name": "A"}))

    monkeypatch.setitem(app.view_functions, "core.healthz", refuse)
    monkeypatch.setitem(app.config, "PROPAGATE_EXCEPTIONS", False)
    return outlet


def test_an_uncaught_refusal_is_a_422_page_with_its_message_and_nothing_kept(
    client, english_ui, refusing_view
):
    response = client.get("/healthz")
    assert response.status_code == 422 and response.mimetype == "text/html"
    page = response.get_data(as_text=True)
    assert "the outlet A cannot do this" in page and "<nav" in page
    assert _name_in_database(refusing_view.id) == "旧名"


def test_an_uncaught_refusal_is_json_to_a_json_client(client, english_ui, refusing_view):
    response = client.get("/healthz", headers={"Accept": "application/json"})
    assert response.status_code == 422
    assert response.get_json() == {"status": "refused", "message": "the outlet A cannot do this"}


def test_a_refusal_whose_record_is_the_point_keeps_what_it_flushed(ctx):
    outlet = make_outlet(name="旧名")
    db.session.commit()
    with attempt(flash_refusal=False, keep_refused_work=True) as outcome:
        outlet.name = "已记录"  # e.g. a failed sign-in's count
        db.session.flush()
        raise Refused("no")
    assert not outcome.done and outcome.refusal is not None
    assert _name_in_database(outlet.id) == "已记录"


def test_a_row_made_a_moment_ago_by_another_request_is_a_refusal_not_a_500(ctx):
    first = make_outlet(permit_number="SH-KD-TWICE-0001")
    db.session.commit()
    with attempt(flash_refusal=False) as outcome:
        db.session.add(
            Outlet(
                name="别家",
                brand="顺丰",
                address="别处",
                permit_number=first.permit_number,
                manager="李",
                phone="13800000001",
                district_id=first.district_id,
                verified=True,
            )
        )
        flush_or_refuse(Message("someone registered this permit a moment ago"))
    assert not outcome.done and str(outcome.refusal) == "someone registered this permit a moment ago"
