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

from outlet_audit.roles import Role

LEVEL_CODES = ("district", "city")  # lowest first: reaching a level means reaching every level below it
ANSWER_TYPE_NAMES = ("yes_no", "choice", "percentage", "number")
CHECKED_BY = ("observation", "document", "count", "percentage")
EVIDENCE_KINDS = ("photo", "document", "photo_or_document")
EVIDENCE_REQUIRED = ("always", "never", "when")


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
    min: Decimal
    points: Decimal


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
    thresholds: tuple[Threshold, ...] = ()  # percentage, number: highest `min` first
    unit: Text | None = None  # number: what is counted

    def option(self, code: str) -> Option | None:
        return next((option for option in self.options if option.code == code), None)


@dataclass(frozen=True)
class EvidenceRule:
    kind: str  # photo | document | photo_or_document: what the inspector may attach
    required: str  # always | never | when
    when: tuple[bool | str, ...] = ()  # required == "when": the answer values that need evidence


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
class LevelRules:
    """What an assessment must show to reach one level, and how that level is granted."""

    code: str  # district | city
    min_score: Decimal
    approvals: tuple[Role, ...]
    certificate_validity_months: int
    no_veto_failed: bool = True
    items_at_full_marks: tuple[str, ...] = ()
    requires_valid_district_certificate: bool = False


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
    source: str = field(default="", compare=False, repr=False)  # file it came from, for messages only

    def items(self) -> tuple[Item, ...]:
        """Every scored item, in section order (bonus items excluded)."""
        return tuple(item for section in self.sections for item in section.items)

    def bonus_items(self) -> tuple[Item, ...]:
        return self.bonus.items if self.bonus else ()

    def item(self, code: str) -> Item:
        """The scored or bonus item with this code; KeyError if there is none."""
        return self._items_by_code[code]

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
            Threshold(_decimal(t["min"]), _decimal(t["points"])) for t in data.get("thresholds", ())
        ),
        unit=_text(data["unit"]) if data.get("unit") else None,
    )


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
        data["thresholds"] = [
            {"min": decimal_text(t.min), "points": decimal_text(t.points)} for t in spec.thresholds
        ]
    if spec.unit:
        data["unit"] = _text_dict(spec.unit)
    return data


def _item(data: Mapping[str, Any]) -> Item:
    evidence = data["evidence"]
    return Item(
        code=data["code"],
        title=_text(data["title"]),
        guidance=_text(data["guidance"]),
        checked_by=data["checked_by"],
        answer=_answer(data["answer"]),
        points=_decimal(data["points"]),
        evidence=EvidenceRule(evidence["kind"], evidence["required"], tuple(evidence.get("when", ()))),
        not_applicable_allowed=data.get("not_applicable_allowed", False),
        veto=data.get("veto", False),
    )


def _item_dict(item: Item) -> dict[str, Any]:
    return {
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


def _level(code: str, data: Mapping[str, Any]) -> LevelRules:
    return LevelRules(
        code=code,
        min_score=_decimal(data["min_score"]),
        approvals=tuple(Role(role) for role in data["approvals"]),
        certificate_validity_months=int(data["certificate_validity_months"]),
        no_veto_failed=data.get("no_veto_failed", True),
        items_at_full_marks=tuple(data.get("items_at_full_marks", ())),
        requires_valid_district_certificate=data.get("requires_valid_district_certificate", False),
    )


def _level_dict(rules: LevelRules) -> dict[str, Any]:
    return {
        "min_score": decimal_text(rules.min_score),
        "approvals": [str(role) for role in rules.approvals],
        "certificate_validity_months": rules.certificate_validity_months,
        "no_veto_failed": rules.no_veto_failed,
        "items_at_full_marks": list(rules.items_at_full_marks),
        "requires_valid_district_certificate": rules.requires_valid_district_certificate,
    }
