"""Paragraphs for long documents: the same platypus Paragraphs, made and lined up with less work.

An inspection report holds a few hundred small paragraphs, one per table cell. Profiling its
rendering showed ReportLab's own work on them as most of its time: its markup parser (Python's
HTMLParser behind it) for every cell, its Chinese line breaking done again each time a table asks
a cell for its size, and its general drawing code. All are cut here without changing what is drawn:

- `text_paragraph` builds the fragments of user text itself. The markup of `paragraph_markup` has
  only three shapes (text in the CJK font, `<font name="Times-Roman">` runs, `<br/>`), so the
  fragments are copies of the ones the parser makes for each shape in the style (parsed once per
  style), given the texts the parser would give them, after the same whitespace cleaning.
- `label_paragraph` parses a fixed label of ours once and hands each use a copy of its fragments.
- `Paragraph` remembers its lines for the width it was last lined up at, and breaks a text of
  several fragments into lines with `_cjk_lines`: ReportLab's `cjkFragSplit` step for step, with
  each glyph's width looked up once per font and size instead of an object made per glyph (one
  fragment: ReportLab's `dumbSplit` on those widths).
- `Paragraph` draws plain lines (left or centred text in fonts and colours: every paragraph of the
  report) with `drawPara`'s text operators but none of its bookkeeping for bullets, underlines,
  links and backgrounds, at its place rather than after a move of the origin, and without setting
  again the fill colour its table cell already set. Anything else is drawn by `drawPara`.

tests/unit/test_pdf_paragraphs.py checks the fragments and lines against ReportLab's, text by text,
and whole reports: byte for byte (but for the placing) and page images pixel for pixel.
"""

import re
import weakref
from bisect import bisect_right

from reportlab.lib import textsplit as rl_textsplit
from reportlab.lib.colors import Color
from reportlab.lib.enums import TA_CENTER, TA_LEFT
from reportlab.lib.styles import ParagraphStyle
from reportlab.platypus import Paragraph as PlatypusParagraph
from reportlab.platypus import paragraph as rl_paragraph
from reportlab.platypus.paragraph import cleanBlockQuotedText
from reportlab.platypus.paraparser import ParaParser

from outlet_audit.pdf.fonts import LATIN_SERIF, paragraph_markup

_LATIN_OPEN = f'<font name="{LATIN_SERIF}">'
# After cleaning, a markup of `paragraph_markup` is a sequence of these (group 1: a Latin run,
# group 2: CJK text); user text has its "<" escaped, so every "<" starts one of our tags.
_TOKEN = re.compile(f"{re.escape(_LATIN_OPEN)}([^<]*)</font>|<br/>|([^<]+)")
# The escapes `paragraph_markup` writes; the parser makes a fragment of each one on its own.
_ENTITY = re.compile("(&amp;|&lt;|&gt;|&quot;|&#39;)")
_UNESCAPED = {"&amp;": "&", "&lt;": "<", "&gt;": ">", "&quot;": '"', "&#39;": "'"}


