"""The 套红 document per GB/T 9704-2012, measured on the PDF LibreOffice renders (±1 mm where the
standard gives a size): A4, 版心 156 × 225 mm at 28 mm / 37 mm, 22 lines of 28 characters, 红头 and
文号 centred, page numbers outside, 版记 on the last even page; the 正文's table, list and image survive."""

from __future__ import annotations

from pathlib import Path

import pytest
from docx import Document
from pypdf import PdfReader

from documents import redhead
from tests.support.gbt9704 import FACTS, body_docx

pytestmark = pytest.mark.slow


CENTRE = redhead.LEFT_MM + 156 / 2  # the 版心's centre line, 106 mm from the left edge
BOTTOM = redhead.PAGE_H_MM - redhead.BOTTOM_MM  # the 版心's bottom edge, 262 mm


def _find(page, text):
    found = [line for line in page if text in line.text]
    assert found, f"{text!r} not on the page: {[line.text for line in page]}"
    return found[0]


def test_the_formal_document_has_the_standard_layout(tmp_path):
    docx_path, pdf_path = redhead.build(FACTS, body_docx(tmp_path / "正文.docx", 12), tmp_path / "out")
    reader = PdfReader(str(pdf_path))
    pages = redhead.pdf_lines(pdf_path)
    assert len(pages) == len(reader.pages) and len(pages) % 2 == 0  # the 版记 is on an even page
    for page in reader.pages:  # A4
        assert abs(float(page.mediabox.width) / 72 * 25.4 - 210) < 1
        assert abs(float(page.mediabox.height) / 72 * 25.4 - 297) < 1
    first = pages[0]
    mark, number = _find(first, "示范市林业局文件"), _find(first, "示林发〔2026〕12号")
    title = _find(first, "关于做好冬春")
    assert abs((mark.left + mark.right) / 2 - CENTRE) < 1.5 and abs((number.left + number.right) / 2 - CENTRE) < 1.5
    assert abs((title.left + title.right) / 2 - CENTRE) < 1.5
    assert mark.top < number.top < title.top
    assert abs(_find(first, "特急").left - 28) < 1 and _find(first, "特急").top > 37  # top left, inside the 版心
    recipients = _find(first, "各区县林业局，局机关各处室：")
    assert abs(recipients.left - 28) < 1  # 订口 28 mm
    # A full page of 正文: 22 lines, the longest 28 characters reaching the right edge of the 版心 (184 mm).
    body_lines = sorted({round(line.top, 1) for line in pages[1] if line.bottom < BOTTOM})
    assert len(body_lines) == 22, body_lines
    assert abs(body_lines[0] - 37) < 4  # the first line of the 版心 at the 天头
    full = [line for line in pages[1] if line.bottom < BOTTOM and abs(line.left - 28) < 1]  # not a first line
    widest = max(full, key=lambda line: line.right)
    assert abs(widest.right - 184) < 1 and len(widest.text) == 28
    # Page numbers 「— n —」 below the 版心: odd pages at the right, even pages at the left, one character in.
    for n, page in enumerate(pages[:-1], 1):
        mark_line = _find(page, f"—{n}—")
        assert mark_line.top > BOTTOM + 4
        if n % 2:
            assert abs(mark_line.right - (184 - 4.9)) < 1.5
        else:
            assert abs(mark_line.left - (28 + 4.9)) < 1.5
    last = pages[-1]
    issued = _find(last, "2026年3月6日印发")
    assert BOTTOM - issued.bottom < 12  # the 版记 ends within the last line or so of the 版心
    assert _find(last, "抄送：市政府办公室，市应急管理局。").top < issued.top
    signed = _find(last if any("2026年3月5日" in x.text for x in last) else pages[-2], "2026年3月5日")
    assert signed.right < 184 - 4 * 5.6 + 1  # 成文日期 four characters in from the right (Arabic numerals)
    text = "".join(line.text for page in pages for line in page)
    for survived in ("单元00", "单元12", "一是落实值班制度", "附件：1.值班表", "2.联系方式"):
        assert survived in text, survived
    assert b"word/media/" in Path(docx_path).read_bytes() or "image" in str(Document(str(docx_path)).inline_shapes)


def test_a_document_ending_on_an_odd_page_gets_an_unnumbered_page_for_the_colophon(tmp_path):
    # Seven paragraphs end the text on page 3 (an odd page): the 版记 gets page 4 to itself, unnumbered.
    _docx, pdf_path = redhead.build(FACTS, body_docx(tmp_path / "正文.docx", 7), tmp_path / "out")
    pages = redhead.pdf_lines(pdf_path)
    assert len(pages) == 4
    assert any("2026年3月5日" in line.text for line in pages[2]) and any("—3—" in line.text for line in pages[2])
    assert [line.text for line in pages[3] if "印发" in line.text]
    assert not any("—4—" in line.text or "2026年3月5日" in line.text for line in pages[3])


def test_a_pdf_main_text_is_refused_with_the_reason(tmp_path):
    pdf = tmp_path / "正文.pdf"
    pdf.write_bytes(b"%PDF-1.4")
    with pytest.raises(ValueError, match="正文须为 Word 文件"):
        redhead.build_docx(FACTS, pdf, tmp_path / "x.docx")


def test_an_upward_classified_document_has_its_marks_in_place(tmp_path):
    """§7.2.1-7.2.5: 份号 (6 digits), 密级★保密期限 and 紧急程度 one per line at the 版心's top left; a 上行文's
    发文字号 one character in from the left and 签发人 one character in from the right, on one line."""
    import dataclasses

    facts = dataclasses.replace(FACTS, upward=True, signer="张建国", classification="秘密", secrecy_period="1年",
                                copy_number="000001", title="关于申请森林防火专项经费的请示")
    _docx, pdf_path = redhead.build(facts, body_docx(tmp_path / "正文.docx", 3), tmp_path / "out")
    first = redhead.pdf_lines(pdf_path)[0]
    copy, secret, urgent = _find(first, "000001"), _find(first, "秘密★1年"), _find(first, "特急")
    for line in (copy, secret, urgent):
        assert abs(line.left - 28) < 1  # the 版心's left edge
    assert abs(copy.top - 37) < 4 and copy.top < secret.top < urgent.top  # from the first line down
    number, signer = _find(first, "示林发〔2026〕12号"), _find(first, "签发人：张建国")
    one_char = 16 / 72 * 25.4  # one 3号 character, 5.6 mm
    assert abs(number.left - (28 + one_char)) < 1  # 居左空一字
    assert abs(signer.right - (184 - one_char)) < 1  # 居右空一字
    assert abs(number.top - signer.top) < 1  # on the same line
    mark = _find(first, "示范市林业局文件")
    assert abs((mark.left + mark.right) / 2 - CENTRE) < 1.5 and mark.top < number.top
