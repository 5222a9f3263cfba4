"""Score one set of answers against one criteria edition. Pure: no Flask, no database, no clock.

Arithmetic is exact (Decimal) and rounding happens in one place, `round_score`:
- an item earns exactly the points its answer gives (values from the edition, never rounded);
  an N/A item counts neither earned nor possible points; an unanswered item earns 0 of its points;
- `total` = earned / possible × 100 over the scored items, rounded half-up to one decimal place
  (0.0 when every item is N/A);
- `bonus` = the bonus items' points, capped at the edition's cap, rounded half-up to one decimal;
- `final` = total + bonus, cut to the edition's `final_cap` when it has one; each level's
  `min_score` is compared with this rounded `final`, its `min_total` with `total`.
A veto item fails when it is answered and earns 0 points (veto items never allow N/A); a
requirement (no points of its own) fails on the wrong yes/no answer. Either blocks the levels
from its `required_from` up. An item that does not apply to the outlet's profile, or a
conditional item whose condition does not hold, is left out: 0 of 0 points, never missing, and
an answer stored for it is ignored.
Levels are cumulative: the city level also needs every district rule. No level is reached
while any scored item is unanswered.
"""

from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from outlet_audit.criteria.model import LEVEL_CODES, Condition, Edition, Item, LevelRules, decimal_text
from outlet_audit.scoring.answer_types import answer_type
from outlet_audit.text import N_, Message

ZERO = Decimal(0)
ONE_DECIMAL = Decimal("0.1")


@dataclass(frozen=True)
class Answer:
    """bool for yes_no, option code for choice, Decimal for percentage and number, None if unanswered."""

    value: bool | str | Decimal | None = None
    not_applicable: bool = False

    @property
    def answered(self) -> bool:
        return self.not_applicable or self.value is not None


UNANSWERED = Answer()


@dataclass(frozen=True)
class ItemScore:
    code: str
    earned: Decimal
    possible: Decimal
    answered: bool
    not_applicable: bool
    veto_failed: bool
    full_marks: bool
    skipped: str | None = None  # "profile" or "condition": left out, not asked (a stored result may lack it)

    def to_dict(self) -> dict[str, Any]:
        data = {
            "code": self.code,
            "earned": decimal_text(self.earned),
            "possible": decimal_text(self.possible),
            "answered": self.answered,
            "not_applicable": self.not_applicable,
            "veto_failed": self.veto_failed,
            "full_marks": self.full_marks,
        }
        if self.skipped:  # only when left out: results of older editions keep their exact shape
            data["skipped"] = self.skipped
        return data

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> "ItemScore":
        return cls(
            code=data["code"],
            earned=Decimal(data["earned"]),
            possible=Decimal(data["possible"]),
            answered=data["answered"],
            not_applicable=data["not_applicable"],
            veto_failed=data["veto_failed"],
            full_marks=data["full_marks"],
            skipped=data.get("skipped"),
        )


@dataclass(frozen=True)
class SectionScore:
    code: str
    earned: Decimal
    possible: Decimal


