"""Who reaches each spot-check campaign route: anonymous, an outlet, an inspector, the running
district bureau, another district's bureau, the district's ecology bureau, the city postal bureau
and the city ecology bureau. Reading is the bureaus' (the ecology bureaus' too, jointly), acting
the running postal bureau's; the public pages show closed campaigns only."""

from types import SimpleNamespace

import pytest

from outlet_audit.core.time import utcnow
from outlet_audit.extensions import db
from outlet_audit.roles import Agency, Role
from outlet_audit.supervision.campaigns import create_campaign
from tests.factories import district, login, make_outlet, make_user
from tests.supervision.campaign_world import plan

CALLERS = ("anonymous", "outlet", "inspector", "own", "other", "ecology", "city", "city_ecology")


@pytest.fixture
def world(ctx):
    fx = district("FX")
    callers = {
        "outlet": make_user(Role.OUTLET, outlet=make_outlet("FX")),
        "inspector": make_user(Role.INSPECTOR, district_code="FX"),
        "own": make_user(Role.DISTRICT_BUREAU, district_code="FX"),
        "other": make_user(Role.DISTRICT_BUREAU, district_code="QP"),
        "ecology": make_user(Role.DISTRICT_BUREAU, district_code="FX", agency=Agency.DISTRICT_ECOLOGY),
        "city": make_user(Role.CITY_BUREAU),
        "city_ecology": make_user(Role.CITY_BUREAU, agency=Agency.CITY_ECOLOGY),
    }
    planned = create_campaign(plan([fx.id], title="计划中"), actor=callers["own"])
    closed = create_campaign(plan([fx.id], title="已公开"), actor=callers["own"])
    closed.status, closed.seed, closed.inputs = "closed", "cd" * 32, {"districts": []}
    closed.drawn_at = closed.closed_at = utcnow()
    closed.drawn_by_id = closed.closed_by_id = callers["own"].id
    db.session.flush()
    return SimpleNamespace(callers=callers, planned=planned, closed=closed)


# caller → expected status, in CALLERS order
ROUTES = {
    ("GET", "/campaigns"): (302, 403, 403, 200, 200, 200, 200, 200),
    ("GET", "/campaigns/new"): (302, 403, 403, 200, 200, 403, 200, 403),
    ("GET", "/campaigns/{planned}"): (302, 403, 403, 200, 404, 200, 200, 200),
    # the running bureau draws (nothing is certified here: refused with the reason, 422); the city
    # bureau reaches it but does not run it: refused with a reason too
    ("POST", "/campaigns/{planned}/draw"): (302, 403, 403, 422, 404, 403, 422, 403),
    ("POST", "/campaigns/{planned}/close"): (302, 403, 403, 422, 404, 403, 422, 403),
    ("POST", "/campaigns/new"): (302, 403, 403, 422, 422, 403, 422, 403),
    ("GET", "/spot-checks"): (200,) * 8,
    ("GET", "/spot-checks/{closed_number}"): (200,) * 8,
    ("GET", "/spot-checks/{closed_number}/draw.json"): (200,) * 8,
    ("GET", "/spot-checks/{planned_number}"): (404,) * 8,
    ("GET", "/spot-checks/{planned_number}/draw.json"): (404,) * 8,
}


@pytest.mark.parametrize("route", list(ROUTES), ids=lambda r: f"{r[0]} {r[1]}")
def test_who_reaches_each_campaign_route(app, world, route):
    method, pattern = route
    url = pattern.format(
        planned=world.planned.id, planned_number=world.planned.number, closed_number=world.closed.number
    )
    got = []
    for caller in CALLERS:
        client = app.test_client()
        if caller != "anonymous":
            login(client, world.callers[caller])
        got.append(client.open(url, method=method, data={}).status_code)
    assert dict(zip(CALLERS, got, strict=True)) == dict(zip(CALLERS, ROUTES[route], strict=True))


def test_a_district_bureau_lists_only_campaigns_of_its_district(client, world):
    login(client, world.callers["other"])
    assert world.planned.number not in client.get("/campaigns").get_data(as_text=True)
    login(client, world.callers["ecology"])
    assert world.planned.number in client.get("/campaigns").get_data(as_text=True)


def test_the_ecology_bureau_reads_but_is_not_offered_the_acts(client, world):
    login(client, world.callers["ecology"])
    page = client.get(f"/campaigns/{world.planned.id}").get_data(as_text=True)
    assert "计划中" in page and f"/campaigns/{world.planned.id}/draw" not in page
    assert "/campaigns/new" not in client.get("/campaigns").get_data(as_text=True)
