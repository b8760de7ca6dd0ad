"""A 发文 walks its whole route in a real browser and ends up searchable in the archive."""

from __future__ import annotations

import io
import time

import pytest

from tests.e2e.conftest import click_to_load, screenshot, switch_user

pytestmark = pytest.mark.e2e

TITLE = "关于开展二〇二六年春季义务植树活动的通知"


def _pdf() -> bytes:
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.cidfonts import UnicodeCIDFont
    from reportlab.pdfgen import canvas

    pdfmetrics.registerFont(UnicodeCIDFont("STSong-Light"))
    out = io.BytesIO()
    c = canvas.Canvas(out)
    c.setFont("STSong-Light", 14)
    c.drawString(72, 720, TITLE)
    c.drawString(72, 690, "各区县林业局：请于三月十二日前组织开展义务植树活动。")
    c.save()
    return out.getvalue()




def handle(page, server, doc_url, username, opinion=None, before=None):  # type: ignore[no-untyped-def]
    """Open the document as `username`, fill the step's fields and press the main action button."""
    switch_user(page, server, username)
    page.goto(doc_url)
    if before:
        before(page)
    if opinion is not None:
        page.fill("#opinion", opinion)
    click_to_load(page, "#complete-button")
    assert "已办理" in page.locator(".flash.success").inner_text()


@pytest.mark.slow
def test_outgoing_document_from_draft_to_archive_search(page, live_server):
    server = live_server
    switch_user(page, server, "lz_staff")
    page.goto(server.url + "/documents/new?kind=outgoing")
    page.fill("#title", TITLE)
    page.select_option("#urgency", "urgent")
    page.fill("#main_recipients", "各区县林业局")
    page.set_input_files("#main_file", files=[{"name": "植树通知.pdf", "mimeType": "application/pdf",
                                              "buffer": _pdf()}])
    click_to_load(page, "#new-document button[type=submit]")
    doc_url = page.url
    assert page.locator("#doc-state").inner_text() == "草稿"
    page.check("input[name=use_countersign]")
    page.check("input[name=departments_countersign][value=ZLC]")
    click_to_load(page, "#plan-form button[type=submit]")
    assert page.locator(".flash.success").count() == 1
    screenshot(page, "documents-draft")
    click_to_load(page, "#submit-button")
    assert page.locator(".flash.success").count() == 1
    assert page.locator("#doc-state").inner_text() == "流转中"

    handle(page, server, doc_url, "lz_head", "同意，请会签。")
    handle(page, server, doc_url, "zl_head", "会签同意。")
    handle(page, server, doc_url, "office_head", "核稿无误。")
    switch_user(page, server, "director")
    page.goto(server.url + "/documents/")
    assert TITLE in page.locator("#doc-list").inner_text()
    screenshot(page, "documents-inbox")
    handle(page, server, doc_url, "director", "同意印发。")

    def numbering(pg):  # type: ignore[no-untyped-def]
        pg.fill("#copies", "30")
        pg.check("input[name=distribution_departments][value=LZC]")

    handle(page, server, doc_url, "clerk", "", before=numbering)
    number = page.locator("#doc-number").inner_text()
    assert number.startswith("示林发〔") and number.endswith("〕1号")
    handle(page, server, doc_url, "clerk", "已分发。")
    handle(page, server, doc_url, "clerk", "", before=lambda pg: pg.select_option("#retention", "Y"))
    assert page.locator("#doc-state").inner_text() == "已归档"
    archive_number = page.locator("#doc-archive-number").inner_text().removeprefix("档号").strip()
    assert archive_number.startswith("J001-WS·") and archive_number.endswith("-Y-LZC-0001")
    timeline = page.locator("#timeline").inner_text()
    for opinion in ("同意，请会签。", "会签同意。", "核稿无误。", "同意印发。"):
        assert opinion in timeline
    screenshot(page, "documents-filed")

    # The archivist finds the filed item once the indexer has picked up its folder.
    switch_user(page, server, "archivist")
    deadline = time.monotonic() + 90
    found = ""
    while time.monotonic() < deadline:
        page.goto(server.url + "/search/?q=义务植树")
        results = page.locator("#search-results")
        found = results.inner_text() if results.count() else ""
        if "处理单" in found and "植树" in found:
            break
        time.sleep(2)
    assert "处理单" in found, f"not indexed in time; last page: {found[:500]}"
    screenshot(page, "documents-archive-search")
