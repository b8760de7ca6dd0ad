"""The formatted official document (套红) per GB/T 9704-2012, built from the 正文 .docx and the
document's fields, as .docx (python-docx, the 正文 composed in with docxcompose) and PDF (LibreOffice).

Layout (GB/T 9704-2012, section numbers of the standard):
- §5.2.1 A4 paper; 天头 (top margin) 37 mm, 订口 (left margin) 28 mm; 版心 156 mm × 225 mm, so the right
  margin is 26 mm and the bottom margin 35 mm.
- §5.2.2 正文 in 3号仿宋 (16 pt), 22 lines a page, 28 characters a line: an exact line pitch of
  225 mm / 22 ≈ 28.95 pt and a character pitch of 156 mm / 28 ≈ 15.79 pt (16 pt condensed by 0.2 pt).
- §7.2 版头: 份号 (classified documents only, 6 digits), 密级★保密期限 and 紧急程度 at the top left in
  3号黑体; the 发文机关标志 (the organ's name + 文件) centred in red 小标宋, its top 35 mm below the
  版心's top whatever stands above it (exact-height paragraphs off the line grid); 发文字号 two lines
  below it, centred for a 下行文, or one character in at the left with 签发人 one character in at the
  right for a 上行文; the red separator line 4 mm below the 发文字号, the width of the 版心.
- §7.3 主体: 标题 in 2号小标宋 centred; 主送机关 at the left margin followed by a full-width colon; the 正文;
  附件说明 (附件：1. ...) two characters in; 署名 and 成文日期 (the 签发 date, Arabic numerals,
  §7.3.5.1) at the right, four characters from the right edge.
- §7.4 版记: 抄送机关 and 印发机关和印发日期 between a thick first and last line (0.35 mm) with a thin
  line (0.25 mm) between, all the width of the 版心, the last on the 版心's bottom edge (262 mm) of the
  last page, which must be an even page: when the text ends on an odd page an unnumbered page is added
  for the 版记 (a one-page document keeps it on its page).

Red-header templates (`render_template`, `context`): an admin's .docx with docxtpl placeholders takes
the place of the built-in layout (`layout`), rendered in a jinja2 sandbox; documents/
redhead_templates.py chooses one per 发文机关 and kind. The measuring helpers (`pdf_lines`, `pdf_rules`)
read the rendered PDF back, for `build` and for the tests.
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

from core.messages import from_data, msg, to_data
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
PITCH_PT = LINE_PITCH_TWIPS / 20  # one line of the grid, 28.9 pt (10.2 mm)
MARK_TOP_MM = 35  # §7.2.4: the 发文机关标志's top edge 35 mm below the 版心's top edge
MARK_LINE_PT = 40.0  # the mark's exact line height; the glyphs sit at its foot (Word and LibreOffice alike)
MARK_INK_PT = 5.7  # the mark's ink top below its line's top (measured: 40 pt line, 32 pt 小标宋 stand-in)
SEPARATOR_EIGHTHS = 12  # the red separator line, 1.5 pt
SEPARATOR_SPACE_PT = 6  # its distance from the 发文字号's line: 4 mm below the characters (measured)
COLOPHON_PT = 14  # 版记 in 4号仿宋
COLOPHON_LINE_PT = 21.0  # exact line height of a 版记 item
COLOPHON_SPACE_PT = 2  # between a 版记 item and its lines
THICK_EIGHTHS, THIN_EIGHTHS = 8, 6  # §7.4.1: 0.35 mm (1 pt) and 0.25 mm (0.75 pt) 版记 lines
COLOPHON_SLACK_MM = 0.2  # the 版记's last line this much above 262 mm, so rounding never pushes it over
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


# Placeholders of a red-header template (docs/documents.md, "Red-header templates"): what `context` gives.
BODY_MARKER = "{{ 正文 }}"  # alone in its paragraph: where the 正文 is composed in (required)
COLOPHON_MARKER = "{{ 版记 }}"  # alone in its paragraph: where the 版记 starts (optional; moved to the foot)
_BODY_SENTINEL = "\u2063EOFFICE-正文\u2063"  # what the markers render to, found again after rendering
_COLOPHON_SENTINEL = "\u2063EOFFICE-版记\u2063"


# Every placeholder also has an ASCII name (an English-speaking admin's template works the same).
ASCII_NAMES = {
    "版头第一行": "head_line_1", "版头第二行": "head_line_2", "版头第三行": "head_line_3", "份号": "copy_number",
    "密级": "classification", "紧急程度": "urgency", "发文机关": "organ", "发文机关标志": "organ_mark",
    "发文字号": "doc_number", "上行文": "upward", "签发人": "signer", "标题": "title", "主送": "main_recipients",
    "附件说明": "attachments", "署名": "signature", "成文日期": "signed_on", "抄送": "cc", "印发机关": "issued_by",
    "印发日期": "issued_on", "正文": "body", "版记": "colophon",
}


def context(facts: FormalFacts) -> dict[str, Any]:
    """The values a red-header template can name, from `facts` (GB/T 9704 §7), under their Chinese names
    and their `ASCII_NAMES`: all strings except 上行文 (bool) and 附件说明 (a list of lines). Empty
    strings where the document has no such element."""
    values = _context(facts)
    return {**values, **{ASCII_NAMES[k]: v for k, v in values.items()}}


def _context(facts: FormalFacts) -> dict[str, Any]:
    head = head_lines(facts)
    attachments = []
    for i, name in enumerate(facts.attachments, 1):
        stem = name.rsplit(".", 1)[0]
        attachments.append(("附件：" if i == 1 else "　　　")
                           + (f"{i}. {stem}" if len(facts.attachments) > 1 else stem))
    return {
        "版头第一行": head[0], "版头第二行": head[1], "版头第三行": head[2],
        "份号": facts.copy_number,
        "密级": facts.classification + (f"★{facts.secrecy_period}" if facts.classification and facts.secrecy_period
                                      else ""),
        "紧急程度": facts.urgency,
        "发文机关": facts.organ_name, "发文机关标志": facts.organ_mark, "发文字号": facts.doc_number,
        "上行文": bool(facts.upward and facts.signer), "签发人": facts.signer if facts.upward else "",
        "标题": facts.title,
        "主送": facts.main_recipients.rstrip("：:") + "：" if facts.main_recipients else "",
        "附件说明": attachments, "署名": facts.organ_name, "成文日期": chinese_date(facts.signed_on),
        "抄送": facts.cc_recipients.rstrip("。"), "印发机关": facts.issued_by,
        "印发日期": chinese_date(facts.issued_on),
    }


def build_docx(facts: FormalFacts, body: Path | None, target: Path, *, colophon_pages: int = 0,
               colophon_drop_pt: float = 0.0, template: Path | None = None) -> Path:
    """Write the 套红 .docx for `facts` with the 正文 `body` (.docx, composed in; None: no body) to `target`.

    The layout is the built-in one (`layout`), or the red-header template `template` (a .docx with the
    placeholders of `context`, rendered by `render_template`). `colophon_pages` (0, 1 or 2) starts the
    版记 that many pages later, on pages without a page number (so that it lands on an even page);
    `colophon_drop_pt` is the empty space put above the 版记 so that its last line is the 版心's last
    (measured by `build` from a first rendering). Raises ValueError when the 正文 is not a Word file or
    the template fails (TemplateError, with every problem).
    """
    _build_docx(facts, body, target, colophon_pages=colophon_pages, colophon_drop_pt=colophon_drop_pt,
                template=template)
    return target


def _build_docx(facts: FormalFacts, body: Path | None, target: Path, *, colophon_pages: int,
                colophon_drop_pt: float, template: Path | None) -> bool:
    """`build_docx`; returns whether the document has a 版记 place to move."""
    if body is not None and body.suffix.lower() != ".docx":
        raise ValueError("正文须为 Word 文件（.docx）才能套红排版")
    doc = layout(context(facts)) if template is None else render_template(template, facts)
    has_colophon = _fill(doc, body, colophon_pages, colophon_drop_pt)
    target.parent.mkdir(parents=True, exist_ok=True)
    doc.save(str(target))
    return has_colophon


def layout(values: dict[str, Any] | None) -> Any:
    """The built-in 套红 layout as a python-docx Document, with the 正文 and 版记 markers in place.

    `values` is `context(facts)`; None writes the red-header template itself: every value as its
    placeholder and the choices (上行文, 附件说明, 抄送, 主送) as docxtpl {%p %} paragraphs, so a document
    rendered from it is laid out exactly as the built-in one (the demo template, `write_template`).
    """
    from docx import Document as new_document
    from docx.enum.text import WD_ALIGN_PARAGRAPH
    from docx.shared import Emu, Pt

    as_template = values is None
    doc = new_document()
    _page_setup(doc.sections[0], Emu)
    _styles(doc, Pt)
    _even_odd_page_numbers(doc, doc.sections[0], WD_ALIGN_PARAGRAPH, Pt)

    def v(name: str) -> Any:
        return "{{ " + name + " }}" if values is None else values[name]

    def branch(name: str, then: Any, otherwise: Any = None) -> None:
        if values is None:
            doc.add_paragraph("{%p if " + name + " %}")
            then()
            if otherwise is not None:
                doc.add_paragraph("{%p else %}")
                otherwise()
            doc.add_paragraph("{%p endif %}")
        elif values[name]:
            then()
        elif otherwise is not None:
            otherwise()

    def para(text: str = "", *, font: str = FANGSONG, size: float = BODY_PT, color: str | None = None,
             align: Any = None, indent_chars: float = 0, right_chars: float = 0):
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
            if color:
                from docx.shared import RGBColor

                run.font.color.rgb = RGBColor.from_string(color)
        return p

    # ---- 版头 (§7.2): exact heights off the line grid, so the mark's top is 35 mm below the 版心's top
    # whatever the three head lines (份号, 密级★保密期限, 紧急程度, stacked from the first line) hold.
    for name in ("版头第一行", "版头第二行", "版头第三行"):
        _exact(para(v(name), font=HEITI), PITCH_PT)
    mark_pt = MARK_PT if values is None else mark_size(values["发文机关标志"])
    _exact(para(), mark_spacer_pt(mark_pt))
    mark = para(v("发文机关标志"), font=XIAOBIAOSONG, size=mark_pt, color=RED, align=WD_ALIGN_PARAGRAPH.CENTER)
    _exact(mark, MARK_LINE_PT * mark_pt / MARK_PT)
    _exact(para(), PITCH_PT)  # §7.2.5: the 发文字号 two lines below the mark
    _exact(para(), PITCH_PT)

    def number_line(upward: bool) -> None:
        if upward:
            number = para(v("发文字号"), indent_chars=1)
            tab = number.add_run("\t签发人：")
            _font(tab, FANGSONG, BODY_PT, Pt)
            name = number.add_run(v("签发人"))
            _font(name, "楷体_GB2312", BODY_PT, Pt)
            number.paragraph_format.tab_stops.add_tab_stop(Pt(156 / 25.4 * 72 - BODY_PT), alignment=2)  # right
        else:
            number = para(v("发文字号"), align=WD_ALIGN_PARAGRAPH.CENTER)
        _exact(number, PITCH_PT)
        # §7.2.6: the red separator 4 mm below the 发文字号, as wide as the 版心 (the paragraph has no indents).
        _border(number, "bottom", RED, SEPARATOR_EIGHTHS, space_pt=SEPARATOR_SPACE_PT)

    branch("上行文", lambda: number_line(True), lambda: number_line(False))

    # ---- 主体 (§7.3): §7.3.1 the 标题 two empty lines below the red line, §7.3.2 主送 one line below it
    para()
    para()
    title = para(v("标题"), font=XIAOBIAOSONG, size=TITLE_PT, align=WD_ALIGN_PARAGRAPH.CENTER)
    title.paragraph_format.line_spacing = Pt(TITLE_PT * 1.5)
    para()
    branch("主送", lambda: para(v("主送")))
    para(BODY_MARKER if as_template else _BODY_SENTINEL)

    def attachments() -> None:
        para()
        if values is None:
            doc.add_paragraph("{%p for 附件 in 附件说明 %}")
            para("{{ 附件 }}", indent_chars=2)
            doc.add_paragraph("{%p endfor %}")
        else:
            for line in values["附件说明"]:
                para(line, indent_chars=2)

    branch("附件说明", attachments)
    para()
    para()
    signature = para(v("署名"), align=WD_ALIGN_PARAGRAPH.RIGHT, right_chars=4)
    signature.paragraph_format.keep_with_next = True  # 署名 and 成文日期 stay on one page
    para(v("成文日期"), align=WD_ALIGN_PARAGRAPH.RIGHT, right_chars=4)

    # ---- 版记 (§7.4): `_fill` moves it to the bottom of the last (even) page
    para(COLOPHON_MARKER if as_template else _COLOPHON_SENTINEL)
    issued = "{{ 印发机关 }}\t{{ 印发日期 }}印发" if as_template else f"{v('印发机关')}\t{v('印发日期')}印发"
    branch("抄送", lambda: _colophon(doc, ["抄送：" + str(v("抄送")) + "。", issued], Pt),
           lambda: _colophon(doc, [issued], Pt))
    return doc


def write_template(target: Path) -> Path:
    """Write the built-in layout as a red-header template (the demo bureau's; docs/documents.md) to `target`."""
    target.parent.mkdir(parents=True, exist_ok=True)
    layout(None).save(str(target))
    return target


class TemplateError(ValueError):
    """A red-header template could not be used; `problems` lists every reason (Chinese Messages)."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__(problems[0] if len(problems) == 1 else "；".join(str(p) for p in problems))
        self.problems = problems


def sandbox() -> Any:
    """The Jinja environment a red-header template is rendered in: jinja2's SandboxedEnvironment (no
    attribute starting with _ , no unsafe callables; range() at most 100 000) that also refuses
    repeating a string or list more than 10 000 times in one operation and powers above 2**64. That does
    not bound memory (chained repeats, `center(50000000)` still grow): what does is the child it runs
    in (`build_limited`, `check_limited`: address space and time limits), which ends such a template as
    a failed rendering with its reason."""
    from jinja2.sandbox import SandboxedEnvironment, SecurityError

    class Sandbox(SandboxedEnvironment):
        intercepted_binops = frozenset({"*", "**"})

        def call_binop(self, context: Any, operator: str, left: Any, right: Any) -> Any:
            if operator == "**" and (abs(float(left)) > 2 or abs(float(right)) > 64) and float(right) > 1:
                raise SecurityError("power too large")
            if operator == "*" and any(isinstance(a, (str, list, tuple)) for a in (left, right)):
                count = right if isinstance(left, (str, list, tuple)) else left
                if isinstance(count, int) and count > 10000:
                    raise SecurityError("repetition too large")
            return super().call_binop(context, operator, left, right)

    return Sandbox(autoescape=True)


def render_template(template: Path, facts: FormalFacts) -> Any:
    """Render the red-header template `template` with `context(facts)` in the `sandbox` (docxtpl, values
    XML-escaped); return the python-docx Document. Raises TemplateError: not a Word file, a Jinja syntax
    error, an unsafe or failing expression."""
    from docxtpl import DocxTemplate
    from jinja2 import TemplateError as JinjaError
    from jinja2 import TemplateSyntaxError

    values = {**context(facts), "正文": _BODY_SENTINEL, "版记": _COLOPHON_SENTINEL, "body": _BODY_SENTINEL,
              "colophon": _COLOPHON_SENTINEL}
    tpl = DocxTemplate(str(template))
    try:
        tpl.init_docx()
    except Exception:  # python-docx raises many kinds on a damaged package
        raise TemplateError([msg("模板不是有效的 Word 文件（.docx）")]) from None
    try:
        tpl.render(values, jinja_env=sandbox(), autoescape=True)
    except TemplateSyntaxError as exc:
        raise TemplateError([msg("模板第 %(line)s 行的占位符写法有误：%(error)s", line=exc.lineno,
                                 error=exc.message or "")]) from None
    except (JinjaError, ArithmeticError, TypeError, ValueError, LookupError, AttributeError) as exc:
        # The sandbox's refusals, and what an expression of the template can raise on the sample values.
        raise TemplateError([msg("模板中的表达式不被允许或无法计算：%(error)s", error=str(exc))]) from None
    except SyntaxError:  # lxml: the rendered document is not well-formed XML
        raise TemplateError([msg("模板渲染后的文档结构无效（占位符可能拆开了 Word 的格式标记）")]) from None
    return tpl.docx


def _fill(doc: Any, body: Path | None, colophon_pages: int, drop_pt: float) -> bool:
    """Compose the 正文 in at its marker and put the 版记 after `colophon_pages` new pages without page
    numbers and `drop_pt` of exact empty space; return whether there was a 版记 marker."""
    from docx.enum.section import WD_SECTION
    from docx.enum.text import WD_BREAK
    from docx.oxml import OxmlElement
    from docx.text.paragraph import Paragraph

    def marker(text: str) -> Any:  # a paragraph of the body itself (not in a table or a text box)
        for p in doc.element.body.findall(_qn("w:p")):
            if Paragraph(p, doc._body).text.strip() == text:
                return p
        return None

    body_at = marker(_BODY_SENTINEL)
    if body_at is not None:
        if body is not None:
            _compose(doc, body, before=body_at)
        body_at.getparent().remove(body_at)
    colophon_at = marker(_COLOPHON_SENTINEL)
    if colophon_at is None:
        return False
    for child in list(colophon_at):
        if child.tag != _qn("w:pPr"):
            colophon_at.remove(child)
    if colophon_pages:
        final = doc.element.body.find(_qn("w:sectPr"))
        ending = OxmlElement("w:p")  # ends the section before the 版记, its page numbers kept
        ending.append(OxmlElement("w:pPr"))
        ending[0].append(copy.deepcopy(final))
        colophon_at.addprevious(ending)
        final.start_type = WD_SECTION.NEW_PAGE  # w:type, in the schema's order
        for reference in final.findall(_qn("w:footerReference")):  # the 版记's section: footers of its own
            final.remove(reference)
        section = doc.sections[-1]
        for footer in (section.footer, section.even_page_footer):
            footer.is_linked_to_previous = False
            for p in footer.paragraphs:
                for run in p.runs:
                    run.text = ""
        for _ in range(colophon_pages - 1):
            page_break = Paragraph(OxmlElement("w:p"), doc._body)
            page_break.add_run().add_break(WD_BREAK.PAGE)
            colophon_at.addprevious(page_break._p)
    spacer = Paragraph(colophon_at, doc._body)
    if drop_pt >= 1:  # an exact-height empty paragraph off the line grid: the 版记 to the 版心's foot
        _exact(spacer, drop_pt)
    else:
        colophon_at.getparent().remove(colophon_at)
    return True


def mark_size(mark: str) -> float:
    """The 发文机关标志's font size in points: MARK_PT (32), smaller in half points when the mark would be
    wider than the 版心 on one line (§7.2.4: 不超过版心宽度). Full-width characters count one, others half."""
    width = sum(1.0 if ord(ch) > 0x2E80 else 0.5 for ch in mark) or 1.0
    fits = 156 / 25.4 * 72 * 0.98 / width
    return min(float(MARK_PT), math.floor(fits * 2) / 2)


def mark_spacer_pt(mark_pt: float) -> float:
    """The exact space between the three head lines and the mark's line (points) that puts the top of a
    `mark_pt` mark 35 mm below the 版心's top (§7.2.4): its line and ink offset scale with its size."""
    return MARK_TOP_MM / 25.4 * 72 - 3 * PITCH_PT - MARK_INK_PT * mark_pt / MARK_PT


