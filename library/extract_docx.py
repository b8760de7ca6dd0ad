"""Word (.docx, .docm, .dotx, Strict Open XML, and WPS files saved as OOXML): every word a reader sees.

python-docx's ``paragraph.text`` skips runs inside tracked insertions, text boxes, content controls
and field results, and refuses macro-enabled and Strict packages. So the package is read directly:
the main part found through ``_rels/.rels``, its headers, footers, footnotes and endnotes through its
relationships, and each XML part walked in document order, by local name (Strict Open XML uses
other namespace URIs for the same elements):

- text of ``w:t`` runs, ``w:tab`` as a tab, ``w:br``/``w:cr`` as a line break, each paragraph a line;
- tracked changes as the final view: ``w:ins`` kept, ``w:del``/``w:moveFrom``/``w:delText`` left out;
- text boxes once: ``mc:AlternateContent`` is read from its first ``mc:Choice`` only (the DrawingML box),
  never again from the VML ``mc:Fallback`` copy;
- content controls (``w:sdt``) and field results kept, field codes (``w:instrText``) left out;
- comments appended after the body, each line marked 「批注：」 so a hit in a comment is recognisable.

Sizes are checked before parsing (fileformats.zipguard): a part that inflates past the limit is refused.
"""

from __future__ import annotations

import posixpath
import zipfile
from pathlib import Path

from lxml import etree

from fileformats import zipguard
from library.extract_base import Content, ExtractionError

OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_MC = "http://schemas.openxmlformats.org/markup-compatibility/2006"
_SKIP = {"del", "moveFrom", "delText", "instrText", "rPr", "pPr", "tblPr", "trPr", "tcPr", "sectPr",
         "fldData", "delInstrText"}
_PARSER = etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=False, remove_comments=True,
                          remove_pis=True)
# Relationship types (last path segment, both Transitional and Strict URIs) of the parts read after the body.
_PARTS = ("header", "footer", "footnotes", "endnotes")


def read(path: Path) -> Content:
    """Return the text of a Word OOXML package; raise ExtractionError (encrypted, damaged) otherwise."""
    with path.open("rb") as fh:
        head = fh.read(8)
    if head == OLE_MAGIC:
        # Office stores a password-protected .docx as an OLE container with an EncryptedPackage stream.
        raise ExtractionError("encrypted", "Word 文档有密码保护，无法读取内容")
    try:
        with zipfile.ZipFile(path) as package:
            return _read_package(package)
    except zipfile.BadZipFile as exc:
        raise ExtractionError("damaged", f"Word 文档已损坏或不完整：{exc}") from None
    except etree.XMLSyntaxError as exc:
        raise ExtractionError("damaged", f"Word 文档内容不是合法的 XML：{exc}") from None


def _read_package(package: zipfile.ZipFile) -> Content:
    check_sizes(package)
    main = _main_part(package)
    if main is None:
        raise ExtractionError("damaged", "不是 Word 文档（找不到正文部分 word/document.xml）")
    rels = _relationships(package, main)
    texts = [_part_text(package, target) for kind, target in rels if kind in ("header",)]
    texts.append(_part_text(package, main))
    texts += [_part_text(package, target) for kind, target in rels if kind in ("footer", "footnotes", "endnotes")]
    comments = [t for kind, target in rels if kind == "comments" for t in [_part_text(package, target)] if t]
    if comments:
        texts.append("\n".join("批注：" + line for c in comments for line in c.splitlines() if line.strip()))
    title, year = _core(package)
    return Content("\n".join(t for t in texts if t), title, year)


def check_sizes(package: zipfile.ZipFile) -> None:
    """Refuse a package that would inflate past fileformats.zipguard's limits; raise ExtractionError("damaged")."""
    try:
        zipguard.check(package)
    except zipguard.ZipBomb as exc:
        raise ExtractionError("damaged", str(exc)) from None


def load_part(package: zipfile.ZipFile, name: str) -> etree._Element | None:
    """Parse one XML part of a package (None when absent); a part past the zip guard's limit is damaged."""
    try:
        data = zipguard.read_part(package, name)
    except zipguard.ZipBomb as exc:
        raise ExtractionError("damaged", str(exc)) from None
    return None if data is None else etree.fromstring(data, _PARSER)


def _main_part(package: zipfile.ZipFile) -> str | None:
    root = load_part(package, "_rels/.rels")
    if root is not None:
        for rel in root:
            if str(rel.get("Type", "")).endswith("/officeDocument") and rel.get("TargetMode") != "External":
                target = str(rel.get("Target", "")).lstrip("/")
                if target in package.namelist():
                    return target
    return "word/document.xml" if "word/document.xml" in package.namelist() else None


def _relationships(package: zipfile.ZipFile, part: str) -> list[tuple[str, str]]:
    folder, name = posixpath.split(part)
    root = load_part(package, posixpath.join(folder, "_rels", name + ".rels"))
    out: list[tuple[str, str]] = []
    if root is None:
        return out
    for rel in root:
        kind = str(rel.get("Type", "")).rsplit("/", 1)[-1]
        if kind in (*_PARTS, "comments") and rel.get("TargetMode") != "External":
            target = posixpath.normpath(posixpath.join(folder, str(rel.get("Target", ""))))
            if target in package.namelist():
                out.append((kind, target))
    return out


def _part_text(package: zipfile.ZipFile, name: str) -> str:
    root = load_part(package, name)
    if root is None:
        return ""
    out: list[str] = []
    _walk(root, out)
    lines = (line.strip() for line in "".join(out).split("\n"))
    return "\n".join(line for line in lines if line)


def _walk(element: etree._Element, out: list[str]) -> None:
    for child in element:
        tag = child.tag
        if not isinstance(tag, str):
            continue
        qname = etree.QName(tag)
        local = qname.localname
        if qname.namespace == _MC:
            if local == "AlternateContent":
                choice = next((c for c in child if isinstance(c.tag, str) and etree.QName(c.tag).localname == "Choice"),
                              None)
                if choice is None:  # no Choice: the Fallback is all there is
                    choice = next((c for c in child if isinstance(c.tag, str)), None)
                if choice is not None:
                    _walk(choice, out)
            continue
        if local in _SKIP:
            continue
        if local == "t":
            out.append(child.text or "")
        elif local == "tab":
            out.append("\t")
        elif local in ("br", "cr"):
            out.append("\n")
        elif local == "txbxContent":
            out.append("\n")
            _walk(child, out)
            out.append("\n")
        elif local == "p" or local == "tc":
            _walk(child, out)
            out.append("\n")
        else:
            _walk(child, out)


def _core(package: zipfile.ZipFile) -> tuple[str | None, int | None]:
    try:
        root = load_part(package, "docProps/core.xml")
    except (ExtractionError, etree.XMLSyntaxError):
        return None, None  # broken metadata must not hide the text
    if root is None:
        return None, None
    title = year = None
    for child in root:
        if not isinstance(child.tag, str):
            continue
        local = etree.QName(child.tag).localname
        if local == "title" and child.text and child.text.strip():
            title = child.text.strip()[:500]
        elif local == "created" and child.text and child.text[:4].isdigit():
            year = int(child.text[:4])
    return title, year
