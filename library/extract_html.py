"""HTML pages saved into the share (.html/.htm, also Word's "save as web page"): the text a browser shows."""

from __future__ import annotations

import re
from html.parser import HTMLParser
from pathlib import Path

from fileformats.textcodec import UndecodableText, decode
from library.extract_base import Content, ExtractionError

_CHARSET = re.compile(rb"<meta[^>]+charset=[\"']?([A-Za-z0-9_-]+)", re.I)
_BLOCK = {"p", "div", "br", "li", "tr", "h1", "h2", "h3", "h4", "h5", "h6", "table", "section", "article", "td",
          "th", "title"}


class _Text(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.title: list[str] = []
        self._skip = 0
        self._in_title = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in ("script", "style", "template"):
            self._skip += 1
        elif tag == "title":
            self._in_title = True
        if tag in _BLOCK:
            self.parts.append("\n")

    def handle_endtag(self, tag: str) -> None:
        if tag in ("script", "style", "template") and self._skip:
            self._skip -= 1
        elif tag == "title":
            self._in_title = False
        if tag in _BLOCK:
            self.parts.append("\n")

    def handle_data(self, data: str) -> None:
        if self._skip:
            return
        if self._in_title:
            self.title.append(data)
        else:
            self.parts.append(data)


def read(path: Path) -> Content:
    """Return the visible text and the <title> of an HTML file in its declared or detected encoding."""
    data = path.read_bytes()
    text: str | None = None
    declared = _CHARSET.search(data[:4096])
    if declared:
        try:
            text = data.decode(declared.group(1).decode("ascii").lower().replace("gb2312", "gb18030"))
        except (LookupError, UnicodeDecodeError):
            text = None
    if text is None:
        try:
            text = decode(data)
        except UndecodableText as exc:
            raise ExtractionError("damaged", str(exc)) from None
    parser = _Text()
    parser.feed(text)
    parser.close()
    lines = (line.strip() for line in "".join(parser.parts).splitlines())
    title = "".join(parser.title).strip() or None
    return Content("\n".join(line for line in lines if line), title)
