"""Bulk outlet import against the database: compare the checked file with what exists, then write.

`review_import` reads and checks the file (outlet_import) and sorts every clean row into
create, update or unchanged by permit number, adding the problems only the database can
see. `apply_import` writes a review: imported outlets are verified (the bureau vouches for
them) and every created or changed outlet is audited. It flushes; the view commits.

An import never erases: an empty optional cell (opening hours) keeps the value there. And it
never changes what the bureau verified behind its back: on a verified outlet a new name, brand,
district, address or manager waits in `pending_changes` for the district bureau's review in the
verification queue, as an outlet's own edit of its profile does (outlets.operations).

Between the dry run and the confirmation the file waits in the staging folder (not the
evidence store: a dry run keeps nothing for good, and the staging folder is in no backup)
under the user's id and its sha256; the confirm form carries only that hash and a signed token
naming the user, so a client can neither swap the file nor replay another user's dry run.
Staged files go when confirmed, when their token has expired, and beyond the few newest of
each user, so dry runs cannot fill the disk. A committed import keeps no file either: its
audit rows name the file's sha256.
"""

import hashlib
import re
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from flask import current_app
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from outlet_audit.accounts.invitations import invite_imported_outlets
from outlet_audit.accounts.queries import district_bureau_users
from outlet_audit.audit.operations import record
from outlet_audit.core.urls import path_for
from outlet_audit.evidence.storage import INCOMING_PREFIX, write_atomically
from outlet_audit.extensions import db
from outlet_audit.notifications.operations import notify
from outlet_audit.outlets.models import KNOWN_BRANDS, VERIFIED_FIELDS, Outlet
from outlet_audit.outlets.operations import pending_changes, verify_outlet
from outlet_audit.outlets.outlet_import import (
    COLUMN_BY_KEY,
    COLUMNS,
    OutletRow,
    RowProblem,
    parse_import_file,
    validate_rows,
)
from outlet_audit.outlets.reference import all_districts
from outlet_audit.text import N_, Message, Refused

# Compared with an existing outlet, in this order; `verified` because an import verifies.
COMPARED_FIELDS = (
    "name",
    "brand",
    "district_id",
    "address",
    "manager",
    "phone",
    "opening_hours",
    "has_packing_bench",
    "verified",
)
# Columns a row may leave empty: an empty cell there means "as it is", never "erase it".
OPTIONAL_FIELDS = frozenset(column.key for column in COLUMNS if not column.required)
TOKEN_SALT = "dashboards.outlet-import"  # noqa: S105 - a signing namespace, not a secret (kept from when the
# import lived in dashboards: a token signed before the move still opens its staged file)
TOKEN_MAX_AGE_SECONDS = 2 * 3600
LOOKUP_BATCH = 500
STAGED_PER_USER = 5  # dry runs a user may have waiting at once (several tabs); older ones go
_STAGED_NAME = re.compile(r"[0-9a-f]{64}")


CONFIRMATION_REFUSED = N_(
    "This confirmation is not valid for your account any more. Please upload the file again."
)
IMPORT_OVERTAKEN = N_(
    "Someone registered one of these outlets meanwhile. Nothing was imported; please try again."
)


class ImportTokenRefused(Refused):
    """The confirm form's token is forged, expired, or belongs to another user or file: the user is
    asked to upload again; `detail` says which, for logs and tests."""

    def __init__(self, detail: str):
        super().__init__(Message(CONFIRMATION_REFUSED))
        self.detail = detail


@dataclass(frozen=True)
class FieldChange:
    field: str
    old: object
    new: object
    review: bool = False  # a verified field of a verified outlet: it waits for the bureau's review


@dataclass(frozen=True)
class PlannedUpdate:
    row: OutletRow
    outlet: Outlet
    changes: tuple[FieldChange, ...]


@dataclass
class ImportReview:
    row_count: int
    creates: list[OutletRow] = field(default_factory=list)
    updates: list[PlannedUpdate] = field(default_factory=list)
    unchanged: list[OutletRow] = field(default_factory=list)
    problems: list[RowProblem] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems

    def problem_rows(self) -> list[int]:
        return sorted({problem.row for problem in self.problems})

    @property
    def writes(self) -> int:
        return len(self.creates) + len(self.updates)

    @property
    def for_review(self) -> int:
        """How many updated outlets have changes that wait for the bureau's review."""
        return sum(1 for update in self.updates if any(change.review for change in update.changes))


