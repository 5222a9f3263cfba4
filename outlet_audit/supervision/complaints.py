"""Public complaints (投诉举报) about certified outlets, and the district bureau's triage of them.

Anyone files one without an account, from a certificate's verification page or the directory: a
category, a description, optionally a photo and a contact. The photo goes through the evidence
pipeline (decided by its content, re-encoded as JPEG without EXIF or GPS, kept in the
content-addressed store). A complainant who leaves a contact gets a follow-up code, shown once
and kept only as its SHA-256 (as invitation and recovery codes are).

The district postal bureau then dismisses it with a reason the complainant reads, or opens a
visit on it (`open_check`, purpose COMPLAINT); once the visit is made it records the outcome,
substantiated or not, in a sentence for the complainant. Every act is in the audit trail under
the complaint (never under the outlet: the outlet's history is the outlet's to read, and it is
not told who complained, nor that anyone did until a visit is opened).

Operations flush, never commit.
"""

import hmac
import secrets
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from flask import current_app
from sqlalchemy import func, select, update

from outlet_audit.accounts.codes import code_digest, grouped, normalise_code, random_code
from outlet_audit.accounts.queries import district_bureau_users
from outlet_audit.audit.operations import record
from outlet_audit.certificates.models import Certificate
from outlet_audit.certificates.queries import valid_certificate_clause
from outlet_audit.core.time import shanghai_date, today_in_shanghai, utcnow
from outlet_audit.core.urls import path_for
from outlet_audit.evidence.files import EvidenceKind, UploadRefused, inspect_upload
from outlet_audit.evidence.operations import evidence_store
from outlet_audit.extensions import db
from outlet_audit.notifications.operations import notify
from outlet_audit.supervision.kinds import CheckPurpose, CheckStatus, ComplaintCategory, ComplaintStatus
from outlet_audit.supervision.models import Complaint
from outlet_audit.supervision.operations import open_check
from outlet_audit.text import N_, Message, Refused

FOLLOW_CODE_LENGTH = 12  # 31 symbols: about 59 bits, typed as three groups of four
DESCRIPTION_MAX_CHARS = 2000
OUTCOME_MAX_CHARS = 1000

PHOTO_NOT_A_PHOTO = N_("Only a photo can be attached (JPEG, PNG or WebP), not a document.")
OUTLET_CAP_REACHED = N_(
    "This outlet has received many reports today and the district bureau has them all. "
    "Please try again tomorrow."
)
ALREADY_TRIAGED = N_("Someone at the bureau has decided on this complaint already. Here it is as it is now.")
REASON_NEEDED = N_("Say why the complaint is dismissed: the person who sent it reads this.")
OUTCOME_NEEDED = N_("Say in a sentence what the visit found: the person who sent it reads this.")
NO_VISIT_YET = N_("The outcome is recorded once the visit is made and its record signed.")
NO_CERTIFICATE_IN_FORCE = N_(
    "The outlet holds no certificate in force, so no supervision visit can be opened: dismiss the "
    "complaint with a reason saying what the bureau did."
)
DUE_IN_THE_PAST = N_("The visit cannot be due before today.")
NEW_COMPLAINT = N_("A member of the public reported a problem at %(outlet)s (complaint %(ref)s).")

CONCLUSIONS = (ComplaintStatus.SUBSTANTIATED, ComplaintStatus.NOT_SUBSTANTIATED)


def complaint_reference(year: int, district_code: str, complaint_id: int) -> str:
    """The public reference: TS-<year>-<district>-<id>, unique by its id (TS: 投诉)."""
    return f"TS-{year:04d}-{district_code}-{complaint_id:06d}"


@dataclass(frozen=True)
class Filed:
    complaint: Complaint
    follow_code: str | None  # grouped for reading; None when no contact was left


