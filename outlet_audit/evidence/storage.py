"""A content-addressed file store: evidence bytes kept on local disk under their sha256.

Files no row refers to any more are removed by `collect_garbage` (`flask evidence gc`). One
content may be named by several rows, so nothing is removed when a row goes; the collector
asks the database which keys are still named, and spares every file younger than a grace
period: `put` refreshes a file's time even when the content was already there, so an upload
whose row is not committed yet always holds a young file.
"""

import contextlib
import hashlib
import os
import re
import stat
import tempfile
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

_KEY = re.compile(r"[0-9a-f]{64}")
FILE_MODE = 0o640  # readable by the group that runs backups, never by everyone
INCOMING_PREFIX = ".incoming-"  # a write in progress, renamed into place when complete
COLLECTING_PREFIX = ".collecting-"  # a file the collector has set aside before removing it


class StoredFileCorrupted(Exception):
    """A stored file whose bytes no longer match the key they are stored under."""


class EvidenceStore:
    """Keep each distinct content once, at `root/ab/cd/abcd…` named by its lowercase sha256."""

    def __init__(self, root: Path | str):
        self.root = Path(root)

    def put(self, data: bytes) -> str:
        """Store `data` (once, however often it arrives) and return its sha256."""
        key = hashlib.sha256(data).hexdigest()
        path = self.path_for(key)
        try:
            if path.stat().st_size == len(data):
                # Already stored (a damaged copy of another size is written again). Touched, so
                # the collector sees a young file until the row that names it is committed.
                os.utime(path)
                return key
        except OSError:
            # Absent, set aside by the collector between stat and utime, or a copy this process
            # may not touch (restored by another user): write it, which renews it as well.
            pass
        path.parent.mkdir(parents=True, exist_ok=True)
        # Two writers of the same content simply replace one complete copy with another.
        write_atomically(path, data, mode=FILE_MODE)
        return key

    def open(self, sha256: str) -> bytes:
        """Return the stored bytes; FileNotFoundError when absent, StoredFileCorrupted when altered."""
        data = self.path_for(sha256).read_bytes()
        if hashlib.sha256(data).hexdigest() != sha256:
            raise StoredFileCorrupted(sha256)
        return data

    def exists(self, sha256: str) -> bool:
        return self.path_for(sha256).is_file()

    def path_for(self, sha256: str) -> Path:
        """Where the content with this key lives; ValueError unless the key is 64 lowercase hex digits."""
        if not isinstance(sha256, str) or not _KEY.fullmatch(sha256):
            raise ValueError(f"not a sha256 key: {sha256!r}")
        return self.root / sha256[:2] / sha256[2:4] / sha256

    def collect_garbage(
        self, referenced_keys: Callable[[], Iterable[str]], *, grace_seconds: float, dry_run: bool = False
    ) -> "CollectionReport":
        """Remove stored files whose key `referenced_keys()` does not name and that are older than the grace.

        `referenced_keys` is called after the files are listed, so a row committed before the
        call keeps its file; a row not yet committed has a file `put` touched moments ago.
        """
        report = CollectionReport()
        cutoff = time.time() - grace_seconds
        candidates: dict[str, Path] = {}
        for path, size, mtime in self._stored_files():
            if path.name.startswith(COLLECTING_PREFIX) and not dry_run:
                path = self._put_back(path)  # a collection died half-way: decide again from scratch
            report.files += 1
            report.bytes += size
            if mtime >= cutoff:
                report.young += 1
            elif path.name.startswith(INCOMING_PREFIX):
                # Left by a write that died half-way: nobody will rename it into place now.
                report.count_removed(size)
                if not dry_run:
                    path.unlink(missing_ok=True)
            else:
                candidates[path.name.removeprefix(COLLECTING_PREFIX)] = path
        for key in referenced_keys():
            if candidates.pop(key, None) is not None:
                report.referenced += 1
        for key, path in sorted(candidates.items()):
            try:
                size = self._remove_if_still_old(key, path, cutoff, dry_run=dry_run)
            except FileNotFoundError:
                continue  # removed meanwhile, by another collection
            if size is None:
                report.young += 1
            else:
                report.count_removed(size)
        return report

    def _stored_files(self) -> Iterable[tuple[Path, int, float]]:
        """Every file in the store's `ab/cd/` folders, with its size and modification time."""
        if not self.root.is_dir():
            return
        for first in sorted(self.root.iterdir()):
            if not (first.is_dir() and len(first.name) == 2):
                continue
            for second in sorted(first.iterdir()):
                if not (second.is_dir() and len(second.name) == 2):
                    continue
                for path in second.iterdir():
                    name = path.name.removeprefix(COLLECTING_PREFIX)
                    known = _KEY.fullmatch(name) or path.name.startswith(INCOMING_PREFIX)
                    if not known:
                        continue
                    try:
                        status = path.stat()
                    except FileNotFoundError:
                        continue  # renamed or removed meanwhile
                    if stat.S_ISREG(status.st_mode):
                        yield path, status.st_size, status.st_mtime

    def _put_back(self, aside: Path) -> Path:
        """Return a set-aside file to its key, unless a copy is there already (then drop the spare)."""
        path = aside.with_name(aside.name.removeprefix(COLLECTING_PREFIX))
        if path.exists():
            aside.unlink(missing_ok=True)
        else:
            with contextlib.suppress(FileNotFoundError):
                os.replace(aside, path)
        return path

    def _remove_if_still_old(self, key: str, path: Path, cutoff: float, *, dry_run: bool) -> int | None:
        """Set the file aside, look at its time again, then remove it; None when it is young now.

        Renaming first closes the race with `put`: a put that touched the file before the rename
        shows in the set-aside file's time, and one that comes after finds no file and writes it.
        """
        if dry_run:
            status = path.stat()
            return None if status.st_mtime >= cutoff else status.st_size
        aside = path.with_name(COLLECTING_PREFIX + key)
        os.replace(path, aside)
        status = aside.stat()
        if status.st_mtime >= cutoff:
            os.replace(aside, path)  # touched by a put meanwhile: its row is on its way
            os.utime(path)
            return None
        aside.unlink()
        return status.st_size


@dataclass
class CollectionReport:
    """What one collection found: every stored file, and how many were removed (or would be)."""

    files: int = 0
    bytes: int = 0
    referenced: int = 0
    young: int = 0
    removed: int = 0
    removed_bytes: int = 0

    def count_removed(self, size: int) -> None:
        self.removed += 1
        self.removed_bytes += size


def write_atomically(path: Path, data: bytes, *, mode: int) -> None:
    """Write `data` to `path` durably, beside it first and then renamed: readers see the whole
    file or none of it, and a process killed mid-write leaves only an `INCOMING_PREFIX` file."""
    descriptor, temporary = tempfile.mkstemp(dir=path.parent, prefix=INCOMING_PREFIX)
    try:
        with os.fdopen(descriptor, "wb") as file:
            file.write(data)
            file.flush()
            os.fsync(file.fileno())
        os.chmod(temporary, mode)
        os.replace(temporary, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(temporary)
        raise
    _fsync_directory(path.parent)


def _fsync_directory(directory: Path) -> None:
    """Make the rename itself durable, where the platform allows syncing a directory."""
    with contextlib.suppress(OSError):
        descriptor = os.open(directory, os.O_RDONLY)
        try:
            os.fsync(descriptor)
        finally:
            os.close(descriptor)
