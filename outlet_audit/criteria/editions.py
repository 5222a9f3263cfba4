"""Editions inside the app: which one is active, and the stored snapshot each application pins."""

from functools import lru_cache
from pathlib import Path

from flask import current_app
from sqlalchemy import select

from outlet_audit.core.models import get_setting, set_setting
from outlet_audit.core.time import today_in_shanghai
from outlet_audit.criteria.loader import edition_files, load_editions
from outlet_audit.criteria.model import Edition
from outlet_audit.criteria.stored import StoredEdition
from outlet_audit.extensions import db

ACTIVE_EDITION_SETTING = "active_criteria_edition"


def available_editions() -> dict[str, Edition]:
    """Every valid edition in the criteria folder (CriteriaError if any file is invalid).

    Parsing and validating the YAML takes a noticeable fraction of a second, so the result is
    kept until a file in the folder is added, removed or changed.
    """
    folder = Path(current_app.config["CRITERIA_DIR"])
    return _load_editions_cached(str(folder), _folder_signature(folder))


def _folder_signature(folder: Path) -> tuple:
    """Name, change time and size of each file `load_editions` reads: any edit gives a new key."""
    return tuple((p.name, (st := p.stat()).st_mtime_ns, st.st_size) for p in edition_files(folder))


@lru_cache(maxsize=8)
def _load_editions_cached(folder: str, _signature: tuple) -> dict[str, Edition]:
    return load_editions(Path(folder))


def active_edition() -> Edition:
    """The edition new applications use: the admin's choice, else the newest one in effect today."""
    editions = available_editions()
    chosen = get_setting(ACTIVE_EDITION_SETTING)
    if chosen in editions:
        return editions[chosen]
    today = today_in_shanghai()
    in_effect = [e for e in editions.values() if e.is_effective(today)] or list(editions.values())
    if not in_effect:
        raise LookupError(f"no criteria edition in {current_app.config['CRITERIA_DIR']}")
    return max(in_effect, key=lambda e: (e.effective_from, e.id))


def choose_active_edition(edition_id: str) -> None:
    if edition_id not in available_editions():
        raise KeyError(edition_id)
    set_setting(ACTIVE_EDITION_SETTING, edition_id)


def store_edition(edition: Edition) -> StoredEdition:
    """The snapshot row for this exact content, created on first use."""
    stored = db.session.scalar(
        select(StoredEdition).where(StoredEdition.content_hash == edition.content_hash)
    )
    if stored is None:
        stored = StoredEdition(
            edition_id=edition.id, content_hash=edition.content_hash, snapshot=edition.to_snapshot()
        )
        db.session.add(stored)
        db.session.flush()
    return stored


@lru_cache(maxsize=64)
def _edition_from_snapshot(content_hash: str, stored_id: int) -> Edition:
    stored = db.session.get(StoredEdition, stored_id)
    return Edition.from_snapshot(stored.snapshot, source=f"snapshot {content_hash[:12]}")


def pinned_edition(stored: StoredEdition) -> Edition:
    """The edition an application was made against, rebuilt from its snapshot (never the file)."""
    return _edition_from_snapshot(stored.content_hash, stored.id)
