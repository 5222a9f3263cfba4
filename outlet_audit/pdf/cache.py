"""Rendered PDFs kept on disk under a fingerprint of everything that goes into them.

A certificate, the report of a signed-off inspection and a rectification notice are records
that people download again and again, and rendering one takes 10 to 70 ms of ReportLab layout.
So the bytes are kept, but never under the record's id: the key is a sha256 over the renderer's
whole input (the CertificateData, with the certificate's standing on the day, the ReportData or
the NoticeData, photo and signature bytes included), the context the caller adds (the reader's
language) and the renderer's own version (the source of this package, of the module that defines
the data's type, which is its renderer, and the versions of ReportLab, Pillow, segno and zlib).
Anything that changes what would be printed (a revocation, an expiry, a supersession, a corrected
and again signed-off inspection, another language, an edited outlet name, a new release) is a new
key, so a stale file can never be found; an unchanged input gives the bytes a new render would
give, because the renderers are deterministic.

Files live in `PDF_CACHE_DIR` (default `<instance>/pdf-cache`), `<kind>/<ab>/<key>.pdf`,
each followed by the sha256 of its content: a damaged or truncated file is not served but
rendered again. Every shard folder is kept under its share of `PDF_CACHE_MAX_BYTES`
(default 512 MiB in all), the least recently used files going first; 0 turns keeping off.
Several workers may render the same key at once: each writes a temporary file and renames
it into place, and both copies are the same.
"""

import contextlib
import dataclasses
import functools
import hashlib
import inspect
import logging
import os
import sys
import tempfile
import time
import zlib
from collections.abc import Callable
from datetime import date
from decimal import Decimal
from pathlib import Path

import PIL
import reportlab
import segno
from flask import current_app

log = logging.getLogger(__name__)

DEFAULT_MAX_BYTES = 512 * 1024 * 1024
SHARDS = 256  # two hex digits of the key
KINDS = ("certificate", "report", "notice")
FILE_MODE = 0o640  # like the evidence files: records of the outlets, not for everyone on the host
DIGEST_SIZE = hashlib.sha256().digest_size
ABANDONED_AFTER_SECONDS = 3600  # a temporary file this old was left by a writer that died


def rendered_pdf(kind: str, data, render: Callable[[object], bytes], *context) -> bytes:
    """The PDF of `data`: the kept copy when there is one, else `render(data)`, kept for next time."""
    key = fingerprint(kind, data, *context)
    return cache_for_app().get_or_render(kind, key, lambda: render(data))


def cache_for_app() -> "PdfCache":
    config = current_app.config
    root = config.get("PDF_CACHE_DIR") or Path(current_app.instance_path) / "pdf-cache"
    return PdfCache(root, config.get("PDF_CACHE_MAX_BYTES", DEFAULT_MAX_BYTES))


def fingerprint(kind: str, data, *context) -> str:
    """A sha256 that changes whenever the renderer's input, the context or the renderer changes."""
    digest = hashlib.sha256(renderer_version(type(data).__module__))
    _feed(digest, (kind, data, context))
    return digest.hexdigest()


@functools.cache
def renderer_version(data_module: str) -> bytes:
    """What decides the bytes besides the data: the code that draws and the libraries it draws with.

    The code is this package (fonts, text), the module that defines the data's type (each renderer
    keeps its data class beside its drawing code: certificate_pdf.py, report_pdf.py) and the
    modules of ours that renderer takes names from (the level labels it prints, say).
    """
    digest = hashlib.sha256()
    sources = set(Path(__file__).parent.glob("*.py"))
    renderer = sys.modules.get(data_module)
    if renderer is not None:
        used = {inspect.getmodule(value) for value in vars(renderer).values()} | {renderer}
        ours = (m for m in used if m is not None and m.__name__.startswith("outlet_audit."))
        sources |= {Path(m.__file__) for m in ours if getattr(m, "__file__", None)}
    for source in sorted(sources):
        digest.update(source.name.encode() + b"\0" + source.read_bytes() + b"\0")
    for version in (reportlab.Version, PIL.__version__, segno.__version__, zlib.ZLIB_RUNTIME_VERSION):
        digest.update(version.encode() + b"\0")
    return digest.digest()


