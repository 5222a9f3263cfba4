"""Read criteria edition files: YAML → JSON Schema → semantic checks → `Edition`. Pure.

Every problem is reported, not just the first, as `<file>: <path in file>: <problem>`, e.g.
`criteria/shanghai-2025.yaml: sections[2].items[1].points: must be greater than 0`.
"""

import json
import math
import os
import re
import stat
from collections.abc import Hashable, Iterable, Iterator
from decimal import Decimal
from functools import cache
from pathlib import Path
from typing import Any

import jsonschema
import yaml

from outlet_audit.criteria.model import AnswerSpec, Edition, Item, decimal_text
from outlet_audit.criteria.supervision_checks import supervision_problems
from outlet_audit.roles import SETTLING_ACTS, Act, Agency
from outlet_audit.text import Refused

SCHEMA_PATH = Path(__file__).resolve().parents[2] / "criteria" / "edition.schema.json"
EDITION_GLOB = "*.yaml"

# Hostile or broken files must be refused quickly, since the admin's criteria page reads the folder
# inside a request. An edition is about 16 KB and 10 levels deep (shanghai-2025.yaml); these bounds
# leave ample room and keep a refused file at about a second of parsing at most.
CRITERIA_MAX_BYTES = 1024 * 1024
CRITERIA_MAX_DEPTH = 32

_JSON_TYPE_NAMES = {
    "string": "text",
    "number": "a number",
    "integer": "a whole number",
    "boolean": "true or false",
    "array": "a list",
    "object": "a mapping",
    "null": "empty",
}


class CriteriaError(Exception):
    """One or more criteria files are invalid; `messages` lists every problem found."""

    def __init__(self, messages: list[str]):
        super().__init__("\n".join(messages))
        self.messages = messages


class CriteriaRefused(Refused):
    """The administrator's act on the editions (choosing one, withdrawing a choice, saving a draft
    into the folder) cannot be done; `message` says why."""


def load_edition(path: str | os.PathLike) -> Edition:
    """Load one edition file or raise CriteriaError with all its problems."""
    edition, messages = _read_edition(Path(path))
    if messages:
        raise CriteriaError(messages)
    assert edition is not None
    return edition


def load_editions(folder: str | os.PathLike) -> dict[str, Edition]:
    """Load every `*.yaml` edition in a folder, keyed by id; CriteriaError if any file is invalid."""
    folder = Path(folder)
    if not folder.is_dir():
        raise CriteriaError([f"{display_path(folder)}: criteria folder not found"])
    editions, messages = read_editions(edition_files(folder))
    if messages:
        raise CriteriaError(messages)
    return {edition.id: edition for edition in sorted(editions, key=lambda e: e.id)}


def validate_paths(paths: Iterable[str | os.PathLike]) -> list[str]:
    """Every problem in these files (duplicate ids across them included); empty when all are valid."""
    return read_editions([Path(p) for p in paths])[1]


def edition_files(folder: str | os.PathLike) -> list[Path]:
    return sorted(Path(folder).glob(EDITION_GLOB))


def display_path(path: Path) -> str:
    """The path relative to the working directory when it lies below it, as people typed it."""
    try:
        return str(path.resolve().relative_to(Path.cwd()))
    except ValueError:
        return str(path)


def read_editions(paths: list[Path]) -> tuple[list[Edition], list[str]]:
    """The editions that load (the first file of an id wins) and every problem, from one reading."""
    editions: list[Edition] = []
    messages: list[str] = []
    first_file_of: dict[str, str] = {}
    for path in paths:
        edition, problems = _read_edition(path)
        messages.extend(problems)
        if edition is None:
            continue
        if edition.id in first_file_of:
            also = first_file_of[edition.id]
            messages.append(f"{edition.source}: id: duplicate edition id {edition.id!r} (also in {also})")
            continue
        first_file_of[edition.id] = edition.source
        editions.append(edition)
    return editions, messages


