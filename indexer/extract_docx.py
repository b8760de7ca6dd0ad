"""Word .docx: body paragraphs and tables (nested too), headers and footers, core properties."""

from __future__ import annotations

import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import docx
from docx.opc.exceptions import PackageNotFoundError

from indexer import extract

OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"


def read(path: Path) -> extract.Content:
    """Return the text of a .docx file."""
    with path.open("rb") as fh:
        head = fh.read(8)
    if head == OLE_MAGIC:
        # Office stores a password-protected .docx as an OLE container with an EncryptedPackage stream.
        raise extract.ExtractionError("encrypted", "Word 文档有密码保护，无法读取内容")
    try:
        document = docx.Document(str(path))
    except (zipfile.BadZipFile, PackageNotFoundError, KeyError) as exc:
        raise extract.ExtractionError("damaged", f"Word 文档已损坏或不完整：{exc}") from None
    parts: list[str] = []
    seen: set[int] = set()
    for section in document.sections:
        for part in (section.header, section.first_page_header, section.footer, section.first_page_footer):
            if part is not None and not part.is_linked_to_previous and id(part._element) not in seen:
                seen.add(id(part._element))
                parts.extend(_blocks(part))
    parts.extend(_blocks(document))
    props = document.core_properties
    for extra in (props.title, props.subject, props.keywords):
        if extra:
            parts.append(extra)
    year = props.created.year if props.created else None
    return extract.Content("\n".join(p for p in parts if p), (props.title or "").strip() or None, year)


def _blocks(container: Any) -> Iterator[str]:
    for paragraph in container.paragraphs:
        yield paragraph.text
    for table in container.tables:
        yield from _table(table)


def _table(table: Any) -> Iterator[str]:
    for row in table.rows:
        last = None
        for cell in row.cells:
            if cell._tc is last:  # merged cells repeat the same element
                continue
            last = cell._tc
            yield from _blocks(cell)
