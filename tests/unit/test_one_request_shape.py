"""No view commits or rolls back by hand: `core.requests` (`attempt`, `commit_if_possible`,
`forget_unfinished_work`) is the one place a request's unit of work ends."""

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[2] / "outlet_audit"
SESSION_ENDS = {"commit", "rollback"}

# Still written by hand while other branches convert them (issue 14, item 3). Remove each entry
# once its branch is merged; the second test fails while an entry is no longer needed.
PENDING: set[str] = set()


def view_modules() -> list[Path]:
    found = set(PACKAGE.rglob("views*.py")) | set(PACKAGE.rglob("*_views.py"))
    return sorted(found)


def session_ends(path: Path) -> list[str]:
    """Each `<x>.session.commit()` / `.rollback()` in the file, as "line: call"."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    return [
        f"{node.lineno}: {ast.unparse(node.func)}()"
        for node in ast.walk(tree)
        if isinstance(node, ast.Call)
        and isinstance(node.func, ast.Attribute)
        and node.func.attr in SESSION_ENDS
        and isinstance(node.func.value, ast.Attribute)
        and node.func.value.attr == "session"
    ]


def test_the_check_sees_the_view_modules_and_a_hand_written_commit(tmp_path):
    names = {path.relative_to(PACKAGE).as_posix() for path in view_modules()}
    assert {"core/views.py", "certificates/public_views.py", "workflow/views_lists.py"} <= names
    sample = tmp_path / "views.py"
    sample.write_text("def save():\n    db.session.commit()\n    db.session.rollback()\n", encoding="utf-8")
    assert session_ends(sample) == ["2: db.session.commit()", "3: db.session.rollback()"]


def test_no_view_commits_or_rolls_back_by_hand():
    by_hand = {
        name: calls
        for path in view_modules()
        if (name := path.relative_to(PACKAGE).as_posix()) not in PENDING and (calls := session_ends(path))
    }
    assert by_hand == {}, "run the operation inside `with attempt() as outcome:` (core/requests.py)"


def test_every_pending_exception_is_still_needed():
    done = {name for name in PENDING if not session_ends(PACKAGE / name)}
    assert done == set(), "these views no longer commit by hand: take them out of PENDING"