def _read_edition(path: Path) -> tuple[Edition | None, list[str]]:
    name = display_path(path)
    try:
        if not stat.S_ISREG(path.stat().st_mode):  # a folder or a FIFO named *.yaml: never block on it
            raise OSError("not a regular file")
        with path.open("rb") as f:
            data = f.read(CRITERIA_MAX_BYTES + 1)  # never more than the bound, whatever the file grew to
    except FileNotFoundError:
        return None, [f"{name}: file not found"]
    except OSError as error:
        return None, [f"{name}: cannot read the file: {error}"]
    return read_edition_bytes(data, name)


def read_edition_bytes(data: bytes, name: str) -> tuple[Edition | None, list[str]]:
    """The edition in these bytes, or every problem found, located as `flask criteria validate` says them.

    `name` stands for the file in every message; an uploaded draft is read here without ever
    becoming a file. Bytes past CRITERIA_MAX_BYTES are refused before anything is parsed.
    """
    if len(data) > CRITERIA_MAX_BYTES:
        return None, [
            f"{name}: the file is larger than {CRITERIA_MAX_BYTES} bytes, far more than an edition needs"
        ]
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as error:
        return None, [f"{name}: cannot read the file: {error}"]
    try:
        loaded = yaml.load(text, Loader=_StrictLoader)  # noqa: S506 - a SafeLoader subclass
    except yaml.MarkedYAMLError as error:
        return None, [f"{name}: {_yaml_problem(error)}"]
    except yaml.YAMLError as error:
        return None, [f"{name}: YAML error: {error}"]
    schema_problems = [f"{name}: {problem}" for problem in _schema_problems(loaded)]
    if schema_problems:
        return None, schema_problems
    edition = Edition.from_snapshot(loaded, source=name)
    problems = [f"{name}: {problem}" for problem in _semantic_problems(edition)]
    return (None, problems) if problems else (edition, [])


# YAML: safe, dates kept as text (the schema checks them), duplicate keys refused instead of silently
# merged. Anchors and aliases are refused as they are met, so a "billion laughs" file (aliases nested
# to expand into billions of nodes) is refused at its first anchor; editions never need them.


class _EditionRefused(yaml.MarkedYAMLError):
    """YAML that parses but that no edition may hold; reported at its line like a syntax error."""

    def __init__(self, problem: str, mark):
        super().__init__(problem=problem, problem_mark=mark)


class _StrictLoader(yaml.SafeLoader):
    def __init__(self, stream):
        super().__init__(stream)
        self._depth = 0

    def compose_node(self, parent, index):
        event = self.peek_event()
        if isinstance(event, yaml.events.AliasEvent) or getattr(event, "anchor", None) is not None:
            raise _EditionRefused(
                "anchors and aliases (&name, *name) are not allowed in an edition", event.start_mark
            )
        if self._depth >= CRITERIA_MAX_DEPTH:  # composing is recursive: refuse before Python's limit
            raise _EditionRefused(f"nested deeper than {CRITERIA_MAX_DEPTH} levels", event.start_mark)
        self._depth += 1
        try:
            return super().compose_node(parent, index)
        finally:
            self._depth -= 1


_StrictLoader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


def _construct_mapping_without_duplicates(loader: _StrictLoader, node: yaml.MappingNode) -> dict:
    loader.flatten_mapping(node)
    seen: set = set()
    for key_node, _ in node.value:
        key = loader.construct_object(key_node, deep=True)
        if not isinstance(key, Hashable):  # construct_mapping reports unhashable keys itself
            continue
        if key in seen:
            raise yaml.constructor.ConstructorError(None, None, f"duplicate key {key!r}", key_node.start_mark)
        seen.add(key)
    return loader.construct_mapping(node, deep=True)


_StrictLoader.add_constructor(
    yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping_without_duplicates
)


