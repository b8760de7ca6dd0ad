"""Preparing a document for printing: PDF page count and paper sizes, .docx and .txt to PDF."""

from __future__ import annotations

import fcntl
import json
import sys
import threading
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pypdf import PdfReader
from pypdf.errors import PdfReadError

from core.messages import DomainError, msg
from fileformats import office, pdffonts, subproc, zipguard
from fileformats.textcodec import UndecodableText, decode
from printing.routing import media_for_size

KINDS = {".pdf": "pdf", ".docx": "docx", ".txt": "txt"}
_POINTS_PER_MM = 72 / 25.4
# One conversion at a time in this process; the flock below serialises processes sharing a data dir.
_CONVERT_LOCK = threading.Lock()


class DocumentError(DomainError):
    """The document cannot be printed; the message says why and what to do."""


class TimedOut(DocumentError):
    """Reading or converting the document took longer than the time given; the worker may try again longer."""


@dataclass(frozen=True)
class PdfInfo:
    pages: int
    media: str  # the largest page's paper, e.g. "A4", "A3"
    sizes_mm: tuple[tuple[float, float], ...]


def kind_of(filename: str) -> str:
    """Return pdf, docx or txt for a file name, or raise DocumentError."""
    kind = KINDS.get(Path(filename).suffix.lower())
    if kind is None:
        raise DocumentError(msg("只能打印 PDF、Word（.docx）和文本（.txt）文件；其他格式请先另存为 PDF。"))
    return kind


def pdf_info(path: Path) -> PdfInfo:
    """Read the page count and page sizes of a PDF."""
    try:
        reader = PdfReader(path)
        if reader.is_encrypted and not reader.decrypt(""):
            raise DocumentError(msg("该 PDF 设有打开密码，无法打印；请先去除密码后再提交。"))
        sizes = []
        for page in reader.pages:
            # What is printed: the CropBox clipped to the MediaBox (PDF 32000-1 §14.11.2: the CropBox is
            # intersected with the MediaBox; it defaults to it), so a page is never larger than its sheet.
            crop, media = page.cropbox, page.mediabox
            width = min(float(crop.right), float(media.right)) - max(float(crop.left), float(media.left))
            height = min(float(crop.top), float(media.top)) - max(float(crop.bottom), float(media.bottom))
            if width <= 0 or height <= 0:  # no overlap: an invalid CropBox, the sheet is what prints
                width, height = float(media.width), float(media.height)
            w, h = width / _POINTS_PER_MM, height / _POINTS_PER_MM
            if int(page.get("/Rotate", 0) or 0) % 180:
                w, h = h, w
            sizes.append((round(w, 1), round(h, 1)))
    except DocumentError:
        raise
    except (PdfReadError, ValueError, KeyError, TypeError, OSError) as exc:
        raise DocumentError(
            msg(
                "无法读取该 PDF 文件（%(name__)s），文件可能已损坏；请重新导出 PDF 后再试。",
                name__=type(exc).__name__,
            )
        ) from exc
    if not sizes:
        raise DocumentError(msg("该 PDF 没有页面，无需打印。"))
    largest = max(sizes, key=lambda s: s[0] * s[1])
    return PdfInfo(len(sizes), media_for_size(*largest), tuple(sizes))


def text_to_pdf(source: Path, target: Path) -> int:
    """Typeset a plain-text file (any common encoding, Chinese included) as an A4 PDF; return its pages."""
    from reportlab.lib.pagesizes import A4
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfgen import canvas

    try:
        text = decode(source.read_bytes())
    except UndecodableText:
        raise DocumentError(msg("无法识别该文本文件的编码；请另存为 UTF-8 文本或 PDF 后再打印。")) from None
    font = pdffonts.cjk_font()
    size, leading, margin = 11, 16, 56
    width, height = A4
    pdf = canvas.Canvas(str(target), pagesize=A4)
    pdf.setTitle(source.stem)
    y = height - margin
    max_width = width - 2 * margin
    pages = 1
    for raw_line in text.splitlines() or [""]:
        for line in _wrap(raw_line.expandtabs(4), font, size, max_width, pdfmetrics):
            if y < margin:
                pdf.showPage()
                pages += 1
                y = height - margin
            pdf.setFont(font, size)
            pdf.drawString(margin, y, line)
            y -= leading
    pdf.showPage()
    pdf.save()
    return pages


