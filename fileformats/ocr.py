"""OCR of scans, the one way every feature runs Tesseract: images (.jpg .png .tif .bmp) and PDFs without a
text layer, page by page under fileformats.subproc limits.

Used by the archive indexer (library.ocr: a file of the 文件资料库, every scanned page up to
``ocr_max_pages``) and by 收文 intake (documents.intake_scan: the first page or two of an uploaded
来文, for its 版头 and title). It lives in this leaf package so both call the same code without the
documents package importing the indexer (docs/architecture.md).

Chosen by measurement on generated scans of Chinese 公文 text (3号 type, rotated up to 1.5°, salt noise,
blur; docs/library.md): Tesseract 5 with Debian's ``chi_sim`` model read 0.6 % (200 dpi) and 1.5 % (300 dpi)
of characters wrong at 1.0-1.3 s a page on this 2-core machine. Every outside program runs at nice 19
(the caller is the worker, at low priority): ``pdftoppm`` renders PDF pages one at a time (poppler
decodes JBIG2 and CCITT scans itself), a child process splits a multi-page TIFF into its frames
(Pillow), ``tesseract`` reads each page within the page time limit. Of a PDF, only the pages that have
no text layer are read (`scan_pages`).
"""

from __future__ import annotations

import functools
import os
import shutil
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from fileformats.subproc import LimitExceeded, run_limited

IMAGE_KINDS = ("jpg", "jpeg", "png", "tif", "tiff", "bmp")
_MEMORY_MB = 1024
# One OpenMP thread: on 2 cores Tesseract's threads spin against each other (5.3 s a page measured with
# the default, 1.7 s with one thread), and the other core stays free for ordinary work.
_ENV = {**os.environ, "OMP_THREAD_LIMIT": "1"}


@dataclass(frozen=True)
class Limits:
    """How OCR may run: Tesseract `languages` ("chi_sim+eng"), seconds per page (render and read each),
    at most `max_pages` pages, PDF pages rendered at `dpi`, Tesseract's `psm`."""

    languages: str = "chi_sim+eng"
    page_timeout_seconds: float = 60.0
    max_pages: int = 30
    dpi: int = 300
    psm: int = 3  # Tesseract's page segmentation mode: 3 finds the blocks of a page itself


@dataclass(frozen=True)
class Pages:
    """What OCR read: Tesseract's text of each page read (lines as Tesseract gave them), the number of
    pages the file has to read (before the cap), and how many pages failed or ran over the time limit."""

    texts: list[str]
    total: int
    failed: int
    timed_out: int


class OcrUnavailable(RuntimeError):
    """Tesseract (or a poppler tool a scanned PDF needs) is not installed. The message is in Chinese."""


class OcrFailed(ValueError):
    """The file gave no text: `reason` is "encrypted" (a PDF with a password), "empty" (no page to read),
    "timeout" (every page ran over its time limit) or "unreadable" (not an image Tesseract can open,
    a damaged PDF). The message is in Chinese."""

    def __init__(self, reason: str, message: str) -> None:
        super().__init__(message)
        self.reason = reason


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


def read_pages(source: Path, kind: str, work: Path, limits: Limits) -> Pages:
    """OCR the local file `source` of `kind` (its extension without the dot: "pdf", "png", "tif"...).

    `work` is an empty scratch folder the caller owns (rendered pages go there and are removed). Each page
    is rendered and read within ``limits.page_timeout_seconds``, at most ``limits.max_pages`` pages: a
    PDF's pages that have no text layer (`scan_pages`), every frame of a multi-page TIFF, an image as one
    page. Raises OcrUnavailable when Tesseract (or pdftoppm for a PDF) is missing, OcrFailed when no page
    gave text because of the file (encrypted, no page, every page failed or over time).
    """
    exe = shutil.which("tesseract")
    if exe is None:
        raise OcrUnavailable("服务器未安装 Tesseract OCR（tesseract-ocr、tesseract-ocr-chi-sim）")
    kind = kind.lower().lstrip(".")
    if kind == "pdf":
        if pdf_encrypted(source):
            raise OcrFailed("encrypted", "PDF 已加密（需要密码才能打开），无法识别")
        wanted = scan_pages(source)
        total = len(wanted)
        pages: list[Callable[[], Path | None]] = [
            functools.partial(_render, source, work, number, limits) for number in wanted[: limits.max_pages]]
    else:
        frames, total = _frames(source, work, limits)
        pages = [functools.partial(lambda frame: frame, frame) for frame in frames]
    if not pages:
        raise OcrFailed("empty", "扫描件中没有可识别的页面")
    texts: list[str] = []
    failed = timed_out = 0
    for make_page in pages:
        try:
            image = make_page()
        except LimitExceeded:
            timed_out += 1
            continue
        if image is None:
            failed += 1
            continue
        try:
            done = run_limited([exe, str(image), "stdout", "-l", limits.languages, "--psm", str(limits.psm)],
                               timeout=limits.page_timeout_seconds, memory_mb=_MEMORY_MB, nice=19, env=_ENV)
        except LimitExceeded:
            timed_out += 1
            continue
        finally:
            if image != source:
                image.unlink(missing_ok=True)
        if done.returncode != 0:
            failed += 1
            continue
        texts.append(done.stdout.decode("utf-8", errors="replace"))
    if not texts and timed_out and not failed:
        raise OcrFailed("timeout", "每页都超过了识别时限")
    if not texts:
        raise OcrFailed("unreadable", "图片或扫描页无法识别（文件可能已损坏，或每页都超过了识别时限）")
    return Pages(texts, total, failed, timed_out)


