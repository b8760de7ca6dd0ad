"""OFD (GB/T 33190-2016, the national fixed-layout format): the text of every page, the title and the
creation year, read one way by the archive's indexer and by 收文 intake.

An OFD file is a zip package: ``OFD.xml`` names each document's root (``DocRoot``) and its ``DocInfo``
(Title, CreationDate); the document lists its pages (``Page BaseLoc``), and each page's ``TextObject``
elements hold ``TextCode`` runs in reading order (GB/T 33190 §11). The package is checked against the
zip guard's limits before any part is parsed; XML entities and the network are never resolved.

Run as ``python -m fileformats.ofd FILE`` it prints the text as JSON (``{"text", "title", "year"}``):
that is how a web request reads an uploaded file, in a limited child (fileformats.subproc).
"""

from __future__ import annotations

import json
import posixpath
import sys
import zipfile
from dataclasses import dataclass
from pathlib import Path

from lxml import etree

from fileformats import zipguard

_PARSER = etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=False, remove_comments=True,
                          remove_pis=True)


class OfdError(ValueError):
    """The file is not a readable OFD package; the message (Chinese) says why."""


@dataclass(frozen=True)
class OfdText:
    """What an OFD holds for a reader: the pages' text (pages separated by a newline), title, year."""

    text: str
    title: str | None
    year: int | None


def _local(el: etree._Element) -> str:
    tag = el.tag
    return tag.split("}", 1)[1] if isinstance(tag, str) and "}" in tag else str(tag)


def _part(package: zipfile.ZipFile, name: str) -> etree._Element | None:
    try:
        data = zipguard.read_part(package, name)
    except zipguard.ZipBomb as exc:
        raise OfdError(str(exc)) from None
    if data is None:
        return None
    try:
        return etree.fromstring(data, _PARSER)
    except etree.XMLSyntaxError as exc:
        raise OfdError(f"OFD 文件的 {name} 已损坏：{exc}") from None


def read(path: Path) -> OfdText:
    """Return the text of every page, the title and the creation year of the OFD file at `path`.

    Raises OfdError when it is not a zip, inflates past fileformats.zipguard's limits, lacks OFD.xml
    or holds broken XML.
    """
    try:
        package = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError) as exc:
        raise OfdError(f"文件已损坏或不完整：{exc}") from None
    with package:
        try:
            zipguard.check(package)
        except zipguard.ZipBomb as exc:
            raise OfdError(str(exc)) from None
        root = _part(package, "OFD.xml")
        if root is None:
            raise OfdError("不是 OFD 文件（找不到 OFD.xml）")
        title = year = None
        for info in root.iter("{*}DocInfo"):
            for el in info:
                text = (el.text or "").strip()
                if _local(el) == "Title" and text:
                    title = text
                elif _local(el) == "CreationDate" and text[:4].isdigit():
                    year = int(text[:4])
        texts: list[str] = []
        for doc_root in root.iter("{*}DocRoot"):
            doc_name = (doc_root.text or "").strip().lstrip("/")
            document = _part(package, doc_name)
            if document is None:
                continue
            base = posixpath.dirname(doc_name)
            for page in document.iter("{*}Page"):
                loc = (page.get("BaseLoc") or "").strip()
                name = loc.lstrip("/") if loc.startswith("/") else posixpath.normpath(posixpath.join(base, loc))
                content = _part(package, name)
                if content is None:
                    continue
                lines = ["".join(code.text or "" for code in obj.iter("{*}TextCode"))
                         for obj in content.iter("{*}TextObject")]
                texts.append("\n".join(lines))
    return OfdText("\n".join(texts), title, year)


def _main(argv: list[str]) -> int:
    if len(argv) != 1:
        print("usage: python -m fileformats.ofd FILE", file=sys.stderr)
        return 2
    try:
        found = read(Path(argv[0]))
    except OfdError as exc:
        print(str(exc), file=sys.stderr)
        return 1
    json.dump({"text": found.text, "title": found.title, "year": found.year}, sys.stdout, ensure_ascii=False)
    return 0


if __name__ == "__main__":
    sys.exit(_main(sys.argv[1:]))
