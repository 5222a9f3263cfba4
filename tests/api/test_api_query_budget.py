"""Outlets and campaigns lists cost the same number of statements with few or many rows, on the
first page or a later one (certificates: test_api_certificates.py)."""

import pytest

from outlet_audit.core.time import utcnow
from outlet_audit.extensions import db
from outlet_audit.roles import Role
from outlet_audit.supervision.campaigns import create_campaign
from tests.api.helpers import bearer, make_token
from tests.conftest import counted_statements
from tests.factories import district, make_outlet, make_user
from tests.supervision.campaign_world import plan


def more_outlets(count: int) -> None:
    for _ in range(count):
        make_outlet("FX")


def more_closed_campaigns(count: int) -> None:
    """Closed campaign rows without checks: what the list reads (the draw is not its business)."""
    bureau = make_user(Role.DISTRICT_BUREAU, district_code="FX")
    for n in range(count):
        campaign = create_campaign(plan([district("FX").id], title=f"抽查 {n}"), actor=bureau)
        campaign.status, campaign.seed, campaign.inputs = "closed", "ab" * 32, {"districts": []}
        campaign.drawn_at = campaign.closed_at = utcnow()
        campaign.drawn_by_id = campaign.closed_by_id = bureau.id
    db.session.flush()


def statements(client, url, headers) -> int:
    with counted_statements(savepoints=False) as counted:
        assert client.get(url, headers=headers).status_code == 200
    return len(counted)


@pytest.mark.parametrize(
    "url, add", [("/api/v1/outlets", more_outlets), ("/api/v1/campaigns", more_closed_campaigns)]
)
def test_a_list_costs_the_same_with_more_rows_and_on_later_pages(client, ctx, url, add):
    headers = bearer(make_token("FX"))
    add(3)
    client.get(url, headers=headers)  # the token's last use written (once a minute)
    cursor = client.get(f"{url}?limit=2", headers=headers).get_json()["next"]
    few = [
        statements(client, f"{url}?limit=2", headers),
        statements(client, f"{url}?limit=2&after={cursor}", headers),
    ]
    add(20)
    many = [
        statements(client, f"{url}?limit=200", headers),
        statements(client, f"{url}?limit=2&after={cursor}", headers),
    ]
    # The token, the page, and one statement for the page's certificates in force or check counts.
    assert few == many == [3, 3], (few, many)
