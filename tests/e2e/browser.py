"""Driving the browser in the e2e tests: the live server handle, signing in, clicking through pages,
screenshots kept in test-artifacts/, the documents these walks upload."""

from __future__ import annotations

import io
import signal
import subprocess
from dataclasses import dataclass
from pathlib import Path

from config import Settings
from tests.support.app import DEMO_PASSWORD

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"


def login(page, server: LiveServer, username: str, password: str = DEMO_PASSWORD) -> None:
    """Sign in through the form and wait for the home page."""
    page.goto(server.url + "/login")
    page.fill("#username", username)
    page.fill("#password", password)
    click_to_load(page, "button[type=submit]")
    if page.url != server.url + "/":
        raise AssertionError(f"sign-in as {username} ended on {page.url}")


def click_to_load(page, target) -> None:
    """Click `target` (a selector or a locator) and return once the page it loads has loaded.

    Waiting for a selector after a click races: until the browser commits the new page the old
    one is still there, and it may hold the same flash message or heading (seen on a busy CI).
    """
    locator = page.locator(target) if isinstance(target, str) else target
    with page.expect_navigation(wait_until="load"):
        locator.click()


def switch_user(page, server: LiveServer, username: str) -> None:
    """Sign out whoever is signed in (drop the cookies) and sign in as `username`."""
    page.context.clear_cookies()
    login(page, server, username)


def screenshot(page, name: str) -> Path:
    """Save a full-page screenshot under test-artifacts/ and return its path."""
    ARTIFACTS.mkdir(exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path


def pdf_file(title: str = "关于开展二〇二六年春季义务植树活动的通知") -> bytes:
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.cidfonts import UnicodeCIDFont
    from reportlab.pdfgen import canvas

    pdfmetrics.registerFont(UnicodeCIDFont("STSong-Light"))
    out = io.BytesIO()
    c = canvas.Canvas(out)
    c.setFont("STSong-Light", 14)
    c.drawString(72, 720, title)
    c.drawString(72, 690, "各区县林业局：请于三月十二日前组织开展义务植树活动。")
    c.save()
    return out.getvalue()


def handle(page, server, doc_url, username, opinion=None, before=None):
    """Open the document as `username`, fill the step's fields and press the main action button."""
    switch_user(page, server, username)
    page.goto(doc_url)
    if before:
        before(page)
    if opinion is not None:
        page.fill("#opinion", opinion)
    click_to_load(page, "#complete-button")
    assert "已办理" in page.locator(".flash.success").inner_text()


@dataclass
class LiveServer:
    url: str
    data_dir: Path
    settings: Settings
    process: subprocess.Popen[bytes]
    log: Path

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(5)
