"""Server-rendered SVG charts for the bureau dashboards: no JavaScript, no inline styles.

Every chart is a standalone `<svg>` that scales to its container (viewBox, width 100%),
names itself for screen readers (role="img", aria-label, <title>) and lists its data
in <desc>. Colours are SVG presentation attributes, which the app's stylesheet can
override through the CSS classes (`chart-bar`, `chart-line`, `chart-point`,
`chart-part chart-part-N`, `chart-grid`, `chart-axis-label`, `chart-value`,
`chart-empty`); presentation attributes are not `style`, so a strict CSP allows them.
Callers pass translated text (titles, the "no data" text) and wrap the returned
string in `Markup`: all text inside has been XML-escaped here.
"""

import html
import math
import re
import unicodedata
from collections.abc import Callable, Sequence
from decimal import Decimal
from functools import lru_cache

Number = int | Decimal | float

# Okabe–Ito: distinguishable for colour-blind readers, readable on white (yellow left out).
PALETTE = ("#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#999999", "#000000")
TEXT_COLOUR = "#212529"
MUTED_COLOUR = "#6c757d"
GRID_COLOUR = "#dee2e6"

FONT_SIZE = 13
TITLE_FONT_SIZE = 15
PAD = 12
ELLIPSIS = "…"

# Characters XML 1.0 refuses even when escaped; outlet names come from user input.
_XML_ILLEGAL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def format_number(value: Number) -> str:
    """Format a count or score with thousands separators, keeping a Decimal's places."""
    if isinstance(value, Decimal):
        return f"{value:,f}"
    if isinstance(value, float):
        return f"{value:,g}"
    return f"{value:,}"


def bar_chart(
    series: Sequence[tuple[str, Number]],
    *,
    title: str,
    empty_text: str,
    width: int = 640,
    height: int | None = None,
    show_title: bool = True,
    value_format: Callable[[Number], str] = format_number,
) -> str:
    """Draw horizontal bars with value labels; height fits the bars unless given."""
    if not series:
        return _empty_chart(title, empty_text, width, show_title)
    labels = [value_format(value) for _, value in series]
    top = _top(show_title)
    slot = 30.0 if height is None else max(8.0, (height - top - PAD) / len(series))
    height = height if height is not None else int(top + slot * len(series) + PAD)
    bar_height = slot * 0.7

    label_width = min(max(_text_width(name) for name, _ in series) + 8, width * 0.35)
    value_width = max(_text_width(label) for label in labels) + 8
    x0 = PAD + label_width
    bar_space = max(1.0, width - PAD - value_width - x0)
    largest = max(max(float(value) for _, value in series), 0.0)

    parts = _open(width, height, title, _describe(series, labels), "chart-bars", show_title)
    for index, ((name, value), label) in enumerate(zip(series, labels, strict=True)):
        y = top + index * slot + (slot - bar_height) / 2
        text_y = y + bar_height / 2 + FONT_SIZE * 0.35
        # Negative values have no place on a count axis: they draw as zero but keep their label.
        length = bar_space * max(float(value), 0.0) / largest if largest else 0.0
        parts.append(
            f'<text class="chart-axis-label" x="{_n(x0 - 8)}" y="{_n(text_y)}" text-anchor="end" '
            f'fill="{TEXT_COLOUR}">{_esc(_truncate(name, label_width - 8))}<title>{_esc(name)}</title></text>'
        )
        parts.append(
            f'<rect class="chart-bar" x="{_n(x0)}" y="{_n(y)}" width="{_n(length)}" '
            f'height="{_n(bar_height)}" fill="{PALETTE[0]}"><title>{_esc(name)}: {_esc(label)}</title></rect>'
        )
        parts.append(
            f'<text class="chart-value" x="{_n(x0 + length + 6)}" y="{_n(text_y)}" '
            f'fill="{TEXT_COLOUR}">{_esc(label)}</text>'
        )
    parts.append("</svg>")
    return "".join(parts)


