"""The photos of the inspection report: read from their headers, each stored once and small."""

from decimal import Decimal
from io import BytesIO

from PIL import Image
from pypdf import PdfReader

from outlet_audit.evidence import files
from outlet_audit.reports.report_pdf import (
    THUMBNAIL_PIXELS,
    ReportItem,
    ReportSection,
    _embeddable_jpeg_size,
    render_inspection_report,
)
from tests.pdf_helpers import photo_jpeg, sample_report, sample_visit


def _jpeg(size, mode="RGB", **options) -> bytes:
    buffer = BytesIO()
    Image.new(mode, size, "#3a7" if mode == "RGB" else 90).save(buffer, format="JPEG", **options)
    return buffer.getvalue()


def _thumbnail(seed: int) -> bytes:
    """A stored thumbnail as evidence/files.py writes it."""
    picture = Image.open(BytesIO(photo_jpeg(seed, size=(1600, 1200))))
    picture.thumbnail((files.THUMBNAIL_LONG_SIDE, files.THUMBNAIL_LONG_SIDE), Image.Resampling.LANCZOS)
    return files._encode_jpeg(picture, files.THUMBNAIL_JPEG_QUALITY)


def test_stored_thumbnails_are_read_from_their_headers():
    assert _embeddable_jpeg_size(_thumbnail(1)) == (320, 240)
    assert _embeddable_jpeg_size(_jpeg((240, 320), progressive=True)) == (240, 320)
    assert _embeddable_jpeg_size(_jpeg((200, 150), mode="L")) == (200, 150)
    restart = _jpeg((64, 48))
    assert _embeddable_jpeg_size(restart[:2] + b"\xff\xdd\x00\x04\x00\x08" + restart[2:]) == (64, 48)


def test_anything_else_is_left_to_the_decoder():
    plain = _jpeg((320, 240))
    exif = Image.Exif()
    exif[0x0112] = 6
    for raw in (
        b"",
        b"not a jpeg",
        plain[:20],  # cut inside the headers
        plain[:2] + b"\xff\xe1\x00\x04ab" + plain[2:],  # APP1 (EXIF) before the frame
        _jpeg((320, 240), exif=exif.tobytes()),
        _jpeg((100, 80), comment=b"hidden"),
        _jpeg((300, 200), mode="CMYK"),
        _jpeg((321, 10)),  # larger than a thumbnail
        plain[:2] + b"\xff\x00" + plain[2:],  # not a marker
    ):
        assert _embeddable_jpeg_size(raw) is None, raw[:30]


def test_a_records_photos_are_each_embedded_once_small_and_all_there():
    """As the bench's record: many items showing a few distinct thumbnails, and one original."""
    thumbnails = [_thumbnail(seed) for seed in range(4)]
    original = photo_jpeg(9, size=(1600, 1200))
    items = tuple(
        ReportItem(f"A{n}", "电子运单", "是 Yes", Decimal(5), Decimal(5), thumbnails=(thumbnails[n % 4],))
        for n in range(13)
    ) + (ReportItem("A13", "电子运单", "是 Yes", Decimal(5), Decimal(5), thumbnails=(original,)),)
    section = ReportSection("A", "电子运单", items, Decimal(70), Decimal(70))
    pdf = render_inspection_report(sample_report(visits=(sample_visit(sections=(section,), sign_off=None),)))
    reader = PdfReader(BytesIO(pdf))
    stored = {
        image.indirect_reference.idnum: image.get_object()
        for page in reader.pages
        for image in page["/Resources"].get("/XObject", {}).values()
    }
    data = [image._data for image in stored.values()]
    assert sorted(d for d in data if d in thumbnails) == sorted(thumbnails)  # byte for byte
    assert len(stored) == 5  # the four thumbnails once each, the original downscaled
    (downscaled,) = [image for image in stored.values() if image._data not in thumbnails]
    assert (downscaled["/Width"], downscaled["/Height"]) == (THUMBNAIL_PIXELS, THUMBNAIL_PIXELS * 3 // 4)
    # and every item's photo is drawn: 14 image placements
    placements = sum(page.get_contents().get_data().count(b" Do") for page in reader.pages)
    assert placements == 14
