from sqlalchemy import String, Text
from sqlalchemy.orm import Mapped, mapped_column

from outlet_audit.extensions import db


class Setting(db.Model):
    """A site-wide choice made in the app (e.g. the criteria edition new applications use)."""

    __tablename__ = "settings"

    key: Mapped[str] = mapped_column(String(50), primary_key=True)
    value: Mapped[str] = mapped_column(Text)


def get_setting(key: str, default: str | None = None) -> str | None:
    row = db.session.get(Setting, key)
    return row.value if row else default


def set_setting(key: str, value: str) -> None:
    row = db.session.get(Setting, key)
    if row is None:
        db.session.add(Setting(key=key, value=value))
    else:
        row.value = value
