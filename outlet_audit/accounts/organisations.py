"""The organisations staff belong to: each district's postal bureau and ecology and environment
bureau, the city postal bureau and the city ecology bureau (reference data, loaded by migration
0012). An organisation's agency says what its staff may do in an edition's approval steps and
inspection teams; its district (none for the city's) says how far they reach.
"""

from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, select, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from outlet_audit.core.time import utcnow
from outlet_audit.extensions import db, sql_values
from outlet_audit.outlets.models import District
from outlet_audit.roles import AGENCY_BUREAU_ROLE, Agency, Role

AGENCIES = tuple(agency.value for agency in Agency)
DISTRICT_AGENCIES = tuple(agency.value for agency in Agency if agency.district_tier)


class Organisation(db.Model):
    __tablename__ = "organisations"
    __table_args__ = (
        CheckConstraint(f"agency IN ({sql_values(AGENCIES)})", name="agency_known"),
        CheckConstraint(
            f"(agency IN ({sql_values(DISTRICT_AGENCIES)})) = (district_id IS NOT NULL)",
            name="district_matches_agency",
        ),
        # one organisation per agency and district; the city's (no district) one per agency too
        Index("ux_organisations_agency_district", "agency", "district_id", unique=True),
        Index(
            "ux_organisations_city_agency",
            "agency",
            unique=True,
            sqlite_where=text("district_id IS NULL"),
            postgresql_where=text("district_id IS NULL"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    agency: Mapped[str] = mapped_column(String(20))
    district_id: Mapped[int | None] = mapped_column(ForeignKey("districts.id"))
    # Stable short name for configuration and files (its signing key, for one): "FX-postal", "SH-postal".
    code: Mapped[str] = mapped_column(String(20), unique=True)
    name_zh: Mapped[str] = mapped_column(String(100), unique=True)
    name_en: Mapped[str] = mapped_column(String(150))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    district: Mapped[District | None] = relationship(lazy="joined")

    @property
    def kind(self) -> Agency:
        return Agency(self.agency)

    def name(self, locale: str) -> str:
        return self.name_en if locale.startswith("en") else self.name_zh

    def admits_role(self, role: Role) -> bool:
        """Inspectors belong to a district's bureau; bureau staff to a bureau of their tier."""
        if role == Role.INSPECTOR:
            return self.kind.district_tier
        return AGENCY_BUREAU_ROLE[self.kind] == role

    def __repr__(self) -> str:
        return f"<Organisation {self.agency} {self.name_zh}>"


def organisation_for(agency: Agency, district_id: int | None) -> Organisation | None:
    """The organisation of `agency` for the district (a city agency's ignores the district)."""
    query = select(Organisation).where(Organisation.agency == agency.value)
    if agency.district_tier:
        query = query.where(Organisation.district_id == district_id)
    return db.session.scalar(query)


def home_organisation(role: Role, district_id: int | None) -> Organisation | None:
    """The postal bureau a staff account belongs to unless it is placed elsewhere."""
    if role == Role.CITY_BUREAU:
        return organisation_for(Agency.CITY_POSTAL, None)
    if role in (Role.INSPECTOR, Role.DISTRICT_BUREAU):
        return organisation_for(Agency.DISTRICT_POSTAL, district_id)
    return None


def all_organisations() -> list[Organisation]:
    """Every organisation, the city's first, then district by district (postal before ecology)."""
    return list(
        db.session.scalars(
            select(Organisation)
            .outerjoin(District, District.id == Organisation.district_id)
            .order_by(District.sort_order.nulls_first(), Organisation.agency.desc())
        )
    )
