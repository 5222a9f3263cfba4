"""A content-addressed file store: evidence bytes kept on local disk under their sha256."""

import contextlib
import hashlib
import os
import re
import tempfile
from pathlib import Path

_KEY = re.compile(r"[0-9a-f]{64}")
FILE_MODE = 0o640  # readable by the group that runs backups, never by everyone


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
        if path.is_file() and path.stat().st_size == len(data):
            return key  # already stored; a damaged copy of another size is written again
        path.parent.mkdir(parents=True, exist_ok=True)
        # Write beside the target and rename: readers see the whole file or none of it,
        # and two writers of the same content simply replace one complete copy with another.
        descriptor, temporary = tempfile.mkstemp(dir=path.parent, prefix=".incoming-")
        try:
            with os.fdopen(descriptor, "wb") as file:
                file.write(data)
                file.flush()
                os.fsync(file.fileno())
            os.chmod(temporary, FILE_MODE)
            os.replace(temporary, path)
        except BaseException:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(temporary)
            raise
        _fsync_directory(path.parent)
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


def _fsync_directory(directory: Path) -> None:
    """Make the rename itself durable, where the platform allows syncing a directory."""
    with contextlib.suppress(OSError):
        descriptor = os.open(directory, os.O_RDONLY)
        try:
            os.fsync(descriptor)
        finally:
            os.close(descriptor)
