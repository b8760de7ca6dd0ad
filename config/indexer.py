"""Settings of the archive watcher, extraction and search index."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class IndexerSettings:
    enabled: bool
    polling: bool
    settle_seconds: float
    rescan_minutes: float
