"""The team of an inspection record and each member's signature of it (`visit_inspectors.signed_at`).

Every member of a record's team signs it: the first signature signs the record itself (its score
is kept, its answers are locked, its findings are written: `workflow.actions`), each other member
then signs the record as locked. The application stays at its visit stage until the last member
has signed (the state machine's SIGN_OFF rows), so "the record waits for its team" is read from the
application (`permissions.awaiting_team`); who signed and when is read here.

Records signed before members signed one by one (migration 0012) name only their signer: their
other members have no signature time, and the pages say so rather than show them as waiting.
"""

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select, update

from outlet_audit.accounts.models import User
from outlet_audit.checklist.models import Assessment, visit_inspectors
from outlet_audit.extensions import db
from outlet_audit.roles import Agency


@dataclass(frozen=True)
class Member:
    """One inspector of a record's team and when they signed it (None: not yet, or never asked to)."""

    user: User
    signed_at: datetime | None

    @property
    def agency(self) -> Agency | None:
        return self.user.agency

    @property
    def signed(self) -> bool:
        return self.signed_at is not None


def teams_of(record_ids: Iterable[int]) -> dict[int, list[Member]]:
    """Each record's team, members in the order of their accounts (as `Assessment.inspectors`), in
    one query; a record without a team maps to []."""
    ids = list(record_ids)
    teams: dict[int, list[Member]] = defaultdict(list)
    if not ids:
        return teams
    rows = db.session.execute(
        select(visit_inspectors.c.assessment_id, User, visit_inspectors.c.signed_at)
        .join(User, User.id == visit_inspectors.c.inspector_id)
        .where(visit_inspectors.c.assessment_id.in_(ids))
        .order_by(visit_inspectors.c.assessment_id, User.id)
    )
    for record_id, user, signed_at in rows:
        teams[record_id].append(Member(user, signed_at))
    return teams


def team_of(record: Assessment) -> list[Member]:
    return teams_of([record.id])[record.id]


def signatures_of(record: Assessment) -> dict[int, datetime | None]:
    """Who is on the record's team (by user id) and when each signed it: the facts the state
    machine reads, without loading the accounts."""
    rows = db.session.execute(
        select(visit_inspectors.c.inspector_id, visit_inspectors.c.signed_at).where(
            visit_inspectors.c.assessment_id == record.id
        )
    )
    return dict(rows.all())


def is_joint(team: Iterable[Member]) -> bool:
    """A joint team: its members come from more than one agency."""
    return len({member.agency for member in team}) > 1


def unsigned(team: Iterable[Member]) -> list[Member]:
    return [member for member in team if not member.signed]


def sign_as_member(record: Assessment, user, now: datetime) -> None:
    """Keep `user`'s signature of the record; the state machine has checked they are a member who
    has not signed. The condition is repeated in the write so a signature is never overwritten."""
    written = db.session.execute(
        update(visit_inspectors)
        .where(
            visit_inspectors.c.assessment_id == record.id,
            visit_inspectors.c.inspector_id == user.id,
            visit_inspectors.c.signed_at.is_(None),
        )
        .values(signed_at=now)
    )
    if written.rowcount != 1:
        raise RuntimeError(
            f"user {user.id} cannot sign inspection record {record.id}: no unsigned membership"
        )
