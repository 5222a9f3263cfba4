"""Two-factor sign-in: a time-based code from an authenticator app (TOTP, RFC 6238, with pyotp),
or one of ten recovery codes when the phone is lost.

Enrolment keeps the new secret on the account but uses it only once a code from the app proves
the app has it; then the recovery codes are shown, once, and only their SHA-256 is kept. A code
is accepted within one 30-second step either side of now and never twice (the last accepted step
is kept). Wrong codes count against the account like wrong passwords (accounts/throttle.py).

Required for bureau, city bureau and administrator accounts when TWO_FACTOR_REQUIRED is on
(production's default): such an account without it reaches nothing but its enrolment
(accounts/gate.py). Optional for everyone else. An administrator resets a lost device; the
account then enrols again.
"""

import hmac
from datetime import UTC, datetime

import pyotp
from flask import current_app
from sqlalchemy import delete, select

from outlet_audit.accounts.codes import code_digest, grouped, normalise_code, random_code
from outlet_audit.accounts.models import RecoveryCode, User
from outlet_audit.accounts.operations import AccountError, complete_sign_in, count_failure
from outlet_audit.audit.operations import record
from outlet_audit.core.time import utcnow
from outlet_audit.extensions import db
from outlet_audit.roles import Role
from outlet_audit.text import N_, Message

REQUIRED_ROLES = frozenset({Role.DISTRICT_BUREAU, Role.CITY_BUREAU, Role.ADMIN})
RECOVERY_CODES = 10
RECOVERY_CODE_LENGTH = 12  # about 59 bits each
STEPS_EITHER_SIDE = 1  # a phone clock 30 s off still works

WRONG_CODE = N_("The code is not right, or was used already. Type the code the app shows now.")


def is_required(user) -> bool:
    return bool(current_app.config["TWO_FACTOR_REQUIRED"]) and user.role in REQUIRED_ROLES


def is_enabled(user) -> bool:
    return user.totp_enabled_at is not None


def _audit(action: str, user: User, actor) -> None:
    record(action, actor=actor, subject_type="user", subject_id=user.id, outlet_id=user.outlet_id)


def provisioning_uri(user: User) -> str:
    """What the enrolment QR code carries: the secret, the account and the issuer, for the app."""
    return pyotp.TOTP(user.totp_secret).provisioning_uri(
        name=user.username, issuer_name=current_app.config["TWO_FACTOR_ISSUER"]
    )


def start_enrolment(user: User) -> str:
    """A new secret for the account, not yet in use; returns it (for the QR code and typing in)."""
    if is_enabled(user):
        raise AccountError(Message(N_("Two-factor sign-in is on already.")))
    user.totp_secret = pyotp.random_base32()
    user.totp_last_step = None
    db.session.flush()
    return user.totp_secret


def _matching_step(user: User, typed: str) -> int | None:
    """The time step whose code `typed` is, if it is one of now's and newer than the last accepted."""
    code = "".join(char for char in (typed or "") if char.isdigit())
    if not user.totp_secret or len(code) != 6:
        return None
    totp = pyotp.TOTP(user.totp_secret)
    now = totp.timecode(datetime.now(UTC))
    for step in range(now - STEPS_EITHER_SIDE, now + STEPS_EITHER_SIDE + 1):
        fresh = user.totp_last_step is None or step > user.totp_last_step
        if fresh and hmac.compare_digest(totp.generate_otp(step), code):
            return step
    return None


def _new_recovery_codes(user: User) -> list[str]:
    db.session.execute(delete(RecoveryCode).where(RecoveryCode.user_id == user.id))
    codes = [random_code(RECOVERY_CODE_LENGTH) for _ in range(RECOVERY_CODES)]
    db.session.add_all(RecoveryCode(user_id=user.id, code_digest=code_digest(code)) for code in codes)
    return [grouped(code) for code in codes]


def confirm_enrolment(user: User, typed: str) -> list[str]:
    """Switch two-factor sign-in on once a code from the app matches; returns the recovery codes."""
    if is_enabled(user) or not user.totp_secret:
        raise AccountError(Message(N_("Start the set-up again: scan the new QR code.")))
    step = _matching_step(user, typed)
    if step is None:
        raise AccountError(Message(WRONG_CODE), "code")
    user.totp_enabled_at, user.totp_last_step = utcnow(), step
    codes = _new_recovery_codes(user)
    _audit("two_factor_enabled", user, user)
    db.session.flush()
    return codes


def check_second_factor(user: User, typed: str, first_step: str = "password") -> bool:
    """Whether `typed` is a current authenticator code or an unused recovery code (used up now).

    A wrong code is counted: it grows the account's wait like a wrong password. The sign-in page
    takes a few codes per password (accounts/views.py), then wants the password again, which that
    wait holds back. It is not a refusal: the count must be committed, not rolled back.
    """
    step = _matching_step(user, typed)
    if step is not None:
        user.totp_last_step = step
    elif not _use_recovery_code(user, typed):
        count_failure(user)
        db.session.flush()
        return False
    complete_sign_in(user, f"{first_step}+second_factor")  # first_step: "password" or "sso"
    db.session.flush()
    return True


def _use_recovery_code(user: User, typed: str) -> bool:
    if len(normalise_code(typed)) != RECOVERY_CODE_LENGTH:
        return False
    recovery = db.session.scalar(
        select(RecoveryCode).where(
            RecoveryCode.user_id == user.id,
            RecoveryCode.code_digest == code_digest(typed),
            RecoveryCode.used_at.is_(None),
        )
    )
    if recovery is None:
        return False
    recovery.used_at = utcnow()
    _audit("recovery_code_used", user, user)
    return True


def recovery_codes_left(user: User) -> int:
    return len(
        db.session.scalars(
            select(RecoveryCode.id).where(RecoveryCode.user_id == user.id, RecoveryCode.used_at.is_(None))
        ).all()
    )


def renew_recovery_codes(user: User, typed: str) -> list[str]:
    """New recovery codes (the old ones stop working), on a current code from the app."""
    step = _matching_step(user, typed) if is_enabled(user) else None
    if step is None:
        raise AccountError(Message(WRONG_CODE), "code")
    user.totp_last_step = step
    codes = _new_recovery_codes(user)
    _audit("recovery_codes_renewed", user, user)
    db.session.flush()
    return codes


def _switch_off(user: User) -> None:
    user.totp_secret = user.totp_enabled_at = user.totp_last_step = None
    db.session.execute(delete(RecoveryCode).where(RecoveryCode.user_id == user.id))


def disable(user: User, typed: str) -> None:
    """The account's owner switches it off, where it is optional, on a current code from the app."""
    if is_required(user):
        raise AccountError(Message(N_("Accounts of your role must sign in with a second factor.")))
    if not is_enabled(user) or _matching_step(user, typed) is None:
        raise AccountError(Message(WRONG_CODE), "code")
    _switch_off(user)
    _audit("two_factor_disabled", user, user)
    db.session.flush()


def reset_by_administrator(user: User, *, actor) -> None:
    """A lost device: the administrator (`actor` None: the command line, for a sole administrator
    who lost theirs) switches the account's second factor off and signs it out everywhere; it enrols
    again at its next sign-in where it is required."""
    if actor is not None and actor.role != Role.ADMIN:
        raise AccountError(Message(N_("Only an administrator can reset a second factor.")))
    if not is_enabled(user) and not user.totp_secret:
        raise AccountError(Message(N_("This account has no second factor to reset.")))
    _switch_off(user)
    user.rotate_session_token()
    _audit("two_factor_reset", user, actor)
    db.session.flush()
