"""Zip-based formats other than Word: Excel/WPS 表格 (.xlsx/.xlsm/.et saved as OOXML), PowerPoint (.pptx),
OpenDocument (.odt/.ods/.odp) and OFD (GB/T 33190, the national fixed-layout format).

Each is a zip of XML parts read with the same guards as Word (declared and actual inflated sizes checked
before parsing, no entities, no network):
- xlsx: openpyxl in read-only mode, every sheet, each row a line of tab-separated cell values;
- pptx: every slide in order (``ppt/slides/slideN.xml``), then the notes, text of ``a:t`` runs;
- ODF: ``content.xml``, text of paragraphs and headings, tracked deletions (``text:tracked-changes``) left out;
- OFD: every page's ``ofd:TextCode`` in the order of ``OFD.xml`` → ``Document.xml`` → pages, title and
  creation date from ``ofd:DocInfo``. Chosen over easyofd, which renders pages with PyMuPDF and
  OpenCV (hundreds of MB) for what is only text here.
"""

from __future__ import annotations

import re
import zipfile
from pathlib import Path

from lxml import etree

from fileformats import ofd
from library.extract_base import Content, ExtractionError
from library.extract_docx import check_sizes, load_part

_SLIDE = re.compile(r"ppt/slides/slide(\d+)\.xml$")
_NOTES = re.compile(r"ppt/notesSlides/notesSlide(\d+)\.xml$")


def _open(path: Path) -> zipfile.ZipFile:
    try:
        package = zipfile.ZipFile(path)
    except zipfile.BadZipFile as exc:
        raise ExtractionError("damaged", f"文件已损坏或不完整：{exc}") from None
    try:
        check_sizes(package)
    except ExtractionError:
        package.close()
        raise
    return package


def _local(element: etree._Element) -> str:
    return etree.QName(element.tag).localname if isinstance(element.tag, str) else ""


def read_xlsx(path: Path) -> Content:
    """Return every sheet's cell values, a row per line."""
    import openpyxl

    with _open(path):
        pass  # the size guard, before openpyxl inflates anything
    fh = path.open("rb")  # a file object: openpyxl refuses a path whose name lacks .xlsx (/proc/self/fd/N)
    try:
        book = openpyxl.load_workbook(fh, read_only=True, data_only=True)
    except (zipfile.BadZipFile, KeyError, ValueError, OSError) as exc:
        fh.close()
        raise ExtractionError("damaged", f"表格文件已损坏或不完整：{type(exc).__name__}") from None
    lines: list[str] = []
    try:
        for sheet in book.worksheets:
            lines.append(str(sheet.title))
            for row in sheet.iter_rows(values_only=True):
                cells = ["" if v is None else str(v) for v in row]
                if any(cells):
                    lines.append("\t".join(cells).rstrip("\t"))
        title = (book.properties.title or "").strip() or None
        created = book.properties.created
    finally:
        book.close()
        fh.close()
    return Content("\n".join(lines), title, created.year if created else None)


def read_pptx(path: Path) -> Content:
    """Return the text of every slide in order, then the speaker notes."""
    with _open(path) as package:
        names = package.namelist()
        slides = sorted((int(m.group(1)), n) for n in names if (m := _SLIDE.match(n)))
        notes = sorted((int(m.group(1)), n) for n in names if (m := _NOTES.match(n)))
        parts: list[str] = []
        for _, name in slides + notes:
            root = load_part(package, name)
            if root is None:
                continue
            for para in root.iter("{*}p"):
                text = "".join(t.text or "" for t in para.iter("{*}t"))
                if text.strip():
                    parts.append(text)
    return Content("\n".join(parts))


def read_odf(path: Path) -> Content:
    """Return the paragraphs and headings of an OpenDocument file (tracked deletions left out)."""
    with _open(path) as package:
        root = load_part(package, "content.xml")
        if root is None:
            raise ExtractionError("damaged", "不是 OpenDocument 文件（找不到 content.xml）")
        lines: list[str] = []
        _odf_walk(root, lines, [])
        title = None
        meta = load_part(package, "meta.xml")
        if meta is not None:
            for el in meta.iter("{*}title"):
                title = (el.text or "").strip() or None
    return Content("\n".join(line for line in lines if line.strip()), title)


def _odf_walk(element: etree._Element, lines: list[str], current: list[str]) -> None:
    for child in element:
        local = _local(child)
        if local in ("tracked-changes", "annotation", "note-citation"):
            continue
        if local in ("p", "h"):
            buf: list[str] = [child.text or ""]
            _odf_inline(child, buf)
            lines.append("".join(buf))
        else:
            _odf_walk(child, lines, current)


def _odf_inline(element: etree._Element, buf: list[str]) -> None:
    for child in element:
        local = _local(child)
        if local == "s":
            buf.append(" " * int(child.get("{urn:oasis:names:tc:opendocument:xmlns:text:1.0}c", "1") or 1))
        elif local == "tab":
            buf.append("\t")
        elif local == "line-break":
            buf.append("\n")
        elif local not in ("tracked-changes", "annotation"):
            buf.append(child.text or "")
            _odf_inline(child, buf)
        buf.append(child.tail or "")


def read_ofd(path: Path) -> Content:
    """Return the text of every page of an OFD document (GB/T 33190), its title and creation year
    (fileformats.ofd reads it; a package it refuses is damaged, with its reason)."""
    try:
        found = ofd.read(path)
    except ofd.OfdError as exc:
        raise ExtractionError("damaged", str(exc)) from None
    return Content(found.text, found.title, found.year)

