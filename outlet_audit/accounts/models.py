import secrets
from datetime import datetime

from flask import current_app
from flask_login import UserMixin
from sqlalchemy import CheckConstraint, Enum, ForeignKey, Index, String, Text, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column, relationship
from werkzeug.security import check_password_hash, generate_password_hash

from outlet_audit.accounts.organisations import Organisation
from outlet_audit.core.time import utcnow
from outlet_audit.extensions import db, sql_values
from outlet_audit.outlets.models import District, Outlet
from outlet_audit.roles import BUREAU_ROLES, ORGANISATION_ROLES, Agency, Role

DISTRICT_ROLES = (Role.INSPECTOR, Role.DISTRICT_BUREAU)
PASSWORD_METHOD = "scrypt"  # noqa: S105 - a hashing method, not a password


def new_session_token() -> str:
    return secrets.token_urlsafe(32)


class User(UserMixin, db.Model):
    """A person who signs in. Their role fixes which district or outlet they belong to."""

    __tablename__ = "users"
    __table_args__ = (
        CheckConstraint(
            f"(role IN ({sql_values(DISTRICT_ROLES)})) = (district_id IS NOT NULL)",
            name="district_matches_role",
        ),
        CheckConstraint(f"(role = '{Role.OUTLET}') = (outlet_id IS NOT NULL)", name="outlet_matches_role"),
        CheckConstraint("failed_logins >= 0", name="failed_logins_not_negative"),
        CheckConstraint(f"NOT outlet_manager OR role = '{Role.OUTLET}'", name="manager_is_outlet_staff"),
        CheckConstraint(
            f"(role IN ({sql_values(sorted(ORGANISATION_ROLES))})) = (organisation_id IS NOT NULL)",
            name="organisation_matches_role",
        ),
        CheckConstraint(
            f"NOT approver OR role IN ({sql_values(sorted(BUREAU_ROLES))})", name="approver_is_bureau"
        ),
        Index("ix_users_role_district", "role", "district_id"),
        Index("ix_users_organisation", "organisation_id"),
        UniqueConstraint("oidc_issuer", "oidc_subject"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    display_name: Mapped[str] = mapped_column(String(100))
    email: Mapped[str | None] = mapped_column(String(254))
    password_hash: Mapped[str] = mapped_column(String(255))
    role: Mapped[Role] = mapped_column(
        Enum(
            Role,
            native_enum=False,
            length=20,
            values_callable=lambda e: [m.value for m in e],
            create_constraint=True,
            name="role",
        )
    )
    district_id: Mapped[int | None] = mapped_column(ForeignKey("districts.id"))
    outlet_id: Mapped[int | None] = mapped_column(ForeignKey("outlets.id"), index=True)
    # The organisation a member of staff belongs to (accounts.organisations); `district_id` is
    # its district, kept on the account because every scope check reads it.
    organisation_id: Mapped[int | None] = mapped_column(ForeignKey("organisations.id"))
    # May sign approval steps (opinion, co-signature, decision, confirmation) for the organisation;
    # other bureau staff review: accept or return applications, schedule, order rectification.
    approver: Mapped[bool] = mapped_column(default=False)
    active: Mapped[bool] = mapped_column(default=True)
    # The outlet's manager: invites and removes its staff, hands over to one of them (accounts/people.py).
    outlet_manager: Mapped[bool] = mapped_column(default=False)
    locale: Mapped[str | None] = mapped_column(String(10))
    # Rotated at logout and password change: every older session cookie stops working.
    session_token: Mapped[str] = mapped_column(String(64), unique=True, default=new_session_token)
    # Failed sign-ins in a row and the end of the wait they earned (accounts/throttle.py). The wait
    # ends by itself: nobody, not even the only administrator, is locked out for good by a stranger.
    failed_logins: Mapped[int] = mapped_column(default=0)
    login_blocked_until: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_login_at: Mapped[datetime | None]
    # The SHA-256 of the one password reset link that works (accounts/recovery.py): a newer link
    # replaces it; using it, or any password change, clears it.
    password_reset_digest: Mapped[str | None] = mapped_column(String(64))
    password_reset_sent_at: Mapped[datetime | None]
    # Two-factor sign-in (accounts/two_factor.py): the authenticator's base32 secret, set at enrolment
    # and in use from totp_enabled_at; the last time step accepted, so no code is accepted twice.
    totp_secret: Mapped[str | None] = mapped_column(String(64))
    totp_enabled_at: Mapped[datetime | None]
    totp_last_step: Mapped[int | None]
    # The single sign-on identity linked to the account (accounts/oidc.py): the provider's issuer
    # and its stable `sub` for the person, never an e-mail address the provider merely passes on.
    oidc_issuer: Mapped[str | None] = mapped_column(String(255))
    oidc_subject: Mapped[str | None] = mapped_column(String(255))

    district: Mapped[District | None] = relationship()
    outlet: Mapped[Outlet | None] = relationship()
    organisation: Mapped[Organisation | None] = relationship(lazy="joined")

    def set_password(self, password: str) -> None:
        method = (
            current_app.config.get("PASSWORD_HASH_METHOD", PASSWORD_METHOD)
            if current_app
            else PASSWORD_METHOD
        )
        self.password_hash = generate_password_hash(password, method=method)
        self.password_reset_digest = None  # a new password, however set, ends every reset link

    def check_password(self, password: str) -> bool:
        return check_password_hash(self.password_hash, password)

    def rotate_session_token(self) -> None:
        self.session_token = new_session_token()

    def get_id(self) -> str:
        return self.session_token

    @property
    def is_active(self) -> bool:
        # A sign-in wait does not end sessions: else a stranger's wrong guesses would sign the user out.
        return self.active

    @property
    def agency(self) -> Agency | None:
        return self.organisation.kind if self.organisation is not None else None

    @property
    def is_bureau(self) -> bool:
        return self.role in (Role.DISTRICT_BUREAU, Role.CITY_BUREAU)

    def __repr__(self) -> str:
        return f"<User {self.username} {self.role}>"


class RegistrationRefusal(db.Model):
    """A registration the district bureau did not accept, with the reason the applicant sees.

    While the row exists the outlet stays unverified and out of the bureau's queue; the applicant
    corrects the details and sends the registration again, which removes it.
    """

    __tablename__ = "registration_refusals"

    outlet_id: Mapped[int] = mapped_column(ForeignKey("outlets.id", ondelete="CASCADE"), primary_key=True)
    reason: Mapped[str] = mapped_column(Text)
    refused_at: Mapped[datetime] = mapped_column(default=utcnow)
    refused_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))