def head_lines(facts: FormalFacts) -> list[str]:
    """The three lines at the top left of the 版心 (§7.2.1-7.2.3): 份号, 密级★保密期限 and 紧急程度, those
    present stacked from the first line, the rest "" (so the 发文机关标志 below keeps its place)."""
    marks = [facts.copy_number,
             facts.classification + (f"★{facts.secrecy_period}" if facts.classification and facts.secrecy_period
                                     else ""),
             facts.urgency]
    present = [m for m in marks if m]
    return present + [""] * (3 - len(present))


def build(facts: FormalFacts, body: Path | None, out_dir: Path, *, soffice: str = "soffice",
          timeout: float = 120.0, template: Path | None = None) -> tuple[Path, Path]:
    """Write 套红.docx and 套红.pdf into `out_dir` and return both paths; the layout is the built-in one or
    the red-header template `template` (`build_docx`).

    Renders once; when the 版记 falls on an odd page, renders again with the 版记 on an added page
    without a page number (§7.4); then once more with an exact empty space above the 版记, measured from
    the rendering, so that its last line lies on the 版心's bottom edge (262 mm from the page's top,
    §7.4.1). A template without a 版记 marker is rendered once. Raises ValueError (正文 not .docx,
    TemplateError) or office.ConversionFailed.
    """

    docx_path, pdf_path = out_dir / "套红.docx", out_dir / "套红.pdf"
    movable = True

    def render(pages: int, drop: float) -> list[list[Line]]:
        nonlocal movable
        movable = _build_docx(facts, body, docx_path, colophon_pages=pages, colophon_drop_pt=drop,
                              template=template)
        office.convert(docx_path, "pdf", pdf_path, input_suffix=".docx", soffice=soffice, timeout=timeout)
        return pdf_lines(pdf_path)

    pages = 0
    rendered = render(pages, 0)
    if not movable:
        return docx_path, pdf_path
    if len(rendered) % 2 == 1 and len(rendered) > 1:  # the 版记 would be on an odd page: give it its own page
        pages = 1
        rendered = render(pages, 0)
        if len(rendered) % 2 == 1:  # the text ended on an even page: a blank odd page, then the 版记
            pages = 2
            rendered = render(pages, 0)
    place_colophon(lambda drop: render(pages, drop), pdf_path, len(rendered))
    return docx_path, pdf_path


