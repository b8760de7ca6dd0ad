"""The extractor registry: which reader takes which file, decided by content first, then by extension.

Runs inside the sandbox children (library.sandbox), never in the worker itself. The type comes from
the first bytes (a PDF, a zip and which office package it holds, an OLE compound file, RTF, HTML),
because names lie: WPS writes OOXML under .doc names, Kingsoft .wps/.et/.dps are Word/Excel/PowerPoint
binaries, and a .pdf may be an HTML error page someone saved. Plain text is only taken by extension.
"""

from __future__ import annotations

import zipfile
from pathlib import Path

from fileformats.names import clean_text
from library import extract_docx, extract_html, extract_legacy, extract_package, extract_pdf, extract_text
from library.extract_base import Content, Extracted, ExtractionError, Extractor
from library.text import join_cjk_lines

__all__ = ["Content", "Extracted", "ExtractionError", "Extractor", "default_registry", "detect", "extract_file"]

# Extensions the archive reads (anything else is found by its name only). Kingsoft WPS: wps/et/dps.
TEXT_KINDS = ("txt", "md", "csv", "log", "tsv")
OFFICE_KINDS = ("docx", "docm", "dotx", "dotm", "doc", "dot", "wps", "wpt", "rtf", "odt", "ott",
                "xlsx", "xlsm", "xls", "et", "ett", "ods", "pptx", "pptm", "ppt", "pps", "ppsx", "dps", "odp")
OOXML_KINDS = ("docx", "docm", "dotx", "dotm", "xlsx", "xlsm", "pptx", "pptm", "ppsx")
OTHER_KINDS = ("pdf", "ofd", "html", "htm", "xhtml", "mht")
# Scans: read by OCR in the worker's OCR thread (library.ocr), not by the extraction children.
IMAGE_KINDS = ("jpg", "jpeg", "png", "tif", "tiff", "bmp")
_IMAGE_MAGIC = (b"\xff\xd8\xff", b"\x89PNG\r\n\x1a\n", b"II*\x00", b"MM\x00*", b"BM")


def default_registry() -> dict[str, Extractor]:
    """Return the reader of each content type (as `detect` names them)."""
    return {
        "docx": extract_docx.read,
        "xlsx": extract_package.read_xlsx,
        "pptx": extract_package.read_pptx,
        "odf": extract_package.read_odf,
        "ofd": extract_package.read_ofd,
        "ole": extract_legacy.read_ole,
        "rtf": extract_legacy.read_rtf,
        "pdf": extract_pdf.read,
        "html": extract_html.read,
        "text": extract_text.read,
        "encrypted": _encrypted,
        "image": _image,
    }


def _image(path: Path) -> Content:
    raise ExtractionError("no_text", "图片（扫描件），需要 OCR 识别后才能按内容检索")


def _encrypted(path: Path) -> Content:
    raise ExtractionError("encrypted", "Office 文档有密码保护，无法读取内容")


def supported_extensions() -> frozenset[str]:
    """Return every lower-case extension (no dot) the archive tries to read."""
    return frozenset(TEXT_KINDS + OFFICE_KINDS + OTHER_KINDS + IMAGE_KINDS)


def detect(path: Path, extension: str) -> str | None:
    """Return the content type of a file (a key of `default_registry`), or None when it is not readable.

    `extension` is the lower-case extension of the file's name, used only when the content says nothing.
    """
    with path.open("rb") as fh:
        head = fh.read(2048)
    if head.startswith(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"):
        # Office keeps a password-protected .docx/.xlsx/.pptx as an OLE container around an EncryptedPackage.
        if extension in OOXML_KINDS and extract_legacy.ole_kind(path) in ("", "encrypted"):
            return "encrypted"
        return "ole"
    if b"%PDF-" in head[:1024]:
        return "pdf"
    if head.startswith(b"{\\rtf"):
        return "rtf"
    if head.startswith(_IMAGE_MAGIC):
        return "image"
    if head.startswith(b"PK\x03\x04"):
        return _zip_kind(path)
    lowered = head.lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    if extension in ("html", "htm", "xhtml", "mht") or lowered.startswith((b"<!doctype html", b"<html")):
        return "html"
    if extension in TEXT_KINDS:
        return "text"
    return None


def _zip_kind(path: Path) -> str | None:
    try:
        with zipfile.ZipFile(path) as package:
            names = set(package.namelist())
            if "mimetype" in names:
                mime = package.read("mimetype")[:100]
                if mime.startswith(b"application/vnd.oasis.opendocument"):
                    return "odf"
    except zipfile.BadZipFile:
        return "docx"  # let the reader report the damage in its own words
    if "OFD.xml" in names:
        return "ofd"
    if any(n.startswith("word/") for n in names):
        return "docx"
    if any(n.startswith("xl/") for n in names):
        return "xlsx"
    if any(n.startswith("ppt/") for n in names):
        return "pptx"
    return None


def extract_file(path: Path, *, max_chars: int, registry: dict[str, Extractor] | None = None,
                 extension: str | None = None) -> Extracted:
    """Read `path` with the reader for its content and classify the outcome; never raises.

    `extension` (lower case, no dot) is the original file's, for when `path` has none (an opened
    descriptor's /proc path). The text comes back cleaned (no lone surrogates, no NUL), with PDF layout
    artefacts joined, cut at `max_chars`.
    """
    registry = registry or default_registry()
    kind = extension if extension is not None else path.suffix.lower().lstrip(".")
    try:
        if path.stat().st_size == 0:
            return Extracted("empty", error="文件大小为0字节")
        content_type = detect(path, kind)
        reader = registry.get(content_type) if content_type else None
        if reader is None:
            return Extracted("unsupported")
        content = reader(path)
    except ExtractionError as exc:
        return Extracted(exc.outcome, error=clean_text(str(exc))[:500])
    except MemoryError:
        return Extracted("damaged", error="解析时超出内存限制")
    except Exception as exc:  # any parser failure means a damaged file, recorded with the reason
        return Extracted("damaged", error=clean_text(f"{type(exc).__name__}: {exc}")[:500])
    text = clean_text(content.text)
    if content_type in ("pdf", "ofd"):
        text = join_cjk_lines(text)
    text = text.strip()
    title = clean_text(content.title)[:500] if content.title else None
    if not text:
        scan = content_type == "pdf"
        outcome = "no_text" if scan else "empty"
        why = "PDF 没有文字层（可能是扫描件），需要 OCR 后才能按内容检索" if scan else "文件中没有文字"
        return Extracted(outcome, title=title, year=content.year, error=why)
    error: str | None = None
    if len(text) > max_chars:
        text = text[:max_chars]
        error = f"文字过长，只索引了前 {max_chars} 个字符"
    return Extracted("indexed", text, title, content.year, error, scan_pages=content.scan_pages)
