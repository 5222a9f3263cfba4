"""Check and process one uploaded evidence file. Pure: bytes in, `ProcessedUpload` out.

The type is decided by the content alone; the client's file name and MIME type are never
trusted. Photos are decoded, turned upright, re-encoded as JPEG without any metadata and
given a thumbnail; PDFs are screened for active content and stored as they came.
"""

import enum
import hashlib
import math
import re
import unicodedata
import warnings
import zlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from io import BytesIO

from PIL import ExifTags, Image, ImageOps

from outlet_audit.text import N_, Message

MAX_PIXELS = 40_000_000
STORED_LONG_SIDE = 2560
STORED_JPEG_QUALITY = 85
THUMBNAIL_LONG_SIDE = 320
THUMBNAIL_JPEG_QUALITY = 80
MAX_FILENAME_LENGTH = 120
PDF_EOF_WINDOW = 1024
# Streams that may hold objects are inflated to find names hidden in them; the budget bounds
# the work a PDF bomb can cause (real evidence PDFs stay far below it).
PDF_INFLATE_BUDGET = 256 * 1024 * 1024
PDF_INFLATE_CHUNK = 1024 * 1024
PDF_PROBE = 4096  # enough of a stream's content to tell binary data from objects
PDF_FORBIDDEN_NAMES = frozenset({b"JavaScript", b"JS", b"Launch", b"EmbeddedFile", b"EmbeddedFiles"})

EMPTY_FILE = N_("The file is empty.")
FILE_TOO_LARGE = N_("The file is %(size_mb).1f MB; files may be at most %(limit_mb)g MB.")
TYPE_NOT_ACCEPTED = N_(
    "This kind of file is not accepted. Upload a JPEG, PNG or WebP photo or a PDF document."
)
HEIC_NOT_ACCEPTED = N_(
    "HEIC photos are not accepted. Set the camera to save JPEG (“Most Compatible”) "
    "or export the photo as JPEG."
)
IMAGE_DAMAGED = N_("The image is damaged or incomplete and cannot be read.")
IMAGE_TOO_MANY_PIXELS = N_("The image has too many pixels; the limit is %(limit)d megapixels.")
PDF_DAMAGED = N_("The PDF is damaged or incomplete.")
PDF_ENCRYPTED = N_("The PDF is encrypted or password-protected. Upload an unprotected copy.")
PDF_ACTIVE_CONTENT = N_(
    "The PDF contains scripts, launch actions or embedded files, which are not accepted. "
    "Print it to a new PDF and upload that."
)
PDF_TOO_COMPLEX = N_("The PDF is too large to check once unpacked. Upload a smaller PDF.")


class EvidenceKind(enum.StrEnum):
    PHOTO = "photo"
    DOCUMENT = "document"


class UploadRefused(Exception):
    """An upload that is not accepted; `message` tells the user why."""

    def __init__(self, message: Message):
        super().__init__(str(message))
        self.message = message


@dataclass(frozen=True)
class ProcessedUpload:
    kind: EvidenceKind
    mime_type: str  # of stored_bytes: image/jpeg or application/pdf
    original_mime_type: str  # detected from the upload's content
    stored_bytes: bytes = field(repr=False)
    thumbnail_bytes: bytes | None = field(repr=False)  # None for documents
    original_sha256: str  # recognises the same file uploaded again
    stored_sha256: str
    size_bytes: int  # of stored_bytes
    original_size_bytes: int
    width: int | None
    height: int | None
    captured_at: datetime | None  # the camera's local clock, as the photo says
    gps: tuple[float, float] | None  # (latitude, longitude) in decimal degrees, S and W negative
    filename: str  # sanitised display name, extension from the stored type


_PIL_FORMAT = {"image/jpeg": "JPEG", "image/png": "PNG", "image/webp": "WEBP"}
_STORED_TYPE = {EvidenceKind.PHOTO: ("image/jpeg", "jpg"), EvidenceKind.DOCUMENT: ("application/pdf", "pdf")}


def inspect_upload(data: bytes, filename: str, *, max_bytes: int) -> ProcessedUpload:
    """Accept a photo or PDF and prepare it for storage, or raise `UploadRefused`."""
    if not data:
        raise UploadRefused(Message(EMPTY_FILE))
    if len(data) > max_bytes:
        raise UploadRefused(
            Message(FILE_TOO_LARGE, {"size_mb": len(data) / 2**20, "limit_mb": max_bytes / 2**20})
        )
    mime_type = detect_mime_type(data)
    if mime_type == "application/pdf":
        _screen_pdf(data)
        return _processed(data, filename, EvidenceKind.DOCUMENT, mime_type, stored=data)
    if mime_type in _PIL_FORMAT:
        return _process_photo(data, filename, mime_type)
    if mime_type == "image/heic":
        raise UploadRefused(Message(HEIC_NOT_ACCEPTED))
    raise UploadRefused(Message(TYPE_NOT_ACCEPTED))