def line_chart(
    points: Sequence[tuple[str, Number]],
    *,
    title: str,
    empty_text: str,
    width: int = 640,
    height: int = 260,
    show_title: bool = True,
    value_format: Callable[[Number], str] = format_number,
) -> str:
    """Draw a trend (e.g. month by month) with a labelled value axis and category axis."""
    if not points:
        return _empty_chart(title, empty_text, width, show_title)
    values = [float(value) for _, value in points]
    integral = all(not isinstance(value, float | Decimal) for _, value in points)
    ticks = _nice_ticks(min(values), max(values), integral=integral)
    tick_labels = [value_format(int(t) if integral else Decimal(str(t))) for t in ticks]

    top = _top(show_title)
    x0 = PAD + max(max(_text_width(label) for label in tick_labels) + 8, _text_width(points[0][0]) / 2)
    x1 = width - PAD - _text_width(points[-1][0]) / 2
    y0, y1 = height - PAD - FONT_SIZE - 8, top + FONT_SIZE  # y0 is the axis at the bottom
    lo, hi = ticks[0], ticks[-1]

    def y_of(value: float) -> float:
        return y0 - (value - lo) / (hi - lo) * (y0 - y1)

    def x_of(index: int) -> float:
        return (x0 + x1) / 2 if len(points) == 1 else x0 + index * (x1 - x0) / (len(points) - 1)

    labels = [value_format(value) for _, value in points]
    parts = _open(width, height, title, _describe(points, labels), "chart-line-chart", show_title)
    for tick, tick_label in zip(ticks, tick_labels, strict=True):
        y = y_of(tick)
        parts.append(
            f'<line class="chart-grid" x1="{_n(x0)}" y1="{_n(y)}" x2="{_n(x1)}" y2="{_n(y)}" '
            f'stroke="{GRID_COLOUR}"/>'
            f'<text class="chart-axis-label" x="{_n(x0 - 8)}" y="{_n(y + FONT_SIZE * 0.35)}" '
            f'text-anchor="end" fill="{MUTED_COLOUR}">{_esc(tick_label)}</text>'
        )
    # Show every n-th category label so that they never overlap.
    widest = max(_text_width(name) for name, _ in points) + 8
    step = max(1, math.ceil(widest * len(points) / max(x1 - x0 + widest, 1.0)))
    for index, (name, _) in enumerate(points):
        if index % step == 0:
            parts.append(
                f'<text class="chart-axis-label" x="{_n(x_of(index))}" y="{_n(height - PAD)}" '
                f'text-anchor="middle" fill="{MUTED_COLOUR}">{_esc(name)}</text>'
            )
    coords = " ".join(f"{_n(x_of(i))},{_n(y_of(v))}" for i, v in enumerate(values))
    parts.append(
        f'<polyline class="chart-line" points="{coords}" fill="none" stroke="{PALETTE[0]}" '
        'stroke-width="2.5"/>'
    )
    for index, ((name, _), label) in enumerate(zip(points, labels, strict=True)):
        parts.append(
            f'<circle class="chart-point" cx="{_n(x_of(index))}" cy="{_n(y_of(values[index]))}" r="4" '
            f'fill="{PALETTE[0]}"><title>{_esc(name)}: {_esc(label)}</title></circle>'
        )
    parts.append("</svg>")
    return "".join(parts)


