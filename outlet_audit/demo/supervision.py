"""Demo supervision after the certificate (issue #17), made by the real operations: in Fengxian, a
closed and published spot-check campaign whose checks passed, a drawn one whose visit waits for
inspector1, a complaint to triage and one dismissed, a revocation notice awaiting the outlet's
statement, and the yearly self-checks the daily job opens.

Four more Fengxian outlets are certified for it (by inspector2 alone, so that inspector1 and the
ecology inspector are not recused from their spot checks); the main demo outlet's journeys stay as
they were. Each part is made only when absent, so a second `flask demo load` adds nothing.
"""

from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy import func, select

from outlet_audit.accounts.models import User
from outlet_audit.certificates.models import Certificate
from outlet_audit.checklist.coverage import covered_items
from outlet_audit.checklist.service import save_answer
from outlet_audit.checklist.team import signatures_of
from outlet_audit.core.time import today_in_shanghai
from outlet_audit.criteria.editions import active_edition, pinned_edition
from outlet_audit.extensions import db
from outlet_audit.outlets.models import Outlet
from outlet_audit.scoring import Answer, evidence_required
from outlet_audit.supervision.campaigns import CampaignPlan, close_campaign, create_campaign, draw_campaign
from outlet_audit.supervision.complaints import dismiss_complaint, file_complaint
from outlet_audit.supervision.kinds import (
    CampaignChecklist,
    ComplaintCategory,
    RevocationStatus,
    YearlyStatus,
)
from outlet_audit.supervision.models import (
    Campaign,
    Complaint,
    RevocationCase,
    YearlySelfCheck,
)
from outlet_audit.supervision.revocation_cases import serve_notice
from outlet_audit.supervision.visits import conclude_passed, sign_visit
from outlet_audit.supervision.yearly import EXEMPT_DAYS_BEFORE_DUE, create_due_self_checks
from outlet_audit.workflow.models import Application
from outlet_audit.workflow.seeding import Cast, advance_to, best_value, open_draft, upload_evidence
from outlet_audit.workflow.states import Status

# The outlets certified for supervision (permit numbers, as in cli.DEMO_OUTLETS) and what they show.
PASSED_PERMITS = ("SH-KD-2021-6603", "SH-KD-2019-2087")  # spot-checked and passed (韵达, 申通)
SCHEDULED_PERMIT = "SH-KD-2020-4416"  # drawn: its visit waits for inspector1 (圆通)
REVOCATION_PERMIT = "SH-KD-2022-3359"  # notice served: its statement is awaited (德邦)
SUPERVISED_PERMITS = (*PASSED_PERMITS, SCHEDULED_PERMIT, REVOCATION_PERMIT)

CLOSED_TITLE = "2026 年奉贤区无废快递网点双随机抽查（第一批）"
DRAWN_TITLE = "2026 年奉贤区无废快递网点双随机抽查（第二批）"


@dataclass(frozen=True)
class People:
    bureau: User
    inspectors: tuple[User, ...]  # inspector1, inspector2
    ecology_bureau: User
    ecology_inspector: User
    city: User


def load_demo_supervision(users: dict[str, User]) -> None:
    """Add whichever part of the demo supervision is still absent."""
    people = People(
        users["fengxian"],
        (users["inspector1"], users["inspector2"]),
        users["fengxian-eco"],
        users["inspector-eco"],
        users["city"],
    )
    outlets = {o.permit_number: o for o in db.session.scalars(select(Outlet))}
    accounts = {user.outlet_id: user for user in users.values() if user.outlet_id is not None}
    for permit in SUPERVISED_PERMITS:
        _certify(outlets[permit], accounts[outlets[permit].id], people)
    certificates = {permit: _certificate(outlets[permit]) for permit in SUPERVISED_PERMITS}
    today = today_in_shanghai()
    if not _campaign(CLOSED_TITLE):
        # one inspector a visit, each inspector one visit: inspector1 has a visit done as well
        campaign = _drawn(CLOSED_TITLE, ("韵达", "申通"), team_size=1, people=people, today=today)
        for check in campaign.checks:
            _visit_made(check)
            conclude_passed(check, people.bureau, note="现场抽查各项均符合要求，抽查合格。")
        close_campaign(campaign, actor=people.bureau)
    if not _campaign(DRAWN_TITLE):
        _drawn(DRAWN_TITLE, ("圆通",), team_size=2, people=people, today=today)
    _complaints(certificates, people.bureau)
    _revocation_notice(certificates[REVOCATION_PERMIT], people.bureau)
    create_due_self_checks(_yearly_run_day(today))
    db.session.flush()


