"""A GET that writes is declared `@writes_on_get`: then it is a writing request (on SQLite its
transaction takes the write lock up front and waits its turn instead of being refused with
"database is locked" when another request wrote since it first read); undeclared, its first
write fails the request under TESTING, so a test of any such page fails."""

import pytest
from sqlalchemy import select

from outlet_audit.access import public
from outlet_audit.api.models import ApiToken
from outlet_audit.extensions import UndeclaredWrite, db, writes_on_get, writing_request
from outlet_audit.outlets.models import Outlet
from tests.api.helpers import bearer, make_token
from tests.factories import make_outlet


@pytest.fixture
def renamed_by_a_get(app, monkeypatch, db_session):
    """The health check renames an outlet: a GET that writes."""
    outlet = make_outlet(name="旧名")
    db.session.commit()

    def rename():
        db.session.get(Outlet, outlet.id).name = "新名"
        db.session.commit()
        return "renamed"

    def serve(view):
        monkeypatch.setitem(app.view_functions, "core.healthz", public(view))

    monkeypatch.setitem(app.config, "PROPAGATE_EXCEPTIONS", True)
    return outlet, rename, serve


def test_an_undeclared_get_that_writes_fails(client, renamed_by_a_get):
    outlet, rename, serve = renamed_by_a_get
    serve(rename)
    with pytest.raises(UndeclaredWrite, match="GET core.healthz writes"):
        client.get("/healthz")
    assert db.session.scalar(select(Outlet.name).where(Outlet.id == outlet.id)) == "旧名"


def test_a_declared_get_that_writes_is_a_writing_request(client, renamed_by_a_get):
    outlet, rename, serve = renamed_by_a_get
    seen = []

    def declared():
        seen.append(writing_request())
        return rename()

    serve(writes_on_get(declared))
    assert client.get("/healthz").get_data(as_text=True) == "renamed"
    assert seen == [True]
    assert db.session.scalar(select(Outlet.name).where(Outlet.id == outlet.id)) == "新名"


@pytest.mark.parametrize(
    ("path", "writing"),
    [("/dashboard/", True), ("/healthz", False), ("/checklist/applications/1/self-assessment", True)],
)
def test_the_declared_pages_are_writing_requests_and_the_others_are_not(app, path, writing):
    with app.test_request_context(path):
        assert writing_request() is writing


def test_a_token_sent_to_a_scopeless_api_read_has_its_use_noted(client, ctx):
    """Every API read notes the use of a token sent to it, the OpenAPI document's too (no scope)."""
    issued = make_token()
    assert client.get("/api/v1/openapi.json", headers=bearer(issued)).status_code == 200
    assert db.session.get(ApiToken, issued.token.id, populate_existing=True).last_used_at is not None
