"""Check and process one uploaded evidence file. Pure: bytes in, `ProcessedUpload` out.

The type is decided by the content alone; the client's file name and MIME type are never
trusted. Photos are decoded, turned upright, re-encoded as JPEG without any metadata and
given a thumbnail; PDFs are screened for active content (`pdf_screen`) and stored as they came.
"""

import enum
import hashlib
import math
import re
import struct
from dataclasses import dataclass, field
from datetime import datetime
from io import BytesIO

from PIL import ExifTags, Image, ImageOps

from outlet_audit.evidence.pdf_screen import PdfProblem, PdfRefused, screen_pdf
from outlet_audit.text import N_, Message, Refused, clean_text

# Checked against the header before anything is decoded. Phones save 12-50 MP photos (a 50 MP
# sensor writes up to 8192 x 6144 = 50.3 MP), which pass; more is a bomb or a panorama. A JPEG
# is decoded at half scale or less (about 100 MB at the limit). PNG and WebP are decoded whole
# (WebP about three times over: some 16 bytes a pixel at the peak, 250 MB at its limit; a 1-bit
# PNG bomb grows 32-fold once RGB), and phones take no photos in them: they are screenshots and
# scans, and 16 MP holds a 5K screen or an A4 page at 400 dpi. `max_pixels` bounds the images
# inside a PDF as well.
MAX_PIXELS = 60_000_000
MAX_PIXELS_DECODED_WHOLE = 16_000_000
STORED_LONG_SIDE = 2560
STORED_JPEG_QUALITY = 85
THUMBNAIL_LONG_SIDE = 320
THUMBNAIL_JPEG_QUALITY = 80
MAX_FILENAME_LENGTH = 120

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
    "The PDF contains scripts, actions that run by themselves, forms that send data, embedded "
    "files or other active content, which are not accepted. Print it to a new PDF and upload that."
)
PDF_TOO_COMPLEX = N_("The PDF is too large to check once unpacked. Upload a smaller PDF.")
PDF_IMAGE_TOO_LARGE = N_(
    "The PDF contains an image of more than %(limit)d megapixels. Scan it at a lower resolution "
    "and upload that."
)


class EvidenceKind(enum.StrEnum):
    PHOTO = "photo"
    DOCUMENT = "document"


class UploadRefused(Refused):
    """An upload that is not accepted; `message` tells the user why."""


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


def inspect_upload(
    data: bytes, filename: str, *, max_bytes: int, max_pixels: int = MAX_PIXELS
) -> ProcessedUpload:
    """Accept a photo or PDF and prepare it for storage, or raise `UploadRefused`.

    `max_pixels` bounds a photo, and each image inside a PDF, by its declared size.
    """
    if not data:
        raise UploadRefused(Message(EMPTY_FILE))
    if len(data) > max_bytes:
        raise UploadRefused(
            Message(FILE_TOO_LARGE, {"size_mb": len(data) / 2**20, "limit_mb": max_bytes / 2**20})
        )
    mime_type = detect_mime_type(data)
    if mime_type == "application/pdf":
        _screen_pdf(data, max_pixels)
        return _processed(data, filename, EvidenceKind.DOCUMENT, mime_type, stored=data)
    if mime_type in _PIL_FORMAT:
        return _process_photo(data, filename, mime_type, max_pixels)
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
    name = (filename or "").replace("\\", "/").rsplit("/", 1)[-1]
    # Control and format characters (RTL override, zero-width) can disguise the real extension.
    name = clean_text(name)
    name = re.sub(r'[<>:"|?*]', "_", " ".join(name.split())).rstrip(" .")
    has_extension = re.fullmatch(r"(.*)\.[A-Za-z0-9]{1,5}", name)
    stem = (has_extension[1] if has_extension else name).strip(" .")
    stem = stem[: MAX_FILENAME_LENGTH - len(extension) - 1].rstrip(" .") or fallback_stem
    return f"{stem}.{extension}"


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


def _process_photo(data: bytes, filename: str, mime_type: str, max_pixels: int) -> ProcessedUpload:
    image, captured_at, gps = _upright_shrunk_image(data, _PIL_FORMAT[mime_type], max_pixels)
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


