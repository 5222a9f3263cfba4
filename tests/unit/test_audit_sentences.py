"""Every audit event the code records has a sentence, in English and in Chinese.

The action names are collected from the code itself: every call of `audit.operations.record`
across outlet_audit/, through the helpers that pass their own `action` parameter on to it
(checklist.attachments._audit, outlets.operations._audit), through module constants
(REMINDER_AUDIT_ACTION) and both arms of a conditional. An action written in a way this
cannot follow fails too: the registry must be able to see every name.
"""

import ast
import re
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from babel.messages.pofile import read_po

from outlet_audit.audit.events import (
    EVENT_TYPES,
    KIND_LABELS,
    SYSTEM_TEXTS,
    TRANSITION_SENTENCES,
    UNKNOWN_EVENT,
    Kind,
    system_text,
)
from outlet_audit.workflow.states import Action, Status

ROOT = Path(__file__).resolve().parents[2]
PACKAGE = ROOT / "outlet_audit"
CATALOG = PACKAGE / "translations" / "zh_Hans_CN" / "LC_MESSAGES" / "messages.po"
APP_CSS = PACKAGE / "static" / "css" / "app.css"
RECORD_MODULE = "outlet_audit.audit.operations"
PLACEHOLDER = re.compile(r"%\((\w+)\)[sd]")


# --- collecting the recorded actions from the code ---------------------------------------------


@dataclass
class Module:
    name: str
    tree: ast.Module
    constants: dict[str, str] = field(default_factory=dict)  # NAME = "text" at module level
    imports: dict[str, tuple[str, str]] = field(default_factory=dict)  # local name -> (module, name)


@dataclass(frozen=True)
class Recorder:
    """A function whose parameter `param` (at `index`) becomes the recorded action."""

    module: str
    function: str
    param: str
    index: int


@dataclass
class Found:
    actions: dict[str, list[str]] = field(default_factory=dict)  # action -> where
    unresolved: list[str] = field(default_factory=list)
    reasons: list[tuple[str, str]] = field(default_factory=list)  # (where, text written as reason)


def load_modules() -> dict[str, Module]:
    modules = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        name = ".".join(path.relative_to(ROOT).with_suffix("").parts).removesuffix(".__init__")
        module = Module(name, ast.parse(path.read_text(encoding="utf-8"), filename=str(path)))
        for node in module.tree.body:
            if isinstance(node, ast.Assign) and isinstance(node.value, ast.Constant):
                if isinstance(node.value.value, str):
                    for target in node.targets:
                        if isinstance(target, ast.Name):
                            module.constants[target.id] = node.value.value
            elif isinstance(node, ast.ImportFrom) and node.module:
                for alias in node.names:
                    module.imports[alias.asname or alias.name] = (node.module, alias.name)
        modules[name] = module
    return modules


def functions(tree: ast.AST):
    return [node for node in ast.walk(tree) if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef)]


def positional_params(function: ast.AST) -> list[str]:
    """The names of a function's positional parameters; none for a module."""
    if not isinstance(function, ast.FunctionDef | ast.AsyncFunctionDef):
        return []
    return [a.arg for a in (*function.args.posonlyargs, *function.args.args)]


def calls_in(scope: ast.AST) -> list[ast.Call]:
    """Calls of a plain name made by this scope's own code (a nested function is a scope of its own)."""
    calls = []
    pending = list(ast.iter_child_nodes(scope))
    while pending:
        node = pending.pop()
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda):
            continue
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name):
            calls.append(node)
        pending.extend(ast.iter_child_nodes(node))
    return sorted(calls, key=lambda call: (call.lineno, call.col_offset))


def recorder_called(module: Module, call: ast.Call, recorders: dict) -> Recorder | None:
    name = call.func.id
    if (module.name, name) in recorders:
        return recorders[(module.name, name)]
    return recorders.get(module.imports.get(name, ("", "")))


def action_argument(call: ast.Call, recorder: Recorder) -> ast.expr | None:
    if len(call.args) > recorder.index and not any(isinstance(a, ast.Starred) for a in call.args):
        return call.args[recorder.index]
    return next((k.value for k in call.keywords if k.arg == recorder.param), None)


def find_recorders(modules: dict[str, Module]) -> dict:
    """`record` and, transitively, every function that passes one of its parameters on as the action."""
    recorders = {(RECORD_MODULE, "record"): Recorder(RECORD_MODULE, "record", "action", 0)}
    grew = True
    while grew:
        grew = False
        for module in modules.values():
            for function in functions(module.tree):
                params = positional_params(function)
                for call in calls_in(function):
                    recorder = recorder_called(module, call, recorders)
                    argument = action_argument(call, recorder) if recorder else None
                    if isinstance(argument, ast.Name) and argument.id in params:
                        key = (module.name, function.name)
                        if key not in recorders:
                            recorders[key] = Recorder(*key, argument.id, params.index(argument.id))
                            grew = True
    return recorders