# A number as people write one, as answers take them (scoring.answer_types.number_from_text): digits,
# an optional sign and decimal point. YAML 1.1 reads much more as numbers, silently: 1_0 as 10, 010
# as 8 (octal), 0x10 as 16, 1:30 as 90 (minutes and seconds), .inf and .nan. An editor who wrote one of
# these meant something else, or would be misread by a YAML 1.2 tool (VS Code reads 010 as 10), so
# such a number is refused at its line instead of being read one way or the other.
_PLAIN_INT = re.compile(r"[-+]?(?:0|[1-9][0-9]*)")
_PLAIN_FLOAT = re.compile(r"[-+]?(?:[0-9]+\.[0-9]*|\.[0-9]+)")


def _refuse_unplain(node: yaml.ScalarNode, plain: re.Pattern, read: object) -> None:
    if not plain.fullmatch(node.value):
        raise _EditionRefused(
            f"{node.value} is not a number written plainly (YAML would read it as {read}): write digits"
            " with an optional sign and decimal point, e.g. 10 or 2.5, or put a text in quotes",
            node.start_mark,
        )


def _construct_int(loader: _StrictLoader, node: yaml.ScalarNode) -> int:
    """A plain integer, or a located error: for a number YAML reads otherwise than it looks (1_0, 010,
    0x10, 1:30), and instead of Python's ValueError for one of thousands of digits."""
    try:
        value = loader.construct_yaml_int(node)
    except ValueError:
        raise _EditionRefused("the number has too many digits", node.start_mark) from None
    _refuse_unplain(node, _PLAIN_INT, value)
    return value


def _construct_float(loader: _StrictLoader, node: yaml.ScalarNode) -> float:
    """A plain decimal number, or a located error (1_000.5, 1.0e+2, .inf, .nan, 1:30.5)."""
    value = loader.construct_yaml_float(node)
    _refuse_unplain(node, _PLAIN_FLOAT, value)
    if not math.isfinite(value):  # hundreds of digits: Python's float() reads them as inf
        raise _EditionRefused("the number has too many digits", node.start_mark)
    return value


_StrictLoader.add_constructor("tag:yaml.org,2002:int", _construct_int)
_StrictLoader.add_constructor("tag:yaml.org,2002:float", _construct_float)


def _yaml_problem(error: yaml.MarkedYAMLError) -> str:
    mark = error.problem_mark or error.context_mark
    where = f"line {mark.line + 1}, column {mark.column + 1}: " if mark else ""
    detail = error.problem or error.context or "invalid YAML"
    kind = "" if isinstance(error, _EditionRefused) else "YAML syntax error: "
    return f"{where}{kind}{detail}"


# JSON Schema


@cache
def _schema_validator() -> jsonschema.Draft202012Validator:
    schema = json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))
    return jsonschema.Draft202012Validator(
        schema, format_checker=jsonschema.Draft202012Validator.FORMAT_CHECKER
    )


def _schema_problems(data: Any) -> list[str]:
    errors = sorted(
        _schema_validator().iter_errors(data), key=lambda e: (_path_sort_key(e.absolute_path), e.message)
    )
    problems: list[str] = []
    for error in errors:
        for path, problem in _explain(error):
            line = f"{path}: {problem}" if path else problem
            if line not in problems:
                problems.append(line)
    return problems


def _path_sort_key(path: Iterable) -> tuple:
    return tuple((0, part, "") if isinstance(part, int) else (1, 0, str(part)) for part in path)


def _format_path(parts: Iterable) -> str:
    """Write a path as in the messages: `sections[2].items[1].points`."""
    text = ""
    for part in parts:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text


def _explain(error: jsonschema.ValidationError) -> Iterator[tuple[str, str]]:
    path = _format_path(error.absolute_path)
    keyword, expected = error.validator, error.validator_value
    if keyword == "required":
        present = error.instance if isinstance(error.instance, dict) else {}
        for key in expected:
            if key not in present:
                yield _format_path([*error.absolute_path, key]), "is required"
        return
    if keyword == "additionalProperties":
        known = set(error.schema.get("properties", {}))
        for key in sorted(set(error.instance) - known, key=str):
            yield _format_path([*error.absolute_path, key]), "unknown key"
        return
    if isinstance(error.schema, dict) and "errorMessage" in error.schema:
        yield path, error.schema["errorMessage"]
        return
    if keyword == "oneOf" and error.context:
        for sub_error in _closest_form(error):
            yield from _explain(sub_error)
        return
    yield path, _problem_text(keyword, expected, error)


