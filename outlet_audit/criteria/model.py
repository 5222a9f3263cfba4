"""A criteria edition as frozen dataclasses, and its snapshot: the plain dict an assessment stores.

Pure. The loader builds an `Edition` from a validated YAML file with the same function
(`Edition.from_snapshot`) that rebuilds one from a stored snapshot, so both readings agree.
Numbers are `Decimal` (points may be fractional; scoring must be exact).
"""

import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from functools import cached_property
from typing import Any

from outlet_audit.roles import Act, Agency, Role

LEVEL_CODES = ("district", "city")  # lowest first: reaching a level means reaching every level below it
ANSWER_TYPE_NAMES = ("yes_no", "choice", "percentage", "number")
CHECKED_BY = ("observation", "document", "count", "percentage")
EVIDENCE_KINDS = ("photo", "document", "photo_or_document")
EVIDENCE_REQUIRED = ("always", "never", "when")
# Facts of an outlet's profile an item's `applies_to` may name: the outlet's brand (one of the
# brands of the outlet form) and its district (the district code of the outlet list, e.g. "15").
PROFILE_FACTS = ("brand", "district")


def decimal_text(value: Decimal) -> str:
    """Write a Decimal without exponent or trailing zeros: 15, 2.5, 100."""
    text = format(value.normalize(), "f")
    return "0" if text == "-0" else text


def _decimal(raw: Any) -> Decimal:
    return Decimal(str(raw))  # via str: YAML floats such as 0.1 keep the digits the author wrote


@dataclass(frozen=True)
class Text:
    """A user-visible text in Chinese (always) and English."""

    zh: str
    en: str

    def get(self, locale: str | None = None) -> str:
        if locale and str(locale).lower().startswith("en") and self.en:
            return self.en
        return self.zh

    def __str__(self) -> str:
        return self.zh


@dataclass(frozen=True)
class Declaration:
    """One eligibility declaration (申报条件) the outlet affirms before applying."""

    code: str
    text: Text


@dataclass(frozen=True)
class Threshold:
    """A step of a percentage or count: `min` (higher is better) or `max` (lower is better)."""

    min: Decimal | None
    points: Decimal
    max: Decimal | None = None


@dataclass(frozen=True)
class Deduction:
    """每处扣 N 分: a count costs `each` points per unit, never below `floor`."""

    each: Decimal
    floor: Decimal = Decimal(0)


@dataclass(frozen=True)
class Option:
    code: str
    label: Text
    points: Decimal


@dataclass(frozen=True)
class AnswerSpec:
    """The answer type of an item and its parameters; which fields matter depends on `type`."""

    type: str
    earns_on: bool = True  # yes_no: the answer that earns the points
    options: tuple[Option, ...] = ()  # choice
    thresholds: tuple[Threshold, ...] = ()  # percentage, number: highest `min` (or lowest `max`) first
    unit: Text | None = None  # number: what is counted
    deduction: Deduction | None = None  # number: points minus `each` per unit counted, down to `floor`

    def option(self, code: str) -> Option | None:
        return next((option for option in self.options if option.code == code), None)


@dataclass(frozen=True)
class EvidenceRule:
    kind: str  # photo | document | photo_or_document: what the inspector may attach
    required: str  # always | never | when
    when: tuple[bool | str, ...] = ()  # required == "when": the answer values that need evidence
    above: Decimal | None = None  # required == "when", percentage or number: evidence when value > above
    below: Decimal | None = None  # required == "when", percentage or number: evidence when value < below

    def bounds(self) -> tuple[tuple[str, Decimal], ...]:
        """The bounds a number or percentage is held to, as written: `(("above", 0),)`; () when none."""
        return tuple(
            (key, value) for key, value in (("above", self.above), ("below", self.below)) if value is not None
        )


@dataclass(frozen=True)
class Condition:
    """When a conditional item is shown: the answer of another item is one of `answers`, or
    (percentage and number) above `above` / below `below`."""

    item: str
    answers: tuple[bool | str, ...] = ()
    above: Decimal | None = None
    below: Decimal | None = None


