"""The look of the bureau's documents, shared by the certificate and the rectification notice:
their colours, the heading thickened by stroking, the 回纹 corner ornament and the round red seal."""

import math

from reportlab.lib import colors
from reportlab.lib.units import mm
from reportlab.pdfgen.canvas import Canvas

from outlet_audit.pdf.fonts import CJK_FONT, LATIN_SERIF_BOLD, draw_mixed_string

SEAL_RED = colors.HexColor("#D0201C")
BORDER_RED = colors.HexColor("#9E1B1B")
GOLD = colors.HexColor("#B8902F")
INK = colors.HexColor("#222222")
MUTED = colors.HexColor("#666666")
PAPER = colors.HexColor("#FFFDF6")
RULE = colors.HexColor("#D9CBA3")  # the thin lines between the rows of a detail table


# Quotation marks in Times: a viewer that stands in another CJK font for STSong may draw the full-width
# marks at the wrong side of their box, leaving a gap inside the quotes.
_QUOTES = frozenset("“”‘’")


def draw_bold_centred(canvas: Canvas, text: str, x: float, y: float, size: float, color, spacing=0.0):
    """Draw centred CJK text thickened by stroking (STSong has no bold face)."""
    runs = [(LATIN_SERIF_BOLD if character in _QUOTES else CJK_FONT, character) for character in text]
    width = sum(canvas.stringWidth(run, font, size) for font, run in runs) + spacing * max(len(text) - 1, 0)
    # Character spacing and render mode are text state: keep them from leaking into later text.
    canvas.saveState()
    text_object = canvas.beginText(x - width / 2, y)
    text_object.setCharSpace(spacing)
    text_object.setTextRenderMode(2)
    canvas.setFillColor(color)
    canvas.setStrokeColor(color)
    canvas.setLineWidth(size / 40)
    for font, run in runs:
        text_object.setFont(font, size)
        text_object.textOut(run)
    canvas.drawText(text_object)
    canvas.restoreState()


def draw_corner_ornament(canvas: Canvas, x: float, y: float, sx: int, sy: int) -> None:
    """A nested square-bracket motif (回纹) pointing into the page from an inner corner."""
    canvas.setStrokeColor(GOLD)
    canvas.setLineWidth(1.2)
    for reach in (14 * mm, 10 * mm):
        gap = (16 * mm - reach) / 2
        path = canvas.beginPath()
        path.moveTo(x + sx * gap, y + sy * (gap + reach))
        path.lineTo(x + sx * gap, y + sy * gap)
        path.lineTo(x + sx * (gap + reach), y + sy * gap)
        canvas.drawPath(path, stroke=1, fill=0)
    canvas.setFillColor(BORDER_RED)
    canvas.rect(
        x + sx * 6.2 * mm - 1.2 * mm, y + sy * 6.2 * mm - 1.2 * mm, 2.4 * mm, 2.4 * mm, stroke=0, fill=1
    )


def draw_seal(canvas: Canvas, bureau: str, cx: float, cy: float, radius: float, caption: str = "") -> None:
    """Draw a round red seal: the bureau name along the rim, a star, a caption below."""
    canvas.saveState()
    canvas.setStrokeAlpha(0.9)
    canvas.setFillAlpha(0.9)
    canvas.setStrokeColor(SEAL_RED)
    canvas.setFillColor(SEAL_RED)
    canvas.setLineWidth(2.2)
    canvas.circle(cx, cy, radius, stroke=1, fill=0)
    _draw_star(canvas, cx, cy + 0.5 * mm, 5.5 * mm)
    if caption:
        canvas.setFont(CJK_FONT, 6.5)
        canvas.drawCentredString(cx, cy - 9.5 * mm, caption)
    characters = [character for character in bureau if not character.isspace()] or ["章"]
    gaps = max(len(characters) - 1, 1)
    span = min(240.0, 24.0 * gaps)
    step = span / gaps
    text_radius = radius - 4.6 * mm
    size = max(4.0, min(10.0, math.radians(step) * text_radius * 0.95))
    for index, character in enumerate(characters):
        angle = 90 + span / 2 - index * step if len(characters) > 1 else 90
        canvas.saveState()
        canvas.translate(cx, cy)
        canvas.rotate(angle - 90)
        draw_mixed_string(canvas, 0, text_radius - size * 0.4, character, size, anchor="centre")
        canvas.restoreState()
    canvas.restoreState()


def _draw_star(canvas: Canvas, cx: float, cy: float, outer: float) -> None:
    inner = outer * 0.382
    path = canvas.beginPath()
    for point in range(10):
        reach = outer if point % 2 == 0 else inner
        angle = math.radians(90 + point * 36)
        x, y = cx + reach * math.cos(angle), cy + reach * math.sin(angle)
        if point == 0:
            path.moveTo(x, y)
        else:
            path.lineTo(x, y)
    path.close()
    canvas.drawPath(path, stroke=0, fill=1)
