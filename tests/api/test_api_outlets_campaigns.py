"""/api/v1/outlets and /api/v1/campaigns: public fields only; the public reads the outlets the
directory shows and the campaigns /spot-checks publishes, a token its district's verified outlets."""

import json
import re

import pytest
from sqlalchemy import update

from outlet_audit.core.time import utcnow
from outlet_audit.extensions import db
from outlet_audit.supervision.campaigns import close_campaign, draw_campaign
from outlet_audit.supervision.kinds import CheckStatus
from outlet_audit.supervision.models import SupervisionCheck
from tests.api.helpers import bearer, make_token, walk
from tests.factories import certify, make_outlet
from tests.supervision.campaign_world import certified_district, planned_campaign

PRIVATE = {"manager": "王秘密", "phone": "13912345678", "permit_number": "SH-KD-PRIVATE-7788"}


def shared_rows():
    """Fengxian: three certified outlets (a closed campaign checked two, a planned one none), a
    verified outlet without a certificate and an unverified one; Qingpu: a certified outlet."""
    fx = certified_district("FX", outlets=3)
    closed = planned_campaign(fx, per_district=2, title="2026 年第四季度双随机抽查")
    draw_campaign(closed, actor=fx.bureau)
    db.session.execute(
        update(SupervisionCheck)
        .where(SupervisionCheck.campaign_id == closed.id)
        .values(status=CheckStatus.PASSED.value, concluded_at=utcnow())
    )
    db.session.expire_all()
    close_campaign(closed, actor=fx.bureau)
    planned = planned_campaign(fx, title="未公开的抽查")
    return {
        "certified": [c.outlet_id for c in fx.certificates],
        "private": certify(make_outlet("FX", name="奉贤私密网点", **PRIVATE)).outlet_id,
        "uncertified": make_outlet("FX").id,
        "unverified": make_outlet("FX", verified=False).id,
        "qingpu": certify(make_outlet("QP")).outlet_id,
        "closed": closed.number,
        "planned": planned.number,
    }


@pytest.fixture
def rows(module_rows):
    return module_rows[1]


def ids(items) -> set[int]:
    return {item["id"] for item in items}


def test_the_public_reads_the_outlets_the_directory_shows(client, ctx, rows):
    items = walk(client, "/api/v1/outlets?limit=2")
    certified = {*rows["certified"], rows["private"], rows["qingpu"]}
    assert ids(items) == certified
    directory = client.get("/directory").get_data(as_text=True)
    for item in items:
        assert item["name"] in directory and f">{item['address']}<" in directory
        assert all(certificate["number"] in directory for certificate in item["certificates_in_force"])
    assert ids(walk(client, "/api/v1/outlets?district=QP")) == {rows["qingpu"]}
    for hidden in ("uncertified", "unverified"):
        assert client.get(f"/api/v1/outlets/{rows[hidden]}").status_code == 404


def test_no_private_detail_of_an_outlet_is_read(client, ctx, rows):
    token = make_token("FX")
    for headers in ({}, bearer(token)):
        body = json.dumps(
            client.get(f"/api/v1/outlets/{rows['private']}", headers=headers).get_json(), ensure_ascii=False
        )
        assert "奉贤私密网点" in body and not any(secret in body for secret in PRIVATE.values())


def test_a_token_reads_every_verified_outlet_of_its_district(client, ctx, rows):
    token = make_token("FX", ["outlets:read"])
    items = walk(client, "/api/v1/outlets?limit=3", bearer(token))
    assert {*rows["certified"], rows["private"], rows["uncertified"]} <= ids(items)
    assert rows["unverified"] not in ids(items) and rows["qingpu"] not in ids(items)
    uncertified = client.get(f"/api/v1/outlets/{rows['uncertified']}", headers=bearer(token)).get_json()
    assert uncertified["certificates_in_force"] == [] and uncertified["district"]["code"] == "FX"
    assert client.get(f"/api/v1/outlets/{rows['qingpu']}", headers=bearer(token)).status_code == 404
    assert client.get("/api/v1/outlets/2147483648", headers=bearer(token)).status_code == 404


def test_a_token_needs_the_resources_scope(client, ctx, rows):
    token = make_token("FX", ["certificates:read"])
    for url in ("/api/v1/outlets", f"/api/v1/outlets/{rows['qingpu']}", "/api/v1/campaigns"):
        response = client.get(url, headers=bearer(token))
        assert response.status_code == 403 and response.get_json()["status"] == "forbidden", url


def test_campaigns_are_read_as_spot_checks_publishes_them(client, ctx, rows):
    token = make_token(
        "QP", ["campaigns:read"]
    )  # a campaign is public: another district's token reads it too
    for headers in ({}, bearer(token)):
        listed = client.get("/api/v1/campaigns", headers=headers).get_json()
        assert [c["number"] for c in listed["items"]] == [rows["closed"]] and listed["next"] is None
        assert listed["items"][0]["outlets_checked"] == 2
        assert client.get(f"/api/v1/campaigns/{rows['planned']}", headers=headers).status_code == 404
    campaign = client.get(f"/api/v1/campaigns/{rows['closed']}").get_json()
    page = client.get(f"/spot-checks/{rows['closed']}").get_data(as_text=True)
    assert campaign["title"] in page and f"data-seed>{campaign['seed']}<" in page
    published = re.findall(r'<tr data-certificate="([^"]+)">\s*<td class="text-break">([^<]+)</td>', page)
    assert [(c["certificate_number"], c["outlet_name"]) for c in campaign["checks"]] == published
    assert {c["result"] for c in campaign["checks"]} == {"passed"}
    assert campaign["draw_file"].endswith(f"/spot-checks/{rows['closed']}/draw.json")
    assert [d["name_zh"] for d in campaign["districts"]] == ["奉贤区"]
    listing = client.get("/spot-checks").get_data(as_text=True)
    assert rows["closed"] in listing and rows["planned"] not in listing
