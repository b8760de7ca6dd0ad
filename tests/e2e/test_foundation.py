"""The demo bureau in a real browser: sign in as clerk, see the Chinese home page, switch language."""

from __future__ import annotations

import pytest

from tests.e2e.browser import click_to_load, login, screenshot

pytestmark = pytest.mark.e2e


def test_clerk_signs_in_and_sees_chinese_home(page, live_server):
    login(page, live_server, "clerk")
    assert page.locator("h1").inner_text() == "您好，赵丽娟"
    assert page.locator("#home-department").inner_text() == "办公室"
    assert "办公室文书" in page.locator("#home-roles").inner_text()
    nav = page.locator("nav.mainnav").inner_text()
    assert "首页" in nav and "档案检索" in nav
    assert "管理" not in nav  # the clerk is not an admin
    shot = screenshot(page, "foundation-clerk-home")
    assert shot.stat().st_size > 10_000


def test_wrong_password_is_explained_in_the_page(page, live_server):
    page.goto(live_server.url + "/login")
    page.fill("#username", "lz_staff")
    page.fill("#password", "wrong-password")
    click_to_load(page, "button[type=submit]")
    assert "用户名或密码错误" in page.locator("#login-error").inner_text()


def test_english_is_selectable(page, live_server):
    login(page, live_server, "admin")
    click_to_load(page, "a.lang")
    assert page.locator("html").get_attribute("lang") == "en"
    assert "Sign out" in page.locator(".usermenu").inner_text()
