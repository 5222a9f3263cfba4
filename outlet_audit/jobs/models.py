from datetime import datetime

from sqlalchemy import JSON, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from outlet_audit.core.time import utcnow
from outlet_audit.extensions import db


class ExportFile(db.Model):
    """A large export built by a job, kept in EXPORT_DIR for its owner until `expires_at`.

    `filters` are the dashboard filters it was asked with (JSON), so the job builds exactly what
    the page would have sent; `stored_name` is a random file name, never derived from user input.
    """

    __tablename__ = "export_files"
    __table_args__ = (Index("ix_export_files_user_created", "user_id", "created_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(20))  # applications, certificates, inspections
    fmt: Mapped[str] = mapped_column(String(5))  # csv, xlsx
    filters: Mapped[dict] = mapped_column(JSON, default=dict)
    status: Mapped[str] = mapped_column(String(10), default="pending")  # see jobs/exports.py
    download_name: Mapped[str] = mapped_column(String(120))
    stored_name: Mapped[str | None] = mapped_column(String(80))
    size: Mapped[int | None]
    rows: Mapped[int | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    ready_at: Mapped[datetime | None]
    expires_at: Mapped[datetime | None]
