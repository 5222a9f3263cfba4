"""Keeping an upload: check it, bound it, store its bytes by hash, and record an Evidence row.

Every way a file becomes evidence comes through `store_upload`, so the bounds on disk use
hold for all of them: the live evidence of one application (`EVIDENCE_QUOTA_PER_APPLICATION`)
and of one outlet account (`EVIDENCE_QUOTA_PER_ACCOUNT`), and the bytes one account may upload
in a day, deleted uploads included (`EVIDENCE_UPLOAD_BYTES_PER_DAY`), so uploading and
deleting in a loop is bounded too. Deleted rows leave their bytes to `flask evidence gc`,
which asks `referenced_keys` what is still named.
"""

import hashlib
import re
from collections.abc import Iterator
from pathlib import Path

from flask import current_app
from limits import RateLimitItemPerDay
from limits.strategies import FixedWindowRateLimiter, RateLimiter, SlidingWindowCounterRateLimiter
from sqlalchemy import Select, column, func, select, table, union

from outlet_audit.evidence.files import UploadRefused, inspect_upload
from outlet_audit.evidence.models import Evidence
from outlet_audit.evidence.purposes import EvidencePurpose
from outlet_audit.evidence.storage import EvidenceStore
from outlet_audit.extensions import db, limiter
from outlet_audit.roles import Role
from outlet_audit.text import N_, Message

# Every column that names a file in the store. A column added elsewhere that keeps a store key
# must be listed here, or the collector removes its files (tests/test_evidence_gc.py checks
# that no other *_sha256 column exists unlisted).
# The public's complaint photos (supervision.models.Complaint) are named by their table, since
# supervision sits above this package.
_complaint_photos = table("complaints", column("photo_sha256"))
STORE_REFERENCES = (Evidence.stored_sha256, Evidence.thumbnail_sha256, _complaint_photos.c.photo_sha256)
# Digests that name no file of the store: the upload as sent (never stored itself), a certificate's
# signed PDF, which its row holds (certificate_documents.pdf), and an API token's secret.
NOT_STORE_REFERENCES = frozenset(
    {"evidence.original_sha256", "certificate_documents.sha256", "api_tokens.secret_sha256"}
)
UPLOAD_RATE_NAMESPACE = "evidence-upload-bytes"

APPLICATION_QUOTA_REACHED = N_(
    "This application already holds %(used_mb).1f MB of files and may hold at most %(limit_mb).0f MB. "
    "Remove files that are no longer needed before adding more."
)
ACCOUNT_QUOTA_REACHED = N_(
    "Your account already keeps %(used_mb).1f MB of files and may keep at most %(limit_mb).0f MB. "
    "Remove files that are no longer needed, or ask your district bureau for help."
)
DAILY_UPLOADS_REACHED = N_(
    "You have uploaded the most the site accepts in one day (%(limit_mb).0f MB, deleted files "
    "included). Please try again later."
)
UPLOAD_RATE_UNAVAILABLE = N_("Uploads cannot be accepted at the moment. Please try again later.")
ARRIVED_DAMAGED = N_("The file arrived damaged; it is still on your phone and will be sent again.")
SHA256_HEX = re.compile(r"[0-9a-f]{64}")


class UploadDamaged(UploadRefused):
    """The bytes received are not the bytes the browser hashed: the sender keeps the file and retries."""


def check_arrived_whole(data: bytes, client_sha256: str | None) -> str:
    """The SHA-256 of the bytes received; UploadDamaged when the browser said another.

    A weak connection in a sorting hall can cut or garble a body that still parses as a form. The
    phone hashes the file before sending (client_sha256); a file that does not match is refused,
    so the phone keeps it and sends it again, rather than a damaged photo becoming evidence.
    """
    received = hashlib.sha256(data).hexdigest()
    expected = (client_sha256 or "").strip().lower()
    if expected and (not SHA256_HEX.fullmatch(expected) or expected != received):
        raise UploadDamaged(Message(ARRIVED_DAMAGED))
    return received


def evidence_store() -> EvidenceStore:
    return EvidenceStore(Path(current_app.config["EVIDENCE_DIR"]))


