"""Each user's notifications: the list, the unread count in the navbar, and marking them read.

Notifications are addressed by a form field, not a URL argument: they belong to one user, not
to an outlet or district, so the list queries only the signed-in user's rows and any other id
is answered as missing.
"""

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import func, select, update

from outlet_audit.access import signed_in
from outlet_audit.core.params import page_number, record_id
from outlet_audit.core.requests import attempt
from outlet_audit.core.security import is_safe_redirect
from outlet_audit.core.time import utcnow
from outlet_audit.extensions import db
from outlet_audit.notifications.models import Notification
from outlet_audit.notifications.operations import render_notification

bp = Blueprint("notifications", __name__, url_prefix="/notifications")


@bp.app_template_global()
def unread_notification_count() -> int:
    """For the navbar badge: how many of the signed-in user's notifications are unread.

    Counted when the user was loaded for this request (accounts.session.load_user); pages that
    change notifications redirect before anything shows the count.
    """
    if not current_user.is_authenticated:
        return 0
    counted = getattr(current_user._get_current_object(), "unread_at_load", None)
    if counted is not None:
        return counted
    return db.session.scalar(
        select(func.count())
        .select_from(Notification)
        .where(Notification.user_id == current_user.id, Notification.read_at.is_(None))
    )


def _own_notification() -> Notification:
    note_id = record_id(request.form, "notification")
    if note_id is None:
        abort(404)  # not a number, or too large for the database to be asked about
    note = db.session.scalar(
        select(Notification).where(Notification.id == note_id, Notification.user_id == current_user.id)
    )
    if note is None:
        abort(404)  # another user's notification is answered as one that does not exist
    return note


def _own_read_notification() -> Notification:
    """The user's notification the form names, marked read (committed) if it was not yet."""
    note = _own_notification()
    if note.read_at is None:
        with attempt():
            note.read_at = utcnow()
    return note


@bp.get("/")
@signed_in
def index():
    query = (
        select(Notification)
        .where(Notification.user_id == current_user.id)
        .order_by(Notification.created_at.desc(), Notification.id.desc())
    )
    page = db.paginate(query, page=page_number(), per_page=current_app.config["PAGE_SIZE"], error_out=False)
    return render_template(
        "notifications/index.html",
        page=page,
        entries=[(note, render_notification(note)) for note in page.items],
    )


@bp.post("/open")
@signed_in
def open_notification():
    note = _own_read_notification()
    target = note.link if is_safe_redirect(note.link) else url_for("notifications.index")
    return redirect(target)


@bp.post("/read")
@signed_in
def mark_read():
    _own_read_notification()
    page = page_number(request.form)  # back to the page the reader was on
    return redirect(url_for("notifications.index", page=page if page > 1 else None))


@bp.post("/read-all")
@signed_in
def mark_all_read():
    with attempt() as outcome:
        db.session.execute(
            update(Notification)
            .where(Notification.user_id == current_user.id, Notification.read_at.is_(None))
            .values(read_at=utcnow())
        )
    if outcome.done:
        flash(_("All notifications are marked as read."), "success")
    return redirect(url_for("notifications.index"))
