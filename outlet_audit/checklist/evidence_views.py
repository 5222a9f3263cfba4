"""Evidence over HTTP: upload to a checklist item, serve files and thumbnails, delete one's own upload.

Files are served only to users whose scope reaches the record (the `evidence_id` loader),
never sniffed as another type, PDFs always as downloads. Thumbnails are addressed by their
content hash, so the browser may keep them privately for a year.

These are checklist pages (every file hangs on a checklist item, a signature or an assessment),
so they live in checklist/ under the "evidence" blueprint and /evidence/ URLs; evidence/ keeps
what files are: checking, storing, quotas.
"""

import hashlib
import re
from io import BytesIO
from typing import Literal

from flask import Blueprint, abort, flash, jsonify, redirect, render_template, request, send_file, url_for
from flask_babel import gettext as _
from flask_login import current_user

from outlet_audit.access import allow
from outlet_audit.checklist.attachments import NOT_MARKABLE, attach_item_evidence, remove_evidence, reuse_map
from outlet_audit.checklist.loaders import record_visible_to  # also registers the record loaders
from outlet_audit.checklist.models import Assessment
from outlet_audit.checklist.page import load_state
from outlet_audit.checklist.views import (
    NOT_COVERED,
    READERS,
    SIGNED_BY_TEAM,
    load_checklist,
    refusal_json,
    wants_json,
)
from outlet_audit.core.i18n import translate_message
from outlet_audit.core.requests import Outcome, attempt
from outlet_audit.evidence.files import UploadRefused
from outlet_audit.evidence.models import Evidence
from outlet_audit.evidence.operations import (
    UploadDamaged,
    check_arrived_whole,
    earlier_same_file,
    evidence_store,
)
from outlet_audit.evidence.purposes import EvidencePurpose
from outlet_audit.evidence.storage import StoredFileCorrupted
from outlet_audit.extensions import db
from outlet_audit.text import Message

bp = Blueprint("evidence", __name__, url_prefix="/evidence")
bp.add_app_template_global(EvidencePurpose, "EvidencePurpose")  # evidence/_card.html

THUMBNAIL_MAX_AGE = 365 * 24 * 3600


def load_visible_evidence(evidence_id: int) -> Evidence:
    """The evidence, or 404 when the outlet asks for inspection evidence before its team signed."""
    evidence = db.get_or_404(Evidence, evidence_id)
    # Item photos and drawn signatures alike: whatever hangs on the inspection is the inspection.
    assessment = db.session.get(Assessment, evidence.assessment_id) if evidence.assessment_id else None
    if assessment is not None and not record_visible_to(current_user, assessment):
        abort(404)
    return evidence


def _stored_bytes(sha256: str) -> bytes:
    try:
        return evidence_store().open(sha256)
    except (FileNotFoundError, StoredFileCorrupted):
        abort(404)


def _private(response, max_age: int | None):
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.cache_control.public = False
    response.cache_control.private = True
    if max_age:
        response.cache_control.max_age = max_age
        response.cache_control.immutable = True
    else:
        response.cache_control.no_cache = True  # revalidate: access is checked on every request
    return response


@bp.get("/<int:evidence_id>")
@allow(READERS, joint=True)
def file(evidence_id: int):
    evidence = load_visible_evidence(evidence_id)
    is_pdf = evidence.mime_type == "application/pdf"
    response = send_file(
        BytesIO(_stored_bytes(evidence.stored_sha256)),
        mimetype=evidence.mime_type,
        as_attachment=is_pdf,  # a PDF opens in the user's own reader, never inside our origin
        download_name=evidence.filename,
        etag=evidence.stored_sha256,
        conditional=True,
        max_age=None,
    )
    return _private(response, None)


@bp.get("/<int:evidence_id>/thumbnail")
@allow(READERS, joint=True)
def thumbnail(evidence_id: int):
    evidence = load_visible_evidence(evidence_id)
    if not evidence.thumbnail_sha256:
        abort(404)
    response = send_file(
        BytesIO(_stored_bytes(evidence.thumbnail_sha256)),
        mimetype="image/jpeg",
        etag=evidence.thumbnail_sha256,
        conditional=True,
        max_age=None,
    )
    return _private(response, THUMBNAIL_MAX_AGE)


