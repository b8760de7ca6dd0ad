"""PDF: the text layer of every page (pypdf with its crypto extra for AES), title and creation year.

When pypdf raises on a file (any exception: wrong stream lengths give ValueError or TypeError), poppler's
``pdftotext`` is tried before the file is called damaged. Measured on 83 damaged PDFs made from
reportlab, LibreOffice (TrueType and CFF fonts), Ghostscript and qpdf (object streams) output
(bench/pdf_fallback.py, docs/library.md): pypdf fails on 45, always by raising (never by returning
empty text); pdftotext recovers 6 of those (every file with wrong stream lengths), pypdfium2 the same 6
and no other, so pdftotext (already installed with poppler) stays the one fallback. It runs under
fileformats.subproc limits.
"""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path
from typing import Any

from pypdf import PdfReader
from pypdf.errors import FileNotDecryptedError

from fileformats.subproc import LimitExceeded, run_limited
from library.extract_base import Content, ExtractionError

_ENCRYPTED = "PDF 有打开密码，无法读取内容"


def read(path: Path) -> Content:
    """Return the text of a PDF; raise ExtractionError (encrypted, damaged) when neither reader can."""
    try:
        reader = PdfReader(str(path))
        if reader.is_encrypted:
            # Many PDFs are encrypted with an empty user password only to restrict printing.
            try:
                if not reader.decrypt(""):
                    raise ExtractionError("encrypted", _ENCRYPTED)
            except FileNotDecryptedError:
                raise ExtractionError("encrypted", _ENCRYPTED) from None
        pages = [page.extract_text() or "" for page in reader.pages]
        scans = sum(1 for page, text in zip(reader.pages, pages, strict=True) if not text.strip() and _has_image(page))
    except ExtractionError:
        raise
    except Exception as exc:  # whatever pypdf raises on a damaged file, another reader gets its chance
        text = _pdftotext(path)
        if text is None:
            raise ExtractionError("damaged", f"PDF 已损坏或不完整：{exc}") from None
        return Content(text)
    title = None
    year = None
    try:
        meta = reader.metadata
        if meta is not None:
            title = (meta.title or "").strip() or None
            year = meta.creation_date.year if meta.creation_date else None
    except Exception:  # broken metadata must not hide the text
        pass
    return Content("\n".join(pages), title, year, scan_pages=scans)


def _has_image(page: Any) -> bool:
    """Return whether a page draws an image (directly or inside a form XObject, two levels deep)."""
    def look(resources: Any, depth: int) -> bool:
        try:
            xobjects = resources.get("/XObject") if resources is not None else None
            if xobjects is None:
                return False
            xobjects = xobjects.get_object()
            for ref in xobjects.values():
                obj = ref.get_object()
                subtype = obj.get("/Subtype")
                if subtype == "/Image":
                    return True
                if subtype == "/Form" and depth < 2 and look(obj.get("/Resources"), depth + 1):
                    return True
        except Exception:  # broken resources: no scan is assumed, the text layer stands
            return False
        return False

    try:
        return look(page.get("/Resources"), 0)
    except Exception:
        return False


def _pdftotext(path: Path) -> str | None:
    """Return the text poppler reads from a PDF pypdf rejected, or None when it cannot either."""
    exe = shutil.which("pdftotext")
    if exe is None:
        return None
    # A copy: in the extraction child `path` is /proc/self/fd/N, which names nothing in another process.
    with tempfile.TemporaryDirectory(prefix="eoffice-pdf-") as tmp:
        copy = Path(tmp) / "input.pdf"
        try:
            shutil.copyfile(path, copy)
            done = run_limited([exe, "-q", "-enc", "UTF-8", str(copy), "-"], timeout=60, memory_mb=1024)
        except (LimitExceeded, OSError):
            return None
    if done.returncode != 0:
        return None
    text = done.stdout.decode("utf-8", errors="replace").replace("\f", "\n")
    return text if text.strip() else None
