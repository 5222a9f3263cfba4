"""Reference data every page names: Shanghai's districts and the brands in use, read rarely.

The sixteen districts are written by the first migration and never edited by the application,
yet lists, filters and forms name them on almost every page: each worker reads them once (per
application instance) and again only when asked about an id it does not know. The brands
filter lists the known brands and any other brand stored (older data); that list is read again
after BRANDS_SECONDS, since a scan of every outlet per page would grow with the city.
"""

import time
from dataclasses import dataclass

from flask import current_app
from sqlalchemy import select

from outlet_audit.extensions import db
from outlet_audit.outlets.models import KNOWN_BRANDS, District, Outlet, official_district_name

_KEY = "outlet_audit.districts"
_BRANDS_KEY = "outlet_audit.brands"
BRANDS_SECONDS = 300


@dataclass(frozen=True)
class DistrictName:
    id: int
    code: str
    name_zh: str
    name_en: str

    def name(self, locale: str) -> str:
        return self.name_en if locale.startswith("en") else self.name_zh

    @property
    def official_name_zh(self) -> str:
        return official_district_name(self.name_zh)


def _read() -> tuple[DistrictName, ...]:
    rows = db.session.execute(
        select(District.id, District.code, District.name_zh, District.name_en).order_by(District.sort_order)
    )
    return tuple(DistrictName(*row) for row in rows)


def all_districts() -> tuple[DistrictName, ...]:
    """Every district in the official order."""
    known = current_app.extensions.get(_KEY)
    if known is None:
        known = current_app.extensions[_KEY] = _read()
    return known


def district_by_id(district_id: int) -> DistrictName | None:
    """A district by its id (None for an id that does not exist)."""
    for district in all_districts():
        if district.id == district_id:
            return district
    current_app.extensions[_KEY] = _read()  # a district added since: read again once
    return next((d for d in all_districts() if d.id == district_id), None)


def district_name(district_id: int, locale: str) -> str:
    """A district's name in the reader's language ('' for an id that does not exist)."""
    district = district_by_id(district_id)
    return district.name(locale) if district else ""


def brands_in_use() -> list[str]:
    """The known brands and any other brand an outlet has, sorted (re-read every BRANDS_SECONDS)."""
    read_at, brands = current_app.extensions.get(_BRANDS_KEY, (None, None))
    now = time.monotonic()
    if read_at is None or now - read_at > BRANDS_SECONDS:
        stored = db.session.scalars(select(Outlet.brand).distinct())
        brands = sorted(set(KNOWN_BRANDS) | set(stored))
        current_app.extensions[_BRANDS_KEY] = (now, brands)
    return brands
