"""OCR of the 文件资料库's scans: images (.jpg .png .tif .bmp) and PDFs without a text layer.

The pages are read by fileformats.ocr (the one OCR runner, shared with 收文 intake: its notes say how
Tesseract was chosen and how it is limited). Here: an archive file is copied out without following links
(library.safeopen, checked against the file the scan saw), read with the indexer's settings
(``ocr_languages``, ``ocr_page_timeout_seconds`` a page, at most ``ocr_max_pages`` pages, ``ocr_dpi``),
and its text joined for the index.

Runs in the worker's OCR thread, one file at a time, never inside the index writer's batch: a scan
never holds text files back. Of a PDF, only the pages that have no text layer are read: every page of a
PDF without any text (a scan, or text drawn as outlines), the pages that draw an image inside a text
PDF (whose text layer is indexed at once; the OCR'd words are added to it).
"""

from __future__ import annotations

import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path

from config.indexer import IndexerSettings
from fileformats import ocr as runner
from fileformats.names import clean_text, fs_form
from fileformats.ocr import OcrUnavailable
from library.safeopen import UnsafeFile, open_archive_file
from library.text import join_cjk_lines


@dataclass(frozen=True)
class OcrResult:
    """What OCR read: the text, the pages read of the pages there are, and a note for the file's reason."""

    text: str
    pages_read: int
    note: str | None


def limits(cfg: IndexerSettings) -> runner.Limits:
    """The OCR limits of the indexer's settings."""
    return runner.Limits(languages=cfg.ocr_languages, page_timeout_seconds=cfg.ocr_page_timeout_seconds,
                         max_pages=cfg.ocr_max_pages, dpi=cfg.ocr_dpi)


def recognize(root: Path, relpath: str, cfg: IndexerSettings, *, identity: str | None = None) -> OcrResult:
    """OCR the archive file root/relpath (stored form), read without following links.

    Each page is read on its own within ``ocr_page_timeout_seconds``, at most ``ocr_max_pages`` pages: a
    PDF's pages that have images and no text layer (all pages of a scan; the scanned pages inside a text
    PDF), every frame of a multi-page TIFF, an image as one page. Raises OcrUnavailable when Tesseract is
    missing, library.safeopen.UnsafeFile when the file cannot be read safely (or is not the file the scan
    saw: `identity`), ValueError (fileformats.ocr.OcrFailed) with a Chinese reason when the file yields no
    page or no page could be read.
    """
    if shutil.which("tesseract") is None:
        raise OcrUnavailable("服务器未安装 Tesseract OCR（tesseract-ocr、tesseract-ocr-chi-sim）")
    kind = Path(fs_form(relpath)).suffix.lower().lstrip(".")
    with tempfile.TemporaryDirectory(prefix="eoffice-ocr-") as tmp:
        work = Path(tmp)
        source = work / ("input.pdf" if kind == "pdf" else f"input.{kind or 'img'}")
        with open_archive_file(root, relpath, expected_identity=identity) as src, source.open("wb") as dst:
            shutil.copyfileobj(src, dst, 1 << 20)
        pages = runner.read_pages(source, kind or "img", work, limits(cfg))
    notes = []
    if pages.total > cfg.ocr_max_pages:
        notes.append(f"只识别了前 {cfg.ocr_max_pages} 页（共 {pages.total} 页）")
    if pages.failed + pages.timed_out:
        notes.append(f"{pages.failed + pages.timed_out} 页识别失败或超时")
    text = join_cjk_lines(clean_text("\n".join(pages.texts))).strip()
    return OcrResult(text, len(pages.texts), "；".join(notes) or None)


__all__ = ["OcrResult", "OcrUnavailable", "UnsafeFile", "limits", "recognize"]
