"""The supervision dashboard's figures per district, for one year: what supervision after the
certificate found (certified outlets, spot checks, pass rate, rectifications, complaints,
revocations, yearly self-checks).

A fixed number of grouped queries, whatever the number of districts: each figure is one query
grouped by district, and the city's total is the sum of the districts' rows.
"""

from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy import and_, case, func, or_, select
from sqlalchemy.orm import aliased

from outlet_audit.certificates.models import Certificate
from outlet_audit.certificates.state import StoredCertificateState
from outlet_audit.checklist.models import RectificationNotice
from outlet_audit.core.time import SHANGHAI
from outlet_audit.extensions import db
from outlet_audit.supervision.kinds import (
    CheckPurpose,
    CheckStatus,
    ComplaintStatus,
    RevocationStatus,
    YearlyStatus,
)
from outlet_audit.supervision.models import Complaint, RevocationCase, SupervisionCheck, YearlySelfCheck

OTHER_GROUND = "other"  # a certificate revoked without a revocation case (directly, before #17)
CONCLUDED = (CheckStatus.PASSED, CheckStatus.RECTIFICATION, CheckStatus.RECTIFIED, CheckStatus.REVOCATION)


@dataclass
class DistrictFigures:
    """One district's figures (or the total's, `district_id` None)."""

    district_id: int | None
    certified: int = 0
    spot_checked: int = 0
    concluded: int = 0
    passed: int = 0
    rectifications_open: int = 0
    rectifications_overdue: int = 0
    complaints: Counter = field(default_factory=Counter)  # by ComplaintStatus value
    revocations: Counter = field(default_factory=Counter)  # by ground code (OTHER_GROUND too)
    yearly_due: int = 0
    yearly_missing: int = 0
    yearly_failed: int = 0

    @property
    def spot_checked_percent(self) -> float | None:
        return _percent(self.spot_checked, self.certified)

    @property
    def pass_percent(self) -> float | None:
        return _percent(self.passed, self.concluded)

    def add(self, other: "DistrictFigures") -> None:
        for name in (
            "certified", "spot_checked", "concluded", "passed", "rectifications_open",
            "rectifications_overdue", "yearly_due", "yearly_missing", "yearly_failed",
        ):  # fmt: skip
            setattr(self, name, getattr(self, name) + getattr(other, name))
        self.complaints.update(other.complaints)
        self.revocations.update(other.revocations)


@dataclass
class SupervisionFigures:
    year: int
    today: date
    districts: list[DistrictFigures]  # in the given order
    total: DistrictFigures

    def grounds(self) -> list[str]:
        """The revocation grounds that occur, in a stable order (OTHER_GROUND last)."""
        found = sorted(code for code in self.total.revocations if code != OTHER_GROUND)
        return found + ([OTHER_GROUND] if OTHER_GROUND in self.total.revocations else [])


def _percent(part: int, whole: int) -> float | None:
    return round(100 * part / whole, 1) if whole else None


def utc_year(year: int) -> tuple[datetime, datetime]:
    """The naive-UTC instants at which the Shanghai calendar year begins and ends (exclusive)."""

    def start(day: date) -> datetime:
        return datetime.combine(day, time(), tzinfo=SHANGHAI).astimezone(UTC).replace(tzinfo=None)

    return start(date(year, 1, 1)), start(date(year + 1, 1, 1))


def reference_day(year: int, today: date) -> date:
    """The day the year's standing figures are read on: today for this year, else its last day."""
    return min(today, date(year, 12, 31))