@dataclass(frozen=True)
class Item:
    code: str
    title: Text
    guidance: Text
    checked_by: str
    answer: AnswerSpec
    points: Decimal
    evidence: EvidenceRule
    not_applicable_allowed: bool = False
    veto: bool = False
    requirement: bool = False  # pure pass/fail (一票否决) with no points: `points` is 0
    required_from: str = "district"  # veto and requirement items: the lowest level their failure blocks
    applies_to: tuple[tuple[str, tuple[str, ...]], ...] = ()  # profile fact -> values it applies for
    shown_when: Condition | None = None  # conditional item: shown and scored only when this holds

    @property
    def blocks_levels(self) -> bool:
        """Does a failed answer block levels whatever the score (veto or requirement)?"""
        return self.veto or self.requirement


@dataclass(frozen=True)
class Section:
    code: str
    title: Text
    items: tuple[Item, ...]

    @property
    def points(self) -> Decimal:
        return sum((item.points for item in self.items), Decimal(0))


@dataclass(frozen=True)
class Bonus:
    cap: Decimal
    items: tuple[Item, ...]


@dataclass(frozen=True)
class ApprovalStep:
    """One step of a level's approval: which agency acts, and how (an opinion, a co-signature...)."""

    agency: Agency
    act: Act


# Editions before approval steps named the approving bureau roles in order: the district bureau
# decides, or recommends when the city bureau follows and confirms. They still load, as these steps.


def _legacy_steps(roles: list[str]) -> tuple[ApprovalStep, ...]:
    """The steps an old list of roles meant: the district bureau always acted first (it decided,
    or recommended when the city bureau was listed to confirm), whether or not the list named it."""
    if Role.CITY_BUREAU in roles:
        return (
            ApprovalStep(Agency.DISTRICT_POSTAL, Act.RECOMMENDATION),
            ApprovalStep(Agency.CITY_POSTAL, Act.CONFIRMATION),
        )
    return (ApprovalStep(Agency.DISTRICT_POSTAL, Act.DECISION),)


def _approval_steps(data: list) -> tuple[ApprovalStep, ...]:
    if all(isinstance(step, str) for step in data):
        return _legacy_steps(data)
    return tuple(ApprovalStep(Agency(step["agency"]), Act(step["act"])) for step in data)


def _approvals_written(data: list) -> tuple:
    """An old list of roles as it was written, so the edition's snapshot (and hash) stays as it was."""
    return tuple(data) if all(isinstance(step, str) for step in data) else ()


@dataclass(frozen=True)
class LevelRules:
    """What an assessment must show to reach one level, and how that level is granted."""

    code: str  # district | city
    min_score: Decimal
    approvals: tuple[ApprovalStep, ...]  # in order; the first opens the approval, the last settles it
    certificate_validity_months: int
    no_veto_failed: bool = True
    items_at_full_marks: tuple[str, ...] = ()
    requires_valid_district_certificate: bool = False
    min_total: Decimal | None = None  # lowest total before the bonus is added
    section_minimums: tuple[tuple[str, Decimal], ...] = ()  # section code -> lowest percentage
    # Agencies each of which has at least one inspector on every visit of an application for the level.
    inspection_team: tuple[Agency, ...] = ()
    # The old form (a list of bureau roles) when the edition was written so; None for steps.
    approvals_written: tuple[str, ...] = field(default=(), compare=False, repr=False)

    @property
    def issuer(self) -> Agency:
        """The agency whose organisation issues the certificate: the one of the settling step."""
        return self.approvals[-1].agency


@dataclass(frozen=True)
class SpotCheckRules:
    """What a spot check (抽查) of a certified outlet covers and when it passes."""

    item_codes: tuple[str, ...] | None  # the items a spot check covers; None: every scored item
    min_percent: Decimal  # passes when earned ÷ possible × 100 over the covered items reaches this
    no_veto_failed: bool = True  # and no veto item (or requirement) among the covered items failed

    def covers(self, code: str) -> bool:
        return self.item_codes is None or code in self.item_codes