UPLOAD_KEY = re.compile(r"[A-Za-z0-9_-]{1,64}")


def _upload_key(value: str) -> str | None:
    """The page's name for the file it sends (checklist.js, a waiting file's localId). Anything
    else is not a key the page made: the file is kept as sent from a plain form, without one."""
    return value if UPLOAD_KEY.fullmatch(value) else None


@bp.post("/assessments/<int:assessment_id>/upload")
@allow(READERS)
def upload(assessment_id: int):
    """Attach files to a checklist item: JSON for the page's script, a redirect for a plain form."""
    checklist = load_checklist(assessment_id)
    if not checklist.editable:
        if wants_json():
            return refusal_json(checklist)
        flash(translate_message(checklist.refusal()), "warning")
        return redirect(url_for("checklist.edit", assessment_id=assessment_id))
    item_code = request.form.get("item_code", "")
    files = [f for f in request.files.getlist("file") if f and f.filename]
    back = url_for("checklist.edit", assessment_id=assessment_id, _anchor=f"item-{item_code}")
    if not checklist.covers(item_code):
        return _refuse_upload(translate_message(Message(NOT_COVERED)), back)
    if not files:
        return _refuse_upload(_("Choose a photo or a document first."), back)
    annotates_id = _annotates(request.form.get("annotates", ""))
    if annotates_id is False:
        return _refuse_upload(translate_message(Message(NOT_MARKABLE)), back)
    contents = [upload_file.read() for upload_file in files]
    try:
        received = _received_hashes(contents, request.form.getlist("client_sha256"))
    except UploadDamaged as damaged:
        return _arrived_damaged(damaged, contents, back)
    upload_key = _upload_key(request.form.get("upload_key", "")) if len(files) == 1 else None
    stored, refused = [], []
    # One unit of work: each file refused on its own is named and the others are kept; anything
    # refusing the whole (a stale version) keeps none.
    with attempt(flash_refusal=not wants_json()) as outcome:
        for upload_file, data in zip(files, contents, strict=True):
            try:
                stored.append(
                    attach_item_evidence(
                        checklist.assessment,
                        checklist.application,
                        checklist.edition,
                        item_code,
                        data,
                        upload_file.filename,
                        current_user,
                        annotates_id=annotates_id,
                        upload_key=upload_key,
                    )
                )
            except UploadRefused as refusal:
                refused.append(f"{upload_file.filename}: {translate_message(refusal.message)}")
    if not outcome.done:
        return _refused(outcome, back)
    if not wants_json():
        for message in refused:
            flash(message, "danger")
        if stored:
            flash(_("%(count)d file(s) attached.", count=len(stored)), "success")
        return redirect(back)
    item, missing = item_evidence_status(checklist, item_code)
    reuse = reuse_map(stored, current_user)
    entries = []
    for evidence in stored:
        duplicate_of = earlier_same_file(evidence)
        entries.append(
            {
                "id": evidence.id,
                "filename": evidence.filename,
                "kind": evidence.kind,
                "original_sha256": evidence.original_sha256,
                "duplicate_of": duplicate_of,
                "annotates_id": evidence.annotates_id,
                "html": render_template(
                    "evidence/_card_single.html",
                    evidence=evidence,
                    reuse=reuse,
                    can_delete=True,
                    duplicate_of=duplicate_of,
                ),
            }
        )
    body = {
        "status": "stored" if stored else "refused",
        "message": " ".join(refused),
        "evidence": entries,
        "item": item,
        "missing_count": missing,
        # One file a request is how the page and the offline queue send: its facts at the top level.
        "original_sha256": received[0] if len(received) == 1 else None,
        "duplicate_of": entries[0]["duplicate_of"] if len(entries) == 1 else None,
    }
    return jsonify(body), 200 if stored else 422


