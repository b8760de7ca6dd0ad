"""Test support shared by every test package (and bench/): free ports, waiting for a condition, file makers.

Loaded by `pytest_plugins` in tests/conftest.py; tests import these functions from here, never from a
conftest module of another package.
"""

from __future__ import annotations

import socket
import time
from collections.abc import Callable
from typing import TypeVar

T = TypeVar("T")


def free_port() -> int:
    """Return a TCP port that is free on 127.0.0.1 right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_for(condition: Callable[[], T], timeout: float = 20.0, interval: float = 0.05,
             what: str = "condition") -> T:
    """Poll `condition` until it returns something truthy and return that; AssertionError after `timeout` s."""
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout:g} s waiting for {what}")
        time.sleep(interval)


def make_pdf(text: str = "正文") -> bytes:
    """A real one-page PDF (reportlab) with `text` on it (non-ASCII shown as "?"; enough for routing)."""
    import io

    from reportlab.pdfgen import canvas

    out = io.BytesIO()
    c = canvas.Canvas(out)
    c.drawString(72, 720, text.encode("ascii", "replace").decode())
    c.showPage()
    c.save()
    return out.getvalue()


def inflating_docx(inflated_mb: int = 200, part: str = "word/document.xml") -> bytes:
    """A small .docx (python-docx) whose `part` inflates to `inflated_mb` MB of zeros: a zip bomb in Word's
    clothes, about 1 KB per inflated MB."""
    import io
    import zipfile

    import docx

    plain = io.BytesIO()
    document = docx.Document()
    document.add_paragraph("正常外表")
    document.save(plain)
    src = zipfile.ZipFile(io.BytesIO(plain.getvalue()))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as dst:
        for name in src.namelist():
            if name != part:
                dst.writestr(name, src.read(name))
        with dst.open(part, "w", force_zip64=True) as fh:
            chunk = b"\0" * (1 << 20)
            for _ in range(inflated_mb):
                fh.write(chunk)
    return out.getvalue()