def pdf_encrypted(source: Path) -> bool:
    """Return True when the PDF needs a password to be opened (poppler's pdfinfo says so)."""
    exe = shutil.which("pdfinfo")
    if exe is None:
        return False
    try:
        done = run_limited([exe, str(source)], timeout=30, memory_mb=_MEMORY_MB)
    except LimitExceeded:
        return False
    said = (done.stdout + done.stderr).decode(errors="replace")
    return done.returncode != 0 and "password" in said.lower()


def scan_pages(source: Path) -> list[int]:
    """Return the 1-based numbers of the PDF pages to OCR.

    A PDF without any text layer is a scan (or text drawn as outlines): every page. A PDF with text on some
    pages: the pages without a text layer that draw an image (scanned pages put into a report). Read with
    poppler under limits (pdftotext per page, pdfimages -list); when either cannot tell, every page.
    """
    total = pdf_page_count(source)
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


def _render(source: Path, work: Path, number: int, limits: Limits) -> Path | None:
    """Render one PDF page to a grey PNG at ``limits.dpi`` within the page time limit (LimitExceeded when
    over it); None when poppler cannot render it."""
    exe = shutil.which("pdftoppm")
    if exe is None:
        raise OcrUnavailable("服务器未安装 poppler-utils（pdftoppm），无法识别扫描的 PDF")
    target = work / f"page-{number:05d}"
    done = run_limited([exe, "-r", str(limits.dpi), "-gray", "-png", "-singlefile", "-f", str(number),
                        "-l", str(number), str(source), str(target)],
                       timeout=limits.page_timeout_seconds, memory_mb=_MEMORY_MB, nice=19, output_mb=512)
    image = target.with_suffix(".png")
    return image if done.returncode == 0 and image.exists() else None


def _frames(source: Path, work: Path, limits: Limits) -> tuple[list[Path], int]:
    """Return (page images, pages in the file): each frame of the image (a TIFF has many; up to the page cap)
    written as a grey PNG by a limited child (Pillow's ImageSequence). Grey, because Tesseract's own
    binarisation of a colour scan loses strokes of the red 发文机关标志 (measured: tests/documents/
    test_intake_scan.py); the file as it is when Pillow cannot read it."""
    try:
        done = run_limited([sys.executable, "-m", "fileformats.ocr", "frames", str(source), str(work),
                            str(limits.max_pages)], timeout=limits.page_timeout_seconds * 2,
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
    of frames. Runs in the limited child (``python -m fileformats.ocr frames``), never in the worker."""
    from PIL import Image, ImageSequence

    with Image.open(source) as image:
        count = 0
        for count, frame in enumerate(ImageSequence.Iterator(image), 1):
            if count <= limit:
                dpi = frame.info.get("dpi")
                frame.convert("L").save(folder / f"frame-{count:05d}.png", dpi=dpi or (300, 300))
        return count


def pdf_page_count(source: Path) -> int:
    """Return the pages of a PDF as pdfinfo tells them (0 when it cannot)."""
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


if __name__ == "__main__":  # the frame splitter's child: python -m fileformats.ocr frames SOURCE FOLDER LIMIT
    if len(sys.argv) != 5 or sys.argv[1] != "frames":
        sys.exit("usage: python -m fileformats.ocr frames SOURCE FOLDER LIMIT")
    print(split_frames(Path(sys.argv[2]), Path(sys.argv[3]), int(sys.argv[4])))
