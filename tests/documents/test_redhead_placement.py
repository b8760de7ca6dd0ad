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

import pytest
from docx import Document

from documents import redhead
from tests.support import gbt9704 as g
from tests.support.gbt9704 import CLASSIFIED, FACTS, body_docx, check_colophon, check_head

pytestmark = pytest.mark.slow


@pytest.mark.parametrize("upward", [False, True], ids=["下行文", "上行文"])
@pytest.mark.parametrize("classified", [False, True], ids=["plain", "classified"])
def test_the_head_and_the_colophon_are_where_the_standard_puts_them(tmp_path, upward, classified):
    marks = CLASSIFIED if classified else {"urgency": ""}
    facts = dataclasses.replace(FACTS, upward=upward, signer="张建国" if upward else "", **marks)
    _docx, pdf = redhead.build(facts, body_docx(tmp_path / "正文.docx", 3), tmp_path / "out")
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
    _docx, pdf = redhead.build(facts, body_docx(tmp_path / "正文.docx", 1), tmp_path / "out")
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
    target = redhead.build_docx(facts, body_docx(tmp_path / "正文.docx", 2), tmp_path / "x.docx", colophon_pages=2,
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
