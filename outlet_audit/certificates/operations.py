"""Issuing certificates when an application is approved, and reminding before expiry.

Expiry itself needs no job: it follows from the date (see `state.certificate_state`). Revoking
is the issuer's: `revocation`.
"""

import calendar
from datetime import date, timedelta

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from outlet_audit.accounts.organisations import organisation_for
from outlet_audit.accounts.queries import district_bureau_users, outlet_accounts
from outlet_audit.audit.models import AuditEvent
from outlet_audit.audit.operations import record
from outlet_audit.certificates.models import Certificate
from outlet_audit.certificates.numbering import certificate_number
from outlet_audit.certificates.queries import valid_certificate_clause
from outlet_audit.certificates.signing.documents import store_signed_document
from outlet_audit.certificates.signing.keys import signing_key
from outlet_audit.certificates.state import REMINDER_DAYS, StoredCertificateState, due_reminder
from outlet_audit.checklist.kinds import AssessmentKind
from outlet_audit.checklist.service import assessment_of
from outlet_audit.core.time import today_in_shanghai, utcnow
from outlet_audit.core.urls import path_for
from outlet_audit.criteria.editions import pinned_edition
from outlet_audit.extensions import db
from outlet_audit.notifications.operations import notify
from outlet_audit.roles import Agency
from outlet_audit.text import N_
from outlet_audit.webhooks.events import WebhookEvent
from outlet_audit.webhooks.payloads import certificate_subject
from outlet_audit.webhooks.publishing import announce_expiries, publish

MAX_NUMBER_ATTEMPTS = 5
REMINDER_AUDIT_ACTION = "certificate_expiry_reminder"


def add_months(start: date, months: int) -> date:
    """The same day `months` later, or the month's last day when that month is shorter."""
    month_index = start.month - 1 + months
    year, month = start.year + month_index // 12, month_index % 12 + 1
    return date(year, month, min(start.day, calendar.monthrange(year, month)[1]))


def issuing_bureau(level: str, district) -> str:
    """The name of the postal bureau that issues a certificate of `level` in `district` (its
    organisation's, accounts.organisations: the one place these names are kept)."""
    agency = Agency.CITY_POSTAL if level == "city" else Agency.DISTRICT_POSTAL
    return organisation_for(agency, district.id).name_zh


def _next_sequence(year: int, district_id: int, level: str) -> int:
    """One more than the highest sequence issued for the year, district and level.

    The sequence is the zero-padded last part of the number, so the highest number of the
    group is also the highest sequence: the database returns one row, not the whole year.
    """
    highest = db.session.scalar(
        select(func.max(Certificate.number)).where(
            Certificate.district_id == district_id,
            Certificate.level == level,
            func.extract("year", Certificate.issued_on) == year,
        )
    )
    return int(highest.rsplit("-", 1)[1]) + 1 if highest else 1


def issue_certificate(application, actor, *, issued_on: date | None = None) -> Certificate:
    """Issue the certificate for an approved application, signed, and supersede what it replaces.

    Its PDF is rendered once, signed with the issuer's key and kept (signing.documents). An
    issuer without a usable key refuses the issue (keys.SigningUnavailable, a Refused naming the
    organisation) before anything is written: a certificate is never issued unsigned, and signing
    later would leave a valid certificate without its document.
    """
    edition = pinned_edition(application.edition)
    level = application.granted_level
    rules = next(r for r in edition.levels if r.code == level)
    issued_on = issued_on or today_in_shanghai()
    inspection_score = _final_score(application)
    issuer = organisation_for(rules.issuer, application.district_id)
    key = signing_key(issuer)
    for _attempt in range(MAX_NUMBER_ATTEMPTS):
        sequence = _next_sequence(issued_on.year, application.district_id, level)
        certificate = Certificate(
            number=certificate_number(issued_on.year, application.district.code, level, sequence),
            application_id=application.id,
            outlet_id=application.outlet_id,
            district_id=application.district_id,
            level=level,
            score=inspection_score,
            edition_id=edition.id,
            edition_hash=edition.content_hash,
            issuing_bureau=issuer.name_zh,
            issuer_organisation_id=issuer.id,
            issued_on=issued_on,
            valid_until=add_months(issued_on, rules.certificate_validity_months),
        )
        try:
            with db.session.begin_nested():  # two approvals in one district at once: retry the number
                db.session.add(certificate)
        except IntegrityError:
            continue
        break
    else:
        raise RuntimeError("could not allocate a certificate number")
    _supersede_older(certificate, application)
    record(
        "certificate_issued",
        actor=actor,
        subject_type="certificate",
        subject_id=certificate.id,
        application_id=application.id,
        outlet_id=application.outlet_id,
        new=certificate.number,
    )
    store_signed_document(certificate, actor, key)
    publish(WebhookEvent.CERTIFICATE_ISSUED, certificate_subject(certificate))
    return certificate