def place_colophon(render: Any, pdf_path: Path, count: int) -> None:
    """Render again (`render(drop_pt)` returns the pages' lines) with the empty space that brings the 版记's
    last line (the last black rule of the last page) onto the 版心's bottom edge, 262 mm (§7.4.1).

    The space is measured from the rendering in `pdf_path`; when it would push the 版记 onto another
    page (`count` pages before) it is made 0.5 pt smaller until it fits (at most 8 tries)."""
    rules = [r for r in pdf_rules(pdf_path)[-1] if r.color == "000000" and r.right - r.left > 150]
    if not rules:
        return
    target = PAGE_H_MM - BOTTOM_MM - rules[-1].width / 2 - COLOPHON_SLACK_MM
    drop = (target - rules[-1].y) / 25.4 * 72
    for _ in range(8):
        if drop < 1:
            break
        if len(render(drop)) == count:
            return
        drop -= 0.5
    render(0)


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


@dataclass(frozen=True)
class Rule:
    """One straight horizontal line drawn on a rendered page (a red separator, a 版记 line), in millimetres
    from the page's top-left corner: from `left` to `right` at `y`, `width` thick, `color` as "RRGGBB"."""

    left: float
    right: float
    y: float
    width: float
    color: str


def pdf_rules(pdf: Path, *, min_length_mm: float = 20.0) -> list[list[Rule]]:
    """Return the horizontal lines at least `min_length_mm` long on each page of `pdf`, top to bottom.

    Reads the page content streams (pypdf): stroked paths (m/l/S, with the current line width and stroke
    colour) and thin filled rectangles (re/f, at most 2 mm high: how some renderers draw borders), with
    the current transformation matrix applied. The same line drawn twice is listed once.
    """
    from pypdf import PdfReader

    return [_page_rules(page, min_length_mm) for page in PdfReader(str(pdf)).pages]


