"""What changes from one criteria edition to another: items added and removed, and every rule that
differs on an item, a section, a level, a declaration or the edition itself. Pure.

Both editions are compared through their snapshots (`Edition.to_snapshot`), key by key, so whatever the
format can say — today's points, answer types and evidence rules, and any field the format grows
later — shows up here without a list of fields to keep in step. Items are matched by code, as stored
answers are; a field is named by its path inside the item or level, as in the edition file.
"""

import json
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from outlet_audit.criteria.model import Edition, SupervisionRules, Text, supervision_snapshot

# Keys that identify a thing or hold its children: compared on their own, never as a field.
_EDITION_OWN = ("id", "title", "rule", "eligibility", "sections", "bonus", "levels", "supervision")
_TEXT_KEYS = frozenset({"zh", "en"})
# The answer holds several rules that change on their own (type, options, thresholds); an evidence
# rule or a condition reads as one sentence, so it is shown whole.
_OPENED = frozenset({"answer"})
ABSENT = None  # a key one edition has and the other has not reads as None (the snapshot's "not set")
# Item keys a snapshot leaves out when they hold their default (so older hashes stay as they were):
# compared with the default filled in, an item that drops `required_from: city` reads "city → district".
_ITEM_DEFAULTS = {"required_from": "district", "requirement": False}


@dataclass(frozen=True)
class FieldChange:
    """One rule that differs: `field` is its path inside the thing (`points`, `answer.thresholds`)."""

    field: str
    before: Any  # snapshot data (JSON-ready), None when absent
    after: Any


@dataclass(frozen=True)
class Entry:
    """A section, item, level or declaration: added, removed, or changed in `changes`."""

    code: str
    title: Text | None
    where: str = ""  # items: the section code they stand in, "bonus" for bonus items
    changes: tuple[FieldChange, ...] = ()


@dataclass(frozen=True)
class Part:
    added: tuple[Entry, ...] = ()
    removed: tuple[Entry, ...] = ()
    changed: tuple[Entry, ...] = ()

    def __bool__(self) -> bool:
        return bool(self.added or self.removed or self.changed)


@dataclass(frozen=True)
class EditionDiff:
    base_id: str
    draft_id: str
    edition: tuple[FieldChange, ...]  # edition-wide settings: total, dates, bonus cap, ...
    sections: Part
    items: Part  # scored and bonus items
    levels: Part
    eligibility: Part

    @property
    def identical_rules(self) -> bool:
        return not (self.edition or self.sections or self.items or self.levels or self.eligibility)


def diff_editions(base: Edition, draft: Edition) -> EditionDiff:
    """Every difference that matters to scoring or to the forms, from `base` to `draft`."""
    old, new = base.to_snapshot(), draft.to_snapshot()
    return EditionDiff(
        base_id=base.id,
        draft_id=draft.id,
        edition=tuple(_edition_fields(old, new)),
        sections=_compare(_sections(old), _sections(new), skip=("items",)),
        items=_compare(_items(old), _items(new)),
        levels=_compare(_levels(old), _levels(new)),
        eligibility=_compare(_declarations(old), _declarations(new)),
    )


def _edition_fields(old: Mapping, new: Mapping) -> Iterator[FieldChange]:
    skip = set(_EDITION_OWN)
    yield from _field_changes(
        {k: v for k, v in old.items() if k not in skip}, {k: v for k, v in new.items() if k not in skip}
    )
    old_bonus, new_bonus = old.get("bonus") or {}, new.get("bonus") or {}
    for change in _field_changes(
        {k: v for k, v in old_bonus.items() if k != "items"},
        {k: v for k, v in new_bonus.items() if k != "items"},
    ):
        yield FieldChange(f"bonus.{change.field}", change.before, change.after)
    # an edition without the section has the defaults: compared with them written out, rule by rule
    default = supervision_snapshot(SupervisionRules())
    for change in _field_changes(old.get("supervision") or default, new.get("supervision") or default):
        yield FieldChange(f"supervision.{change.field}", change.before, change.after)
    if old.get("rule") != new.get("rule"):
        yield FieldChange("rule", old.get("rule"), new.get("rule"))


# Each kind of thing, keyed by code, as (title, where, the mapping to compare)


def _sections(snapshot: Mapping) -> dict[str, tuple[Any, str, Mapping]]:
    return {s["code"]: (s.get("title"), "", s) for s in snapshot["sections"]}


def _items(snapshot: Mapping) -> dict[str, tuple[Any, str, Mapping]]:
    found = {
        item["code"]: (item.get("title"), s["code"], _ITEM_DEFAULTS | item)
        for s in snapshot["sections"]
        for item in s["items"]
    }
    for item in (snapshot.get("bonus") or {}).get("items", ()):
        found[item["code"]] = (item.get("title"), "bonus", _ITEM_DEFAULTS | item)
    return found


def _levels(snapshot: Mapping) -> dict[str, tuple[Any, str, Mapping]]:
    return {code: (None, "", rules) for code, rules in snapshot["levels"].items()}


def _declarations(snapshot: Mapping) -> dict[str, tuple[Any, str, Mapping]]:
    return {d["code"]: (d.get("text"), "", d) for d in snapshot["eligibility"]}


