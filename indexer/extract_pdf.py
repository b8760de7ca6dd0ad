"""PDF: the text layer of every page (pypdf with its crypto extra for AES), title and creation year.

When pypdf cannot read a file (a broken cross-reference table, an odd object stream), poppler's
``pdftotext`` is tried before the file is called damaged: it rebuilds what pypdf rejects (measured on
the damaged PDFs of the test suite; docs/search.md). It runs under fileformats.subproc limits.
"""

from __future__ import annotations

import shutil
from pathlib import Path

from pypdf import PdfReader
from pypdf.errors import FileNotDecryptedError, PdfReadError

from fileformats.subproc import LimitExceeded, run_limited
from indexer.extract_base import Content, ExtractionError

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
    except ExtractionError:
        raise
    except (PdfReadError, ValueError, KeyError, TypeError, AttributeError, IndexError, RecursionError) as exc:
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
    return Content("\n".join(pages), title, year)


def _pdftotext(path: Path) -> str | None:
    """Return the text poppler reads from a PDF pypdf rejected, or None when it cannot either."""
    exe = shutil.which("pdftotext")
    if exe is None:
        return None
    try:
        done = run_limited([exe, "-q", "-enc", "UTF-8", str(path), "-"], timeout=60, memory_mb=1024)
    except (LimitExceeded, OSError):
        return None
    if done.returncode != 0:
        return None
    text = done.stdout.decode("utf-8", errors="replace").replace("\f", "\n")
    return text if text.strip() else None
