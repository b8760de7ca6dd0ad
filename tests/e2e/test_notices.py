"""通知公告 in a real browser: the office posts a notice every desk sees on the front page, receipts
follow, and a 公示 takes an objection during its period (issue 14 §1)."""

from __future__ import annotations

import pytest

from tests.e2e.browser import click_to_load, screenshot, switch_user

pytestmark = pytest.mark.e2e

TITLE = "关于开展办公用房清理自查的通知"


def test_a_notice_reaches_every_desk_with_receipts_and_a_publicity_takes_objections(page, live_server):
    server = live_server
    switch_user(page, server, "clerk")
    page.goto(server.url + "/notices/new")
    page.fill("#title", TITLE)
    page.fill("#body", "各处室：\n请于12月15日前完成办公用房清理自查，并将自查表报办公室。")
    page.check("#pinned")
    click_to_load(page, "#publish-button")
    assert TITLE in page.locator(".flash.success").inner_text()
    notice_url = page.url

    switch_user(page, server, "zl_staff")
    page.goto(server.url + "/")
    item = page.locator(f"#home-notices li:has-text('{TITLE}')")
    assert "未读" in item.inner_text() and "置顶" in item.inner_text()
    screenshot(page, "home-notices")
    click_to_load(page, item.locator("a"))
    assert "办公用房清理自查" in page.locator("#notice-body").inner_text()
    page.goto(server.url + "/")
    assert "未读" not in page.locator(f"#home-notices li:has-text('{TITLE}')").inner_text()

    # The demo's 公示 in its period takes an objection; the closed one shows its outcome and no form.
    page.goto(server.url + "/notices/?kind=publicity")
    click_to_load(page, "#notice-list a:has-text('优秀公务员')")
    page.fill("#objection-form textarea", "建议补充推荐人选的年度考核结果。")
    click_to_load(page, "#objection-submit")
    assert "意见已提交" in page.locator(".flash.success").inner_text()
    page.goto(server.url + "/notices/?kind=publicity")
    click_to_load(page, "#notice-list a:has-text('专项资金分配方案')")
    assert page.locator("#objection-form").count() == 0
    assert "已按意见调整" in page.locator("#publicity-outcome").inner_text()

    switch_user(page, server, "clerk")
    page.goto(notice_url)
    assert "已读 1 人" in page.locator("#receipts h2").inner_text()
    screenshot(page, "notice-receipts")
