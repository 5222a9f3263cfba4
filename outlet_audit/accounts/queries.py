"""Who is told: the district bureau of a district, the city bureau, the people of an outlet.

The one place these are asked for: every feature's notices (workflow, certificates, outlets,
accounts) reach people through these queries.
"""

from sqlalchemy import select

from outlet_audit.accounts.models import User
from outlet_audit.extensions import db
from outlet_audit.roles import Role


def district_bureau_users(district_id: int) -> list[User]:
    query = select(User).where(
        User.role == Role.DISTRICT_BUREAU, User.district_id == district_id, User.active.is_(True)
    )
    return list(db.session.scalars(query.order_by(User.id)))


def outlet_accounts(outlet_id: int, *, active_only: bool = True) -> list[User]:
    """The accounts of one outlet, oldest first."""
    query = select(User).where(User.outlet_id == outlet_id)
    if active_only:
        query = query.where(User.active.is_(True))
    return list(db.session.scalars(query.order_by(User.id)))


def city_bureau_users() -> list[User]:
    query = select(User).where(User.role == Role.CITY_BUREAU, User.active.is_(True))
    return list(db.session.scalars(query.order_by(User.id)))
