"""Check a seeded benchmark database against the rules the operations keep.

The bulk loader (bench/world.py, bench/records.py) writes rows directly, for speed, with the
database's foreign-key checks off. Its rows must still be ones the operations could have written:
`outlet_audit.workflow.invariants` lists those rules once, for this check and for the tests;
`bench.approval_rules` adds those of approval steps, joint teams and issuers.

    .venv/bin/python -m bench.check --database-url sqlite:////tmp/bench.sqlite3 [--lean]
"""

import argparse
import sys
from itertools import islice

import sqlalchemy as sa

import outlet_audit.models  # noqa: F401  (every table, for the foreign-key rule)
from bench.approval_rules import APPROVAL_RULES
from outlet_audit.workflow.invariants import INVARIANTS, broken_invariants

# What `--lean` leaves out on purpose (no list or dashboard reads it): the rules about it.
LEAN_WAIVED = frozenset(
    {
        "signed-off scores kept",  # the result JSON of each checklist
        "complete when signed off",  # item evidence
        "commitment letter",
        "application created, audited",
        "transitions, audited",
        "answers, audited",
        "evidence, audited",
        "certificates, audited",
        "approval steps, audited",
    }
)
LIMIT = 10  # rows named per broken rule


def check_database(database_url: str, *, lean: bool = False) -> dict[str, list]:
    """The rules the seeded database breaks, with some of the rows breaking each (empty: none)."""
    engine = sa.create_engine(database_url)
    try:
        with engine.connect() as conn:
            waived = LEAN_WAIVED if lean else frozenset()
            shared = {invariant.name for invariant in INVARIANTS}
            broken = broken_invariants(conn, waived=waived & shared, limit=LIMIT)
            for rule in APPROVAL_RULES:
                if rule.name not in waived:
                    keys = list(islice(rule.find(conn), LIMIT))
                    if keys:
                        broken[rule.name] = keys
            return broken
    finally:
        engine.dispose()


def report(broken: dict[str, list]) -> str:
    rules = {invariant.name: invariant.rule for invariant in (*INVARIANTS, *APPROVAL_RULES)}
    if not broken:
        return "every rule holds"
    return "\n".join(
        f"BROKEN {name} ({rules[name]}): {', '.join(map(str, keys))}" for name, keys in broken.items()
    )


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--database-url", required=True)
    parser.add_argument("--lean", action="store_true", help="the database was seeded with --lean")
    args = parser.parse_args()
    broken = check_database(args.database_url, lean=args.lean)
    print(report(broken))
    sys.exit(1 if broken else 0)


if __name__ == "__main__":
    main()
