"""政务信息报送 in a real browser: a unit reports a 突发事件 late and the 通报 counts it; the office adopts
the item into 信息专报 <year>年第1期 and the worker makes the issue's PDF (issue 14 §2, "Done when")."""

from __future__ import annotations

import re
import time
from datetime import datetime, timedelta

import pytest

from core.models.base import BUREAU_ZONE
from tests.e2e.browser import click_to_load, screenshot, switch_user

pytestmark = pytest.mark.e2e

TITLE = "城北林区发生一起森林火情"


def _late_count(page) -> int:
    row = page.locator("#bulletin-table tr:has-text('造林绿化处')")
    return int(row.locator("td").nth(-2).inner_text())


def test_a_late_emergency_is_counted_and_an_adopted_item_becomes_an_issue_pdf(page, live_server):
    server = live_server
    now = datetime.now(BUREAU_ZONE)
    switch_user(page, server, "clerk")
    page.goto(server.url + "/reporting/bulletin")
    before = _late_count(page)

    switch_user(page, server, "zl_staff")
    page.goto(server.url + "/reporting/")
    click_to_load(page, "#new-item")
    page.select_option("#category", "emergency")
    page.fill("#event_at", (now - timedelta(hours=5)).strftime("%Y-%m-%dT%H:%M"))
    page.fill("#title", TITLE)
    page.fill("#body", "今日上午，城北林区发生一起森林火情，造林绿化处组织护林员协助扑救，明火已扑灭。")
    click_to_load(page, "#submit-item")
    assert "记为迟报" in page.locator(".flash.warning").inner_text()
    assert "迟报" in page.locator("#urgent-clock").inner_text()
    item_url = page.url

    switch_user(page, server, "clerk")
    page.goto(server.url + "/reporting/bulletin")
    assert _late_count(page) == before + 1
    screenshot(page, "reporting-bulletin")

    page.goto(item_url)
    label = f"信息专报 {now.year}年第1期"
    page.select_option("#issue", label=label)
    click_to_load(page, "#adopt-button")
    assert label in page.locator(".flash.success").inner_text()
    click_to_load(page, f"#adoptions a:has-text('{label}')")
    assert TITLE in page.locator("#issue-items").inner_text()
    click_to_load(page, "#make-pdf")
    deadline = time.monotonic() + 90
    while page.locator("#issue-pdf").count() == 0:
        assert time.monotonic() < deadline, "the worker did not make the issue's PDF"
        assert page.locator("#issue-documents .flash.error").count() == 0, page.locator("#issue-documents").inner_text()
        time.sleep(1)
        page.reload()
    screenshot(page, "reporting-issue")
    pdf = page.request.get(server.url + page.locator("#issue-pdf").get_attribute("href"))
    assert pdf.ok and pdf.body().startswith(b"%PDF")
    docx = page.request.get(server.url + page.locator("#issue-docx").get_attribute("href"))
    assert docx.ok and docx.body().startswith(b"PK")
    assert re.search(r"/reporting/issues/\d+$", page.url)
