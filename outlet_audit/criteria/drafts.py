"""A draft edition that is not in the criteria folder: read from the bytes an admin uploaded (never
from a file of its own), and, once accepted, saved into the folder under its id-based name.

Saving never replaces a file: a file of that name with other content, or another file holding the
same edition id, refuses the save; the same edition already there is said, not written twice. The new
file appears whole or not at all (written beside it, then linked in), and it is not made active:
that stays the administrator's explicit, audited choice (criteria/editions.py).
"""

import os
import re
import secrets
from dataclasses import dataclass
from pathlib import Path

from outlet_audit.criteria.loader import (
    CRITERIA_MAX_BYTES,
    CriteriaRefused,
    edition_files,
    read_edition_bytes,
    read_editions,
)
from outlet_audit.criteria.model import Edition
from outlet_audit.text import N_, Message

_UNSAFE_NAME = re.compile(r"[^\w.\- ]+")


def upload_name(filename: str | None) -> str:
    """The uploaded file's own name, as the messages cite it: no folders, no control characters."""
    name = _UNSAFE_NAME.sub("_", Path((filename or "").replace("\\", "/")).name).strip(" .")
    return name[:80] or "draft.yaml"


def edition_file_name(edition: Edition) -> str:
    """The file an edition is saved as: its id (lower-case words and hyphens, the schema says) + .yaml."""
    return f"{edition.id}.yaml"


@dataclass(frozen=True)
class Saved:
    path: Path
    written: bool  # False: the same edition was in the folder already


def save_draft(data: bytes, edition: Edition, folder: Path) -> Saved:
    """Put the draft's bytes into the folder as `<id>.yaml`, never over another file (CriteriaRefused)."""
    target = folder / edition_file_name(edition)
    if target.exists():
        if target.is_file() and _same_edition(target, data, edition):
            return Saved(target, written=False)
        raise CriteriaRefused(
            Message(
                N_("%(file)s is already in the criteria folder with other content; it is never overwritten."),
                {"file": target.name},
            )
        )
    editions, _problems = read_editions(edition_files(folder))
    clash = next((e for e in editions if e.id == edition.id), None)
    if clash is not None:
        raise CriteriaRefused(
            Message(
                N_(
                    "Edition %(edition)s is already in the criteria folder, in %(file)s;"
                    " it is never overwritten."
                ),
                {"edition": edition.id, "file": Path(clash.source).name},
            )
        )
    _write_new(target, data)
    return Saved(target, written=True)


def _same_edition(path: Path, data: bytes, edition: Edition) -> bool:
    with path.open("rb") as f:
        existing = f.read(CRITERIA_MAX_BYTES + 1)
    if existing == data:
        return True
    there, _problems = read_edition_bytes(existing, path.name)
    return there is not None and there.content_hash == edition.content_hash


def _write_new(target: Path, data: bytes) -> None:
    """Write the whole file beside the target, then link it in: link() never replaces a file, so two
    saves at once cannot both win, and readers of the folder never see half a file."""
    partial = target.with_name(f".{target.stem}.{secrets.token_hex(6)}.partial")  # not *.yaml: never read
    try:
        with partial.open("xb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        try:
            os.link(partial, target)
        except FileExistsError:
            raise CriteriaRefused(
                Message(
                    N_("%(file)s appeared in the criteria folder meanwhile; it is never overwritten."),
                    {"file": target.name},
                )
            ) from None
    finally:
        partial.unlink(missing_ok=True)
