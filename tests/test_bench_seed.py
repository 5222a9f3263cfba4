"""The benchmark's bulk loader writes only rows the operations could have written.

It loads its rows directly, for speed, with the database's foreign-key checks off (bench/seed.py);
here it runs at a tiny size on a fresh SQLite database, and every rule the operations keep
(outlet_audit.workflow.invariants, also checked over operation-made data in
tests/web/test_data_invariants.py) must hold for what it wrote.
"""

import pytest

from bench import synthetic as syn
from bench.check import check_database, report
from bench.seed import seed

pytestmark = pytest.mark.sqlite_only  # the seeder makes its own database; PostgreSQL is the lead's


@pytest.mark.parametrize("lean", [False, True], ids=["full", "lean"])
def test_the_bulk_load_keeps_every_rule_of_the_operations(tmp_path, lean):
    url = f"sqlite:///{tmp_path / 'bench.sqlite3'}"
    sample = seed(
        url, tmp_path / "instance", syn.Scale.for_outlets(30, extras=not lean), log=lambda _line: None
    )
    assert sample.counts["applications"] == 90 and sample.counts["answers"] > 0
    # Rectification ordered, answered and verified at re-inspections: the dashboards' figures have rows.
    assert min(sample.counts[table] for table in ("rectification_notices", "findings", "finding_checks")) > 0

    broken = check_database(url, lean=lean)

    assert broken == {}, report(broken)