def detect_mime_type(data: bytes) -> str | None:
    """Name the type of `data` from its leading bytes, for the types this module knows."""
    if data.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "image/webp"
    if re.match(rb"%PDF-\d\.\d", data):
        return "application/pdf"
    if data[4:8] == b"ftyp" and data[8:12] in {b"heic", b"heix", b"heim", b"heis", b"mif1", b"msf1"}:
        return "image/heic"
    return None


def display_filename(filename: str, extension: str, fallback_stem: str) -> str:
    """Make a client's file name safe to show and offer for download, with our extension."""
    name = unicodedata.normalize("NFC", filename or "").replace("\\", "/").rsplit("/", 1)[-1]
    # Control and format characters (RTL override, zero-width) can disguise the real extension.
    name = "".join(" " if char.isspace() else char for char in name if _is_visible_or_space(char))
    name = re.sub(r'[<>:"|?*]', "_", " ".join(name.split())).rstrip(" .")
    has_extension = re.fullmatch(r"(.*)\.[A-Za-z0-9]{1,5}", name)
    stem = (has_extension[1] if has_extension else name).strip(" .")
    stem = stem[: MAX_FILENAME_LENGTH - len(extension) - 1].rstrip(" .") or fallback_stem
    return f"{stem}.{extension}"


def _is_visible_or_space(char: str) -> bool:
    return char.isspace() or not unicodedata.category(char).startswith("C")


def _processed(
    original: bytes,
    filename: str,
    kind: EvidenceKind,
    original_mime_type: str,
    *,
    stored: bytes,
    thumbnail: bytes | None = None,
    size: tuple[int, int] | None = None,
    captured_at: datetime | None = None,
    gps: tuple[float, float] | None = None,
) -> ProcessedUpload:
    mime_type, extension = _STORED_TYPE[kind]
    return ProcessedUpload(
        kind=kind,
        mime_type=mime_type,
        original_mime_type=original_mime_type,
        stored_bytes=stored,
        thumbnail_bytes=thumbnail,
        original_sha256=hashlib.sha256(original).hexdigest(),
        stored_sha256=hashlib.sha256(stored).hexdigest(),
        size_bytes=len(stored),
        original_size_bytes=len(original),
        width=size[0] if size else None,
        height=size[1] if size else None,
        captured_at=captured_at,
        gps=gps,
        filename=display_filename(filename, extension, kind.value),
    )


# --- photos -----------------------------------------------------------------------------


def _process_photo(data: bytes, filename: str, mime_type: str) -> ProcessedUpload:
    image, captured_at, gps = _load_upright_image(data, _PIL_FORMAT[mime_type])
    image = _flatten_to_rgb(image)
    image.thumbnail((STORED_LONG_SIDE, STORED_LONG_SIDE), Image.Resampling.LANCZOS)
    image.info = {}  # the JPEG encoder would otherwise carry over a comment
    thumbnail = image.copy()
    thumbnail.thumbnail((THUMBNAIL_LONG_SIDE, THUMBNAIL_LONG_SIDE), Image.Resampling.LANCZOS)
    return _processed(
        data,
        filename,
        EvidenceKind.PHOTO,
        mime_type,
        stored=_encode_jpeg(image, STORED_JPEG_QUALITY),
        thumbnail=_encode_jpeg(thumbnail, THUMBNAIL_JPEG_QUALITY),
        size=image.size,
        captured_at=captured_at,
        gps=gps,
    )