class Paragraph(PlatypusParagraph):
    """A platypus Paragraph that lines its text up once per width.

    A table asks every cell for its height when it measures its rows, again for each part when it
    splits across pages and again when it draws the cell, each time at the same width. The lines
    depend only on the fragments, the style and the width, so a repeated question at the width of
    the last answer gets that answer (and `blPara`, the lines drawn).
    """

    _wrapped_at: float | None = None

    def wrap(self, availWidth, availHeight):
        # `split` drops the lines when the paragraph cannot be split: then they are made again.
        # A table's measuring and drawing compute the same width in different orders: equal to
        # within rounding (a millionth of a point changes no line).
        last = self._wrapped_at
        if last is not None and abs(availWidth - last) < 1e-6 and "blPara" in self.__dict__:
            return self.width, self.height
        size = super().wrap(availWidth, availHeight)
        # A width too narrow for any text returns without lines: not remembered.
        self._wrapped_at = availWidth if "blPara" in self.__dict__ and self.width == availWidth else None
        return size

    def drawOn(self, canvas, x, y, _sW=0):
        # A paragraph in a table cell was drawn inside two saved graphics states and a move of the
        # origin (`Flowable.drawOn`, then `drawPara`): plain lines are drawn inside one saved state
        # at the same point instead, their text placed there (its fill colour still ends with it).
        if "blPara" not in self.__dict__ or getattr(self, "_showBoundary", 0) or self._plain_kind() is None:
            return super().drawOn(canvas, x, y, _sW)
        # The fill colour the canvas has (a table sets its cells' colour before drawing them) is
        # not set again for text in that colour.
        self.canv = canvas
        try:
            self._draw_plain(self._hAlignAdjust(x, _sW), y, canvas._fillColorObj)
        finally:
            del self.canv

    def draw(self):
        if self._plain_kind() is None:
            return super().draw()
        self._draw_plain(0, 0)

    def _draw_plain(self, x: float, y: float, fill=None) -> None:
        """What `drawPara` draws for plain lines (`_plain_kind`), with (x, y) as the origin: the
        same text operators in the same order, without its bookkeeping for bullets, underlines,
        links, backgrounds and justification, which these lines do not have. `fill`: the fill
        colour already set, if known (else every paragraph sets its own, as `drawPara` does)."""
        lines = self.blPara.lines
        if not lines:
            return
        if self.blPara.kind == 0:
            return self._draw_one_font(lines, x, y, fill)
        canvas, style = self.canv, self.style
        canvas.saveState()
        first = lines[0]
        top = first.fontSize if rl_paragraph.paraFontSizeHeightOffset else first.ascent
        text = canvas.beginText(x + style.leftIndent, y + self.height - top)
        text.preformatted = False
        text.direction = style.wordWrap
        text._leading = None
        text._fontname = text._fontsize = None
        centred = style.alignment == TA_CENTER
        color = fill if isinstance(fill, Color) else None
        for number, line in enumerate(lines):
            offset = style.firstLineIndent if number == 0 else 0
            text._x_offset = offset
            shift = offset + 0.5 * line.extraSpace if centred else offset
            _set_x(text, shift)
            if text._leading != style.leading:
                text.setLeading(style.leading)
            words = line.words
            for word in words:
                if text._fontname != word.fontName or text._fontsize != word.fontSize:
                    text._setFont(word.fontName, word.fontSize)
                if color != word.textColor:
                    color = word.textColor
                    text.setFillColor(color)
                text._textOut(word.text, word is words[-1])
            _set_x(text, -shift)
        canvas.drawText(text)
        canvas.restoreState()

    def _draw_one_font(self, lines, x: float, y: float, fill=None) -> None:
        """`drawPara` for lines of one fragment (kind 0): one font and colour for all the text."""
        canvas, style, lines_of = self.canv, self.style, self.blPara
        canvas.saveState()
        top = lines_of.fontSize if rl_paragraph.paraFontSizeHeightOffset else lines_of.ascent
        if not (isinstance(fill, Color) and fill == lines_of.textColor):
            canvas.setFillColor(lines_of.textColor)
        text = canvas.beginText(x + style.leftIndent, y + self.height - top)
        text.preformatted = False
        text.direction = style.wordWrap
        text.setFont(lines_of.fontName, lines_of.fontSize, style.leading)
        centred = style.alignment == TA_CENTER
        for number, (extra_space, words) in enumerate(lines):
            offset = style.firstLineIndent if number == 0 else 0
            shift = offset + 0.5 * extra_space if centred else offset
            _set_x(text, shift)
            text._textOut(" ".join(words), 1)
            _set_x(text, -shift)
        canvas.drawText(text)
        canvas.restoreState()

    def _plain_kind(self) -> int | None:
        """The kind of lines `draw` may draw itself (0: one fragment, 1: Chinese-wrapped fragments),
        or None: left or centred lines with nothing but text in fonts and colours (see `drawPara`
        for all the rest)."""
        style, lines_of = self.style, self.blPara
        kind, lines = getattr(lines_of, "kind", None), getattr(lines_of, "lines", None)
        if (
            kind not in (0, 1)
            or lines is None
            or self.debug
            or self.bulletText
            or hasattr(self, "_offsets")
            or style.alignment not in (TA_LEFT, TA_CENTER)
            or style.wordWrap != "CJK"
            or style.endDots
            or style.backColor
            or (style.borderWidth and style.borderColor)
            or getattr(self, "autoLeading", getattr(style, "autoLeading", "")) not in ("", "off")
        ):
            return None
        if kind == 0:
            plain = (
                not hasattr(lines_of, "cbDefn")
                and not lines_of.rise
                and not lines_of.us_lines
                and not lines_of.link
                and not getattr(lines_of, "backColor", None)
                and all(extra_space > -1e-8 for extra_space, _words in lines)
            )
            return 0 if plain else None
        plain = all(
            line.extraSpace > -1e-8
            and all(
                not hasattr(word, "cbDefn")
                and not word.rise
                and not word.us_lines
                and not word.link
                and not getattr(word, "backColor", None)
                for word in line.words
            )
            for line in lines
        )
        return 1 if plain else None

    def breakLinesCJK(self, maxWidths):
        frags, style = self.frags, self.style
        plain = (
            frags
            and not self.bulletText
            and not style.endDots
            and not getattr(self, "_splitpara", 0)
            and not any(hasattr(frag, "cbDefn") for frag in frags)
            and all(isinstance(getattr(frag, "text", None), str) for frag in frags)
        )
        if not plain:  # a bullet, inline images, a part of a split...: ReportLab's own way
            return super().breakLinesCJK(maxWidths)
        self.height = 0
        widths = maxWidths if isinstance(maxWidths, (list, tuple)) else [maxWidths]
        if len(frags) > 1:
            return _cjk_lines(frags, widths)
        # One fragment: ReportLab's `wordSplit` (its `dumbSplit` on the glyph widths).
        (frag,) = frags
        glyphs = _glyph_widths_of(frag.text, frag.fontName, frag.fontSize)
        lines = rl_textsplit.dumbSplit(frag.text, glyphs, widths)
        return frag.clone(
            kind=0,
            lines=[(space, [line]) for space, line in lines],
            ascent=frag.fontSize,
            descent=-0.2 * frag.fontSize,
        )


