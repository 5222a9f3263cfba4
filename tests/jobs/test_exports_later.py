"""Large exports: above EXPORT_INLINE_ROWS the bureau gets "being prepared", a job builds the file,
the owner is notified with a link that only they can use, until it expires (then it says so)."""

import csv
import io
from datetime import timedelta

import openpyxl
import pytest
from sqlalchemy import select

from outlet_audit.audit.models import AuditEvent
from outlet_audit.core.time import utcnow
from outlet_audit.extensions import db
from outlet_audit.jobs.exports import export_dir
from outlet_audit.jobs.models import ExportFile
from outlet_audit.jobs.redis_queue import queue
from outlet_audit.notifications.models import Notification
from outlet_audit.roles import Role
from tests.factories import login, make_application, make_outlet, make_user
from tests.jobs_helpers import run_jobs


@pytest.fixture
def bureau(queue_app, monkeypatch):
    """A district bureau with three applications in its district; exports of more than 2 rows wait."""
    monkeypatch.setitem(queue_app.config, "EXPORT_INLINE_ROWS", 2)
    monkeypatch.setitem(queue_app.config, "BABEL_DEFAULT_LOCALE", "en")
    with queue_app.test_request_context():
        user = make_user(Role.DISTRICT_BUREAU, district_code="FX")
        for _ in range(3):
            make_application(make_outlet("FX"))
        db.session.commit()
        client = queue_app.test_client()
        login(client, user)
        return client, user.id


def owned_exports(app, user_id: int) -> list[ExportFile]:
    with app.app_context():
        rows = db.session.scalars(select(ExportFile).where(ExportFile.user_id == user_id)).all()
        db.session.expunge_all()
        return rows


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_a_large_export_is_prepared_by_a_job_and_only_its_owner_downloads_it(queue_app, bureau, fmt):
    client, user_id = bureau
    response = client.post(f"/dashboard/exports/applications.{fmt}", follow_redirects=True)
    assert response.request.path == "/exports/mine"
    assert "Your export is being prepared; you will be notified" in response.get_data(as_text=True)
    (export,) = owned_exports(queue_app, user_id)
    assert export.status == "pending"

    assert [kind for kind, _ in run_jobs(queue_app)] == ["exports.build"]
    (export,) = owned_exports(queue_app, user_id)
    assert export.status == "ready" and export.rows >= 3  # the module's tests share one database
    with queue_app.app_context():
        note = db.session.scalar(select(Notification).where(Notification.user_id == user_id))
        assert note.kind == "export_ready" and note.link == f"/exports/{export.id}/download"

    download = client.get(note.link)
    assert download.status_code == 200
    if fmt == "csv":
        table = list(csv.reader(io.StringIO(download.get_data(as_text=True).lstrip("\ufeff"))))
    else:
        table = list(openpyxl.load_workbook(io.BytesIO(download.data)).active.values)
    assert len(table) == export.rows + 1 and table[0][0] == "申请编号"
    with queue_app.app_context():  # the download from My exports is recorded, as one sent at once
        (taken,) = db.session.scalars(
            select(AuditEvent).where(
                AuditEvent.action == "export_downloaded", AuditEvent.subject_id == export.id
            )
        ).all()
        assert (taken.actor_id, taken.subject_id, taken.field, taken.new_value) == (
            user_id,
            export.id,
            "applications",
            fmt,
        )
        assert taken.old_value == f"district_id={export.filters['district_id']}"

    stranger = queue_app.test_client()
    with queue_app.test_request_context():
        login(stranger, make_user(Role.DISTRICT_BUREAU, district_code="FX"))
        db.session.commit()
    assert stranger.get(note.link).status_code == 404  # another person's export does not exist for them


def test_a_small_export_is_still_sent_at_once(queue_app, bureau, monkeypatch):
    client, user_id = bureau
    monkeypatch.setitem(queue_app.config, "EXPORT_INLINE_ROWS", 1000)
    response = client.post("/dashboard/exports/applications.csv", buffered=True)
    assert response.status_code == 200 and response.get_data(as_text=True).count("\n") >= 4
    assert owned_exports(queue_app, user_id) == []


def test_an_expired_export_is_deleted_by_the_periodic_job_and_its_link_says_so(queue_app, bureau):
    client, user_id = bureau
    client.post("/dashboard/exports/applications.xlsx")
    client.post("/dashboard/exports/applications.csv")
    run_jobs(queue_app)
    old, fresh = sorted(owned_exports(queue_app, user_id), key=lambda export: export.id)
    with queue_app.app_context():
        db.session.get(ExportFile, old.id).expires_at = utcnow() - timedelta(minutes=1)
        db.session.commit()
        stored = export_dir() / old.stored_name
    assert stored.is_file()

    from outlet_audit.jobs import send_now

    send_now(queue_app, "exports.purge", {})
    assert [kind for kind, _ in run_jobs(queue_app)] == ["exports.purge"]
    assert not stored.is_file()
    response = client.get(f"/exports/{old.id}/download")
    assert response.status_code == 410 and "has been deleted" in response.get_data(as_text=True)
    assert client.get(f"/exports/{fresh.id}/download").status_code == 200
    page = client.get("/exports/mine").get_data(as_text=True)
    assert f"/exports/{fresh.id}/download" in page and f"/exports/{old.id}/download" not in page


def test_an_export_whose_every_try_fails_says_so_to_its_owner_and_an_administrators_retry_builds_it(
    queue_app, bureau, monkeypatch
):
    from outlet_audit.dashboards import export_tables
    from outlet_audit.jobs import registry

    monkeypatch.setattr(registry, "FIRST_RETRY_SECONDS", 0)  # the same rule, without the waits
    table, failing = export_tables.export_table, [True]

    def broken_table(*args, **kwargs):
        if failing[0]:
            raise OSError("the export folder is full")
        return table(*args, **kwargs)

    monkeypatch.setattr(export_tables, "export_table", broken_table)
    client, user_id = bureau
    client.post("/dashboard/exports/applications.csv")
    assert [kind for kind, _ in run_jobs(queue_app)] == ["exports.build"] * 4  # the first try and 3 more
    (export,) = owned_exports(queue_app, user_id)
    assert export.status == "failed" and export.stored_name is None
    with queue_app.app_context():
        note = db.session.scalar(select(Notification).where(Notification.user_id == user_id))
        assert note.kind == "export_failed" and note.link == "/exports/mine"
        told = select(AuditEvent.action).where(
            AuditEvent.subject_type == "export", AuditEvent.subject_id == export.id
        )
        assert db.session.scalars(told.order_by(AuditEvent.id)).all() == ["export_requested", "export_failed"]
    page = client.get("/exports/mine").get_data(as_text=True)
    assert "Could not be prepared" in page and "Being prepared" not in page
    assert "Ask for it again on the dashboard" in page
    refused = client.get(f"/exports/{export.id}/download", follow_redirects=True)
    assert refused.request.path == "/exports/mine"
    assert "could not be prepared: ask for it again" in refused.get_data(as_text=True)

    failing[0] = False  # the folder has room again: the administrator retries the dead letter
    admin = queue_app.test_client()
    with queue_app.test_request_context():
        login(admin, make_user(Role.ADMIN))
        db.session.commit()
    (job_id,) = queue(queue_app).failed_job_registry.get_job_ids()
    assert admin.post(f"/admin/jobs/{job_id}/retry").status_code == 302
    assert [kind for kind, _ in run_jobs(queue_app)] == ["exports.build"]
    (export,) = owned_exports(queue_app, user_id)
    assert export.status == "ready"
    assert client.get(f"/exports/{export.id}/download").status_code == 200
