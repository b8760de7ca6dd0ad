"""A former leader's 待办 is empty once the admin removes the role (issue 17), in a real browser."""

from __future__ import annotations

import pytest

from core import org
from core.db import connect
from documents import drafting, engine
from documents.drafting import DraftFields
from tests.e2e.browser import click_to_load, screenshot, switch_user
from tests.support import make_pdf
from tests.support.bureau import complete_all_of

pytestmark = pytest.mark.e2e
TITLE = "关于国有林场改革实施方案的请示"


def _to_signing(server) -> int:
    """A 发文 by the deputy, through 处室审核 and 核稿, waiting for 签发 (the leaders)."""
    db = connect(server.settings.database_url)
    try:
        with db.session(write_lock=True) as s:
            deputy = org.user_by_username(s, "deputy")
            doc = drafting.create_document(s, deputy, kind="outgoing",
                                           fields=DraftFields(title=TITLE, main_recipients="各区县林业局"))
            drafting.add_file(s, server.settings.files_dir, doc.id, deputy, role="main", filename="正文.pdf",
                              data=make_pdf(TITLE))
            doc_id = doc.id
        with db.session(write_lock=True) as s:
            doc = s.get(engine.Document, doc_id)
            drafting.submit(s, server.settings, doc_id, org.user_by_username(s, "deputy"),
                            expected_version=doc.version)
        complete_all_of(db, server.settings, doc_id, "office_head")  # 处室审核, 核稿: then 签发
        return doc_id
    finally:
        db.engine.dispose()


@pytest.mark.slow
def test_a_former_leaders_inbox_is_empty_after_the_role_is_removed(page, start_server):
    server = start_server()
    _to_signing(server)
    switch_user(page, server, "director")
    page.goto(server.url + "/documents/")
    assert TITLE in page.locator("main").inner_text()
    switch_user(page, server, "admin")
    page.goto(server.url + "/admin/")
    click_to_load(page, "tr:has-text('director') a")
    page.uncheck("input[name=roles][value=leader]")
    page.check("input[name=roles][value=staff]")
    click_to_load(page, "button[type=submit].primary")
    flashes = page.locator(".flash").all_inner_texts()
    assert any("已改派" in f for f in flashes), flashes
    assert "张建国" in page.locator("#reassignments").inner_text()
    switch_user(page, server, "director")
    page.goto(server.url + "/documents/")
    assert TITLE not in page.locator("main").inner_text()
    screenshot(page, "standing-former-leader-inbox")
    switch_user(page, server, "deputy")
    page.goto(server.url + "/documents/")
    assert TITLE in page.locator("main").inner_text()  # the other leader still holds the 签发


@pytest.mark.slow
def test_a_phone_sees_the_actions_first_and_lists_without_sideways_scrolling(browser, start_server):
    """390 px wide (issue 12 §5): the 办理 panel above the document's details; 待办 fits the width."""
    server = start_server()
    doc_id = _to_signing(server)
    context = browser.new_context(locale="zh-CN", viewport={"width": 390, "height": 844})
    context.set_default_timeout(15_000)
    page = context.new_page()
    try:
        switch_user(page, server, "director")
        page.goto(f"{server.url}/documents/{doc_id}")
        act = page.locator("#act-panel").bounding_box()
        details = page.locator(".doc-main").bounding_box()
        assert act is not None and details is not None and act["y"] < details["y"]
        assert page.evaluate("document.documentElement.scrollWidth") <= 390
        page.goto(server.url + "/documents/")
        assert TITLE in page.locator("main").inner_text()
        assert page.evaluate("document.documentElement.scrollWidth") <= 390
        screenshot(page, "phone-document-list")
    finally:
        context.close()
