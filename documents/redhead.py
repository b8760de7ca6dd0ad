"""The formatted official document (套红) per GB/T 9704-2012, built from the 正文 .docx and the
document's fields, as .docx (python-docx, the 正文 composed in with docxcompose) and PDF (LibreOffice).

Layout (GB/T 9704-2012, section numbers of the standard):
- §5.2.1 A4 paper; 天头 (top margin) 37 mm, 订口 (left margin) 28 mm; 版心 156 mm × 225 mm, so the right
  margin is 26 mm and the bottom margin 35 mm.
- §5.2.2 正文 in 3号仿宋 (16 pt), 22 lines a page, 28 characters a line: an exact line pitch of
  225 mm / 22 ≈ 28.95 pt and a character pitch of 156 mm / 28 ≈ 15.79 pt (16 pt condensed by 0.2 pt).
- §7.2 版头: 份号 (classified documents only, 6 digits), 密级★保密期限 and 紧急程度 at the top left in
  3号黑体; the 发文机关标志 (the organ's name + 文件) centred in red 小标宋; 发文字号 centred below it for
  a 下行文, or at the left with 签发人 at the right for a 上行文; then the red separator line the width
  of the 版心.
- §7.3 主体: 标题 in 2号小标宋 centred; 主送机关 at the left margin followed by a full-width colon; the 正文;
  附件说明 (附件：1. ...) two characters in; 署名 and 成文日期 (the 签发 date, Arabic numerals,
  §7.3.5.1) at the right, four characters from the right edge.
- §7.4 版记: 抄送机关 and 印发机关和印发日期 between a thick first and last line with a thin line between,
  at the bottom of the last page, which must be an even page: when the text ends on an odd page an
  unnumbered page is added for the 版记.
- §7.5 页码: 「— 1 —」 in 4号半角宋体 below the 版心, odd pages at the right, even pages at the left,
  one character in from the edge.

The .docx names the standard's fonts (仿宋_GB2312, 方正小标宋简体, 黑体); Word on a desk uses them.
LibreOffice on the server renders them with the free faces mapped in fileformats/fonts.conf.
"""

from __future__ import annotations

import copy
import math
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

from core.messages import msg
from fileformats import office

MM = 36000  # EMU per millimetre
PAGE_W_MM, PAGE_H_MM = 210, 297
TOP_MM, LEFT_MM, RIGHT_MM, BOTTOM_MM = 37, 28, 26, 35  # §5.2.1: 版心 156 × 225 mm
LINES_PER_PAGE, CHARS_PER_LINE = 22, 28  # §5.2.2
# 225 mm / 22 = 28.99 pt; LibreOffice keeps 1/100 mm, so 28.9 pt (578 twips) makes sure 22 lines fit.
LINE_PITCH_TWIPS = int((PAGE_H_MM - TOP_MM - BOTTOM_MM) / 25.4 * 72 / LINES_PER_PAGE * 20) - 1
BODY_PT = 16  # 3号
TITLE_PT = 22  # 2号
MARK_PT = 32  # the 发文机关标志 (a bureau's usual size; §7.2.4 leaves it to the organ, ≤ 版心 width)
PAGE_NO_PT = 14  # 4号
RED = "E60012"  # the red of 红头 lines and marks
FANGSONG, XIAOBIAOSONG, HEITI, SONGTI = "仿宋_GB2312", "方正小标宋简体", "黑体", "宋体"
# 16 pt characters condensed to 156 mm / 28: -0.2 pt, in twentieths of a point.
CHAR_SPACING_TWIPS = math.floor((156 / 25.4 * 72 / CHARS_PER_LINE - BODY_PT) * 20)  # -5: 28 fit, not 27


