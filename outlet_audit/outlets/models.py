from datetime import datetime

from sqlalchemy import JSON, CheckConstraint, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from outlet_audit.core.time import utcnow
from outlet_audit.extensions import db

# Brands offered in forms; the column is free text so a new brand needs no migration.
KNOWN_BRANDS = ("中国邮政", "顺丰", "京东", "中通", "圆通", "申通", "韵达", "极兔", "德邦", "菜鸟", "其他")

# Fields whose change on a verified outlet goes back to the district bureau.
# `has_packing_bench` decides which checklist items apply (an edition's `applies_to`), so a verified
# outlet cannot leave the packing items out by itself.
VERIFIED_FIELDS = ("name", "brand", "district_id", "address", "permit_number", "manager", "has_packing_bench")


def official_district_name(name_zh: str) -> str:
    """A district's full official name, as certificates and letters write it (黄浦区).

    The rows keep the short name people type and lists show (黄浦), except 浦东新区, whose short
    form is not in use: this one rule turns either into the official name.
    """
    return name_zh if name_zh.endswith("区") else f"{name_zh}区"


class District(db.Model):
    """One of Shanghai's 16 districts; reference data loaded by the first migration."""

    __tablename__ = "districts"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(2), unique=True)
    name_zh: Mapped[str] = mapped_column(String(20), unique=True)
    name_en: Mapped[str] = mapped_column(String(40))
    sort_order: Mapped[int]

    def name(self, locale: str) -> str:
        return self.name_en if locale.startswith("en") else self.name_zh

    @property
    def official_name_zh(self) -> str:
        return official_district_name(self.name_zh)

    def __repr__(self) -> str:
        return f"<District {self.code} {self.name_zh}>"


class Outlet(db.Model):
    """An express delivery outlet (快递网点) that may apply for zero-waste status."""

    __tablename__ = "outlets"
    __table_args__ = (
        CheckConstraint("length(name) > 0", name="name_not_empty"),
        CheckConstraint("length(permit_number) >= 6", name="permit_number_length"),
        Index("ix_outlets_district_verified", "district_id", "verified"),
        Index("ix_outlets_brand", "brand"),
        Index("ix_outlets_district_created", "district_id", "created_at"),  # dashboards
        Index("ix_outlets_district_brand_verified", "district_id", "brand", "verified"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    brand: Mapped[str] = mapped_column(String(50))
    district_id: Mapped[int] = mapped_column(ForeignKey("districts.id"))
    address: Mapped[str] = mapped_column(String(300))
    permit_number: Mapped[str] = mapped_column(String(40), unique=True)
    manager: Mapped[str] = mapped_column(String(50))
    phone: Mapped[str] = mapped_column(String(30))
    opening_hours: Mapped[str | None] = mapped_column(String(100))
    # Does the outlet pack parcels at a bench (封装台)? None: not stated, and then every item applies.
    has_packing_bench: Mapped[bool | None]
    verified: Mapped[bool] = mapped_column(default=False)
    verified_at: Mapped[datetime | None]
    # Profile changes to verified fields wait here until the district bureau accepts them.
    pending_changes: Mapped[dict | None] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    district: Mapped[District] = relationship(lazy="joined")

    def __repr__(self) -> str:
        return f"<Outlet {self.id} {self.permit_number}>"
