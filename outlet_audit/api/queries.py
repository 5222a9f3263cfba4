"""What the API reads: each list page in a fixed number of statements, whatever its size or depth.

Certificates: one statement for the page (outlet, district, issuer and replacement joined), one
more for the grounds of the revoked ones on it. Outlets: one for the page, one for their
certificates in force. Campaigns: one for the page, one for the counts of checks.
"""

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import and_, exists, func, select

from outlet_audit.accounts.organisations import Organisation
from outlet_audit.api.auth import Reader
from outlet_audit.api.paging import page_of
from outlet_audit.certificates.models import Certificate
from outlet_audit.certificates.queries import state_condition, valid_certificate_clause
from outlet_audit.certificates.resource import (
    CERTIFICATE_QUERY,
    CERTIFICATES,
    UPDATED_AT,
    certificate_resource,
    district_json,
)
from outlet_audit.certificates.state import CertificateState
from outlet_audit.criteria.editions import pinned_edition
from outlet_audit.criteria.stored import StoredEdition
from outlet_audit.extensions import db
from outlet_audit.outlets.models import Outlet
from outlet_audit.outlets.reference import all_districts
from outlet_audit.supervision.kinds import CampaignStatus, RevocationStatus
from outlet_audit.supervision.models import Campaign, RevocationCase, SupervisionCheck

_certificates = CERTIFICATES


def district_id_of(code: str | None) -> int | None:
    return next((d.id for d in all_districts() if d.code == code), None) if code else None


@dataclass(frozen=True)
class CertificateFilters:
    district_code: str | None = None
    level: str | None = None
    status: str | None = None
    updated_since: datetime | None = None


def certificate_page(reader: Reader, filters: CertificateFilters, after: int, limit: int, today: date):
    """A page of certificates: the public's are those in force (the directory's); a token's are those
    of its districts in every state."""
    query = CERTIFICATE_QUERY.where(_certificates.c.id > after)
    if reader.anonymous:
        query = query.where(valid_certificate_clause(today, _certificates))
    elif reader.district_id is not None:
        query = query.where(_certificates.c.district_id == reader.district_id)
    if filters.district_code:
        query = query.where(_certificates.c.district_id == district_id_of(filters.district_code))
    if filters.level:
        query = query.where(_certificates.c.level == filters.level)
    if filters.status:
        query = query.where(state_condition(CertificateState(filters.status), today))
    if filters.updated_since:
        query = query.where(filters.updated_since <= UPDATED_AT)
    rows = db.session.execute(query.order_by(_certificates.c.id).limit(limit + 1)).all()
    rows, next_cursor = page_of("certificates", rows, limit)
    return _with_revocations(rows, reader, today), next_cursor


def certificate_by_number(reader: Reader, number: str, today: date) -> dict | None:
    """One certificate as the verification page shows it, or more to a token within its districts
    (a token outside them finds nothing: None, as for a number that does not exist)."""
    row = db.session.execute(CERTIFICATE_QUERY.where(_certificates.c.number == number)).first()
    if row is None or (not reader.anonymous and not reader.reaches(row.district_id)):
        return None
    return _with_revocations([row], reader, today)[0]


def _with_revocations(rows, reader: Reader, today: date) -> list[dict]:
    revoked = [row.id for row in rows if row.state == "revoked"]
    revocations = _public_revocations(revoked) if revoked else {}
    return [certificate_json(row, reader, today, revocations) for row in rows]


def _public_revocations(certificate_ids: list[int]) -> dict[int, dict]:
    """What the public reads of each revocation decided in a case: the ground's label (from the
    certificate's own edition) and the organisation that decided. Revocations before cases have none."""
    rows = db.session.execute(
        select(
            RevocationCase.certificate_id,
            RevocationCase.ground,
            Organisation.name_zh,
            Organisation.name_en,
            StoredEdition,
        )
        .join(Organisation, Organisation.id == RevocationCase.organisation_id)
        .join(Certificate, Certificate.id == RevocationCase.certificate_id)
        .join(StoredEdition, StoredEdition.content_hash == Certificate.edition_hash)
        .where(
            RevocationCase.certificate_id.in_(certificate_ids),
            RevocationCase.status == RevocationStatus.REVOKED,
        )
    ).all()
    found = {}
    for certificate_id, code, name_zh, name_en, stored in rows:
        ground = pinned_edition(stored).supervision.ground(code)
        label = {"zh": ground.label.zh, "en": ground.label.en or ground.label.zh} if ground else None
        found[certificate_id] = {
            "reason": label or {"zh": code, "en": code},
            "by": {"zh": name_zh, "en": name_en},
        }
    return found


def certificate_json(row, reader: Reader, today: date, revocations: dict[int, dict]) -> dict:
    return certificate_resource(row, today, revocations, full=not reader.anonymous)


