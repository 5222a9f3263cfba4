"""The answer types an item can have, as a registry keyed by the `answer.type` name in edition files.

Pure. Each type says which Python values it accepts, what an accepted value earns and how
to read a value from JSON. To add a type: subclass `AnswerType`, decorate it with
`@register`, add its branch to criteria/edition.schema.json and, if it takes new
parameters, a field to `AnswerSpec` (outlet_audit/criteria/model.py).
"""

import re
from collections.abc import Sequence
from decimal import Decimal
from typing import Any, ClassVar

from outlet_audit.criteria.model import AnswerSpec, Threshold
from outlet_audit.text import N_, Message

ZERO = Decimal(0)


class AnswerType:
    name: ClassVar[str]

    def check(self, spec: AnswerSpec, value: Any) -> Message | None:
        """Why this (non-None) value is not a valid answer, or None when it is."""
        raise NotImplementedError

    def earned(self, spec: AnswerSpec, points: Decimal, value: Any) -> Decimal:
        """Points a checked value earns on an item worth `points`."""
        raise NotImplementedError

    def from_json(self, raw: Any) -> Any:
        """The Python value for a JSON value; returned as is when it cannot be read, so `check` reports it."""
        return raw


ANSWER_TYPES: dict[str, AnswerType] = {}


def register(cls: type[AnswerType]) -> type[AnswerType]:
    ANSWER_TYPES[cls.name] = cls()
    return cls


def answer_type(name: str) -> AnswerType:
    return ANSWER_TYPES[name]


def _is_number(value: Any) -> bool:
    # floats are refused on purpose: scores are exact, so callers pass Decimal (or int)
    return isinstance(value, Decimal | int) and not isinstance(value, bool) and Decimal(value).is_finite()


# A number as people write one: ASCII digits, an optional sign and decimal point. Python's int(),
# float() and Decimal() also take full-width and other Unicode digits ("１０"), underscores ("1_0"),
# exponents, "NaN" and "Infinity"; none of those is a count or a share anyone typed on purpose.
_PLAIN_NUMBER = re.compile(r"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)")


def number_from_text(text: str) -> Decimal | None:
    """The number a typed text holds (spaces around it allowed), or None when it is not a plain number."""
    stripped = text.strip()
    return Decimal(stripped) if _PLAIN_NUMBER.fullmatch(stripped) else None


def _decimal_from_json(raw: Any) -> Any:
    if isinstance(raw, bool):
        return raw
    if isinstance(raw, int):
        return Decimal(raw)
    if isinstance(raw, float):
        return Decimal(str(raw))  # via str: 96.5 stays 96.5, not its binary expansion
    if isinstance(raw, str):
        number = number_from_text(raw)
        return raw if number is None else number  # unread: `check` reports it
    return raw


def threshold_points(thresholds: Sequence[Threshold], value: Decimal) -> Decimal:
    """Points of the first threshold the value reaches, else 0.

    Higher is better: `min` thresholds, highest first, reached when value >= min. Lower is better
    (violations found, a rate of second packaging): `max` thresholds, lowest first, reached when
    value <= max.
    """
    return next((t.points for t in thresholds if _reaches(t, value)), ZERO)


def _reaches(threshold: Threshold, value: Decimal) -> bool:
    if threshold.max is not None:
        return value <= threshold.max
    return value >= threshold.min


@register
class YesNo(AnswerType):
    name = "yes_no"

    def check(self, spec, value):
        return None if isinstance(value, bool) else Message(N_("must be yes or no"))

    def earned(self, spec, points, value):
        return points if value is spec.earns_on else ZERO


@register
class Choice(AnswerType):
    name = "choice"

    def check(self, spec, value):
        if isinstance(value, str) and spec.option(value):
            return None
        return Message(N_("unknown option %(option)s"), {"option": str(value)})

    def earned(self, spec, points, value):
        option = spec.option(value)
        return option.points if option else ZERO


@register
class Percentage(AnswerType):
    name = "percentage"

    def check(self, spec, value):
        if not _is_number(value):
            return Message(N_("must be a number"))
        if not ZERO <= Decimal(value) <= 100:
            return Message(N_("must be between 0 and 100"))
        return None

    def earned(self, spec, points, value):
        return threshold_points(spec.thresholds, Decimal(value))

    def from_json(self, raw):
        return _decimal_from_json(raw)


@register
class Count(AnswerType):
    name = "number"

    def check(self, spec, value):
        if not _is_number(value):
            return Message(N_("must be a number"))
        if Decimal(value) < 0:
            return Message(N_("must not be negative"))
        if Decimal(value) != Decimal(value).to_integral_value():
            return Message(N_("must be a whole number"))
        return None

    def earned(self, spec, points, value):
        if spec.deduction:  # 每处扣 N 分: each unit counted costs `each`, down to the floor
            return max(points - spec.deduction.each * Decimal(value), spec.deduction.floor)
        return threshold_points(spec.thresholds, Decimal(value))

    def from_json(self, raw):
        return _decimal_from_json(raw)
