"""`flask evidence gc`: remove stored files no row refers to any more. Run from cron, e.g. daily."""

import click
from flask.cli import AppGroup

from .operations import evidence_store, referenced_keys

evidence_cli = AppGroup("evidence", help="The evidence file store.")

DEFAULT_GRACE_HOURS = 24  # far longer than any request between storing a file and committing its row


@evidence_cli.command("gc")
@click.option("--dry-run", is_flag=True, help="Count what would be removed; remove nothing.")
@click.option(
    "--grace-hours",
    type=click.IntRange(min=1),
    default=DEFAULT_GRACE_HOURS,
    show_default=True,
    help="Keep every file younger than this, referenced or not (an upload may not have committed yet).",
)
def collect_garbage(dry_run: bool, grace_hours: int) -> None:
    """Remove evidence files that no row refers to (deleted evidence, abandoned uploads)."""
    store = evidence_store()
    report = store.collect_garbage(referenced_keys, grace_seconds=grace_hours * 3600, dry_run=dry_run)
    verb = "would remove" if dry_run else "removed"
    click.echo(
        f"{report.files} stored files ({_megabytes(report.bytes)}) in {store.root}: "
        f"{report.referenced} referenced, {report.young} younger than {grace_hours} h kept; "
        f"{verb} {report.removed} unreferenced ({_megabytes(report.removed_bytes)})."
    )


def _megabytes(size: int) -> str:
    return f"{size / 2**20:.1f} MB"
