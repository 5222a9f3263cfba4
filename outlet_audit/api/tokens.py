"""Making, revoking and checking API tokens. Operations flush; the view commits.

A token reads `oa_<id>_<secret>`: the prefix makes a leaked one recognisable (secret scanners,
logs), the id finds its row in one indexed read, the secret is 32 random bytes (base64url). The row
keeps only SHA-256 of the secret, compared in constant time. Not bcrypt or scrypt: those slow down
guessing a *password* people chose from a small space; 256 random bits cannot be guessed at any
speed, and a deliberately slow hash would cost every API request tens of milliseconds of CPU.
"""

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from sqlalchemy import or_, update

from outlet_audit.api.models import ApiToken
from outlet_audit.api.scopes import TokenScope, scopes_text
from outlet_audit.audit.operations import record
from outlet_audit.core.time import utcnow
from outlet_audit.extensions import db
from outlet_audit.roles import BUREAU_ROLES, Role
from outlet_audit.text import N_, Message, Refused

TOKEN_PREFIX = "oa_"  # noqa: S105 - the public prefix, not a secret
SECRET_BYTES = 32
# A token's last use is written at most this often: a busy client must not turn every read into a write.
LAST_USED_RESOLUTION = timedelta(minutes=1)
MAX_TOKEN_CHARS = 120


class TokenRefused(Refused):
    """A token cannot be made or revoked as asked."""


def can_manage_tokens(user, organisation) -> bool:
    """The system administrator manages every organisation's tokens; an organisation's approvers
    (who sign for it) manage its own. Other staff may not hand out their organisation's data."""
    if user.role == Role.ADMIN:
        return True
    return user.role in BUREAU_ROLES and user.approver and user.organisation_id == organisation.id


def secret_digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


@dataclass(frozen=True)
class IssuedToken:
    token: ApiToken
    plain: str  # shown once, never stored


def issue_token(organisation, *, name: str, scopes, expires_at: datetime | None, actor) -> IssuedToken:
    if not can_manage_tokens(actor, organisation):
        raise TokenRefused(
            Message(N_("Only the organisation's approvers or an administrator make its tokens."))
        )
    chosen = frozenset(TokenScope(scope) for scope in scopes)
    if not chosen:
        raise TokenRefused(Message(N_("Choose at least one scope.")), field="scopes")
    now = utcnow()
    if expires_at is not None and expires_at <= now:
        raise TokenRefused(Message(N_("The expiry must lie in the future.")), field="expires_on")
    secret = secrets.token_urlsafe(SECRET_BYTES)
    token = ApiToken(
        organisation_id=organisation.id,
        name=name.strip(),
        secret_sha256=secret_digest(secret),
        scopes=scopes_text(chosen),
        created_by_id=actor.id,
        created_at=now,
        expires_at=expires_at,
    )
    db.session.add(token)
    db.session.flush()
    record(
        "api_token_created",
        actor=actor,
        subject_type="api_token",
        subject_id=token.id,
        field=token.scopes,
        new=f"{token.name} ({organisation.code})",
    )
    return IssuedToken(token, f"{TOKEN_PREFIX}{token.id}_{secret}")


def revoke_token(token: ApiToken, *, actor) -> None:
    if not can_manage_tokens(actor, token.organisation):
        raise TokenRefused(
            Message(N_("Only the organisation's approvers or an administrator revoke its tokens."))
        )
    if token.revoked_at is not None:
        raise TokenRefused(Message(N_("This token was revoked already.")))
    token.revoked_at = utcnow()
    token.revoked_by_id = actor.id
    db.session.flush()
    record(
        "api_token_revoked",
        actor=actor,
        subject_type="api_token",
        subject_id=token.id,
        new=f"{token.name} ({token.organisation.code})",
    )


def parse_token(text: str) -> tuple[int, str] | None:
    """The id and secret of a token as typed, or None for anything else."""
    if len(text) > MAX_TOKEN_CHARS or not text.startswith(TOKEN_PREFIX):
        return None
    number, _, secret = text[len(TOKEN_PREFIX) :].partition("_")
    if not number.isdigit() or not secret or len(number) > 9:  # beyond any row id: names nothing
        return None
    return int(number), secret


def token_for(text: str) -> ApiToken | None:
    """The usable token the text is, or None (unknown, wrong secret, revoked or expired alike)."""
    parsed = parse_token(text)
    if parsed is None:
        return None
    token = db.session.get(ApiToken, parsed[0])
    if token is None or not hmac.compare_digest(token.secret_sha256, secret_digest(parsed[1])):
        return None
    now = utcnow()
    if not token.usable_at(now):
        return None
    _note_use(token, now)
    return token


def _note_use(token: ApiToken, now: datetime) -> None:
    """Write the last use when it is older than the resolution (a conditional UPDATE: two workers
    reading the same token never both write, and nothing waits on a lock for long)."""
    if token.last_used_at is not None and now - token.last_used_at < LAST_USED_RESOLUTION:
        return
    db.session.execute(
        update(ApiToken)
        .where(
            ApiToken.id == token.id,
            or_(ApiToken.last_used_at.is_(None), ApiToken.last_used_at < now - LAST_USED_RESOLUTION),
        )
        .values(last_used_at=now)
        .execution_options(synchronize_session=False)
    )
    db.session.commit()


def start_of_shanghai_day(day: date) -> datetime:
    """00:00 in Shanghai on `day`, as naive UTC (the database's convention; Shanghai keeps UTC+8)."""
    return datetime.combine(day, time()) - timedelta(hours=8)
