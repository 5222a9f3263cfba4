"""The result page's figures: score, sections, veto failures, level and reasons, self vs inspection.

A signed-off inspection is shown as it was scored at sign-off (the stored `result`, which the
bureau decides on); one still open is scored now. Both go through the same JSON shape.
"""

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from outlet_audit.checklist.page import display_answer
from outlet_audit.criteria.model import Edition, Item, Section
from outlet_audit.scoring import UNANSWERED, Answer
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


def result_view(edition: Edition, result: dict[str, Any]) -> ResultView:
    """Read a `ScoreResult.to_dict()` (stored at sign-off or fresh) against its edition."""
    sections = {s.code: s for s in edition.sections}
    return ResultView(
        total=result["total"],
        bonus=result["bonus"],
        final=result["final"],
        level=result["level"],
        sections=tuple(
            SectionLine(sections[line["code"]], line["earned"], line["possible"])
            for line in result["sections"]
            if line["code"] in sections
        ),
        veto_failures=tuple(edition.item(code) for code in result["veto_failures"]),
        reasons={
            level: tuple(Message(m["template"], m.get("params") or {}) for m in messages)
            for level, messages in result["reasons"].items()
        },
        item_points={line["code"]: line for line in (*result["items"], *result["bonus_items"])},
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