def supervision_figures(year: int, today: date, district_ids: list[int]) -> SupervisionFigures:
    """The figures of these districts for the year, and their total."""
    rows = {district_id: DistrictFigures(district_id) for district_id in district_ids}
    wanted = list(rows)
    begin, end = utc_year(year)
    day = reference_day(year, today)

    def each(query):
        for row in db.session.execute(query):
            if row.district_id in rows:
                yield rows[row.district_id], row

    for figures, row in each(_certified(day, wanted)):
        figures.certified = row.n
    spot = select(
        SupervisionCheck.district_id, func.count(func.distinct(SupervisionCheck.certificate_id)).label("n")
    )
    spot = spot.where(
        SupervisionCheck.district_id.in_(wanted),
        SupervisionCheck.purpose == CheckPurpose.SPOT_CHECK.value,
        SupervisionCheck.status != CheckStatus.CANCELLED.value,  # the certificate ended before the visit
        SupervisionCheck.created_at >= begin,
        SupervisionCheck.created_at < end,
    ).group_by(SupervisionCheck.district_id)
    for figures, row in each(spot):
        figures.spot_checked = row.n
    concluded = (
        select(
            SupervisionCheck.district_id,
            func.count().label("n"),
            func.sum(case((SupervisionCheck.status == CheckStatus.PASSED.value, 1), else_=0)).label("passed"),
        )
        .where(
            SupervisionCheck.district_id.in_(wanted),
            SupervisionCheck.status.in_([status.value for status in CONCLUDED]),
            SupervisionCheck.concluded_at >= begin,
            SupervisionCheck.concluded_at < end,
        )
        .group_by(SupervisionCheck.district_id)
    )
    for figures, row in each(concluded):
        figures.concluded, figures.passed = row.n, int(row.passed or 0)
    rectifications = (
        select(
            SupervisionCheck.district_id,
            func.count().label("n"),
            func.sum(case((RectificationNotice.due_on < today, 1), else_=0)).label("overdue"),
        )
        .join(RectificationNotice, RectificationNotice.id == SupervisionCheck.notice_id)
        .where(
            SupervisionCheck.district_id.in_(wanted),
            SupervisionCheck.status == CheckStatus.RECTIFICATION.value,
        )
        .group_by(SupervisionCheck.district_id)
    )
    for figures, row in each(rectifications):
        figures.rectifications_open, figures.rectifications_overdue = row.n, int(row.overdue or 0)
    complaints = (
        select(Complaint.district_id, Complaint.status, func.count().label("n"))
        .where(Complaint.district_id.in_(wanted), Complaint.created_at >= begin, Complaint.created_at < end)
        .group_by(Complaint.district_id, Complaint.status)
    )
    for figures, row in each(complaints):
        figures.complaints[row.status] = row.n
    for figures, row in each(_revocations(begin, end, wanted)):
        figures.revocations[row.ground] += row.n
    yearly = (
        select(
            YearlySelfCheck.district_id,
            func.count().label("n"),
            func.sum(
                case(
                    (
                        and_(
                            YearlySelfCheck.status == YearlyStatus.OPEN.value,
                            YearlySelfCheck.due_on < today,
                            Certificate.state == StoredCertificateState.ACTIVE,
                        ),
                        1,
                    ),
                    else_=0,
                )
            ).label("missing"),
            func.sum(case((YearlySelfCheck.status == YearlyStatus.FAILED.value, 1), else_=0)).label("failed"),
        )
        .join(Certificate, Certificate.id == YearlySelfCheck.certificate_id)
        .where(YearlySelfCheck.district_id.in_(wanted), YearlySelfCheck.year == year)
        .group_by(YearlySelfCheck.district_id)
    )
    for figures, row in each(yearly):
        figures.yearly_due, figures.yearly_missing = row.n, int(row.missing or 0)
        figures.yearly_failed = int(row.failed or 0)

    total = DistrictFigures(None)
    for figures in rows.values():
        total.add(figures)
    return SupervisionFigures(year=year, today=today, districts=list(rows.values()), total=total)


def _certified(day: date, wanted: list[int]):
    """Certificates in force on `day`: issued by then, valid through it, and neither revoked nor
    superseded by then (what a certificate was on a past day, as far as its rows tell)."""
    newer = aliased(Certificate)
    day_ends = (
        datetime.combine(day + timedelta(days=1), time(), tzinfo=SHANGHAI)
        .astimezone(UTC)
        .replace(tzinfo=None)
    )
    standing = or_(
        Certificate.state == StoredCertificateState.ACTIVE,
        and_(Certificate.state == StoredCertificateState.REVOKED, Certificate.revoked_at >= day_ends),
        and_(Certificate.state == StoredCertificateState.SUPERSEDED, newer.issued_on > day),
    )
    return (
        select(Certificate.district_id, func.count().label("n"))
        .outerjoin(newer, newer.id == Certificate.superseded_by_id)
        .where(
            Certificate.district_id.in_(wanted),
            Certificate.issued_on <= day,
            Certificate.valid_until >= day,
            standing,
        )
        .group_by(Certificate.district_id)
    )


def _revocations(begin: datetime, end: datetime, wanted: list[int]):
    """Certificates revoked in the year, by ground: a case's ground, else OTHER_GROUND."""
    decided = and_(
        RevocationCase.certificate_id == Certificate.id,
        RevocationCase.status == RevocationStatus.REVOKED.value,
    )
    case_ground = (
        select(RevocationCase.ground)
        .where(decided)
        .order_by(RevocationCase.id.desc())
        .limit(1)
        .scalar_subquery()
    )
    ground = func.coalesce(case_ground, OTHER_GROUND).label("ground")
    return (
        select(Certificate.district_id, ground, func.count().label("n"))
        .where(
            Certificate.district_id.in_(wanted),
            Certificate.state == StoredCertificateState.REVOKED,
            Certificate.revoked_at >= begin,
            Certificate.revoked_at < end,
        )
        .group_by(Certificate.district_id, ground)
    )


COMPLAINT_STATUSES = tuple(ComplaintStatus)
