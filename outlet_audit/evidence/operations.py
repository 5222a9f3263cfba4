"""Keeping an upload: check it, store its bytes by hash, and record an Evidence row."""

from pathlib import Path

from flask import current_app

from outlet_audit.evidence.files import inspect_upload
from outlet_audit.evidence.models import Evidence
from outlet_audit.evidence.storage import EvidenceStore
from outlet_audit.extensions import db


def evidence_store() -> EvidenceStore:
    return EvidenceStore(Path(current_app.config["EVIDENCE_DIR"]))


def store_upload(
    data: bytes,
    filename: str,
    *,
    outlet_id: int,
    actor,
    purpose: str = "item",
    application_id: int | None = None,
    assessment_id: int | None = None,
    item_code: str | None = None,
) -> Evidence:
    """Check and keep one uploaded file; raises files.UploadRefused with the reason."""
    upload = inspect_upload(data, filename, max_bytes=current_app.config["UPLOAD_MAX_BYTES"])
    store = evidence_store()
    store.put(upload.stored_bytes)
    thumbnail_sha256 = store.put(upload.thumbnail_bytes) if upload.thumbnail_bytes else None
    evidence = Evidence(
        outlet_id=outlet_id,
        application_id=application_id,
        assessment_id=assessment_id,
        item_code=item_code,
        purpose=purpose,
        kind=upload.kind.value,
        mime_type=upload.mime_type,
        filename=upload.filename,
        size_bytes=upload.size_bytes,
        original_sha256=upload.original_sha256,
        stored_sha256=upload.stored_sha256,
        thumbnail_sha256=thumbnail_sha256,
        width=upload.width,
        height=upload.height,
        captured_at=upload.captured_at,
        gps_lat=upload.gps[0] if upload.gps else None,
        gps_lon=upload.gps[1] if upload.gps else None,
        uploaded_by_id=actor.id,
    )
    db.session.add(evidence)
    db.session.flush()
    return evidence