class Invitation(db.Model):
    """An invitation to create the account of an outlet's manager or of one of its staff.

    Only the SHA-256 of its one-time code is kept: a code is shown once (mailed as a link, or
    printed for the bureau to hand over) and a new one replaces it when the invitation is sent
    again. It is open until accepted, withdrawn or expired (accounts/invitations.py).
    """

    __tablename__ = "invitations"
    __table_args__ = (
        CheckConstraint("accepted_at IS NULL OR withdrawn_at IS NULL", name="accepted_or_withdrawn"),
        CheckConstraint("(accepted_at IS NULL) = (accepted_by_id IS NULL)", name="accepted_by_someone"),
        CheckConstraint("delivery IN ('email', 'print')", name="delivery_known"),
        Index("ix_invitations_outlet", "outlet_id", "accepted_at", "withdrawn_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    outlet_id: Mapped[int] = mapped_column(ForeignKey("outlets.id", ondelete="CASCADE"))
    for_manager: Mapped[bool] = mapped_column(default=False)
    email: Mapped[str | None] = mapped_column(String(254))
    code_digest: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    issued_at: Mapped[datetime] = mapped_column(default=utcnow)  # when the current code was made
    expires_at: Mapped[datetime]
    # How the current code left: mailed, or printed for the bureau to hand over; None: not yet.
    delivery: Mapped[str | None] = mapped_column(String(10))
    accepted_at: Mapped[datetime | None]
    accepted_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    withdrawn_at: Mapped[datetime | None]

    outlet: Mapped[Outlet] = relationship()


HANDOVER_OUTCOMES = ("approved", "refused", "withdrawn")


class ManagerHandover(db.Model):
    """A manager's request to hand the outlet's accounts over to another of its accounts, which
    the district bureau approves or refuses (accounts/people.py). One open request per outlet."""

    __tablename__ = "manager_handovers"
    __table_args__ = (
        CheckConstraint(f"outcome IN ({sql_values(HANDOVER_OUTCOMES)})", name="outcome_known"),
        CheckConstraint("(outcome IS NULL) = (decided_at IS NULL)", name="decided_with_outcome"),
        CheckConstraint("from_user_id <> to_user_id", name="to_someone_else"),
        Index(
            "ux_manager_handovers_one_open_per_outlet",
            "outlet_id",
            unique=True,
            sqlite_where=text("outcome IS NULL"),
            postgresql_where=text("outcome IS NULL"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    outlet_id: Mapped[int] = mapped_column(ForeignKey("outlets.id", ondelete="CASCADE"))
    from_user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    to_user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    close_account: Mapped[bool] = mapped_column(default=False)  # the leaving manager's, once approved
    requested_at: Mapped[datetime] = mapped_column(default=utcnow)
    outcome: Mapped[str | None] = mapped_column(String(10))
    decided_at: Mapped[datetime | None]
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    reason: Mapped[str | None] = mapped_column(Text)

    from_user: Mapped[User] = relationship(foreign_keys=[from_user_id])
    to_user: Mapped[User] = relationship(foreign_keys=[to_user_id])


class RecoveryCode(db.Model):
    """A one-time code that stands in for the authenticator when the phone is lost: only its SHA-256
    is kept (a code carries 60 random bits, so a fast hash is enough)."""

    __tablename__ = "recovery_codes"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    code_digest: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    used_at: Mapped[datetime | None]