def _page_rules(page: Any, min_length_mm: float) -> list[Rule]:
    import itertools

    from pypdf.generic import ContentStream

    pt = 25.4 / 72
    height = float(page.mediabox.height)
    contents = page.get_contents()
    found: set[Rule] = set()
    if contents is None:
        return []
    ctm, stack = (1.0, 0.0, 0.0, 1.0, 0.0, 0.0), []
    stroke, fill, width = "000000", "000000", 1.0
    path: list[tuple[float, float]] = []
    rects: list[tuple[float, float, float, float]] = []

    def at(x: float, y: float) -> tuple[float, float]:
        a, b, c, d, e, f = ctm
        return a * x + c * y + e, b * x + d * y + f

    def colour(values: list[Any]) -> str:
        nums = [float(v) for v in values]
        if len(nums) == 1:
            nums = nums * 3
        elif len(nums) == 4:  # CMYK
            nums = [(1 - c) * (1 - nums[3]) for c in nums[:3]]
        return "".join(f"{round(max(0.0, min(1.0, v)) * 255):02X}" for v in nums[:3])

    def add(x0: float, x1: float, y: float, w: float, color: str) -> None:
        if abs(x1 - x0) * pt >= min_length_mm:
            found.add(Rule(round(min(x0, x1) * pt, 2), round(max(x0, x1) * pt, 2),
                           round((height - y) * pt, 2), round(w * pt, 3), color))

    for operands, op in ContentStream(contents, page.pdf).operations:
        if op == b"q":
            stack.append((ctm, stroke, fill, width))
        elif op == b"Q" and stack:
            ctm, stroke, fill, width = stack.pop()
        elif op == b"cm":
            a2, b2, c2, d2, e2, f2 = (float(v) for v in operands)
            a, b, c, d, e, f = ctm
            ctm = (a2 * a + b2 * c, a2 * b + b2 * d, c2 * a + d2 * c, c2 * b + d2 * d,
                   e2 * a + f2 * c + e, e2 * b + f2 * d + f)
        elif op == b"w":
            width = float(operands[0]) * (abs(ctm[3]) or 1.0)
        elif op in (b"RG", b"G", b"K"):
            stroke = colour(list(operands))
        elif op in (b"rg", b"g", b"k"):
            fill = colour(list(operands))
        elif op == b"m":
            path = [at(float(operands[0]), float(operands[1]))]
        elif op == b"l":
            path.append(at(float(operands[0]), float(operands[1])))
        elif op == b"re":
            x, y, w, h = (float(v) for v in operands)
            (x0, y0), (x1, y1) = at(x, y), at(x + w, y + h)
            rects.append((x0, y0, x1, y1))
        elif op in (b"S", b"s"):
            for (x0, y0), (x1, y1) in itertools.pairwise(path):
                if abs(y1 - y0) < 0.01:
                    add(x0, x1, y0, width, stroke)
            path = []
        elif op in (b"f", b"F", b"f*"):
            for x0, y0, x1, y1 in rects:
                if 0 < abs(y1 - y0) * pt <= 2:
                    add(x0, x1, (y0 + y1) / 2, abs(y1 - y0), fill)
            rects, path = [], []
        elif op in (b"n", b"B", b"B*", b"b", b"b*"):
            rects, path = [], []
    return sorted(found, key=lambda r: (r.y, r.left))