def _load_upright_image(
    data: bytes, pil_format: str
) -> tuple[Image.Image, datetime | None, tuple[float, float] | None]:
    """Decode fully, refusing bombs and damaged files; return the upright image, capture time and place."""
    too_many_pixels = Message(IMAGE_TOO_MANY_PIXELS, {"limit": MAX_PIXELS // 1_000_000})
    try:
        # Not isolated between threads before Python 3.14, but it only ever adds a stricter filter.
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(BytesIO(data), formats=[pil_format]) as probe:
                if probe.width * probe.height > MAX_PIXELS:
                    raise UploadRefused(too_many_pixels)
                probe.verify()
            with Image.open(BytesIO(data), formats=[pil_format]) as image:
                if pil_format == "JPEG":  # decode a much larger photo at a reduced scale
                    image.draft(None, (STORED_LONG_SIDE, STORED_LONG_SIDE))
                image.load()
                captured_at, gps = _capture_time_and_place(image)
                return ImageOps.exif_transpose(image), captured_at, gps
    except UploadRefused:
        raise
    except (Image.DecompressionBombWarning, Image.DecompressionBombError) as error:
        raise UploadRefused(too_many_pixels) from error
    except Exception as error:  # Pillow raises many exception types on hostile input
        raise UploadRefused(Message(IMAGE_DAMAGED)) from error


def _flatten_to_rgb(image: Image.Image) -> Image.Image:
    if image.mode.startswith("I"):  # 16-bit greyscale: scale down instead of clipping
        image = image.convert("I").point(lambda value: value / 256).convert("L")
    if image.mode in {"RGBA", "LA", "PA", "RGBa", "La"} or "transparency" in image.info:
        rgba = image.convert("RGBA")
        flat = Image.new("RGB", rgba.size, "white")
        flat.paste(rgba, mask=rgba.getchannel("A"))
        return flat
    return image.convert("RGB")


def _encode_jpeg(image: Image.Image, quality: int) -> bytes:
    buffer = BytesIO()
    image.save(buffer, "JPEG", quality=quality, optimize=True)
    return buffer.getvalue()


def _capture_time_and_place(image: Image.Image) -> tuple[datetime | None, tuple[float, float] | None]:
    try:
        exif = image.getexif()
        return _captured_at(exif), _gps_position(exif)
    except Exception:  # a photo with unreadable EXIF is still evidence, just without these
        return None, None


def _captured_at(exif: Image.Exif) -> datetime | None:
    """Read when the photo was taken: DateTimeOriginal, else DateTime."""
    original = exif.get_ifd(ExifTags.IFD.Exif).get(ExifTags.Base.DateTimeOriginal)
    for value in (original, exif.get(ExifTags.Base.DateTime)):
        text = _exif_text(value)
        try:
            return datetime.strptime(text[:19], "%Y:%m:%d %H:%M:%S")
        except ValueError:
            continue
    return None


def _gps_position(exif: Image.Exif) -> tuple[float, float] | None:
    """Read the photo's position in signed decimal degrees, or None when absent or implausible."""
    gps = exif.get_ifd(ExifTags.IFD.GPSInfo)
    latitude = _degrees(gps.get(ExifTags.GPS.GPSLatitude), gps.get(ExifTags.GPS.GPSLatitudeRef), "N", "S")
    longitude = _degrees(gps.get(ExifTags.GPS.GPSLongitude), gps.get(ExifTags.GPS.GPSLongitudeRef), "E", "W")
    if latitude is None or longitude is None or abs(latitude) > 90 or abs(longitude) > 180:
        return None
    if latitude == 0 and longitude == 0:  # what some phones write before they have a fix
        return None
    return round(latitude, 6), round(longitude, 6)


def _degrees(value: object, reference: object, positive: str, negative: str) -> float | None:
    """Turn EXIF (degrees, minutes, seconds) and a hemisphere letter into signed degrees."""
    hemisphere = _exif_text(reference).upper()
    if hemisphere not in {positive, negative}:
        return None  # without the hemisphere the sign would be a guess
    parts = value if isinstance(value, tuple) else (value,)
    try:
        numbers = [float(part) for part in parts[:3]]
    except (TypeError, ValueError, ZeroDivisionError):
        return None
    if not numbers or not all(math.isfinite(number) and number >= 0 for number in numbers):
        return None
    degrees = sum(number / 60**index for index, number in enumerate(numbers))
    return -degrees if hemisphere == negative else degrees


def _exif_text(value: object) -> str:
    if isinstance(value, bytes):
        value = value.decode("ascii", "replace")
    return value.strip("\x00 ") if isinstance(value, str) else ""


# --- PDF --------------------------------------------------------------------------------
# Long names are looked for everywhere: random bytes in images never spell them. /JS is short
# enough to occur by chance in binary data, so it is looked for where PDF syntax can be: outside
# streams and in streams that may hold objects. A working script also needs /JavaScript.

_WHITESPACE = rb"\x00\t\n\x0c\r "
_NAME_CHAR = rb"[^" + _WHITESPACE + rb"/<>\[\](){}%]"
_LONG_NAMES = frozenset({b"JavaScript", b"Launch", b"EmbeddedFile", b"EmbeddedFiles", b"Encrypt"})
_ALL_NAMES = PDF_FORBIDDEN_NAMES | _LONG_NAMES


def _name_pattern(names: frozenset[bytes]) -> re.Pattern[bytes]:
    alternatives = b"|".join(sorted(names, key=len, reverse=True))
    return re.compile(rb"/(" + alternatives + rb")(?!" + _NAME_CHAR + rb")")


_NAME_PATTERNS = {_LONG_NAMES: _name_pattern(_LONG_NAMES), _ALL_NAMES: _name_pattern(_ALL_NAMES)}
_ESCAPED_NAME = re.compile(rb"/(" + _NAME_CHAR + rb"*#[0-9A-Fa-f]{2}" + _NAME_CHAR + rb"*)")
_STREAM_START = re.compile(rb"(?<!end)stream\r?\n")
# An object stream starts with pairs of integers, after any whitespace or comments; a probe
# that ends before it can tell counts as one.
_MAY_HOLD_OBJECTS = re.compile(
    rb"(?:[" + _WHITESPACE + rb"]|%[^\r\n]*(?:[\r\n]|\Z))*(?:\Z|\d+(?:\Z|[" + _WHITESPACE + rb"]+(?:\Z|\d)))"
)


def _screen_pdf(data: bytes) -> None:
    """Refuse a PDF that is truncated, encrypted or carries scripts, launch actions or files."""
    if b"%%EOF" not in data[-PDF_EOF_WINDOW:]:
        raise UploadRefused(Message(PDF_DAMAGED))
    names = _flagged_names(data, _LONG_NAMES) | _flagged_names_in_syntax(data)
    if b"Encrypt" in names:
        raise UploadRefused(Message(PDF_ENCRYPTED))
    if names & PDF_FORBIDDEN_NAMES:
        raise UploadRefused(Message(PDF_ACTIVE_CONTENT))


def _flagged_names_in_syntax(data: bytes) -> set[bytes]:
    """Look outside streams and inside streams that may hold objects, inflating Flate ones."""
    names: set[bytes] = set()
    budget = PDF_INFLATE_BUDGET
    view = memoryview(data)
    position = 0
    while stream := _STREAM_START.search(data, position):
        names |= _flagged_names(data[position : stream.end()], _ALL_NAMES)
        end = data.find(b"endstream", stream.end())
        position = len(data) if end < 0 else end
        overlap = b""  # so that a name cut between two chunks is still found
        for chunk, may_hold_objects in _stream_chunks(view[stream.end() : position]):
            budget -= len(chunk)  # probes count too: a bomb must not be free to probe
            if budget < 0:
                raise UploadRefused(Message(PDF_TOO_COMPLEX))
            if may_hold_objects:
                names |= _flagged_names(overlap + chunk, _ALL_NAMES)
                overlap = chunk[-64:]
    return names | _flagged_names(data[position:], _ALL_NAMES)


def _stream_chunks(body: memoryview) -> Iterator[tuple[bytes, bool]]:
    """Yield a stream's content (inflated if Flate) in chunks, each with whether it may hold objects.

    Binary content (images, fonts) stops after its first chunk, which only tells what it is.
    """
    inflater = zlib.decompressobj()
    try:
        chunk = inflater.decompress(body, PDF_PROBE)
    except zlib.error:  # not Flate: JPEG images, other filters, uncompressed
        if _MAY_HOLD_OBJECTS.match(body[:PDF_PROBE].tobytes()):
            yield body.tobytes(), True
        return
    if not _MAY_HOLD_OBJECTS.match(chunk):
        yield chunk, False
        return
    while chunk:
        yield chunk, True
        if not inflater.unconsumed_tail:
            return
        try:
            chunk = inflater.decompress(inflater.unconsumed_tail, PDF_INFLATE_CHUNK)
        except zlib.error:
            return  # damaged further on: what could be read has been read


def _flagged_names(data: bytes, wanted: frozenset[bytes]) -> set[bytes]:
    """Find the wanted PDF names in `data`, also when written with #xx escapes (/J#61vaScript)."""
    names = {match[1] for match in _NAME_PATTERNS[wanted].finditer(data)}
    for match in _ESCAPED_NAME.finditer(data):
        name = re.sub(rb"#([0-9A-Fa-f]{2})", lambda escape: bytes([int(escape[1], 16)]), match[1])
        if name in wanted:
            names.add(name)
    return names
