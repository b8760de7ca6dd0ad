"""Issue 12 in a real browser: the route template form with its live 文号 preview, and printing from
the document page with where it goes and why shown before sending."""

from __future__ import annotations

import io
import re

import pytest
from playwright.sync_api import expect

from tests.e2e.browser import click_to_load, screenshot, switch_user

pytestmark = pytest.mark.e2e


def _pdf(title: str) -> bytes:
    from reportlab.pdfgen import canvas

    out = io.BytesIO()
    c = canvas.Canvas(out)
    for n in range(3):
        c.drawString(72, 720, f"page {n + 1}")
        c.showPage()
    c.save()
    return out.getvalue()


def test_route_template_form_previews_the_next_number_and_saves(page, live_server):
    server = live_server
    switch_user(page, server, "admin")
    page.goto(server.url + "/documents/templates/edit?code=outgoing")
    number_step = page.locator("fieldset.route-step:has(select[data-role=kind] option[value=number][selected])")
    preview = number_step.locator("output.number-preview")
    assert re.fullmatch(r"示林发〔\d{4}〕\d+号", preview.inner_text())
    # The 会签 fields show for the 会签 step only; the 文号 code field only for the number step.
    countersign = page.locator("fieldset.route-step").nth(1)
    assert countersign.locator("[data-for-kind=countersign]").first.is_visible()
    assert not countersign.locator("[data-for-kind=number]").is_visible()
    number_step.locator("input[data-role=number-code]").fill("{organ}函")
    expect(preview).to_have_text(re.compile(r"^示林函〔\d{4}〕1号$"), timeout=10_000)  # fetched as typed
    number_step.locator("input[data-role=number-code]").fill("{organ}发")  # other tests share this server
    expect(preview).to_have_text(re.compile(r"^示林发〔\d{4}〕\d+号$"), timeout=10_000)
    countersign.locator("select[name$=-mode]").select_option("any")
    screenshot(page, "route-template-form")
    click_to_load(page, "button[value=save]")
    assert "已保存" in page.locator(".flash.success").inner_text()
    page.goto(server.url + "/documents/templates/edit?code=outgoing")
    assert page.locator("fieldset.route-step").nth(1).locator("select[name$=-mode]").input_value() == "any"


def test_print_from_the_document_page_shows_the_route_first(page, live_server):
    server = live_server
    switch_user(page, server, "lz_staff")
    page.goto(server.url + "/documents/new?kind=request")
    page.fill("#title", "关于购置防火巡查无人机的请示（打印测试）")
    page.set_input_files("#main_file", files=[{"name": "请示.pdf", "mimeType": "application/pdf",
                                              "buffer": _pdf("请示")}])
    click_to_load(page, "#new-document button[type=submit]")
    click_to_load(page, "a.print-link")
    assert "送林政资源管理处打印机" in page.locator("#print-destination").inner_text()
    assert "部门打印默认双面" in page.locator("#print-reasons").inner_text()
    page.select_option("#media", "A3")
    page.select_option("#duplex", "two")
    click_to_load(page, "#print-estimate")
    assert "送文印室" in page.locator("#print-destination").inner_text()
    assert "A3" in page.locator("#print-reasons").inner_text()
    screenshot(page, "document-print-route")
    click_to_load(page, "#print-submit")
    flash = page.locator(".flash.success").inner_text()
    assert "已提交打印" in flash and "文印室" in flash
