"""Settings of the archive watcher, extraction and search index."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class IndexerSettings:
    enabled: bool
    polling: bool
    settle_seconds: float
    rescan_minutes: float
    public_folders: tuple[str, ...]
    extract_processes: int
    extract_timeout_seconds: float
    extract_memory_mb: int
    max_file_mb: int
    max_text_chars: int
    batch_size: int
    poll_seconds: float
    fold_variants: bool
    ocr_enabled: bool
    ocr_languages: str
    ocr_page_timeout_seconds: float
    ocr_max_pages: int
    ocr_dpi: int