def text_to_pdf_limited(source: Path, target: Path, *, timeout: float, memory_mb: int = 512) -> PdfInfo:
    """Typeset a plain-text file as PDF (`text_to_pdf`) in a limited child (fileformats.subproc: address
    space `memory_mb`, wall-clock `timeout` seconds, output size), never in the calling process; return
    the PDF's facts (every page A4: what we typeset needs no second reading).

    Raises TimedOut past the deadline (the child's process group is killed) and DocumentError when the
    text cannot be read or typeset (what to do in the message).
    """
    command = [sys.executable, "-m", "printing.documents", "txt", str(source), str(target)]
    try:
        done = subproc.run_limited(command, timeout=timeout, memory_mb=memory_mb, output_mb=256)
    except subproc.LimitExceeded:
        raise TimedOut(msg("文本文件排版超过 %(timeout)g 秒仍未完成", timeout=timeout)) from None
    lines = done.stdout.decode(errors="replace").strip().splitlines()
    answer = json.loads(lines[-1]) if done.returncode == 0 and lines else {}
    if "error" in answer:
        raise DocumentError(answer["error"])
    pages = answer.get("pages")
    if not isinstance(pages, int) or pages < 1 or not target.exists():
        raise DocumentError(msg("文本文件无法排版为 PDF（文件过大或内存不足）；请另存为 PDF 后再打印。"))
    return PdfInfo(pages, "A4", tuple((210.0, 297.0) for _ in range(pages)))


def docx_to_pdf(source: Path, target: Path, *, soffice: str, timeout: float, lock_dir: Path) -> None:
    """Convert a .docx to PDF with LibreOffice (fileformats.office: limits, own profile), one at a time.

    Raises DocumentError with what to do when LibreOffice is missing, too slow or fails.
    """
    if office.soffice_path(soffice) is None:
        raise DocumentError(
            msg(
                "服务器未安装 LibreOffice，无法转换 Word 文件；请在 Word 中另存为 PDF 后再打印，或请管理员安装 libreo"
                "ffice-writer-nogui。",
            )
        )
    try:
        zipguard.check(source)
    except zipguard.ZipBomb as exc:
        raise DocumentError(msg("%(exc)s；请在 Word 中另存为 PDF 后再打印。", exc=exc)) from None
    except zipfile.BadZipFile:
        raise DocumentError(msg("该文件不是有效的 Word 文档（.docx）；请在 Word 中另存为 PDF 后再打印。")) from None
    lock_dir.mkdir(parents=True, exist_ok=True)
    with _CONVERT_LOCK, (lock_dir / "convert.lock").open("a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            office.convert(source, "pdf", target, input_suffix=".docx", soffice=soffice, timeout=timeout)
        except office.ConversionFailed as exc:
            if exc.timed_out:
                raise DocumentError(
                    msg(
                        "Word 文件转换超过 %(timeout)g 秒仍未完成，已放弃；请另存为 PDF 后再打印。",
                        timeout=timeout,
                    )) from None
            raise DocumentError(
                msg("Word 文件无法转换为 PDF（文件可能已损坏或受密码保护）；请另存为 PDF 后再打印。")) from None


def _wrap(line: str, font: str, size: int, max_width: float, pdfmetrics: Any) -> list[str]:
    out: list[str] = []
    current, width = "", 0.0
    for ch in line:
        w = pdfmetrics.stringWidth(ch, font, size)
        if width + w > max_width and current:
            out.append(current)
            current, width = "", 0.0
        current += ch
        width += w
    out.append(current)
    return out


def _main(argv: list[str]) -> int:
    # Child usage (internal): python -m printing.documents txt SOURCE TARGET
    if argv[:1] != ["txt"] or len(argv) != 3:
        return 2
    try:
        pages = text_to_pdf(Path(argv[1]), Path(argv[2]))
    except DocumentError as exc:
        print(json.dumps({"error": str(exc)}, ensure_ascii=False))
        return 0
    print(json.dumps({"pages": pages}))
    return 0


if __name__ == "__main__":
    sys.exit(_main(sys.argv[1:]))
