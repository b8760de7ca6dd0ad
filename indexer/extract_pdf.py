"""PDF: the text layer of every page (pypdf with its crypto extra for AES), title and creation year."""

from __future__ import annotations

from pathlib import Path

from pypdf import PdfReader
from pypdf.errors import FileNotDecryptedError, PdfReadError

from indexer import extract


def read(path: Path) -> extract.Content:
    """Return the text of a PDF."""
    try:
        reader = PdfReader(str(path))
        if reader.is_encrypted:
            # Many PDFs are encrypted with an empty user password only to restrict printing.
            try:
                if not reader.decrypt(""):
                    raise extract.ExtractionError("encrypted", "PDF 有打开密码，无法读取内容")
            except FileNotDecryptedError:
                raise extract.ExtractionError("encrypted", "PDF 有打开密码，无法读取内容") from None
        pages = [page.extract_text() or "" for page in reader.pages]
    except extract.ExtractionError:
        raise
    except (PdfReadError, ValueError, KeyError, TypeError) as exc:
        raise extract.ExtractionError("damaged", f"PDF 已损坏或不完整：{exc}") from None
    title = None
    year = None
    try:
        meta = reader.metadata
        if meta is not None:
            title = (meta.title or "").strip() or None
            year = meta.creation_date.year if meta.creation_date else None
    except Exception:  # broken metadata must not hide the text
        pass
    return extract.Content("\n".join(pages), title, year)
