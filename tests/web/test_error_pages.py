"""Errors answer in the reader's language, as a page or as JSON to a JSON client; never Werkzeug's bare page.

An evidence store that cannot be written (read-only, full, gone) is a condition of the server:
503, logged, and what the request had written rolled back. Any unexpected exception is a 500
page (or JSON) of our own, even when the error page itself cannot be drawn.
"""

import io
import logging

import pytest
from sqlalchemy import func, select

from outlet_audit.access import public
from outlet_audit.evidence.models import Evidence
from outlet_audit.roles import Role
from tests.checklist_helpers import Inspection, photo
from tests.factories import login, make_user

JSON = {"Accept": "application/json"}


@pytest.fixture
def inspection(ctx):
    return Inspection()


@pytest.fixture
def unwritable_store(app, tmp_path, monkeypatch):
    """An evidence folder nothing can be written to: its path runs through a plain file, which
    refuses root as well as anyone (a read-only mount needs privileges a test does not have)."""
    blocker = tmp_path / "not-a-folder"
    blocker.write_bytes(b"")
    monkeypatch.setitem(app.config, "EVIDENCE_DIR", str(blocker / "evidence"))


def upload(client, inspection, *, headers=None):
    return client.post(
        f"/evidence/assessments/{inspection.assessment.id}/upload",
        data={"item_code": "1.1", "file": (io.BytesIO(photo()), "现场.jpg")},
        headers=headers or {},
    )


def evidence_rows(db_session) -> int:
    return db_session.scalar(select(func.count()).select_from(Evidence))


def test_an_unwritable_evidence_store_is_a_503_page_in_the_readers_language_and_logged(
    client, inspection, db_session, unwritable_store, caplog
):
    login(client, inspection.inspector)  # no language chosen: Chinese
    before = evidence_rows(db_session)
    with caplog.at_level(logging.ERROR):
        response = upload(client, inspection)
    assert response.status_code == 503 and response.mimetype == "text/html"
    page = response.get_data(as_text=True)
    assert "存储暂不可用" in page and "目前无法保存或读取文件" in page and "<nav" in page
    assert response.headers["Retry-After"]
    assert any("Storage unavailable" in record.getMessage() and record.exc_info for record in caplog.records)
    assert evidence_rows(db_session) == before  # nothing of the upload is kept


def test_an_unwritable_evidence_store_is_a_503_json_error_to_the_checklist_script(
    client, inspection, db_session, unwritable_store
):
    inspection.inspector.locale = "en"
    db_session.flush()
    login(client, inspection.inspector)
    response = upload(client, inspection, headers=JSON)
    assert response.status_code == 503 and response.is_json
    body = response.get_json()
    assert body["status"] == "unavailable"
    assert body["message"].startswith("Files cannot be stored or read at the moment.")


@pytest.fixture
def failing_view(app, monkeypatch):
    """The health check raises an unexpected exception, and the app is run as in production."""

    @public
    def boom():
        raise RuntimeError("an unexpected failure")

    monkeypatch.setitem(app.view_functions, "core.healthz", boom)
    monkeypatch.setitem(app.config, "PROPAGATE_EXCEPTIONS", False)


def test_an_unexpected_exception_is_our_own_translated_500_page(client, db_session, failing_view, caplog):
    with caplog.at_level(logging.ERROR):
        response = client.get("/healthz")
    assert response.status_code == 500 and response.mimetype == "text/html"
    page = response.get_data(as_text=True)
    assert "系统出错" in page and "<nav" in page and "Internal Server Error" not in page
    logged = [record.exc_info[1] for record in caplog.records if record.exc_info]
    assert any("an unexpected failure" in str(error) for error in logged)


def test_an_unexpected_exception_is_json_to_a_json_client(client, db_session, failing_view):
    response = client.get("/healthz", headers=JSON)
    assert response.status_code == 500 and response.get_json()["status"] == "error"
    assert response.get_json()["message"] == "错误已记录，请稍后再试。"


def test_when_the_error_page_itself_fails_a_plain_translated_page_is_sent(
    client, db_session, failing_view, monkeypatch
):
    from outlet_audit.core import views

    def broken(*args, **kwargs):
        raise RuntimeError("the menu could not be read")

    monkeypatch.setattr(views, "render_template", broken)
    response = client.get("/healthz")
    assert response.status_code == 500
    assert "系统出错" in response.get_data(as_text=True)


def test_a_method_the_address_does_not_take_is_a_translated_405_keeping_allow(client, db_session):
    response = client.delete("/verify")
    assert response.status_code == 405 and "GET" in response.headers["Allow"]
    assert "无法处理该请求" in response.get_data(as_text=True)
    assert client.delete("/verify", headers=JSON).get_json()["status"] == "refused"


def test_refusals_are_json_to_a_json_client(client, db_session):
    login(client, make_user(Role.OUTLET))
    assert client.get("/admin/users", headers=JSON).get_json()["status"] == "forbidden"
    assert client.get("/no/such/page", headers=JSON).get_json()["status"] == "not_found"