def _annotates(value: str) -> int | None | Literal[False]:
    """The evidence id a marked copy marks: None when not given, False when it is no id at all."""
    value = value.strip()
    if not value:
        return None
    return int(value) if value.isascii() and value.isdigit() and len(value) < 12 else False


def _received_hashes(contents: list[bytes], client_hashes: list[str]) -> list[str]:
    """The SHA-256 of each file received; UploadDamaged if one is not what the browser hashed.

    `client_hashes` follow the files in order (the offline queue sends one file a request); a file
    without one is not checked.
    """
    return [
        check_arrived_whole(data, client_hashes[index] if index < len(client_hashes) else None)
        for index, data in enumerate(contents)
    ]


def _arrived_damaged(damaged: UploadDamaged, contents: list[bytes], back: str):
    """Nothing of the request is kept: the phone still has every file and sends them again."""
    message = translate_message(damaged.message)
    if not wants_json():
        flash(message, "danger")
        return redirect(back)
    received = hashlib.sha256(contents[0]).hexdigest() if len(contents) == 1 else None
    return jsonify(status="damaged", message=message, original_sha256=received), 422


def _refuse_upload(message: str, back: str):
    """The upload is refused before any file is read: the reason as JSON, else flashed on the item."""
    if wants_json():
        return jsonify(status="refused", message=message), 422
    flash(message, "warning")
    return redirect(back)


@bp.post("/<int:evidence_id>/delete")
@allow(READERS)
def delete(evidence_id: int):
    """Remove one's own item evidence while the checklist can still be changed."""
    evidence = load_visible_evidence(evidence_id)
    if evidence.purpose != EvidencePurpose.ITEM or evidence.assessment_id is None:
        abort(404)
    checklist = load_checklist(evidence.assessment_id)
    back = url_for(
        "checklist.edit", assessment_id=checklist.assessment.id, _anchor=f"item-{evidence.item_code}"
    )
    if not checklist.editable:
        if wants_json():
            return refusal_json(checklist)
        flash(translate_message(checklist.refusal()), "warning")
        return redirect(back)
    if evidence.uploaded_by_id != current_user.id:
        message = _("Only the person who uploaded this file can delete it.")
        if wants_json():
            return jsonify(status="forbidden", message=message), 403
        flash(message, "warning")
        return redirect(back)
    item_code = evidence.item_code
    with attempt(flash_refusal=not wants_json()) as outcome:
        remove_evidence(evidence, current_user, checklist.assessment.kind)
    if not outcome.done:  # signed off meanwhile: the refusal under the lock
        return _refused(outcome, back)
    if wants_json():
        item, missing = item_evidence_status(checklist, item_code)
        return jsonify(status="deleted", item=item, missing_count=missing)
    flash(_("The file was removed."), "success")
    return redirect(back)


def _refused(outcome: Outcome, back: str):
    """Nothing was kept: the reason as JSON for the page's script, else back to the item (flashed)."""
    if wants_json():
        return jsonify(status="refused", message=outcome.message), 422
    return redirect(back)


def item_evidence_status(checklist, item_code: str) -> tuple[dict, int | None]:
    """How many files the item has now and whether its answer still lacks required evidence, and
    how many things the inspection still misses for sign-off (None for a self-assessment).

    Both from one load of the answers and evidence.
    """
    state = load_state(
        checklist.assessment, checklist.edition, checklist.application.outlet_id, covered=checklist.covered
    )
    missing = len(state.missing_for_sign_off()) if checklist.assessment.kind in SIGNED_BY_TEAM else None
    try:
        item = checklist.edition.item(item_code)
    except KeyError:
        status = {
            "code": item_code,
            "evidence_count": 0,
            "evidence_required": False,
            "evidence_missing": False,
        }
        return status, missing
    status = {
        "code": item_code,
        "evidence_count": len(state.evidence.get(item_code, ())),
        "evidence_required": state.evidence_required(item),
        "evidence_missing": state.evidence_missing(item),
    }
    return status, missing