# ---- helpers (python-docx / OOXML) -----------------------------------------------------------------


def _page_setup(section, Emu) -> None:
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


def _styles(doc, Pt) -> None:
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
    _in_order(rpr, spacing, RPR_ORDER)


def _font(run, name: str, size: float, Pt) -> None:
    run.font.name = name
    run.font.size = Pt(size)
    _east_asian(run._element, name)


def _east_asian(element, name: str) -> None:
    rpr = element.get_or_add_rPr()
    fonts = rpr.find(_qn("w:rFonts"))
    if fonts is None:
        from docx.oxml import OxmlElement

        fonts = OxmlElement("w:rFonts")
        rpr.insert(0, fonts)
    for attr in ("w:ascii", "w:hAnsi", "w:eastAsia", "w:cs"):
        fonts.set(_qn(attr), name)


def _even_odd_page_numbers(doc, section, align, Pt) -> None:
    from docx.oxml import OxmlElement

    doc.settings.odd_and_even_pages_header_footer = True  # w:evenAndOddHeaders, in the schema's order
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


# The order of w:pPr's and w:rPr's children in the OOXML schema (ECMA-376 Part 1, §17.3.1.26 and
# §17.3.2.28): Word refuses a document whose elements are out of it, where LibreOffice forgives.
PPR_ORDER = ("pStyle", "keepNext", "keepLines", "pageBreakBefore", "framePr", "widowControl", "numPr",
             "suppressLineNumbers", "pBdr", "shd", "tabs", "suppressAutoHyphens", "kinsoku", "wordWrap",
             "overflowPunct", "topLinePunct", "autoSpaceDE", "autoSpaceDN", "bidi", "adjustRightInd",
             "snapToGrid", "spacing", "ind", "contextualSpacing", "mirrorIndents", "suppressOverlap", "jc",
             "textDirection", "textAlignment", "textboxTightWrap", "outlineLvl", "divId", "cnfStyle", "rPr",
             "sectPr", "pPrChange")
