"""`flask backup` and `flask restore`: the database and the evidence files in one archive.

SQLite is copied with its online backup API (safe while the app runs); PostgreSQL with
pg_dump's custom format and pg_restore. The archive also holds the evidence files the dumped
rows refer to (read from the same snapshot as the dump; bytes no row names stay out) and a
manifest naming the database kind and the migration revision. Restore checks both before it
touches anything and refuses an archive of another kind or another schema revision.

A whole-application command beside the app factory, not in core/: it reads the evidence store,
and the ground floor imports no feature.
"""

import json
import os
import shutil
import sqlite3
import subprocess
import tarfile
import tempfile
from pathlib import Path

import click
import sqlalchemy as sa
from alembic.script import ScriptDirectory
from flask import current_app
from flask.cli import with_appcontext
from sqlalchemy.dialects import sqlite

from outlet_audit.core.time import utcnow
from outlet_audit.evidence.operations import evidence_store, referenced_keys_query
from outlet_audit.extensions import db

MANIFEST = "manifest.json"
REVISION_SQL = "SELECT version_num FROM alembic_version"


class BackupError(click.ClickException):
    pass


def _run_pg_tool(tool: str, url: sa.engine.URL, arguments: list[str]) -> None:
    """Run pg_dump or pg_restore against `url`; the password travels in the environment, not argv."""
    executable = shutil.which(tool)
    if executable is None:
        raise BackupError(f"{tool} is not installed (Debian package postgresql-client)")
    connection = [
        "--host",
        url.host or "localhost",
        "--port",
        str(url.port or 5432),
        "--username",
        url.username or "postgres",
    ]
    env = dict(os.environ, PGPASSWORD=url.password or "")
    # Arguments come from the app's own configuration and paths, never from a request.
    subprocess.run([executable, *connection, *arguments], check=True, capture_output=True, env=env)  # noqa: S603


def _dump_database(url: sa.engine.URL, target: Path) -> tuple[str, str | None, list[str]]:
    """Dump the database into `target`; return its kind, its revision and the store keys its rows name."""
    if url.get_backend_name() == "sqlite":
        copy = target / "database.sqlite3"
        source = sqlite3.connect(url.database)
        destination = sqlite3.connect(copy)
        with destination:
            source.backup(destination)
        source.close()
        destination.close()
        # Read from the copy itself, so the files kept are exactly the ones its rows name.
        keys_sql = str(referenced_keys_query().compile(dialect=sqlite.dialect()))
        reader = sqlite3.connect(f"{copy.as_uri()}?mode=ro", uri=True)
        try:
            revision = reader.execute(REVISION_SQL).fetchone()[0]
            keys = [key for (key,) in reader.execute(keys_sql)]
        finally:
            reader.close()
        return "sqlite", revision, keys
    # pg_dump reads the snapshot this transaction exports, so the revision and the keys read
    # here describe exactly the rows dumped, whatever is written meanwhile.
    with db.engine.connect() as connection:
        connection = connection.execution_options(isolation_level="REPEATABLE READ")
        with connection.begin():
            snapshot = connection.execute(sa.text("SELECT pg_export_snapshot()")).scalar()
            _run_pg_tool(
                "pg_dump",
                url,
                [
                    "--format=custom",
                    "--no-owner",
                    f"--snapshot={snapshot}",
                    "--file",
                    str(target / "database.pgdump"),
                    url.database,
                ],
            )
            revision = connection.execute(sa.text(REVISION_SQL)).scalar()
            keys = list(connection.execute(referenced_keys_query()).scalars())
    return "postgresql", revision, keys


def _restore_database(url: sa.engine.URL, source: Path, dialect: str) -> None:
    db.session.remove()
    db.engine.dispose()
    if dialect == "sqlite":
        backup = sqlite3.connect(source / "database.sqlite3")
        live = sqlite3.connect(url.database)
        with live:
            backup.backup(live)
        backup.close()
        live.close()
        return
    _run_pg_tool(
        "pg_restore",
        url,
        [
            "--clean",
            "--if-exists",
            "--no-owner",
            "--single-transaction",
            "--dbname",
            url.database,
            str(source / "database.pgdump"),
        ],
    )


