"""The bureaus' spot-check campaign pages: the list, planning one, its page with the draw and the close.

A district bureau sees the campaigns that include its district (its own and the city's), the city
bureau every campaign; the ecology bureaus read them with the postal bureaus (joint), but only the
postal bureau that runs a campaign acts on it.
"""

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from sqlalchemy import case, func, select
from sqlalchemy.orm import selectinload
from wtforms.fields.choices import SelectChoice

from outlet_audit.access import RecordFacts, Scope, allow, record_loader
from outlet_audit.checklist.models import Assessment
from outlet_audit.core.i18n import current_language
from outlet_audit.core.navigation import nav_entry
from outlet_audit.core.requests import attempt
from outlet_audit.core.time import today_in_shanghai
from outlet_audit.criteria.editions import active_edition
from outlet_audit.extensions import db
from outlet_audit.outlets.reference import all_districts, brands_in_use
from outlet_audit.roles import Role
from outlet_audit.supervision.campaign_forms import CampaignForm, CloseForm, DrawForm
from outlet_audit.supervision.campaigns import (
    POSTAL_AGENCIES,
    closable,
    close_campaign,
    create_campaign,
    default_recusal_months,
    draw_campaign,
    runs,
)
from outlet_audit.supervision.kinds import (
    CAMPAIGN_CHECKLIST_LABELS,
    CAMPAIGN_STATUS_LABELS,
    CHECK_STATUS_LABELS,
    SUPERVISION_MENU,
    CampaignStatus,
    CheckStatus,
)
from outlet_audit.supervision.models import Campaign, SupervisionCheck
from outlet_audit.workflow.states import LEVEL_LABELS

bp = Blueprint("campaigns", __name__)
nav_entry(
    "campaigns.index",
    _l("Spot checks"),
    {Role.DISTRICT_BUREAU, Role.CITY_BUREAU},
    order=60,
    group=SUPERVISION_MENU,
)

BUREAUS = {Role.DISTRICT_BUREAU: Scope.OWN_DISTRICT, Role.CITY_BUREAU: Scope.ALL}


@record_loader("campaign_id")
def campaign_facts(campaign_id: int) -> RecordFacts | None:
    district_ids = db.session.scalar(select(Campaign.district_ids).where(Campaign.id == campaign_id))
    if district_ids is None:
        return None
    return RecordFacts(district_id=None, district_ids=frozenset(district_ids))


def _campaign(campaign_id: int) -> Campaign:
    campaign = db.session.scalar(
        select(Campaign)
        .where(Campaign.id == campaign_id)
        .options(
            selectinload(Campaign.checks).selectinload(SupervisionCheck.certificate),
            selectinload(Campaign.checks)
            .selectinload(SupervisionCheck.assessment)
            .selectinload(Assessment.inspectors),
        )
    )
    if campaign is None:
        abort(404)
    return campaign


def campaigns_in_reach(user) -> list[Campaign]:
    """The campaigns the user's bureau sees, newest first: the city all, a district those of its district."""
    campaigns = db.session.scalars(select(Campaign).order_by(Campaign.id.desc())).all()
    if user.role == Role.CITY_BUREAU:
        return list(campaigns)
    # A campaign names its districts in a JSON list; there are few campaigns, so they are sifted here.
    return [c for c in campaigns if user.district_id in c.district_ids]


@bp.get("/campaigns")
@allow(BUREAUS, joint=True)
def index():
    campaigns = campaigns_in_reach(current_user)
    counts = dict.fromkeys((c.id for c in campaigns), (0, 0))
    if campaigns:
        concluded = func.sum(
            case((SupervisionCheck.status.in_([CheckStatus.SCHEDULED, CheckStatus.VISITED]), 0), else_=1)
        )
        rows = db.session.execute(
            select(SupervisionCheck.campaign_id, func.count(), concluded)
            .where(SupervisionCheck.campaign_id.in_(list(counts)))
            .group_by(SupervisionCheck.campaign_id)
        )
        counts.update({campaign_id: (drawn, done or 0) for campaign_id, drawn, done in rows})
    return render_template(
        "supervision/campaigns.html",
        campaigns=campaigns,
        counts=counts,
        status_labels=CAMPAIGN_STATUS_LABELS,
        can_plan=current_user.agency in POSTAL_AGENCIES,
        district_names=_district_names(),
    )