def store_upload(
    data: bytes,
    filename: str,
    *,
    outlet_id: int,
    actor,
    purpose: EvidencePurpose = EvidencePurpose.ITEM,
    application_id: int | None = None,
    assessment_id: int | None = None,
    item_code: str | None = None,
    finding_id: int | None = None,
    annotates_id: int | None = None,
    upload_key: str | None = None,
) -> Evidence:
    """Check and keep one uploaded file; raises files.UploadRefused with the reason.

    `annotates_id`: the file is a marked copy of that evidence (the caller checks it is one it may mark).
    `upload_key`: the sending page's name for the file (the caller checks it is not taken).
    """
    _check_daily_uploads(actor, 1, charge=False)  # a spent day is refused before any decoding
    upload = inspect_upload(data, filename, max_bytes=current_app.config["UPLOAD_MAX_BYTES"])
    _check_quotas(actor, application_id, upload.size_bytes)
    _check_daily_uploads(actor, upload.size_bytes, charge=True)
    store = evidence_store()
    store.put(upload.stored_bytes)
    thumbnail_sha256 = store.put(upload.thumbnail_bytes) if upload.thumbnail_bytes else None
    evidence = Evidence(
        outlet_id=outlet_id,
        application_id=application_id,
        assessment_id=assessment_id,
        item_code=item_code,
        finding_id=finding_id,
        annotates_id=annotates_id,
        upload_key=upload_key,
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


def earlier_same_file(evidence: Evidence) -> int | None:
    """The id of the first evidence of the same record and item with the same original file, else None.

    Attaching a photo twice is a slip to point out, not a reason to refuse: the page flags both and
    the person removes one.
    """
    if evidence.assessment_id is None:
        return None
    return db.session.scalar(
        select(func.min(Evidence.id)).where(
            Evidence.assessment_id == evidence.assessment_id,
            Evidence.item_code == evidence.item_code,
            Evidence.purpose == evidence.purpose,
            Evidence.original_sha256 == evidence.original_sha256,
            Evidence.id < evidence.id,
        )
    )


def referenced_keys_query() -> Select:
    """Every store key some row names, each once."""
    return union(*(select(column.label("key")).where(column.is_not(None)) for column in STORE_REFERENCES))


def referenced_keys() -> Iterator[str]:
    """Stream the store keys the database names now, in batches (a store may hold millions)."""
    yield from db.session.execute(referenced_keys_query(), execution_options={"yield_per": 10_000}).scalars()


def live_bytes(*, application_id: int | None = None, account=None) -> int:
    """Bytes of the evidence one application holds, or one outlet account has uploaded and kept."""
    query = select(func.coalesce(func.sum(Evidence.size_bytes), 0))
    if application_id is not None:
        query = query.where(Evidence.application_id == application_id)
    if account is not None:
        # An outlet account uploads only for its own outlet; outlet_id is indexed, uploaded_by_id is not.
        query = query.where(Evidence.outlet_id == account.outlet_id, Evidence.uploaded_by_id == account.id)
    return int(db.session.scalar(query))


def _check_quotas(actor, application_id: int | None, size: int) -> None:
    config = current_app.config
    limit = config["EVIDENCE_QUOTA_PER_APPLICATION"]
    if limit and application_id is not None:
        used = live_bytes(application_id=application_id)
        if used + size > limit:
            raise UploadRefused(Message(APPLICATION_QUOTA_REACHED, _megabytes(used=used, limit=limit)))
    # Outlet accounts are the ones anyone can register. Staff work across many outlets and keep
    # their uploads for years; the application quota and the daily bound hold them.
    limit = config["EVIDENCE_QUOTA_PER_ACCOUNT"]
    if limit and getattr(actor, "role", None) == Role.OUTLET:
        used = live_bytes(account=actor)
        if used + size > limit:
            raise UploadRefused(Message(ACCOUNT_QUOTA_REACHED, _megabytes(used=used, limit=limit)))


def _daily_uploads() -> tuple[RateLimiter, RateLimitItemPerDay] | None:
    """The strategy and limit counting an account's uploaded bytes, on the rate limiter's storage.

    The limiter's storage is the one shared by every worker (RATELIMIT_STORAGE_URI). A sliding
    window where the storage has one: a fixed day would allow twice the bound around midnight.
    """
    amount = current_app.config["EVIDENCE_UPLOAD_BYTES_PER_DAY"]
    if not amount or not limiter.enabled:
        return None
    try:
        strategy: RateLimiter = SlidingWindowCounterRateLimiter(limiter.storage)
    except NotImplementedError:
        strategy = FixedWindowRateLimiter(limiter.storage)
    return strategy, RateLimitItemPerDay(amount, namespace=UPLOAD_RATE_NAMESPACE)


def _check_daily_uploads(actor, size: int, *, charge: bool) -> None:
    """Refuse when `size` bytes do not fit in what is left of the account's day; `charge` counts them."""
    daily = _daily_uploads()
    if daily is None:
        return
    strategy, item = daily
    fits = strategy.hit if charge else strategy.test
    if not _ask_storage(lambda: fits(item, str(actor.id), cost=size)):
        raise UploadRefused(Message(DAILY_UPLOADS_REACHED, _megabytes(limit=item.amount)))


def _ask_storage(question) -> bool:
    """The storage's answer; when it cannot be reached, the limiter's own policy decides.

    RATELIMIT_SWALLOW_ERRORS lets requests through while the storage is down (as the limiter
    does for sign-in); otherwise the upload is refused with a message, never a 500.
    """
    try:
        return question()
    except Exception:  # any storage failure (Redis down, a timeout) is handled alike
        current_app.logger.exception("The upload allowance could not be checked")
        if current_app.config.get("RATELIMIT_SWALLOW_ERRORS"):
            return True
        raise UploadRefused(Message(UPLOAD_RATE_UNAVAILABLE)) from None


def _megabytes(**sizes: int) -> dict[str, float]:
    return {f"{name}_mb": size / 2**20 for name, size in sizes.items()}