def _certify(outlet: Outlet, staff: User, people: People) -> None:
    """A district-level certificate, inspected by inspector2 alone, if the outlet has no application."""
    count = select(func.count()).select_from(Application).where(Application.outlet_id == outlet.id)
    if db.session.scalar(count):
        return
    cast = Cast(
        staff,
        people.bureau,
        people.inspectors[1:],
        people.city,
        people.ecology_bureau,
        people.ecology_inspector,
    )
    advance_to(open_draft(outlet, staff), Status.APPROVED, cast)


def _certificate(outlet: Outlet) -> Certificate:
    return db.session.scalar(
        select(Certificate).where(Certificate.outlet_id == outlet.id).order_by(Certificate.id.desc()).limit(1)
    )


def _campaign(title: str) -> Campaign | None:
    return db.session.scalar(select(Campaign).where(Campaign.title == title))


def _drawn(title: str, brands: tuple[str, ...], *, team_size: int, people: People, today: date) -> Campaign:
    """A campaign of every Fengxian outlet of these brands, drawn (teams from the district's pool)."""
    plan = CampaignPlan(
        title=title,
        district_ids=(people.bureau.district_id,),
        levels=("district", "city"),
        brands=brands,
        share_percent=100,
        per_district=None,
        window_from=today,
        window_until=today + timedelta(days=30),
        checklist=CampaignChecklist.SPOT_CHECK,
        recusal_months=active_edition().supervision.recusal_months,
        team_size=team_size,
        quota_per_inspector=1,
    )
    campaign = create_campaign(plan, actor=people.bureau)
    draw_campaign(campaign, actor=people.bureau, today=today)
    return campaign


def _visit_made(check) -> None:
    """What the team does on site: the first member answers every item the check covers at its best,
    with the evidence it asks for; then every member signs."""
    record = check.assessment
    application = db.session.get(Application, check.application_id)
    edition = pinned_edition(application.edition)
    covered = covered_items(record, edition, check.checklist)
    team = db.session.scalars(select(User).where(User.id.in_(signatures_of(record)))).all()
    team = sorted(team, key=lambda user: user.id)
    for item in edition.items():
        if item.code not in covered:
            continue
        value = best_value(item)
        save_answer(
            record,
            edition,
            item.code,
            value=value,
            not_applicable=False,
            note=None,
            expected_version=0,
            actor=team[0],
        )
        if evidence_required(item, Answer(value)):
            upload_evidence(record, application, item, team[0])
    for member in team:
        sign_visit(check, member, confirmed=True, outlet_representative=check.outlet.manager)


def _complaints(certificates: dict[str, Certificate], bureau: User) -> None:
    """One complaint awaiting triage, one dismissed (each on an outlet with no check under way)."""
    received, dismissed = (certificates[permit] for permit in PASSED_PERMITS)
    if not _has_complaint(received.outlet_id):
        file_complaint(
            received,
            category=ComplaintCategory.MATERIALS,
            description="今天在该网点寄件，工作人员用的是很宽的普通胶带，缠了好几圈，也没有电子面单。",
            contact=None,
            photo=None,
        )
    if not _has_complaint(dismissed.outlet_id):
        complaint = file_complaint(
            dismissed,
            category=ComplaintCategory.RECYCLING,
            description="网点门口没有看到快递包装回收箱。",
            contact=None,
            photo=None,
        ).complaint
        dismiss_complaint(
            complaint,
            bureau,
            "经核实，该网点回收箱设在营业厅内收件台旁，本局抽查时已现场查看，投诉所述情况不属实。",
        )


