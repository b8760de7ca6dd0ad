"""收文 intake of a scanned 来文 in a real browser: the form shows at once, the worker of `eoffice run` reads
the scan with Tesseract, and static/js/intake-scan.js fills in the fields the clerk has not typed in."""

from __future__ import annotations

from datetime import date

import pytest

from tests.e2e.browser import click_to_load, screenshot, switch_user
from tests.support import scans

pytestmark = pytest.mark.e2e


@pytest.mark.slow
def test_a_scan_fills_the_register_form_when_the_worker_has_read_it(page, live_server, tmp_path):
    laid = scans.Laid("示范市应急管理局", "示应急函〔2026〕41号", ["关于加强汛期安全防范工作的通知"], "各区县林业局",
                      date(2026, 6, 8))
    scan = scans.save(laid, tmp_path / "扫描来文.png", dpi=200)
    switch_user(page, live_server, "clerk")
    page.goto(live_server.url + "/documents/new?kind=incoming")
    page.set_input_files("#intake_file", str(scan))
    click_to_load(page, "#intake-button")
    assert "正在识别文字" in page.locator("#intake-scan").inner_text()
    page.fill("#source_organ", "手工填写的来文机关")  # typed while the worker reads: never overwritten
    page.wait_for_selector("#intake-note", timeout=120_000)
    assert page.input_value("#source_organ") == "手工填写的来文机关"
    assert page.input_value("#source_number").endswith("〔2026〕41号")
    assert "安全防范工作的通知" in page.input_value("#title")
    assert "主送：各区县林业局" in page.locator("#intake-note").inner_text()
    screenshot(page, "intake-scan-filled")
    click_to_load(page, "#new-document button[type=submit]")
    assert page.locator(".flash.success").count() == 1
    assert "扫描来文.png" in page.locator("main").inner_text()  # the scan is the 正文