def make_backup(archive: Path) -> dict:
    url = db.engine.url
    store = evidence_store()
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        dialect, revision, keys = _dump_database(url, work)
        present = sorted(key for key in keys if store.exists(key))
        manifest = {
            "created_at": utcnow().isoformat() + "Z",
            "dialect": dialect,
            "revision": revision,
            "evidence_files": len(present),
            "evidence_missing": len(keys) - len(present),  # named by a row, absent from the store
        }
        (work / MANIFEST).write_text(json.dumps(manifest, indent=2))
        with tarfile.open(archive, "w:gz") as tar:
            tar.add(work / MANIFEST, arcname=MANIFEST)  # first: restore reads it before anything else
            for path in sorted(work.iterdir()):
                if path.name != MANIFEST:
                    tar.add(path, arcname=path.name)
            for key in present:
                tar.add(store.path_for(key), arcname=f"evidence/{key[:2]}/{key[2:4]}/{key}")
    os.chmod(archive, 0o600)
    return manifest


def read_manifest(archive: Path) -> dict:
    """The archive's manifest; BackupError when the file is not an archive `flask backup` wrote."""
    try:
        with tarfile.open(archive, "r:gz") as tar:
            member = tar.extractfile(MANIFEST)
            manifest = json.loads(member.read()) if member else None
    except (OSError, EOFError, KeyError, tarfile.TarError, UnicodeDecodeError, json.JSONDecodeError):
        manifest = None
    if not isinstance(manifest, dict) or not {"dialect", "revision", "created_at"} <= manifest.keys():
        raise BackupError(f"{archive} is not an archive written by `flask backup` (no readable {MANIFEST})")
    return manifest


def check_revision(revision: object) -> None:
    """Refuse an archive whose schema revision is not this version's: the rows fit only that schema."""
    script = ScriptDirectory.from_config(current_app.extensions["migrate"].migrate.get_config())
    head = script.get_current_head()
    if revision == head:
        return
    if not isinstance(revision, str) or not revision:
        raise BackupError("this backup records no schema revision to check; nothing was restored")
    known = {script_revision.revision for script_revision in script.walk_revisions()}
    if revision in known:
        # pg_restore --clean drops only what it restores: the tables a later migration added
        # would stay and make `flask db upgrade` fail, hence a new database.
        raise BackupError(
            f"this backup is of schema revision {revision}, older than this version's {head}; "
            "nothing was restored. Restore it with the outlet-audit version whose newest migration "
            f"is {revision} (into a new, empty database on PostgreSQL), then run `flask db upgrade` "
            "with this version."
        )
    raise BackupError(
        f"this backup is of schema revision {revision}, which this version of outlet-audit does not "
        f"know (its newest is {head}): a newer or another version wrote it; nothing was restored. "
        "Restore it with that version."
    )


def restore_backup(archive: Path) -> dict:
    url = db.engine.url
    dialect = "sqlite" if url.get_backend_name() == "sqlite" else "postgresql"
    manifest = read_manifest(archive)
    if manifest["dialect"] != dialect:
        raise BackupError(f"this backup is of a {manifest['dialect']} database; the app uses {dialect}")
    check_revision(manifest["revision"])
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        with tarfile.open(archive, "r:gz") as tar:
            tar.extractall(work, filter="data")  # refuses absolute paths, links out and ../ members
        _restore_database(url, work, dialect)
        evidence_dir = evidence_store().root
        if (work / "evidence").exists():
            evidence_dir.mkdir(parents=True, exist_ok=True)
            shutil.copytree(work / "evidence", evidence_dir, dirs_exist_ok=True)
    return manifest


@click.command("backup")
@click.argument("archive", type=click.Path(dir_okay=False, path_type=Path))
@with_appcontext
def backup_command(archive: Path):
    """Write the database and the evidence files to ARCHIVE (.tar.gz)."""
    try:
        manifest = make_backup(archive)
    except subprocess.CalledProcessError as error:
        raise BackupError(error.stderr.decode(errors="replace").strip()) from None
    click.echo(
        f"backup written to {archive} ({manifest['dialect']}, revision {manifest['revision']}, "
        f"{manifest['evidence_files']} evidence files)"
    )
    if manifest["evidence_missing"]:
        click.echo(
            f"warning: {manifest['evidence_missing']} evidence files named by rows are missing from "
            f"{evidence_store().root}; the archive holds all the others",
            err=True,
        )


@click.command("restore")
@click.argument("archive", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--yes", is_flag=True, help="Confirm that the current data will be replaced.")
@with_appcontext
def restore_command(archive: Path, yes: bool):
    """Replace the database and add the evidence files from ARCHIVE."""
    if not yes:
        raise BackupError("restore replaces every row in the database; add --yes to confirm")
    try:
        manifest = restore_backup(archive)
    except subprocess.CalledProcessError as error:
        raise BackupError(error.stderr.decode(errors="replace").strip()) from None
    click.echo(f"restored {archive} (taken {manifest['created_at']}, revision {manifest['revision']})")