@dataclass(frozen=True)
class RevocationGround:
    """A ground on which a certificate may be revoked (撤销)."""

    code: str  # e.g. spot_check_failed, complaint_substantiated, false_materials, outlet_closed
    label: Text
    # True: may be revoked at once, without prior notice (告知) and the outlet's statement (陈述申辩)
    immediate: bool


@dataclass(frozen=True)
class YearlyCheckRules:
    """The yearly continued-compliance self-check a certified outlet submits with photos."""

    item_codes: tuple[str, ...]
    due_month: int
    due_day: int
    remind_days: int  # the outlet is reminded this many days before the due date

    def due_on(self, year: int) -> date:
        return date(year, self.due_month, self.due_day)  # the loader refuses days not in every year


# Revocation needs prior notice on these grounds unless the edition says otherwise (监督管理).
DEFAULT_REVOCATION_GROUNDS = (
    RevocationGround("spot_check_failed", Text("抽查不合格", "Failed spot check"), immediate=False),
    RevocationGround(
        "complaint_substantiated", Text("投诉经查属实", "Substantiated complaint"), immediate=False
    ),
    RevocationGround("false_materials", Text("提供虚假材料", "False materials"), immediate=False),
)


@dataclass(frozen=True)
class SupervisionRules:
    """Supervision after the certificate (监督管理): spot checks, revocation grounds, yearly self-check."""

    recusal_months: int = 12  # an inspector who inspected the outlet within this many months is not drawn
    spot_check: SpotCheckRules = SpotCheckRules(item_codes=None, min_percent=Decimal(80))
    revocation_grounds: tuple[RevocationGround, ...] = DEFAULT_REVOCATION_GROUNDS
    yearly: YearlyCheckRules | None = None

    def ground(self, code: str) -> RevocationGround | None:
        return next((ground for ground in self.revocation_grounds if ground.code == code), None)


