"""Printing fixtures: a real cupsd (one per test session; faults get their own), documents, a dispatcher."""

from __future__ import annotations

import dataclasses
import io
import time
from collections.abc import Iterator

import pytest
from reportlab.lib.pagesizes import A3, A4
from reportlab.pdfgen import canvas
from sqlalchemy import select

from config import Settings
from core.db import Database
from core.models import PrintJob
from intranet import create_app
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


def start_cupsd() -> Cupsd:
    server = Cupsd().start()
    for q in (*DEPARTMENT_QUEUES, *ROOM):
        server.add_queue(q)
    server.add_queue(JAM_QUEUE, backend="jam")
    return server


@pytest.fixture(scope="session")
def cupsd() -> Iterator[Cupsd]:
    """The shared test cupsd; tests must not stop or freeze it (use `own_cupsd` for that)."""
    server = start_cupsd()
    yield server
    server.cleanup()


@pytest.fixture
def own_cupsd() -> Iterator[Cupsd]:
    """A cupsd of this test alone, which it may stop, restart or freeze."""
    server = start_cupsd()
    yield server
    server.cleanup()


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


@pytest.fixture
def cups_settings(settings: Settings, cupsd: Cupsd) -> Settings:
    return with_cups(settings, cupsd)


@pytest.fixture
def dispatcher(cups_settings: Settings, db: Database) -> Dispatcher:
    return Dispatcher(cups_settings, db)


@pytest.fixture
def cups_client(cups_settings: Settings, db: Database):
    app = create_app(cups_settings, db=db)
    app.config.update(TESTING=True)
    return app.test_client()


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

