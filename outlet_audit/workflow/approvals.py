"""Approval steps as signed: the rounds of an application's approval, where it stands, and writing a step.

The steps themselves come from the application's pinned edition (`LevelRules.approvals`); the
records of who signed which are `ApprovalRecord` rows. A round starts with the district postal
bureau's proposal (position 0) and ends when the last step agrees (approved) or any step disagrees
or returns it (back to inspected). The status machine (`states`) decides who may sign what; this
module reads and writes the records.
"""

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from outlet_audit.accounts.models import User
from outlet_audit.core.requests import flush_or_refuse
from outlet_audit.criteria.editions import pinned_edition
from outlet_audit.criteria.model import ApprovalStep, Edition
from outlet_audit.extensions import db
from outlet_audit.roles import Agency, Outcome
from outlet_audit.text import N_, Message
from outlet_audit.workflow.models import Application, ApprovalRecord
from outlet_audit.workflow.states import Level


@dataclass(frozen=True)
class Standing:
    """Where the current round stands: the level proposed and how many steps agreed so far."""

    round: int
    level: Level | None
    agreed: int


def approval_chains(edition: Edition) -> dict[Level, tuple[ApprovalStep, ...]]:
    return {Level(rules.code): rules.approvals for rules in edition.levels}


def records_of(application_id: int) -> list[ApprovalRecord]:
    """Every step signed on the application, in order (rounds, then positions)."""
    # The signer's name is read, not the signer's organisation (the record names its own): joined
    # in by default, it and its district cost a third of the page's approval section.
    return list(
        db.session.scalars(
            select(ApprovalRecord)
            .options(
                selectinload(ApprovalRecord.user).lazyload(User.organisation),
                selectinload(ApprovalRecord.organisation),
            )
            .where(ApprovalRecord.application_id == application_id)
            .order_by(ApprovalRecord.round, ApprovalRecord.position)
        )
    )


def standing(application_id: int) -> Standing:
    """The current round: its level and the steps agreed (one query)."""
    rows = db.session.execute(
        select(ApprovalRecord.round, ApprovalRecord.level, ApprovalRecord.outcome)
        .where(
            ApprovalRecord.application_id == application_id,
            ApprovalRecord.round
            == select(func.max(ApprovalRecord.round))
            .where(ApprovalRecord.application_id == application_id)
            .scalar_subquery(),
        )
        .order_by(ApprovalRecord.position)
    ).all()
    if not rows:
        return Standing(round=0, level=None, agreed=0)
    agreed = 0
    for row in rows:
        if row.outcome != Outcome.AGREE:
            break
        agreed += 1
    return Standing(round=rows[0].round, level=Level(rows[0].level), agreed=agreed)


def record_step(
    application: Application,
    user: User,
    *,
    outcome: Outcome,
    opinion: str,
    now: datetime,
    level: Level | None = None,
) -> ApprovalRecord:
    """Write the step the user signs: the proposal (a new round, with its `level`) or the current one."""
    edition = pinned_edition(application.edition)
    current = standing(application.id)
    if level is not None:  # a proposal opens the next round at its first step
        round_, position = current.round + 1, 0
    else:
        round_, position, level = current.round, current.agreed, current.level
    step = approval_chains(edition)[level][position]
    row = ApprovalRecord(
        application_id=application.id,
        round=round_,
        position=position,
        level=level.value,
        agency=step.agency.value,
        act=step.act.value,
        outcome=outcome.value,
        opinion=opinion.strip(),
        organisation_id=user.organisation_id,  # the state machine let only the step's agency sign
        user_id=user.id,
        created_at=now,
    )
    db.session.add(row)
    # Two people signing the same step at once: the second is told, not counted twice.
    flush_or_refuse(Message(N_("this approval step was signed a moment ago; reload the page to see it")))
    return row


def next_step(application: Application) -> ApprovalStep | None:
    """The step that waits after the records written so far, or None when the round is over."""
    current = standing(application.id)
    if current.level is None:
        return None
    steps = approval_chains(pinned_edition(application.edition))[current.level]
    return steps[current.agreed] if current.agreed < len(steps) else None


def signers_of_round(application_id: int) -> list[User]:
    """The people who signed a step of the current round: told when a later step stops it."""
    current = standing(application_id)
    return list(
        db.session.scalars(
            select(User)
            .join(ApprovalRecord, ApprovalRecord.user_id == User.id)
            .where(ApprovalRecord.application_id == application_id, ApprovalRecord.round == current.round)
            .distinct()
        )
    )


@dataclass(frozen=True)
class StepLine:
    """One step of a round as the application page and the report show it."""

    position: int
    agency: Agency
    act: str
    record: ApprovalRecord | None  # None: not signed (yet, or never: the round stopped before it)
    current: bool  # the step that waits now


@dataclass(frozen=True)
class RoundView:
    number: int
    level: Level
    lines: tuple[StepLine, ...]
    open: bool  # the round still in progress

    @property
    def ended_by(self) -> ApprovalRecord | None:
        """The disagreement or return that ended the round, if one did."""
        return next(
            (line.record for line in self.lines if line.record and line.record.outcome != Outcome.AGREE), None
        )


def approval_rounds(application: Application, edition: Edition, *, in_approval: bool) -> list[RoundView]:
    """Every round of the application's approval, newest first, each step with its record if signed."""
    records = records_of(application.id)
    chains = approval_chains(edition)
    by_round: dict[int, list[ApprovalRecord]] = {}
    for record in records:
        by_round.setdefault(record.round, []).append(record)
    rounds = []
    last_round = max(by_round, default=0)
    for number, signed in sorted(by_round.items(), reverse=True):
        level = Level(signed[0].level)
        steps = chains.get(level, ())
        at = {record.position: record for record in signed}
        still_open = in_approval and number == last_round
        waiting = len(signed) if still_open else -1
        lines = tuple(
            StepLine(position, step.agency, step.act, at.get(position), position == waiting)
            for position, step in enumerate(steps)
        )
        # a round recorded under steps the edition no longer has (migrated history): show what was signed
        extra = tuple(
            StepLine(record.position, Agency(record.agency), record.act, record, False)
            for record in signed
            if record.position >= len(steps)
        )
        rounds.append(RoundView(number, level, lines + extra, still_open))
    return rounds