def _has_complaint(outlet_id: int) -> bool:
    return bool(db.session.scalar(select(func.count()).where(Complaint.outlet_id == outlet_id)))


def _revocation_notice(certificate: Certificate, bureau: User) -> None:
    if db.session.scalar(select(func.count()).where(RevocationCase.certificate_id == certificate.id)):
        return
    serve_notice(
        certificate,
        bureau,
        ground="false_materials",
        grounds=(
            "经核查，该网点申请认定时提交的可循环快递箱采购合同与供应商留存合同不一致，"
            "涉嫌提供虚假材料，拟撤销其区级无废快递网点称号。"
        ),
        evidence="1. 申请材料中的采购合同；2. 供应商出具的合同存档及情况说明；3. 现场核查笔录。",
        response_due=None,  # the shortest time the rules allow
    )


def _yearly_run_day(today: date) -> date:
    """The day the daily job would first open a self-check of certificates issued today: today when
    this year's due date is still far enough ahead, else 1 January of the next year."""
    yearly = active_edition().supervision.yearly
    if yearly is None or yearly.due_on(today.year) - timedelta(days=EXEMPT_DAYS_BEFORE_DUE) >= today:
        return today
    return date(today.year + 1, 1, 1)


# --- what the demo shows, for `flask demo load` to print -------------------------------------------


def supervision_summary() -> list[str]:
    """One line per demo supervision record worth trying, read from the data as it stands now."""
    lines = []
    for campaign in db.session.scalars(select(Campaign).order_by(Campaign.id)):
        checks = ", ".join(
            f"{check.number} {check.outlet.name} {check.status} (team: {_team_names(check)})"
            for check in campaign.checks
        )
        lines.append(f"campaign {campaign.number} {campaign.status}: {checks}")
    for complaint in db.session.scalars(select(Complaint).order_by(Complaint.id)):
        lines.append(f"complaint {complaint.reference} about {complaint.outlet.name}: {complaint.status}")
    for case in db.session.scalars(select(RevocationCase).order_by(RevocationCase.id)):
        due = f", statement due {case.response_due.isoformat()}" if case.response_due else ""
        lines.append(f"revocation case {case.number} on {case.certificate.number}: {case.status}{due}")
    yearly = db.session.execute(
        select(YearlySelfCheck.year, YearlySelfCheck.due_on, YearlySelfCheck.status, func.count())
        .group_by(YearlySelfCheck.year, YearlySelfCheck.due_on, YearlySelfCheck.status)
        .order_by(YearlySelfCheck.year, YearlySelfCheck.status)
    )
    for year, due_on, status, count in yearly:
        lines.append(f"{count} yearly self-check(s) {year} due {due_on.isoformat()}: {status}")
    return lines


def supervision_facts(user: User) -> list[str]:
    """What an outlet's demo account has to answer in supervision: a revocation notice, a self-check
    (for the account list `flask demo load` prints)."""
    if user.outlet_id is None:
        return []
    facts = []
    for case in db.session.scalars(
        select(RevocationCase)
        .join(Certificate, Certificate.id == RevocationCase.certificate_id)
        .where(
            Certificate.outlet_id == user.outlet_id,
            RevocationCase.status == RevocationStatus.NOTIFIED.value,
        )
    ):
        facts.append(f"revocation notice {case.number}: statement due {case.response_due.isoformat()}")
    for self_check in db.session.scalars(
        select(YearlySelfCheck).where(
            YearlySelfCheck.outlet_id == user.outlet_id, YearlySelfCheck.status == YearlyStatus.OPEN.value
        )
    ):
        facts.append(f"yearly self-check {self_check.year} to submit by {self_check.due_on.isoformat()}")
    return facts


def _team_names(check) -> str:
    members = db.session.scalars(
        select(User.username).where(User.id.in_(signatures_of(check.assessment))).order_by(User.username)
    )
    return ", ".join(members)
