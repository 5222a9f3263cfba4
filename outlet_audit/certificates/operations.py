"""Issuing certificates when an application is approved. Expiry needs no job: it follows from the date."""

import calendar
from datetime import date

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from outlet_audit.audit.operations import record
from outlet_audit.certificates.models import Certificate
from outlet_audit.certificates.numbering import certificate_number
from outlet_audit.core.time import today_in_shanghai
from outlet_audit.criteria.editions import pinned_edition
from outlet_audit.extensions import db

CITY_BUREAU_NAME = "上海市邮政管理局"
MAX_NUMBER_ATTEMPTS = 5


def add_months(start: date, months: int) -> date:
    """The same day `months` later, or the month's last day when that month is shorter."""
    month_index = start.month - 1 + months
    year, month = start.year + month_index // 12, month_index % 12 + 1
    return date(year, month, min(start.day, calendar.monthrange(year, month)[1]))


def issuing_bureau(level: str, district) -> str:
    if level == "city":
        return CITY_BUREAU_NAME
    name = district.name_zh if district.name_zh.endswith("区") else f"{district.name_zh}区"
    return f"上海市{name}邮政管理局"


def _next_sequence(year: int, district_id: int, level: str) -> int:
    numbers = db.session.scalars(
        select(Certificate.number).where(
            Certificate.district_id == district_id,
            Certificate.level == level,
            func.extract("year", Certificate.issued_on) == year,
        )
    )
    return max((int(number.rsplit("-", 1)[1]) for number in numbers), default=0) + 1


def issue_certificate(application, actor, *, issued_on: date | None = None) -> Certificate:
    """Issue the certificate for an approved application and supersede what it replaces."""
    edition = pinned_edition(application.edition)
    level = application.granted_level
    rules = next(r for r in edition.levels if r.code == level)
    issued_on = issued_on or today_in_shanghai()
    inspection_score = _final_score(application)
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
            issuing_bureau=issuing_bureau(level, application.district),
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
    return certificate


def _final_score(application):
    from outlet_audit.workflow.operations import inspection_of

    inspection = inspection_of(application)
    return inspection.final if inspection is not None and inspection.final is not None else 0


def _supersede_older(certificate: Certificate, application) -> None:
    """A renewal replaces the certificate it renews; a city certificate replaces a district one."""
    older = db.session.scalars(
        select(Certificate).where(
            Certificate.outlet_id == certificate.outlet_id,
            Certificate.state == "active",
            Certificate.id != certificate.id,
        )
    )
    for old in older:
        replaced = old.id == application.renewal_of_id or (
            certificate.level == "city" and old.level == "district"
        )
        if replaced or old.level == certificate.level:
            old.state = "superseded"
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
