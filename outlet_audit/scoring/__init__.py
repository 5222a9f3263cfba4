"""Scoring: answers + criteria edition → score, level and the reasons a level was not reached. Pure."""

from outlet_audit.scoring.answer_types import ANSWER_TYPES, AnswerType, answer_type, register
from outlet_audit.scoring.engine import (
    UNANSWERED,
    Answer,
    InvalidAnswers,
    ItemScore,
    ScoreResult,
    SectionScore,
    answers_from_json,
    check_answers,
    evidence_required,
    score,
    skipped_items,
    validate_answer,
)
from outlet_audit.scoring.spot_check import SpotCheckOutcome, spot_check_outcome

__all__ = [
    "ANSWER_TYPES",
    "UNANSWERED",
    "Answer",
    "AnswerType",
    "InvalidAnswers",
    "ItemScore",
    "ScoreResult",
    "SectionScore",
    "SpotCheckOutcome",
    "answer_type",
    "answers_from_json",
    "check_answers",
    "evidence_required",
    "register",
    "score",
    "skipped_items",
    "spot_check_outcome",
    "validate_answer",
]
