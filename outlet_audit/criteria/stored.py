from datetime import datetime

from sqlalchemy import JSON, String
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
