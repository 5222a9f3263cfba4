"""Random spot-check campaigns (双随机、一公开): plan, draw, close; and the check that a draw is the
one its seed and inputs give.

A district postal bureau plans campaigns of its own district, the city postal bureau of any
districts; the bureau that runs a campaign draws and closes it. The draw itself is
`supervision.draw` (pure): this module gathers its inputs from the database, records the seed and
the inputs on the campaign, and opens each drawn outlet's check with its team (`open_check`).

Decisions the issue left open:
- eligible: a certificate in force (active) through the last day of the window, of a level and a
  brand in scope, whose outlet has no supervision check under way (it is being checked already)
  nor an unsigned supervision visit record;
  the share is a share of those, rounded up;
- recused: an inspector on any inspection or supervision visit of the outlet whose record was
  signed (or, unsigned, made) within `recusal_months` before the day of the draw;
- previous partners: the other members of an inspector's latest visit record (highest id);
- a campaign closes once every check is concluded (or cancelled), or after its window ends with
  checks still open (the public list then shows them as they stand); only then is it public.
"""

import secrets
from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime, time

from sqlalchemy import and_, exists, func, select

from outlet_audit.accounts.models import User
from outlet_audit.accounts.organisations import Organisation
from outlet_audit.audit.operations import record
from outlet_audit.certificates.models import Certificate
from outlet_audit.certificates.operations import add_months
from outlet_audit.certificates.state import StoredCertificateState
from outlet_audit.checklist.kinds import AssessmentKind
from outlet_audit.checklist.models import Assessment, visit_inspectors
from outlet_audit.core.time import today_in_shanghai, utcnow
from outlet_audit.core.urls import path_for
from outlet_audit.criteria.editions import active_edition, available_editions
from outlet_audit.extensions import db
from outlet_audit.notifications.operations import notify
from outlet_audit.outlets.models import District, Outlet
from outlet_audit.roles import AGENCY_LABELS, Agency, Role
from outlet_audit.supervision.draw import INPUTS_VERSION, DrawShort, draw
from outlet_audit.supervision.kinds import (
    OPEN_CHECK_STATUSES,
    CampaignChecklist,
    CampaignStatus,
    CheckPurpose,
    CheckStatus,
)
from outlet_audit.supervision.models import Campaign, SupervisionCheck
from outlet_audit.supervision.operations import open_check
from outlet_audit.text import N_, Message, Refused
from outlet_audit.workflow.models import Application

POSTAL_AGENCIES = frozenset({Agency.DISTRICT_POSTAL, Agency.CITY_POSTAL})
VISIT_KINDS = (AssessmentKind.INSPECTION.value, AssessmentKind.SUPERVISION.value)
# A check still waiting for its visit or for the bureau's conclusion.
UNCONCLUDED = frozenset({CheckStatus.SCHEDULED.value, CheckStatus.VISITED.value})

NOT_POSTAL = N_("Only the postal bureaus run spot-check campaigns.")
OWN_DISTRICT_ONLY = N_("A district bureau runs campaigns of its own district only.")
NO_DISTRICT = N_("Choose at least one district.")
NOT_RUNNER = N_("Only the bureau that runs this campaign draws and closes it.")
NOT_PLANNED = N_("This campaign is drawn already: a draw is made once.")
WINDOW_OVER = N_("The campaign's window has ended: plan a new campaign with a window ahead.")
NOTHING_ELIGIBLE = N_(
    "No certificate in the campaign's scope is in force through its window: nothing to draw."
)
SHORT_OF_AGENCY = N_(
    "%(district)s cannot field a team for certificate %(certificate)s: no %(agency)s inspector is left "
    "after recusal, the quota and the pair rule. Lower the number of outlets or the team size, "
    "or raise the quota."
)
SHORT_OF_INSPECTORS = N_(
    "%(district)s cannot field a team for certificate %(certificate)s: not enough inspectors are left "
    "after recusal, the quota and the pair rule. Lower the number of outlets or the team size, "
    "or raise the quota."
)
NOT_DRAWN = N_("Only a drawn campaign is closed.")
NOT_YET_CLOSABLE = N_(
    "The campaign closes once every check is concluded, or after its window ends on %(until)s."
)
TEAM_NOTICE = N_("You are on the team of spot check %(number)s at %(outlet)s: visit it by %(due)s.")


@dataclass(frozen=True)
class CampaignPlan:
    """What a bureau sets before the draw (the form's data, cleaned)."""

    title: str
    district_ids: tuple[int, ...]
    levels: tuple[str, ...]
    brands: tuple[str, ...]
    share_percent: int | None
    per_district: int | None
    window_from: date
    window_until: date
    checklist: CampaignChecklist
    recusal_months: int
    team_size: int
    quota_per_inspector: int