def _closest_form(error: jsonschema.ValidationError) -> list[jsonschema.ValidationError]:
    """The problems of the form a value comes closest to, among the forms it may take (a level's
    approvals: steps, or an older edition's list of roles): the one with the fewest problems, the
    last listed (the newest) on a tie. "Not valid under any of the given schemas" names no place."""
    by_form: dict[int, list[jsonschema.ValidationError]] = {}
    for sub_error in error.context:
        by_form.setdefault(sub_error.relative_schema_path[0], []).append(sub_error)
    fewest = min(len(problems) for problems in by_form.values())
    closest = [problems for _, problems in sorted(by_form.items()) if len(problems) == fewest][-1]
    return sorted(closest, key=lambda e: (_path_sort_key(e.absolute_path), e.message))


def _problem_text(keyword: str, expected: Any, error: jsonschema.ValidationError) -> str:
    if keyword == "type":
        names = [expected] if isinstance(expected, str) else expected
        return "must be " + " or ".join(_JSON_TYPE_NAMES.get(n, n) for n in names)
    if keyword == "exclusiveMinimum":
        return f"must be greater than {expected}"
    if keyword == "minimum":
        return f"must be at least {expected}"
    if keyword == "maximum":
        return f"must be at most {expected}"
    if keyword == "enum":
        return "must be one of: " + ", ".join(json.dumps(v) for v in expected)
    if keyword == "const":
        return f"must be {json.dumps(expected)}"
    if keyword == "minItems":
        return "must not be empty" if expected == 1 else f"must have at least {expected} entries"
    if keyword == "minLength":
        return "must not be empty"
    if keyword == "uniqueItems":
        return "must not repeat an entry"
    return error.message


# Semantic checks, on the built edition (shape already guaranteed by the schema)


def _semantic_problems(edition: Edition) -> list[str]:
    return [
        *_duplicate_code_problems(edition),
        *(problem for path, item in _located_items(edition) for problem in _item_problems(path, item)),
        *_bonus_problems(edition),
        *_condition_problems(edition),
        *_total_problems(edition),
        *_level_problems(edition),
        *_date_problems(edition),
        *supervision_problems(edition),
    ]


def _located_items(edition: Edition) -> Iterator[tuple[str, Item]]:
    """Each scored and bonus item with its path in the edition file, e.g. `sections[1].items[0]`."""
    for s, section in enumerate(edition.sections):
        for i, item in enumerate(section.items):
            yield f"sections[{s}].items[{i}]", item
    for i, item in enumerate(edition.bonus_items()):
        yield f"bonus.items[{i}]", item


def _duplicate_code_problems(edition: Edition) -> Iterator[str]:
    groups = {
        "section": [(f"sections[{i}].code", s.code) for i, s in enumerate(edition.sections)],
        "item": [(f"{path}.code", item.code) for path, item in _located_items(edition)],
        "declaration": [(f"eligibility[{i}].code", d.code) for i, d in enumerate(edition.eligibility)],
    }
    for kind, located_codes in groups.items():
        first_at: dict[str, str] = {}
        for path, code in located_codes:
            if code in first_at:
                yield f"{path}: duplicate {kind} code {code!r} (also at {first_at[code]})"
            else:
                first_at[code] = path