def resolve(expression: ast.expr, module: Module, modules: dict[str, Module]) -> list[str] | None:
    """The strings an action expression can be, or None when the code cannot be followed."""
    if isinstance(expression, ast.Constant) and isinstance(expression.value, str):
        return [expression.value]
    if isinstance(expression, ast.IfExp):
        body, orelse = resolve(expression.body, module, modules), resolve(expression.orelse, module, modules)
        return body + orelse if body is not None and orelse is not None else None
    if isinstance(expression, ast.Name):
        if expression.id in module.constants:
            return [module.constants[expression.id]]
        source, name = module.imports.get(expression.id, ("", ""))
        if source in modules and name in modules[source].constants:
            return [modules[source].constants[name]]
    return None


def written_reason(expression: ast.expr, function: ast.AST) -> str | None:
    """The text a `reason=` argument writes when the code composes it (literal or f-string), else None.

    A name is followed to its assignment in the same function. Parts that vary read "{}".
    """
    if isinstance(expression, ast.Name):
        assigned = [
            node.value
            for node in ast.walk(function)
            if isinstance(node, ast.Assign)
            and any(isinstance(t, ast.Name) and t.id == expression.id for t in node.targets)
        ]
        return written_reason(assigned[0], function) if len(assigned) == 1 else None
    if isinstance(expression, ast.Constant) and isinstance(expression.value, str):
        return expression.value
    if isinstance(expression, ast.JoinedStr):
        return "".join(part.value if isinstance(part, ast.Constant) else "{}" for part in expression.values)
    return None


def collect(modules: dict[str, Module]) -> Found:
    recorders = find_recorders(modules)
    found = Found()
    for module in modules.values():
        for function in [module.tree, *functions(module.tree)]:
            own = (module.name, getattr(function, "name", ""))
            params = positional_params(function)
            for call in calls_in(function):
                recorder = recorder_called(module, call, recorders)
                if recorder is None:
                    continue
                where = f"{module.name}:{call.lineno}"
                argument = action_argument(call, recorder)
                if own in recorders and isinstance(argument, ast.Name) and argument.id in params:
                    continue  # a helper passing its own parameter on: its callers are read instead
                values = resolve(argument, module, modules) if argument is not None else None
                if values is None:
                    found.unresolved.append(f"{where}: {ast.unparse(argument) if argument else '?'}")
                for value in values or ():
                    found.actions.setdefault(value, []).append(where)
                reason = next((k.value for k in call.keywords if k.arg == "reason"), None)
                text = written_reason(reason, function) if reason is not None else None
                if text is not None:
                    found.reasons.append((where, text))
    return found


@pytest.fixture(scope="module")
def found() -> Found:
    return collect(load_modules())


@pytest.fixture(scope="module")
def catalog():
    with CATALOG.open("rb") as f:
        return {message.id: message for message in read_po(f) if message.id}


def test_the_collector_follows_every_way_the_code_names_an_action(found):
    assert found.unresolved == [], f"actions this test cannot read: {found.unresolved}"
    # literals, helpers' parameters, a module constant and both arms of a conditional
    assert {
        "transition",
        "answer_saved",
        "evidence_deleted",
        "signature_added",
        "profile_change_rejected",
        "certificate_expiry_reminder",
        "user_enabled",
        "user_disabled",
        "outlet_imported",
    } <= found.actions.keys()


def test_every_recorded_action_has_a_sentence(found):
    missing = {action: where for action, where in found.actions.items() if action not in EVENT_TYPES}
    assert missing == {}, f"audit actions without a sentence in audit/events.py: {missing}"


# Actions and statuses of the city's confirmation before approval steps (migration 0012): the audit
# trail is never rewritten, so the rows written then still need their sentences.
HISTORICAL_ACTIONS = {"confirm_city_level", "decline_city_level"}
HISTORICAL_STATUSES = {"awaiting_city_confirmation"}


def test_every_workflow_action_has_its_own_sentence():
    assert {action.value for action in Action} <= TRANSITION_SENTENCES.keys()
    assert (
        HISTORICAL_ACTIONS | {f"approve>{status}" for status in HISTORICAL_STATUSES}
        <= TRANSITION_SENTENCES.keys()
    )
    for key in TRANSITION_SENTENCES:
        action, _sep, status = key.partition(">")
        assert key == "" or action in {*Action.__members__.values(), *HISTORICAL_ACTIONS}, key
        assert not status or status in {*Status.__members__.values(), *HISTORICAL_STATUSES}, key


