"""`flask evidence gc`: files no row names go once they are old; named and young ones stay."""

import os

import pytest

from outlet_audit.evidence.operations import (
    NOT_STORE_REFERENCES,
    STORE_REFERENCES,
    evidence_store,
    referenced_keys,
)
from outlet_audit.extensions import db
from outlet_audit.roles import Role
from tests.factories import make_evidence, make_outlet, make_user

TWO_DAYS = 48 * 3600


def age(path, seconds=TWO_DAYS):
    then = path.stat().st_mtime - seconds
    os.utime(path, (then, then))


@pytest.fixture
def store(app, ctx, tmp_path, monkeypatch):
    monkeypatch.setitem(app.config, "EVIDENCE_DIR", str(tmp_path / "evidence"))
    return evidence_store()


def test_every_column_holding_a_sha256_is_known_to_the_collector(app):
    """A new column that keeps a store key must be added to STORE_REFERENCES, or gc removes its files."""
    columns = {
        f"{table.name}.{column.name}"
        for table in db.metadata.tables.values()
        for column in table.columns
        if "sha256" in column.name
    }
    references = {f"{column.table.name}.{column.key}" for column in STORE_REFERENCES}

    assert columns == references | NOT_STORE_REFERENCES
    assert not references & NOT_STORE_REFERENCES


def test_referenced_keys_names_stored_files_and_thumbnails_once_each(store, db_session):
    outlet = make_outlet()
    user = make_user(Role.OUTLET, outlet=outlet)
    photo, thumbnail, document = (store.put(data) for data in (b"photo", b"thumbnail", b"document"))
    make_evidence(outlet, user, photo, thumbnail_sha256=thumbnail)
    make_evidence(outlet, user, photo, thumbnail_sha256=thumbnail)  # the same photo uploaded twice
    make_evidence(outlet, user, document)  # a document has no thumbnail

    keys = list(referenced_keys())

    assert {photo, thumbnail, document} <= set(keys)
    assert len(keys) == len(set(keys))


def test_gc_removes_the_bytes_of_deleted_evidence_and_keeps_what_rows_still_name(app, store, db_session):
    outlet = make_outlet()
    user = make_user(Role.OUTLET, outlet=outlet)
    shared = store.put(b"a photo two rows share")
    thumbnail = store.put(b"its thumbnail")
    deleted = store.put(b"a photo whose only row was deleted")
    abandoned = store.put(b"stored by an upload whose row was never committed")
    young = store.put(b"stored a moment ago, its row still on the way")
    kept_row = make_evidence(outlet, user, shared, thumbnail_sha256=thumbnail)
    make_evidence(outlet, user, shared, thumbnail_sha256=thumbnail)
    db.session.delete(kept_row)  # the other row still names the shared bytes
    db.session.delete(make_evidence(outlet, user, deleted))
    db.session.commit()
    for key in (shared, thumbnail, deleted, abandoned):
        age(store.path_for(key))
    runner = app.test_cli_runner()

    dry = runner.invoke(args=["evidence", "gc", "--dry-run"])

    assert dry.exit_code == 0, dry.output
    assert "5 stored files" in dry.output and "would remove 2 unreferenced" in dry.output
    assert all(store.exists(key) for key in (shared, thumbnail, deleted, abandoned, young))

    result = runner.invoke(args=["evidence", "gc"])

    assert result.exit_code == 0, result.output
    assert "2 referenced, 1 younger than 24 h kept; removed 2 unreferenced" in result.output
    assert store.exists(shared) and store.exists(thumbnail) and store.exists(young)
    assert not store.exists(deleted) and not store.exists(abandoned)


def test_gc_keeps_unreferenced_files_younger_than_the_grace_given(app, store, db_session):
    key = store.put(b"uploaded three hours ago, never committed")
    age(store.path_for(key), 3 * 3600)
    runner = app.test_cli_runner()

    assert "removed 0 unreferenced" in runner.invoke(args=["evidence", "gc", "--grace-hours", "4"]).output
    assert store.exists(key)
    assert "removed 1 unreferenced" in runner.invoke(args=["evidence", "gc", "--grace-hours", "2"]).output
    assert not store.exists(key)


def test_gc_refuses_a_grace_of_zero(app, store, db_session):
    result = app.test_cli_runner().invoke(args=["evidence", "gc", "--grace-hours", "0"])

    assert result.exit_code == 2 and "--grace-hours" in result.output
