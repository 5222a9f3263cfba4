"""API tokens: one organisation's key to the read API, kept only as a hash."""

from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from outlet_audit.accounts.organisations import Organisation
from outlet_audit.api.scopes import TokenScope, parse_scopes
from outlet_audit.core.time import utcnow
from outlet_audit.extensions import db


class ApiToken(db.Model):
    """A token of an organisation: `oa_<id>_<secret>` is shown once; the row keeps the secret's SHA-256.

    Revoked (`revoked_at`) or past `expires_at`, it opens nothing, at once: every request reads the row.
    """

    __tablename__ = "api_tokens"
    __table_args__ = (
        CheckConstraint("length(name) > 0", name="name_not_empty"),
        CheckConstraint("length(scopes) > 0", name="scopes_not_empty"),
        CheckConstraint("length(secret_sha256) = 64", name="secret_sha256_length"),
        CheckConstraint("(revoked_at IS NULL) = (revoked_by_id IS NULL)", name="revoked_has_who"),
        CheckConstraint("expires_at IS NULL OR expires_at > created_at", name="expires_after_creation"),
        Index("ix_api_tokens_organisation", "organisation_id", "created_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"))
    name: Mapped[str] = mapped_column(String(100))  # what it is for: "电子证照库", "生态环境局监管平台"
    secret_sha256: Mapped[str] = mapped_column(String(64), unique=True)
    scopes: Mapped[str] = mapped_column(String(200))  # TokenScope values, separated by spaces
    created_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime | None]
    last_used_at: Mapped[datetime | None]
    revoked_at: Mapped[datetime | None]
    revoked_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))

    organisation: Mapped[Organisation] = relationship(lazy="joined")
    created_by = relationship("User", foreign_keys=[created_by_id])
    revoked_by = relationship("User", foreign_keys=[revoked_by_id])

    @property
    def scope_set(self) -> frozenset[TokenScope]:
        return parse_scopes(self.scopes)

    def usable_at(self, moment: datetime) -> bool:
        return self.revoked_at is None and (self.expires_at is None or moment < self.expires_at)

    def __repr__(self) -> str:
        return f"<ApiToken {self.id} {self.name}>"