def _item_problems(path: str, item: Item) -> Iterator[str]:
    spec = item.answer
    if item.veto and item.not_applicable_allowed:
        yield f"{path}.not_applicable_allowed: a veto item may not allow N/A"
    if item.requirement:
        yield from _requirement_problems(path, item)
    if item.required_from != "district" and not item.blocks_levels:
        yield f"{path}.required_from: only a veto or requirement item blocks levels"
    if spec.type == "choice":
        yield from _choice_problems(path, item)
    if spec.thresholds:
        yield from _threshold_problems(path, item)
    if spec.deduction:
        yield from _deduction_problems(path, item)
    yield from _evidence_problems(path, item)


def _requirement_problems(path: str, item: Item) -> Iterator[str]:
    # pass or fail is the yes_no answer; points, grades or thresholds would have nothing to earn
    if item.answer.type != "yes_no":
        yield f"{path}.answer.type: a requirement is answered yes or no (yes_no)"
    if item.veto:
        yield f"{path}.veto: a requirement already blocks the levels when failed; remove veto"
    if item.not_applicable_allowed:
        yield f"{path}.not_applicable_allowed: a requirement may not allow N/A"


def _deduction_problems(path: str, item: Item) -> Iterator[str]:
    deduction = item.answer.deduction
    assert deduction is not None
    if deduction.floor >= item.points:
        yield (
            f"{path}.answer.deduction.floor: the floor ({decimal_text(deduction.floor)}) must be below"
            f" the item's points ({decimal_text(item.points)})"
        )


def _choice_problems(path: str, item: Item) -> Iterator[str]:
    options = item.answer.options
    seen: set[str] = set()
    for i, option in enumerate(options):
        if option.code in seen:
            yield f"{path}.answer.options[{i}].code: duplicate option code {option.code!r}"
        seen.add(option.code)
    best = max(option.points for option in options)
    if best != item.points:
        yield (
            f"{path}.answer.options: the best option earns {decimal_text(best)} points,"
            f" but the item is worth {decimal_text(item.points)}"
        )


def _threshold_problems(path: str, item: Item) -> Iterator[str]:
    thresholds = item.answer.thresholds
    lower_is_better = thresholds[0].max is not None
    for i, threshold in enumerate(thresholds):
        if (threshold.max is not None) != lower_is_better:
            yield (
                f"{path}.answer.thresholds[{i}]: use min on every threshold (higher is better)"
                " or max on every threshold (lower is better), not both"
            )
            return
    for i in range(1, len(thresholds)):
        before, current = thresholds[i - 1], thresholds[i]
        if lower_is_better and current.max <= before.max:
            yield (
                f"{path}.answer.thresholds[{i}].max: thresholds must go from the lowest max to the highest"
                f" without repeats ({decimal_text(current.max)} follows {decimal_text(before.max)})"
            )
        if not lower_is_better and current.min >= before.min:
            yield (
                f"{path}.answer.thresholds[{i}].min: thresholds must go from the highest min to the lowest"
                f" without repeats ({decimal_text(current.min)} follows {decimal_text(before.min)})"
            )
        if current.points >= before.points:
            yield (
                f"{path}.answer.thresholds[{i}].points: a lower threshold must earn fewer points"
                f" ({decimal_text(current.points)} follows {decimal_text(before.points)})"
            )
    if thresholds[0].points != item.points:
        yield (
            f"{path}.answer.thresholds[0].points: the first threshold earns"
            f" {decimal_text(thresholds[0].points)} points, but the item is worth {decimal_text(item.points)}"
        )


def _evidence_problems(path: str, item: Item) -> Iterator[str]:
    rule, spec = item.evidence, item.answer
    bounds = [key for key in ("above", "below") if getattr(rule, key) is not None]
    if rule.required != "when":
        for key in ("when", *bounds) if rule.when else bounds:
            yield f"{path}.evidence.{key}: only used with required: when"
        return
    if bounds:
        if spec.type not in ("percentage", "number"):
            yield f"{path}.evidence.{bounds[0]}: only for percentage and number answers (use when: [...])"
        elif len(bounds) > 1:
            yield f"{path}.evidence: give either above or below, not both"
        else:
            yield from _evidence_bound_problems(path, item)
        if rule.when:
            yield f"{path}.evidence.when: use either when or {bounds[0]}, not both"
        return
    if spec.type not in ("yes_no", "choice"):
        yield (
            f"{path}.evidence.required: 'when' works only with yes_no and choice answers;"
            " for percentage and number write above: N (evidence when the answer is above N) or below: N"
        )
        return
    for i, shown in _impossible_answers(spec, rule.when):
        yield f"{path}.evidence.when[{i}]: {shown} is not a possible answer"