@bp.route("/campaigns/new", methods=["GET", "POST"])
@allow(BUREAUS)
def new():
    edition = active_edition()
    form = CampaignForm()
    districts = [
        d
        for d in all_districts()
        if current_user.role == Role.CITY_BUREAU or d.id == current_user.district_id
    ]
    form.district_ids.choices = [SelectChoice(d.id, d.name(current_language())) for d in districts]
    form.brands.choices = [SelectChoice(brand, brand) for brand in brands_in_use()]
    if request.method == "GET":
        form.recusal_months.data = default_recusal_months(edition)
        form.district_ids.data = [current_user.district_id] if current_user.district_id else []
    if form.validate_on_submit():
        with attempt() as outcome:
            campaign = create_campaign(form.plan(), actor=current_user, edition=edition)
        if outcome.done:
            flash(
                _("Campaign %(number)s is planned; draw it when you are ready.", number=campaign.number),
                "success",
            )
            return redirect(url_for("campaigns.detail", campaign_id=campaign.id))
    return render_template(
        "supervision/campaign_new.html", form=form
    ), 422 if request.method == "POST" else 200


@bp.get("/campaigns/<int:campaign_id>")
@allow(BUREAUS, joint=True)
def detail(campaign_id: int):
    return _render_detail(_campaign(campaign_id))


@bp.post("/campaigns/<int:campaign_id>/draw")
@allow(BUREAUS)
def draw(campaign_id: int):
    campaign = _campaign(campaign_id)
    form = DrawForm()
    if not form.validate_on_submit():
        return _render_detail(campaign, status=422)
    with attempt() as outcome:
        drawn = draw_campaign(campaign, actor=current_user)
    if not outcome.done:
        return _render_detail(_campaign(campaign_id), status=422)
    flash(
        _("%(count)d outlets were drawn, each with its team; the inspectors are told.", count=len(drawn)),
        "success",
    )
    return redirect(url_for("campaigns.detail", campaign_id=campaign_id))


@bp.post("/campaigns/<int:campaign_id>/close")
@allow(BUREAUS)
def close(campaign_id: int):
    campaign = _campaign(campaign_id)
    form = CloseForm()
    if not form.validate_on_submit():
        return _render_detail(campaign, status=422)
    with attempt() as outcome:
        close_campaign(campaign, actor=current_user)
    if not outcome.done:
        return _render_detail(_campaign(campaign_id), status=422)
    flash(
        _("Campaign %(number)s is closed; its list and results are public.", number=campaign.number),
        "success",
    )
    return redirect(url_for("campaigns.detail", campaign_id=campaign_id))


def _render_detail(campaign: Campaign, status: int = 200):
    acting = runs(campaign, current_user)
    status_value = CampaignStatus(campaign.status)
    return (
        render_template(
            "supervision/campaign.html",
            campaign=campaign,
            status_label=CAMPAIGN_STATUS_LABELS[status_value],
            checklist_label=CAMPAIGN_CHECKLIST_LABELS[campaign.checklist],
            check_labels=CHECK_STATUS_LABELS,
            level_labels={level.value: label.text for level, label in LEVEL_LABELS.items()},
            district_names=_district_names(),
            draw_form=DrawForm() if acting and status_value is CampaignStatus.PLANNED else None,
            close_form=CloseForm() if acting and closable(campaign, today_in_shanghai()) else None,
        ),
        status,
    )


def _district_names() -> dict[int, str]:
    language = current_language()
    return {d.id: d.name(language) for d in all_districts()}
