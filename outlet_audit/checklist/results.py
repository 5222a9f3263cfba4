"""The result page's figures: score, sections, veto failures, level and reasons, self vs inspection,
and what changed between two inspection records (the report prints the same).

The score comes from `checklist.service.assessment_score`: as kept at sign-off for a signed-off
inspection, scored now for one still open.
"""

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any, Protocol

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


class StoredAnswer(Protocol):
    """An answer row as stored (`checklist.models.Answer`): what `amendments` compares."""

    value: str | None
    not_applicable: bool
    note: str | None
    updated_by_id: int | None
    updated_at: datetime


@dataclass(frozen=True)
class Amendment:
    """One item whose answer or note differs between two records of an application.

    `before` is the row in the earlier record, `after` the one in the later (None: not answered
    there). A later record starts as a copy of the earlier one, who and when included, so the
    later row's `updated_by_id` and `updated_at` say who changed it and when.
    """

    item: Item
    before: StoredAnswer | None
    after: StoredAnswer | None

    @property
    def changed_by_id(self) -> int | None:
        return self.after.updated_by_id if self.after is not None else None

    @property
    def changed_at(self) -> datetime | None:
        return self.after.updated_at if self.after is not None else None


def amendments(
    edition: Edition, before: Mapping[str, StoredAnswer], after: Mapping[str, StoredAnswer]
) -> list[Amendment]:
    """The items whose answer, N/A or note differ between two records, in the edition's order.

    What a correction changed in the record it amends, or what a re-inspection found changed since
    the visit before it. Answers are compared as stored (the text every save writes alike).
    """
    return [
        Amendment(item, before.get(item.code), after.get(item.code))
        for item in (*edition.items(), *edition.bonus_items())
        if _as_stored(before.get(item.code)) != _as_stored(after.get(item.code))
    ]


def _as_stored(row: StoredAnswer | None) -> tuple | None:
    if row is None:
        return None
    return (None if row.not_applicable else row.value, row.not_applicable, (row.note or "").strip() or None)