PERCENT_MAX = Decimal(100)


def _evidence_bound_problems(path: str, item: Item) -> Iterator[str]:
    """A bound no answer can pass (or every answer passes) is a rule written wrong: say which to write.

    Answers are never below 0, and a percentage never above 100 (scoring refuses anything else).
    """
    [(key, bound)] = item.evidence.bounds()
    shown = decimal_text(bound)
    percentage = item.answer.type == "percentage"
    if key == "below" and bound <= 0:
        yield (
            f"{path}.evidence.below: no answer is below {shown}, so evidence would never be asked for;"
            " write required: never"
        )
    elif key == "above" and percentage and bound >= PERCENT_MAX:
        yield (
            f"{path}.evidence.above: no percentage is above {shown}, so evidence would never be asked for;"
            " write required: never"
        )
    elif key == "below" and percentage and bound > PERCENT_MAX:
        yield (
            f"{path}.evidence.below: every percentage is below {shown}, so evidence would always be asked"
            " for; write required: always"
        )


def _impossible_answers(spec: AnswerSpec, values: tuple) -> Iterator[tuple[int, str]]:
    """Each value (index, as JSON) that is no possible answer of a yes_no or choice item."""
    possible = {True, False} if spec.type == "yes_no" else {option.code for option in spec.options}
    for i, value in enumerate(values):
        # a bool is never an option code and a code is never a bool: check the type as well as the value
        if value not in possible or isinstance(value, bool) != (spec.type == "yes_no"):
            yield i, json.dumps(value, ensure_ascii=False)


def _bonus_problems(edition: Edition) -> Iterator[str]:
    for i, item in enumerate(edition.bonus_items()):
        if item.veto:
            yield f"bonus.items[{i}].veto: a bonus item cannot be a veto item"
        if item.requirement:
            yield f"bonus.items[{i}].requirement: a bonus item cannot be a requirement"


def _condition_problems(edition: Edition) -> Iterator[str]:
    """A conditional item must name another real item, by a possible answer, and never a loop."""
    located = dict((item.code, path) for path, item in _located_items(edition))
    items = {item.code: item for _, item in _located_items(edition)}
    for code, path in located.items():
        condition = items[code].shown_when
        if condition is None:
            continue
        where = f"{path}.shown_when"
        controller = items.get(condition.item)
        if controller is None:
            yield f"{where}.item: unknown item {condition.item!r}"
            continue
        if controller.code == code:
            yield f"{where}.item: an item cannot be shown depending on its own answer"
            continue
        given = [key for key in ("answers", "above", "below") if getattr(condition, key) not in (None, ())]
        if len(given) != 1:
            yield f"{where}: give exactly one of answers, above or below"
            continue
        numeric = controller.answer.type in ("percentage", "number")
        if given[0] != "answers" and not numeric:
            yield f"{where}.{given[0]}: item {controller.code!r} is not answered with a number; use answers"
        if given[0] == "answers":
            yield from _condition_answer_problems(where, controller, condition.answers)
    yield from _condition_cycles(edition, located)


def _condition_answer_problems(where: str, controller: Item, answers: tuple) -> Iterator[str]:
    if controller.answer.type not in ("yes_no", "choice"):
        yield f"{where}.answers: item {controller.code!r} is answered with a number; use above or below"
        return
    for i, shown in _impossible_answers(controller.answer, answers):
        yield f"{where}.answers[{i}]: {shown} is not a possible answer of item {controller.code!r}"


