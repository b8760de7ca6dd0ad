"""The 套红's exact placements per GB/T 9704-2012, measured on the PDF LibreOffice renders (±1 mm):
§7.2.4 the red 发文机关标志's top edge 35 mm below the 版心's top edge (72 mm from the page's top),
centred, whether or not 份号 / 密级★保密期限 / 紧急程度 stand above it; §7.2.5 the 发文字号 two lines
below it (下行文 centred; 上行文 one character in, 签发人 one character from the right); §7.2.6 the red
separator 4 mm below the 发文字号 and as wide as the 版心; §7.3.1 the 标题 two lines below the red line;
§7.4.1 the 版记's thick / thin / thick lines as wide as the 版心, the last on the 版心's bottom edge
(262 mm) of the last, even, page; §5.2.2 22 lines of 28 characters; §7.5 page numbers 「— N —」 at the
outside."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest
from docx import Document

from documents import redhead
from tests.documents.test_redhead import FACTS, _body
from tests.support import gbt9704 as g

pytestmark = pytest.mark.slow

PITCH = redhead.PITCH_PT / 72 * 25.4  # one line of the grid, 10.2 mm
CLASSIFIED = {"classification": "秘密", "secrecy_period": "1年", "copy_number": "000001", "urgency": "特急"}


def check_head(pdf: Path, facts: redhead.FormalFacts) -> g.Head:
    """Assert the 版头 of `pdf`'s first page is where §7.2 puts it; return the measurements."""
    head = g.head(pdf, facts.doc_number, facts.title[:6])
    assert abs(head.mark.top - (g.VERSION_TOP + 35)) <= 1, head.mark  # §7.2.4: 35 mm below the 版心's top
    assert abs((head.mark.left + head.mark.right) / 2 - g.CENTRE) <= 1, head.mark  # centred
    assert head.mark.right - head.mark.left <= 156  # no wider than the 版心
    # §7.2.5: two empty lines between the mark and the 发文字号 (plus the leading of the 文号's own line).
    assert abs(head.number_ink.top - head.mark.bottom - (2 * PITCH + PITCH - g.ONE_CHAR)) <= 1.5, head
    # §7.2.6: the red separator 4 mm below the 发文字号, as wide as the 版心.
    rule = head.separator
    assert rule.color == redhead.RED
    assert abs(rule.y - head.number_ink.bottom - 4) <= 1, (rule, head.number_ink)
    assert abs(rule.left - g.VERSION_LEFT) <= 1 and abs(rule.right - g.VERSION_RIGHT) <= 1, rule
    # §7.3.1: the 标题 centred, two empty lines below the red line (its line's top two lines down).
    assert abs((head.title.left + head.title.right) / 2 - g.CENTRE) <= 1.5
    assert 2 * PITCH - 1 <= head.title.top - rule.y <= 2.5 * PITCH, (head.title, rule)
    if facts.upward:
        signer = next(line for line in redhead.pdf_lines(pdf)[0] if "签发人：" in line.text)
        assert abs(head.number.left - (g.VERSION_LEFT + g.ONE_CHAR)) <= 1  # 居左空一字
        assert abs(signer.right - (g.VERSION_RIGHT - g.ONE_CHAR)) <= 1  # 居右空一字
        assert abs(signer.top - head.number.top) <= 1
    else:
        assert abs((head.number.left + head.number.right) / 2 - g.CENTRE) <= 1  # centred
    return head


def check_colophon(pdf: Path, *, cc: bool = True) -> list[redhead.Rule]:
    """Assert the 版记 lines of the last page (§7.4.1; `cc`: with 抄送, so a thin line between); return them."""
    pages = redhead.pdf_rules(pdf)
    assert len(pages) % 2 == 0 or len(pages) == 1  # the last page is even (a one-page document keeps it)
    rules = [r for r in pages[-1] if r.color == "000000" and r.right - r.left > 100 and r.y > 150]
    widths = (0.35, 0.25, 0.35) if cc else (0.35, 0.35)  # thick, (thin,) thick
    assert len(rules) == len(widths), rules
    for rule in rules:
        assert abs(rule.left - g.VERSION_LEFT) <= 1 and abs(rule.right - g.VERSION_RIGHT) <= 1, rule
    for rule, width in zip(rules, widths, strict=True):  # ± 0.05 mm
        assert abs(rule.width - width) <= 0.05, rules
    last = rules[-1]
    assert abs(last.y + last.width / 2 - g.VERSION_BOTTOM) <= 1, last  # on the 版心's bottom edge
    lines = redhead.pdf_lines(pdf)[-1]
    issued = next(line for line in lines if line.text.endswith("印发"))
    office = next(line for line in lines if line.text.endswith("办公室") and abs(line.top - issued.top) < 1)
    assert rules[-2].y < issued.top and issued.bottom < last.y  # 印发机关和印发日期 between thin and thick
    one_char = 14 / 72 * 25.4  # one 4号 character
    assert abs(office.left - (g.VERSION_LEFT + one_char)) <= 1  # 印发机关 one character in from the left
    assert abs(issued.right - (g.VERSION_RIGHT - one_char)) <= 1  # 印发日期 one character in from the right
    return rules