@dataclass(frozen=True)
class Edition:
    id: str
    title: Text
    rule: Text
    effective_from: date
    effective_until: date | None
    total_points: Decimal
    eligibility: tuple[Declaration, ...]
    sections: tuple[Section, ...]
    bonus: Bonus | None
    levels: tuple[LevelRules, ...]  # in LEVEL_CODES order
    final_cap: Decimal | None = None  # highest final score (total + bonus)
    supervision: SupervisionRules = SupervisionRules()  # the defaults when the file has no section
    source: str = field(default="", compare=False, repr=False)  # file it came from, for messages only

    def items(self) -> tuple[Item, ...]:
        """Every scored item, in section order (bonus items excluded)."""
        return tuple(item for section in self.sections for item in section.items)

    def bonus_items(self) -> tuple[Item, ...]:
        return self.bonus.items if self.bonus else ()

    def item(self, code: str) -> Item:
        """The scored or bonus item with this code; KeyError if there is none."""
        return self._items_by_code[code]

    def find_item(self, code: str) -> Item | None:
        """The scored or bonus item with this code, or None (a code kept from another edition)."""
        return self._items_by_code.get(code)

    def level(self, code: str) -> LevelRules:
        return next(rules for rules in self.levels if rules.code == code)

    def is_effective(self, on: date) -> bool:
        return self.effective_from <= on and (self.effective_until is None or on <= self.effective_until)

    @cached_property
    def _items_by_code(self) -> dict[str, Item]:
        return {item.code: item for item in (*self.items(), *self.bonus_items())}

    @cached_property
    def content_hash(self) -> str:
        """sha256 (hex) of the canonical JSON of the snapshot: equal content, equal hash."""
        canonical = json.dumps(self.to_snapshot(), sort_keys=True, ensure_ascii=False, separators=(",", ":"))
        return hashlib.sha256(canonical.encode("utf-8")).hexdigest()

    def to_snapshot(self) -> dict[str, Any]:
        """Everything scoring and forms need, as JSON-ready data in the shape of the YAML file."""
        snapshot: dict[str, Any] = {
            "id": self.id,
            "title": _text_dict(self.title),
            "rule": _text_dict(self.rule),
            "effective_from": self.effective_from.isoformat(),
            "effective_until": self.effective_until.isoformat() if self.effective_until else None,
            "total_points": decimal_text(self.total_points),
            "eligibility": [{"code": d.code, "text": _text_dict(d.text)} for d in self.eligibility],
            "sections": [
                {"code": s.code, "title": _text_dict(s.title), "items": [_item_dict(i) for i in s.items]}
                for s in self.sections
            ],
            "bonus": None,
            "levels": {rules.code: _level_dict(rules) for rules in self.levels},
        }
        # only when set: snapshots (and hashes) of older editions stay as they were
        if self.final_cap is not None:
            snapshot["final_cap"] = decimal_text(self.final_cap)
        # only when it says something the defaults do not: an edition without the section keeps its hash
        if self.supervision != SupervisionRules():
            snapshot["supervision"] = supervision_snapshot(self.supervision)
        if self.bonus:
            snapshot["bonus"] = {
                "cap": decimal_text(self.bonus.cap),
                "items": [_item_dict(item) for item in self.bonus.items],
            }
        return snapshot

    @classmethod
    def from_snapshot(cls, data: Mapping[str, Any], *, source: str = "") -> "Edition":
        """Build an edition from a snapshot or from a schema-valid YAML mapping (defaults filled in)."""
        bonus = data.get("bonus")
        until = data.get("effective_until")
        final_cap = data.get("final_cap")
        supervision = data.get("supervision")
        return cls(
            id=data["id"],
            title=_text(data["title"]),
            rule=_text(data["rule"]),
            effective_from=date.fromisoformat(str(data["effective_from"])),
            effective_until=date.fromisoformat(str(until)) if until else None,
            total_points=_decimal(data["total_points"]),
            eligibility=tuple(Declaration(d["code"], _text(d["text"])) for d in data["eligibility"]),
            sections=tuple(
                Section(s["code"], _text(s["title"]), tuple(_item(i) for i in s["items"]))
                for s in data["sections"]
            ),
            bonus=Bonus(_decimal(bonus["cap"]), tuple(_item(i) for i in bonus["items"])) if bonus else None,
            levels=tuple(_level(code, data["levels"][code]) for code in LEVEL_CODES),
            final_cap=_decimal(final_cap) if final_cap is not None else None,
            supervision=_supervision(supervision) if supervision is not None else SupervisionRules(),
            source=source,
        )


def _text(data: Mapping[str, str]) -> Text:
    return Text(zh=data["zh"], en=data.get("en", ""))


def _text_dict(text: Text) -> dict[str, str]:
    return {"zh": text.zh, "en": text.en}


def _answer(data: Mapping[str, Any]) -> AnswerSpec:
    return AnswerSpec(
        type=data["type"],
        earns_on=data.get("earns_on", True),
        options=tuple(
            Option(o["code"], _text(o["label"]), _decimal(o["points"])) for o in data.get("options", ())
        ),
        thresholds=tuple(
            Threshold(_optional_decimal(t.get("min")), _decimal(t["points"]), _optional_decimal(t.get("max")))
            for t in data.get("thresholds", ())
        ),
        unit=_text(data["unit"]) if data.get("unit") else None,
        deduction=_deduction(data["deduction"]) if data.get("deduction") else None,
    )


def _optional_decimal(raw: Any) -> Decimal | None:
    return None if raw is None else _decimal(raw)


def _deduction(data: Mapping[str, Any]) -> Deduction:
    return Deduction(each=_decimal(data["each"]), floor=_decimal(data.get("floor", 0)))


