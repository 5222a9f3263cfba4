from datetime import datetime

from sqlalchemy import JSON, String
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
