"""Checking and processing uploaded evidence: every file is made here, no binary fixtures."""

import hashlib
import io
import struct
import warnings
import zipfile
import zlib
from datetime import datetime

import pytest
from PIL import ExifTags, Image

from outlet_audit.evidence import files, pdf_screen
from outlet_audit.evidence.files import EvidenceKind, UploadRefused, display_filename, inspect_upload
from tests.checklist_helpers import pdf as make_pdf
from tests.unit.test_pdf_screen import raw_stream, stream

MB = 1024 * 1024
LIMIT = 10 * MB


# --- making test files ------------------------------------------------------------------


def make_exif(
    *,
    orientation: int | None = None,
    original: str | None = None,
    modified: str | None = None,
    latitude: tuple[str, tuple[float, float, float]] | None = None,
    longitude: tuple[str, tuple[float, float, float]] | None = None,
) -> Image.Exif:
    exif = Image.Exif()
    exif[ExifTags.Base.Make] = "TestPhoneMaker"
    if orientation is not None:
        exif[ExifTags.Base.Orientation] = orientation
    if modified is not None:
        exif[ExifTags.Base.DateTime] = modified
    if original is not None:
        exif.get_ifd(ExifTags.IFD.Exif)[ExifTags.Base.DateTimeOriginal] = original
    gps = exif.get_ifd(ExifTags.IFD.GPSInfo)
    if latitude is not None:
        gps[ExifTags.GPS.GPSLatitudeRef], gps[ExifTags.GPS.GPSLatitude] = latitude
    if longitude is not None:
        gps[ExifTags.GPS.GPSLongitudeRef], gps[ExifTags.GPS.GPSLongitude] = longitude
    return exif


def two_tone(size: tuple[int, int] = (400, 300), mode: str = "RGB") -> Image.Image:
    """Red left half, blue right half: shows where the image's left side ended up."""
    image = Image.new(mode, size, "blue")
    image.paste(Image.new(mode, (size[0] // 2, size[1]), "red"), (0, 0))
    return image


def encode(image: Image.Image, pil_format: str, **params) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, pil_format, **params)
    return buffer.getvalue()


def jpeg(size=(400, 300), **params) -> bytes:
    return encode(two_tone(size), "JPEG", **params)


def noisy_jpeg() -> bytes:
    return encode(Image.effect_noise((640, 480), 64).convert("RGB"), "JPEG", quality=95)


def png_chunk(kind: bytes, body: bytes) -> bytes:
    return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))