def _condition_cycles(edition: Edition, located: dict[str, str]) -> Iterator[str]:
    """Each loop of conditions once, named from its first item in file order: A → B → A."""
    depends = {
        item.code: item.shown_when.item
        for _, item in _located_items(edition)
        if item.shown_when and item.shown_when.item in located and item.shown_when.item != item.code
    }
    reported: set[str] = set()
    for start in located:
        chain, code = [start], depends.get(start)
        while code is not None and code not in chain:
            chain.append(code)
            code = depends.get(code)
        if code == start and not reported.intersection(chain):
            reported.update(chain)
            loop = " → ".join([*chain, start])
            yield f"{located[start]}.shown_when.item: the conditions go round in a loop ({loop})"


def _total_problems(edition: Edition) -> Iterator[str]:
    added = sum((item.points for item in edition.items()), Decimal(0))
    if added != edition.total_points:
        yield (
            f"total_points: the items add up to {decimal_text(added)},"
            f" but total_points says {decimal_text(edition.total_points)}"
        )


def _level_problems(edition: Edition) -> Iterator[str]:
    scored = {item.code: item for item in edition.items()}
    for rules in edition.levels:
        for i, code in enumerate(rules.items_at_full_marks):
            path = f"levels.{rules.code}.items_at_full_marks[{i}]"
            if code not in scored:
                yield f"{path}: unknown item {code!r} (bonus items cannot be required)"
            elif scored[code].not_applicable_allowed:
                yield f"{path}: item {code!r} allows N/A, so it cannot be required at full marks"
            elif scored[code].requirement:
                yield f"{path}: item {code!r} is a requirement with no points; give it required_from instead"
        sections = {section.code for section in edition.sections}
        for code, _ in rules.section_minimums:
            if code not in sections:
                yield f"levels.{rules.code}.section_minimums.{code}: unknown section {code!r}"
        if edition.final_cap is not None and rules.min_score > edition.final_cap:
            yield (
                f"levels.{rules.code}.min_score: {decimal_text(rules.min_score)} is above final_cap"
                f" ({decimal_text(edition.final_cap)}), so the level could never be reached"
            )
        yield from _approval_problems(rules)
    district, city = edition.level("district"), edition.level("city")
    if city.min_score < district.min_score:
        yield (
            f"levels.city.min_score: {decimal_text(city.min_score)} is below"
            f" levels.district.min_score ({decimal_text(district.min_score)})"
        )


def _approval_problems(rules) -> Iterator[str]:
    """The steps must make a path someone can walk: the district postal bureau, which received the
    application, opens it with the level it proposes; one settling act (a decision or a confirmation)
    ends it, and its agency issues the certificate; an agency acts at most once in a row."""
    path = f"levels.{rules.code}.approvals"
    first, last = rules.approvals[0], rules.approvals[-1]
    end = f"{path}[{len(rules.approvals) - 1}]"
    if first.agency != Agency.DISTRICT_POSTAL:
        yield f"{path}[0]: the first step is the district postal bureau's (it proposes the level), not {first.agency}'s"  # noqa: E501
    if first.act in (Act.COSIGN, Act.CONFIRMATION):
        yield f"{path}[0]: the first step opens the approval (opinion, recommendation or decision), not {first.act}"  # noqa: E501
    if last.act not in SETTLING_ACTS:
        yield f"{end}: the last step settles the matter (a decision or confirmation), not {last.act}"
    for i, step in enumerate(rules.approvals[:-1]):
        if step.act in SETTLING_ACTS:
            yield f"{path}[{i}]: only the last step may be a {step.act}"
        if step.agency == rules.approvals[i + 1].agency:
            yield f"{path}[{i + 1}]: {step.agency} acts twice in a row; make it one step"
    if rules.code == "city" and last.agency.district_tier:
        yield f"{end}: city level is settled by a city agency, not {last.agency}"


def _date_problems(edition: Edition) -> Iterator[str]:
    if edition.effective_until and edition.effective_until < edition.effective_from:
        yield "effective_until: comes before effective_from"