def file_complaint(
    certificate: Certificate,
    *,
    category: ComplaintCategory,
    description: str,
    contact: str | None,
    photo: tuple[bytes, str] | None,
    now: datetime | None = None,
) -> Filed:
    """Keep a complaint about the certificate's outlet (valid or not: a revoked certificate still on
    the wall is worth reporting); refuse a photo that is not one, or an outlet's day already full."""
    now = now or utcnow()
    _refuse_past_the_outlets_daily_cap(certificate.outlet_id, now)
    photo_sha256 = _keep_photo(*photo) if photo else None
    code = random_code(FOLLOW_CODE_LENGTH) if contact else None
    complaint = Complaint(
        reference=f"P-{secrets.token_hex(10)}",  # unique until replaced, once the id is known
        outlet_id=certificate.outlet_id,
        certificate_id=certificate.id,
        district_id=certificate.district_id,
        category=category.value,
        description=description,
        contact=contact or None,
        follow_code_hash=code_digest(code) if code else None,
        photo_sha256=photo_sha256,
        photo_mime="image/jpeg" if photo_sha256 else None,
        status=ComplaintStatus.RECEIVED.value,
        created_at=now,
    )
    db.session.add(complaint)
    db.session.flush()
    district = certificate.outlet.district
    complaint.reference = complaint_reference(shanghai_date(now).year, district.code, complaint.id)
    db.session.flush()
    record(
        "complaint_received",
        actor=None,
        subject_type="complaint",
        subject_id=complaint.id,
        field=category.value,
        new=complaint.reference,
    )
    notify(
        district_bureau_users(certificate.district_id),
        "complaint_received",
        NEW_COMPLAINT,
        path_for("complaints.detail", complaint_id=complaint.id),
        outlet=certificate.outlet.name,
        ref=complaint.reference,
    )
    return Filed(complaint, grouped(code) if code else None)


def _refuse_past_the_outlets_daily_cap(outlet_id: int, now: datetime) -> None:
    """A bound on what one outlet receives in a day, from every network together: a campaign
    against an outlet (or by it against a rival) fills the bureau's list no further."""
    cap = current_app.config["COMPLAINTS_PER_OUTLET_PER_DAY"]
    if not cap:
        return
    received = db.session.scalar(
        select(func.count())
        .select_from(Complaint)
        .where(Complaint.outlet_id == outlet_id, Complaint.created_at > now - timedelta(days=1))
    )
    if received >= cap:
        raise Refused(Message(OUTLET_CAP_REACHED))


def _keep_photo(data: bytes, filename: str) -> str:
    """Check the photo as every upload is checked, keep its re-encoded JPEG (no EXIF, no GPS: the
    pipeline writes none), and return its store key."""
    upload = inspect_upload(data, filename, max_bytes=current_app.config["UPLOAD_MAX_BYTES"])
    if upload.kind is not EvidenceKind.PHOTO:
        raise UploadRefused(Message(PHOTO_NOT_A_PHOTO), field="photo")
    return evidence_store().put(upload.stored_bytes)


# --- following -----------------------------------------------------------------------------------


def followed_complaint(reference: str, code: str) -> Complaint | None:
    """The complaint this reference and code open, or None: unknown, wrong code and no code at all
    are one answer, and take the same work, so none tells the others apart."""
    complaint = db.session.scalar(select(Complaint).where(Complaint.reference == reference.strip().upper()))
    stored = complaint.follow_code_hash if complaint is not None else None
    typed = code_digest(code) if normalise_code(code) else ""
    matches = hmac.compare_digest(stored or "-" * 64, typed or "_" * 64)
    return complaint if stored is not None and matches else None


# --- the bureau's triage --------------------------------------------------------------------------