def campaign_number(year: int, campaign_id: int) -> str:
    """The number a campaign is known by in public: CJ-<year>-<id>, unique by its id."""
    return f"CJ-{year:04d}-{campaign_id:05d}"


def default_recusal_months(edition) -> int:
    """The edition's recusal period (months), which a campaign may change."""
    return edition.supervision.recusal_months


def create_campaign(plan: CampaignPlan, *, actor, edition=None, now: datetime | None = None) -> Campaign:
    """Plan a campaign run by the actor's bureau; Refused outside its districts."""
    now = now or utcnow()
    _check_postal(actor)
    if not plan.district_ids:
        raise Refused(Message(NO_DISTRICT), field="district_ids")
    if actor.role == Role.DISTRICT_BUREAU and set(plan.district_ids) != {actor.district_id}:
        raise Refused(Message(OWN_DISTRICT_ONLY), field="district_ids")
    edition = edition or active_edition()
    campaign = Campaign(
        number=f"PENDING-{actor.id}-{now.timestamp()}",
        organisation_id=actor.organisation_id,
        title=plan.title,
        district_ids=sorted(set(plan.district_ids)),
        levels=sorted(set(plan.levels)),
        brands=sorted(set(plan.brands)),
        share_percent=plan.share_percent,
        per_district=plan.per_district,
        window_from=plan.window_from,
        window_until=plan.window_until,
        edition_id=edition.id,
        checklist=plan.checklist.value,
        recusal_months=plan.recusal_months,
        team_size=plan.team_size,
        quota_per_inspector=plan.quota_per_inspector,
        status=CampaignStatus.PLANNED.value,
        created_at=now,
        created_by_id=actor.id,
    )
    db.session.add(campaign)
    db.session.flush()
    campaign.number = campaign_number(now.year, campaign.id)
    db.session.flush()
    record(
        "campaign_created", actor=actor, subject_type="campaign", subject_id=campaign.id, new=campaign.number
    )
    db.session.flush()
    return campaign


def draw_campaign(campaign: Campaign, *, actor, seed: str | None = None, today: date | None = None):
    """Draw the campaign's outlets and teams and open their checks; Refused when a district is short."""
    today = today or today_in_shanghai()
    _check_runner(campaign, actor)
    if campaign.status != CampaignStatus.PLANNED:
        raise Refused(Message(NOT_PLANNED))
    if campaign.window_until < today:
        raise Refused(Message(WINDOW_OVER))
    inputs = draw_inputs(campaign, today)
    seed = seed or secrets.token_hex(32)
    try:
        drawn = draw(seed, inputs)
    except DrawShort as short:
        raise Refused(_short_message(short)) from None
    if not drawn:
        raise Refused(Message(NOTHING_ELIGIBLE))
    now = utcnow()
    campaign.seed, campaign.inputs, campaign.drawn_at, campaign.drawn_by_id = seed, inputs, now, actor.id
    campaign.status = CampaignStatus.DRAWN.value
    certificates = {
        c.number: c
        for c in db.session.scalars(
            select(Certificate).where(Certificate.number.in_([one.certificate_number for one in drawn]))
        )
    }
    inspectors = {
        u.id: u
        for u in db.session.scalars(select(User).where(User.id.in_({i for one in drawn for i in one.team})))
    }
    for one in drawn:
        certificate, team = certificates[one.certificate_number], [inspectors[i] for i in one.team]
        check = open_check(
            certificate,
            CheckPurpose.SPOT_CHECK,
            team,
            due_by=campaign.window_until,
            actor=actor,
            campaign=campaign,
            checklist=CampaignChecklist(campaign.checklist),
            now=now,
        )
        notify(
            team,
            "supervision_check",
            TEAM_NOTICE,
            path_for("checklist.edit", assessment_id=check.assessment_id),  # the visit, on the phone
            number=check.number,
            outlet=certificate.outlet.name,
            due=campaign.window_until.isoformat(),
        )
    record(
        "campaign_drawn",
        actor=actor,
        subject_type="campaign",
        subject_id=campaign.id,
        field=str(len(drawn)),
        new=campaign.number,
    )
    db.session.flush()
    return drawn


def close_campaign(campaign: Campaign, *, actor, today: date | None = None) -> None:
    """Close the campaign: its list and results become public. Refused while its window has open checks."""
    today = today or today_in_shanghai()
    _check_runner(campaign, actor)
    if campaign.status != CampaignStatus.DRAWN:
        raise Refused(Message(NOT_DRAWN))
    if not closable(campaign, today):
        raise Refused(Message(NOT_YET_CLOSABLE, {"until": campaign.window_until.isoformat()}))
    campaign.status = CampaignStatus.CLOSED.value
    campaign.closed_at, campaign.closed_by_id = utcnow(), actor.id
    record(
        "campaign_closed", actor=actor, subject_type="campaign", subject_id=campaign.id, new=campaign.number
    )
    db.session.flush()


