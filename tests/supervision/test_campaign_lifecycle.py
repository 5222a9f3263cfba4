"""A spot-check campaign from the bureau's pages: planned (bad input comes back), drawn once from a
recorded seed (checks opened, teams told, refused when a district is short), closed, then public."""

import json
import re
from datetime import timedelta

import pytest
from sqlalchemy import select, update

from outlet_audit.audit.models import AuditEvent
from outlet_audit.core.time import today_in_shanghai, utcnow
from outlet_audit.core.urls import path_for
from outlet_audit.extensions import db
from outlet_audit.notifications.models import Notification
from outlet_audit.roles import Role
from outlet_audit.supervision.campaigns import close_campaign, draw_campaign, recorded_draw
from outlet_audit.supervision.draw import draw
from outlet_audit.supervision.kinds import CampaignStatus, CheckStatus
from outlet_audit.supervision.models import Campaign, SupervisionCheck
from tests.factories import login, make_user
from tests.supervision.campaign_world import certified_district, planned_campaign

pytestmark = pytest.mark.usefixtures("english_ui")


@pytest.fixture
def fx(ctx):
    return certified_district("FX", outlets=5, postal=4)


def form(district_id, **changes):
    today = today_in_shanghai()
    data = {
        "title": "Fengxian Q4 spot checks",
        "district_ids": [str(district_id)],
        "levels": ["district"],
        "sample_kind": "share",
        "sample_value": "40",
        "window_from": today.isoformat(),
        "window_until": (today + timedelta(days=30)).isoformat(),
        "checklist": "spot_check",
        "recusal_months": "12",
        "team_size": "2",
        "quota_per_inspector": "2",
    }
    data.update(changes)
    return data


def test_a_district_bureau_plans_a_campaign_of_its_district(client, fx):
    login(client, fx.bureau)
    response = client.post("/campaigns/new", data=form(fx.district.id))
    assert response.status_code == 302
    campaign = db.session.scalar(select(Campaign))
    assert (campaign.status, campaign.share_percent, campaign.per_district) == ("planned", 40, None)
    assert campaign.district_ids == [fx.district.id] and campaign.organisation_id == fx.bureau.organisation_id
    assert re.fullmatch(r"CJ-\d{4}-\d{5}", campaign.number)
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "campaign_created"))
    assert event.new_value == campaign.number
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Fengxian Q4 spot checks" in page and "Draw the outlets and teams" in page


@pytest.mark.parametrize(
    "changes, field",
    [
        ({"title": ""}, "title"),
        ({"sample_value": "0"}, "sample_value"),
        ({"sample_value": "101"}, "sample_value"),
        ({"sample_value": "many"}, "sample_value"),
        ({"window_until": "2000-01-01"}, "window_until"),
        ({"window_from": "not a day"}, "window_from"),
        ({"team_size": "9"}, "team_size"),
        ({"quota_per_inspector": "0"}, "quota_per_inspector"),
        ({"recusal_months": "61"}, "recusal_months"),
        ({"levels": ["county"]}, "levels"),
        ({"checklist": "some"}, "checklist"),
    ],
)
def test_bad_input_comes_back_with_errors_and_what_was_typed(client, fx, changes, field):
    login(client, fx.bureau)
    response = client.post(
        "/campaigns/new", data=form(fx.district.id, **{"title": "<b>typed</b> title", **changes})
    )
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert f'id="{field}-error"' in page
    if "title" not in changes:
        assert "&lt;b&gt;typed&lt;/b&gt; title" in page and "<b>typed</b>" not in page
    assert db.session.scalar(select(Campaign)) is None


def test_a_district_bureau_cannot_plan_for_another_district(client, fx):
    login(client, fx.bureau)
    qp = db.session.scalar(select(type(fx.district)).where(type(fx.district).code == "QP"))
    response = client.post("/campaigns/new", data=form(qp.id))
    assert response.status_code == 422 and db.session.scalar(select(Campaign)) is None


def test_the_city_bureau_plans_over_several_districts(client, fx):
    qp = certified_district("QP", outlets=2, postal=2)
    city = make_user(Role.CITY_BUREAU)
    login(client, city)
    data = form(fx.district.id)
    data["district_ids"] = [str(fx.district.id), str(qp.district.id)]
    assert client.post("/campaigns/new", data=data).status_code == 302
    assert db.session.scalar(select(Campaign)).district_ids == sorted([fx.district.id, qp.district.id])


def test_the_draw_opens_a_check_per_drawn_outlet_with_its_team(client, fx):
    campaign = planned_campaign(fx, per_district=3)
    login(client, fx.bureau)
    response = client.post(f"/campaigns/{campaign.id}/draw")
    assert response.status_code == 302
    db.session.refresh(campaign)
    assert campaign.status == CampaignStatus.DRAWN and re.fullmatch(r"[0-9a-f]{64}", campaign.seed)
    assert campaign.drawn_by_id == fx.bureau.id and campaign.drawn_at is not None
    checks = campaign.checks
    assert len(checks) == 3 and {c.purpose for c in checks} == {"spot_check"}
    assert {c.due_by for c in checks} == {campaign.window_until} and {c.checklist for c in checks} == {
        "spot_check"
    }
    # The recorded checks are what the pure draw gives from the recorded seed and inputs.
    drawn = draw(campaign.seed, campaign.inputs)
    assert recorded_draw(campaign) == {one.certificate_number: one.team for one in drawn}
    # The inputs name the district's eligible certificates in number order and its pool by id.
    (district,) = campaign.inputs["districts"]
    assert [c["number"] for c in district["certificates"]] == sorted(c.number for c in fx.certificates)
    told = db.session.scalars(
        select(Notification.user_id).where(Notification.kind == "supervision_check")
    ).all()
    assert sorted(told) == sorted(i for one in drawn for i in one.team)
    links = set(db.session.scalars(select(Notification.link).where(Notification.kind == "supervision_check")))
    assert links == {path_for("checklist.edit", assessment_id=c.assessment_id) for c in checks}
    assert db.session.scalar(select(AuditEvent).where(AuditEvent.action == "campaign_drawn")).field == "3"
    page = client.get(f"/campaigns/{campaign.id}").get_data(as_text=True)
    assert campaign.seed in page and "Draw the outlets and teams" not in page


