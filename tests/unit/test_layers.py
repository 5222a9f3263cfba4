"""Features point one way: every import in outlet_audit (those inside functions too) runs down the floors.

The floors, bottom up (a module sits on the floor of the longest name in FLOORS that starts it):

- the ground floor imports no feature: config, extensions, roles, text, access, core/, pdf/;
- the pure rules import only the ground floor: criteria editions as data, scoring, the
  transition table, certificate numbers and states;
- then the features' own code (models, operations, queries, forms), each floor using only the
  floors below it and its own;
- pages (views, blueprints, CLI commands) stand above all of that: a page may use the code of
  any feature, but never another package's pages, and nothing below imports a page;
- on top, the application as a whole (the app factory, models.py, backup, demo) may import anything.

Circles inside a floor are the other check's business (/work/shared/tools/import_cycles.py).
"""

import ast
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2] / "outlet_audit"
PACKAGE = ROOT.name

GROUND = ("config", "extensions", "roles", "text", "access", "core", "pdf")
FLOORS = (
    ("ground floor", GROUND),
    (
        "pure rules",
        (
            "criteria",  # the package and any new module of it: pure until placed higher
            "scoring",
            "workflow.states",
            "certificates.state",
            "certificates.numbering",
            "certificates.authority",  # who may revoke, propose, decide, renew
            "checklist.kinds",  # the AssessmentKind and EvidencePurpose enums (pure) of the
            "evidence.purposes",  # wt-names branch, which the audit trail's sentences name
            "supervision.kinds",  # the statuses and purposes of supervision after the certificate
            "supervision.draw",  # a spot-check campaign's draw: seed and inputs in, outlets and teams out
        ),
    ),
    # Background jobs (#21): @job, enqueue after the commit, the queue itself; every feature sends them.
    ("job queue", ("jobs",)),
    ("what every feature writes", ("audit", "notifications", "evidence")),
    ("places and people", ("outlets", "accounts")),  # an account belongs to an outlet; its notices go to them
    ("criteria editions in the database", ("criteria.stored", "criteria.editions")),
    ("certificate records", ("certificates.models", "certificates.queries", "certificates.resource")),
    ("application records", ("workflow.models", "workflow.record_facts")),
    ("checklist", ("checklist",)),
    # The audit trail as outlets and applications show it, and as the administrator reads it whole.
    ("history", ("audit.display", "audit.queries", "audit.log")),
    # Webhooks: the events the certificate and workflow operations publish, and their deliveries;
    # on the certificate and application records they describe.
    ("webhooks", ("webhooks",)),
    ("certificates", ("certificates",)),
    ("workflow", ("workflow",)),
    # After the certificate: campaigns, checks, complaints, revocation cases, yearly self-checks;
    # on top of the certificates, checklists and applications they watch.
    ("supervision", ("supervision",)),
    ("reports", ("reports",)),
    ("dashboards", ("dashboards",)),
    ("read API for other systems", ("api",)),  # #21: reads certificates, outlets and campaigns
    (
        "criteria administration",
        (
            "criteria.drafts",
            "criteria.impact",
            "criteria.reminders",
            "criteria.forms",
            "criteria.views",
            "criteria.cli",
        ),
    ),
    # The jobs that do a feature's work in the background: reminders, exports, PDFs (#21).
    ("background work", ("jobs.fan_out", "jobs.periodic", "jobs.exports", "jobs.pdfs", "jobs.dead_letters")),
)
TOP = ("", "models", "backup", "demo")  # "" is the app factory, outlet_audit/__init__.py
PAGE = re.compile(r"(^|_)views(_|$)|^cli$|^blueprint$")

# Imports that still run up, each for a reason that names who removes it. An entry that no
# longer occurs fails `test_every_known_exception_still_occurs`, so it cannot outlive its cause.
KNOWN_UPWARD: dict[tuple[str, str], str] = {}


def module_files() -> dict[str, Path]:
    modules = {}
    for path in ROOT.rglob("*.py"):
        parts = path.relative_to(ROOT.parent).with_suffix("").parts
        modules[".".join(parts[:-1] if parts[-1] == "__init__" else parts)] = path
    return modules


MODULES = module_files()


def short(module: str) -> str:
    """The name below the package: "workflow.states", "" for the package itself."""
    return module.removeprefix(PACKAGE).removeprefix(".")


def matches(module: str, entry: str) -> bool:
    """`entry` names the module or a package above it ("" only the package outlet_audit itself)."""
    name = short(module)
    return name == entry or bool(entry) and name.startswith(entry + ".")


