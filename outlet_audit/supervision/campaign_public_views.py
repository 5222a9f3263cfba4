"""The public face of spot-check campaigns (一公开): closed campaigns only, each with its scope, its
seed and inputs (downloadable, to re-run the draw), the drawn outlets and each check's result.

Nothing of a campaign is public before it closes: a planned or drawn one answers 404 here, as a
number that does not exist. No person's name is shown; inspectors appear in the inputs by id only.
"""

import json

from flask import Blueprint, Response, abort, render_template
from sqlalchemy import func, select

from outlet_audit.access import public
from outlet_audit.certificates.models import Certificate
from outlet_audit.core.i18n import current_language
from outlet_audit.core.rate_limits import public_pages_limit
from outlet_audit.extensions import db
from outlet_audit.outlets.models import Outlet
from outlet_audit.outlets.reference import all_districts
from outlet_audit.supervision.kinds import CAMPAIGN_CHECKLIST_LABELS, CHECK_STATUS_LABELS, CampaignStatus
from outlet_audit.supervision.models import Campaign, SupervisionCheck
from outlet_audit.workflow.states import LEVEL_LABELS

bp = Blueprint("public_campaigns", __name__)

NUMBER_MAX_CHARS = 40


def _closed(number: str) -> Campaign:
    if len(number) > NUMBER_MAX_CHARS:
        abort(404)
    campaign = db.session.scalar(
        select(Campaign).where(Campaign.number == number, Campaign.status == CampaignStatus.CLOSED)
    )
    if campaign is None:
        abort(404)
    return campaign


@bp.get("/spot-checks")
@public
@public_pages_limit
def index():
    campaigns = db.session.scalars(
        select(Campaign).where(Campaign.status == CampaignStatus.CLOSED).order_by(Campaign.closed_at.desc())
    ).all()
    counts = dict(
        db.session.execute(
            select(SupervisionCheck.campaign_id, func.count())
            .join(Campaign, Campaign.id == SupervisionCheck.campaign_id)
            .where(Campaign.status == CampaignStatus.CLOSED)
            .group_by(SupervisionCheck.campaign_id)
        ).all()
    )
    return render_template(
        "supervision/campaign_public_list.html",
        campaigns=campaigns,
        counts=counts,
        district_names=_district_names(),
    )


@bp.get("/spot-checks/<number>")
@public
@public_pages_limit
def detail(number: str):
    campaign = _closed(number)
    return render_template(
        "supervision/campaign_public.html",
        campaign=campaign,
        drawn=published_checks(campaign),
        check_labels=CHECK_STATUS_LABELS,
        checklist_label=CAMPAIGN_CHECKLIST_LABELS[campaign.checklist],
        level_labels={level.value: label.text for level, label in LEVEL_LABELS.items()},
        district_names=_district_names(),
    )


@bp.get("/spot-checks/<number>/draw.json")
@public
@public_pages_limit
def draw_file(number: str):
    """The seed and inputs, exactly as the draw took them: enough to re-run it."""
    campaign = _closed(number)
    body = json.dumps(
        {"campaign": campaign.number, "seed": campaign.seed, "inputs": campaign.inputs},
        ensure_ascii=False,
        indent=2,
        sort_keys=True,
    )
    return Response(
        body,
        mimetype="application/json",
        headers={"Content-Disposition": f'attachment; filename="{campaign.number}-draw.json"'},
    )


def published_checks(campaign: Campaign) -> list:
    """The drawn outlets as published, in the order of the checks: outlet, certificate, district, result."""
    return db.session.execute(
        select(
            Outlet.name.label("outlet_name"),
            Certificate.number.label("certificate_number"),
            SupervisionCheck.district_id,
            SupervisionCheck.status,
        )
        .select_from(SupervisionCheck)
        .join(Certificate, Certificate.id == SupervisionCheck.certificate_id)
        .join(Outlet, Outlet.id == SupervisionCheck.outlet_id)
        .where(SupervisionCheck.campaign_id == campaign.id)
        .order_by(SupervisionCheck.id)
    ).all()


def _district_names() -> dict[int, str]:
    language = current_language()
    return {d.id: d.name(language) for d in all_districts()}
