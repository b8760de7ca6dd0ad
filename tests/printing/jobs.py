"""Test helpers."""

from __future__ import annotations

import dataclasses
import io
import time

from reportlab.lib.pagesizes import A3, A4
from reportlab.pdfgen import canvas
from sqlalchemy import select

from config import Settings
from core.db import Database
from core.models import PrintJob
from printing.dispatcher import Dispatcher
from tests.printing.cupsd import Cupsd

ROOM = ("wys-room-1", "wys-room-2")


DEPARTMENT_QUEUES = ("dept-bgs", "dept-lzc", "dept-wys")


JAM_QUEUE = "dept-zlc"  # ZLC's printer has a paper jam in these tests


def make_pdf(pages: int = 1, size: tuple[float, float] = A4, text: str = "eoffice") -> bytes:
    """Return a small real PDF with `pages` pages of the given size."""
    buf = io.BytesIO()
    pdf = canvas.Canvas(buf, pagesize=size)
    for n in range(pages):
        pdf.drawString(72, size[1] - 72, f"{text} {n + 1}")
        pdf.showPage()
    pdf.save()
    return buf.getvalue()


A3_SIZE = A3


def with_cups(settings: Settings, server: Cupsd, **changes: object) -> Settings:
    """Return settings printing through `server`, only the test queues configured."""
    printing = dataclasses.replace(
        settings.printing,
        cups_server=server.server,
        cups_timeout_seconds=1.0,
        department_queues={"BGS": ("dept-bgs",), "LZC": ("dept-lzc",), "ZLC": (JAM_QUEUE,), "WYS": ("dept-wys",)},
        central_queues=ROOM,
        **changes,
    )
    return settings.replace(printing=printing)


def run_until(dispatcher: Dispatcher, db: Database, job_id: int, states: tuple[str, ...],
              timeout: float = 15.0) -> PrintJob:
    """Tick the dispatcher until the job reaches one of `states`; return the job."""
    deadline = time.monotonic() + timeout
    while True:
        dispatcher.tick()
        with db.session() as s:
            job = s.scalar(select(PrintJob).where(PrintJob.id == job_id))
            assert job is not None
            if job.state in states:
                return job
        if time.monotonic() > deadline:
            raise AssertionError(f"job {job_id} stuck in {job.state}: {job.message}")
        time.sleep(0.1)


def post_print(client, auth, data: bytes, filename: str = "memo.pdf", **fields: str):
    form = {"csrf_token": auth.csrf("/printing/"), "document": (io.BytesIO(data), filename), "media": "auto",
            "copies": "1", "quality": "normal", "classification": "1", **fields}
    return client.post("/printing/", data=form, content_type="multipart/form-data", follow_redirects=True)
