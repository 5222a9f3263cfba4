"""Decide whether an uploaded PDF carries active content, with a real PDF parser. Pure.

Refused, not cleaned. Evidence is kept byte for byte as it was sent: its hash names what the
outlet uploaded, and a stamped or signed document stays the one its sender made. A copy
re-written here without its actions would be a document we made. Only a few things are
allowed at all, so a sender who gets a refusal can print the file to a new PDF and upload that.

Allowed: pages, text, images, fonts, bookmarks and comments, plain form fields, links that
go to a page of the document or that a reader clicks to open a web or mail address, and the
four page-turning named actions. Everything else that acts is refused: JavaScript anywhere,
any additional-action (/AA) trigger, an opening action other than showing a page, every other
action type (Launch, SubmitForm, ImportData, GoToR, GoToE, Rendition, RichMediaExecute, Hide,
SetOCGState, ...), chained actions (/Next), XFA forms, embedded and attached files,
multimedia, 3D and PostScript. Names are compared once decoded, so #xx escapes do not hide them.

Every object in the file is read, not only those its cross-reference table leads to: each
"N G obj" in the bytes (earlier revisions, objects no table names, which a viewer repairing
a damaged file may still use), and each object inside every object stream, decoded through
whatever filters it names (pypdf's decoders: ASCIIHex, ASCII85, Flate with predictors, LZW,
RunLength). An object the parser cannot read to its end is a damaged file, never skipped.

Bounded: at most PDF_MAX_OBJECTS objects and PDF_MAX_PARSE_WORK entries in them,
PDF_MAX_DECODED_BYTES decoded in all and PDF_MAX_OBJECT_STREAM_BYTES held at once. Other
streams (page contents, fonts) are inflated only to be counted, in chunks, so a Flate bomb
anywhere is refused after at most that much work. Image streams are not decoded: their
declared size is checked against the photo limit.
"""

import bisect
import collections
import enum
import itertools
import re
import zlib
from collections.abc import Iterable, Iterator
from io import BytesIO

from pypdf import PdfReader, apply_configuration
from pypdf.errors import LimitReachedError
from pypdf.filters import ASCII85Decode, ASCIIHexDecode, decode_stream_data
from pypdf.generic import (
    ArrayObject,
    ByteStringObject,
    DictionaryObject,
    IndirectObject,
    NameObject,
    NumberObject,
    PdfObject,
    StreamObject,
    StreamParsingBudget,
    TextStringObject,
    read_object,
)

from outlet_audit.text import N_, Message, Refused

PDF_EOF_WINDOW = 1024
# Reading is pypdf's pure-Python parser, some microseconds a token: these bound it to a few
# seconds whatever the file. A scanned page has a few objects, a tagged page a few hundred
# (about twenty entries each); a 300-page tagged report stays well inside both.
PDF_MAX_OBJECTS = 50_000
PDF_MAX_PARSE_WORK = 1_000_000  # pypdf's count: an array element 1, a dictionary entry 2
PDF_MAX_DECODED_BYTES = 256 * 1024 * 1024  # streams decoded or inflated to be counted, in all
PDF_MAX_OBJECT_STREAM_BYTES = 16 * 1024 * 1024  # one object stream, held while its objects are read
PDF_INFLATE_CHUNK = 1024 * 1024