@dataclass
class TransitionRow:
    field: str
    new_value: str
    old_value: str = "inspected"
    reason: str | None = None


@pytest.mark.parametrize(
    ("action", "new_status", "sentence"),
    [
        ("approve", "in_approval", "%(actor)s proposed the level and opened the approval"),
        ("approve", "approved", "%(actor)s certified the outlet"),  # a one-step chain: the decision
        ("agree", "in_approval", "%(actor)s agreed at an approval step"),
        ("agree", "approved", "%(actor)s agreed at the last approval step: the outlet is certified"),
        ("disagree", "inspected", "%(actor)s disagreed at an approval step: the approval stopped"),
        ("return_step", "inspected", "%(actor)s returned the application to the district postal bureau"),
        ("approve", "awaiting_city_confirmation",
         "%(actor)s approved the application and passed it to the city bureau for confirmation"),
        ("confirm_city_level", "approved", "%(actor)s confirmed the city level"),
        ("decline_city_level", "inspected", "%(actor)s declined the city level"),
    ],
)  # fmt: skip
def test_each_approval_step_reads_as_what_it_did(action, new_status, sentence):
    assert EVENT_TYPES["transition"].sentence(TransitionRow(action, new_status)) == sentence


def all_templates() -> list[str]:
    templates = [t for kind in (*EVENT_TYPES.values(), UNKNOWN_EVENT) for t in kind.sentences.values()]
    templates += [kind.change_label for kind in EVENT_TYPES.values() if kind.change_label]
    templates += [text.shown for text in SYSTEM_TEXTS] + list(KIND_LABELS.values())
    return templates


@pytest.mark.parametrize("template", all_templates())
def test_every_sentence_is_translated_with_the_same_placeholders(catalog, template):
    message = catalog.get(template)
    assert message is not None and message.string and not message.fuzzy, f"no Chinese for {template!r}"
    assert sorted(PLACEHOLDER.findall(message.string)) == sorted(PLACEHOLDER.findall(template))
    assert not re.search(r"[\u4e00-\u9fff][,;:!?]", message.string), (
        f"half-width punctuation: {message.string}"
    )


def test_every_event_type_has_a_default_sentence_and_a_filter():
    for action, kind in EVENT_TYPES.items():
        assert "" in kind.sentences, action
        assert kind.kind in KIND_LABELS, action


def test_every_reason_the_code_composes_is_a_known_system_text(found):
    """A reason written by the code (not typed by a person) is shown translated, so it must be known."""
    assert found.reasons, "the collector found no reason written by the code"
    unknown = [
        (where, text)
        for where, text in found.reasons
        if not any(re.sub(r"\{\w+\}", "{}", known.written) == text for known in SYSTEM_TEXTS)
    ]
    assert unknown == [], f"add these to audit.events.SYSTEM_TEXTS: {unknown}"


@pytest.mark.parametrize("known", SYSTEM_TEXTS, ids=lambda known: known.written)
def test_a_system_text_is_read_back_from_what_the_code_writes(known):
    names = re.findall(r"\{(\w+)\}", known.written)
    params = {name: f"{i}7a{'f' * 70}" for i, name in enumerate(names)}
    spec, read = system_text(known.written.format(**params))
    assert read == params and spec.shown == known.shown


def test_a_typed_reason_is_not_mistaken_for_a_system_text():
    assert system_text("与许可证登记不一致") is None
    assert system_text("bulk import, file sha256") is None  # the varying part is missing


def test_the_stylesheet_filters_every_kind():
    css = APP_CSS.read_text(encoding="utf-8")
    for kind in Kind:
        assert f'[value="{kind}"]:checked) [data-kind]:not([data-kind~="{kind}"])' in css, kind
        assert f'[value="{kind}"]:checked) .timeline-day:not(:has([data-kind~="{kind}"]))' in css, kind


def test_a_status_the_workflow_no_longer_has_is_still_read_in_words(app, catalog):
    from flask_babel import force_locale

    from outlet_audit.audit.display import FORMER_STATUS_LABELS, shown_value
    from outlet_audit.audit.events import Shown

    assert set(FORMER_STATUS_LABELS) == HISTORICAL_STATUSES
    assert not HISTORICAL_STATUSES & {status.value for status in Status}
    for label in FORMER_STATUS_LABELS.values():
        assert catalog[label].string, label
    with app.test_request_context(), force_locale("zh_Hans_CN"):
        assert shown_value(Shown.STATUS, None, "awaiting_city_confirmation", None, None) == "待市局确认"
        assert shown_value(Shown.STATUS, None, "in_approval", None, None) == "审批中"
    with app.test_request_context(), force_locale("en"):
        assert shown_value(Shown.STATUS, None, "awaiting_city_confirmation", None, None) == (
            "Awaiting city confirmation"
        )