# --- outlets ---------------------------------------------------------------------------------


def _outlets_visible(reader: Reader, today: date):
    """The public sees outlets holding a certificate in force (the directory); a token every verified
    outlet of its districts, with the same public fields."""
    if reader.anonymous:
        return exists().where(
            _certificates.c.outlet_id == Outlet.id, valid_certificate_clause(today, _certificates)
        )
    condition = Outlet.verified.is_(True)
    if reader.district_id is not None:
        condition = and_(condition, Outlet.district_id == reader.district_id)
    return condition


_OUTLET_COLUMNS = (Outlet.id, Outlet.name, Outlet.address, Outlet.brand, Outlet.district_id)


def outlet_page(reader: Reader, district_code: str | None, after: int, limit: int, today: date):
    query = select(*_OUTLET_COLUMNS).where(Outlet.id > after, _outlets_visible(reader, today))
    if district_code:
        query = query.where(Outlet.district_id == district_id_of(district_code))
    rows = db.session.execute(query.order_by(Outlet.id).limit(limit + 1)).all()
    rows, next_cursor = page_of("outlets", rows, limit)
    return _outlets_json(rows, today), next_cursor


def outlet_by_id(reader: Reader, outlet_id: int, today: date) -> dict | None:
    row = db.session.execute(
        select(*_OUTLET_COLUMNS).where(Outlet.id == outlet_id, _outlets_visible(reader, today))
    ).first()
    return _outlets_json([row], today)[0] if row else None


def _outlets_json(rows, today: date) -> list[dict]:
    in_force = defaultdict(list)
    if rows:
        for certificate in db.session.execute(
            select(Certificate.outlet_id, Certificate.number, Certificate.level, Certificate.valid_until)
            .where(Certificate.outlet_id.in_([row.id for row in rows]), valid_certificate_clause(today))
            .order_by(Certificate.id)
        ):
            in_force[certificate.outlet_id].append(
                {
                    "number": certificate.number,
                    "level": certificate.level,
                    "valid_until": certificate.valid_until,
                }
            )
    return [
        {
            "id": row.id,
            "name": row.name,
            "address": row.address,
            "brand": row.brand,
            "district": district_json(row.district_id),
            "certificates_in_force": in_force[row.id],
        }
        for row in rows
    ]


# --- spot-check campaigns ----------------------------------------------------------------------
# Public once closed (一公开), to everyone alike: a token reads what /spot-checks shows, no more.

_CLOSED = Campaign.status == CampaignStatus.CLOSED


def campaign_page(after: int, limit: int):
    campaigns = list(
        db.session.scalars(
            select(Campaign).where(_CLOSED, Campaign.id > after).order_by(Campaign.id).limit(limit + 1)
        )
    )
    campaigns, next_cursor = page_of("campaigns", campaigns, limit)
    counts = {}
    if campaigns:
        counts = dict(
            db.session.execute(
                select(SupervisionCheck.campaign_id, func.count())
                .where(SupervisionCheck.campaign_id.in_([c.id for c in campaigns]))
                .group_by(SupervisionCheck.campaign_id)
            ).all()
        )
    return [campaign_json(c, counts.get(c.id, 0)) for c in campaigns], next_cursor


def closed_campaign(number: str) -> Campaign | None:
    return db.session.scalar(select(Campaign).where(_CLOSED, Campaign.number == number))


def campaign_json(campaign: Campaign, outlets_checked: int) -> dict:
    return {
        "number": campaign.number,
        "title": campaign.title,
        "districts": [district_json(district_id) for district_id in campaign.district_ids],
        "levels": list(campaign.levels),
        "brands": list(campaign.brands),
        "share_percent": campaign.share_percent,
        "per_district": campaign.per_district,
        "window_from": campaign.window_from,
        "window_until": campaign.window_until,
        "checklist": campaign.checklist,
        "recusal_months": campaign.recusal_months,
        "team_size": campaign.team_size,
        "quota_per_inspector": campaign.quota_per_inspector,
        "outlets_checked": outlets_checked,
    }


def published_checks_json(campaign: Campaign) -> list[dict]:
    """The outlets checked and each result, in the order of the checks, as /spot-checks/<number> shows."""
    rows = db.session.execute(
        select(Outlet.name, Certificate.number, SupervisionCheck.district_id, SupervisionCheck.status)
        .select_from(SupervisionCheck)
        .join(Certificate, Certificate.id == SupervisionCheck.certificate_id)
        .join(Outlet, Outlet.id == SupervisionCheck.outlet_id)
        .where(SupervisionCheck.campaign_id == campaign.id)
        .order_by(SupervisionCheck.id)
    )
    return [
        {
            "outlet_name": name,
            "certificate_number": number,
            "district": district_json(district_id),
            "result": status,
        }
        for name, number, district_id, status in rows
    ]
