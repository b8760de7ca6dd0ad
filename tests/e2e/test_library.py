"""End to end: the demo's archive is indexed by the running worker and searched from the browser."""

from __future__ import annotations

import time

import pytest

from tests.e2e.browser import click_to_load, screenshot, switch_user

pytestmark = pytest.mark.e2e


def _search_until(page, server, query: str, expect: str, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while True:
        page.goto(f"{server.url}/search/?q={query}")
        if expect in page.inner_text("main"):
            return
        if time.monotonic() > deadline:
            pytest.fail(f"{expect!r} not found for {query!r}: {page.inner_text('main')[:500]}")
        time.sleep(0.5)




def _wait_indexed(server, count: int, timeout: float = 60.0) -> None:
    # Sign in once the start-up indexing has settled: the demo's files are written at start.
    from sqlalchemy import func, select

    from core.db import connect
    from core.models.files import ArchiveFile

    db = connect(server.settings.database_url)
    deadline = time.monotonic() + timeout
    try:
        while True:
            with db.session() as session:
                done = session.scalar(select(func.count(ArchiveFile.id)).where(ArchiveFile.indexed_at.is_not(None)))
            if (done or 0) >= count:
                return
            if time.monotonic() > deadline:
                pytest.fail(f"only {done} archive files indexed after {timeout} s")
            time.sleep(0.3)
    finally:
        db.engine.dispose()


def test_browser_search_shows_highlighted_chinese_results(page, live_server):
    _wait_indexed(live_server, 3)
    switch_user(page, live_server, "archivist")
    click_to_load(page, "text=档案检索")
    page.fill("input[name=q]", "规范化服务型政府")
    click_to_load(page, "button:has-text('检索')")
    _search_until(page, live_server, "规范化服务型政府", "成都市林业局规范化服务型政府建设工作自查报告")
    marks = page.locator("#search-results mark").all_inner_texts()
    assert "规范化服务型政府" in marks
    screenshot(page, "search-results")

    # A file dropped into the archive folder is searchable within seconds, exactly.
    target = live_server.data_dir / "archive" / "ZLC" / "2025" / "造林绿化验收报告.txt"
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text("关于二〇二五年春季造林绿化工程验收情况的报告 示林发〔2025〕9号", encoding="utf-8")
    started = time.monotonic()
    _search_until(page, live_server, "春季造林绿化工程", "造林绿化验收报告")
    assert time.monotonic() - started < 20
    assert page.locator("#search-results mark").first.inner_text() == "春季造林绿化工程"
    click_to_load(page, "text=查看全文")
    assert "示林发〔2025〕9号" in page.inner_text("#fulltext")

    # Another department's staff does not see it.
    page.context.clear_cookies()
    switch_user(page, live_server, "lz_staff")
    page.goto(f"{live_server.url}/search/?q=春季造林绿化工程")
    assert "找到 0 个文件" in page.inner_text("main") or "没有找到" in page.inner_text("main")
