"""End-to-end harness: a real `eoffice run` subprocess and Debian's Chromium driven by Playwright.

Fixtures:
- `live_server`: one demo server for the whole test session (.url, .settings, .data_dir, .log).
- `start_server(**env)`: a factory for a server with extra EOFFICE_* settings (stopped at teardown).
- `page`: a fresh browser context and page per test (zh-CN, own cookies).
- `login(page, server, username)`: sign in through the login form; `switch_user` signs out first.
- `click_to_load(page, target)`: click a link or submit button and wait for the page it loads.
Screenshots go to test-artifacts/ at the repository root.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from tests.e2e.browser import LiveServer
from tests.support import free_port
from tests.support.app import DEMO_PASSWORD, make_settings

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
]

pytestmark = pytest.mark.e2e


def _start(data_dir: Path, env: dict[str, str]) -> LiveServer:
    data_dir.mkdir(parents=True, exist_ok=True)
    port = free_port()
    full_env = {k: v for k, v in os.environ.items() if not k.startswith("EOFFICE_")}
    full_env.update({"EOFFICE_DATA_DIR": str(data_dir), "EOFFICE_DEMO_PASSWORD": DEMO_PASSWORD, **env})
    log = data_dir / "server.log"
    eoffice = Path(sys.executable).with_name("eoffice")
    with log.open("wb") as out:
        process = subprocess.Popen(
            [str(eoffice), "run", "--host", "127.0.0.1", "--port", str(port)],
            env=full_env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True,
        )
    url = f"http://127.0.0.1:{port}"
    settings = make_settings(data_dir, **env)
    server = LiveServer(url, data_dir, settings, process, log)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"eoffice run exited with {process.returncode}:\n{log.read_text()[-3000:]}")
        try:
            with urllib.request.urlopen(url + "/healthz", timeout=2) as resp:
                if resp.status == 200:
                    return server
        except OSError:
            pass
        time.sleep(0.2)
    server.stop()
    raise RuntimeError(f"eoffice run did not answer within 60 s:\n{log.read_text()[-3000:]}")


@pytest.fixture(scope="session")
def live_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    server = _start(tmp_path_factory.mktemp("live") / "var", {})
    yield server
    server.stop()


@pytest.fixture
def start_server(tmp_path: Path) -> Iterator[Callable[..., LiveServer]]:
    started: list[LiveServer] = []

    def start(**env: str) -> LiveServer:
        server = _start(tmp_path / f"var{len(started)}", env)
        started.append(server)
        return server

    yield start
    for server in started:
        server.stop()


@pytest.fixture(scope="session")
def browser():
    if not CHROMIUM.exists():
        pytest.fail("Debian's chromium is not installed: run `make test`, which installs it")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        chromium = pw.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True)
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser):
    context = browser.new_context(locale="zh-CN", viewport={"width": 1280, "height": 900})
    context.set_default_timeout(15_000)
    pg = context.new_page()
    yield pg
    context.close()