def closable(campaign: Campaign, today: date) -> bool:
    """Drawn, and every check concluded or its window over."""
    if campaign.status != CampaignStatus.DRAWN:
        return False
    return today > campaign.window_until or all(check.status not in UNCONCLUDED for check in campaign.checks)


def runs(campaign: Campaign, user) -> bool:
    """Whether the user is of the postal bureau that runs the campaign (draws and closes it)."""
    return user.organisation_id == campaign.organisation_id and user.agency in POSTAL_AGENCIES


# --- the draw's inputs, from the database --------------------------------------------------


def draw_inputs(campaign: Campaign, today: date) -> dict:
    """Exactly what the pure draw takes, as JSON: recorded on the campaign and published with its seed."""
    edition = available_editions().get(campaign.edition_id) or active_edition()
    districts = db.session.execute(
        select(District.id, District.code)
        .where(District.id.in_(campaign.district_ids))
        .order_by(District.code)
    ).all()
    certificates = _eligible_certificates(campaign, today)
    inspectors = _inspector_pool(campaign.district_ids)
    pool_ids = {inspector["id"] for members in inspectors.values() for inspector in members}
    cutoff = datetime.combine(add_months(today, -campaign.recusal_months), time.min)
    return {
        "version": INPUTS_VERSION,
        "share_percent": campaign.share_percent,
        "per_district": campaign.per_district,
        "team_size": campaign.team_size,
        "quota_per_inspector": campaign.quota_per_inspector,
        "recusal_months": campaign.recusal_months,
        "required_agencies": {
            rules.code: [str(agency) for agency in rules.inspection_team] for rules in edition.levels
        },
        "districts": [
            {
                "code": code,
                "certificates": [
                    {"number": number, "level": level} for number, level, _outlet in certificates[did]
                ],
                "inspectors": inspectors[did],
            }
            for did, code in districts
        ],
        "recused": _recused(
            [(number, outlet) for rows in certificates.values() for number, _level, outlet in rows],
            pool_ids,
            cutoff,
        ),
        "previous_partners": _previous_partners(pool_ids),
    }


def _eligible_certificates(campaign: Campaign, today: date) -> dict[int, list[tuple[str, str, int]]]:
    under_way = exists().where(
        SupervisionCheck.certificate_id == Certificate.id,
        SupervisionCheck.status.in_([status.value for status in OPEN_CHECK_STATUSES]),
    )
    # A supervision visit record still unsigned (a check cancelled before its visit, say) is one
    # the application can have only once at a time: its outlet waits for the next campaign.
    unsigned_visit = exists().where(
        Assessment.application_id == Certificate.application_id,
        Assessment.kind == AssessmentKind.SUPERVISION.value,
        Assessment.signed_off_at.is_(None),
    )
    query = (
        select(Certificate.district_id, Certificate.number, Certificate.level, Certificate.outlet_id)
        .join(Outlet, Outlet.id == Certificate.outlet_id)
        .where(
            Certificate.district_id.in_(campaign.district_ids),
            Certificate.state == StoredCertificateState.ACTIVE,
            Certificate.issued_on <= today,
            Certificate.valid_until >= campaign.window_until,
            Certificate.level.in_(campaign.levels),
            ~under_way,
            ~unsigned_visit,
        )
        .order_by(Certificate.number)
    )
    if campaign.brands:
        query = query.where(Outlet.brand.in_(campaign.brands))
    found: dict[int, list] = defaultdict(list)
    for district_id, number, level, outlet_id in db.session.execute(query):
        found[district_id].append((number, level, outlet_id))
    return found


def _inspector_pool(district_ids) -> dict[int, list[dict]]:
    rows = db.session.execute(
        select(User.district_id, User.id, Organisation.agency)
        .join(Organisation, Organisation.id == User.organisation_id)
        .where(User.role == Role.INSPECTOR, User.active.is_(True), User.district_id.in_(district_ids))
        .order_by(User.id)
    )
    pool: dict[int, list[dict]] = defaultdict(list)
    for district_id, user_id, agency in rows:
        pool[district_id].append({"id": user_id, "agency": agency})
    return pool


