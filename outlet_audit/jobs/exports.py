"""Large exports as downloads that come later.

An export of more than EXPORT_INLINE_ROWS rows is not built while the bureau waits: the page
records an `ExportFile` and sends the `exports.build` job, which writes the file into EXPORT_DIR
under a random name and notifies its owner (in-app and by mail) with the link. Only that person
may download it, until EXPORT_KEEP_HOURS have passed; `exports.purge` (hourly, by the queue)
deletes expired files, and their link then says so.

An export whose every try failed is marked failed and its owner told so (`export_failed`); the job
is on the administrator's dead-letter page, and a retry from there still builds it.

Statuses: pending → ready → expired, or pending → failed (→ ready after an administrator's retry).
"""

import logging
import os
import secrets
from datetime import timedelta
from pathlib import Path

from flask import current_app
from sqlalchemy import select

from outlet_audit.audit.operations import record
from outlet_audit.core.spreadsheets import iter_csv, write_xlsx
from outlet_audit.core.time import utcnow
from outlet_audit.core.urls import path_for
from outlet_audit.extensions import db
from outlet_audit.jobs import enqueue
from outlet_audit.jobs.models import ExportFile
from outlet_audit.jobs.registry import job
from outlet_audit.text import N_

log = logging.getLogger(__name__)


def export_dir() -> Path:
    configured = current_app.config.get("EXPORT_DIR")
    return Path(configured) if configured else Path(current_app.instance_path) / "exports"


def request_export(user, kind: str, fmt: str, filters: dict, download_name: str) -> ExportFile:
    """Record the export and send the job that builds it after the commit (flushed, not committed)."""
    export = ExportFile(user_id=user.id, kind=kind, fmt=fmt, filters=filters, download_name=download_name)
    db.session.add(export)
    db.session.flush()
    record("export_requested", actor=user, subject_type="export", subject_id=export.id, field=kind, new=fmt)
    enqueue(build_export, export_id=export.id)
    return export


def record_download(user, kind: str, fmt: str, filters: dict, export_id: int | None = None) -> None:
    """The audit row of an export downloaded, sent at once or later from My exports: what, in
    which format, and the filters that applied (`filters_to_json`'s names and values, as people
    read them in the trail: "district_id=3; brand=顺丰"); none is every record of the reader's
    scope (a district bureau's district is always there)."""
    applied = "; ".join(f"{name}={value}" for name, value in filters.items() if name != "today" and value)
    record(
        "export_downloaded",
        actor=user,
        subject_type="export",
        subject_id=export_id,
        field=kind,
        old=applied or None,
        new=fmt,
    )


def export_failed(export_id: int) -> None:
    """Every try to build the export failed (`build_export`'s gave_up): it shows as failed, not
    as being prepared for ever, and its owner is told to ask again."""
    export = db.session.get(ExportFile, export_id)
    if export is None or export.status != "pending":
        return
    export.status = "failed"
    record(
        "export_failed",
        actor=None,
        subject_type="export",
        subject_id=export.id,
        field=export.kind,
        new=export.fmt,
    )
    _tell_owner(
        export,
        "export_failed",
        N_(
            "Your export %(name)s could not be prepared. Ask for it again; "
            "if it fails again, tell the administrator."
        ),
        path_for("jobs.my_exports"),
    )


@job("exports.build", retries=3, gave_up=export_failed)
def build_export(export_id: int) -> None:
    from outlet_audit.dashboards.export_tables import export_table, filters_from_json

    export = db.session.get(ExportFile, export_id)
    if export is None or export.status not in ("pending", "failed"):
        return  # a retry after the file was written, or the request's account is gone
    folder = export_dir()
    folder.mkdir(parents=True, exist_ok=True)
    stored_name = f"{secrets.token_hex(16)}.{export.fmt}"
    partial = folder / (stored_name + ".part")
    sheet_title, header, rows = export_table(export.kind, filters_from_json(export.filters))
    try:
        with open(partial, "xb") as out:
            if export.fmt == "csv":
                counter = [0]
                for chunk in iter_csv(header, _counted(rows, counter)):
                    out.write(chunk.encode("utf-8"))
                count = counter[0]
            else:
                count = write_xlsx(out, header, rows, sheet_title=sheet_title)
        os.replace(partial, folder / stored_name)
    except BaseException:
        partial.unlink(missing_ok=True)
        raise
    now = utcnow()
    export.status, export.stored_name, export.rows = "ready", stored_name, count
    export.size = (folder / stored_name).stat().st_size
    export.ready_at, export.expires_at = now, now + timedelta(hours=current_app.config["EXPORT_KEEP_HOURS"])
    _tell_owner(
        export,
        "export_ready",
        N_("Your export %(name)s (%(rows)s rows) is ready: download it within %(hours)s hours."),
        path_for("jobs.download_export", export=export.id),
    )


def _counted(rows, counter: list[int]):
    for row in rows:
        counter[0] += 1
        yield row


def _tell_owner(export: ExportFile, kind: str, template: str, link: str) -> None:
    from outlet_audit.accounts.models import User
    from outlet_audit.notifications.operations import notify

    owner = db.session.get(User, export.user_id)
    notify(
        [owner],
        kind,
        template,
        link,
        name=export.download_name,
        rows=export.rows,
        hours=current_app.config["EXPORT_KEEP_HOURS"],
    )


@job("exports.purge", retries=1)
def purge_expired_exports() -> int:
    """Delete the files of expired exports (their rows stay, marked expired, so the link says so)."""
    folder = export_dir()
    expired = db.session.scalars(
        select(ExportFile).where(ExportFile.status == "ready", ExportFile.expires_at <= utcnow())
    ).all()
    for export in expired:
        if export.stored_name:
            (folder / export.stored_name).unlink(missing_ok=True)
        export.status, export.stored_name = "expired", None
    return len(expired)
