"""The types every extractor shares: what a reading produced and how a known failure is said.

A leaf module: the format modules (extract_docx, extract_pdf, ...) import it, and the registry in
library.extract imports them, so no module imports its importer.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Extracted:
    """The result of reading one file: an outcome (see core.models.files.OUTCOMES) and the text."""

    outcome: str
    text: str = ""
    title: str | None = None
    year: int | None = None
    error: str | None = None
    # PDF pages with images and no text layer (scanned pages inside a text PDF): OCR reads them.
    scan_pages: int = 0


class ExtractionError(Exception):
    """The file is unreadable in a known way; `outcome` says which (encrypted, no_text, damaged, empty)."""

    def __init__(self, outcome: str, message: str) -> None:
        super().__init__(message)
        self.outcome = outcome


@dataclass(frozen=True)
class Content:
    """What an extractor read: the text a reader sees, and the document's own title and year if any."""

    text: str
    title: str | None = None
    year: int | None = None
    scan_pages: int = 0  # PDF pages with images and no text layer


Extractor = Callable[[Path], Content]
