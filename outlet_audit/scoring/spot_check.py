"""Did a spot check (抽查) pass? The edition's spot-check rule applied to a scored checklist. Pure.

Only the items the spot check covers count: their earned and possible points as the normal
scoring gave them (an N/A or left-out item 0 of 0, an unanswered one 0 of its points), and their
failed vetoes and requirements. An item the spot check does not cover never changes the outcome.
`percent` is earned ÷ possible × 100, rounded half up to one decimal like every score (0.0 when
nothing was possible), and passes when it reaches the edition's `min_percent`.
"""

from dataclasses import dataclass
from decimal import Decimal

from outlet_audit.criteria.model import Edition
from outlet_audit.scoring.engine import ZERO, ScoreResult, round_score


@dataclass(frozen=True)
class SpotCheckOutcome:
    passed: bool
    earned: Decimal
    possible: Decimal
    percent: Decimal
    failed_vetoes: tuple[str, ...]  # covered veto items (and requirements) that failed, in edition order
    short_items: tuple[str, ...]  # covered items that earned less than their possible points


def spot_check_outcome(edition: Edition, result: ScoreResult) -> SpotCheckOutcome:
    rules = edition.supervision.spot_check
    covered = tuple(score for score in result.items if rules.covers(score.code))
    earned = sum((score.earned for score in covered), ZERO)
    possible = sum((score.possible for score in covered), ZERO)
    percent = round_score(earned * 100 / possible) if possible else round_score(ZERO)
    failed_vetoes = tuple(score.code for score in covered if score.veto_failed)
    passed = percent >= rules.min_percent and not (rules.no_veto_failed and failed_vetoes)
    return SpotCheckOutcome(
        passed=passed,
        earned=earned,
        possible=possible,
        percent=percent,
        failed_vetoes=failed_vetoes,
        short_items=tuple(score.code for score in covered if score.earned < score.possible),
    )