def bomb_png(width: int, height: int) -> bytes:
    """A valid 1-bit PNG of `width` x `height` white pixels that compresses to a few kilobytes."""
    row = b"\x00" * (1 + (width + 7) // 8)
    compressor = zlib.compressobj(9)
    idat = b"".join(compressor.compress(row) for _ in range(height)) + compressor.flush()
    header = struct.pack(">IIBBBBB", width, height, 1, 0, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n" + png_chunk(b"IHDR", header) + png_chunk(b"IDAT", idat) + png_chunk(b"IEND", b"")
    )


def zip_bytes() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("word/document.xml", "<w:document/>")
    return buffer.getvalue()


def refusal(data: bytes, filename: str = "upload.jpg", max_bytes: int = LIMIT) -> UploadRefused:
    with pytest.raises(UploadRefused) as caught:
        inspect_upload(data, filename, max_bytes=max_bytes)
    return caught.value


def jpeg_segment_markers(data: bytes) -> list[tuple[int, bytes]]:
    """List the (marker, first bytes) of each JPEG segment before the image data."""
    segments, position = [], 2
    while data[position + 1] != 0xDA:  # start of scan: entropy-coded data follows
        length = int.from_bytes(data[position + 2 : position + 4], "big")
        segments.append((data[position + 1], data[position + 4 : position + 4 + min(length - 2, 8)]))
        position += 2 + length
    return segments


# --- accepted files ---------------------------------------------------------------------

SHANGHAI = (("N", (31.0, 13.0, 48.0)), ("E", (121.0, 28.0, 12.0)))


def test_minimal_pdf_fixture_is_a_real_pdf():
    from pypdf import PdfReader

    assert len(PdfReader(io.BytesIO(make_pdf())).pages) == 1


@pytest.mark.parametrize(
    ("data", "original_mime_type", "size"),
    [
        (jpeg((400, 300)), "image/jpeg", (400, 300)),
        (encode(two_tone((640, 480)), "PNG"), "image/png", (640, 480)),
        (encode(two_tone((300, 500)), "WEBP", quality=90), "image/webp", (300, 500)),
        (encode(two_tone((64, 64), "RGBA"), "WEBP", lossless=True), "image/webp", (64, 64)),
        (encode(two_tone((50, 40)).convert("P"), "PNG"), "image/png", (50, 40)),
        (encode(Image.new("I;16", (30, 20), 40000), "PNG"), "image/png", (30, 20)),
    ],
    ids=["jpeg", "png", "webp", "webp-alpha", "png-palette", "png-16-bit-grey"],
)
def test_photos_are_accepted_and_stored_as_jpeg(data, original_mime_type, size):
    result = inspect_upload(data, "网点门头.jpg", max_bytes=LIMIT)

    assert result.kind == EvidenceKind.PHOTO == "photo"
    assert (result.original_mime_type, result.mime_type) == (original_mime_type, "image/jpeg")
    with Image.open(io.BytesIO(result.stored_bytes)) as stored:
        assert (stored.format, stored.mode, stored.size) == ("JPEG", "RGB", size)
    assert (result.width, result.height) == size
    assert result.size_bytes == len(result.stored_bytes)
    assert result.original_size_bytes == len(data)
    assert result.filename == "网点门头.jpg"


def test_a_minimal_pdf_is_accepted_and_stored_unchanged():
    pdf = make_pdf()

    result = inspect_upload(pdf, "承诺书.pdf", max_bytes=LIMIT)

    assert result.kind == EvidenceKind.DOCUMENT == "document"
    assert result.mime_type == result.original_mime_type == "application/pdf"
    assert result.stored_bytes == pdf
    assert result.original_sha256 == result.stored_sha256 == hashlib.sha256(pdf).hexdigest()
    assert result.thumbnail_bytes is None
    assert (result.width, result.height, result.captured_at, result.gps) == (None, None, None, None)
    assert result.filename == "承诺书.pdf"


BINARY_WITH_SHORT_NAMES = b"\xa5\x17 /JS (x) /JS<4a> /J#53 1 0 R \x00\xff" * 50


@pytest.mark.parametrize(
    "pdf",
    [
        make_pdf(objects=(stream(b"BT /F1 12 Tf (JSON report) Tj ET"),)),
        make_pdf(objects=(stream(b"1 0 0 1 72 720 cm /JSON gs /JavaScripts Do"),)),
        make_pdf(catalog=b" /JSON 1 /JavaScripts 2 /Launcher 3 /EmbeddedFileX 4"),
        make_pdf(objects=(stream(b"\xff\xd8\xff\xe0 not flate", b" /Subtype /Image"),)),
        make_pdf(objects=(stream(BINARY_WITH_SHORT_NAMES, b" /Subtype /Image"),)),
        make_pdf(objects=(raw_stream(BINARY_WITH_SHORT_NAMES, b" /Subtype /Image"),)),
        make_pdf(objects=(raw_stream(b"\xa5\x17 /Launch (cmd.exe)", b" /Subtype /Image"),)),
    ],
    ids=[
        "compressed-text",
        "compressed-drawing-commands",
        "names-that-only-start-alike",
        "non-flate-stream",
        "js-by-chance-in-compressed-image",
        "js-by-chance-in-raw-image",
        "long-name-in-image-data",
    ],
)
def test_harmless_pdfs_are_not_mistaken_for_active_ones(pdf):
    assert inspect_upload(pdf, "report.pdf", max_bytes=LIMIT).kind == EvidenceKind.DOCUMENT


@pytest.mark.parametrize(
    ("data", "filename", "kind", "original_mime_type", "expected_name"),
    [
        (encode(two_tone(), "PNG"), "营业执照.pdf", "photo", "image/png", "营业执照.jpg"),
        (jpeg(), "scan.png", "photo", "image/jpeg", "scan.jpg"),
        (encode(two_tone(), "WEBP"), "photo.gif", "photo", "image/webp", "photo.jpg"),
        (make_pdf(), "invoice.jpg", "document", "application/pdf", "invoice.pdf"),
        (make_pdf(), "invoice", "document", "application/pdf", "invoice.pdf"),
    ],
)
def test_type_comes_from_content_and_the_name_follows_it(
    data, filename, kind, original_mime_type, expected_name
):
    result = inspect_upload(data, filename, max_bytes=LIMIT)

    assert (result.kind, result.original_mime_type, result.filename) == (
        kind,
        original_mime_type,
        expected_name,
    )


def test_a_file_exactly_at_the_limit_is_accepted():
    data = jpeg()
    assert inspect_upload(data, "a.jpg", max_bytes=len(data)).size_bytes > 0


# --- refused files ----------------------------------------------------------------------

SVG = b'<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>'
HTML = b"<!DOCTYPE html><html><body><script>document.location='https://evil'</script></body></html>"
EXE = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff\x00\x00" + b"\x00" * 48 + b"PE\x00\x00"
ELF = b"\x7fELF\x02\x01\x01" + b"\x00" * 57
HEIC = b"\x00\x00\x00\x18ftypheic\x00\x00\x00\x00mif1heic" + b"\x00" * 64
NOT_ACCEPTED = (files.TYPE_NOT_ACCEPTED, {})


@pytest.mark.parametrize(
    ("data", "filename", "expected"),
    [
        (SVG, "logo.svg", NOT_ACCEPTED),
        (SVG, "photo.jpg", NOT_ACCEPTED),
        (b"\xef\xbb\xbf  " + SVG, "photo.png", NOT_ACCEPTED),
        (HTML, "page.html", NOT_ACCEPTED),
        (HTML, "scan.pdf", NOT_ACCEPTED),
        (EXE, "photo.jpg", NOT_ACCEPTED),
        (EXE, "setup.exe", NOT_ACCEPTED),
        (ELF, "photo.jpeg", NOT_ACCEPTED),
        (zip_bytes(), "checklist.docx", NOT_ACCEPTED),
        (zip_bytes(), "photo.jpg", NOT_ACCEPTED),
        (encode(two_tone(), "GIF"), "photo.gif", NOT_ACCEPTED),
        (encode(two_tone(), "BMP"), "photo.bmp", NOT_ACCEPTED),
        (encode(two_tone(), "TIFF"), "photo.jpg", NOT_ACCEPTED),
        (b"plain text pretending to be a photo", "photo.jpg", NOT_ACCEPTED),
        (HEIC, "IMG_0001.HEIC", (files.HEIC_NOT_ACCEPTED, {})),
        (HEIC, "IMG_0001.jpg", (files.HEIC_NOT_ACCEPTED, {})),
    ],
    ids=[
        "svg",
        "svg-named-jpg",
        "svg-with-bom",
        "html",
        "html-named-pdf",
        "exe-named-jpg",
        "exe",
        "elf",
        "office-zip",
        "zip-named-jpg",
        "gif",
        "bmp",
        "tiff-named-jpg",
        "text",
        "heic",
        "heic-named-jpg",
    ],
)
def test_other_types_are_refused_whatever_their_name(data, filename, expected):
    refused = refusal(data, filename)

    assert (refused.message.template, refused.message.params) == expected


def test_an_empty_file_is_refused():
    assert refusal(b"").message.template == files.EMPTY_FILE


@pytest.mark.parametrize(
    ("size", "limit", "rendered"),
    [
        (LIMIT + 1, LIMIT, "The file is 10.0 MB; files may be at most 10 MB."),
        (3 * MB, 2 * MB + MB // 2, "The file is 3.0 MB; files may be at most 2.5 MB."),
    ],
)
def test_an_oversized_file_is_refused_before_looking_inside(size, limit, rendered):
    refused = refusal(jpeg() + b"\x00" * (size - len(jpeg())), max_bytes=limit)

    assert refused.message.template == files.FILE_TOO_LARGE
    assert refused.message.params == {"size_mb": size / MB, "limit_mb": limit / MB}
    assert str(refused.message) == rendered


def corrupt_png(*, in_crc: bool) -> bytes:
    """Flip one byte of the IDAT chunk: in its pixel data, or in its CRC only (found by verify())."""
    data = bytearray(encode(two_tone(), "PNG"))
    idat = data.index(b"IDAT")
    length = int.from_bytes(data[idat - 4 : idat], "big")
    data[idat + 4 + length if in_crc else idat + 4 + length // 2] ^= 0xFF
    return bytes(data)


@pytest.mark.parametrize(
    "data",
    [
        noisy_jpeg()[: len(noisy_jpeg()) // 2],
        b"\xff\xd8\xff\xe0" + b"\x13\x37" * 200,
        corrupt_png(in_crc=False),
        corrupt_png(in_crc=True),
        encode(two_tone(), "PNG")[:60],
        b"RIFF\x10\x00\x00\x00WEBPVP8 garbage",
    ],
    ids=[
        "truncated-jpeg",
        "jpeg-header-then-garbage",
        "png-bad-data",
        "png-bad-crc",
        "truncated-png",
        "broken-webp",
    ],
)
def test_damaged_images_are_refused(data):
    assert refusal(data).message.template == files.IMAGE_DAMAGED


def jpeg_header(width: int, height: int, *, frames: int = 1) -> bytes:
    """The start of a JPEG declaring `width` x `height`, then garbage: only its header has a size."""
    components = b"\x03" + b"\x01\x22\x00" * 3
    start_of_frame = b"\xff\xc0\x00\x11\x08" + struct.pack(">HH", height, width) + components
    small_frame = b"\xff\xc2\x00\x11\x08\x00\x10\x00\x10\x03" + b"\x01\x22\x00" * 3
    return (
        b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00"
        + small_frame * (frames - 1)
        + b"\xff\xff"  # a fill byte
        + start_of_frame
        + b"\xff\xda\x00\x0c\x03\x01\x00\x02\x11\x03\x11\x00\x3f\x00"
        + b"\x13\x37" * 200
    )


def webp_canvas(width: int, height: int) -> bytes:
    """An extended WebP whose header declares a `width` x `height` canvas, then garbage."""
    body = b"VP8X" + struct.pack("<I", 10) + b"\x00\x00\x00\x00"
    body += (width - 1).to_bytes(3, "little") + (height - 1).to_bytes(3, "little") + b"\x13\x37" * 200
    return b"RIFF" + struct.pack("<I", len(body) + 4) + b"WEBP" + body


def never_decoded(monkeypatch) -> None:
    def refuse_to_open(*args, **kwargs):
        raise AssertionError("the image was opened, though its header alone should have refused it")

    monkeypatch.setattr(files.Image, "open", refuse_to_open)


@pytest.mark.parametrize(
    ("data", "limit"),
    [
        (jpeg_header(8000, 8000), 60),
        (jpeg_header(65_535, 65_535), 60),
        (jpeg_header(9000, 9000, frames=3), 60),
        (bomb_png(4100, 4100), 16),
        (bomb_png(20_000, 20_000), 16),
        (webp_canvas(4100, 4100), 16),
        (webp_canvas(16_384, 16_384), 16),
    ],
    ids=[
        "jpeg-64mp",
        "jpeg-largest-possible",
        "jpeg-large-frame-after-small-ones",
        "png-bomb-over-16mp",
        "png-bomb-400mp",
        "webp-canvas-over-16mp",
        "webp-canvas-268mp",
    ],
)
def test_images_over_the_pixel_limit_are_refused_from_their_header(monkeypatch, data, limit):
    never_decoded(monkeypatch)

    refused = refusal(data, "bomb")

    assert refused.message.template == files.IMAGE_TOO_MANY_PIXELS
    assert refused.message.params == {"limit": limit}
    assert str(refused.message) == f"The image has too many pixels; the limit is {limit} megapixels."


def test_a_50_megapixel_phone_photo_is_accepted():
    photo = encode(Image.new("L", (8192, 6144), 128), "JPEG", quality=50)  # a 50 MP sensor's full size

    result = inspect_upload(photo, "IMG_0001.JPG", max_bytes=LIMIT)

    assert (result.width, result.height) == (2560, 1920)


@pytest.mark.parametrize(
    ("data", "size"),
    [(bomb_png(4000, 4000), (2560, 2560)), (encode(Image.new("RGB", (4000, 3900)), "WEBP"), (2560, 2496))],
    ids=["png-16mp", "webp-15.6mp"],
)
def test_png_and_webp_up_to_their_lower_limit_are_accepted(data, size):
    result = inspect_upload(data, "screenshot.png", max_bytes=LIMIT)

    assert (result.width, result.height) == size


def refusal_with_limit(data: bytes, *, max_pixels: int) -> UploadRefused:
    with pytest.raises(UploadRefused) as caught:
        inspect_upload(data, "a.jpg", max_bytes=LIMIT, max_pixels=max_pixels)
    return caught.value


def test_the_pixel_limit_can_be_set_per_call():
    three_megapixels = jpeg((2000, 1500))

    assert refusal_with_limit(three_megapixels, max_pixels=2_000_000).message.params == {"limit": 2}
    assert inspect_upload(three_megapixels, "a.jpg", max_bytes=LIMIT, max_pixels=3_000_000).kind == "photo"


@pytest.mark.parametrize("warning_filter", ["error", "ignore", "default"])
def test_pillow_bomb_limit_caps_ours_so_its_warning_never_decides(monkeypatch, warning_filter):
    """Above Pillow's limit a warning is all Pillow gives; ours refuses first, whatever warnings do."""
    never_decoded(monkeypatch)
    with warnings.catch_warnings():
        warnings.simplefilter(warning_filter, Image.DecompressionBombWarning)
        refused = refusal_with_limit(jpeg_header(10_000, 10_000), max_pixels=10**12)

    assert refused.message.template == files.IMAGE_TOO_MANY_PIXELS
    assert refused.message.params == {"limit": Image.MAX_IMAGE_PIXELS // 1_000_000}


@pytest.mark.parametrize(
    "data",
    [
        b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00\xff\xd9",
        b"\xff\xd8\xff\xe0\xff\xff",
        b"\x89PNG\r\n\x1a\n" + png_chunk(b"tEXt", b"a\x00b") + encode(two_tone(), "PNG")[8:],
        b"RIFF\x10\x00\x00\x00WEBPVP8Q" + bytes(30),
    ],
    ids=["jpeg-without-frame", "jpeg-cut-in-header", "png-ihdr-not-first", "webp-unknown-chunk"],
)
def test_an_image_whose_size_cannot_be_read_from_its_header_is_refused_as_damaged(monkeypatch, data):
    never_decoded(monkeypatch)

    assert refusal(data).message.template == files.IMAGE_DAMAGED


@pytest.mark.parametrize(
    "pdf",
    [
        make_pdf(catalog=b" /OpenAction 4 0 R", objects=(b"<< /S /JavaScript /JS (app.alert(1)) >>",)),
        make_pdf(catalog=b" /OpenAction << /S/JavaScript/JS 4 0 R >>", objects=(stream(b"x"),)),
        make_pdf(catalog=b" /OpenAction << /JS (this.print()) >>"),
        make_pdf(catalog=b" /OpenAction << /S /Launch /F (cmd.exe) >>"),
        make_pdf(catalog=b" /Names << /EmbeddedFiles 4 0 R >>", objects=(b"<< /Names [] >>",)),
        make_pdf(objects=(stream(b"MZ", b" /Type /EmbeddedFile"),)),
        make_pdf(catalog=b" /OpenAction << /S /J#61va#53cript /J#53 (1) >>"),
        make_pdf(catalog=b" /OpenAction << /S /URI /URI (https://evil.example/) >>"),
    ],
    ids=[
        "javascript-action",
        "javascript-no-spaces",
        "js-key",
        "launch",
        "embedded-files-tree",
        "embedded-file-stream",
        "hex-escaped-name",
        "uri-open-action",
    ],
)
def test_pdfs_with_active_content_are_refused(pdf):
    """More hostile PDFs, and every way of hiding them, are in test_pdf_screen.py."""
    assert refusal(pdf, "承诺书.pdf").message.template == pdf_screen.PDF_ACTIVE_CONTENT


@pytest.mark.parametrize(
    ("pdf", "template"),
    [
        (make_pdf()[:-8], pdf_screen.PDF_DAMAGED),
        (make_pdf()[:200], pdf_screen.PDF_DAMAGED),
        (b"%PDF-1.4\n", pdf_screen.PDF_DAMAGED),
        (make_pdf() + b"\x00" * 2048, pdf_screen.PDF_DAMAGED),
        (make_pdf(trailer=b" /Encrypt << /Filter /Standard /V 2 >>"), pdf_screen.PDF_ENCRYPTED),
    ],
    ids=["eof-cut-off", "truncated", "header-only", "eof-far-from-end", "encrypted"],
)
def test_broken_or_encrypted_pdfs_are_refused(pdf, template):
    assert refusal(pdf, "report.pdf").message.template == template


def test_a_pdf_bomb_is_refused():
    compressor, zeros = zlib.compressobj(9), bytes(MB)
    bomb = b"".join(compressor.compress(zeros) for _ in range(300)) + compressor.flush()
    pdf = make_pdf(objects=(raw_stream(bomb, b" /Filter /FlateDecode"),))

    assert len(pdf) < MB
    assert refusal(pdf, "report.pdf").message.template == pdf_screen.PDF_TOO_COMPLEX


# --- photo processing -------------------------------------------------------------------


def test_metadata_is_read_then_stripped_from_the_stored_jpeg():
    exif = make_exif(
        original="2025:05:17 09:30:12",
        modified="2025:06:01 18:00:00",
        latitude=SHANGHAI[0],
        longitude=SHANGHAI[1],
    )
    source = jpeg(exif=exif, comment=b"secret comment", icc_profile=b"fake-icc-profile")

    result = inspect_upload(source, "IMG_0001.JPG", max_bytes=LIMIT)

    assert result.captured_at == datetime(2025, 5, 17, 9, 30, 12)
    assert result.gps == pytest.approx((31.23, 121.47))
    with Image.open(io.BytesIO(result.stored_bytes)) as stored:
        assert dict(stored.getexif()) == {}
        assert not {"exif", "icc_profile", "comment", "xmp"} & set(stored.info)
    markers = jpeg_segment_markers(result.stored_bytes)
    assert [marker for marker, _ in markers if 0xE0 <= marker <= 0xEF or marker == 0xFE] == [0xE0]
    assert next(start for marker, start in markers if marker == 0xE0).startswith(b"JFIF\x00")
    for leak in (b"Exif", b"TestPhoneMaker", b"secret comment", b"fake-icc-profile"):
        assert leak not in result.stored_bytes
        assert leak not in result.thumbnail_bytes


@pytest.mark.parametrize("pil_format", ["JPEG", "PNG", "WEBP"])
def test_capture_time_and_place_are_read_from_every_photo_format(pil_format):
    exif = make_exif(original="2025:03:02 08:07:06", latitude=SHANGHAI[0], longitude=SHANGHAI[1])

    result = inspect_upload(encode(two_tone(), pil_format, exif=exif), "p", max_bytes=LIMIT)

    assert (result.captured_at, result.gps) == (datetime(2025, 3, 2, 8, 7, 6), pytest.approx((31.23, 121.47)))


@pytest.mark.parametrize(
    ("exif", "captured_at"),
    [
        (
            make_exif(original="2025:05:17 09:30:12", modified="2025:06:01 18:00:00"),
            datetime(2025, 5, 17, 9, 30, 12),
        ),
        (make_exif(modified="2025:06:01 18:00:00"), datetime(2025, 6, 1, 18, 0, 0)),
        (make_exif(original="    :  :     :  :  ", modified="2025:06:01 18:00:00"), datetime(2025, 6, 1, 18)),
        (make_exif(original="2025:13:45 99:00:00"), None),
        (make_exif(), None),
        (None, None),
    ],
    ids=["original-wins", "fallback-datetime", "blank-original", "impossible-date", "no-dates", "no-exif"],
)
def test_capture_time(exif, captured_at):
    params = {"exif": exif} if exif is not None else {}

    assert inspect_upload(jpeg(**params), "p.jpg", max_bytes=LIMIT).captured_at == captured_at


@pytest.mark.parametrize(
    ("latitude", "longitude", "gps"),
    [
        (SHANGHAI[0], SHANGHAI[1], (31.23, 121.47)),
        (("S", (33.0, 51.0, 36.0)), ("E", (151.0, 12.0, 36.0)), (-33.86, 151.21)),
        (("N", (40.0, 42.0, 36.0)), ("W", (74.0, 0.0, 36.0)), (40.71, -74.01)),
        (("S", (22.0, 54.0, 0.0)), ("W", (43.0, 12.0, 0.0)), (-22.9, -43.2)),
        (("", (31.0, 13.0, 48.0)), SHANGHAI[1], None),
        (SHANGHAI[0], None, None),
        (("N", (0.0, 0.0, 0.0)), ("E", (0.0, 0.0, 0.0)), None),
        (("N", (95.0, 0.0, 0.0)), SHANGHAI[1], None),
        (None, None, None),
    ],
    ids=[
        "north-east",
        "south-east",
        "north-west",
        "south-west",
        "no-hemisphere",
        "no-longitude",
        "null-island",
        "beyond-pole",
        "no-gps",
    ],
)
def test_gps_position_in_signed_decimal_degrees(latitude, longitude, gps):
    exif = make_exif(latitude=latitude, longitude=longitude)

    result = inspect_upload(jpeg(exif=exif), "p.jpg", max_bytes=LIMIT)

    assert result.gps == (pytest.approx(gps) if gps else None)


@pytest.mark.parametrize(
    ("orientation", "size", "red_at"),
    [
        (None, (400, 300), "left"),
        (1, (400, 300), "left"),
        (2, (400, 300), "right"),
        (3, (400, 300), "right"),
        (6, (300, 400), "top"),
        (8, (300, 400), "bottom"),
    ],
)
def test_exif_orientation_is_applied(orientation, size, red_at):
    source = jpeg(exif=make_exif(orientation=orientation))

    result = inspect_upload(source, "p.jpg", max_bytes=LIMIT)

    with Image.open(io.BytesIO(result.stored_bytes)) as stored:
        assert stored.size == size == (result.width, result.height)
        width, height = stored.size
        probes = {
            "left": (width // 8, height // 2),
            "right": (width * 7 // 8, height // 2),
            "top": (width // 2, height // 8),
            "bottom": (width // 2, height * 7 // 8),
        }
        red, _, blue = stored.getpixel(probes[red_at])
        assert red > 200 and blue < 60


@pytest.mark.parametrize(
    ("size", "stored_size", "thumbnail_size"),
    [
        ((4000, 3000), (2560, 1920), (320, 240)),
        ((3000, 4000), (1920, 2560), (240, 320)),
        ((2560, 1000), (2560, 1000), (320, 125)),
        ((800, 600), (800, 600), (320, 240)),
        ((200, 100), (200, 100), (200, 100)),
    ],
)
def test_photos_are_shrunk_to_the_long_side_limits_never_enlarged(size, stored_size, thumbnail_size):
    result = inspect_upload(jpeg(size, quality=60), "p.jpg", max_bytes=LIMIT)

    assert (result.width, result.height) == stored_size
    with Image.open(io.BytesIO(result.thumbnail_bytes)) as thumbnail:
        assert (thumbnail.format, thumbnail.size) == ("JPEG", thumbnail_size)


@pytest.mark.parametrize("pil_format", ["PNG", "WEBP"])
def test_transparency_is_flattened_onto_white(pil_format):
    image = Image.new("RGBA", (40, 40), (0, 0, 0, 0))
    image.paste(Image.new("RGBA", (20, 40), (255, 0, 0, 255)), (0, 0))

    result = inspect_upload(encode(image, pil_format, lossless=True), "logo.png", max_bytes=LIMIT)

    with Image.open(io.BytesIO(result.stored_bytes)) as stored:
        assert min(stored.getpixel((35, 20))) > 240  # transparent became white, not black
        red, green, _ = stored.getpixel((5, 20))
        assert red > 200 and green < 60


def test_hashes_are_stable_and_name_the_original_and_the_stored_bytes():
    source = jpeg(exif=make_exif(original="2025:05:17 09:30:12"))

    first = inspect_upload(source, "outlet-a.jpg", max_bytes=LIMIT)
    again = inspect_upload(source, "outlet-b/renamed.jpg", max_bytes=LIMIT)

    assert first.original_sha256 == hashlib.sha256(source).hexdigest()
    assert first.stored_sha256 == hashlib.sha256(first.stored_bytes).hexdigest()
    assert first.original_sha256 != first.stored_sha256
    assert (again.original_sha256, again.stored_sha256) == (first.original_sha256, first.stored_sha256)
    other = inspect_upload(jpeg(quality=70), "outlet-a.jpg", max_bytes=LIMIT)
    assert other.original_sha256 != first.original_sha256


def test_processed_upload_is_frozen_and_keeps_bytes_out_of_its_repr():
    result = inspect_upload(jpeg(), "p.jpg", max_bytes=LIMIT)

    with pytest.raises(AttributeError):
        result.filename = "other.jpg"
    assert "stored_bytes" not in repr(result) and result.stored_sha256 in repr(result)


# --- display names ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("filename", "expected"),
    [
        ("../../etc/passwd", "passwd.jpg"),
        ("..\\..\\windows\\system32\\cmd.exe", "cmd.jpg"),
        ("C:\\Users\\张三\\Desktop\\营业执照.PNG", "营业执照.jpg"),
        ("/var/tmp/网点照片 2025.jpeg", "网点照片 2025.jpg"),
        ("无废快递网点承诺书（盖章版）.jpg", "无废快递网点承诺书（盖章版）.jpg"),
        ("photo\u202egpj.exe", "photogpj.jpg"),
        ("zero\u200bwidth.jpg", "zerowidth.jpg"),
        ("a\x00b\x07c.jpg", "abc.jpg"),
        ("line\nbreak\ttab.jpg", "line break tab.jpg"),
        ("  lots   of \u3000 space .jpg", "lots of space.jpg"),
        ('what?:"<>|*.jpg', "what_______.jpg"),
        ("report.final.v2.png", "report.final.v2.jpg"),
        ("会议记录.2025年5月", "会议记录.2025年5月.jpg"),
        ("cafe\u0301.jpg", "caf\u00e9.jpg"),
        (".hidden.jpg", "hidden.jpg"),
        ("..", "photo.jpg"),
        ("../", "photo.jpg"),
        ("", "photo.jpg"),
        ("   ", "photo.jpg"),
        ("\u202e.jpg", "photo.jpg"),
    ],
)
def test_display_filename_is_safe_and_keeps_what_people_wrote(filename, expected):
    assert display_filename(filename, "jpg", "photo") == expected


@pytest.mark.parametrize("stem", ["长" * 300, "a" * 300, "报告 " * 100])
def test_display_filename_is_length_limited_and_keeps_its_extension(stem):
    name = display_filename(stem + ".pdf", "pdf", "document")

    assert len(name) <= files.MAX_FILENAME_LENGTH
    assert name.endswith(".pdf") and not name.endswith(" .pdf")
    assert name.startswith(stem[:20])


@pytest.mark.parametrize(
    ("data", "filename", "expected"),
    [
        (jpeg(), "../../etc/passwd", "passwd.jpg"),
        (make_pdf(), "../../etc/passwd", "passwd.pdf"),
        (make_pdf(), "", "document.pdf"),
        (jpeg(), "..", "photo.jpg"),
    ],
)
def test_inspect_upload_sanitises_the_display_name(data, filename, expected):
    assert inspect_upload(data, filename, max_bytes=LIMIT).filename == expected
