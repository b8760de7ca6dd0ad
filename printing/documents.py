"""Preparing a document for printing: PDF page count and paper sizes, .docx and .txt to PDF."""

from __future__ import annotations

import fcntl
import threading
import zipfile
from dataclasses import dataclass
from pathlib import Path

from pypdf import PdfReader
from pypdf.errors import PdfReadError

from archive.messages import DomainError, msg
from fileformats import office, pdffonts, zipguard
from fileformats.textcodec import UndecodableText, decode
from printing.routing import media_for_size

KINDS = {".pdf": "pdf", ".docx": "docx", ".txt": "txt"}
_POINTS_PER_MM = 72 / 25.4
# One conversion at a time in this process; the flock below serialises processes sharing a data dir.
_CONVERT_LOCK = threading.Lock()


class DocumentError(DomainError):
    """The document cannot be printed; the message says why and what to do."""


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
            box = page.cropbox  # what is printed: the CropBox (it defaults to the MediaBox)
            w, h = float(box.width) / _POINTS_PER_MM, float(box.height) / _POINTS_PER_MM
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


def text_to_pdf(source: Path, target: Path) -> None:
    """Typeset a plain-text file (any common encoding, Chinese included) as an A4 PDF."""
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
    for raw_line in text.splitlines() or [""]:
        for line in _wrap(raw_line.expandtabs(4), font, size, max_width, pdfmetrics):
            if y < margin:
                pdf.showPage()
                y = height - margin
            pdf.setFont(font, size)
            pdf.drawString(margin, y, line)
            y -= leading
    pdf.showPage()
    pdf.save()


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


def _wrap(line: str, font: str, size: int, max_width: float, pdfmetrics) -> list[str]:  # type: ignore[no-untyped-def]
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