@dataclass(frozen=True)
class ImportResult:
    created: int
    updated: int
    unchanged: int
    skipped_rows: int
    for_review: int = 0  # outlets whose verified details now wait for the bureau's review


def import_token(sha256: str, user_id: int, filename: str) -> str:
    return _serializer().dumps({"sha256": sha256, "user_id": user_id, "filename": filename})


def read_import_token(token: str, *, sha256: str, user_id: int) -> str:
    """Return the file name the token was made for; ImportTokenRefused unless it fits this user and file."""
    try:
        data = _serializer().loads(token, max_age=TOKEN_MAX_AGE_SECONDS)
    except (SignatureExpired, BadSignature) as error:
        raise ImportTokenRefused(str(error)) from error
    if not isinstance(data, dict) or data.get("user_id") != user_id or data.get("sha256") != sha256:
        raise ImportTokenRefused("the token was made for another user or file")
    return str(data.get("filename", ""))


def stage_import(data: bytes, user_id: int) -> str:
    """Keep a checked file until its confirmation and return its sha256."""
    _prune_staged_imports()
    folder = _staging_root() / str(user_id)
    folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    sha256 = hashlib.sha256(data).hexdigest()
    write_atomically(folder / sha256, data, mode=0o600)  # the same file again is renewed
    waiting = sorted(_staged_files(folder), key=_modified, reverse=True)
    for path in waiting[STAGED_PER_USER:]:
        path.unlink(missing_ok=True)
    return sha256


def staged_import(sha256: str, user_id: int) -> bytes:
    """The file a dry run of this user staged; FileNotFoundError once it is gone or altered."""
    if not _STAGED_NAME.fullmatch(sha256):
        raise FileNotFoundError(sha256)
    data = (_staging_root() / str(user_id) / sha256).read_bytes()
    if hashlib.sha256(data).hexdigest() != sha256:
        raise FileNotFoundError(sha256)
    return data


def discard_staged_import(sha256: str, user_id: int) -> None:
    if _STAGED_NAME.fullmatch(sha256):
        (_staging_root() / str(user_id) / sha256).unlink(missing_ok=True)


def _prune_staged_imports() -> None:
    """Remove every user's staged files older than a confirmation token lives."""
    root = _staging_root()
    if not root.is_dir():
        return
    cutoff = time.time() - TOKEN_MAX_AGE_SECONDS
    for folder in root.iterdir():
        for path in _staged_files(folder, incoming=True) if folder.is_dir() else ():
            if _modified(path) < cutoff:
                path.unlink(missing_ok=True)


def _modified(path: Path) -> float:
    try:
        return path.stat().st_mtime
    except FileNotFoundError:
        return 0.0  # removed by another request meanwhile: oldest, so nothing waits on it


def _staging_root() -> Path:
    configured = current_app.config.get("IMPORT_STAGING_DIR")
    return Path(configured) if configured else Path(current_app.instance_path) / "import-staging"


def _staged_files(folder: Path, *, incoming: bool = False) -> list[Path]:
    return [
        path
        for path in folder.iterdir()
        if _STAGED_NAME.fullmatch(path.name) or (incoming and path.name.startswith(INCOMING_PREFIX))
    ]


def district_names() -> dict[str, int]:
    """Every district under its Chinese and English name, as the file may use either."""
    names: dict[str, int] = {}
    for district in all_districts():
        names[district.name_zh] = district.id
        names[district.name_en] = district.id
    return names


def review_import(data: bytes, filename: str, *, allowed_district_ids: set[int] | None) -> ImportReview:
    """Check the file and compare it with the database; raises outlet_import.ImportFileError."""
    rows = parse_import_file(data, filename)
    plan = validate_rows(
        rows, districts=district_names(), allowed_district_ids=allowed_district_ids, known_brands=KNOWN_BRANDS
    )
    review = ImportReview(row_count=plan.row_count, problems=list(plan.problems))
    existing = _outlets_by_permit(list(plan.outlets))
    for permit, row in plan.outlets.items():
        outlet = existing.get(permit)
        if outlet is None:
            review.creates.append(row)
        elif allowed_district_ids is not None and outlet.district_id not in allowed_district_ids:
            message = Message(
                N_(
                    "Permit number %(value)s belongs to an outlet in another district; "
                    "only that district's bureau may change it."
                ),
                {"value": permit},
            )
            review.problems.append(RowProblem(row.row, "permit_number", message))
        elif changes := _changes(outlet, row):
            review.updates.append(PlannedUpdate(row, outlet, changes))
        else:
            review.unchanged.append(row)
    order = {key: index for index, key in enumerate(COLUMN_BY_KEY)}
    review.problems.sort(key=lambda problem: (problem.row, order[problem.column]))
    return review


