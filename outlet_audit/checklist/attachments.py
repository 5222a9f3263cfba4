"""Evidence on a checklist: attach a file to an item, a drawn signature, remove an upload; find reuse.

Operations flush and audit; the view commits. Storing and checking the bytes is
`evidence.operations.store_upload`'s work (type by content, size limit, re-encoding).
"""

import base64
import binascii
from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select

from outlet_audit.audit.operations import record
from outlet_audit.checklist.kinds import AssessmentKind
from outlet_audit.checklist.locking import lock_assessment
from outlet_audit.checklist.models import Assessment
from outlet_audit.checklist.service import SIGNED_OFF, not_asked
from outlet_audit.criteria.model import Edition
from outlet_audit.evidence.files import UploadRefused, detect_mime_type
from outlet_audit.evidence.models import Evidence
from outlet_audit.evidence.operations import store_upload
from outlet_audit.evidence.purposes import EvidencePurpose
from outlet_audit.extensions import db
from outlet_audit.outlets.models import Outlet
from outlet_audit.roles import BUREAU_ROLES, Role
from outlet_audit.text import N_, Message
from outlet_audit.workflow.models import Application, application_reference

SIGNERS = ("inspector", "outlet")
SIGNATURE_MAX_BYTES = 512 * 1024
PNG_DATA_URL = "data:image/png;base64,"
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"

PHOTO_NEEDED = N_("This item needs a photo, not a PDF document.")
UNKNOWN_ITEM = N_("Unknown item %(code)s.")
NOT_MARKABLE = N_(
    "The marked copy was not kept: the photo it marks is not a photo of this item in this record. "
    "Open the photo from this item and mark it again."
)
HAS_MARKED_COPIES = N_(
    "This photo has a marked copy, which shows what it marks. Delete the marked copy first, or keep both."
)
SIGNATURE_UNREADABLE = N_("The drawn signature could not be read. Clear it and sign again.")


def _lock_open(assessment_id: int) -> None:
    """Hold the assessment's lock (sign-off cannot score it meanwhile); refuse it once signed off."""
    assessment = lock_assessment(assessment_id)
    if assessment is not None and assessment.signed_off_at is not None:
        raise UploadRefused(Message(SIGNED_OFF))


def attach_item_evidence(
    assessment: Assessment,
    application,
    edition: Edition,
    item_code: str,
    data: bytes,
    filename: str,
    actor,
    *,
    annotates_id: int | None = None,
    upload_key: str | None = None,
) -> Evidence:
    """Keep one file as evidence for an item; UploadRefused says why not.

    `annotates_id`: the file is a marked copy of that photo, which must be a photo of the same
    record and item (it is kept beside it, never instead of it).
    `upload_key`: the sending page's name for the file. The same person sending the same key for
    the same item of the record again gets the file already kept: the answer to the first send
    was lost, and the photo must not be kept twice.
    """
    try:
        item = edition.item(item_code)
    except KeyError:
        raise UploadRefused(Message(UNKNOWN_ITEM, {"code": item_code})) from None
    # The criteria say what an item accepts; a photographed document is still a photo.
    if item.evidence.kind == "photo" and detect_mime_type(data) == "application/pdf":
        raise UploadRefused(Message(PHOTO_NEEDED))
    _lock_open(assessment.id)
    problem = not_asked(assessment, edition, item)  # read under the lock: no save changes it meanwhile
    if problem:
        raise UploadRefused(problem)
    taken = _with_key(assessment, upload_key) if upload_key else None
    if taken is not None and taken.item_code == item.code and taken.uploaded_by_id == actor.id:
        return taken  # sent again after a lost answer: the file already kept
    if taken is not None:
        upload_key = None  # another person's or item's key: this file is kept, without it
    original = _markable(annotates_id, assessment, item.code) if annotates_id is not None else None
    evidence = store_upload(
        data,
        filename,
        outlet_id=application.outlet_id,
        actor=actor,
        purpose=EvidencePurpose.ITEM,
        application_id=application.id,
        assessment_id=assessment.id,
        item_code=item.code,
        annotates_id=annotates_id,
        upload_key=upload_key,
    )
    if original is None:
        audit_evidence(evidence, "evidence_uploaded", actor, new=evidence.filename, kind=assessment.kind)
    else:
        old, new, kind = original.filename, evidence.filename, assessment.kind
        audit_evidence(evidence, "evidence_marked", actor, old=old, new=new, kind=kind)
    return evidence


