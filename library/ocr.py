"""OCR of scans: images (.jpg .png .tif .bmp) and PDFs without a text layer, read by Tesseract.

Chosen by measurement on generated scans of Chinese 公文 text (3号 type, rotated up to 1.5°, salt noise,
blur; docs/library.md): Tesseract 5 with Debian's ``chi_sim`` model read 0.6 % (200 dpi) and 1.5 % (300 dpi)
of characters wrong at 1.0-1.3 s a page on this 2-core machine; RapidOCR's ONNX models (the PyPI wheel
that ships them) 2.3-3.0 % at 1.6-1.8 s. Both come as packages (no model download at run time).

Runs in the worker's OCR thread, one file at a time, never inside the index writer's batch: a scan
never holds text files back. Every outside program runs under fileformats.subproc limits at nice 19:
``pdftoppm`` renders PDF pages one at a time (poppler decodes JBIG2 and CCITT scans itself), a child
process splits a multi-page TIFF into its frames (Pillow), ``tesseract`` reads each page within
``ocr_page_timeout_seconds``; at most ``ocr_max_pages`` pages are read. Of a PDF, only the pages that
have no text layer are read: every page of a PDF without any text (a scan, or text drawn as outlines),
the pages that draw an image inside a text PDF (whose text layer is indexed at once; the OCR'd words
are added to it).
"""

from __future__ import annotations

import functools
import os
import shutil
import sys
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from config.indexer import IndexerSettings
from fileformats.names import clean_text, fs_form
from fileformats.subproc import LimitExceeded, run_limited
from library.safeopen import UnsafeFile, open_archive_file
from library.text import join_cjk_lines

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


def recognize(root: Path, relpath: str, cfg: IndexerSettings, *, identity: str | None = None) -> OcrResult:
    """OCR the archive file root/relpath (stored form), read without following links.

    Each page is read on its own within ``ocr_page_timeout_seconds``, at most ``ocr_max_pages`` pages: a
    PDF's pages that have images and no text layer (all pages of a scan; the scanned pages inside a text
    PDF), every frame of a multi-page TIFF, an image as one page. Raises OcrUnavailable when Tesseract is
    missing, library.safeopen.UnsafeFile when the file cannot be read safely (or is not the file the scan
    saw: `identity`), ValueError with a Chinese
    reason when the file yields no page.
    """
    exe = shutil.which("tesseract")
    if exe is None:
        raise OcrUnavailable("服务器未安装 Tesseract OCR（tesseract-ocr、tesseract-ocr-chi-sim）")
    kind = Path(fs_form(relpath)).suffix.lower().lstrip(".")
    texts: list[str] = []
    skipped = 0
    with tempfile.TemporaryDirectory(prefix="eoffice-ocr-") as tmp:
        work = Path(tmp)
        source = work / ("input.pdf" if kind == "pdf" else f"input.{kind or 'img'}")
        with open_archive_file(root, relpath, expected_identity=identity) as src, source.open("wb") as dst:
            shutil.copyfileobj(src, dst, 1 << 20)
        if kind == "pdf":
            wanted = _pdf_scan_pages(source)
            total = len(wanted)
            pages: list[Callable[[], Path | None]] = [
                functools.partial(_render, source, work, number, cfg) for number in wanted[: cfg.ocr_max_pages]]
        else:
            frames, total = _frames(source, work, kind, cfg)
            pages = [functools.partial(lambda frame: frame, frame) for frame in frames]
        if not pages:
            raise ValueError("扫描件中没有可识别的页面")
        for make_page in pages:
            image = make_page()
            if image is None:
                skipped += 1
                continue
            try:
                done = run_limited([exe, str(image), "stdout", "-l", cfg.ocr_languages, "--psm", "3"],
                                   timeout=cfg.ocr_page_timeout_seconds, memory_mb=_MEMORY_MB, nice=19,
                                   env=_ENV)
            except LimitExceeded:
                skipped += 1
                continue
            finally:
                if image != source:
                    image.unlink(missing_ok=True)
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