@dataclass(frozen=True)
class ScoreResult:
    edition_id: str
    edition_hash: str
    items: tuple[ItemScore, ...]
    sections: tuple[SectionScore, ...]
    bonus_items: tuple[ItemScore, ...]
    total: Decimal
    bonus: Decimal
    final: Decimal
    veto_failures: tuple[str, ...]
    missing: tuple[str, ...]
    level: str | None
    reasons: Mapping[str, tuple[Message, ...]] = field(default_factory=dict)  # per level not reached

    def item(self, code: str) -> ItemScore:
        return next(s for s in (*self.items, *self.bonus_items) if s.code == code)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready: Decimals as strings, messages as template, params and English text."""
        return {
            "edition": {"id": self.edition_id, "content_hash": self.edition_hash},
            "total": str(self.total),
            "bonus": str(self.bonus),
            "final": str(self.final),
            "level": self.level,
            "veto_failures": list(self.veto_failures),
            "missing": list(self.missing),
            "reasons": {
                level: [_message_dict(m) for m in messages] for level, messages in self.reasons.items()
            },
            "sections": [
                {"code": s.code, "earned": decimal_text(s.earned), "possible": decimal_text(s.possible)}
                for s in self.sections
            ],
            "items": [s.to_dict() for s in self.items],
            "bonus_items": [s.to_dict() for s in self.bonus_items],
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> "ScoreResult":
        """The objects again from what `to_dict` wrote (and the database kept as JSON)."""
        return cls(
            edition_id=data["edition"]["id"],
            edition_hash=data["edition"]["content_hash"],
            items=tuple(ItemScore.from_dict(raw) for raw in data["items"]),
            sections=tuple(
                SectionScore(raw["code"], Decimal(raw["earned"]), Decimal(raw["possible"]))
                for raw in data["sections"]
            ),
            bonus_items=tuple(ItemScore.from_dict(raw) for raw in data["bonus_items"]),
            total=Decimal(data["total"]),
            bonus=Decimal(data["bonus"]),
            final=Decimal(data["final"]),
            veto_failures=tuple(data["veto_failures"]),
            missing=tuple(data["missing"]),
            level=data["level"],
            reasons={
                level: tuple(Message(raw["template"], raw.get("params") or {}) for raw in messages)
                for level, messages in data["reasons"].items()
            },
        )


class InvalidAnswers(ValueError):
    """Some answers cannot be scored; `problems` maps item codes to what is wrong."""

    def __init__(self, problems: Mapping[str, Message]):
        super().__init__("; ".join(f"{code}: {message}" for code, message in problems.items()))
        self.problems = dict(problems)


SKIPPED_BY_PROFILE = "profile"
SKIPPED_BY_CONDITION = "condition"


def skipped_items(
    edition: Edition, answers: Mapping[str, Answer], profile: Mapping[str, str] | None = None
) -> dict[str, str]:
    """Items left out for this outlet and these answers, with why: "profile" or "condition".

    Without a profile (None) every item applies: nothing is left out unless the profile says so.
    A conditional item is shown when its condition holds on the answer of an item that is itself
    shown; the loader refuses loops, so following the chain always ends.
    """
    skipped: dict[str, str] = {}
    items = (*edition.items(), *edition.bonus_items())
    if profile is not None:
        for item in items:
            if any(profile.get(fact) not in values for fact, values in item.applies_to):
                skipped[item.code] = SKIPPED_BY_PROFILE

    def shown(item: Item) -> bool:
        if item.code in skipped:
            return False
        condition = item.shown_when
        if condition is None:
            return True
        controller = edition.item(condition.item)
        return shown(controller) and condition_holds(condition, answers.get(controller.code, UNANSWERED))

    for item in items:
        if not shown(item) and item.code not in skipped:
            skipped[item.code] = SKIPPED_BY_CONDITION
    return skipped


def condition_holds(condition: Condition, answer: Answer) -> bool:
    """Does this answer of the controlling item show the conditional item? Never for N/A or unanswered."""
    if answer.not_applicable or answer.value is None:
        return False
    return _value_matches(answer.value, condition.answers, condition.above, condition.below)


def _value_matches(value: Any, answers: tuple, above: Decimal | None, below: Decimal | None) -> bool:
    """Is the value one of `answers`, or (percentage, number: when a bound is given) past a bound?"""
    if above is None and below is None:
        # compare with types: True == 1 in Python, but a yes_no answer is never an option code
        return any(type(v) is type(value) and v == value for v in answers)
    number = Decimal(value)
    return (above is not None and number > above) or (below is not None and number < below)


def validate_answer(item: Item, answer: Answer) -> Message | None:
    """Why this answer does not fit the item (type, range, N/A), or None when it does."""
    if answer.not_applicable:
        return None if item.not_applicable_allowed else Message(N_("N/A is not allowed for this item"))
    if answer.value is None:
        return None
    return answer_type(item.answer.type).check(item.answer, answer.value)


def check_answers(edition: Edition, answers: Mapping[str, Answer]) -> dict[str, Message]:
    """Every invalid answer by item code, unknown codes included."""
    problems: dict[str, Message] = {}
    for code, answer in answers.items():
        try:
            item = edition.item(code)
        except KeyError:
            problems[code] = Message(N_("unknown item %(code)s"), {"code": code})
            continue
        problem = validate_answer(item, answer)
        if problem:
            problems[code] = problem
    return problems


def evidence_required(item: Item, answer: Answer) -> bool:
    """Must the inspector attach evidence for this answer? Never for N/A or unanswered items."""
    rule = item.evidence
    if answer.not_applicable or answer.value is None or rule.required == "never":
        return False
    if rule.required == "always":
        return True
    return _value_matches(answer.value, rule.when, rule.above, rule.below)


ANSWER_OBJECT_KEYS = frozenset({"value", "not_applicable"})


def answers_from_json(edition: Edition, data: Mapping[str, Any]) -> dict[str, Answer]:
    """Read `{"1.1": true, "2.1": 96.5, "3.1": "A", "4.2": {"not_applicable": true}}` (codes → answers).

    An answer is a value, null (unanswered) or an object `{"value": ..., "not_applicable": bool}`.
    An object that says neither (`{}`, `{"not_applicable": false}`), N/A with a value, or an
    unknown key is refused, not read as unanswered: InvalidAnswers lists these with every other
    problem of the answers (values are checked as `check_answers` does).
    """
    answers: dict[str, Answer] = {}
    malformed: dict[str, Message] = {}
    for code, raw in data.items():
        not_applicable = False
        if isinstance(raw, Mapping):
            problem = _answer_object_problem(raw)
            if problem:
                malformed[code] = problem
                continue
            not_applicable, raw = raw.get("not_applicable", False), raw.get("value")
        try:
            kind = answer_type(edition.item(code).answer.type)
        except KeyError:  # check_answers reports the unknown code
            answers[code] = Answer(raw, not_applicable)
            continue
        answers[code] = Answer(None if raw is None else kind.from_json(raw), not_applicable)
    if malformed:
        raise InvalidAnswers(check_answers(edition, answers) | malformed)
    return answers


def _answer_object_problem(raw: Mapping[str, Any]) -> Message | None:
    if unknown := sorted(str(key) for key in raw if key not in ANSWER_OBJECT_KEYS):
        return Message(N_("unknown key %(key)s in the answer"), {"key": ", ".join(unknown)})
    not_applicable = raw.get("not_applicable", False)
    if not isinstance(not_applicable, bool):
        return Message(N_("not_applicable must be true or false"))
    if not_applicable and raw.get("value") is not None:
        return Message(N_("an answer cannot be N/A and have a value"))
    if not not_applicable and "value" not in raw:
        return Message(N_('no answer given: write {"not_applicable": true} for N/A, or the value itself'))
    return None


def score(
    edition: Edition,
    answers: Mapping[str, Answer],
    *,
    holds_valid_district_certificate: bool = False,
    profile: Mapping[str, str] | None = None,
) -> ScoreResult:
    """Score the answers for an outlet with this profile (None: every item applies); InvalidAnswers
    if any answer does not fit its item."""
    problems = check_answers(edition, answers)
    if problems:
        raise InvalidAnswers(problems)
    skipped = skipped_items(edition, answers, profile)
    items = tuple(_score_item(item, answers.get(item.code, UNANSWERED), skipped) for item in edition.items())
    by_code = {s.code: s for s in items}
    sections = tuple(
        SectionScore(
            section.code,
            _sum(by_code[item.code].earned for item in section.items),
            _sum(by_code[item.code].possible for item in section.items),
        )
        for section in edition.sections
    )
    earned, possible = _sum(s.earned for s in items), _sum(s.possible for s in items)
    total = round_score(earned * 100 / possible) if possible else round_score(ZERO)
    bonus_items = tuple(
        _score_item(item, answers.get(item.code, UNANSWERED), skipped) for item in edition.bonus_items()
    )
    bonus = (
        round_score(min(_sum(s.earned for s in bonus_items), edition.bonus.cap))
        if edition.bonus
        else round_score(ZERO)
    )
    final = total + bonus
    if edition.final_cap is not None:
        final = min(final, round_score(edition.final_cap))
    veto_failures = tuple(s.code for s in items if s.veto_failed)
    missing = tuple(s.code for s in items if not s.answered)

    level, reasons = None, {}
    for rules in edition.levels:  # lowest first: a level needs every rule of the levels below it
        failures = _level_failures(
            edition, rules, total, final, by_code, sections, missing, holds_valid_district_certificate
        )
        if reasons:  # the level below (district: LEVEL_CODES has two) already failed
            failures.append(Message(N_("district level not reached")))
        if failures:
            reasons[rules.code] = tuple(failures)
        else:
            level = rules.code
    return ScoreResult(
        edition_id=edition.id,
        edition_hash=edition.content_hash,
        items=items,
        sections=sections,
        bonus_items=bonus_items,
        total=total,
        bonus=bonus,
        final=final,
        veto_failures=veto_failures,
        missing=missing,
        level=level,
        reasons=reasons,
    )


def _score_item(item: Item, answer: Answer, skipped: Mapping[str, str]) -> ItemScore:
    if item.code in skipped:  # left out: like N/A, but not the inspector's choice
        return ItemScore(item.code, ZERO, ZERO, True, True, False, False, skipped[item.code])
    if item.requirement and answer.answered and not answer.not_applicable:
        passed = answer.value is item.answer.earns_on  # no points: pass or fail only
        return ItemScore(item.code, ZERO, ZERO, True, False, not passed, passed)
    if answer.not_applicable:
        return ItemScore(item.code, ZERO, ZERO, True, True, False, False)
    if not answer.answered:
        return ItemScore(item.code, ZERO, item.points, False, False, False, False)
    earned = answer_type(item.answer.type).earned(item.answer, item.points, answer.value)
    return ItemScore(
        code=item.code,
        earned=earned,
        possible=item.points,
        answered=True,
        not_applicable=False,
        veto_failed=item.veto and earned == ZERO,
        full_marks=earned == item.points,
    )


def _level_failures(
    edition: Edition,
    rules: LevelRules,
    total: Decimal,
    final: Decimal,
    by_code: Mapping[str, ItemScore],
    sections: tuple[SectionScore, ...],
    missing: tuple[str, ...],
    holds_valid_district_certificate: bool,
) -> list[Message]:
    failures: list[Message] = []
    if missing:
        failures.append(Message(N_("%(count)s items unanswered"), {"count": len(missing)}))
    if rules.no_veto_failed:
        rank = LEVEL_CODES.index(rules.code)
        failures.extend(
            Message(N_("veto failed: %(code)s"), {"code": item.code})
            for item in edition.items()
            if by_code[item.code].veto_failed and LEVEL_CODES.index(item.required_from) <= rank
        )
    if final < rules.min_score:
        failures.append(
            Message(
                N_("score %(score)s < %(minimum)s"),
                {"score": str(final), "minimum": decimal_text(rules.min_score)},
            )
        )
    if rules.min_total is not None and total < rules.min_total:
        failures.append(
            Message(
                N_("score before bonus %(score)s < %(minimum)s"),
                {"score": str(total), "minimum": decimal_text(rules.min_total)},
            )
        )
    minimums = dict(rules.section_minimums)
    for section in sections:
        if section.code in minimums and section.possible:  # a section left out entirely is not judged
            percent = round_score(section.earned * 100 / section.possible)
            if percent < minimums[section.code]:
                failures.append(
                    Message(
                        N_("section %(code)s at %(score)s%% < %(minimum)s%%"),
                        {
                            "code": section.code,
                            "score": str(percent),
                            "minimum": decimal_text(minimums[section.code]),
                        },
                    )
                )
    failures.extend(
        Message(N_("%(code)s not at full marks"), {"code": code})
        for code in rules.items_at_full_marks
        if by_code[code].answered and not by_code[code].skipped and not by_code[code].full_marks
    )
    if rules.requires_valid_district_certificate and not holds_valid_district_certificate:
        failures.append(Message(N_("no valid district certificate")))
    return failures


def _sum(values) -> Decimal:
    return sum(values, ZERO)


def round_score(value: Decimal) -> Decimal:
    """Half up to one decimal: every percentage the scores compare with a minimum."""
    return value.quantize(ONE_DECIMAL, rounding=ROUND_HALF_UP)


def _message_dict(message: Message) -> dict[str, Any]:
    return {"template": message.template, "params": dict(message.params), "text": str(message)}