def _threshold_dict(threshold: Threshold) -> dict[str, str]:
    # the bound a threshold has, only: a snapshot of an older edition keeps its exact shape and hash
    data = {} if threshold.min is None else {"min": decimal_text(threshold.min)}
    if threshold.max is not None:
        data["max"] = decimal_text(threshold.max)
    return data | {"points": decimal_text(threshold.points)}


def _answer_dict(spec: AnswerSpec) -> dict[str, Any]:
    data: dict[str, Any] = {"type": spec.type}
    if spec.type == "yes_no":
        data["earns_on"] = spec.earns_on
    if spec.options:
        data["options"] = [
            {"code": o.code, "label": _text_dict(o.label), "points": decimal_text(o.points)}
            for o in spec.options
        ]
    if spec.thresholds:
        data["thresholds"] = [_threshold_dict(t) for t in spec.thresholds]
    if spec.unit:
        data["unit"] = _text_dict(spec.unit)
    if spec.deduction:
        data["deduction"] = {
            "each": decimal_text(spec.deduction.each),
            "floor": decimal_text(spec.deduction.floor),
        }
    return data


def _item(data: Mapping[str, Any]) -> Item:
    evidence = data["evidence"]
    shown_when = data.get("shown_when")
    return Item(
        code=data["code"],
        title=_text(data["title"]),
        guidance=_text(data["guidance"]),
        checked_by=data["checked_by"],
        answer=_answer(data["answer"]),
        points=_decimal(data.get("points", 0)),  # a requirement has no points of its own
        evidence=EvidenceRule(
            evidence["kind"],
            evidence["required"],
            tuple(evidence.get("when", ())),
            _optional_decimal(evidence.get("above")),
            _optional_decimal(evidence.get("below")),
        ),
        not_applicable_allowed=data.get("not_applicable_allowed", False),
        veto=data.get("veto", False),
        requirement=data.get("requirement", False),
        required_from=data.get("required_from", "district"),
        applies_to=tuple((fact, tuple(values)) for fact, values in (data.get("applies_to") or {}).items()),
        shown_when=_condition(shown_when) if shown_when else None,
    )


def _condition(data: Mapping[str, Any]) -> Condition:
    return Condition(
        item=data["item"],
        answers=tuple(data.get("answers", ())),
        above=_optional_decimal(data.get("above")),
        below=_optional_decimal(data.get("below")),
    )


def _condition_dict(condition: Condition) -> dict[str, Any]:
    data: dict[str, Any] = {"item": condition.item}
    if condition.answers:
        data["answers"] = list(condition.answers)
    if condition.above is not None:
        data["above"] = decimal_text(condition.above)
    if condition.below is not None:
        data["below"] = decimal_text(condition.below)
    return data


def _item_dict(item: Item) -> dict[str, Any]:
    data = {
        "code": item.code,
        "title": _text_dict(item.title),
        "guidance": _text_dict(item.guidance),
        "checked_by": item.checked_by,
        "answer": _answer_dict(item.answer),
        "points": decimal_text(item.points),
        "not_applicable_allowed": item.not_applicable_allowed,
        "veto": item.veto,
        "evidence": {
            "kind": item.evidence.kind,
            "required": item.evidence.required,
            "when": list(item.evidence.when),
        },
    }
    # the newer keys only when they say something: snapshots (and hashes) of older editions stay as they were
    for key, value in (("above", item.evidence.above), ("below", item.evidence.below)):
        if value is not None:
            data["evidence"][key] = decimal_text(value)
    if item.requirement:
        data["requirement"] = True
    if item.required_from != "district":
        data["required_from"] = item.required_from
    if item.applies_to:
        data["applies_to"] = {fact: list(values) for fact, values in item.applies_to}
    if item.shown_when:
        data["shown_when"] = _condition_dict(item.shown_when)
    return data


