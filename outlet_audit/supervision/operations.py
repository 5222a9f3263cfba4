"""Opening a supervision check: the one door by which a campaign's draw, a complaint's triage and
a bureau's targeted visit put a team in front of a certified outlet.

Operations flush, never commit (the view commits once). The check's visit record is made at once,
with its team, so the inspectors find it among their assignments and fill it in on the phone like
a first inspection; what the team concludes is the bureau's to decide afterwards.
"""

from collections.abc import Sequence
from datetime import date, datetime

from sqlalchemy import insert

from outlet_audit.audit.operations import record
from outlet_audit.certificates.models import Certificate
from outlet_audit.certificates.state import StoredCertificateState
from outlet_audit.checklist.kinds import AssessmentKind
from outlet_audit.checklist.models import Assessment, visit_inspectors
from outlet_audit.core.requests import flush_or_refuse
from outlet_audit.core.time import today_in_shanghai, utcnow
from outlet_audit.extensions import db
from outlet_audit.roles import Role
from outlet_audit.supervision.kinds import CampaignChecklist, CheckPurpose, CheckStatus
from outlet_audit.supervision.models import SupervisionCheck
from outlet_audit.text import N_, Message, Refused
from outlet_audit.workflow.states import MAX_TEAM

ALREADY_OPEN = N_(
    "This outlet already has a supervision check under way; conclude it before opening another."
)
NOT_ACTIVE = N_("Only a valid certificate is supervised: this one is revoked, superseded or expired.")
NO_TEAM = N_("Choose at least one inspector of the outlet's district for the visit.")
TEAM_TOO_BIG = N_("A visit has at most %(count)s inspectors.")
NOT_AN_INSPECTOR = N_("Only active inspectors of the outlet's district can visit it.")


def check_number(year: int, district_code: str, check_id: int) -> str:
    """The number a supervision check is known by: JD-<year>-<district>-<id>, unique by its id."""
    return f"JD-{year:04d}-{district_code}-{check_id:06d}"


def open_check(
    certificate: Certificate,
    purpose: CheckPurpose,
    team: Sequence,
    *,
    due_by: date,
    actor,
    campaign=None,
    complaint=None,
    reason: str | None = None,
    checklist: CampaignChecklist = CampaignChecklist.SPOT_CHECK,
    now: datetime | None = None,
) -> SupervisionCheck:
    """Open a check of this certificate's outlet with its visit record and team; refuse (Refused)
    when the certificate is not in force, another check is open, or the team is not the district's."""
    now = now or utcnow()
    if certificate.state != StoredCertificateState.ACTIVE or certificate.valid_until < today_in_shanghai():
        raise Refused(Message(NOT_ACTIVE))
    _check_team(team, certificate.district_id)
    check = SupervisionCheck(
        number=f"PENDING-{certificate.id}-{now.timestamp()}",
        purpose=purpose.value,
        campaign_id=campaign.id if campaign is not None else None,
        complaint_id=complaint.id if complaint is not None else None,
        certificate_id=certificate.id,
        application_id=certificate.application_id,
        outlet_id=certificate.outlet_id,
        district_id=certificate.district_id,
        checklist=checklist.value,
        due_by=due_by,
        status=CheckStatus.SCHEDULED.value,
        reason=(reason or "").strip() or None,
        created_at=now,
        created_by_id=actor.id,
    )
    db.session.add(check)
    flush_or_refuse(Message(ALREADY_OPEN))  # the one-open-check index, also against a concurrent opener
    check.number = check_number(now.year, certificate.outlet.district.code, check.id)
    visit = Assessment(
        application_id=certificate.application_id,
        kind=AssessmentKind.SUPERVISION,
        sequence=_next_sequence(certificate.application_id),
        scheduled_for=due_by,
        created_at=now,
    )
    db.session.add(visit)
    db.session.flush()
    db.session.execute(
        insert(visit_inspectors), [{"assessment_id": visit.id, "inspector_id": user.id} for user in team]
    )
    check.assessment_id = visit.id
    db.session.flush()
    record(
        "supervision_check_opened",
        actor=actor,
        subject_type="supervision_check",
        subject_id=check.id,
        outlet_id=certificate.outlet_id,
        field=purpose.value,
        new=check.number,
        reason=check.reason,
    )
    return check


def _check_team(team: Sequence, district_id: int) -> None:
    if not team:
        raise Refused(Message(NO_TEAM), field="team")
    if len(team) > MAX_TEAM:
        raise Refused(Message(TEAM_TOO_BIG, {"count": MAX_TEAM}), field="team")
    for user in team:
        if user.role != Role.INSPECTOR or not user.active or user.district_id != district_id:
            raise Refused(Message(NOT_AN_INSPECTOR), field="team")


def _next_sequence(application_id: int) -> int:
    """The next number among the application's supervision visits (numbered like its inspections)."""
    highest = db.session.scalar(
        db.select(db.func.max(Assessment.sequence)).where(
            Assessment.application_id == application_id, Assessment.kind == AssessmentKind.SUPERVISION
        )
    )
    return (highest or 0) + 1