def _compare(old: dict, new: dict, skip: tuple[str, ...] = ()) -> Part:
    added = tuple(_entry(code, *new[code][:2]) for code in new if code not in old)
    removed = tuple(_entry(code, *old[code][:2]) for code in old if code not in new)
    changed = []
    for code in new:
        if code not in old:
            continue
        _title, old_where, old_data = old[code]
        title, where, new_data = new[code]
        changes = list(_field_changes(_without(old_data, skip), _without(new_data, skip)))
        if old_where != where:
            changes.insert(0, FieldChange("section", old_where, where))
        if changes:
            changed.append(_entry(code, title, where, tuple(changes)))
    return Part(added, removed, tuple(changed))


def _entry(code: str, title: Any, where: str, changes: tuple[FieldChange, ...] = ()) -> Entry:
    return Entry(code, _as_text(title), where, changes)


def _without(data: Mapping, keys: tuple[str, ...]) -> dict:
    return {k: v for k, v in data.items() if k not in keys and k != "code"}


def _field_changes(old: Mapping, new: Mapping, prefix: str = "") -> Iterator[FieldChange]:
    """Keys whose values differ; the answer is opened (`answer.type`), other mappings read whole."""
    for key in [*old, *(k for k in new if k not in old)]:
        before, after = old.get(key, ABSENT), new.get(key, ABSENT)
        if before == after:
            continue
        path = f"{prefix}{key}"
        if path in _OPENED and _is_mapping(before) and _is_mapping(after):
            yield from _field_changes(before, after, f"{path}.")
        else:
            yield FieldChange(path, before, after)


def _is_mapping(value: Any) -> bool:
    return isinstance(value, Mapping)


def _is_text(value: Any) -> bool:
    return isinstance(value, Mapping) and set(value) <= _TEXT_KEYS and "zh" in value


def _as_text(value: Any) -> Text | None:
    return Text(value["zh"], value.get("en", "")) if _is_text(value) else None


# --- showing a value ------------------------------------------------------------------------------


def describe(value: Any, lang: str = "en") -> str:
    """A snapshot value as people read it in a diff: `≥ 95 → 15; ≥ 80 → 10`, `photo when yes, B`."""
    if value is None:
        return "—"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if _is_text(value):
        return _as_text(value).get(lang)
    if isinstance(value, Mapping):
        if {"kind", "required"} <= set(value):
            return _evidence_text(value)
        return "; ".join(f"{key}: {describe(item, lang)}" for key, item in value.items())
    if isinstance(value, list | tuple):
        if not value:
            return "—"
        return "; ".join(_list_entry(item, lang) for item in value)
    return str(value)


def _list_entry(item: Any, lang: str) -> str:
    if isinstance(item, Mapping) and {"min", "points"} <= set(item):
        return f"≥ {item['min']} → {item['points']}"
    if isinstance(item, Mapping) and {"max", "points"} <= set(item):  # lower is better
        return f"≤ {item['max']} → {item['points']}"
    if isinstance(item, Mapping) and {"code", "points"} <= set(item):
        label = _as_text(item.get("label"))
        return (
            f"{item['code']} ({label.get(lang)}) → {item['points']}"
            if label
            else f"{item['code']} → {item['points']}"
        )
    if isinstance(item, Mapping) and {"agency", "act"} == set(item):  # an approval step
        return f"{item['agency']} {item['act']}"
    if isinstance(item, Mapping):
        return json.dumps(item, ensure_ascii=False, sort_keys=True)
    return describe(item, lang)


def _evidence_text(rule: Mapping) -> str:
    """`photo always`, `photo when yes, B`, `document when above 5` (a count or percentage past a bound)."""
    if rule["required"] != "when":
        return f"{rule['kind']} {rule['required']}"
    conditions = [describe(value) for value in rule.get("when", ())]
    conditions += [f"{key} {rule[key]}" for key in ("above", "below") if rule.get(key) is not None]
    extra = {k: v for k, v in rule.items() if k not in ("kind", "required", "when", "above", "below")}
    tail = "".join(f"; {k}: {describe(v)}" for k, v in extra.items())
    return f"{rule['kind']} when {', '.join(conditions)}{tail}"


def diff_lines(diff: EditionDiff, lang: str = "en") -> list[str]:
    """The diff as plain lines, for `flask criteria impact`."""
    lines = [f"changes from {diff.base_id} to {diff.draft_id}:"]
    if diff.identical_rules:
        return [*lines, "  no rule differs"]
    lines.extend(_change_line("  edition", change, lang) for change in diff.edition)
    for label, part in (
        ("section", diff.sections),
        ("item", diff.items),
        ("level", diff.levels),
        ("declaration", diff.eligibility),
    ):
        for entry in part.added:
            lines.append(f"  + {label} {_entry_name(entry, lang)}")
        for entry in part.removed:
            lines.append(f"  - {label} {_entry_name(entry, lang)}")
        for entry in part.changed:
            lines.append(f"  ~ {label} {_entry_name(entry, lang)}")
            lines.extend(_change_line("     ", change, lang) for change in entry.changes)
    return lines


def _entry_name(entry: Entry, lang: str) -> str:
    where = f" [{entry.where}]" if entry.where else ""
    title = f"  {entry.title.get(lang)}" if entry.title else ""
    return f"{entry.code}{where}{title}"


def _change_line(indent: str, change: FieldChange, lang: str) -> str:
    return f"{indent} {change.field}: {describe(change.before, lang)} → {describe(change.after, lang)}"
