from datetime import date, datetime

from sqlalchemy import JSON, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from outlet_audit.core.time import utcnow
from outlet_audit.extensions import db


class StoredEdition(db.Model):
    """A criteria edition exactly as an application was assessed against it.

    Applications pin a row here, so editing or deleting a file in criteria/ later never
    changes a past form, score or certificate. One row per distinct content hash.
    """

    __tablename__ = "criteria_editions"

    id: Mapped[int] = mapped_column(primary_key=True)
    edition_id: Mapped[str] = mapped_column(String(64), index=True)
    content_hash: Mapped[str] = mapped_column(String(64), unique=True)
    # Deferred: pages only need the id and hash to find the parsed edition in the cache
    # (criteria.editions); the JSON is read when an edition is parsed for the first time.
    snapshot: Mapped[dict] = mapped_column(JSON, deferred=True)
    stored_at: Mapped[datetime] = mapped_column(default=utcnow)


class EditionChoice(db.Model):
    """The administrator's explicit choice of the edition new applications use, from a day on.

    Every choice is kept (the latest begun one decides; criteria/schedule.py), so an edition that
    ends falls back to the one chosen before it. A choice for a later day not yet begun may be
    withdrawn, which deletes it; the audit trail keeps both. `active_from` None marks the choice
    recorded when the table was made (migration 0008): in use from the start.
    """

    __tablename__ = "criteria_edition_choices"

    id: Mapped[int] = mapped_column(primary_key=True)
    edition_id: Mapped[str] = mapped_column(String(64))
    active_from: Mapped[date | None]
    chosen_at: Mapped[datetime] = mapped_column(default=utcnow)
    chosen_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