ALLOWED_ACTIONS = frozenset({"/GoTo", "/URI", "/Named"})
ALLOWED_NAMED_ACTIONS = frozenset({"/NextPage", "/PrevPage", "/FirstPage", "/LastPage"})
ALLOWED_URI_SCHEMES = frozenset({"http", "https", "mailto"})
REFUSED_ACTIONS = frozenset(
    {
        "/GoToR",
        "/GoToE",
        "/GoToDp",
        "/Launch",
        "/Thread",
        "/Sound",
        "/Movie",
        "/Hide",
        "/SubmitForm",
        "/ResetForm",
        "/ImportData",
        "/SetOCGState",
        "/Rendition",
        "/Trans",
        "/GoTo3DView",
        "/JavaScript",
        "/RichMediaExecute",
    }
)
ALLOWED_ANNOTATIONS = frozenset(
    {
        "/Text",
        "/Link",
        "/FreeText",
        "/Line",
        "/Square",
        "/Circle",
        "/Polygon",
        "/PolyLine",
        "/Highlight",
        "/Underline",
        "/Squiggly",
        "/StrikeOut",
        "/Caret",
        "/Stamp",
        "/Ink",
        "/Popup",
        "/Widget",
        "/Redact",
        "/Watermark",
        "/PrinterMark",
    }
)
# Keys that only active content uses: scripts, trigger dictionaries, files, XFA, slide shows.
REFUSED_KEYS = frozenset(
    {
        "/JS",
        "/JavaScript",
        "/AA",
        "/EmbeddedFiles",
        "/EF",
        "/XFA",
        "/RichMediaContent",
        "/AlternatePresentations",
    }
)
# Values of /Type or /Subtype that name active or embedded content.
REFUSED_TYPES = frozenset(
    {"/EmbeddedFile", "/FileAttachment", "/Sound", "/Movie", "/Screen", "/3D", "/RichMedia", "/PS"}
)
_IMAGE_CODECS = frozenset(
    {"/DCTDecode", "/DCT", "/JPXDecode", "/CCITTFaxDecode", "/CCF", "/JBIG2Decode", "/Crypt"}
)
_FLATE = frozenset({"/FlateDecode", "/Fl"})
# Text encodings, decoded at once before any Flate: they shrink the data (ASCII85's "z" at most
# quadruples it), so their output stays within a few times the file's size.
_TEXT_DECODERS = {
    "/ASCIIHexDecode": ASCIIHexDecode,
    "/AHx": ASCIIHexDecode,
    "/ASCII85Decode": ASCII85Decode,
    "/A85": ASCII85Decode,
}

_WHITESPACE = rb"\x00\t\n\x0c\r "
# Any "N G obj", whatever follows it but a letter (pypdf, like viewers, reads the three
# letters and goes on), so that no object escapes by being written oddly.
_OBJECT_HEADER = re.compile(
    rb"(?<![0-9])(\d{1,20})[" + _WHITESPACE + rb"]+(\d{1,20})[" + _WHITESPACE + rb"]+obj(?![A-Za-z])"
)
_FILLER = re.compile(rb"(?:[" + _WHITESPACE + rb"]+|%[^\r\n]*)*")


class PdfProblem(enum.Enum):
    DAMAGED = "damaged"
    ENCRYPTED = "encrypted"
    ACTIVE_CONTENT = "active content"
    TOO_COMPLEX = "too complex"
    IMAGE_TOO_LARGE = "image too large"


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
PROBLEM_MESSAGES = {
    PdfProblem.DAMAGED: PDF_DAMAGED,
    PdfProblem.ENCRYPTED: PDF_ENCRYPTED,
    PdfProblem.ACTIVE_CONTENT: PDF_ACTIVE_CONTENT,
    PdfProblem.TOO_COMPLEX: PDF_TOO_COMPLEX,
    PdfProblem.IMAGE_TOO_LARGE: PDF_IMAGE_TOO_LARGE,  # with the limit in megapixels as `limit`
}


class PdfRefused(Refused):
    """Why a PDF is not accepted: the user's `message` from its `problem`, a `detail` for logs and tests."""

    def __init__(self, problem: PdfProblem, detail: str, params: dict | None = None):
        super().__init__(Message(PROBLEM_MESSAGES[problem], params or {}))
        self.problem = problem
        self.detail = detail

    def __str__(self) -> str:
        return f"{self.problem.value}: {self.detail}"  # what a log or a chained traceback shows


