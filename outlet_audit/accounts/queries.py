"""Who is told: a district's postal bureau, the city bureau, an agency's staff, the people of an outlet.

The one place these are asked for: every feature's notices (workflow, certificates, outlets,
accounts) reach people through these queries.
"""

from sqlalchemy import select

from outlet_audit.accounts.models import User
from outlet_audit.accounts.organisations import Organisation
from outlet_audit.extensions import db
from outlet_audit.roles import AGENCY_BUREAU_ROLE, Agency


def agency_users(agency: Agency, district_id: int | None = None) -> list[User]:
    """The active bureau staff of an agency: of the district's organisation, or the city's."""
    query = (
        select(User)
        .join(Organisation, Organisation.id == User.organisation_id)
        .where(
            Organisation.agency == agency.value,
            User.role == AGENCY_BUREAU_ROLE[agency],
            User.active.is_(True),
        )
    )
    if agency.district_tier:
        query = query.where(Organisation.district_id == district_id)
    return list(db.session.scalars(query.order_by(User.id)))


def district_bureau_users(district_id: int) -> list[User]:
    """The district postal bureau's staff, who receive and run the outlets' applications."""
    return agency_users(Agency.DISTRICT_POSTAL, district_id)


def outlet_accounts(outlet_id: int, *, active_only: bool = True) -> list[User]:
    """The accounts of one outlet, oldest first."""
    query = select(User).where(User.outlet_id == outlet_id)
    if active_only:
        query = query.where(User.active.is_(True))
    return list(db.session.scalars(query.order_by(User.id)))


def city_bureau_users() -> list[User]:
    """The city postal bureau's staff."""
    return agency_users(Agency.CITY_POSTAL)