RPR_ORDER = ("rStyle", "rFonts", "b", "bCs", "i", "iCs", "caps", "smallCaps", "strike", "dstrike", "outline",
             "shadow", "emboss", "imprint", "noProof", "snapToGrid", "vanish", "webHidden", "color", "spacing",
             "w", "kern", "position", "sz", "szCs", "highlight", "u", "effect", "bdr", "shd", "fitText",
             "vertAlign", "rtl", "cs", "em", "lang", "eastAsianLayout", "specVanish", "oMath")


def _in_order(parent: Any, element: Any, order: tuple[str, ...]) -> None:
    """Insert `element` into `parent` where the schema's `order` (local names in the w: namespace) puts it."""
    name = element.tag.rsplit("}", 1)[-1]
    later = {_qn(f"w:{n}") for n in order[order.index(name) + 1:]}
    for i, child in enumerate(parent):
        if child.tag in later:
            parent.insert(i, element)
            return
    parent.append(element)


def _exact(p, points: float) -> None:
    """Give paragraph `p` an exact line height of `points`, off the page's line grid (w:snapToGrid 0)."""
    from docx.enum.text import WD_LINE_SPACING
    from docx.oxml import OxmlElement
    from docx.shared import Twips

    fmt = p.paragraph_format
    fmt.line_spacing_rule = WD_LINE_SPACING.EXACTLY
    fmt.line_spacing = Twips(round(points * 20))
    fmt.space_before = fmt.space_after = Twips(0)
    ppr = p._p.get_or_add_pPr()
    if ppr.find(_qn("w:snapToGrid")) is None:
        snap = OxmlElement("w:snapToGrid")
        snap.set(_qn("w:val"), "0")
        _in_order(ppr, snap, PPR_ORDER)