def test_a_campaign_is_drawn_once(fx):
    campaign = planned_campaign(fx)
    draw_campaign(campaign, actor=fx.bureau)
    with pytest.raises(Exception, match="drawn already"):
        draw_campaign(campaign, actor=fx.bureau)


def test_recused_inspectors_are_not_drawn(fx):
    campaign = planned_campaign(fx, per_district=5, quota_per_inspector=3)
    draw_campaign(campaign, actor=fx.bureau)
    recused = campaign.inputs["recused"]
    assert recused, "the certifying inspector visited every outlet"
    for number, team in recorded_draw(campaign).items():
        assert not set(team) & set(recused.get(number, ()))


def test_a_draw_short_of_inspectors_is_refused_naming_the_district(client, ctx):
    world = certified_district("JD", outlets=3, postal=1)
    campaign = planned_campaign(world, per_district=3, team_size=2)
    login(client, world.bureau)
    response = client.post(f"/campaigns/{campaign.id}/draw")
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert "Jiading cannot field a team for certificate" in page
    db.session.refresh(campaign)
    assert campaign.status == CampaignStatus.PLANNED and campaign.seed is None and campaign.checks == []


def test_only_the_running_bureau_draws(client, fx):
    campaign = planned_campaign(fx)
    city = make_user(Role.CITY_BUREAU)
    login(client, city)
    response = client.post(f"/campaigns/{campaign.id}/draw")
    assert response.status_code == 422 and "Only the bureau that runs this campaign" in response.get_data(
        as_text=True
    )


def conclude_all(campaign):
    db.session.execute(
        update(SupervisionCheck)
        .where(SupervisionCheck.campaign_id == campaign.id)
        .values(status=CheckStatus.PASSED.value, concluded_at=utcnow())
    )
    db.session.expire_all()


def test_closing_waits_for_the_checks_or_the_end_of_the_window(client, fx):
    campaign = planned_campaign(fx)
    draw_campaign(campaign, actor=fx.bureau)
    login(client, fx.bureau)
    refused = client.post(f"/campaigns/{campaign.id}/close")
    assert refused.status_code == 422 and "closes once every check is concluded" in refused.get_data(
        as_text=True
    )
    assert client.get(f"/spot-checks/{campaign.number}").status_code == 404  # not public before closing
    conclude_all(campaign)
    assert client.post(f"/campaigns/{campaign.id}/close").status_code == 302
    db.session.refresh(campaign)
    assert campaign.status == CampaignStatus.CLOSED and campaign.closed_by_id == fx.bureau.id
    assert db.session.scalar(select(AuditEvent).where(AuditEvent.action == "campaign_closed")) is not None


def test_the_published_list_is_the_drawn_list(client, fx):
    campaign = planned_campaign(fx, per_district=3, title="<script>alert(1)</script> 抽查")
    assert client.get("/spot-checks").status_code == 200
    assert client.get(f"/spot-checks/{campaign.number}").status_code == 404  # planned: not public
    draw_campaign(campaign, actor=fx.bureau)
    assert client.get(f"/spot-checks/{campaign.number}/draw.json").status_code == 404  # drawn: not yet
    conclude_all(campaign)
    close_campaign(campaign, actor=fx.bureau)
    listing = client.get("/spot-checks").get_data(as_text=True)
    assert campaign.number in listing and "<script>alert(1)</script>" not in listing
    page = client.get(f"/spot-checks/{campaign.number}").get_data(as_text=True)
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page and "<script>alert(1)" not in page
    published = re.findall(r'<tr data-certificate="([^"]+)">', page)
    drawn = [one.certificate_number for one in draw(campaign.seed, campaign.inputs)]
    assert sorted(published) == sorted(drawn) and len(published) == 3
    assert "Passed the check" in page and campaign.seed in page
    for certificate in fx.certificates:
        if certificate.number in published:
            assert certificate.outlet.name in page
    download = client.get(f"/spot-checks/{campaign.number}/draw.json")
    assert download.mimetype == "application/json" and "attachment" in download.headers["Content-Disposition"]
    body = json.loads(download.get_data(as_text=True))
    assert body == {"campaign": campaign.number, "seed": campaign.seed, "inputs": campaign.inputs}
    assert [one.certificate_number for one in draw(body["seed"], body["inputs"])] == drawn


def test_the_home_page_leads_to_the_public_results(client, ctx):
    assert 'href="/spot-checks"' in client.get("/").get_data(as_text=True)