def text_paragraph(text: str, style: ParagraphStyle, lead: str = "") -> Paragraph:
    """A Paragraph printing user text literally: `Paragraph(lead + paragraph_markup(text), style)`.

    `lead`: fixed markup of ours before the text (a label), parsed once as `label_paragraph` does;
    it must end in a closing tag, and the text must not start with white space, so that cleaning
    the two apart is cleaning them together.
    """
    markup = cleanBlockQuotedText(paragraph_markup(text))
    frags = _text_frags(markup, style)
    if lead:
        markup = cleanBlockQuotedText(lead + markup)
        if frags is not None and lead.endswith(">") and not text[:1].isspace():
            frags = [frag.clone() for frag in _label_frags(lead, style)] + frags
        else:
            frags = None
    if frags is None:  # not the shape `paragraph_markup` writes: the parser reads it
        return Paragraph(markup, style)
    return Paragraph(markup, style, frags=frags)


_labels: dict[tuple[str, int], tuple[ParagraphStyle, str, list]] = {}


def label_paragraph(markup: str, style: ParagraphStyle) -> Paragraph:
    """A Paragraph of fixed markup of ours (a label, never user text), parsed once per style.

    Only for markup from a bounded set of constants: every markup is kept for the process."""
    cleaned, frags = _label(markup, style)
    return Paragraph(cleaned, style, frags=[frag.clone() for frag in frags])


def _label_frags(markup: str, style: ParagraphStyle) -> list:
    return _label(markup, style)[1]


def _label(markup: str, style: ParagraphStyle) -> tuple[str, list]:
    """The cleaned markup of a label and its fragments, made once per style."""
    key = (markup, id(style))
    known = _labels.get(key)
    if known is None or known[0] is not style:  # the style held here keeps its id from reuse
        known = _labels[key] = (style, cleanBlockQuotedText(markup), _parse(markup, style))
    return known[1], known[2]


def _parse(markup: str, style: ParagraphStyle) -> list:
    parser = ParaParser()
    parser.caseSensitive = 1
    parsed_style, frags, _bullet = parser.parse(cleanBlockQuotedText(markup), style)
    if frags is None or parsed_style is not style:
        raise ValueError(f"unexpected markup: {markup[:40]!r}")
    return frags


# The parser's fragment for each shape, per style (weak: styles made per document are let go).
_templates: "weakref.WeakKeyDictionary[ParagraphStyle, tuple]" = weakref.WeakKeyDictionary()


def _shapes(style: ParagraphStyle) -> tuple:
    shapes = _templates.get(style)
    if shapes is None:
        (cjk,) = _parse("x", style)
        (latin,) = _parse(f"{_LATIN_OPEN}x</font>", style)
        (line_break,) = _parse("<br/>", style)
        shapes = _templates[style] = (cjk, latin, line_break)
    return shapes


def _text_frags(markup: str, style: ParagraphStyle) -> list | None:
    """The parser's fragments of cleaned `paragraph_markup` output, or None if it is not that."""
    cjk, latin, line_break = _shapes(style)
    frags, position = [], 0
    for match in _TOKEN.finditer(markup):
        if match.start() != position:
            return None
        position = match.end()
        latin_run, cjk_run = match.group(1), match.group(2)
        if latin_run is None and cjk_run is None:
            frags.append(line_break.clone())
            continue
        shape = cjk if latin_run is None else latin
        for piece in _ENTITY.split(cjk_run if latin_run is None else latin_run):
            if piece:
                frags.append(shape.clone(text=_UNESCAPED.get(piece, piece)))
    return frags if position == len(markup) else None


def _set_x(text, dx: float) -> None:
    """`reportlab.platypus.paragraph.setXPos`: no operator for no move."""
    if dx > 1e-6 or dx < -1e-6:
        text.setXPos(dx)