def _final_score(application):
    inspection = assessment_of(application, AssessmentKind.INSPECTION)
    return inspection.final if inspection is not None and inspection.final is not None else 0


def _supersede_older(certificate: Certificate, application) -> None:
    """A renewal replaces the certificate it renews; a city certificate replaces a district one."""
    older = db.session.scalars(
        select(Certificate).where(
            Certificate.outlet_id == certificate.outlet_id,
            Certificate.state == StoredCertificateState.ACTIVE,
            Certificate.id != certificate.id,
        )
    )
    for old in older:
        replaced = old.id == application.renewal_of_id or (
            certificate.level == "city" and old.level == "district"
        )
        if replaced or old.level == certificate.level:
            old.state = StoredCertificateState.SUPERSEDED
            old.superseded_by_id = certificate.id
            record(
                "certificate_superseded",
                actor=None,
                subject_type="certificate",
                subject_id=old.id,
                outlet_id=old.outlet_id,
                old=old.number,
                new=certificate.number,
            )
            publish(WebhookEvent.CERTIFICATE_SUPERSEDED, certificate_subject(old))


def send_expiry_reminders(today: date) -> list[tuple[Certificate, int]]:
    """Remind the outlet's users and its district bureau of each certificate about to expire, and
    tell webhooks of those that have expired.

    Which reminders went out is read from the audit trail, so each is sent once however often
    the job runs; `expiry_reminder_sent_at` keeps the time of the last one.
    """
    announce_expiries(today)  # webhooks: certificate.expired, once each (the daily job's other half)
    horizon = today + timedelta(days=max(REMINDER_DAYS))
    candidates = db.session.scalars(
        select(Certificate)
        .where(
            valid_certificate_clause(today),
            Certificate.valid_until <= horizon,
        )
        .order_by(Certificate.valid_until, Certificate.id)
    ).all()
    if not candidates:
        return []
    sent: dict[int, set[int]] = {}
    for subject_id, days in db.session.execute(
        select(AuditEvent.subject_id, AuditEvent.field).where(
            AuditEvent.subject_type == "certificate",
            AuditEvent.action == REMINDER_AUDIT_ACTION,
            AuditEvent.subject_id.in_([c.id for c in candidates]),
        )
    ):
        sent.setdefault(subject_id, set()).add(int(days))
    reminded = []
    for certificate in candidates:
        days = due_reminder(certificate.valid_until, today, frozenset(sent.get(certificate.id, ())))
        if days is None:
            continue
        recipients = [
            *outlet_accounts(certificate.outlet_id),
            *district_bureau_users(certificate.district_id),
        ]
        notify(
            recipients,
            "certificate_expiry",
            N_("Certificate %(number)s of %(outlet)s expires on %(date)s; apply for renewal before then."),
            path_for("certificates.detail", certificate_id=certificate.id),
            number=certificate.number,
            outlet=certificate.outlet.name,
            date=certificate.valid_until.isoformat(),
        )
        certificate.expiry_reminder_sent_at = utcnow()
        record(
            REMINDER_AUDIT_ACTION,
            actor=None,
            subject_type="certificate",
            subject_id=certificate.id,
            outlet_id=certificate.outlet_id,
            field=str(days),
            new=certificate.valid_until.isoformat(),
        )
        reminded.append((certificate, days))
    db.session.flush()
    return reminded
