"""Fixtures of the archive indexer tests: fast settings, a running indexer service, helpers to wait."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator

import pytest

from config import Settings
from core.db import Database
from library.service import IndexerService


@pytest.fixture
def isettings(settings: Settings) -> Settings:
    """Settings with a short settle window and one small extraction pool."""
    fast = dataclasses.replace(settings.indexer, settle_seconds=0.3, extract_processes=2, poll_seconds=0.2,
                               extract_timeout_seconds=20.0)
    settings.archive_dir.mkdir(parents=True, exist_ok=True)
    return settings.replace(indexer=fast)


@pytest.fixture
def indexer(isettings: Settings, db: Database) -> Iterator[IndexerService]:
    """A running indexer service (watcher + writer) on the test's archive folder."""
    service = IndexerService(isettings, db)
    service.start()
    yield service
    service.stop()


