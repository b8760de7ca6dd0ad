"""Plain text (.txt, .md, .csv, .log): any common encoding, through the decoder shared with printing."""

from __future__ import annotations

from pathlib import Path

from fileformats.textcodec import UndecodableText, decode
from library.extract_base import Content, ExtractionError


def read(path: Path) -> Content:
    """Return the decoded text of a text file; raise ExtractionError("damaged") when it is not text."""
    data = path.read_bytes()
    try:
        return Content(decode(data))
    except UndecodableText as exc:
        raise ExtractionError("damaged", str(exc)) from None