def floor_of(module: str) -> int | None:
    """Index into FLOORS (the longest matching entry decides), len(FLOORS) for the top, None if unplaced."""
    if any(matches(module, entry) for entry in TOP):
        return len(FLOORS)
    placed = [
        (len(entry), index)
        for index, (_name, entries) in enumerate(FLOORS)
        for entry in entries
        if matches(module, entry)
    ]
    return max(placed)[1] if placed else None


def is_ground(module: str) -> bool:
    return floor_of(module) == 0


def is_page(module: str) -> bool:
    return bool(PAGE.search(module.rsplit(".", 1)[-1]))


def package_of(module: str) -> str:
    return short(module).split(".", 1)[0]


def imported(module: str) -> list[tuple[str, int]]:
    """(module of ours, line) for every import statement of `module`, wherever it stands."""
    path = MODULES[module]
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
        if isinstance(node, ast.Import):
            found += [(alias.name, node.lineno) for alias in node.names if alias.name in MODULES]
        elif isinstance(node, ast.ImportFrom):
            base = module.split(".") if path.name == "__init__.py" else module.split(".")[:-1]
            if node.level:
                base = base[: len(base) - (node.level - 1)]
                prefix = ".".join(base + ([node.module] if node.module else []))
            else:
                prefix = node.module or ""
            for alias in node.names:
                target = f"{prefix}.{alias.name}"
                target = target if target in MODULES else prefix  # a module, or a name in one
                if target in MODULES and target != module:
                    found.append((target, node.lineno))
    return found


def allowed(source: str, target: str) -> bool:
    top = len(FLOORS)
    if floor_of(source) == top:
        return True
    if floor_of(target) == top:
        return False
    if is_ground(target):
        return True
    if is_ground(source):
        return False
    if is_page(target):
        return is_page(source) and package_of(source) == package_of(target)
    if is_page(source):
        return True
    return floor_of(target) <= floor_of(source)


def upward_imports() -> dict[tuple[str, str], list[int]]:
    found: dict[tuple[str, str], list[int]] = {}
    for module in sorted(MODULES):
        for target, line in imported(module):
            if not allowed(module, target):
                found.setdefault((module, target), []).append(line)
    return found


def describe(module: str) -> str:
    if floor_of(module) == len(FLOORS):
        return "top"
    kind = "page" if is_page(module) and not is_ground(module) else "code"
    return f"{FLOORS[floor_of(module)][0]} {kind}"


def test_every_module_has_a_floor():
    unplaced = sorted(module for module in MODULES if floor_of(module) is None)
    assert not unplaced, f"place these modules in FLOORS (or TOP) of {__file__}: {unplaced}"


def test_imports_run_down_the_floors():
    offenders = [
        f"{source}:{','.join(map(str, lines))} ({describe(source)}) imports {target} ({describe(target)})"
        for (source, target), lines in upward_imports().items()
        if (source, target) not in KNOWN_UPWARD
    ]
    assert not offenders, "imports that run up the floors:\n" + "\n".join(offenders)


def test_every_known_exception_still_occurs():
    gone = sorted(set(KNOWN_UPWARD) - set(upward_imports()))
    assert not gone, f"no longer imported upward, take them out of KNOWN_UPWARD: {gone}"


def test_routes_and_commands_are_declared_in_pages():
    """A blueprint or command group defined in a module not named as a page would hide from the rule."""
    hidden = []
    for module, path in MODULES.items():
        if is_page(module) or is_ground(module) or floor_of(module) == len(FLOORS):
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Call):
                name = ast.unparse(node.func)
                if name in ("Blueprint", "AppGroup", "click.command", "click.group"):
                    hidden.append(f"{module}:{node.lineno} {name}()")
    assert not hidden, f"name these modules views/*_views/cli/blueprint: {hidden}"


def test_the_rule_itself():
    """The floors say what the README says; a check that cannot fail would prove nothing."""
    assert allowed("outlet_audit.workflow.operations", "outlet_audit.checklist.service")
    assert not allowed("outlet_audit.checklist.service", "outlet_audit.workflow.operations")
    assert allowed("outlet_audit.checklist.service", "outlet_audit.certificates.queries")
    assert not allowed("outlet_audit.core.views", "outlet_audit.outlets.models")  # ground floor
    assert allowed("outlet_audit.outlets.views", "outlet_audit.workflow.models")  # pages use any code
    assert not allowed("outlet_audit.workflow.views", "outlet_audit.checklist.views")  # not others' pages
    assert not allowed("outlet_audit.workflow.page", "outlet_audit.workflow.views")  # nothing imports a page
    assert allowed("outlet_audit", "outlet_audit.demo.cli")
    assert not allowed("outlet_audit.workflow.operations", "outlet_audit.demo.cli")
    assert floor_of("outlet_audit.criteria.loader") == 1 and floor_of("outlet_audit.criteria.impact") > 1