def _border(p, side: str, color: str, size_eighths: int, *, space_pt: int = 1) -> None:
    from docx.oxml import OxmlElement

    ppr = p._p.get_or_add_pPr()
    borders = ppr.find(_qn("w:pBdr"))
    if borders is None:
        borders = OxmlElement("w:pBdr")
        _in_order(ppr, borders, PPR_ORDER)
    edge = OxmlElement(f"w:{side}")
    edge.set(_qn("w:val"), "single")
    edge.set(_qn("w:sz"), str(size_eighths))
    edge.set(_qn("w:space"), str(space_pt))
    edge.set(_qn("w:color"), color)
    borders.append(edge)


def _colophon(doc, lines: list[str], Pt) -> None:
    """The 版记 (§7.4.1): one paragraph per item in 4号仿宋, the first item under a thick line (0.35 mm),
    a thin line (0.25 mm) above the last item (印发机关和印发日期) and a thick line below it. The lines
    are paragraph borders of paragraphs without indents, so they are as wide as the 版心; the text is
    one character in (first-line indent, and a right tab one character before the right edge).
    `build` moves it down to the 版心's foot."""
    width_pt = 156 / 25.4 * 72
    for i, text in enumerate(lines):
        p = doc.add_paragraph()
        _exact(p, COLOPHON_LINE_PT)
        p.paragraph_format.first_line_indent = Pt(COLOPHON_PT)
        p.paragraph_format.tab_stops.add_tab_stop(Pt(width_pt - COLOPHON_PT), alignment=2)  # right tab
        p.paragraph_format.keep_with_next = i < len(lines) - 1
        first, last = i == 0, i == len(lines) - 1
        _border(p, "top", "000000", THICK_EIGHTHS if first else THIN_EIGHTHS, space_pt=COLOPHON_SPACE_PT)
        if last:
            _border(p, "bottom", "000000", THICK_EIGHTHS, space_pt=COLOPHON_SPACE_PT)
        run = p.add_run(text)
        _font(run, FANGSONG, COLOPHON_PT, Pt)


def _compose(doc, body: Path, *, before: Any = None) -> None:
    """Put the 正文 in (before the element `before`, else at the end) with docxcompose (styles, numbering,
    images, footnotes and tables come along); the 正文's own section settings (margins) are dropped so
    the 版心 stays the standard one."""
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
    composer = Composer(doc)
    if before is None:
        composer.append(source, remove_property_fields=False)
    else:
        composer.insert(doc.element.body.index(before), source, remove_property_fields=False)
    final = doc.element.body.find(_qn("w:sectPr"))
    if final is not None and keep is not None:
        final.getparent().replace(final, keep)


def _qn(tag: str) -> str:
    from docx.oxml.ns import qn

    return str(qn(tag))


# ---- the limited child: the whole compose and rendering outside the worker process -------------------