def dismiss_complaint(complaint: Complaint, actor, reason: str, *, now: datetime | None = None) -> None:
    """Close a complaint just received, saying why to the person who sent it."""
    reason = (reason or "").strip()
    if not reason:
        raise Refused(Message(REASON_NEEDED), field="reason")
    now = now or utcnow()
    _triage(complaint, actor, ComplaintStatus.DISMISSED, now, triage_reason=reason, closed_at=now)
    record(
        "complaint_dismissed",
        actor=actor,
        subject_type="complaint",
        subject_id=complaint.id,
        new=complaint.reference,
        reason=reason,
    )


def certificate_in_force(outlet_id: int, today: date | None = None) -> Certificate | None:
    """The outlet's certificate in force now (the newest, when a renewal overlaps), or None."""
    return db.session.scalar(
        select(Certificate)
        .where(Certificate.outlet_id == outlet_id, valid_certificate_clause(today or today_in_shanghai()))
        .order_by(Certificate.valid_until.desc(), Certificate.id.desc())
        .limit(1)
    )


def open_complaint_visit(complaint: Complaint, actor, team, *, due_by: date, reason: str):
    """Send a team to check the complaint: a supervision check on the outlet's certificate in force
    (which may be newer than the one the complaint was made from). Returns the check."""
    if due_by < today_in_shanghai():
        raise Refused(Message(DUE_IN_THE_PAST), field="due_by")
    certificate = certificate_in_force(complaint.outlet_id)
    if certificate is None:
        raise Refused(Message(NO_CERTIFICATE_IN_FORCE))
    now = utcnow()
    _triage(complaint, actor, ComplaintStatus.VISIT_OPENED, now)
    check = open_check(
        certificate,
        CheckPurpose.COMPLAINT,
        team,
        due_by=due_by,
        actor=actor,
        complaint=complaint,
        reason=reason,
    )
    record(
        "complaint_visit_opened",
        actor=actor,
        subject_type="complaint",
        subject_id=complaint.id,
        old=complaint.reference,
        new=check.number,
        reason=check.reason,
    )
    return check


def visit_made(complaint: Complaint) -> bool:
    """Whether the complaint's visit is past scheduling: its team signed the record (or the check
    ended without one, the certificate having ended first), so there is an outcome to record."""
    check = complaint.check
    return check is not None and check.status != CheckStatus.SCHEDULED


def conclude_complaint(
    complaint: Complaint, actor, status: ComplaintStatus, outcome: str, *, now: datetime | None = None
) -> None:
    """Record what the visit found, for the complainant: substantiated or not, in a sentence."""
    if status not in CONCLUSIONS:
        raise Refused(Message(OUTCOME_NEEDED), field="status")
    outcome = (outcome or "").strip()
    if not outcome:
        raise Refused(Message(OUTCOME_NEEDED), field="outcome")
    if complaint.status != ComplaintStatus.VISIT_OPENED or not visit_made(complaint):
        raise Refused(Message(NO_VISIT_YET))
    now = now or utcnow()
    result = db.session.execute(
        update(Complaint)
        .where(Complaint.id == complaint.id, Complaint.status == ComplaintStatus.VISIT_OPENED.value)
        .values(status=status.value, outcome=outcome, closed_at=now)
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:
        raise Refused(Message(ALREADY_TRIAGED))
    db.session.refresh(complaint)
    record(
        "complaint_concluded",
        actor=actor,
        subject_type="complaint",
        subject_id=complaint.id,
        field=status.value,
        new=complaint.reference,
        reason=outcome,
    )


def _triage(complaint: Complaint, actor, status: ComplaintStatus, now: datetime, **values) -> None:
    """Move a complaint out of `received`, once: of two people deciding at the same moment, the
    second is refused (a conditional UPDATE, not a read then a write)."""
    result = db.session.execute(
        update(Complaint)
        .where(Complaint.id == complaint.id, Complaint.status == ComplaintStatus.RECEIVED.value)
        .values(status=status.value, triaged_at=now, triaged_by_id=actor.id, **values)
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:
        raise Refused(Message(ALREADY_TRIAGED))
    db.session.refresh(complaint)