def screen_pdf(data: bytes, *, max_image_pixels: int) -> None:
    """Return if the PDF may be kept as it is; raise `PdfRefused` otherwise."""
    if b"%%EOF" not in data[-PDF_EOF_WINDOW:]:
        raise PdfRefused(PdfProblem.DAMAGED, "no %%EOF at the end: cut off")
    headers = list(itertools.islice(_OBJECT_HEADER.finditer(data), PDF_MAX_OBJECTS + 1))
    if len(headers) > PDF_MAX_OBJECTS:
        raise PdfRefused(PdfProblem.TOO_COMPLEX, f"over {PDF_MAX_OBJECTS} objects")
    try:
        with apply_configuration(
            maximum_declared_stream_length=len(data),  # a stream cannot be longer than its file
            zlib_maximum_output_length=PDF_MAX_OBJECT_STREAM_BYTES,
            zlib_maximum_recovery_input_length=0,  # no byte-by-byte rescue of a broken stream
            lzw_maximum_output_length=PDF_MAX_OBJECT_STREAM_BYTES,
            run_length_maximum_output_length=PDF_MAX_OBJECT_STREAM_BYTES,
            brotli_maximum_output_length=PDF_MAX_OBJECT_STREAM_BYTES,
            array_based_stream_maximum_output_length=PDF_MAX_OBJECT_STREAM_BYTES,
            image_maximum_buffer_size=PDF_MAX_OBJECT_STREAM_BYTES,
            stream_filters_maximum_length=4,
            stream_decoding_work_maximum_length=4 * PDF_MAX_OBJECT_STREAM_BYTES,
            jbig2dec_binary=None,  # never run an external decoder on an upload
        ):
            _check_structure(data)
            _Screen(data, headers, max_image_pixels).run()
    except PdfRefused:
        raise
    except Exception as error:  # pypdf raises many exception types on hostile input
        problem = PdfProblem.TOO_COMPLEX if _limit_reached(error) else PdfProblem.DAMAGED
        raise PdfRefused(problem, repr(error)) from error


def _limit_reached(error: BaseException | None) -> bool:
    """Whether pypdf stopped at one of its limits (it sometimes wraps that in a read error)."""
    while error is not None:
        if isinstance(error, LimitReachedError):
            # also raised when pypdf gives up repairing a broken Flate stream: damage, not size
            return not isinstance(error.__cause__, zlib.error)
        error = error.__cause__ or error.__context__
    return False


def _check_structure(data: bytes) -> None:
    """Refuse what a viewer could not open as it stands: no usable cross-reference, no catalog, encrypted."""
    reader = _Reader(BytesIO(data), strict=False, xref_stream_maximum_entries=PDF_MAX_OBJECTS)
    root = reader.trailer.get("/Root")
    if not isinstance(root.get_object() if root is not None else None, DictionaryObject):
        raise PdfRefused(PdfProblem.DAMAGED, "no document catalog")


class _Reader(PdfReader):
    def _handle_encryption(self, password: str | bytes | None) -> None:
        # pypdf calls this as it opens an encrypted file, to try the empty password; any
        # encryption is refused, and a broken encryption dictionary must not read as damage.
        raise PdfRefused(PdfProblem.ENCRYPTED, "/Encrypt in the trailer")


