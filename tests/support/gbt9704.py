"""Measuring a rendered 公文 PDF against GB/T 9704-2012, shared by the 套红 tests and the browser walk.

Positions are millimetres from the page's top-left corner. Text lines come from poppler's word boxes
(`redhead.pdf_lines`), horizontal rules from the content streams (`redhead.pdf_rules`), and the ink of
the glyphs (where a character's strokes actually begin and end, which a font's box does not tell) from
the page rasterised by pdftoppm at 10 pixels a millimetre.
"""

from __future__ import annotations

import io
import subprocess
from dataclasses import dataclass
from pathlib import Path

from documents import redhead

PX_PER_MM = 10
VERSION_TOP = redhead.TOP_MM  # the 版心's top edge, 37 mm
VERSION_BOTTOM = redhead.PAGE_H_MM - redhead.BOTTOM_MM  # its bottom edge, 262 mm
VERSION_LEFT, VERSION_RIGHT = redhead.LEFT_MM, redhead.PAGE_W_MM - redhead.RIGHT_MM  # 28 and 184 mm
CENTRE = (VERSION_LEFT + VERSION_RIGHT) / 2  # 106 mm
ONE_CHAR = redhead.BODY_PT / 72 * 25.4  # one 3号 character, 5.64 mm


@dataclass(frozen=True)
class Box:
    """The ink of a region: its extent in millimetres."""

    left: float
    top: float
    right: float
    bottom: float


def ink(pdf: Path, page: int, *, red: bool, top: float = 0, bottom: float = 297, left: float = 0,
        right: float = 210) -> Box | None:
    """The extent of the red (`red`) or dark (not red) ink of page `page` (0-based) within the given band
    (mm), or None when there is none. Red: R > 150, G and B < 110; dark: every channel < 120."""
    from PIL import Image, ImageChops

    done = subprocess.run(["pdftoppm", "-r", str(round(PX_PER_MM * 25.4)), "-f", str(page + 1), "-l",
                           str(page + 1), "-png", str(pdf)], capture_output=True, check=True, timeout=120)
    image = Image.open(io.BytesIO(done.stdout)).convert("RGB")
    crop = image.crop((left * PX_PER_MM, top * PX_PER_MM, right * PX_PER_MM, bottom * PX_PER_MM))
    r, g, b = crop.split()
    if red:
        mask = ImageChops.multiply(ImageChops.multiply(r.point(lambda v: 255 if v > 150 else 0),
                                                       g.point(lambda v: 255 if v < 110 else 0)),
                                   b.point(lambda v: 255 if v < 110 else 0))
    else:
        mask = ImageChops.multiply(ImageChops.multiply(r.point(lambda v: 255 if v < 120 else 0),
                                                       g.point(lambda v: 255 if v < 120 else 0)),
                                   b.point(lambda v: 255 if v < 120 else 0))
    box = mask.getbbox()
    if box is None:
        return None
    x0, y0, x1, y1 = box
    return Box(left + x0 / PX_PER_MM, top + y0 / PX_PER_MM, left + x1 / PX_PER_MM, top + y1 / PX_PER_MM)


@dataclass(frozen=True)
class Head:
    """The measured 版头 of a first page (mm): the mark's red ink, the 发文字号's line and ink, the red rule."""

    mark: Box
    number: redhead.Line
    number_ink: Box
    separator: redhead.Rule
    title: redhead.Line


def head(pdf: Path, number_text: str, title_text: str) -> Head:
    """Measure the first page's 版头: the 发文机关标志 (the red ink above the red rule), the line holding
    `number_text` (its dark ink), the red separator rule and the title line starting with `title_text`."""
    lines = redhead.pdf_lines(pdf)[0]
    rules = [r for r in redhead.pdf_rules(pdf)[0] if r.color == redhead.RED]
    assert rules, "no red rule on the first page"
    separator = rules[0]
    mark = ink(pdf, 0, red=True, top=0, bottom=separator.y - 2)
    assert mark is not None, "no red mark above the red rule"
    number = next(line for line in lines if number_text in line.text)
    number_ink = ink(pdf, 0, red=False, top=number.top - 1, bottom=number.bottom + 0.5)
    assert number_ink is not None
    title = next(line for line in lines if line.text.startswith(title_text))
    return Head(mark, number, number_ink, separator, title)
