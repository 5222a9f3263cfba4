"""The outlet's side before submission: opening an application, the draft, the commitment letter.

Operations flush and audit; the view commits. `submission_gaps` lists everything that still
stops a submission, so the outlet sees the whole list at once instead of one refusal at a time;
the state machine's submission guard refuses with the same list (`ApplicationFacts`).
"""

from datetime import date

from flask import current_app
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from outlet_audit.audit.operations import record
from outlet_audit.certificates.models import Certificate
from outlet_audit.certificates.state import (
    RENEWAL_WINDOW_DAYS,
    RenewalWindow,
    StoredCertificateState,
    renewal_window,
)
from outlet_audit.checklist.kinds import AssessmentKind
from outlet_audit.checklist.models import Assessment
from outlet_audit.checklist.service import (
    assessment_of,
    holds_valid_district_certificate,
    missing_for_sign_off,
)
from outlet_audit.core.time import today_in_shanghai
from outlet_audit.criteria.editions import active_edition, pinned_edition, store_edition
from outlet_audit.criteria.model import Edition
from outlet_audit.evidence.models import Evidence
from outlet_audit.evidence.operations import store_upload
from outlet_audit.evidence.purposes import EvidencePurpose
from outlet_audit.extensions import db
from outlet_audit.outlets.models import Outlet
from outlet_audit.text import N_, Message, Refused
from outlet_audit.workflow.models import FINAL_STATUSES, Application
from outlet_audit.workflow.states import Level, Status, SubmissionGaps

# The outlet may change its application only while it is in its hands.
EDITABLE_STATUSES = frozenset({Status.DRAFT, Status.RETURNED})


class ApplicationRefused(Refused):
    """The outlet cannot do this with its application; `message` says why, `existing` names the
    application already in progress when that is the reason."""

    def __init__(self, message: Message, existing: Application | None = None):
        super().__init__(message)
        self.existing = existing


def open_application_of(outlet_id: int) -> Application | None:
    """The outlet's application in progress (not approved, rejected or withdrawn), if any."""
    return db.session.scalar(
        select(Application).where(
            Application.outlet_id == outlet_id, Application.status.not_in(FINAL_STATUSES)
        )
    )


def city_level_refusal(outlet_id: int, edition: Edition) -> Message | None:
    """Why the outlet may not apply for city level under this edition, or None if it may."""
    rules = edition.level(Level.CITY.value)
    if rules.requires_valid_district_certificate and not holds_valid_district_certificate(outlet_id):
        return Message(
            N_(
                "City level can only be applied for by an outlet that holds a valid district-level "
                "certificate. Apply for district level first."
            )
        )
    return None


def renewable_certificate(outlet_id: int, certificate_id: int | None) -> Certificate | None:
    """The outlet's own active certificate with this id, or None (another outlet's counts as none)."""
    if certificate_id is None:
        return None
    return db.session.scalar(
        select(Certificate).where(
            Certificate.id == certificate_id,
            Certificate.outlet_id == outlet_id,
            Certificate.state == StoredCertificateState.ACTIVE,
        )
    )


def window_of(certificate: Certificate) -> RenewalWindow:
    """When the certificate may be renewed, as configured (RENEWAL_WINDOW_DAYS)."""
    days = current_app.config.get("RENEWAL_WINDOW_DAYS", RENEWAL_WINDOW_DAYS)
    return renewal_window(certificate.valid_until, days)


def renewal_refusal(certificate: Certificate, today: date) -> Message | None:
    """Why the certificate cannot be renewed today, or None inside its renewal window."""
    window = window_of(certificate)
    if window.not_yet(today):
        return Message(
            N_(
                "Certificate %(number)s can be renewed from %(opens)s, %(days)d days before it expires "
                "on %(expires)s. Come back then."
            ),
            {
                "number": certificate.number,
                "opens": window.opens,
                "days": (window.closes - window.opens).days,
                "expires": window.closes,
            },
        )
    if not window.is_open(today):
        return Message(
            N_(
                "Certificate %(number)s was valid until %(until)s and can no longer be renewed. Apply for "
                "a new certificate instead."
            ),
            {"number": certificate.number, "until": window.closes},
        )
    return None


def create_application(
    outlet: Outlet, target_level: Level, *, actor, renewal_of: Certificate | None = None
) -> Application:
    """Open a draft against the active edition; raises ApplicationRefused with the reason."""
    if renewal_of is not None:
        refusal = renewal_refusal(renewal_of, today_in_shanghai())
        if refusal:
            raise ApplicationRefused(refusal)
    existing = open_application_of(outlet.id)
    if existing is not None:
        raise ApplicationRefused(
            Message(
                N_("Your outlet already has an application in progress (%(ref)s)."),
                {"ref": existing.reference},
            ),
            existing,
        )
    edition = active_edition()
    if target_level == Level.CITY:
        refusal = city_level_refusal(outlet.id, edition)
        if refusal:
            raise ApplicationRefused(refusal)
    application = Application(
        outlet_id=outlet.id,
        district_id=outlet.district_id,
        edition_pk=store_edition(edition).id,
        target_level=target_level.value,
        status=Status.DRAFT.value,
        eligibility={},
        renewal_of_id=renewal_of.id if renewal_of else None,
    )
    try:
        with db.session.begin_nested():  # a second tab may have opened one a moment ago
            db.session.add(application)
    except IntegrityError:
        raise ApplicationRefused(
            Message(N_("Your outlet already has an application in progress.")), open_application_of(outlet.id)
        ) from None
    record(
        "application_created",
        actor=actor,
        subject_type="application",
        subject_id=application.id,
        application_id=application.id,
        outlet_id=outlet.id,
        field="target_level",
        new=target_level.value,
        reason=renewal_of.number if renewal_of else None,
    )
    return application