class _Screen:
    """Every object of one file, read once, and the checks run over them.

    Passed to pypdf's parser as its document: stream lengths and filters that are indirect
    objects resolve here, from the objects found in the bytes, never by pypdf searching the
    whole file again for each one.
    """

    # Asked by pypdf's parser: strict, so that a repeated key (which a viewer may read as the
    # last and pypdf as the first), a key it cannot read or a stream whose /Length is wrong
    # stops the reading, instead of pypdf dropping what it did not understand. The file is
    # refused as damaged; a viewer's repair is not guessed at.
    strict = True

    def __init__(self, data: bytes, headers: list[re.Match[bytes]], max_image_pixels: int):
        self.data = data
        self.xref: dict[int, dict[int, int]] = {}
        self.trailer: dict[str, object] = {}
        self.max_image_pixels = max_image_pixels
        self.budget = PDF_MAX_DECODED_BYTES
        self.object_count = len(headers)
        self.offsets: dict[tuple[int, int], list[int]] = collections.defaultdict(list)
        for header in headers:
            self.offsets[int(header[1]), int(header[2])].append(header.end())
        self.parsed: dict[int, PdfObject] = {}  # by the offset of the object's body
        # objects found in object streams, by number
        self.members: dict[int, list[PdfObject]] = collections.defaultdict(list)
        self.resolving: set[tuple[int, int]] = set()
        self.parse_work = StreamParsingBudget(remaining_budget=PDF_MAX_PARSE_WORK)  # for every object

    # --- as pypdf's document ---------------------------------------------------------------

    def get_object(self, reference: int | IndirectObject) -> PdfObject | None:
        if isinstance(reference, int):
            reference = IndirectObject(reference, 0, self)
        found = self.candidates(reference)
        return found[-1] if found else None

    # --- reading -------------------------------------------------------------------------

    def run(self) -> None:
        top_level = [self.object_at(offset) for offsets in self.offsets.values() for offset in offsets]
        for item in top_level:
            if isinstance(item, StreamObject):
                self.check_stream(item)
        for item in top_level + [member for members in self.members.values() for member in members]:
            self.check_tree(item)

    def object_at(self, offset: int) -> PdfObject:
        if offset not in self.parsed:
            stream = BytesIO(self.data)
            stream.seek(_FILLER.match(self.data, offset).end())
            item = read_object(stream, self, parsing_budget=self.parse_work)
            end = _FILLER.match(self.data, stream.tell()).end()
            if not self.data.startswith(b"endobj", end):
                raise PdfRefused(PdfProblem.DAMAGED, f"object at byte {offset} not read to its end")
            self.parsed[offset] = item
        return self.parsed[offset]

    def candidates(self, value: object) -> list:
        """What a value may stand for: itself, or every object in the file with its number."""
        if not isinstance(value, IndirectObject):
            return [value]
        key = (value.idnum, value.generation)
        if key in self.resolving:  # a length or filter that refers back to its own stream
            return []
        self.resolving.add(key)
        try:
            found = [self.object_at(offset) for offset in self.offsets.get(key, ())]
        finally:
            self.resolving.discard(key)
        return found + (self.members.get(value.idnum, []) if value.generation == 0 else [])

    def names(self, value: object) -> set[str]:
        return {str(item) for item in self.candidates(value) if isinstance(item, NameObject)}

    # --- streams -------------------------------------------------------------------------

    def check_stream(self, stream: StreamObject) -> None:
        if "/ObjStm" in self.names(stream.get("/Type")):
            self.unpack_object_stream(stream)
        elif "/Image" in self.names(stream.get("/Subtype")):
            self.check_image_size(stream)
        else:
            self.count_decoded_size(stream)

    def spend(self, size: int) -> None:
        self.budget -= size
        if self.budget < 0:
            raise PdfRefused(PdfProblem.TOO_COMPLEX, f"streams decode to over {PDF_MAX_DECODED_BYTES} bytes")

    def decode_limit(self) -> int:
        # pypdf reads a limit of 0 as none at all
        return max(1, min(self.budget, PDF_MAX_OBJECT_STREAM_BYTES))

    def unpack_object_stream(self, stream: StreamObject) -> None:
        limit = self.decode_limit()
        with apply_configuration(
            zlib_maximum_output_length=limit,
            lzw_maximum_output_length=limit,
            run_length_maximum_output_length=limit,
            brotli_maximum_output_length=limit,
        ):
            content = decode_stream_data(stream) if "/Filter" in stream else _raw_bytes(stream)
        self.spend(len(content))
        count, first = (self.number(stream.get(key)) for key in ("/N", "/First"))
        if count is None or first is None or not 0 <= first <= len(content) or not 0 <= count <= len(content):
            raise PdfRefused(PdfProblem.DAMAGED, "object stream without a usable /N and /First")
        self.object_count += count
        if self.object_count > PDF_MAX_OBJECTS:
            raise PdfRefused(PdfProblem.TOO_COMPLEX, f"over {PDF_MAX_OBJECTS} objects")
        table = content[:first].split()
        if len(table) < 2 * count or not all(part.isdigit() for part in table[: 2 * count]):
            raise PdfRefused(PdfProblem.DAMAGED, "object stream with a broken table of objects")
        numbers, starts = (
            [int(part) for part in table[0 : 2 * count : 2]],
            [first + int(part) for part in table[1 : 2 * count : 2]],
        )
        ends = sorted({*starts, len(content)})  # each object runs to the next one's start
        for number, start in zip(numbers, starts, strict=True):
            if start >= len(content):
                raise PdfRefused(PdfProblem.DAMAGED, f"object {number} outside its object stream")
            reader = BytesIO(content)
            reader.seek(_FILLER.match(content, start).end())
            item = read_object(reader, self, parsing_budget=self.parse_work)
            end = ends[bisect.bisect_right(ends, start)]
            if reader.tell() > end or _FILLER.match(content, reader.tell(), end).end() != end:
                raise PdfRefused(
                    PdfProblem.DAMAGED, f"object {number} in an object stream not read to its end"
                )
            self.members[number].append(item)

    def check_image_size(self, stream: StreamObject) -> None:
        width, height = (self.number(stream.get(key)) for key in ("/Width", "/Height"))
        if width and height and width * height > self.max_image_pixels:
            raise PdfRefused(
                PdfProblem.IMAGE_TOO_LARGE,
                f"image of {width} x {height}",
                {"limit": self.max_image_pixels // 1_000_000},
            )

    def count_decoded_size(self, stream: StreamObject) -> None:
        """Count what page contents, fonts and the like decode to, keeping none of it."""
        names = [str(name) for item in self.candidates(stream.get("/Filter")) for name in _as_list(item)]
        if _IMAGE_CODECS.intersection(names):
            return  # image data, decoded by viewers only as far as an image's size asks
        text_filters = list(itertools.takewhile(_TEXT_DECODERS.__contains__, names))
        if not _FLATE.issuperset(names[len(text_filters) :]):
            self.count_with_pypdf(stream)  # LZW, RunLength and rarer mixes: rare outside old files
            return
        try:
            data = _raw_bytes(stream)
            for name in text_filters:
                data = _TEXT_DECODERS[name].decode(data)
                self.spend(len(data))
            chunks: Iterable[bytes] = [data]
            for _ in names[len(text_filters) :]:
                chunks = self.inflated(chunks)
            collections.deque(chunks, maxlen=0)  # inflate it all, keeping nothing
        except PdfRefused:
            raise
        except Exception:  # noqa: S110  damaged data, counted as far as it could be read: a viewer's concern
            pass

    def count_with_pypdf(self, stream: StreamObject) -> None:
        limit = self.decode_limit()
        try:
            with apply_configuration(lzw_maximum_output_length=limit, run_length_maximum_output_length=limit):
                self.spend(len(decode_stream_data(stream)))
        except PdfRefused:
            raise
        except Exception as error:
            if _limit_reached(error):  # too large is refused; damaged is the viewer's concern, as above
                raise

    def inflated(self, chunks: Iterable[bytes]) -> Iterator[bytes]:
        inflater = zlib.decompressobj()
        for chunk in chunks:
            while chunk and not inflater.eof:
                output = inflater.decompress(chunk, PDF_INFLATE_CHUNK)
                self.spend(len(output))
                yield output
                chunk = inflater.unconsumed_tail

    def number(self, value: object) -> int | None:
        found = [item for item in self.candidates(value) if isinstance(item, NumberObject)]
        return max(int(item) for item in found) if found else None

    # --- the checks ----------------------------------------------------------------------

    def check_tree(self, item: PdfObject) -> None:
        """Check every dictionary inside one object (references are checked where they lead)."""
        pending = [item]
        while pending:
            current = pending.pop()
            if isinstance(current, DictionaryObject):
                self.check_dictionary(current)
                pending.extend(current.values())
            elif isinstance(current, ArrayObject):
                pending.extend(current)

    def check_dictionary(self, dictionary: DictionaryObject) -> None:
        refused_keys = REFUSED_KEYS.intersection(dictionary)
        if refused_keys:
            _refuse(min(refused_keys))
        for key in ("/Type", "/Subtype"):
            refused_types = REFUSED_TYPES & self.names(dictionary.get(key))
            if refused_types:
                _refuse(f"{key} {min(refused_types)}")
        actions = self.names(dictionary.get("/S"))
        if actions & (REFUSED_ACTIONS | ALLOWED_ACTIONS) or "/Action" in self.names(dictionary.get("/Type")):
            self.check_action(dictionary)
        for target in self.candidates(dictionary.get("/A")):  # what a link, bookmark or field does
            if isinstance(target, DictionaryObject) and "/S" in target:
                self.check_action(target)
        if "/OpenAction" in dictionary:
            for target in self.candidates(dictionary.get("/OpenAction")):
                self.check_open_action(target)
        if "/Annots" in dictionary:
            for annotations in self.candidates(dictionary.get("/Annots")):
                for entry in annotations if isinstance(annotations, ArrayObject) else ():
                    for annotation in self.candidates(entry):
                        if isinstance(annotation, DictionaryObject):
                            self.check_annotation(annotation)

    def check_action(self, action: DictionaryObject) -> None:
        kinds = self.names(action.get("/S"))
        if not kinds or not kinds <= ALLOWED_ACTIONS:
            _refuse(f"/S {min(kinds - ALLOWED_ACTIONS, default='(none)')} action")
        if "/Next" in action:
            _refuse("/Next: chained actions")
        if "/Named" in kinds:
            named = self.names(action.get("/N"))
            if not named or not named <= ALLOWED_NAMED_ACTIONS:
                _refuse("/Named action other than turning pages")
        if "/URI" in kinds:
            addresses = self.candidates(action.get("/URI"))
            if not addresses or not all(_is_allowed_uri(address) for address in addresses):
                _refuse("/URI that is not a web or mail address")

    def check_open_action(self, target: object) -> None:
        """What runs as the file opens: showing a page is all it may do."""
        if isinstance(target, ArrayObject):  # a destination: page and view
            return
        if (
            isinstance(target, DictionaryObject)
            and self.names(target.get("/S")) == {"/GoTo"}
            and "/Next" not in target
        ):
            return
        _refuse("/OpenAction that does more than show a page")

    def check_annotation(self, annotation: DictionaryObject) -> None:
        kinds = self.names(annotation.get("/Subtype"))
        if not kinds or not kinds <= ALLOWED_ANNOTATIONS:
            _refuse(f"annotation {min(kinds - ALLOWED_ANNOTATIONS, default='without /Subtype')}")


def _refuse(detail: str) -> None:
    raise PdfRefused(PdfProblem.ACTIVE_CONTENT, detail)


def _as_list(item: object) -> list:
    if isinstance(item, ArrayObject):
        return list(item)
    return [] if item is None else [item]


def _raw_bytes(stream: StreamObject) -> bytes:
    # The bytes as stored: StreamObject's own get_data, which a decoding subclass overrides.
    return StreamObject.get_data(stream)


def _is_allowed_uri(address: object) -> bool:
    if isinstance(address, ByteStringObject):
        text = bytes(address).decode("latin-1")
    elif isinstance(address, TextStringObject):
        text = str(address)
    else:
        return False
    # Browsers ignore leading spaces and control characters, and tabs and newlines anywhere.
    text = re.sub(r"[\t\n\r]", "", text).lstrip("".join(map(chr, range(33))))
    scheme, colon, _ = text.partition(":")
    return bool(colon) and scheme.lower() in ALLOWED_URI_SCHEMES
