"""OCR of scans: images (.jpg .png .tif .bmp) and PDFs without a text layer, read by Tesseract.

Chosen by measurement on generated scans of Chinese 公文 text (3号 type, rotated up to 1.5°, salt noise,
blur; docs/search.md): Tesseract 5 with Debian's ``chi_sim`` model read 0.6 % (200 dpi) and 1.5 % (300 dpi)
of characters wrong at 1.0-1.3 s a page on this 2-core machine; RapidOCR's ONNX models (the PyPI wheel
that ships them) 2.3-3.0 % at 1.6-1.8 s. Both come as packages (no model download at run time).

Runs in the worker's OCR thread, one file at a time, never inside the index writer's batch: a scan
never holds text files back. Every outside program runs under fileformats.subproc limits at nice 19:
``pdftoppm`` renders PDF pages (poppler decodes JBIG2 and CCITT scans itself), ``tesseract`` reads
each page within ``ocr_page_timeout_seconds``; at most ``ocr_max_pages`` pages are read.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path

from config.indexer import IndexerSettings
from fileformats.names import clean_text, fs_form
from fileformats.subproc import LimitExceeded, run_limited
from indexer.safeopen import UnsafeFile, open_archive_file
from indexer.text import join_cjk_lines

IMAGE_KINDS = ("jpg", "jpeg", "png", "tif", "tiff", "bmp")
_MEMORY_MB = 1024
# One OpenMP thread: on 2 cores Tesseract's threads spin against each other (5.3 s a page measured with
# the default, 1.7 s with one thread), and the other core stays free for ordinary indexing.
_ENV = {**os.environ, "OMP_THREAD_LIMIT": "1"}


@dataclass(frozen=True)
class OcrResult:
    """What OCR read: the text, the pages read of the pages there are, and a note for the file's reason."""

    text: str
    pages_read: int
    note: str | None


class OcrUnavailable(RuntimeError):
    """Tesseract (or its Chinese model) is not installed."""


def available(languages: str = "chi_sim+eng") -> bool:
    """Return True when tesseract and every model of `languages` are installed."""
    exe = shutil.which("tesseract")
    if exe is None:
        return False
    try:
        done = run_limited([exe, "--list-langs"], timeout=10, memory_mb=256)
    except (LimitExceeded, OSError):
        return False
    have = set(done.stdout.decode(errors="replace").split()) | set(done.stderr.decode(errors="replace").split())
    return all(lang in have for lang in languages.split("+"))


def recognize(root: Path, relpath: str, cfg: IndexerSettings) -> OcrResult:
    """OCR the archive file root/relpath (stored form), read without following links.

    Raises OcrUnavailable when Tesseract is missing, indexer.safeopen.UnsafeFile when the file cannot be
    read safely, ValueError with a Chinese reason when the file yields no page.
    """
    exe = shutil.which("tesseract")
    if exe is None:
        raise OcrUnavailable("服务器未安装 Tesseract OCR（tesseract-ocr、tesseract-ocr-chi-sim）")
    kind = Path(fs_form(relpath)).suffix.lower().lstrip(".")
    with tempfile.TemporaryDirectory(prefix="eoffice-ocr-") as tmp:
        work = Path(tmp)
        source = work / ("input.pdf" if kind == "pdf" else f"input.{kind or 'img'}")
        with open_archive_file(root, relpath) as src, source.open("wb") as dst:
            shutil.copyfileobj(src, dst, 1 << 20)
        pages, total = _pages(source, work, kind, cfg)
        if not pages:
            raise ValueError("扫描件中没有可识别的页面")
        texts: list[str] = []
        skipped = 0
        for page in pages[: cfg.ocr_max_pages]:
            try:
                done = run_limited([exe, str(page), "stdout", "-l", cfg.ocr_languages, "--psm", "3"],
                                   timeout=cfg.ocr_page_timeout_seconds, memory_mb=_MEMORY_MB, nice=19,
                                   env=_ENV)
            except LimitExceeded:
                skipped += 1
                continue
            if done.returncode != 0:
                skipped += 1
                continue
            texts.append(done.stdout.decode("utf-8", errors="replace"))
    if not texts and skipped:
        raise ValueError("图片或扫描页无法识别（文件可能已损坏，或每页都超过了识别时限）")
    notes = []
    if total > cfg.ocr_max_pages:
        notes.append(f"只识别了前 {cfg.ocr_max_pages} 页（共 {total} 页）")
    if skipped:
        notes.append(f"{skipped} 页识别失败或超时")
    text = join_cjk_lines(clean_text("\n".join(texts))).strip()
    return OcrResult(text, len(texts), "；".join(notes) or None)


def _pages(source: Path, work: Path, kind: str, cfg: IndexerSettings) -> tuple[list[Path], int]:
    """Return (page images, pages in the file): a PDF rendered by pdftoppm up to the page cap, an image as is."""
    if kind != "pdf":
        return [source], 1
    exe = shutil.which("pdftoppm")
    if exe is None:
        raise OcrUnavailable("服务器未安装 poppler-utils（pdftoppm），无法识别扫描的 PDF")
    # Count the pages first so the cap can be reported; pdfinfo is part of poppler-utils too.
    total = _pdf_pages(source)
    last = min(total, cfg.ocr_max_pages) if total else cfg.ocr_max_pages
    timeout = cfg.ocr_page_timeout_seconds * max(1, last)
    with contextlib.suppress(LimitExceeded):  # the pages rendered before the deadline are read
        run_limited([exe, "-r", str(cfg.ocr_dpi), "-gray", "-png", "-f", "1", "-l", str(last), str(source),
                     str(work / "page")], timeout=timeout, memory_mb=_MEMORY_MB, nice=19, output_mb=2048)
    return sorted(work.glob("page-*.png")), total


def _pdf_pages(source: Path) -> int:
    exe = shutil.which("pdfinfo")
    if exe is None:
        return 0
    try:
        done = run_limited([exe, str(source)], timeout=30, memory_mb=_MEMORY_MB)
    except LimitExceeded:
        return 0
    for line in done.stdout.decode(errors="replace").splitlines():
        if line.startswith("Pages:"):
            return int(line.split()[-1])
    return 0


__all__ = ["IMAGE_KINDS", "OcrResult", "OcrUnavailable", "UnsafeFile", "available", "recognize"]