def build_limited(facts: FormalFacts, body: Path | None, out_dir: Path, *, soffice: str = "soffice",
                  timeout: float = 120.0, memory_mb: int = 1536,
                  template: Path | None = None) -> tuple[Path, Path]:
    """`build` in a child process under fileformats.subproc limits (address space `memory_mb` for it and
    the LibreOffice it starts, wall-clock for all its renderings, its process group killed at the end).

    The 正文 and the red-header `template` (rendered in the child, `render_template`) are checked as zips
    first (fileformats.zipguard: declared and actual inflated sizes), so an inflating .docx is refused
    unread. Raises ValueError with the reason for the user (not a Word file, a zip bomb, a failing
    template, too slow, out of memory) or office.ConversionFailed.
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
    if template is not None:
        try:
            zipguard.check(template)
        except zipfile.BadZipFile:
            raise ValueError(msg("红头模板不是有效的 Word 文件（.docx）")) from None
    data = {k: (v.isoformat() if isinstance(v, date) else v) for k, v in asdict(facts).items()}
    command = [sys.executable, "-m", "documents.redhead", json.dumps(data, ensure_ascii=False),
               str(body or ""), str(out_dir), soffice, str(timeout), str(template or "")]
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
        raise ValueError(from_data(answer["error"]))
    docx_path, pdf_path = out_dir / "套红.docx", out_dir / "套红.pdf"
    if done.returncode != 0 or not pdf_path.exists():
        why = msg("内存不足") if done.returncode < 0 or b"MemoryError" in done.stderr else msg("正文可能已损坏")
        raise ValueError(msg("套红排版失败（%(why)s）", why=why))
    return docx_path, pdf_path


def sample_facts() -> FormalFacts:
    """Facts a red-header template is tried with at upload: every element present (上行文, classified,
    urgent, two attachments, 抄送)."""
    return FormalFacts(
        organ_name="示范市林业局", doc_number="示林发〔2026〕1号", title="关于做好森林防火工作的通知",
        main_recipients="各区县林业局", signed_on=date(2026, 3, 5), issued_by="示范市林业局办公室",
        issued_on=date(2026, 3, 6), cc_recipients="市政府办公室", attachments=("值班表.xlsx", "联系方式.docx"),
        classification="秘密", secrecy_period="1年", copy_number="000001", urgency="特急", upward=True,
        signer="张建国")


def check_template(template: Path) -> list[str]:
    """Every problem of the red-header template `template` (run in the limited child: `check_limited`):
    not a Word file; no 「{{ 正文 }}」 paragraph, or the marker not alone in its paragraph; a placeholder
    syntax error; an expression the sandbox refuses or that fails with `sample_facts`. [] when usable.
    Messages in Chinese (core.messages)."""
    import re

    from docx import Document as open_document
    from docx.text.paragraph import Paragraph

    try:
        raw = open_document(str(template))
    except Exception:  # python-docx raises many kinds on a damaged package
        return [msg("模板不是有效的 Word 文件（.docx）")]
    texts = [Paragraph(p, raw._body).text for p in raw.element.body.iter(_qn("w:p"))]
    marker = re.compile(r"\{\{\s*(正文|body)\s*\}\}")
    problems: list[str] = []
    markers = sum(1 for t in texts if marker.search(t))
    if not markers:
        problems.append(msg("模板中没有「{{ 正文 }}」段落：正文排入的位置须单独成段写「{{ 正文 }}」"))
    elif markers > 1:
        problems.append(msg("「{{ 正文 }}」只能出现一次（模板中有 %(n)d 处）", n=markers))
    try:
        rendered = render_template(template, sample_facts())
    except TemplateError as exc:
        problems.extend(exc.problems)
        return problems
    if not problems:
        found = [Paragraph(p, rendered._body).text.strip() for p in rendered.element.body.findall(_qn("w:p"))]
        if _BODY_SENTINEL not in found:
            problems.append(msg("「{{ 正文 }}」须单独成段（不在表格或文本框中），同一段落中不能有其他文字"))
    return problems


def check_limited(template: Path, *, timeout: float | None = None, memory_mb: int = 1024) -> list[str]:
    """`check_template` in a limited child (address space `memory_mb`, `timeout` seconds: by default the
    2 s a web request may give a child, `fileformats.subproc.IN_REQUEST_SECONDS`; a template needs about
    0.2 s), the zip checked first in this process: every problem, [] when the template is usable."""
    import json
    import sys
    import zipfile

    from fileformats import subproc, zipguard

    timeout = subproc.IN_REQUEST_SECONDS if timeout is None else timeout
    try:
        zipguard.check(template)
    except zipfile.BadZipFile:
        return [msg("模板不是有效的 Word 文件（.docx）：文件已损坏或不是 zip 格式")]
    except zipguard.ZipBomb as exc:
        return [msg("模板被拒绝：%(why)s", why=str(exc))]
    try:
        done = subproc.run_limited([sys.executable, "-m", "documents.redhead", "--check", str(template)],
                                   timeout=timeout, memory_mb=memory_mb, output_mb=16)
    except subproc.LimitExceeded:
        return [msg("模板试排超过 %(limit)g 秒仍未完成，已终止（可能含有过大的循环；若系统繁忙请重试）", limit=timeout)]
    lines = done.stdout.decode("utf-8", errors="replace").strip().splitlines()
    if done.returncode != 0 or not lines or not lines[-1].startswith("{"):
        return [msg("模板渲染失败（内存不足或文件已损坏）")]
    return [from_data(p) for p in json.loads(lines[-1])["problems"]]


def _main(argv: list[str]) -> int:
    # Child usage (internal): python -m documents.redhead FACTS_JSON BODY OUT_DIR SOFFICE TIMEOUT TEMPLATE
    # or: python -m documents.redhead --check TEMPLATE
    import json

    if argv[0] == "--check":
        problems = check_template(Path(argv[1]))
        print(json.dumps({"problems": [to_data(p) for p in problems]}, ensure_ascii=False))
        return 0

    raw = json.loads(argv[0])
    for key in ("signed_on", "issued_on"):
        raw[key] = date.fromisoformat(raw[key])
    raw["attachments"] = tuple(raw["attachments"])
    facts = FormalFacts(**raw)
    try:
        build(facts, Path(argv[1]) if argv[1] else None, Path(argv[2]), soffice=argv[3], timeout=float(argv[4]),
              template=Path(argv[5]) if len(argv) > 5 and argv[5] else None)
    except office.ConversionFailed as exc:
        print(json.dumps({"error": str(exc), "kind": "conversion"}, ensure_ascii=False))
        return 0
    except ValueError as exc:
        reason = exc.args[0] if exc.args and isinstance(exc.args[0], str) else str(exc)
        print(json.dumps({"error": to_data(reason)}, ensure_ascii=False))
        return 0
    print(json.dumps({"ok": True}))
    return 0


if __name__ == "__main__":
    import sys

    raise SystemExit(_main(sys.argv[1:]))