def _pdf_scan_pages(source: Path) -> list[int]:
    """Return the 1-based numbers of the PDF pages to OCR.

    A PDF without any text layer is a scan (or text drawn as outlines): every page. A PDF with text on some
    pages: the pages without a text layer that draw an image (scanned pages put into a report). Read with
    poppler under limits (pdftotext per page, pdfimages -list); when either cannot tell, every page.
    """
    total = _pdf_pages(source)
    everything = list(range(1, total + 1)) if total else []
    text_exe, images_exe = shutil.which("pdftotext"), shutil.which("pdfimages")
    if not total or text_exe is None or images_exe is None:
        return everything
    try:
        texts = run_limited([text_exe, "-q", "-enc", "UTF-8", str(source), "-"], timeout=60,
                            memory_mb=_MEMORY_MB, nice=19)
        listing = run_limited([images_exe, "-list", str(source)], timeout=60, memory_mb=_MEMORY_MB, nice=19)
    except (LimitExceeded, OSError):
        return everything
    if texts.returncode != 0 or listing.returncode != 0:
        return everything
    page_texts = texts.stdout.decode("utf-8", errors="replace").split("\f")
    if len(page_texts) < total or not any(t.strip() for t in page_texts):
        return everything
    with_images: set[int] = set()
    for line in listing.stdout.decode(errors="replace").splitlines()[2:]:  # two header lines
        fields = line.split()
        if fields and fields[0].isdigit():
            with_images.add(int(fields[0]))
    return [n for n in everything if n in with_images and not page_texts[n - 1].strip()]


def _render(source: Path, work: Path, number: int, cfg: IndexerSettings) -> Path | None:
    """Render one PDF page to a grey PNG at ``ocr_dpi`` within the per-page time limit; None when it cannot."""
    exe = shutil.which("pdftoppm")
    if exe is None:
        raise OcrUnavailable("服务器未安装 poppler-utils（pdftoppm），无法识别扫描的 PDF")
    target = work / f"page-{number:05d}"
    try:
        done = run_limited([exe, "-r", str(cfg.ocr_dpi), "-gray", "-png", "-singlefile", "-f", str(number),
                            "-l", str(number), str(source), str(target)],
                           timeout=cfg.ocr_page_timeout_seconds, memory_mb=_MEMORY_MB, nice=19, output_mb=512)
    except LimitExceeded:
        return None
    image = target.with_suffix(".png")
    return image if done.returncode == 0 and image.exists() else None


def _frames(source: Path, work: Path, kind: str, cfg: IndexerSettings) -> tuple[list[Path], int]:
    """Return (page images, pages in the file): each frame of a TIFF (up to the page cap) written as PNG by a
    limited child (Pillow's ImageSequence), any other image as it is."""
    if kind not in ("tif", "tiff"):
        return [source], 1
    try:
        done = run_limited([sys.executable, "-m", "library.ocr", "frames", str(source), str(work),
                            str(cfg.ocr_max_pages)], timeout=cfg.ocr_page_timeout_seconds * 2,
                           memory_mb=_MEMORY_MB, nice=19, output_mb=2048)
    except LimitExceeded:
        return [source], 1
    frames = sorted(work.glob("frame-*.png"))
    lines = done.stdout.decode(errors="replace").split()
    if done.returncode != 0 or not frames or not lines or not lines[-1].isdigit():
        return [source], 1  # Pillow cannot split it: Tesseract reads the file as it is
    return frames, int(lines[-1])


def split_frames(source: Path, folder: Path, limit: int) -> int:
    """Write the first `limit` frames of a (multi-page) image as folder/frame-NNNNN.png; return the number
    of frames. Runs in the limited child (``python -m library.ocr frames``), never in the worker."""
    from PIL import Image, ImageSequence

    with Image.open(source) as image:
        count = 0
        for count, frame in enumerate(ImageSequence.Iterator(image), 1):
            if count <= limit:
                dpi = frame.info.get("dpi")
                frame.convert("L").save(folder / f"frame-{count:05d}.png", dpi=dpi or (300, 300))
        return count


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


if __name__ == "__main__":  # the frame splitter's child: python -m library.ocr frames SOURCE FOLDER LIMIT
    if len(sys.argv) != 5 or sys.argv[1] != "frames":
        sys.exit("usage: python -m library.ocr frames SOURCE FOLDER LIMIT")
    print(split_frames(Path(sys.argv[2]), Path(sys.argv[3]), int(sys.argv[4])))
