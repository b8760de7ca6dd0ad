"""Measuring a rendered 公文 PDF against GB/T 9704-2012, shared by the 套红 tests and the browser walk.

Positions are millimetres from the page's top-left corner. Text lines come from poppler's word boxes
(`redhead.pdf_lines`), horizontal rules from the content streams (`redhead.pdf_rules`), and the ink of
the glyphs (where a character's strokes actually begin and end, which a font's box does not tell) from
the page rasterised by pdftoppm at 10 pixels a millimetre.
"""

from __future__ import annotations

import base64
import io
import subprocess
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from docx import Document
from docx.shared import Mm

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


TEXT = "为切实做好冬春森林防火工作，确保全市森林资源安全，现将有关事项通知如下。各区县林业局要高度重视，层层压实责任。"


# A 2 × 2 red PNG (the 正文's image).
PNG = base64.b64decode("iVBORw0KGgoAAAANSUhEUgAAAAIAAAACCAIAAAD91JpzAAAAFklEQVR4nGP4z8DAwMDAxMDAwMDA"
                       "AAANHQEDasKb6QAAAABJRU5ErkJggg==")


def body_docx(path: Path, paragraphs: int) -> Path:
    body = Document()
    body.sections[0].left_margin = Mm(10)  # the 正文's own margins must not survive
    for _ in range(paragraphs):
        body.add_paragraph("　　" + TEXT * 2)
    body.add_paragraph("一是落实值班制度", style="List Number")
    body.add_paragraph("二是加强火源管控", style="List Number")
    table = body.add_table(rows=2, cols=3)
    table.style = "Table Grid"
    for r in range(2):
        for c in range(3):
            table.cell(r, c).text = f"单元{r}{c}"
    body.add_picture(io.BytesIO(PNG), width=Mm(20))
    body.save(str(path))
    return path


FACTS = redhead.FormalFacts(
    organ_name="示范市林业局", doc_number="示林发〔2026〕12号", title="关于做好冬春森林防火工作的通知",
    main_recipients="各区县林业局，局机关各处室", signed_on=date(2026, 3, 5), issued_by="示范市林业局办公室",
    issued_on=date(2026, 3, 6), cc_recipients="市政府办公室，市应急管理局",
    attachments=("值班表.xlsx", "联系方式.docx"),
    urgency="特急",
)


PITCH = redhead.PITCH_PT / 72 * 25.4  # one line of the grid, 10.2 mm


CLASSIFIED = {"classification": "秘密", "secrecy_period": "1年", "copy_number": "000001", "urgency": "特急"}


def check_head(pdf: Path, facts: redhead.FormalFacts) -> Head:
    """Assert the 版头 of `pdf`'s first page is where §7.2 puts it; return the measurements."""
    found = head(pdf, facts.doc_number, facts.title[:6])
    assert abs(found.mark.top - (VERSION_TOP + 35)) <= 1, found.mark  # §7.2.4: 35 mm below the 版心's top
    assert abs((found.mark.left + found.mark.right) / 2 - CENTRE) <= 1, found.mark  # centred
    assert found.mark.right - found.mark.left <= 156  # no wider than the 版心
    # §7.2.5: two empty lines between the mark and the 发文字号 (plus the leading of the 文号's own line).
    assert abs(found.number_ink.top - found.mark.bottom - (2 * PITCH + PITCH - ONE_CHAR)) <= 1.5, found
    # §7.2.6: the red separator 4 mm below the 发文字号, as wide as the 版心.
    rule = found.separator
    assert rule.color == redhead.RED
    assert abs(rule.y - found.number_ink.bottom - 4) <= 1, (rule, found.number_ink)
    assert abs(rule.left - VERSION_LEFT) <= 1 and abs(rule.right - VERSION_RIGHT) <= 1, rule
    # §7.3.1: the 标题 centred, two empty lines below the red line (its line's top two lines down).
    assert abs((found.title.left + found.title.right) / 2 - CENTRE) <= 1.5
    assert 2 * PITCH - 1 <= found.title.top - rule.y <= 2.5 * PITCH, (found.title, rule)
    if facts.upward:
        signer = next(line for line in redhead.pdf_lines(pdf)[0] if "签发人：" in line.text)
        assert abs(found.number.left - (VERSION_LEFT + ONE_CHAR)) <= 1  # 居左空一字
        assert abs(signer.right - (VERSION_RIGHT - ONE_CHAR)) <= 1  # 居右空一字
        assert abs(signer.top - found.number.top) <= 1
    else:
        assert abs((found.number.left + found.number.right) / 2 - CENTRE) <= 1  # centred
    return found


def check_colophon(pdf: Path, *, cc: bool = True) -> list[redhead.Rule]:
    """Assert the 版记 lines of the last page (§7.4.1; `cc`: with 抄送, so a thin line between); return them."""
    pages = redhead.pdf_rules(pdf)
    assert len(pages) % 2 == 0 or len(pages) == 1  # the last page is even (a one-page document keeps it)
    rules = [r for r in pages[-1] if r.color == "000000" and r.right - r.left > 100 and r.y > 150]
    widths = (0.35, 0.25, 0.35) if cc else (0.35, 0.35)  # thick, (thin,) thick
    assert len(rules) == len(widths), rules
    for rule in rules:
        assert abs(rule.left - VERSION_LEFT) <= 1 and abs(rule.right - VERSION_RIGHT) <= 1, rule
    for rule, width in zip(rules, widths, strict=True):  # ± 0.05 mm
        assert abs(rule.width - width) <= 0.05, rules
    last = rules[-1]
    assert abs(last.y + last.width / 2 - VERSION_BOTTOM) <= 1, last  # on the 版心's bottom edge
    lines = redhead.pdf_lines(pdf)[-1]
    issued = next(line for line in lines if line.text.endswith("印发"))
    office = next(line for line in lines if line.text.endswith("办公室") and abs(line.top - issued.top) < 1)
    assert rules[-2].y < issued.top and issued.bottom < last.y  # 印发机关和印发日期 between thin and thick
    one_char = 14 / 72 * 25.4  # one 4号 character
    assert abs(office.left - (VERSION_LEFT + one_char)) <= 1  # 印发机关 one character in from the left
    assert abs(issued.right - (VERSION_RIGHT - one_char)) <= 1  # 印发日期 one character in from the right
    return rules