def _with_key(assessment: Assessment, upload_key: str) -> Evidence | None:
    return db.session.scalar(
        select(Evidence).where(Evidence.assessment_id == assessment.id, Evidence.upload_key == upload_key)
    )


def _markable(evidence_id: int, assessment: Assessment, item_code: str) -> Evidence:
    """The photo a marked copy marks; UploadRefused unless it is a photo of this record's item.

    Any other id (another item, another record, a document, a signature, none) gets the same
    answer, so the refusal tells nothing about records the person cannot see.
    """
    original = db.session.get(Evidence, evidence_id)
    if (
        original is None
        or original.assessment_id != assessment.id
        or original.item_code != item_code
        or original.purpose != EvidencePurpose.ITEM
        or original.kind != "photo"
    ):
        raise UploadRefused(Message(NOT_MARKABLE))
    return original


def attach_signature(
    assessment: Assessment, application, signer: str, data_url: str, actor, *, countersign: bool = False
) -> Evidence:
    """Keep a signature drawn on the page (a PNG data URL) as evidence of purpose SIGNATURE.

    `countersign`: an inspector of the team signs the record another member has signed (and locked)
    already; the caller signs the record in the same transaction, whose state machine checks that
    the inspector is a member still to sign. It adds their drawing and changes nothing else.
    """
    if signer not in SIGNERS or (countersign and signer != "inspector"):
        raise ValueError(signer)
    data = decode_png_data_url(data_url)
    if countersign:
        lock_assessment(assessment.id)
    else:
        _lock_open(assessment.id)
    evidence = store_upload(
        data,
        f"signature-{signer}.png",
        outlet_id=application.outlet_id,
        actor=actor,
        purpose=EvidencePurpose.SIGNATURE,
        application_id=application.id,
        assessment_id=assessment.id,
        item_code=signer,
    )
    audit_evidence(evidence, "signature_added", actor, new=signer, kind=assessment.kind)
    return evidence


def decode_png_data_url(data_url: str) -> bytes:
    if not data_url.startswith(PNG_DATA_URL) or len(data_url) > SIGNATURE_MAX_BYTES * 4 // 3 + 64:
        raise UploadRefused(Message(SIGNATURE_UNREADABLE))
    try:
        data = base64.b64decode(data_url.removeprefix(PNG_DATA_URL), validate=True)
    except (binascii.Error, ValueError):
        raise UploadRefused(Message(SIGNATURE_UNREADABLE)) from None
    if not data.startswith(PNG_SIGNATURE):
        raise UploadRefused(Message(SIGNATURE_UNREADABLE))
    return data


def remove_evidence(evidence: Evidence, actor, kind: str) -> None:
    """Delete an evidence row (the stored bytes stay: other rows may share them), audited.

    UploadRefused if its checklist is signed off (the pages refuse that before, under the same lock).
    """
    if evidence.assessment_id is not None:
        _lock_open(evidence.assessment_id)
    if db.session.scalar(select(Evidence.id).where(Evidence.annotates_id == evidence.id).limit(1)):
        raise UploadRefused(Message(HAS_MARKED_COPIES))
    audit_evidence(evidence, "evidence_deleted", actor, old=evidence.filename, kind=kind)
    db.session.delete(evidence)
    db.session.flush()


def audit_evidence(
    evidence: Evidence, action: str, actor, *, kind: AssessmentKind, old=None, new=None
) -> None:
    """The audit row of an item's or signature's upload or deletion (the benchmark's loader writes it too)."""
    record(
        action,
        actor=actor,
        subject_type="evidence",
        subject_id=evidence.id,
        application_id=evidence.application_id,
        outlet_id=evidence.outlet_id,
        field=f"{kind}:{evidence.item_code}",
        old=old,
        new=new,
    )


