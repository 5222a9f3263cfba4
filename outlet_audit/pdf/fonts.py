"""Fonts and text handling shared by the certificate and the inspection report PDFs.

Why ``STSong-Light``: it is one of the Adobe CID fonts that ReportLab knows by name
(``UnicodeCIDFont``). ReportLab writes only a font reference with the Adobe-GB1
character collection and the ``UniGB-UCS2-H`` encoding; the glyphs are supplied by
the PDF reader. So the server needs no Chinese font file, the code never looks up
OS font files, nothing is shipped with the app, the PDFs stay small, and the text
stays real Unicode text (searchable, copyable, extractable by pypdf).

The trade-off: the font is not embedded, so the reader must find a Chinese font.
Adobe Reader (with its Asian font pack) and viewers on systems set up for Chinese
users substitute one; we checked only poppler here (22.12 with poppler-data, Debian 12).
Poppler (pdftoppm, evince, okular) substitutes an OS font through fontconfig: on a
machine without any CJK font (``fc-list :lang=zh`` empty) it draws empty boxes in place
of Chinese characters, even with ``poppler-data`` installed, while Latin text still
renders; with any CJK font installed (e.g. the Debian package fonts-arphic-uming) the
Chinese text renders correctly. Embedding a TTF subset would remove that dependency but
means shipping a large font file with the app, which we chose not to do.

There is no bold STSong; headings use size, colour and a stroked text render mode.
"""

import re
from datetime import date, datetime, timedelta
from decimal import Decimal
from xml.sax.saxutils import escape

from reportlab import rl_config
from reportlab.lib.styles import ParagraphStyle
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.cidfonts import UnicodeCIDFont

# Binary (not ASCII85) image streams: ReportLab's pure-Python ASCII85 encoder was a third of the
# time of an inspection report with photos, and every PDF reader takes binary streams.
rl_config.useA85 = 0

CJK_FONT = "STSong-Light"
LATIN_SERIF = "Times-Roman"
LATIN_SERIF_ITALIC = "Times-Italic"
LATIN_SERIF_BOLD = "Times-Bold"

_SHANGHAI_OFFSET = timedelta(hours=8)
# XML 1.0 forbids these; ReportLab's paragraph parser would choke on them.
_CONTROL_CHARACTERS = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ufffe\uffff]")
# Viewers that substitute a font for STSong space its Latin letters unevenly; Times (a standard
# PDF font every reader has) is also the usual partner of Song type in Chinese print.
_ASCII_RUN = re.compile("[\x20-\x7e]+|[^\x20-\x7e]+")


def register_fonts() -> None:
    """Make the CJK font known to ReportLab (idempotent)."""
    if CJK_FONT not in pdfmetrics.getRegisteredFontNames():
        pdfmetrics.registerFont(UnicodeCIDFont(CJK_FONT))


def clean_text(text: str) -> str:
    """Drop control characters a user may have pasted; keep everything else literally."""
    return _CONTROL_CHARACTERS.sub("", text).replace("\r\n", "\n").replace("\r", "\n")


def text_runs(text: str) -> list[tuple[str, str]]:
    """Split text into (font name, run) pairs: printable ASCII in Times, the rest in STSong."""
    return [
        (LATIN_SERIF if " " <= run[0] <= "~" else CJK_FONT, run)
        for run in _ASCII_RUN.findall(clean_text(text).replace("\t", " "))
    ]


def paragraph_markup(text: str) -> str:
    """Turn user text into Paragraph markup that prints it literally, newlines kept."""
    parts = []
    for font, run in text_runs(text):
        escaped = escape(run, {'"': "&quot;", "'": "&#39;"}).replace("\n", "<br/>")
        parts.append(f'<font name="{font}">{escaped}</font>' if font == LATIN_SERIF else escaped)
    return "".join(parts)


def cjk_style(name: str, size: float, leading_ratio: float, **options) -> ParagraphStyle:
    """A paragraph style in the CJK font that wraps as Chinese text does (between any characters)."""
    options.setdefault("leading", size * leading_ratio)
    return ParagraphStyle(name, fontName=CJK_FONT, fontSize=size, wordWrap="CJK", **options)


def bilingual_label(zh: str, en: str) -> str:
    """Paragraph markup of a fixed label of ours (not user text): the Chinese, the English small below."""
    return f'{zh}<br/><font name="{LATIN_SERIF}" size="7" color="#666666">{en}</font>'


def mixed_string_width(text: str, size: float) -> float:
    return sum(pdfmetrics.stringWidth(run, font, size) for font, run in text_runs(text))


def draw_mixed_string(canvas, x: float, y: float, text: str, size: float, anchor: str = "left") -> None:
    """Draw one line of text literally, Latin runs in Times; anchor is left, centre or right."""
    width = mixed_string_width(text, size)
    x -= {"left": 0, "centre": width / 2, "right": width}[anchor]
    for font, run in text_runs(text):
        canvas.setFont(font, size)
        canvas.drawString(x, y, run)
        x += pdfmetrics.stringWidth(run, font, size)


def format_points(value: Decimal) -> str:
    """Show a score without exponent or trailing zeros: 82.50 -> 82.5, 80.00 -> 80."""
    text = f"{value:f}"
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text


def format_date(day: date) -> str:
    return day.strftime("%Y-%m-%d")


def format_date_zh(day: date) -> str:
    return f"{day.year}年{day.month}月{day.day}日"


def format_datetime(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%d %H:%M")


def pdf_date_formatter(moment: datetime):
    """Return a ReportLab date formatter that stamps `moment` (naive = Shanghai time) as the PDF date."""
    offset = moment.utcoffset() if moment.tzinfo is not None else _SHANGHAI_OFFSET
    minutes = int(offset.total_seconds()) // 60
    sign, minutes = ("+" if minutes >= 0 else "-"), abs(minutes)
    stamp = f"D:{moment:%Y%m%d%H%M%S}{sign}{minutes // 60:02d}'{minutes % 60:02d}'"

    def formatter(*_ignored_time_parts) -> str:
        return stamp

    return formatter
