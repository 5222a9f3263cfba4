"""The result page's figures: score, sections, veto failures, level and reasons, self vs inspection.

The score comes from `checklist.service.assessment_score`: as kept at sign-off for a signed-off
inspection, scored now for one still open.
"""

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from outlet_audit.checklist.forms import display_answer
from outlet_audit.criteria.model import Edition, Item, Section, decimal_text
from outlet_audit.scoring import UNANSWERED, Answer, ScoreResult
from outlet_audit.text import Message


@dataclass(frozen=True)
class SectionLine:
    section: Section
    earned: str
    possible: str


@dataclass(frozen=True)
class ResultView:
    total: str
    bonus: str
    final: str
    level: str | None
    sections: tuple[SectionLine, ...]
    veto_failures: tuple[Item, ...]
    reasons: dict[str, tuple[Message, ...]]  # per level not reached, in level order
    item_points: dict[str, dict[str, Any]]  # code -> {"earned", "possible", "not_applicable", ...}


def result_view(edition: Edition, result: ScoreResult) -> ResultView:
    """The figures of a score as the page writes them, read against its edition."""
    sections = {s.code: s for s in edition.sections}
    return ResultView(
        total=str(result.total),
        bonus=str(result.bonus),
        final=str(result.final),
        level=result.level,
        sections=tuple(
            SectionLine(sections[line.code], decimal_text(line.earned), decimal_text(line.possible))
            for line in result.sections
            if line.code in sections
        ),
        veto_failures=tuple(edition.item(code) for code in result.veto_failures),
        reasons=dict(result.reasons),
        item_points={line.code: line.to_dict() for line in (*result.items, *result.bonus_items)},
    )


@dataclass(frozen=True)
class Difference:
    """One item as the outlet assessed itself and as the inspectors found it."""

    item: Item
    self_text: str
    inspection_text: str
    self_points: str
    inspection_points: str
    differs: bool


def differences(
    edition: Edition,
    inspection: dict[str, Answer],
    inspection_points: dict[str, dict[str, Any]],
    self_answers: dict[str, Answer],
    self_points: dict[str, dict[str, Any]],
    lang: str,
) -> list[Difference]:
    """Every item, self-assessment beside inspection; `differs` when answer or points disagree."""
    lines = []
    for item in (*edition.items(), *edition.bonus_items()):
        mine, theirs = self_answers.get(item.code, UNANSWERED), inspection.get(item.code, UNANSWERED)
        mine_points, their_points = _points(self_points, item.code), _points(inspection_points, item.code)
        lines.append(
            Difference(
                item=item,
                self_text=display_answer(item, mine, lang),
                inspection_text=display_answer(item, theirs, lang),
                self_points=mine_points,
                inspection_points=their_points,
                differs=_comparable(mine) != _comparable(theirs) or mine_points != their_points,
            )
        )
    return lines


def _points(points: dict[str, dict[str, Any]], code: str) -> str:
    """Points earned, or a dash when unanswered or N/A (the answer column says which)."""
    line = points.get(code)
    if line is None or not line["answered"] or line["not_applicable"]:
        return "—"
    return line["earned"]


def _comparable(answer: Answer):
    value = (
        Decimal(answer.value)
        if isinstance(answer.value, Decimal | int) and not isinstance(answer.value, bool)
        else answer.value
    )
    return answer.not_applicable, value