def item_evidence(assessment: Assessment) -> dict[str, list[Evidence]]:
    """The item evidence of an assessment by item code, oldest first."""
    rows = db.session.scalars(
        select(Evidence)
        .where(Evidence.assessment_id == assessment.id, Evidence.purpose == EvidencePurpose.ITEM)
        .order_by(Evidence.uploaded_at, Evidence.id)
    )
    grouped: dict[str, list[Evidence]] = defaultdict(list)
    for evidence in rows:
        grouped[evidence.item_code].append(evidence)
    return {code: beside_originals(files) for code, files in grouped.items()}


def beside_originals(files: list[Evidence]) -> list[Evidence]:
    """The files in their order, each marked copy moved right after the photo it marks.

    A copy of a copy follows that copy; a copy whose original is not in the list keeps its place.
    """
    ids = {evidence.id for evidence in files}
    copies: dict[int, list[Evidence]] = defaultdict(list)
    for evidence in files:
        if evidence.annotates_id in ids:
            copies[evidence.annotates_id].append(evidence)
    ordered: list[Evidence] = []

    def place(evidence: Evidence) -> None:
        ordered.append(evidence)
        for copy in copies.get(evidence.id, ()):
            place(copy)

    for evidence in files:
        if evidence.annotates_id not in ids:
            place(evidence)
    return ordered


def signatures(assessment: Assessment) -> dict[str, Evidence]:
    """The latest drawn signature of each signer."""
    rows = db.session.scalars(
        select(Evidence)
        .where(Evidence.assessment_id == assessment.id, Evidence.purpose == EvidencePurpose.SIGNATURE)
        .order_by(Evidence.uploaded_at, Evidence.id)
    )
    return {evidence.item_code: evidence for evidence in rows}


@dataclass(frozen=True)
class Reuse:
    """The same original file, also uploaded for another outlet, as far as the viewer may know it.

    A district bureau is told who used it only inside its own district; of another district's
    use it learns only that there was one (`elsewhere`: no outlet, application or date), so no
    district's applicants are named to another. The city bureau oversees every district.
    """

    outlet_name: str | None = None
    reference: str | None = None  # the other application's (None: uploaded outside an application)
    uploaded_at: datetime | None = None

    @property
    def elsewhere(self) -> bool:
        return self.outlet_name is None


ELSEWHERE = Reuse()


def reuse_map(evidence_list: list[Evidence], viewer) -> dict[int, list[Reuse]]:
    """For each evidence id, the uploads of the same original file for other outlets (one query).

    Only the bureaus hear of reuse (it flags a borrowed photo for their review); anyone else gets
    nothing. Uses the viewer may not be told about come last, as one ELSEWHERE: the fact, no count.
    """
    if viewer.role not in BUREAU_ROLES:
        return {}
    hashes = {evidence.original_sha256 for evidence in evidence_list}
    if not hashes:
        return {}
    others = db.session.execute(
        select(
            Evidence.original_sha256,
            Evidence.outlet_id,
            Evidence.application_id,
            Evidence.uploaded_at,
            Outlet.name,
            Outlet.district_id,
            Application.created_at.label("application_created_at"),
        )
        .join(Outlet, Outlet.id == Evidence.outlet_id)
        .outerjoin(Application, Application.id == Evidence.application_id)
        .where(Evidence.original_sha256.in_(hashes))
        .order_by(Evidence.uploaded_at)
    ).all()

    def named_to_viewer(row) -> bool:  # deny by default: a bureau without a district names nobody
        return viewer.role == Role.CITY_BUREAU or (
            viewer.district_id is not None and row.district_id == viewer.district_id
        )

    found: dict[int, list[Reuse]] = {}
    for evidence in evidence_list:
        matches = [
            row
            for row in others
            if row.original_sha256 == evidence.original_sha256 and row.outlet_id != evidence.outlet_id
        ]
        shown = [
            Reuse(
                row.name,
                application_reference(row.application_created_at, row.application_id)
                if row.application_id is not None
                else None,
                row.uploaded_at,
            )
            for row in matches
            if named_to_viewer(row)
        ]
        if len(shown) < len(matches):
            shown.append(ELSEWHERE)
        if shown:
            found[evidence.id] = shown
    return found
