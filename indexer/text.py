"""Text normalisation and character n-grams: the one definition of "contains" shared by index and query.

A document matches a literal when its normalised text contains the normalised literal (what Ctrl+F
finds, case-insensitive, full-width forms folded by NFKC, whitespace runs folded to one space). The
index holds every character (1-gram) and every adjacent pair (2-gram) not crossing a space; a literal's
grams are a necessary condition, the stored text decides.
"""

from __future__ import annotations

import operator
import re
import unicodedata
from collections.abc import Iterable

_SPACE = re.compile(r"\s+")
# A line break between two CJK characters is an artefact of PDF layout, not a space in the text.
_CJK_BREAK = re.compile(r"(?<=[\u3400-\u9fff\uf900-\ufaff\u3000-\u303f\uff00-\uffef])[ \t]*\r?\n[ \t]*"
                        r"(?=[\u3400-\u9fff\uf900-\ufaff\u3000-\u303f\uff00-\uffef])")


def normalize(text: str) -> str:
    """Return the searchable form of `text`: NFKC, lower case, whitespace runs as one space."""
    return _SPACE.sub(" ", unicodedata.normalize("NFKC", text).lower()).strip()


def join_cjk_lines(text: str) -> str:
    """Remove line breaks that split a run of Chinese text (PDF extractors break lines mid-word)."""
    return _CJK_BREAK.sub("", text)


def grams(normalized: str) -> set[str]:
    """Return the 2-grams of normalised text (none containing a space), and 1-grams standing alone."""
    out: set[str] = set()
    for chunk in normalized.split(" "):
        if len(chunk) == 1:
            out.add(chunk)
        elif chunk:
            out.update(map(operator.add, chunk, chunk[1:]))
    return out


def literal_grams(literal: str) -> tuple[set[str], bool]:
    """Return the 2-grams every match of a normalised literal contains, and whether the text must be checked.

    A literal without 2-grams (one character, or single characters between spaces) returns no grams:
    the caller scans the stored texts instead.
    """
    chunks = [c for c in literal.split(" ") if c]
    needed: set[str] = set()
    for chunk in chunks:
        needed.update(map(operator.add, chunk, chunk[1:]))
    exact = len(chunks) == 1 and len(chunks[0]) == 2
    return needed, not exact


def many_grams(values: Iterable[str]) -> set[str]:
    """Return the grams of several normalised strings."""
    out: set[str] = set()
    for value in values:
        out |= grams(value)
    return out
