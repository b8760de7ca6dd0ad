"""A 发文 with a Word 正文 walks from 拟稿 to 归档 in a real browser as the demo bureau's people; the
worker of `eoffice run` makes its 套红 formal version after 编号 (with the demo bureau's red-header
template); the PDF downloaded from the document page is measured against GB/T 9704-2012 with the
helpers of the 套红 tests: the 发文机关标志 35 mm below the 版心's top, the 文号 centred two lines under
it, the red line 4 mm below the 文号 and as wide as the 版心, the 标题 centred two lines under it, page
numbers 「— N —」 at the outside, the 版记's last line on the 版心's foot."""

from __future__ import annotations

import io
import time
from pathlib import Path

import pytest
from docx import Document

from documents import redhead
from tests.e2e.browser import click_to_load, handle, screenshot, switch_user
from tests.support import gbt9704 as g
from tests.support.gbt9704 import PITCH, check_colophon

pytestmark = pytest.mark.e2e

TITLE = "关于做好森林草原防灭火工作的通知"
PARAGRAPH = "　　为切实做好今年森林草原防灭火工作，确保人民群众生命财产安全和森林资源安全，现将有关事项通知如下。"


def _word() -> bytes:
    body = Document()
    for _ in range(6):  # the text ends on page 2: the 版记 goes to its foot
        body.add_paragraph(PARAGRAPH)
    out = io.BytesIO()
    body.save(out)
    return out.getvalue()


@pytest.mark.slow
def test_an_outgoing_document_is_walked_to_filing_and_its_formal_pdf_measures_to_the_standard(
        page, live_server, tmp_path):
    server = live_server
    switch_user(page, server, "lz_staff")
    page.goto(server.url + "/documents/new?kind=outgoing")
    page.fill("#title", TITLE)
    page.fill("#main_recipients", "各区县林业局")
    page.fill("#cc_recipients", "市应急管理局")
    docx_type = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
    page.set_input_files("#main_file", files=[{"name": "防火通知.docx", "mimeType": docx_type, "buffer": _word()}])
    click_to_load(page, "#new-document button[type=submit]")
    doc_url = page.url
    click_to_load(page, "#submit-button")
    assert page.locator("#doc-state").inner_text() == "流转中"
    handle(page, server, doc_url, "lz_head", "同意。")
    handle(page, server, doc_url, "office_head", "核稿无误。")
    handle(page, server, doc_url, "director", "同意印发。")
    handle(page, server, doc_url, "clerk", "", before=lambda pg: pg.fill("#copies", "20"))  # 编号
    number = page.locator("#doc-number").inner_text().strip()
    assert number.startswith("示林发〔")

    # The worker makes the formal version; the page offers it once made (a reload, as a person would).
    link = page.locator("#formal-version a[href$='/formal.pdf']")
    deadline = time.monotonic() + 180
    while not link.count() and time.monotonic() < deadline:
        assert "生成失败" not in page.locator("#formal-version").inner_text()
        time.sleep(2)
        page.goto(doc_url)
    assert link.count(), page.locator("#formal-version").inner_text()
    screenshot(page, "formal-version-ready")
    response = page.request.get(server.url + link.get_attribute("href"))
    assert response.ok and response.headers["content-type"].startswith("application/pdf")
    pdf = Path(tmp_path / "formal.pdf")
    pdf.write_bytes(response.body())

    # The 版头 (§7.2): mark, 文号 and red line in place.
    head = g.head(pdf, number, TITLE[:6])
    assert abs(head.mark.top - (g.VERSION_TOP + 35)) <= 1, head.mark
    assert abs((head.mark.left + head.mark.right) / 2 - g.CENTRE) <= 1, head.mark
    assert head.number.text == number
    assert abs((head.number.left + head.number.right) / 2 - g.CENTRE) <= 1, head.number  # 下行文: centred
    assert abs(head.number_ink.top - head.mark.bottom - (3 * PITCH - g.ONE_CHAR)) <= 1.5  # 空二行
    assert head.separator.color == redhead.RED
    assert abs(head.separator.y - head.number_ink.bottom - 4) <= 1, head.separator
    assert abs(head.separator.left - g.VERSION_LEFT) <= 1 and abs(head.separator.right - g.VERSION_RIGHT) <= 1
    # The 标题 (§7.3.1): centred, two empty lines below the red line.
    assert abs((head.title.left + head.title.right) / 2 - g.CENTRE) <= 1.5, head.title
    assert 2 * PITCH - 1 <= head.title.top - head.separator.y <= 2.5 * PITCH, head.title
    # Page numbers (§7.5) and the 版记 (§7.4.1).
    pages = redhead.pdf_lines(pdf)
    assert len(pages) == 2, [[line.text for line in p] for p in pages]
    for n, lines in enumerate(pages, 1):
        page_number = next(line for line in lines if line.text == f"—{n}—")
        assert page_number.top > g.VERSION_BOTTOM + 4
        if n % 2:  # odd pages at the right, even pages at the left, one (4号) character in
            assert abs(page_number.right - (g.VERSION_RIGHT - g.ONE_CHAR * 14 / 16)) <= 1.5
        else:
            assert abs(page_number.left - (g.VERSION_LEFT + g.ONE_CHAR * 14 / 16)) <= 1.5
    check_colophon(pdf)

    handle(page, server, doc_url, "clerk", "已分发。")  # 分发
    handle(page, server, doc_url, "clerk", "", before=lambda pg: pg.select_option("#file-retention", "D30"))  # 归档
    assert page.locator("#doc-state").inner_text() == "已归档"
    screenshot(page, "formal-version-filed")