def donut_chart(
    parts: Sequence[tuple[str, Number]],
    *,
    title: str,
    empty_text: str,
    centre_label: str = "",
    width: int = 480,
    show_title: bool = True,
    value_format: Callable[[Number], str] = format_number,
) -> str:
    """Draw parts of a whole (e.g. certificates by state) as a ring with a legend and the total."""
    total = sum(max(float(value), 0.0) for _, value in parts)
    if not parts or total == 0:
        return _empty_chart(title, empty_text, width, show_title)
    labels = [value_format(value) for _, value in parts]
    top = _top(show_title)
    radius, ring = 60.0, 26.0
    legend_row, line_height = 24.0, FONT_SIZE * 1.3
    cx = PAD + radius + ring / 2
    legend_x = cx + radius + ring / 2 + 24
    # The legend wraps instead of being cut: a long district or state name in any language is read
    # whole, the chart grows taller for it.
    shares = [max(float(value), 0.0) / total for _, value in parts]
    legend_lines = [
        _wrap(f"{name}  {label} ({share * 100:.0f}%)", width - PAD - legend_x - 20)
        for (name, _), label, share in zip(parts, labels, shares, strict=True)
    ]
    legend_height = sum(legend_row + line_height * (len(lines) - 1) for lines in legend_lines)
    height = int(top + max(2 * radius + ring, legend_height) + PAD)
    cy = top + (height - top - PAD) / 2
    circumference = 2 * math.pi * radius

    out = _open(width, height, title, _describe(parts, labels), "chart-donut", show_title)
    out.append(
        f'<circle class="chart-donut-track" cx="{_n(cx)}" cy="{_n(cy)}" r="{_n(radius)}" fill="none" '
        f'stroke="{GRID_COLOUR}" stroke-width="{_n(ring)}"/>'
    )
    offset = 0.0
    y = cy - legend_height / 2
    rows = zip(parts, labels, shares, legend_lines, strict=True)
    for index, ((name, _), label, share, lines) in enumerate(rows):
        colour = PALETTE[index % len(PALETTE)]
        css = f"chart-part chart-part-{index}"
        percent = f"{share * 100:.0f}%"
        if share > 0:
            length = share * circumference
            # A dash of the arc's length, starting where the previous part ended, from 12 o'clock.
            out.append(
                f'<circle class="{css}" cx="{_n(cx)}" cy="{_n(cy)}" r="{_n(radius)}" fill="none" '
                f'stroke="{colour}" stroke-width="{_n(ring)}" '
                f'stroke-dasharray="{_n(length)} {_n(circumference)}" stroke-dashoffset="{_n(-offset)}" '
                f'transform="rotate(-90 {_n(cx)} {_n(cy)})"><title>{_esc(name)}: {_esc(label)} '
                f"({percent})</title></circle>"
            )
            offset += length
        spans = "".join(
            f'<tspan x="{_n(legend_x + 20)}" dy="{_n(line_height if number else 0)}">{_esc(line)}</tspan>'
            for number, line in enumerate(lines)
        )
        out.append(
            f'<rect class="{css}" x="{_n(legend_x)}" y="{_n(y + 5)}" width="14" height="14" fill="{colour}"/>'
            f'<text class="chart-legend" x="{_n(legend_x + 20)}" y="{_n(y + 12 + FONT_SIZE * 0.35)}" '
            f'fill="{TEXT_COLOUR}">{spans}</text>'
        )
        y += legend_row + line_height * (len(lines) - 1)
    total_value = sum((value for _, value in parts), start=0)
    centre_y = cy + (0 if centre_label else 6)
    out.append(
        f'<text class="chart-total" x="{_n(cx)}" y="{_n(centre_y)}" text-anchor="middle" font-size="20" '
        f'font-weight="bold" fill="{TEXT_COLOUR}">{_esc(value_format(total_value))}</text>'
    )
    if centre_label:
        out.append(
            f'<text class="chart-total-label" x="{_n(cx)}" y="{_n(cy + 20)}" text-anchor="middle" '
            f'fill="{MUTED_COLOUR}">{_esc(_truncate(centre_label, 2 * radius - ring))}</text>'
        )
    out.append("</svg>")
    return "".join(out)


