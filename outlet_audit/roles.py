"""Who uses outlet-audit. Pure: shared by the models, the access rules and the workflow."""

import enum


class Role(enum.StrEnum):
    OUTLET = "outlet"  # staff of one express outlet
    INSPECTOR = "inspector"  # assessor of one district bureau, visits outlets on site
    DISTRICT_BUREAU = "district_bureau"  # district postal administration office
    CITY_BUREAU = "city_bureau"  # Shanghai Postal Administration: sees every district
    ADMIN = "admin"  # system administrator: accounts and criteria editions


BUREAU_ROLES = frozenset({Role.DISTRICT_BUREAU, Role.CITY_BUREAU})
