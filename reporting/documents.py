"""The documents of 政务信息报送: an issue of a publication and the 通报, as .docx (python-docx, made on
demand: fast) and as PDF (LibreOffice, made by the worker only, never in a web request).

PDF queue: files live under <files dir>/reporting/: `<key>.docx` written when the PDF is asked for,
`queue/<key>` while waiting, then `<key>.pdf` (or `<key>.failed` with the reason). A key is
`issue-<id>` or `bulletin-<year>[-q<quarter>]`. Asking again replaces the earlier PDF.
"""

from __future__ import annotations

import io
import re
from datetime import date
from typing import Any

from docx import Document as new_docx
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml.ns import qn
from docx.shared import Pt, RGBColor
from docx.text.run import Run

from core.models.reporting import Issue, Item
from core.pdfqueue import PdfQueue
from reporting.ranking import LEVELS, Bulletin
from reporting.service import LEVEL_NAMES, unit_of_item

KEY_RE = re.compile(r"^(issue-\d{1,9}|bulletin-\d{4}(-q[1-4])?)$")
RED = RGBColor(0xC0, 0x00, 0x00)


def _font(run: Run, name: str, size: float, *, bold: bool = False, colour: RGBColor | None = None) -> Run:
    run.font.name = name
    run.font.size = Pt(size)
    run.bold = bold
    if colour is not None:
        run.font.color.rgb = colour
    fonts = run._element.get_or_add_rPr().get_or_add_rFonts()
    fonts.set(qn("w:eastAsia"), name)
    return run


def _para(doc, text: str, font: str = "仿宋_GB2312", size: float = 16, *, bold: bool = False,
          centre: bool = False, colour: RGBColor | None = None, indent: bool = False) -> None:
    para = doc.add_paragraph()
    if centre:
        para.alignment = WD_ALIGN_PARAGRAPH.CENTER
    if indent:
        para.paragraph_format.first_line_indent = Pt(size * 2)
    _font(para.add_run(text), font, size, bold=bold, colour=colour)


def _bytes(doc: Any) -> bytes:
    out = io.BytesIO()
    doc.save(out)
    return out.getvalue()


def issue_docx(issue: Issue, items: list[Item], *, organ_name: str, office_name: str, issued_on: date) -> bytes:
    """Return the issue as a .docx: the red masthead (publication name, 2026年第3期, who edits it and
    the date), then each adopted item: its title, its unit, its body."""
    doc = new_docx()
    _para(doc, issue.publication, "方正小标宋简体", 36, bold=True, centre=True, colour=RED)
    _para(doc, f"{issue.year}年第{issue.number}期", "楷体_GB2312", 16, centre=True)
    _para(doc, f"{organ_name}{office_name}编　　　　{issued_on.year}年{issued_on.month}月{issued_on.day}日",
          "楷体_GB2312", 14, centre=True)
    _para(doc, "━" * 24, "仿宋_GB2312", 12, centre=True, colour=RED)
    if not items:
        _para(doc, "（本期暂无采用信息）", centre=True)
    for item in items:
        _para(doc, item.title, "方正小标宋简体", 20, centre=True)
        _para(doc, f"（{unit_of_item(item).name}）", "楷体_GB2312", 16, centre=True)
        for line in item.body.split("\n"):
            if line.strip():
                _para(doc, line.strip(), indent=True)
    _para(doc, "━" * 24, "仿宋_GB2312", 12, centre=True, colour=RED)
    _para(doc, f"报：局领导　　送：各处室、各下属单位　　共印{len(items) or 1}份", "仿宋_GB2312", 12)
    return _bytes(doc)


def bulletin_docx(result: Bulletin, *, organ_name: str, issued_on: date, marked_places: int) -> bytes:
    """Return the 通报 as a formatted .docx: title, period, summary, the ranking table, the marks."""
    doc = new_docx()
    period = str(result.period.label)
    _para(doc, f"关于{period}政务信息报送情况的通报", "方正小标宋简体", 22, centre=True)
    _para(doc, "各处室、各下属单位：", "仿宋_GB2312", 16)
    total = sum(r.submitted for r in result.rows)
    adopted = sum(r.adopted_total for r in result.rows)
    _para(doc, f"{period}，全局共报送政务信息{total}条，被采用{adopted}条次（计{result.weeks}周）。"
               f"现将各单位报送、采用情况及得分排名通报如下（前{marked_places}名、后{marked_places}名已标注）：",
          indent=True)
    headers = ["排名", "单位", "报送", *[str(LEVEL_NAMES[level]) for level in LEVELS], "未完成周数", "迟报", "得分"]
    table = doc.add_table(rows=1, cols=len(headers))
    table.style = "Table Grid"
    table.alignment = WD_TABLE_ALIGNMENT.CENTER
    for cell, text in zip(table.rows[0].cells, headers, strict=True):
        _font(cell.paragraphs[0].add_run(text), "黑体", 10.5, bold=True)
    for row in result.rows:
        mark = "（前列）" if row.mark == "top" else "（后列）" if row.mark == "bottom" else ""
        values = [str(row.rank), row.unit.name + mark, str(row.submitted),
                  *[str(row.adopted[level]) for level in LEVELS], str(row.weeks_missed), str(row.late_urgent),
                  f"{row.score:g}"]
        cells = table.add_row().cells
        for cell, text in zip(cells, values, strict=True):
            _font(cell.paragraphs[0].add_run(text), "仿宋_GB2312", 10.5,
                  colour=RED if row.mark == "bottom" else None)
    _para(doc, "")
    _para(doc, "希望各单位对照通报，认真落实信息报送任务，进一步提高信息质量和时效。", indent=True)
    _para(doc, organ_name + "办公室", centre=False)
    _para(doc, f"{issued_on.year}年{issued_on.month}月{issued_on.day}日")
    return _bytes(doc)


# ---- the worker's PDF queue (core/pdfqueue.py) ------------------------------------------------------

QUEUE = PdfQueue("reporting", KEY_RE)
folder, request_pdf, pdf_state = QUEUE.folder, QUEUE.request_pdf, QUEUE.pdf_state
pdf_path, convert_pending = QUEUE.pdf_path, QUEUE.convert_pending