def _feed(digest, value) -> None:
    """Hash a value unambiguously: every part tagged with its type and length."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        digest.update(b"D" + type(value).__qualname__.encode() + b"\0")
        for field in dataclasses.fields(value):
            digest.update(field.name.encode() + b"\0")
            _feed(digest, getattr(value, field.name))
    elif isinstance(value, tuple | list):
        digest.update(b"T%d\0" % len(value))
        for part in value:
            _feed(digest, part)
    elif isinstance(value, bytes):
        digest.update(b"B%d\0" % len(value))
        digest.update(value)
    elif isinstance(value, str):
        encoded = value.encode("utf-8", "surrogatepass")
        digest.update(b"S%d\0" % len(encoded))
        digest.update(encoded)
    elif value is None or isinstance(value, bool | int | float | Decimal | date):
        # repr keeps the type and every digit: Decimal('82.50') is not 82.5, 1 is not True,
        # a datetime shows its time zone.
        text = repr(value).encode()
        digest.update(b"V%d\0" % len(text))
        digest.update(text)
    else:
        raise TypeError(f"cannot fingerprint a {type(value).__name__}")


class PdfCache:
    """Files under `root/<kind>/<ab>/<key>.pdf`, each shard kept under max_bytes / (kinds × shards)."""

    def __init__(self, root: Path | str, max_bytes: int):
        self.root = Path(root)
        self.max_bytes = max_bytes

    @property
    def shard_bytes(self) -> int:
        return self.max_bytes // (len(KINDS) * SHARDS)

    def get_or_render(self, kind: str, key: str, render: Callable[[], bytes]) -> bytes:
        if self.max_bytes <= 0:
            return render()
        path = self.path_for(kind, key)
        kept = self.read(path)
        if kept is not None:
            return kept
        pdf = render()
        self.write(path, pdf)
        return pdf

    def path_for(self, kind: str, key: str) -> Path:
        if kind not in KINDS or len(key) != 64 or not all(c in "0123456789abcdef" for c in key):
            raise ValueError(f"not a cache key: {kind}/{key}")
        return self.root / kind / key[:2] / f"{key}.pdf"

    def read(self, path: Path) -> bytes | None:
        """The kept PDF, or None when there is none or it is damaged (then it is removed)."""
        try:
            stored = path.read_bytes()
        except OSError:
            return None
        pdf, digest = stored[:-DIGEST_SIZE], stored[-DIGEST_SIZE:]
        if len(stored) <= DIGEST_SIZE or hashlib.sha256(pdf).digest() != digest:
            log.warning("kept PDF %s is damaged; rendering it again", path.name)
            with contextlib.suppress(OSError):
                path.unlink()
            return None
        with contextlib.suppress(OSError):
            os.utime(path)  # recently used: the last to be trimmed
        return pdf

    def write(self, path: Path, pdf: bytes) -> None:
        """Keep `pdf` (whole or not at all) and trim its shard; a failure only costs the next render."""
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            descriptor, temporary = tempfile.mkstemp(dir=path.parent, prefix=".incoming-")
            try:
                with os.fdopen(descriptor, "wb") as file:
                    file.write(pdf)
                    file.write(hashlib.sha256(pdf).digest())
                os.chmod(temporary, FILE_MODE)
                os.replace(temporary, path)
            except BaseException:
                with contextlib.suppress(FileNotFoundError):
                    os.unlink(temporary)
                raise
            self.trim(path.parent, keep=path)
        except OSError as error:  # a full or read-only disk must not fail the download
            log.warning("could not keep a rendered PDF: %s", error)

    def trim(self, shard: Path, keep: Path | None = None) -> None:
        """Remove the least recently used files of a shard until it fits its share; never `keep`."""
        files, total = [], 0
        now = time.time()
        for entry in os.scandir(shard):
            with contextlib.suppress(FileNotFoundError):  # another worker may be trimming too
                stat = entry.stat()
                if entry.name.startswith(".incoming-"):
                    if now - stat.st_mtime > ABANDONED_AFTER_SECONDS:
                        os.unlink(entry.path)
                    continue
                files.append((stat.st_mtime, entry.name, stat.st_size, entry.path))
                total += stat.st_size
        for _mtime, _name, size, file_path in sorted(files):
            if total <= self.shard_bytes:
                break
            if keep is not None and file_path == str(keep):
                continue
            with contextlib.suppress(FileNotFoundError):
                os.unlink(file_path)
            total -= size
