"""督查督办 in a real browser: a 批示件 registered from a 收文 gets feedback, is chased when overdue and closed
(issue 14 §3, "Done when")."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from tests.e2e.browser import click_to_load, pdf_file, screenshot, switch_user

pytestmark = pytest.mark.e2e

TITLE = "市人民政府关于切实做好松材线虫病疫情防控工作的批示"
ORGAN = "市人民政府办公室"


def test_an_instruction_from_a_shouwen_gets_feedback_is_chased_when_overdue_and_closed(page, live_server):
    server = live_server
    switch_user(page, server, "clerk")
    # The 批示件 arrives as a 收文: the clerk registers it (签收登记).
    page.goto(server.url + "/documents/new?kind=incoming")
    page.fill("#title", TITLE)
    page.fill("#source_organ", ORGAN)
    page.fill("#source_number", "市府办批〔2026〕12号")
    page.fill("#received_on", date.today().isoformat())
    page.set_input_files("#main_file",
                         files=[{"name": "批示.pdf", "mimeType": "application/pdf", "buffer": pdf_file()}])
    click_to_load(page, "#new-document button[type=submit]")

    # 立项 from the 收文, entered a month late (registered on paper 30 days ago): already overdue.
    page.goto(server.url + "/inspection/")
    click_to_load(page, "#register-document")
    page.select_option("#document_id", label=f"{TITLE}（{ORGAN}）")
    page.select_option("#leader_id", label="张建国")
    page.select_option("#lead_department_id", label="林政资源管理处")
    page.select_option("#co_department_ids", label="造林绿化处")
    page.select_option("#person_id", label="陈晓明（林政资源管理处）")
    page.select_option("#kind", "urgent")
    page.select_option("#schedule", "weekly")
    page.fill("#registered_on", (date.today() - timedelta(days=30)).isoformat())
    screenshot(page, "inspection-register")
    click_to_load(page, "#register-button")
    assert "已立项" in page.locator(".flash.success").inner_text()
    assert page.locator("#item-content").inner_text() == TITLE
    assert "逾期" in page.locator("#item-state").inner_text()
    item_url = page.url

    # The office chases the responsible person (催办).
    page.fill("#remind-form input[name=note]", "请今天报送除治进展。")
    click_to_load(page, "#remind-submit")
    assert "已催办 陈晓明" in page.locator(".flash.success").inner_text()
    page.goto(server.url + "/inspection/?view=overdue")
    assert TITLE in page.locator("#inspection-list").inner_text()
    screenshot(page, "inspection-overdue")

    # The unit sees the reminder, reports progress and then the 办结 report.
    switch_user(page, server, "lz_staff")
    page.goto(server.url + "/notifications/")
    assert "督查督办催办" in page.locator("body").inner_text()
    page.goto(item_url)
    page.fill("#feedback-form textarea", "已完成疫木普查，除治疫木1260株。")
    click_to_load(page, "#feedback-submit")
    assert "进展反馈已报送" in page.locator(".flash.success").inner_text()
    page.fill("#closing-form textarea", "除治任务全部完成，已通过区县自查验收。")
    click_to_load(page, "#closing-submit")
    assert "办结待审核" in page.locator("#item-state").inner_text()

    # The office accepts; the leader in charge confirms.
    switch_user(page, server, "clerk")
    page.goto(item_url)
    page.select_option("#decision", "accept")
    click_to_load(page, "#judge-submit")
    assert "办结待确认" in page.locator("#item-state").inner_text()
    switch_user(page, server, "director")
    page.goto(item_url)
    click_to_load(page, "#confirm-submit")
    assert "已办结" in page.locator("#item-state").inner_text()
    screenshot(page, "inspection-closed")
    page.goto(server.url + "/inspection/report")
    assert "林政资源管理处" in page.locator("#bulletin").inner_text()
    screenshot(page, "inspection-report")
