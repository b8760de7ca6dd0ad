"""Server-rendered SVG charts (no JavaScript, no outside library): horizontal bars and a monthly column chart.

Every text is escaped; colours are SVG presentation attributes (the CSP forbids style attributes).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from markupsafe import Markup, escape

OK, WARN, BAD, NONE, INK, MUTED, LINE = "#1a7f37", "#bf8700", "#b3261e", "#d8dee4", "#1f2328", "#5f6b7a", "#d8dee4"
BLUE = "#1f5fa8"


@dataclass(frozen=True)
class Bar:
    label: str
    value: float | None  # None: no data
    text: str  # what is written at the end of the bar
    note: str = ""  # tooltip


def rate_colour(rate: float | None) -> str:
    """Return green from 90 %, amber from 70 %, red below, grey without data."""
    if rate is None:
        return NONE
    return OK if rate >= 0.9 else WARN if rate >= 0.7 else BAD


def hbars(bars: list[Bar], *, maximum: float, title: str, colour: Callable[[Bar], str] | None = None, width: int = 560,
          row: int = 26, label_width: int = 150) -> Markup:
    """Return a horizontal bar chart: one row per bar, the value written after it."""
    height = 30 + row * max(1, len(bars))
    plot = width - label_width - 130  # room for the value written after a full bar
    out = [f'<svg class="chart" role="img" aria-label="{escape(title)}" viewBox="0 0 {width} {height}" '
           f'width="100%" preserveAspectRatio="xMinYMin meet" xmlns="http://www.w3.org/2000/svg">',
           f'<title>{escape(title)}</title>']
    for tick in (0.0, 0.5, 1.0):
        x = label_width + plot * tick
        out.append(f'<line x1="{x:.1f}" y1="8" x2="{x:.1f}" y2="{height - 18}" stroke="{LINE}" stroke-width="1"/>')
    for i, bar in enumerate(bars):
        y = 12 + i * row
        out.append(f'<text x="{label_width - 8}" y="{y + 14}" text-anchor="end" font-size="13" fill="{INK}">'
                   f'{escape(bar.label)}</text>')
        fill = colour(bar) if colour else BLUE
        length = 0.0 if bar.value is None or maximum <= 0 else max(2.0, plot * min(1.0, bar.value / maximum))
        if bar.value is not None:
            out.append(f'<rect x="{label_width}" y="{y + 2}" width="{length:.1f}" height="{row - 8}" rx="2" '
                       f'fill="{fill}"><title>{escape(bar.note or bar.text)}</title></rect>')
        out.append(f'<text x="{label_width + length + 6:.1f}" y="{y + 14}" font-size="12" '
                   f'fill="{MUTED if bar.value is None else INK}">{escape(bar.text)}</text>')
    out.append("</svg>")
    return Markup("".join(out))


def columns(bars: list[Bar], *, maximum: float, title: str, colour: Callable[[Bar], str] | None = None,
            width: int = 560, height: int = 220) -> Markup:
    """Return a column chart (one column per period, e.g. the twelve months), value above each column."""
    n = max(1, len(bars))
    left, bottom, top = 36, 28, 18
    plot_h = height - bottom - top
    step = (width - left - 8) / n
    out = [f'<svg class="chart" role="img" aria-label="{escape(title)}" viewBox="0 0 {width} {height}" '
           f'width="100%" preserveAspectRatio="xMinYMin meet" xmlns="http://www.w3.org/2000/svg">',
           f'<title>{escape(title)}</title>']
    for tick in (0.0, 0.5, 1.0):
        y = top + plot_h * (1 - tick)
        out.append(f'<line x1="{left}" y1="{y:.1f}" x2="{width - 8}" y2="{y:.1f}" stroke="{LINE}" stroke-width="1"/>')
        out.append(f'<text x="{left - 4}" y="{y + 4:.1f}" text-anchor="end" font-size="10" fill="{MUTED}">'
                   f'{round(maximum * tick * (100 if maximum == 1 else 1))}{"%" if maximum == 1 else ""}</text>')
    for i, bar in enumerate(bars):
        x = left + i * step
        cx = x + step / 2
        out.append(f'<text x="{cx:.1f}" y="{height - 10}" text-anchor="middle" font-size="11" fill="{INK}">'
                   f'{escape(bar.label)}</text>')
        if bar.value is None:
            out.append(f'<text x="{cx:.1f}" y="{top + plot_h - 4}" text-anchor="middle" font-size="10" '
                       f'fill="{MUTED}">—</text>')
            continue
        h = max(2.0, plot_h * min(1.0, bar.value / maximum)) if maximum > 0 else 0
        fill = colour(bar) if colour else BLUE
        out.append(f'<rect x="{x + step * 0.18:.1f}" y="{top + plot_h - h:.1f}" width="{step * 0.64:.1f}" '
                   f'height="{h:.1f}" rx="2" fill="{fill}"><title>{escape(bar.note or bar.text)}</title></rect>')
        out.append(f'<text x="{cx:.1f}" y="{top + plot_h - h - 4:.1f}" text-anchor="middle" font-size="10" '
                   f'fill="{INK}">{escape(bar.text)}</text>')
    out.append("</svg>")
    return Markup("".join(out))
