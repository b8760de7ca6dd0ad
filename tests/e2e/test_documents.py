"""A 发文 walks its whole route in a real browser and ends up searchable in the archive."""

from __future__ import annotations

import time

import pytest

from tests.e2e.browser import click_to_load, handle, pdf_file, screenshot, switch_user

pytestmark = pytest.mark.e2e

TITLE = "关于开展二〇二六年春季义务植树活动的通知"


@pytest.mark.slow
def test_outgoing_document_from_draft_to_archive_search(page, live_server):
    server = live_server
    switch_user(page, server, "lz_staff")
    page.goto(server.url + "/documents/new?kind=outgoing")
    page.fill("#title", TITLE)
    page.select_option("#urgency", "urgent")
    page.fill("#main_recipients", "各区县林业局")
    page.set_input_files("#main_file", files=[{"name": "植树通知.pdf", "mimeType": "application/pdf",
                                              "buffer": pdf_file()}])
    click_to_load(page, "#new-document button[type=submit]")
    doc_url = page.url
    assert page.locator("#doc-state").inner_text() == "草稿"
    page.check("input[name=use_countersign]")
    page.check("input[name=departments_countersign][value=ZLC]")
    click_to_load(page, "#save-plan-button")
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

    def numbering(pg):
        pg.fill("#copies", "30")
        pg.check("input[name=distribution_departments][value=LZC]")

    handle(page, server, doc_url, "clerk", "", before=numbering)
    number = page.locator("#doc-number").inner_text()
    assert number.startswith("示林发〔") and number.endswith("〕1号")
    handle(page, server, doc_url, "clerk", "已分发。")
    handle(page, server, doc_url, "clerk", "", before=lambda pg: pg.select_option("#file-retention", "Y"))
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
        if "发文稿纸" in found and "植树" in found:
            break
        time.sleep(2)
    assert "发文稿纸" in found, f"not indexed in time; last page: {found[:500]}"
    screenshot(page, "documents-archive-search")


@pytest.mark.slow
def test_incoming_document_from_registration_to_filing(page, live_server):
    """收文: 签收登记 → 初审 → 拟办 → 局领导批办 (主办 + 协办) → 承办 → 办结 → 归档, each step in the browser."""
    from datetime import date

    server = live_server
    title = "四川省林业和草原局关于加强冬春季森林防火工作的通知"
    switch_user(page, server, "clerk")
    page.goto(server.url + "/documents/new?kind=incoming")
    page.fill("#title", title)
    page.fill("#source_organ", "四川省林业和草原局")
    page.fill("#source_number", "川林函〔2026〕8号")
    page.fill("#received_on", date.today().isoformat())
    page.set_input_files(
        "#main_file", files=[{"name": "来文.pdf", "mimeType": "application/pdf", "buffer": pdf_file()}]
    )
    click_to_load(page, "#new-document button[type=submit]")
    doc_url = page.url
    click_to_load(page, "#submit-button")
    assert page.locator(".flash.success").count() == 1

    handle(page, server, doc_url, "clerk", "属我局职责，请办公室拟办。")
    handle(page, server, doc_url, "office_head", "拟请林政资源管理处主办，造林绿化处协办。")

    def assign(pg):
        pg.select_option("#lead_department", "LZC")
        pg.check("input[name=co_departments][value=ZLC]")

    handle(page, server, doc_url, "director", "同意拟办意见。", before=assign)
    assert "林政资源管理处；协办 造林绿化处" in page.locator("main").inner_text()
    handle(page, server, doc_url, "zl_head", "造林处已配合提供资料。")
    handle(page, server, doc_url, "lz_head", "已部署全局防火检查。")
    handle(page, server, doc_url, "lz_head", "办结。")
    def file_it(pg):
        # The drafter's page holds the edit form and the step form at once: ids must stay unique.
        ids = pg.eval_on_selector_all("[id]", "els => els.map(e => e.id)")
        assert len(ids) == len(set(ids)), sorted({i for i in ids if ids.count(i) > 1})
        pg.select_option("#file-retention", "D10")

    handle(page, server, doc_url, "clerk", "", before=file_it)
    assert page.locator("#doc-state").inner_text() == "已归档"
    archive_number = page.locator("#doc-archive-number").inner_text().removeprefix("档号").strip()
    assert archive_number.startswith(f"J001-WS·{date.today().year}-D10-LZC-")
    timeline = page.locator("#timeline").inner_text()
    for opinion in ("属我局职责", "拟请林政资源管理处主办", "同意拟办意见。", "造林处已配合", "已部署全局防火检查。"):
        assert opinion in timeline
    screenshot(page, "documents-incoming-filed")
