"""The administrator's dead-letter page (jobs that failed for good: retry or discard, each audited),
and each person's own large exports ("My exports", and the download while it lasts).

Exports belong to one person, not to an outlet or a district: like notifications they are looked
up among the signed-in user's own rows, and any other number is answered as missing. The URL
argument is therefore not a `*_id` record argument of the access layer.
"""

from flask import Blueprint, abort, flash, redirect, render_template, send_file, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from sqlalchemy import select

from outlet_audit.access import Scope, allow, signed_in
from outlet_audit.audit.operations import record
from outlet_audit.core.navigation import nav_entry
from outlet_audit.core.requests import attempt
from outlet_audit.core.spreadsheets import CSV_MIMETYPE, XLSX_MIMETYPE
from outlet_audit.core.time import utcnow
from outlet_audit.extensions import db, writes_on_get
from outlet_audit.jobs import dead_letters
from outlet_audit.jobs.exports import export_dir, record_download
from outlet_audit.jobs.models import ExportFile
from outlet_audit.jobs.registry import shown_arguments
from outlet_audit.roles import Role

bp = Blueprint("jobs", __name__)
ADMIN = {Role.ADMIN: Scope.ALL}
MY_EXPORTS_SHOWN = 50
nav_entry("jobs.failed", _l("Failed jobs"), {Role.ADMIN}, order=95)


@bp.get("/admin/jobs")
@allow(ADMIN)
def failed():
    jobs = [(job, shown_arguments(job.kind, job.arguments)) for job in dead_letters.failed_jobs()]
    return render_template("jobs/failed.html", jobs=jobs, status=dead_letters.status())


@bp.post("/admin/jobs/<job_key>/retry")
@allow(ADMIN)
def retry(job_key: str):
    return _act_on_failed(job_key, dead_letters.retry, "job_retried", _("The job is queued again."))


@bp.post("/admin/jobs/<job_key>/discard")
@allow(ADMIN)
def discard(job_key: str):
    return _act_on_failed(job_key, dead_letters.discard, "job_discarded", _("The job was discarded."))


def _act_on_failed(job_key: str, act, action: str, done: str):
    kind = dead_letters.kind_of_failed(job_key)
    if kind is None:
        abort(404)
    with attempt():  # the audit row first, committed: the act on Redis cannot be rolled back
        new = f"{kind} {job_key}"
        record(action, actor=current_user, subject_type="job", subject_id=None, field=kind, new=new)
    if not act(job_key):
        abort(404)  # another administrator acted on it a moment ago
    flash(done, "success")
    return redirect(url_for("jobs.failed"))


@bp.get("/exports/mine")
@signed_in
def my_exports():
    exports = db.session.scalars(
        select(ExportFile)
        .where(ExportFile.user_id == current_user.id)
        .order_by(ExportFile.created_at.desc(), ExportFile.id.desc())
        .limit(MY_EXPORTS_SHOWN)
    ).all()
    return render_template("jobs/my_exports.html", exports=exports, now=utcnow())


@bp.get("/exports/<int:export>/download")
@signed_in
@writes_on_get  # the download is recorded in the audit trail
def download_export(export: int):
    found = db.session.scalar(
        select(ExportFile).where(ExportFile.id == export, ExportFile.user_id == current_user.id)
    )
    if found is None:
        abort(404)  # another person's export is answered as one that does not exist
    if found.status == "pending":
        flash(_("This export is still being prepared; you will be notified when it is ready."), "info")
        return redirect(url_for("jobs.my_exports"))
    if found.status == "failed":
        flash(_("This export could not be prepared: ask for it again."), "danger")
        return redirect(url_for("jobs.my_exports"))
    path = export_dir() / found.stored_name if found.stored_name else None
    if found.status != "ready" or found.expires_at <= utcnow() or path is None or not path.is_file():
        return render_template("jobs/export_expired.html", export=found), 410
    with attempt():  # as a download sent at once: no file leaves without its audit row
        record_download(current_user, found.kind, found.fmt, found.filters or {}, export_id=found.id)
    mimetype = CSV_MIMETYPE if found.fmt == "csv" else XLSX_MIMETYPE
    return send_file(path, mimetype=mimetype, as_attachment=True, download_name=found.download_name)
