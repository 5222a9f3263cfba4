from datetime import date, datetime

from sqlalchemy import JSON, PrimaryKeyConstraint, String
from sqlalchemy.orm import Mapped, mapped_column

from outlet_audit.extensions import db


class DashboardSnapshot(db.Model):
    """The dashboard's figures for one filter combination, as computed at `computed_at` (naive UTC).

    Kept in the database rather than in a worker's memory, so every gunicorn worker serves the
    same figures and only one of them needs to compute them (dashboards/snapshots.py).
    """

    __tablename__ = "dashboard_snapshots"

    key: Mapped[str] = mapped_column(String(64), primary_key=True)  # snapshots.snapshot_key
    figures: Mapped[dict] = mapped_column(JSON)
    computed_at: Mapped[datetime]


# --- maintained counts (dashboards/counts.py) ----------------------------------------------------
#
# Each row counts records of one district, brand and level in one period. A row with district 0,
# brand '' or level '' counts every district, brand or level; grain D, M, Y is a day, month or year
# starting on `period`, grain A all time (period ALL_TIME). So any filter reads at most a few
# hundred rows, whatever the number of outlets.


def _key(*names: str) -> PrimaryKeyConstraint:
    """The dimensions first, in the order every read filters them, then the table's own keys."""
    return PrimaryKeyConstraint("district_id", "brand", "level", "grain", "period", *names)


class CountDimensions:
    """The columns that place a count: whose (district, brand, level) and when (grain, period)."""

    district_id: Mapped[int] = mapped_column()
    brand: Mapped[str] = mapped_column(String(50))
    level: Mapped[str] = mapped_column(String(10))
    grain: Mapped[str] = mapped_column(String(1))
    period: Mapped[date] = mapped_column()


class ItemCount(CountDimensions, db.Model):
    """First-inspection answers of one scored item, as the item pass rates count them."""

    __tablename__ = "dashboard_item_counts"
    __table_args__ = (_key("item_code", "edition_pk"),)

    item_code: Mapped[str] = mapped_column(String(20))
    edition_pk: Mapped[int] = mapped_column()  # the edition the application pinned
    answers: Mapped[int] = mapped_column(default=0)  # answer rows, whatever they hold
    answered: Mapped[int] = mapped_column(default=0)  # with a value, not N/A
    passed: Mapped[int] = mapped_column(default=0)  # of which earned full marks
    not_applicable: Mapped[int] = mapped_column(default=0)


class FindingCount(CountDimensions, db.Model):
    """Findings of one item at inspection records in force, as the rectification figures count them."""

    __tablename__ = "dashboard_finding_counts"
    __table_args__ = (_key("item_code"),)

    item_code: Mapped[str] = mapped_column(String(20))
    found: Mapped[int] = mapped_column(default=0)
    ordered: Mapped[int] = mapped_column(default=0)
    not_required: Mapped[int] = mapped_column(default=0)
    closed: Mapped[int] = mapped_column(default=0)
    verified: Mapped[int] = mapped_column(default=0)  # closed or verified not closed
    closed_on_time: Mapped[int] = mapped_column(default=0)


class WaitingFindingCount(CountDimensions, db.Model):
    """Of those, the findings still waiting (ordered or answered), by their notice's due date:
    whether they are past it is a question of today."""

    __tablename__ = "dashboard_waiting_finding_counts"
    __table_args__ = (_key("item_code", "due_on"),)

    item_code: Mapped[str] = mapped_column(String(20))
    due_on: Mapped[date] = mapped_column()
    waiting: Mapped[int] = mapped_column(default=0)


class ClosedFindingCount(CountDimensions, db.Model):
    """Of those, the findings closed after a notice, by the days they took: the median's histogram."""

    __tablename__ = "dashboard_closed_finding_counts"
    __table_args__ = (_key("item_code", "days"),)

    item_code: Mapped[str] = mapped_column(String(20))
    days: Mapped[int] = mapped_column()
    closed: Mapped[int] = mapped_column(default=0)


class OutletCount(CountDimensions, db.Model):
    """Outlets registered (by the day they registered) and of them verified. Level is always ''."""

    __tablename__ = "dashboard_outlet_counts"
    __table_args__ = (_key(),)

    registered: Mapped[int] = mapped_column(default=0)
    verified: Mapped[int] = mapped_column(default=0)


class ApplicationCount(CountDimensions, db.Model):
    """Applications in each status, by the day they were submitted (drafts: all-time rows only)."""

    __tablename__ = "dashboard_application_counts"
    __table_args__ = (_key("status"),)

    status: Mapped[str] = mapped_column(String(30))
    applications: Mapped[int] = mapped_column(default=0)


class CertificateCount(CountDimensions, db.Model):
    """Certificates by the day they were issued and their stored state."""

    __tablename__ = "dashboard_certificate_counts"
    __table_args__ = (_key("state"),)

    state: Mapped[str] = mapped_column(String(20))
    certificates: Mapped[int] = mapped_column(default=0)


class ActiveCertificateCount(CountDimensions, db.Model):
    """Of those, the active ones by their last valid day: which of them are expired or expiring is
    a question of today."""

    __tablename__ = "dashboard_active_certificate_counts"
    __table_args__ = (_key("valid_until"),)

    valid_until: Mapped[date] = mapped_column()
    certificates: Mapped[int] = mapped_column(default=0)


class CoverageCount(CountDimensions, db.Model):
    """Verified outlets by the last day they hold a certificate in force until (NO_DAY: none): of
    any level (level '') and of each level. All-time rows only: coverage is a picture of today."""

    __tablename__ = "dashboard_coverage_counts"
    __table_args__ = (_key("until"),)

    until: Mapped[date] = mapped_column()
    outlets: Mapped[int] = mapped_column(default=0)


class NoticeCount(CountDimensions, db.Model):
    """Notices the outlet has not answered while the application waits in rectification, by their
    due date (overdue is a question of today). All-time rows only."""

    __tablename__ = "dashboard_notice_counts"
    __table_args__ = (_key("due_on"),)

    due_on: Mapped[date] = mapped_column()
    notices: Mapped[int] = mapped_column(default=0)


class AnswerScore(db.Model):
    """What one stored answer of a scored item counts for, in the edition it was given under.

    A pure function of immutable inputs (an edition is pinned by its content), kept so that the
    counts can be summed in SQL: the scoring rules exist only in Python. Items that are not scored
    in the edition (bonus items, unknown codes) have no row, so their answers count nowhere.
    """

    __tablename__ = "dashboard_answer_scores"

    edition_pk: Mapped[int] = mapped_column(primary_key=True)
    item_code: Mapped[str] = mapped_column(String(20), primary_key=True)
    not_applicable: Mapped[bool] = mapped_column(primary_key=True)
    value: Mapped[str] = mapped_column(String(40), primary_key=True)  # NO_VALUE when none
    answered: Mapped[int]
    passed: Mapped[int]