@dataclass(frozen=True)
class FormalFacts:
    """What the 版头, 主体 and 版记 say, taken from the document and the settings."""

    organ_name: str  # 发文机关 (署名)
    doc_number: str  # 发文字号, e.g. 示林发〔2026〕12号
    title: str
    main_recipients: str  # 主送机关
    signed_on: date  # 成文日期 = the 签发 date
    issued_by: str  # 印发机关 (the office), e.g. 示范市林业局办公室
    issued_on: date  # 印发日期 (the 编号 date)
    cc_recipients: str = ""  # 抄送机关
    attachments: tuple[str, ...] = ()  # 附件 names, in order
    classification: str = ""  # 密级 label when 秘密 or above (e.g. 秘密), else ""
    secrecy_period: str = ""  # 保密期限, e.g. 1年 (printed after ★ when given)
    copy_number: str = ""  # 份号 (6 digits) for classified documents
    urgency: str = ""  # 特急 / 加急, else ""
    upward: bool = False  # 上行文: 发文字号 at the left, 签发人 at the right
    signer: str = ""  # 签发人 (上行文)

    @property
    def organ_mark(self) -> str:
        """The 发文机关标志: the organ's name followed by 文件 (§7.2.4)."""
        return f"{self.organ_name}文件"


def chinese_date(day: date) -> str:
    """成文日期 in Arabic numerals without leading zeros: 2026年3月5日 (§7.3.5.1)."""
    return f"{day.year}年{day.month}月{day.day}日"


