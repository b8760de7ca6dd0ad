"""Binary and other office formats LibreOffice reads: .doc/.wps, .xls/.et, .ppt/.dps (OLE compound files
from Microsoft Office and Kingsoft WPS), .rtf, and anything else handed over by content.

The file is converted by fileformats.office to its OOXML counterpart (Word → .docx, Excel → .xlsx,
PowerPoint → .pptx) in a temporary folder, then read by the same readers as native OOXML files, so
tracked changes, text boxes and comments are treated alike. The OLE stream names tell Word, Excel and
PowerPoint apart (WPS writes the same streams); an OOXML file encrypted with a password is an OLE file
with an ``EncryptedPackage`` stream and is reported as encrypted without starting LibreOffice.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

from fileformats.office import ConversionFailed, convert
from library import extract_docx, extract_package
from library.extract_base import Content, ExtractionError

# LibreOffice runs inside the extraction child; its own limit stays below the child's deadline.
CONVERT_TIMEOUT = 25.0


def _has_stream(data: bytes, name: str) -> bool:
    return name.encode("utf-16-le") in data


def ole_kind(path: Path) -> str:
    """Return "word", "excel", "powerpoint" or "encrypted" for an OLE compound file, "" when unknown."""
    data = path.read_bytes()[: 8 * 1024 * 1024]  # the directory sectors of office files lie well inside
    if _has_stream(data, "EncryptedPackage"):
        return "encrypted"
    if _has_stream(data, "WordDocument"):
        return "word"
    if _has_stream(data, "Workbook") or _has_stream(data, "Book"):
        return "excel"
    if _has_stream(data, "PowerPoint Document"):
        return "powerpoint"
    return ""


_TARGETS = {"word": (".doc", "docx", extract_docx.read), "excel": (".xls", "xlsx", extract_package.read_xlsx),
            "powerpoint": (".ppt", "pptx", extract_package.read_pptx), "rtf": (".rtf", "docx", extract_docx.read)}


def read_ole(path: Path) -> Content:
    """Return the text of a legacy Word/Excel/PowerPoint or WPS file (OLE compound file)."""
    kind = ole_kind(path)
    if kind == "encrypted":
        raise ExtractionError("encrypted", "Office 文档有密码保护，无法读取内容")
    if not kind:
        raise ExtractionError("unsupported", "不认识的 OLE 复合文档（不是 Word、Excel、PowerPoint 或 WPS 文件）")
    return _via_libreoffice(path, kind)


def read_rtf(path: Path) -> Content:
    """Return the text of an RTF file."""
    return _via_libreoffice(path, "rtf")


def _via_libreoffice(path: Path, kind: str) -> Content:
    suffix, fmt, reader = _TARGETS[kind]
    with tempfile.TemporaryDirectory(prefix="eoffice-extract-") as tmp:
        target = Path(tmp) / f"converted.{fmt}"
        try:
            convert(path, fmt, target, input_suffix=suffix, timeout=CONVERT_TIMEOUT)
        except ConversionFailed as exc:
            raise ExtractionError("damaged", str(exc)) from None
        return reader(target)