def _level(code: str, data: Mapping[str, Any]) -> LevelRules:
    return LevelRules(
        code=code,
        min_score=_decimal(data["min_score"]),
        approvals=_approval_steps(data["approvals"]),
        approvals_written=_approvals_written(data["approvals"]),
        certificate_validity_months=int(data["certificate_validity_months"]),
        no_veto_failed=data.get("no_veto_failed", True),
        items_at_full_marks=tuple(data.get("items_at_full_marks", ())),
        requires_valid_district_certificate=data.get("requires_valid_district_certificate", False),
        min_total=_optional_decimal(data.get("min_total")),
        section_minimums=tuple(
            (code, _decimal(minimum)) for code, minimum in (data.get("section_minimums") or {}).items()
        ),
        inspection_team=tuple(Agency(agency) for agency in data.get("inspection_team", ())),
    )


def _level_dict(rules: LevelRules) -> dict[str, Any]:
    data: dict[str, Any] = {
        "min_score": decimal_text(rules.min_score),
        "approvals": list(rules.approvals_written)
        or [{"agency": str(step.agency), "act": str(step.act)} for step in rules.approvals],
        "certificate_validity_months": rules.certificate_validity_months,
        "no_veto_failed": rules.no_veto_failed,
        "items_at_full_marks": list(rules.items_at_full_marks),
        "requires_valid_district_certificate": rules.requires_valid_district_certificate,
    }
    if rules.min_total is not None:
        data["min_total"] = decimal_text(rules.min_total)
    if rules.section_minimums:
        data["section_minimums"] = {code: decimal_text(minimum) for code, minimum in rules.section_minimums}
    if rules.inspection_team:
        data["inspection_team"] = [str(agency) for agency in rules.inspection_team]
    return data


def _supervision(data: Mapping[str, Any]) -> SupervisionRules:
    defaults = SupervisionRules()
    spot = data.get("spot_check") or {}
    passing = spot.get("pass") or {}
    items = spot.get("items")
    grounds = data.get("revocation_grounds")
    yearly = data.get("yearly_self_check")
    return SupervisionRules(
        recusal_months=int(data.get("recusal_months", defaults.recusal_months)),
        spot_check=SpotCheckRules(
            item_codes=tuple(items) if items is not None else None,
            min_percent=_decimal(passing.get("min_percent", defaults.spot_check.min_percent)),
            no_veto_failed=passing.get("no_veto_failed", True),
        ),
        revocation_grounds=(
            tuple(RevocationGround(g["code"], _text(g["label"]), g.get("immediate", False)) for g in grounds)
            if grounds is not None
            else defaults.revocation_grounds
        ),
        yearly=_yearly(yearly) if yearly is not None else None,
    )


def _yearly(data: Mapping[str, Any]) -> YearlyCheckRules:
    return YearlyCheckRules(
        item_codes=tuple(data["items"]),
        due_month=int(data["due"]["month"]),
        due_day=int(data["due"]["day"]),
        remind_days=int(data.get("remind_days", 30)),
    )


def supervision_snapshot(rules: SupervisionRules) -> dict[str, Any]:
    """The section in the shape of the file, every default written out."""
    spot: dict[str, Any] = {
        "pass": {
            "min_percent": decimal_text(rules.spot_check.min_percent),
            "no_veto_failed": rules.spot_check.no_veto_failed,
        }
    }
    if rules.spot_check.item_codes is not None:
        spot["items"] = list(rules.spot_check.item_codes)
    data: dict[str, Any] = {
        "recusal_months": rules.recusal_months,
        "spot_check": spot,
        "revocation_grounds": [
            {"code": g.code, "label": _text_dict(g.label), "immediate": g.immediate}
            for g in rules.revocation_grounds
        ],
    }
    if rules.yearly is not None:
        data["yearly_self_check"] = {
            "items": list(rules.yearly.item_codes),
            "due": {"month": rules.yearly.due_month, "day": rules.yearly.due_day},
            "remind_days": rules.yearly.remind_days,
        }
    return data
