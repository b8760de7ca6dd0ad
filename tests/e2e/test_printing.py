"""Printing in a real browser against `eoffice run` (spool backend): lz_staff prints, printroom releases A3."""

from __future__ import annotations

import json
import shutil
import time
import uuid

import pytest

from demo import DEMO_DATA
from tests.e2e.browser import click_to_load, login, screenshot
from tests.printing.jobs import A3_SIZE, make_pdf

pytestmark = pytest.mark.e2e


def _reload_until(page, selector: str, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while page.locator(selector).count() == 0:
        if time.monotonic() > deadline:
            raise AssertionError(f"{selector} did not appear")
        time.sleep(1.0)
        page.reload()


def test_staff_prints_demo_document_and_printroom_releases_a3(page, live_server, tmp_path):
    tag = uuid.uuid4().hex[:6]
    memo = tmp_path / f"机关工作-{tag}.txt"
    shutil.copyfile(DEMO_DATA / "henan-forestry-office-work.txt", memo)
    drawing = tmp_path / f"造林图-{tag}.pdf"
    drawing.write_bytes(make_pdf(1, A3_SIZE))

    login(page, live_server, "lz_staff")
    click_to_load(page, "nav.mainnav >> text=打印")
    page.set_input_files("#document", str(memo))
    click_to_load(page, "#print-submit")
    flash = page.locator(".flash.success").inner_text()
    assert "送林政资源管理处打印机" in flash and "部门打印默认" in flash
    # The worker prints it on the department spool; the job list follows the state without a reload.
    page.wait_for_selector(f"tr[data-state=completed]:has-text('{memo.stem}')", timeout=30_000)

    page.set_input_files("#document", str(drawing))
    click_to_load(page, "#print-submit")
    flash = page.locator(".flash.success").inner_text()
    assert "送文印室 1 号机" in flash and "大于 A4" in flash
    page.wait_for_selector(f"tr[data-state=held]:has-text('{drawing.stem}')", timeout=30_000)
    screenshot(page, "printing-staff-jobs")
    click_to_load(page, ".usermenu button")

    login(page, live_server, "printroom")
    click_to_load(page, "nav.mainnav >> text=文印室")
    row = page.locator(f"#console-jobs tr:has-text('{drawing.stem}')")
    assert "陈晓明" in row.inner_text() and "A3" in row.inner_text()
    screenshot(page, "printing-console")
    click_to_load(page, row.locator("button[name=release]"))
    assert "已放行" in page.locator(".flash.success").inner_text()
    _reload_until(page, f"tr:has-text('{drawing.stem}') .state-completed")

    spooled = [json.loads(p.read_text(encoding="utf-8"))
               for p in (live_server.data_dir / "spool" / "wys-room-1").glob("*.json")]
    mine = [d for d in spooled if d["title"] == drawing.stem]
    assert len(mine) == 1 and mine[0]["state"] == 9 and mine[0]["options"]["media"] == "A3"
