"""A directory user signs in through the browser; a bad password is explained on the page."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.directory.bureau import PASSWORDS, directory_section, seed_bureau, to_toml
from tests.directory.slapd import Slapd
from tests.e2e.browser import click_to_load, login, screenshot

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def bureau_slapd(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Slapd]:
    server = seed_bureau(Slapd(tmp_path_factory.mktemp("e2e-slapd")))
    yield server
    server.stop()


def test_directory_user_signs_in_in_the_browser(page, start_server, bureau_slapd, tmp_path: Path):
    config = tmp_path / "directory.toml"
    config.write_text(to_toml({"directory": directory_section([bureau_slapd.url])}), encoding="utf-8")
    server = start_server(EOFFICE_CONFIG=str(config))

    page.goto(server.url + "/login")
    page.fill("#username", "lisi")
    page.fill("#password", "not-the-password")
    click_to_load(page, "button[type=submit]")
    assert "用户名或密码错误" in page.locator("#login-error").inner_text()

    login(page, server, "lisi", PASSWORDS["lisi"])
    assert page.locator("h1").inner_text() == "您好，李四"
    assert "局领导" in page.locator("#home-roles").inner_text()  # through the nested group
    assert page.locator("#home-department").inner_text() == "造林绿化处"
    assert screenshot(page, "directory-login-lisi").stat().st_size > 10_000
