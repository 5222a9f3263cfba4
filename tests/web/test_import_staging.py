"""Import files between dry run and confirmation: out of the evidence store, and never piling up."""

import os
from pathlib import Path

import pytest

from outlet_audit.outlets import import_operations
from outlet_audit.roles import Role
from tests.factories import make_user
from tests.web.test_import import GOOD, by_permit, confirm, csv_file, dry_run, hidden, row

pytestmark = pytest.mark.usefixtures("english_ui")


@pytest.fixture
def evidence_dir(app, tmp_path, monkeypatch):
    folder = tmp_path / "evidence"
    monkeypatch.setitem(app.config, "EVIDENCE_DIR", str(folder))
    return folder


@pytest.fixture
def staging(app, tmp_path, monkeypatch):
    folder = tmp_path / "staging"
    monkeypatch.setitem(app.config, "IMPORT_STAGING_DIR", str(folder))
    return folder


@pytest.fixture
def bureau(ctx):
    return make_user(Role.DISTRICT_BUREAU, district_code="FX")


def files(folder: Path) -> list[Path]:
    return sorted(path for path in folder.rglob("*") if path.is_file()) if folder.exists() else []


def test_a_dry_run_stores_nothing_in_the_evidence_store(client, bureau, evidence_dir, staging):
    html = dry_run(client, bureau, csv_file(GOOD)).get_data(as_text=True)

    assert files(evidence_dir) == []
    assert [path.name for path in files(staging)] == [hidden(html, "sha256")]
    assert files(staging)[0].parent.name == str(bureau.id)
    assert (files(staging)[0].stat().st_mode & 0o077) == 0


def test_a_confirmed_import_keeps_no_file_and_cannot_be_confirmed_twice(
    client, bureau, evidence_dir, staging
):
    html = dry_run(client, bureau, csv_file(GOOD)).get_data(as_text=True)

    assert confirm(client, html, "valid_rows").status_code == 302

    assert by_permit("FX-IMPORT-0001") is not None
    assert files(staging) == [] and files(evidence_dir) == []
    assert confirm(client, html, "valid_rows").status_code == 400


def test_a_user_has_only_the_newest_dry_runs_waiting(client, bureau, staging):
    pages = [
        dry_run(client, bureau, csv_file([row(f"FX-STAGED-{n:04d}")])).get_data(as_text=True)
        for n in range(import_operations.STAGED_PER_USER + 2)
    ]

    assert len(files(staging)) == import_operations.STAGED_PER_USER
    assert confirm(client, pages[0], "valid_rows").status_code == 400  # pushed out by newer ones
    assert confirm(client, pages[-1], "valid_rows").status_code == 302


def test_staged_files_older_than_a_confirmation_token_are_removed_by_the_next_dry_run(
    client, bureau, staging
):
    other = make_user(Role.DISTRICT_BUREAU, district_code="FX")
    forgotten = dry_run(client, other, csv_file(GOOD[:1])).get_data(as_text=True)
    [path] = files(staging)
    then = path.stat().st_mtime - import_operations.TOKEN_MAX_AGE_SECONDS - 60
    os.utime(path, (then, then))

    dry_run(client, bureau, csv_file(GOOD))

    assert [p.parent.name for p in files(staging)] == [str(bureau.id)]
    assert confirm(client, forgotten, "valid_rows").status_code == 400


def test_a_staged_file_altered_on_disk_is_refused(client, bureau, staging):
    html = dry_run(client, bureau, csv_file(GOOD)).get_data(as_text=True)
    [path] = files(staging)
    path.write_bytes(csv_file([row("FX-SWAPPED-0001")]))

    assert confirm(client, html, "valid_rows").status_code == 400
    assert by_permit("FX-SWAPPED-0001") is None