@pytest.mark.parametrize("upward", [False, True], ids=["下行文", "上行文"])
@pytest.mark.parametrize("classified", [False, True], ids=["plain", "classified"])
def test_the_head_and_the_colophon_are_where_the_standard_puts_them(tmp_path, upward, classified):
    marks = CLASSIFIED if classified else {"urgency": ""}
    facts = dataclasses.replace(FACTS, upward=upward, signer="张建国" if upward else "", **marks)
    _docx, pdf = redhead.build(facts, _body(tmp_path / "正文.docx", 3), tmp_path / "out")
    check_head(pdf, facts)
    first = redhead.pdf_lines(pdf)[0]
    if classified:  # 份号, 密级★保密期限, 紧急程度 from the first line down, at the 版心's left, above the mark
        marks = [next(line for line in first if line.text == text) for text in ("000001", "秘密★1年", "特急")]
        assert all(abs(line.left - g.VERSION_LEFT) <= 1 for line in marks)
        assert abs(marks[0].top - g.VERSION_TOP) <= 4 and marks[0].top < marks[1].top < marks[2].top
        assert marks[2].bottom < g.VERSION_TOP + 35
    check_colophon(pdf)


FILLER = "森林资源是林业发展的基础各地要加强保护管理" * 80


def test_a_page_of_plain_text_has_22_lines_of_28_characters_and_outside_page_numbers(tmp_path):
    body = Document()
    body.add_paragraph(FILLER)
    body.save(str(tmp_path / "正文.docx"))
    _docx, pdf = redhead.build(FACTS, tmp_path / "正文.docx", tmp_path / "out")
    pages = redhead.pdf_lines(pdf)
    full = [line for line in pages[1] if line.top > g.VERSION_TOP - 1 and line.bottom < g.VERSION_BOTTOM]
    assert len(full) == 22, [line.text for line in full]
    assert all(len(line.text) == 28 for line in full), [len(line.text) for line in full]
    assert abs(full[0].top - g.VERSION_TOP) <= 3 and abs(full[-1].bottom - g.VERSION_BOTTOM) <= 4
    assert all(abs(line.left - g.VERSION_LEFT) <= 1 and abs(line.right - g.VERSION_RIGHT) <= 1 for line in full)
    numbered = pages if len(pages) > 2 else pages[:2]
    for n, page in enumerate(numbered[:-1], 1):  # the 版记's own last page may be unnumbered
        number = next(line for line in page if line.text == f"—{n}—")
        assert number.top > g.VERSION_BOTTOM + 4
        if n % 2:
            assert abs(number.right - (g.VERSION_RIGHT - g.ONE_CHAR * 14 / 16)) <= 1.5  # odd: right, 一字 in
        else:
            assert abs(number.left - (g.VERSION_LEFT + g.ONE_CHAR * 14 / 16)) <= 1.5  # even: left, 一字 in
    check_head(pdf, FACTS)
    check_colophon(pdf)


def test_a_long_organ_name_is_made_smaller_to_fit_the_version_width_and_keeps_its_place(tmp_path):
    """§7.2.4: the mark no wider than the 版心, on one line, its top still 35 mm below the 版心's top."""
    facts = dataclasses.replace(FACTS, organ_name="示范市林业和草原局森林草原防火指挥部", urgency="")
    assert redhead.mark_size(facts.organ_mark) < redhead.MARK_PT
    _docx, pdf = redhead.build(facts, _body(tmp_path / "正文.docx", 1), tmp_path / "out")
    head = check_head(pdf, facts)
    assert head.mark.right - head.mark.left <= 156 and head.mark.bottom - head.mark.top < 12  # one line



SECTPR_ORDER = ("headerReference", "footerReference", "footnotePr", "endnotePr", "type", "pgSz", "pgMar",
                "paperSrc", "pgBorders", "lnNumType", "pgNumType", "cols", "formProt", "vAlign", "noEndnote",
                "titlePg", "textDirection", "bidi", "rtlGutter", "docGrid", "printerSettings", "sectPrChange")
PBDR_ORDER = ("top", "left", "bottom", "right", "between", "bar")


@pytest.mark.parametrize("templated", [False, True], ids=["built-in", "template"])
def test_the_docx_keeps_the_schemas_element_order_so_word_opens_it(tmp_path, templated):
    """Word refuses a .docx whose w:pPr / w:rPr / w:sectPr / w:pBdr children are out of the schema's order
    (LibreOffice forgives it): every such element of the 套红 .docx, with the 版记 moved two pages on."""
    import zipfile

    from lxml import etree

    template = redhead.write_template(tmp_path / "t.docx") if templated else None
    facts = dataclasses.replace(FACTS, upward=True, signer="张建国", **CLASSIFIED)
    target = redhead.build_docx(facts, _body(tmp_path / "正文.docx", 2), tmp_path / "x.docx", colophon_pages=2,
                                colophon_drop_pt=30, template=template)
    w = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
    orders = {"pPr": redhead.PPR_ORDER, "rPr": redhead.RPR_ORDER, "sectPr": SECTPR_ORDER, "pBdr": PBDR_ORDER}
    checked = 0
    with zipfile.ZipFile(target) as package:
        for part in package.namelist():
            if not part.startswith("word/") or not part.endswith(".xml"):
                continue
            root = etree.fromstring(package.read(part))
            for name, order in orders.items():
                for element in root.iter(w + name):
                    names = [child.tag.removeprefix(w) for child in element if child.tag.startswith(w)]
                    known = [n for n in names if n in order]
                    assert known == sorted(known, key=order.index), (part, name, names)
                    checked += 1
    assert checked > 100
