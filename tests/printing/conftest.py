"""Printing fixtures: a real cupsd (one per test session; faults get their own), documents, a dispatcher."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from config import Settings
from core.db import Database
from intranet import create_app
from printing.dispatcher import Dispatcher
from tests.printing.cupsd import Cupsd
from tests.printing.jobs import DEPARTMENT_QUEUES, JAM_QUEUE, ROOM, with_cups


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


