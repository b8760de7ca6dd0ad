"""督办 in a real browser: a 传阅 read by its recipient; a proxy signing as 代; the 督办 charts."""

from __future__ import annotations

import re

import pytest

from supervision.demo import minimal_pdf
from tests.e2e.browser import click_to_load, screenshot, switch_user

pytestmark = pytest.mark.e2e




def new_document(page, server, title: str) -> str:
    """Draft a 发文 through the form and return its page URL."""
    page.goto(server.url + "/documents/new?kind=outgoing")
    page.fill("#title", title)
    page.fill("#main_recipients", "各处室")
    page.set_input_files("#main_file", files=[{"name": "正文.pdf", "mimeType": "application/pdf",
                                              "buffer": minimal_pdf("e2e")}])
    click_to_load(page, "#new-document button[type=submit]")
    return page.url


def test_circulation_is_read_and_the_sender_sees_it(page, live_server):
    server = live_server
    switch_user(page, server, "office_head")
    doc_url = new_document(page, server, "关于国庆节期间值班安排的通知（传阅）")
    doc_id = doc_url.rstrip("/").rsplit("/", 1)[1]
    page.goto(f"{server.url}/circulation/new?document_id={doc_id}")
    page.select_option("#users", ["lz_staff"])
    page.fill("#note", "请阅知并安排好值班。")
    click_to_load(page, "#circulation-form button[type=submit]")
    assert page.locator(".flash.success").count() == 1
    circulation_url = page.url
    assert page.locator('#receipts tr[data-user="lz_staff"]').get_attribute("data-state") == "unread"

    switch_user(page, server, "lz_staff")
    assert int(page.locator("#bell-count").inner_text()) >= 1
    page.goto(server.url + "/circulation/")
    assert "关于国庆节期间值班安排的通知" in page.locator("#inbox-list").inner_text()
    click_to_load(page, "#inbox-list a")
    assert page.locator("#my-state").inner_text().startswith("已阅")
    click_to_load(page, "#open-document")
    assert "值班安排" in page.locator("#doc-title").inner_text()

    switch_user(page, server, "office_head")
    page.goto(circulation_url)
    row = page.locator('#receipts tr[data-user="lz_staff"]')
    assert row.get_attribute("data-state") == "read"
    assert re.search(r"\d{4}-\d{2}-\d{2} \d{2}:\d{2}", row.inner_text())
    screenshot(page, "supervision-circulation-read")


def test_supervision_page_shows_charts(page, live_server):
    switch_user(page, live_server, "director")
    click_to_load(page, 'nav.mainnav >> text="督办"')  # exact: 督查督办 is another area
    assert page.locator("svg.chart").count() == 4
    assert "林政资源管理处" in page.locator("#figures").inner_text()
    screenshot(page, "supervision-dashboard")


def _complete(page, server, doc_url, username, opinion):
    switch_user(page, server, username)
    page.goto(doc_url)
    page.fill("#opinion", opinion)
    click_to_load(page, "#complete-button")
    assert page.locator(".flash.success").count() == 1


@pytest.mark.slow
def test_director_names_deputy_who_signs_as_proxy(page, start_server):
    from datetime import date, timedelta

    server = start_server()
    # The bureau's 发文 are signed by the director in person (route templates are data an admin edits).
    switch_user(page, server, "admin")
    page.goto(server.url + "/documents/templates/edit?code=outgoing")
    sign = page.locator("fieldset.route-step:has(select[data-role=kind] option[value=sign][selected])")
    sign.locator("select[data-role=who]").select_option("person")
    sign.locator("input[name$=-username]").fill("director")
    click_to_load(page, "button[value=save]")
    assert page.locator(".flash.success").count() == 1

    switch_user(page, server, "director")
    page.goto(server.url + "/proxy/")
    page.select_option("#proxy", label="李文华（办公室）")
    today = date.today()
    page.fill("#starts_on", today.isoformat())
    page.fill("#ends_on", (today + timedelta(days=5)).isoformat())
    page.check("#allow_sign")
    page.fill("#reason", "赴省厅参加培训")
    click_to_load(page, "#proxy-form button[type=submit]")
    assert "李文华" in page.locator("#proxy-banner").inner_text()

    title = "关于做好冬季森林防火工作的通知"
    switch_user(page, server, "lz_staff")
    doc_url = new_document(page, server, title)
    click_to_load(page, "#submit-button")
    assert page.locator(".flash.success").count() == 1
    _complete(page, server, doc_url, "lz_head", "同意。")
    _complete(page, server, doc_url, "office_head", "核稿无误。")

    switch_user(page, server, "deputy")
    assert "您正在代理 张建国 的工作" in page.locator("#proxy-banner").inner_text()
    page.goto(server.url + "/documents/")
    assert title in page.locator("#doc-list").inner_text()
    page.goto(doc_url)
    assert "张建国" in page.locator("#proxy-note").inner_text()
    page.fill("#opinion", "同意印发。")
    click_to_load(page, "#complete-button")
    assert page.locator(".flash.success").count() == 1
    timeline = page.locator("#timeline").inner_text()
    assert "同意印发。" in timeline and "代 张建国" in timeline
    screenshot(page, "supervision-proxy-signed")