def _empty_chart(title: str, empty_text: str, width: int, show_title: bool) -> str:
    top = _top(show_title)
    height = top + 80
    parts = _open(width, height, title, empty_text, "chart-no-data", show_title)
    parts.append(
        f'<text class="chart-empty" x="{_n(width / 2)}" y="{_n(top + 40)}" text-anchor="middle" '
        f'fill="{MUTED_COLOUR}">{_esc(empty_text)}</text></svg>'
    )
    return "".join(parts)


def _open(width: int, height: float, title: str, desc: str, kind: str, show_title: bool) -> list[str]:
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart {kind}" viewBox="0 0 {width} {_n(height)}" '
        f'width="100%" preserveAspectRatio="xMidYMid meet" role="img" aria-label="{_esc(title)}" '
        f'font-family="system-ui, -apple-system, &quot;PingFang SC&quot;, &quot;Microsoft YaHei&quot;, '
        f'sans-serif" font-size="{FONT_SIZE}">',
        f"<title>{_esc(title)}</title><desc>{_esc(desc)}</desc>",
    ]
    if show_title:
        visible_title = _truncate(title, width - 2 * PAD, TITLE_FONT_SIZE)
        parts.append(
            f'<text class="chart-title" x="{PAD}" y="{PAD + TITLE_FONT_SIZE}" font-size="{TITLE_FONT_SIZE}" '
            f'font-weight="bold" fill="{TEXT_COLOUR}">{_esc(visible_title)}</text>'
        )
    return parts


def _top(show_title: bool) -> float:
    return PAD + TITLE_FONT_SIZE + 16 if show_title else PAD


def _describe(data: Sequence[tuple[str, Number]], labels: Sequence[str]) -> str:
    return "; ".join(f"{name}: {label}" for (name, _), label in zip(data, labels, strict=True))


def _nice_ticks(low: float, high: float, *, integral: bool, count: int = 4) -> list[float]:
    """Return evenly spaced round tick values covering zero, low and high."""
    low, high = min(low, 0.0), max(high, 0.0)
    if high == low:
        high = low + 1
    raw = (high - low) / count
    magnitude = 10 ** math.floor(math.log10(raw))
    step = next(m * magnitude for m in (1, 2, 2.5, 5, 10) if m * magnitude >= raw)
    if integral:
        step = max(1, math.ceil(step))
    first, last = math.floor(low / step), math.ceil(high / step)
    return [round(i * step, 10) for i in range(first, last + 1)]


@lru_cache(maxsize=4096)  # the same labels come back on every dashboard request
def _text_width(text: str, font_size: float = FONT_SIZE) -> float:
    """Estimate rendered width: CJK characters are square, Latin ones about 0.6 em."""
    return sum(1.0 if unicodedata.east_asian_width(c) in "WF" else 0.6 for c in text) * font_size


def _truncate(text: str, max_width: float, font_size: float = FONT_SIZE) -> str:
    if _text_width(text, font_size) <= max_width:
        return text
    while text and _text_width(text + ELLIPSIS, font_size) > max_width:
        text = text[:-1]
    return text + ELLIPSIS


def _wrap(text: str, max_width: float, font_size: float = FONT_SIZE) -> list[str]:
    """Break text into lines no wider than max_width: after a space in Latin text, anywhere in Chinese."""
    lines, line = [], ""
    for word in re.findall(r"\S+\s*|\s+", text):
        pieces = [word] if _text_width(word.rstrip(), font_size) <= max_width else list(word)
        for piece in pieces:
            if line and _text_width((line + piece).rstrip(), font_size) > max_width:
                lines.append(line.rstrip())
                line = piece.lstrip()
            else:
                line += piece
    if line.strip() or not lines:
        lines.append(line.rstrip())
    return lines


def _esc(text: str) -> str:
    return html.escape(_XML_ILLEGAL.sub("", str(text)), quote=True)


def _n(value: float) -> str:
    """Write a coordinate with one decimal at most."""
    text = f"{value:.1f}"
    if text == "-0.0":
        return "0"
    return text[:-2] if text.endswith(".0") else text