def apply_import(review: ImportReview, *, actor, sha256: str) -> ImportResult:
    """Create and update the review's clean rows, verified and audited; rows with problems stay out."""
    reason = f"bulk import, file sha256 {sha256}"
    created = [_new_outlet(row) for row in review.creates]
    db.session.add_all(created)
    try:
        db.session.flush()
    except IntegrityError as error:  # a permit number registered since the review: the request rolls back
        raise Refused(Message(IMPORT_OVERTAKEN)) from error
    for outlet in created:
        record(
            "outlet_imported",
            actor=actor,
            subject_type="outlet",
            subject_id=outlet.id,
            outlet_id=outlet.id,
            new=outlet.permit_number,
            reason=reason,
        )
        verify_outlet(outlet, actor=actor)
    invite_imported_outlets(created, actor=actor)  # each new outlet's manager gets an invitation
    waiting_by_district: dict[int, int] = {}
    for update in review.updates:
        outlet = update.outlet
        pending = pending_changes(outlet)
        for change in update.changes:
            if change.field == "verified":
                continue  # verify_outlet below records it
            if change.review:
                pending[change.field] = change.new
            else:
                setattr(outlet, change.field, change.new)
            record(
                "import_change_requested" if change.review else "outlet_updated",
                actor=actor,
                subject_type="outlet",
                subject_id=outlet.id,
                outlet_id=outlet.id,
                field=change.field,
                old=change.old,
                new=change.new,
                reason=reason,
            )
        if any(change.review for change in update.changes):
            outlet.pending_changes = pending  # a new dict: JSON columns do not see changes made in place
            waiting_by_district[outlet.district_id] = waiting_by_district.get(outlet.district_id, 0) + 1
        verify_outlet(outlet, actor=actor)
    db.session.flush()
    for district_id, count in sorted(waiting_by_district.items()):
        notify(
            district_bureau_users(district_id),
            "profile_change",
            N_("A bulk import proposes changes to the registered details of %(count)d outlets; review them."),
            path_for("outlets.verification_queue"),
            count=count,
        )
    return ImportResult(
        created=len(created),
        updated=len(review.updates),
        unchanged=len(review.unchanged),
        skipped_rows=len(review.problem_rows()),
        for_review=sum(waiting_by_district.values()),
    )


def _outlets_by_permit(permits: Sequence[str]) -> dict[str, Outlet]:
    found: dict[str, Outlet] = {}
    for start in range(0, len(permits), LOOKUP_BATCH):
        batch = permits[start : start + LOOKUP_BATCH]
        for outlet in db.session.scalars(select(Outlet).where(Outlet.permit_number.in_(batch))):
            found[outlet.permit_number] = outlet
    return found


def _changes(outlet: Outlet, row: OutletRow) -> tuple[FieldChange, ...]:
    """What the row would change: an empty optional cell changes nothing, and a verified field of a
    verified outlet is a change for review unless that very change already waits for it."""
    wanted = _row_values(row)
    waiting = pending_changes(outlet)
    changes = []
    for name in COMPARED_FIELDS:
        new, current = wanted[name], getattr(outlet, name)
        if new == current or (name in OPTIONAL_FIELDS and new in (None, "")):
            continue
        review = outlet.verified and name in VERIFIED_FIELDS
        if review and name in waiting and waiting[name] == new:
            continue
        changes.append(FieldChange(name, current, new, review))
    return tuple(changes)


def _row_values(row: OutletRow) -> dict[str, object]:
    return {
        "name": row.name,
        "brand": row.brand,
        "district_id": row.district_id,
        "address": row.address,
        "manager": row.manager,
        "phone": row.phone,
        "opening_hours": row.opening_hours,
        "has_packing_bench": row.has_packing_bench,
        "verified": True,
    }


def _new_outlet(row: OutletRow) -> Outlet:
    values = _row_values(row)
    values["verified"] = False  # verify_outlet sets it, with its time and audit row
    return Outlet(permit_number=row.permit_number, **values)


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.secret_key, salt=TOKEN_SALT)
