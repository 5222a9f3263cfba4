"""A district with certified outlets and an inspector pool, for the spot-check campaign tests."""

from datetime import timedelta
from types import SimpleNamespace

from outlet_audit.core.time import today_in_shanghai
from outlet_audit.roles import Agency, Role
from outlet_audit.supervision.campaigns import CampaignPlan, create_campaign
from outlet_audit.supervision.kinds import CampaignChecklist
from tests.factories import certify, district, make_outlet, make_user


def certified_district(
    code: str = "FX", *, outlets: int = 4, postal: int = 4, ecology: int = 0, level="district"
):
    """`outlets` certified outlets of `code` and a pool of fresh inspectors (the one who certified
    them visited them all and is recused)."""
    certificates = [certify(make_outlet(code), level) for _ in range(outlets)]
    pool = [make_user(Role.INSPECTOR, district_code=code) for _ in range(postal)]
    pool += [
        make_user(Role.INSPECTOR, district_code=code, agency=Agency.DISTRICT_ECOLOGY) for _ in range(ecology)
    ]
    bureau = make_user(Role.DISTRICT_BUREAU, district_code=code)
    return SimpleNamespace(certificates=certificates, pool=pool, bureau=bureau, district=district(code))


def plan(district_ids, **changes) -> CampaignPlan:
    today = today_in_shanghai()
    values = {
        "title": "2026 年第四季度双随机抽查",
        "district_ids": tuple(district_ids),
        "levels": ("district", "city"),
        "brands": (),
        "share_percent": None,
        "per_district": 2,
        "window_from": today,
        "window_until": today + timedelta(days=30),
        "checklist": CampaignChecklist.SPOT_CHECK,
        "recusal_months": 12,
        "team_size": 2,
        "quota_per_inspector": 2,
    }
    values.update(changes)
    return CampaignPlan(**values)


def planned_campaign(world, **changes):
    return create_campaign(plan([world.district.id], **changes), actor=world.bureau)
