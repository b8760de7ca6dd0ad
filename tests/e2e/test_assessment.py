"""目标绩效考核 in a real browser: the office imports a year's targets from the XLSX template, a department
head submits the quarter's 自查, and the office's summary shows who reported and who is missing, with the
分析报告 to download (issue 14 §4: "a quarter's 自查 is collected and summarised")."""

from __future__ import annotations

import io

import pytest
from openpyxl import Workbook

from core import calendar
from tests.e2e.browser import click_to_load, screenshot, switch_user

pytestmark = pytest.mark.e2e

# Last year's fourth quarter: open and past its due date whatever day the test runs (the demo fills this year).
YEAR = calendar.local_today().year - 1


def _targets_xlsx() -> bytes:
    book = Workbook()
    sheet = book.active
    sheet.append(["部门", "类别", "目标内容", "考核标准", "责任人", "一季度", "二季度", "三季度", "四季度", "分值"])
    sheet.append(["林政资源管理处", "业务工作目标", "全面推行林长制，巡林全覆盖", "以林长制考核细则为准", "刘志强",
                  "印发工作要点", "市级林长巡林", "县级林长巡林全覆盖", "完成年度林长制考核", 15])
    sheet.append(["林政资源管理处", "党风廉政建设目标", "规范林木采伐审批", "办理时限不超过5个工作日", "陈晓明",
                  "梳理流程", "网上办理", "压缩时限", "满意度回访", 5])
    sheet.append(["造林绿化处", "业务工作目标", "完成人工造林1.2万亩", "以核查验收面积为准", "杨海涛",
                  "作业设计", "春季造林", "森林抚育", "通过核查", 20])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def test_a_quarters_self_check_is_collected_and_summarised(page, live_server):
    server = live_server
    switch_user(page, server, "clerk")
    page.goto(server.url + "/assessment/")
    assert page.locator("#quarters tbody tr").count() >= 9  # the demo's departments
    screenshot(page, "assessment-index")
    page.goto(server.url + f"/assessment/import?year={YEAR}")
    page.fill("#year", str(YEAR))
    page.set_input_files("#file", files=[{
        "name": "目标责任书.xlsx", "buffer": _targets_xlsx(),
        "mimeType": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"}])
    click_to_load(page, "#import-submit")
    assert "已导入 3 项目标" in page.locator(".flash.success").inner_text()

    switch_user(page, server, "lz_head")
    page.goto(server.url + f"/assessment/self-check?year={YEAR}&quarter=4")
    form = page.locator("#self-check-form")
    form.locator("tbody select").nth(0).select_option(label="已完成")
    form.locator("tbody textarea").nth(0).fill("市县两级林长巡林全覆盖，年度考核已完成。")
    form.locator("tbody select").nth(1).select_option(label="推进中")
    page.fill("#summary", "全年目标总体完成。")
    screenshot(page, "assessment-self-check")
    click_to_load(page, "#self-check-submit")
    assert "逾期报送" in page.locator(".flash.success").inner_text()
    assert "市县两级林长巡林全覆盖" in page.locator("#self-check-items").inner_text()

    switch_user(page, server, "clerk")
    page.goto(server.url + f"/assessment/summary?year={YEAR}&quarter=4")
    who = page.locator("#who-reported")
    assert "逾期报送" in who.locator("tr:has-text('林政资源管理处')").inner_text()
    assert "未报送" in who.locator("tr:has-text('造林绿化处')").inner_text()
    assert page.locator("#kpi-reported").inner_text() == "1"
    assert "市县两级林长巡林全覆盖" in page.locator("#target-status").inner_text()
    screenshot(page, "assessment-summary")
    with page.expect_download() as download:
        page.click("#export-docx")
    assert download.value.suggested_filename.endswith("分析报告.docx")
    # The PDF is made by the worker (LibreOffice), never in the request: ask, then reload until it is there.
    click_to_load(page, "#pdf-request")
    assert "正在生成" in page.locator(".flash.success").inner_text()
    for _attempt in range(60):
        if page.locator("#pdf-download").count():
            break
        page.wait_for_timeout(1000)
        page.reload()
    with page.expect_download() as made:
        page.click("#pdf-download")
    assert made.value.suggested_filename.endswith("分析报告.pdf")