def _upright_shrunk_image(
    data: bytes, pil_format: str, max_pixels: int
) -> tuple[Image.Image, datetime | None, tuple[float, float] | None]:
    """Decode, refusing bombs and damaged files; return the upright RGB image shrunk for storage,
    with the capture time and place."""
    # Pillow's own bomb check warns above MAX_IMAGE_PIXELS; a warning is no refusal (and turning
    # it into an error needs the process-wide warnings filter), so that bound caps ours instead.
    limit = min(max_pixels, Image.MAX_IMAGE_PIXELS or max_pixels)
    if pil_format != "JPEG":
        limit = min(limit, MAX_PIXELS_DECODED_WHOLE)
    too_many_pixels = UploadRefused(Message(IMAGE_TOO_MANY_PIXELS, {"limit": limit // 1_000_000}))
    size = _declared_size(data, pil_format)
    if size is None:
        raise UploadRefused(Message(IMAGE_DAMAGED))
    if size[0] * size[1] > limit:  # before any decoding: the header alone decides
        raise too_many_pixels
    try:
        if pil_format == "PNG":  # checksums, which decoding alone does not check
            with Image.open(BytesIO(data), formats=[pil_format]) as probe:
                probe.verify()
        with Image.open(BytesIO(data), formats=[pil_format]) as image:
            if image.width * image.height > limit:  # Pillow read another size than we did
                raise too_many_pixels
            if pil_format == "JPEG":  # decode a much larger photo at a reduced scale
                image.draft(None, (STORED_LONG_SIDE, STORED_LONG_SIDE))
            image.load()
            captured_at, gps = _capture_time_and_place(image)
            # In place and shrunk before anything else is copied: a full-size copy of a large
            # PNG or WebP costs as much memory again as decoding it.
            ImageOps.exif_transpose(image, in_place=True)
            shrunk = _flatten_to_rgb(image)
            shrunk.thumbnail((STORED_LONG_SIDE, STORED_LONG_SIDE), Image.Resampling.LANCZOS)
            return (shrunk.copy() if shrunk is image else shrunk), captured_at, gps
    except UploadRefused:
        raise
    except (Image.DecompressionBombWarning, Image.DecompressionBombError) as error:
        raise too_many_pixels from error
    except Exception as error:  # Pillow raises many exception types on hostile input
        raise UploadRefused(Message(IMAGE_DAMAGED)) from error


_JPEG_FRAME_MARKERS = frozenset(range(0xC0, 0xD0)) - {0xC4, 0xC8, 0xCC}  # SOFn, not DHT/JPG/DAC
_JPEG_STANDALONE_MARKERS = frozenset({0x01, *range(0xD0, 0xD8)})
_JPEG_FILL = re.compile(rb"\xff+")
_JPEG_MAX_HEADER_SEGMENTS = 4096


def _declared_size(data: bytes, pil_format: str) -> tuple[int, int] | None:
    """Read (width, height) from the image's header without decoding anything, or None."""
    if pil_format == "PNG":
        return struct.unpack(">II", data[16:24]) if data[12:16] == b"IHDR" and len(data) >= 24 else None
    if pil_format == "WEBP":
        return _webp_size(data)
    return _jpeg_size(data)


def _webp_size(data: bytes) -> tuple[int, int] | None:
    # WebP's decoder allocates its canvas as Pillow opens the file, so the size must come first.
    if len(data) < 30:
        return None
    chunk = data[12:16]
    if chunk == b"VP8X":  # the canvas of an extended (animated, alpha, EXIF) file
        return int.from_bytes(data[24:27], "little") + 1, int.from_bytes(data[27:30], "little") + 1
    if chunk == b"VP8L" and data[20] == 0x2F:
        bits = int.from_bytes(data[21:25], "little")
        return (bits & 0x3FFF) + 1, ((bits >> 14) & 0x3FFF) + 1
    if chunk == b"VP8 " and data[23:26] == b"\x9d\x01\x2a":
        return int.from_bytes(data[26:28], "little") & 0x3FFF, int.from_bytes(data[28:30], "little") & 0x3FFF
    return None


def _jpeg_size(data: bytes) -> tuple[int, int] | None:
    """The largest frame declared before the image data starts (a file may declare several)."""
    sizes, position = [], 2
    # Like Pillow, step over junk between segments; find() and the regex keep that fast, and
    # a real header has a few dozen segments (a few hundred with a large ICC profile).
    for _ in range(_JPEG_MAX_HEADER_SEGMENTS):
        position = data.find(b"\xff", position)
        if position < 0 or position + 4 > len(data):
            break
        marker = data[position + 1]
        if marker == 0xFF:  # fill bytes before a marker
            position = _JPEG_FILL.match(data, position).end() - 1
        elif marker in _JPEG_STANDALONE_MARKERS or marker == 0x00:
            position += 2
        elif marker in {0xD9, 0xDA}:  # end of image, start of scan
            break
        else:
            if marker in _JPEG_FRAME_MARKERS and position + 9 <= len(data):
                height, width = struct.unpack(">HH", data[position + 5 : position + 9])
                sizes.append((width, height))
            position += 2 + int.from_bytes(data[position + 2 : position + 4], "big")
    return max(sizes, key=lambda size: size[0] * size[1], default=None)


def _flatten_to_rgb(image: Image.Image) -> Image.Image:
    """Return an RGB image, `image` itself when it already is one (no copy of a large photo)."""
    if image.mode == "RGB" and "transparency" not in image.info:
        return image
    if image.mode.startswith("I"):  # 16-bit greyscale: scale down instead of clipping
        image = image.convert("I").point(lambda value: value / 256).convert("L")
    if image.mode in {"RGBA", "LA", "PA", "RGBa", "La"} or "transparency" in image.info:
        rgba = image if image.mode == "RGBA" else image.convert("RGBA")
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

_PDF_MESSAGES = {
    PdfProblem.DAMAGED: PDF_DAMAGED,
    PdfProblem.ENCRYPTED: PDF_ENCRYPTED,
    PdfProblem.ACTIVE_CONTENT: PDF_ACTIVE_CONTENT,
    PdfProblem.TOO_COMPLEX: PDF_TOO_COMPLEX,
}


def _screen_pdf(data: bytes, max_pixels: int) -> None:
    """Refuse a PDF that is damaged, encrypted, carries active content or unpacks too large."""
    try:
        screen_pdf(data, max_image_pixels=max_pixels)
    except PdfRefused as refused:
        if refused.problem is PdfProblem.IMAGE_TOO_LARGE:
            message = Message(PDF_IMAGE_TOO_LARGE, {"limit": max_pixels // 1_000_000})
        else:
            message = Message(_PDF_MESSAGES[refused.problem])
        raise UploadRefused(message) from refused