# Glyph widths by font and size: font metrics, the same for every document.
_glyph_widths: dict[tuple[str, float], dict[str, float]] = {}


def _glyph_widths_of(text: str, font: str, size: float) -> list[float]:
    """`stringWidth` of each glyph of the text, each glyph measured once per font and size."""
    known = _glyph_widths.setdefault((font, size), {})
    widths = []
    for char in text:
        width = known.get(char)
        if width is None:
            width = known[char] = rl_paragraph.stringWidth(char, font, size)
        widths.append(width)
    return widths


def _cjk_lines(frags, max_widths):
    """`reportlab.platypus.paragraph.cjkFragSplit` for fragments without inline images: the same
    lines, as the same objects, from the same arithmetic in the same order (the line ends, and the
    widths and spaces each line records, are identical)."""
    chars, widths, starts = [], [], []  # starts: where each fragment's glyphs begin
    breaks = set()  # the glyphs that are line breaks
    for frag in frags:
        starts.append(len(chars))
        text = frag.text
        if not text:  # a line break (or an empty run) is one glyph of no width
            if hasattr(frag, "lineBreak"):
                breaks.add(len(chars))
            chars.append("")
            widths.append(rl_paragraph.stringWidth("", frag.fontName, frag.fontSize))
            continue
        if hasattr(frag, "lineBreak"):  # (the parser gives a break no text; kept as ReportLab does)
            breaks.update(range(len(chars), len(chars) + len(text)))
        chars.extend(text)
        widths.extend(_glyph_widths_of(text, frag.fontName, frag.fontSize))
    starts.append(len(chars))
    fuzz, cannot_start, category = rl_paragraph._FUZZ, rl_paragraph.ALL_CANNOT_START, rl_paragraph.category
    lines = []
    i = width_used = line_start = 0
    max_width = max_widths[0]
    count = len(chars)
    while i < count:
        char, width = chars[i], widths[i]
        line_break = i in breaks
        i += 1
        width_used += width
        if (width_used > max_width + fuzz and width_used > 0) or line_break:
            extra_space = max_width - width_used
            if not line_break:
                if ord(char) < 0x3000:
                    # inside a Latin word: back to a space or a CJK glyph, at most half the line
                    for j in range(i - 1, (line_start + i) >> 1, -1):
                        other = chars[j]
                        if other and category(other) == "Zs" or ord(other) >= 0x3000:
                            k = j + 1
                            if k < i:
                                j = k + 1
                                extra_space += sum(widths[n] for n in range(j, i))
                                width, char = widths[k], chars[k]
                                i = j
                                break
                if char not in cannot_start and i > line_start + 1:
                    i -= 1
                    extra_space += width
            lines.append(
                _cjk_line(chars, frags, starts, line_start, i, max_width, width_used, extra_space, line_break)
            )
            max_width = max_widths[len(lines)] if len(lines) < len(max_widths) else max_widths[-1]
            line_start = i
            width_used = 0
    if width_used > 0:
        extra_space = max_width - width_used
        lines.append(
            _cjk_line(chars, frags, starts, line_start, count, max_width, width_used, extra_space, False)
        )
    return rl_paragraph.ParaLines(kind=1, lines=lines)


def _cjk_line(chars, frags, starts, start, stop, max_width, width_used, extra_space, line_break):
    """`reportlab.platypus.paragraph.makeCJKParaLine` (without inline images): the line of glyphs
    start to stop, the glyphs of consecutive fragments that look the same joined into one word.
    Taken a fragment at a time: a fragment's glyphs share its font, size and look."""
    same_frag, ascent_descent = rl_paragraph.sameFrag, rl_paragraph.getAscentDescent
    words, run = [], []
    current = rl_paragraph.FragLine()
    max_size = max_ascent = min_descent = 0
    number = bisect_right(starts, start) - 1
    while start < stop:
        frag = frags[number]
        end = min(starts[number + 1], stop)
        number += 1
        ascent, descent = ascent_descent(frag.fontName, frag.fontSize)
        max_size = max(max_size, frag.fontSize)
        max_ascent = max(max_ascent, ascent)
        min_descent = min(min_descent, descent)
        if not same_frag(current, frag):
            current = current.clone()
            current.text = "".join(run)
            words.append(current)
            run = []
            current = frag
        run.append("".join(chars[start:end]))
        start = end
    if run:
        current = current.clone()
        current.text = "".join(run)
        words.append(current)
    return rl_paragraph.FragLine(
        kind=1,
        extraSpace=extra_space,
        wordCount=1,
        words=words[1:],
        fontSize=max_size,
        ascent=max_ascent,
        descent=min_descent,
        maxWidth=max_width,
        currentWidth=width_used,
        lineBreak=line_break,
    )
