"""`flask supervision redraw --check NUMBER`: identical when the recorded checks are the draw's, and
the differences named, with a non-zero exit, when a check row was altered."""

import pytest
from sqlalchemy import delete, insert, select, update

from outlet_audit.checklist.models import visit_inspectors
from outlet_audit.extensions import db
from outlet_audit.supervision.campaigns import draw_campaign
from outlet_audit.supervision.models import SupervisionCheck
from tests.supervision.campaign_world import certified_district, planned_campaign


@pytest.fixture
def drawn(ctx):
    world = certified_district("FX", outlets=5, postal=4)
    campaign = planned_campaign(world, per_district=3)
    draw_campaign(campaign, actor=world.bureau)
    return world, campaign


def redraw(app, number):
    return app.test_cli_runner().invoke(args=["supervision", "redraw", "--check", number])


def test_the_recorded_draw_is_identical(app, drawn):
    _world, campaign = drawn
    result = redraw(app, campaign.number)
    assert result.exit_code == 0, result.output
    assert "identical" in result.output and "3 outlets" in result.output


def test_a_team_member_swapped_is_named(app, drawn):
    world, campaign = drawn
    check = campaign.checks[0]
    members = db.session.scalars(
        select(visit_inspectors.c.inspector_id).where(visit_inspectors.c.assessment_id == check.assessment_id)
    ).all()
    outsider = next(user for user in world.pool if user.id not in members)
    db.session.execute(
        delete(visit_inspectors).where(
            visit_inspectors.c.assessment_id == check.assessment_id,
            visit_inspectors.c.inspector_id == members[0],
        )
    )
    db.session.execute(
        insert(visit_inspectors).values(assessment_id=check.assessment_id, inspector_id=outsider.id)
    )
    result = redraw(app, campaign.number)
    assert result.exit_code == 1
    assert f"{check.certificate.number}: team drawn" in result.output and "identical" not in result.output


def test_an_outlet_swapped_is_named(app, drawn):
    world, campaign = drawn
    check = campaign.checks[0]
    drawn_numbers = {c.certificate.number for c in campaign.checks}
    other = next(c for c in world.certificates if c.number not in drawn_numbers)
    db.session.execute(
        update(SupervisionCheck).where(SupervisionCheck.id == check.id).values(certificate_id=other.id)
    )
    result = redraw(app, campaign.number)
    assert result.exit_code == 1
    assert f"{check.certificate.number}: drawn, but no check recorded" in result.output
    assert f"{other.number}: checked, but not drawn" in result.output


def test_an_altered_seed_is_caught(app, drawn):
    _world, campaign = drawn
    campaign.seed = "0" * 64
    db.session.flush()
    assert redraw(app, campaign.number).exit_code == 1


def test_an_unknown_or_undrawn_campaign_is_said(app, ctx):
    assert "No campaign" in redraw(app, "CJ-2099-99999").output
    world = certified_district("FX", outlets=1, postal=2)
    campaign = planned_campaign(world)
    result = redraw(app, campaign.number)
    assert result.exit_code == 2 and "not drawn yet" in result.output
