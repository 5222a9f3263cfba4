"""`flask backup` and `flask restore`: the database and the evidence files in one archive.

SQLite is copied with its online backup API (safe while the app runs); PostgreSQL with
pg_dump's custom format and pg_restore. The archive also holds the evidence store and a
manifest naming the database kind and the migration revision, which restore checks.
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
from flask import current_app
from flask.cli import with_appcontext

from outlet_audit.core.time import utcnow
from outlet_audit.extensions import db

MANIFEST = "manifest.json"


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


def _revision() -> str | None:
    with db.engine.connect() as conn:
        return conn.execute(sa.text("SELECT version_num FROM alembic_version")).scalar()


def _dump_database(url: sa.engine.URL, target: Path) -> str:
    if url.get_backend_name() == "sqlite":
        source = sqlite3.connect(url.database)
        destination = sqlite3.connect(target / "database.sqlite3")
        with destination:
            source.backup(destination)
        source.close()
        destination.close()
        return "sqlite"
    _run_pg_tool(
        "pg_dump",
        url,
        ["--format=custom", "--no-owner", "--file", str(target / "database.pgdump"), url.database],
    )
    return "postgresql"


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
    evidence_dir = Path(current_app.config["EVIDENCE_DIR"])
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        dialect = _dump_database(url, work)
        manifest = {"created_at": utcnow().isoformat() + "Z", "dialect": dialect, "revision": _revision()}
        (work / MANIFEST).write_text(json.dumps(manifest, indent=2))
        with tarfile.open(archive, "w:gz") as tar:
            for path in sorted(work.iterdir()):
                tar.add(path, arcname=path.name)
            if evidence_dir.exists():
                tar.add(evidence_dir, arcname="evidence")
    os.chmod(archive, 0o600)
    return manifest


def restore_backup(archive: Path) -> dict:
    url = db.engine.url
    dialect = "sqlite" if url.get_backend_name() == "sqlite" else "postgresql"
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        with tarfile.open(archive, "r:gz") as tar:
            tar.extractall(work, filter="data")  # refuses absolute paths, links out and ../ members
        manifest = json.loads((work / MANIFEST).read_text())
        if manifest["dialect"] != dialect:
            raise BackupError(f"this backup is of a {manifest['dialect']} database; the app uses {dialect}")
        _restore_database(url, work, dialect)
        evidence_dir = Path(current_app.config["EVIDENCE_DIR"])
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
    click.echo(f"backup written to {archive} ({manifest['dialect']}, revision {manifest['revision']})")


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