def _recused(
    certificates: list[tuple[str, int]], pool_ids: set[int], cutoff: datetime
) -> dict[str, list[int]]:
    """For each certificate, the pool's inspectors who visited its outlet since `cutoff`."""
    outlet_ids = {outlet for _number, outlet in certificates}
    if not outlet_ids or not pool_ids:
        return {}
    rows = db.session.execute(
        select(Application.outlet_id, visit_inspectors.c.inspector_id)
        .distinct()
        .join(Assessment, Assessment.application_id == Application.id)
        .join(visit_inspectors, visit_inspectors.c.assessment_id == Assessment.id)
        .where(
            Application.outlet_id.in_(outlet_ids),
            Assessment.kind.in_(VISIT_KINDS),
            func.coalesce(Assessment.signed_off_at, Assessment.created_at) >= cutoff,
            visit_inspectors.c.inspector_id.in_(pool_ids),
        )
    )
    visited: dict[int, set[int]] = defaultdict(set)
    for outlet_id, inspector_id in rows:
        visited[outlet_id].add(inspector_id)
    return {number: sorted(visited[outlet]) for number, outlet in certificates if visited.get(outlet)}


def _previous_partners(pool_ids: set[int]) -> dict[str, list[int]]:
    """Each inspector's partners on their latest visit record (none when they went alone)."""
    if not pool_ids:
        return {}
    latest = (
        select(
            visit_inspectors.c.inspector_id, func.max(visit_inspectors.c.assessment_id).label("assessment_id")
        )
        .join(Assessment, Assessment.id == visit_inspectors.c.assessment_id)
        .where(visit_inspectors.c.inspector_id.in_(pool_ids), Assessment.kind.in_(VISIT_KINDS))
        .group_by(visit_inspectors.c.inspector_id)
        .subquery()
    )
    members = visit_inspectors.alias("members")
    rows = db.session.execute(
        select(latest.c.inspector_id, members.c.inspector_id)
        .join(members, and_(members.c.assessment_id == latest.c.assessment_id))
        .where(members.c.inspector_id != latest.c.inspector_id)
    )
    partners: dict[int, set[int]] = defaultdict(set)
    for inspector_id, partner_id in rows:
        partners[inspector_id].add(partner_id)
    return {str(inspector): sorted(partners[inspector]) for inspector in sorted(partners)}


# --- checking a recorded draw --------------------------------------------------------------


def recorded_draw(campaign: Campaign) -> dict[str, tuple[int, ...]]:
    """The spot checks the campaign opened: certificate number -> the visit's team (ids, ascending)."""
    rows = db.session.execute(
        select(Certificate.number, visit_inspectors.c.inspector_id)
        .select_from(SupervisionCheck)
        .join(Certificate, Certificate.id == SupervisionCheck.certificate_id)
        .outerjoin(visit_inspectors, visit_inspectors.c.assessment_id == SupervisionCheck.assessment_id)
        .where(SupervisionCheck.campaign_id == campaign.id)
    )
    teams: dict[str, set[int]] = defaultdict(set)
    for number, inspector_id in rows:
        teams[number].update({inspector_id} - {None})
    return {number: tuple(sorted(team)) for number, team in teams.items()}


def draw_differences(campaign: Campaign) -> list[str]:
    """How the recorded checks differ from a re-run of the draw on the campaign's seed and inputs."""
    expected = {one.certificate_number: one.team for one in draw(campaign.seed, campaign.inputs)}
    recorded = recorded_draw(campaign)
    differences = [
        f"{number}: drawn, but no check recorded" for number in sorted(expected.keys() - recorded.keys())
    ]
    differences += [
        f"{number}: checked, but not drawn" for number in sorted(recorded.keys() - expected.keys())
    ]
    for number in sorted(expected.keys() & recorded.keys()):
        if expected[number] != recorded[number]:
            differences.append(
                f"{number}: team drawn {list(expected[number])}, recorded {list(recorded[number])}"
            )
    return differences


# --- who may act ---------------------------------------------------------------------------


def _check_postal(actor) -> None:
    if actor.role not in (Role.DISTRICT_BUREAU, Role.CITY_BUREAU) or actor.agency not in POSTAL_AGENCIES:
        raise Refused(Message(NOT_POSTAL))


def _check_runner(campaign: Campaign, actor) -> None:
    if not runs(campaign, actor):
        raise Refused(Message(NOT_RUNNER))


def _short_message(short: DrawShort) -> Message:
    district = db.session.scalar(select(District).where(District.code == short.district_code))
    name = {"zh": district.name_zh, "en": district.name_en} if district else short.district_code
    where = {"district": name, "certificate": short.certificate_number}
    if short.agency is None:
        return Message(SHORT_OF_INSPECTORS, where)
    return Message(SHORT_OF_AGENCY, {**where, "agency": Message(AGENCY_LABELS[Agency(short.agency)])})