def build_docx(facts: FormalFacts, body: Path | None, target: Path, *, colophon_pages: int = 0,
               colophon_drop_pt: float = 0.0) -> Path:
    """Write the 套红 .docx for `facts` with the 正文 `body` (.docx, composed in; None: no body) to `target`.

    `colophon_pages` (0, 1 or 2) starts the 版记 that many pages later, on pages without a page number
    (so that it lands on an even page); `colophon_drop_pt` is the empty space put above the 版记 so that
    its last line is the last line of the 版心 (measured by `build` from a first rendering).
    Raises ValueError when the 正文 is not a Word file.
    """
    from docx import Document as new_document
    from docx.enum.section import WD_SECTION
    from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_BREAK
    from docx.shared import Emu, Pt

    doc = new_document()
    _page_setup(doc.sections[0], Emu)
    _styles(doc, Pt)
    _even_odd_page_numbers(doc, doc.sections[0], WD_ALIGN_PARAGRAPH, Pt)

    def para(text: str = "", *, font: str = FANGSONG, size: float = BODY_PT, color: str | None = None,
             align: Any = None, bold: bool = False, indent_chars: float = 0, right_chars: float = 0):  # type: ignore[no-untyped-def]
        p = doc.add_paragraph()
        if align is not None:
            p.alignment = align
        if indent_chars:
            p.paragraph_format.first_line_indent = Pt(BODY_PT * indent_chars)
        if right_chars:
            p.paragraph_format.right_indent = Pt(BODY_PT * right_chars)
        if text:
            run = p.add_run(text)
            _font(run, font, size, Pt)
            run.bold = bold
            if color:
                from docx.shared import RGBColor

                run.font.color.rgb = RGBColor.from_string(color)
        return p

    # ---- 版头 (§7.2)
    if facts.copy_number:
        para(facts.copy_number, font=HEITI)
    if facts.classification:
        para(facts.classification + (f"★{facts.secrecy_period}" if facts.secrecy_period else ""), font=HEITI)
    if facts.urgency:
        para(facts.urgency, font=HEITI)
    mark = para(facts.organ_mark, font=XIAOBIAOSONG, size=MARK_PT, color=RED, align=WD_ALIGN_PARAGRAPH.CENTER)
    mark.paragraph_format.line_spacing = Pt(MARK_PT * 1.4)
    para()
    if facts.upward and facts.signer:
        number = para(facts.doc_number, indent_chars=1)
        tab = number.add_run("\t签发人：")
        _font(tab, FANGSONG, BODY_PT, Pt)
        name = number.add_run(facts.signer)
        _font(name, "楷体_GB2312", BODY_PT, Pt)
        number.paragraph_format.tab_stops.add_tab_stop(Pt(156 / 25.4 * 72 - BODY_PT), alignment=2)  # right tab
    else:
        number = para(facts.doc_number, align=WD_ALIGN_PARAGRAPH.CENTER)
    _border(number, "bottom", RED, 12)  # the red separator, 1.5 pt, as wide as the 版心 (§7.2.6)
    number.paragraph_format.space_after = Pt(0)

    # ---- 主体 (§7.3)
    para()
    title = para(facts.title, font=XIAOBIAOSONG, size=TITLE_PT, align=WD_ALIGN_PARAGRAPH.CENTER)
    title.paragraph_format.line_spacing = Pt(TITLE_PT * 1.5)
    para()
    if facts.main_recipients:
        para(facts.main_recipients.rstrip("：:") + "：")
    if body is not None:
        if body.suffix.lower() != ".docx":
            raise ValueError("正文须为 Word 文件（.docx）才能套红排版")
        _compose(doc, body)
    if facts.attachments:
        para()
        for i, name in enumerate(facts.attachments, 1):
            stem = name.rsplit(".", 1)[0]
            label = ("附件：" if i == 1 else "　　　") + (f"{i}. {stem}" if len(facts.attachments) > 1 else stem)
            para(label, indent_chars=2)
    para()
    para()
    signature = para(facts.organ_name, align=WD_ALIGN_PARAGRAPH.RIGHT, right_chars=4)
    signature.paragraph_format.keep_with_next = True  # 署名 and 成文日期 stay on one page
    para(chinese_date(facts.signed_on), align=WD_ALIGN_PARAGRAPH.RIGHT, right_chars=4)

    # ---- 版记 (§7.4): on the last (even) page, at the bottom of the 版心
    if colophon_pages:
        section = doc.add_section(WD_SECTION.NEW_PAGE)
        for footer in (section.footer, section.even_page_footer):
            footer.is_linked_to_previous = False
            for p in footer.paragraphs:
                for run in p.runs:
                    run.text = ""
        for _ in range(colophon_pages - 1):
            doc.add_paragraph().add_run().add_break(WD_BREAK.PAGE)
    # The page's line grid (docGrid) snaps every line to the 28.9 pt pitch: the drop is whole empty lines.
    for _ in range(int(colophon_drop_pt // (LINE_PITCH_TWIPS / 20))):
        doc.add_paragraph()
    lines = []
    if facts.cc_recipients:
        lines.append(f"抄送：{facts.cc_recipients.rstrip('。')}。")
    lines.append(f"{facts.issued_by}\t{chinese_date(facts.issued_on)}印发")
    _colophon(doc, lines, Pt)
    target.parent.mkdir(parents=True, exist_ok=True)
    doc.save(str(target))
    return target


def build(facts: FormalFacts, body: Path | None, out_dir: Path, *, soffice: str = "soffice",
          timeout: float = 120.0) -> tuple[Path, Path]:
    """Write 套红.docx and 套红.pdf into `out_dir` and return both paths.

    Renders once; when the 版记 falls on an odd page, renders again with the 版记 on an added page
    without a page number (§7.4). Raises ValueError (正文 not .docx) or office.ConversionFailed.
    """

    docx_path, pdf_path = out_dir / "套红.docx", out_dir / "套红.pdf"

    def render(pages: int, drop: float) -> list[list[Line]]:
        build_docx(facts, body, docx_path, colophon_pages=pages, colophon_drop_pt=drop)
        office.convert(docx_path, "pdf", pdf_path, input_suffix=".docx", soffice=soffice, timeout=timeout)
        return pdf_lines(pdf_path)

    pages = 0
    layout = render(pages, 0)
    if len(layout) % 2 == 1 and len(layout) > 1:  # the 版记 would be on an odd page: give it its own page
        pages = 1
        layout = render(pages, 0)
        if len(layout) % 2 == 1:  # the text ended on an even page: a blank odd page, then the 版记
            pages = 2
            layout = render(pages, 0)
    count = len(layout)
    colophon = [line for line in layout[-1] if line.text.endswith("印发")]
    if colophon:
        pitch_mm = LINE_PITCH_TWIPS / 20 / 72 * 25.4
        lines = math.ceil((PAGE_H_MM - BOTTOM_MM - colophon[-1].bottom) / pitch_mm)
        while lines > 0:  # push the 版记 down to the last lines of the 版心, without spilling onto a new page
            if len(render(pages, lines * pitch_mm / 25.4 * 72 + 0.5)) == count:
                break
            lines -= 1
        else:
            render(pages, 0)
    return docx_path, pdf_path


@dataclass(frozen=True)
class Line:
    """One text line of a rendered page, in millimetres from the page's top-left corner."""

    left: float
    top: float
    right: float
    bottom: float
    text: str


def pdf_lines(pdf: Path) -> list[list[Line]]:
    """Return the text lines of each page of `pdf` with their positions (poppler's pdftotext -bbox)."""
    import html
    import re
    import subprocess

    from fileformats import subproc

    done = subproc.run_limited(["pdftotext", "-bbox-layout", str(pdf), "-"], timeout=60, memory_mb=512,
                               output_mb=64)
    if done.returncode != 0:
        raise subprocess.CalledProcessError(done.returncode, "pdftotext", done.stdout, done.stderr)
    pages: list[list[Line]] = []
    for page in done.stdout.decode("utf-8", errors="replace").split("<page ")[1:]:
        lines = []
        for x0, y0, x1, y1, inner in re.findall(
                r'<line xMin="([\d.]+)" yMin="([\d.]+)" xMax="([\d.]+)" yMax="([\d.]+)">(.*?)</line>', page, re.S):
            text = html.unescape("".join(re.findall(r">([^<]*)</word>", inner)))
            left, top, right, bottom = (float(v) / 72 * 25.4 for v in (x0, y0, x1, y1))
            lines.append(Line(left, top, right, bottom, text))
        pages.append(lines)
    return pages


# ---- helpers (python-docx / OOXML) -----------------------------------------------------------------


def _page_setup(section, Emu) -> None:  # type: ignore[no-untyped-def]
    section.page_width, section.page_height = Emu(PAGE_W_MM * MM), Emu(PAGE_H_MM * MM)
    section.top_margin, section.bottom_margin = Emu(TOP_MM * MM), Emu(BOTTOM_MM * MM)
    section.left_margin, section.right_margin = Emu(LEFT_MM * MM), Emu(RIGHT_MM * MM)
    section.header_distance = Emu(15 * MM)
    section.footer_distance = Emu(22 * MM)  # the page number's line sits about 7 mm below the 版心 (§7.5)
    grid = section._sectPr.find(_qn("w:docGrid"))
    if grid is None:
        from docx.oxml import OxmlElement

        grid = OxmlElement("w:docGrid")
        section._sectPr.append(grid)
    grid.set(_qn("w:type"), "lines")
    grid.set(_qn("w:linePitch"), str(LINE_PITCH_TWIPS))


def _styles(doc, Pt) -> None:  # type: ignore[no-untyped-def]
    from docx.enum.text import WD_LINE_SPACING

    normal = doc.styles["Normal"]
    normal.font.size = Pt(BODY_PT)
    normal.font.name = FANGSONG
    _east_asian(normal.element, FANGSONG)
    fmt = normal.paragraph_format
    fmt.line_spacing_rule = WD_LINE_SPACING.EXACTLY
    fmt.line_spacing = Pt(LINE_PITCH_TWIPS / 20)
    fmt.space_before = fmt.space_after = Pt(0)
    fmt.widow_control = False  # 22 full lines a page (公文 templates switch 孤行控制 off)
    rpr = normal.element.get_or_add_rPr()
    from docx.oxml import OxmlElement

    spacing = OxmlElement("w:spacing")
    spacing.set(_qn("w:val"), str(CHAR_SPACING_TWIPS))
    rpr.append(spacing)


def _font(run, name: str, size: float, Pt) -> None:  # type: ignore[no-untyped-def]
    run.font.name = name
    run.font.size = Pt(size)
    _east_asian(run._element, name)


def _east_asian(element, name: str) -> None:  # type: ignore[no-untyped-def]
    rpr = element.get_or_add_rPr()
    fonts = rpr.find(_qn("w:rFonts"))
    if fonts is None:
        from docx.oxml import OxmlElement

        fonts = OxmlElement("w:rFonts")
        rpr.insert(0, fonts)
    for attr in ("w:ascii", "w:hAnsi", "w:eastAsia", "w:cs"):
        fonts.set(_qn(attr), name)


def _even_odd_page_numbers(doc, section, align, Pt) -> None:  # type: ignore[no-untyped-def]
    from docx.oxml import OxmlElement

    settings = doc.settings.element
    if settings.find(_qn("w:evenAndOddHeaders")) is None:
        settings.append(OxmlElement("w:evenAndOddHeaders"))
    for footer, side in ((section.footer, align.RIGHT), (section.even_page_footer, align.LEFT)):
        p = footer.paragraphs[0] if footer.paragraphs else footer.add_paragraph()
        p.alignment = side
        if side == align.RIGHT:
            p.paragraph_format.right_indent = Pt(PAGE_NO_PT)
        else:
            p.paragraph_format.left_indent = Pt(PAGE_NO_PT)
        for text, is_field in (("— ", False), ("PAGE", True), (" —", False)):
            run = p.add_run()
            _font(run, SONGTI, PAGE_NO_PT, Pt)
            if is_field:
                for kind, value in (("begin", None), ("instr", " PAGE "), ("end", None)):
                    if kind == "instr":
                        node = OxmlElement("w:instrText")
                        node.set("{http://www.w3.org/XML/1998/namespace}space", "preserve")
                        node.text = value
                    else:
                        node = OxmlElement("w:fldChar")
                        node.set(_qn("w:fldCharType"), kind)
                    run._element.append(node)
            else:
                run.text = text


def _border(p, side: str, color: str, size_eighths: int) -> None:  # type: ignore[no-untyped-def]
    from docx.oxml import OxmlElement

    ppr = p._p.get_or_add_pPr()
    borders = ppr.find(_qn("w:pBdr"))
    if borders is None:
        borders = OxmlElement("w:pBdr")
        ppr.append(borders)
    edge = OxmlElement(f"w:{side}")
    edge.set(_qn("w:val"), "single")
    edge.set(_qn("w:sz"), str(size_eighths))
    edge.set(_qn("w:space"), "1")
    edge.set(_qn("w:color"), color)
    borders.append(edge)


def _colophon(doc, lines: list[str], Pt) -> None:  # type: ignore[no-untyped-def]
    """The 版记 as a one-column table the width of the 版心: a thick first and last line (0.35 mm) and thin
    lines between items (0.25 mm), no side lines (§7.4). `build` moves it to the bottom of the page."""
    from docx.oxml import OxmlElement

    twips_per_mm = 1440 / 25.4
    row_twips = round(14 * 1.5 * 20)
    table = doc.add_table(rows=len(lines), cols=1)
    tbl_pr = table._tbl.tblPr
    width = tbl_pr.find(_qn("w:tblW"))
    width.set(_qn("w:w"), str(round(156 * twips_per_mm)))
    width.set(_qn("w:type"), "dxa")
    borders = OxmlElement("w:tblBorders")
    for side, size in (("top", 8), ("bottom", 8), ("insideH", 4), ("left", 0), ("right", 0), ("insideV", 0)):
        edge = OxmlElement(f"w:{side}")
        edge.set(_qn("w:val"), "single" if size else "nil")
        if size:
            edge.set(_qn("w:sz"), str(size))
            edge.set(_qn("w:color"), "000000")
        borders.append(edge)
    width.addnext(borders)
    for row, text in zip(table.rows, lines, strict=True):
        row.height = Pt(row_twips / 20)
        cell = row.cells[0]
        cell.width = Pt(156 / 25.4 * 72)
        p = cell.paragraphs[0]
        p.paragraph_format.left_indent = Pt(14)
        p.paragraph_format.right_indent = Pt(14)
        p.paragraph_format.line_spacing = Pt(row_twips / 20)
        p.paragraph_format.tab_stops.add_tab_stop(Pt(156 / 25.4 * 72 - 28 - 12), alignment=2)
        run = p.add_run(text)
        _font(run, FANGSONG, 14, Pt)
    # A document ends with a paragraph: a 1 pt one, off the line grid, so the 版记 can take the last line.
    tail = doc.add_paragraph()
    tail.paragraph_format.line_spacing = Pt(1)
    snap = OxmlElement("w:snapToGrid")
    snap.set(_qn("w:val"), "0")
    tail._p.get_or_add_pPr().insert(0, snap)


def _compose(doc, body: Path) -> None:  # type: ignore[no-untyped-def]
    """Append the 正文 with docxcompose (styles, numbering, images, footnotes and tables come along);
    the 正文's own section settings (margins) are dropped so the 版心 stays the standard one."""
    from docx import Document as open_document
    from docxcompose.composer import Composer

    source = open_document(str(body))
    body_element = source.element.body
    for sect in body_element.findall(_qn("w:sectPr")):
        body_element.remove(sect)  # the final section: its page size and margins are not ours
    for ppr in body_element.iter(_qn("w:pPr")):
        inner = ppr.find(_qn("w:sectPr"))
        if inner is not None:
            ppr.remove(inner)
    keep = copy.deepcopy(doc.element.body.find(_qn("w:sectPr")))
    Composer(doc).append(source, remove_property_fields=False)
    final = doc.element.body.find(_qn("w:sectPr"))
    if final is not None and keep is not None:
        final.getparent().replace(final, keep)


def _qn(tag: str) -> str:
    from docx.oxml.ns import qn

    return str(qn(tag))


# ---- the limited child: the whole compose and rendering outside the worker process -------------------


def build_limited(facts: FormalFacts, body: Path | None, out_dir: Path, *, soffice: str = "soffice",
                  timeout: float = 120.0, memory_mb: int = 1536) -> tuple[Path, Path]:
    """`build` in a child process under fileformats.subproc limits (address space `memory_mb` for it and
    the LibreOffice it starts, wall-clock for all its renderings, its process group killed at the end).

    The 正文 is checked as a zip first (fileformats.zipguard: declared and actual inflated sizes), so an
    inflating .docx is refused unread. Raises ValueError with the reason for the user (not a Word file,
    a zip bomb, too slow, out of memory) or office.ConversionFailed.
    """
    import json
    import sys
    import zipfile
    from dataclasses import asdict

    from fileformats import subproc, zipguard

    if body is not None:
        if body.suffix.lower() != ".docx":
            raise ValueError(msg("正文须为 Word 文件（.docx）才能套红排版"))
        try:
            zipguard.check(body)
        except zipfile.BadZipFile:
            raise ValueError(msg("正文不是有效的 Word 文件（.docx），无法套红排版")) from None
    data = {k: (v.isoformat() if isinstance(v, date) else v) for k, v in asdict(facts).items()}
    command = [sys.executable, "-m", "documents.redhead", json.dumps(data, ensure_ascii=False),
               str(body or ""), str(out_dir), soffice, str(timeout)]
    limit = timeout * 6 + 30  # up to five renderings (版记 page and drop) and the composing
    try:
        done = subproc.run_limited(command, timeout=limit, memory_mb=memory_mb, output_mb=256)
    except subproc.LimitExceeded:
        raise ValueError(msg("套红排版超过 %(limit)g 秒仍未完成，已终止", limit=limit)) from None
    lines = done.stdout.decode("utf-8", errors="replace").strip().splitlines()
    answer = json.loads(lines[-1]) if lines and lines[-1].startswith("{") else {}
    if "error" in answer:
        if answer.get("kind") == "conversion":
            raise office.ConversionFailed(answer["error"])
        raise ValueError(answer["error"])
    docx_path, pdf_path = out_dir / "套红.docx", out_dir / "套红.pdf"
    if done.returncode != 0 or not pdf_path.exists():
        why = msg("内存不足") if done.returncode < 0 or b"MemoryError" in done.stderr else msg("正文可能已损坏")
        raise ValueError(msg("套红排版失败（%(why)s）", why=why))
    return docx_path, pdf_path


def _main(argv: list[str]) -> int:
    # Child usage (internal): python -m documents.redhead FACTS_JSON BODY OUT_DIR SOFFICE TIMEOUT
    import json

    raw = json.loads(argv[0])
    for key in ("signed_on", "issued_on"):
        raw[key] = date.fromisoformat(raw[key])
    raw["attachments"] = tuple(raw["attachments"])
    facts = FormalFacts(**raw)
    try:
        build(facts, Path(argv[1]) if argv[1] else None, Path(argv[2]), soffice=argv[3], timeout=float(argv[4]))
    except office.ConversionFailed as exc:
        print(json.dumps({"error": str(exc), "kind": "conversion"}, ensure_ascii=False))
        return 0
    except ValueError as exc:
        print(json.dumps({"error": str(exc)}, ensure_ascii=False))
        return 0
    print(json.dumps({"ok": True}))
    return 0


if __name__ == "__main__":
    import sys

    raise SystemExit(_main(sys.argv[1:]))