def _require_editable(application: Application) -> None:
    if Status(application.status) not in EDITABLE_STATUSES:
        raise ApplicationRefused(Message(N_("The application can no longer be changed at this stage.")))


def save_draft(
    application: Application, *, target_level: Level, eligibility: dict[str, bool | None], actor
) -> None:
    """Keep the target level and the declarations as answered so far, audited field by field."""
    _require_editable(application)
    edition = pinned_edition(application.edition)
    if target_level.value != application.target_level:
        if target_level == Level.CITY:
            refusal = city_level_refusal(application.outlet_id, edition)
            if refusal:
                raise ApplicationRefused(refusal)
        _audit_draft(application, actor, "target_level", application.target_level, target_level.value)
        application.target_level = target_level.value
    known = {declaration.code for declaration in edition.eligibility}
    old = dict(application.eligibility or {})
    new = {code: value for code, value in eligibility.items() if code in known and value is not None}
    for code in sorted(known):
        if old.get(code) != new.get(code):
            _audit_draft(
                application, actor, f"eligibility:{code}", _yes_no(old.get(code)), _yes_no(new.get(code))
            )
    application.eligibility = new  # a new dict: JSON columns do not see changes made in place
    db.session.flush()


def _yes_no(value: bool | None) -> str | None:
    return None if value is None else ("yes" if value else "no")


def _audit_draft(application: Application, actor, field: str, old, new) -> None:
    record(
        "draft_saved",
        actor=actor,
        subject_type="application",
        subject_id=application.id,
        application_id=application.id,
        outlet_id=application.outlet_id,
        field=field,
        old=old,
        new=new,
    )


def attach_commitment_letter(application: Application, data: bytes, filename: str, *, actor) -> Evidence:
    """Keep the signed letter; raises evidence.files.UploadRefused for a file that is not accepted."""
    _require_editable(application)
    evidence = store_upload(
        data,
        filename,
        outlet_id=application.outlet_id,
        actor=actor,
        purpose=EvidencePurpose.COMMITMENT,
        application_id=application.id,
    )
    record_upload(application, evidence, actor)
    return evidence


def record_upload(application: Application, evidence: Evidence, actor) -> None:
    record(
        "evidence_uploaded",
        actor=actor,
        subject_type="evidence",
        subject_id=evidence.id,
        application_id=application.id,
        outlet_id=application.outlet_id,
        field=evidence.purpose,
        new=evidence.filename,
    )


def commitment_letter_attached(application: Application) -> bool:
    return (
        db.session.scalar(
            select(Evidence.id).where(
                Evidence.application_id == application.id, Evidence.purpose == EvidencePurpose.COMMITMENT
            )
        )
        is not None
    )


def merge_by_template(messages) -> tuple[Message, ...]:
    """Say "1.4, 1.5, 2.1: no answer" once instead of once per item (messages with one `code`)."""
    merged: dict[str, list[Message]] = {}
    for message in messages:
        merged.setdefault(message.template, []).append(message)
    return tuple(
        group[0]
        if "code" not in group[0].params
        else Message(template, {"code": ", ".join(str(m.params["code"]) for m in group)})
        for template, group in merged.items()
    )


def submission_gaps(
    application: Application,
    *,
    assessments: dict[str, Assessment] | None = None,
    evidence_purposes: frozenset[str] | None = None,
) -> SubmissionGaps:
    """Everything that still stops this application from being submitted.

    As for application_facts, a page that has read the assessments (by kind) and the purposes of
    the application's files passes them, so they are not read again.
    """
    edition = pinned_edition(application.edition)
    answers = application.eligibility or {}
    eligibility = tuple(
        Message(N_("Declaration %(code)s is not affirmed."), {"code": declaration.code})
        for declaration in edition.eligibility
        if answers.get(declaration.code) is not True
    )
    self_assessment = assessment_of(application, AssessmentKind.SELF, loaded=assessments)
    if self_assessment is None:
        item_gaps = [Message(N_("The self-assessment has not been started."))]
    else:
        item_gaps = missing_for_sign_off(self_assessment, edition, application.outlet_id)
    attached = (
        commitment_letter_attached(application)
        if evidence_purposes is None
        else EvidencePurpose.COMMITMENT in evidence_purposes
    )
    commitment = () if attached else (Message(N_("The signed commitment letter is not uploaded.")),)
    level = ()
    if application.target_level == Level.CITY.value:
        refusal = city_level_refusal(application.outlet_id, edition)
        level = (refusal,) if refusal else ()
    return SubmissionGaps(eligibility, merge_by_template(item_gaps), commitment, level, len(item_gaps))
