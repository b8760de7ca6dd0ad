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

from indexer.radicals import RADICAL_EQUIVALENTS
from indexer.variants import traditional_to_simplified

_SPACE = re.compile(r"\s+")
_CJK = "\u2e80-\u2fdf\u3000-\u303f\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\ufe30-\ufe4f\uff00-\uffef"
# A line break between two CJK characters, or between CJK and a digit, is an artefact of PDF layout (the
# line was only wrapped), not a space in the text: "2023\n年度", "〔2025〕12\n号".
_WRAP = re.compile(rf"(?:(?<=[{_CJK}])[ \t]*\r?\n[ \t]*(?=[{_CJK}0-9])"
                   rf"|(?<=[{_CJK}0-9])[ \t]*\r?\n[ \t]*(?=[{_CJK}]))")
# Between CJK and a Latin letter, only where the line before is full (a wrap, not a short line of its own).
_LATIN_WRAP = re.compile(rf"(?:(?<=[{_CJK}])[ \t]*\r?\n[ \t]*(?=[A-Za-z])|(?<=[A-Za-z])[ \t]*\r?\n[ \t]*(?=[{_CJK}]))")
# Spaces between CJK characters on one line are letter spacing (分散对齐 headings, TJ gaps): a reader
# sees 野生动物保护 and Ctrl+F in a PDF viewer finds it.
_GAP = re.compile(rf"(?<=[{_CJK}])[ \t\u00a0\u3000]+(?=[{_CJK}])")
_RADICALS = {cp: chr(target) for cp, target in RADICAL_EQUIVALENTS.items()}


_fold_variants = True


def set_variant_folding(on: bool) -> None:
    """Turn traditional → simplified folding on or off for this process (settings [indexer] fold_variants).

    Called once at start-up by the web app, the worker and the CLI, before any text is normalised.
    """
    global _fold_variants
    _fold_variants = on


def variant_folding() -> bool:
    """Return whether normalize folds traditional characters to simplified in this process."""
    return _fold_variants


def normalize(text: str) -> str:
    """Return the searchable form of `text`: NFKC, CJK radicals and (by setting) traditional characters folded,
    lower case, whitespace runs as one space.

    NFKC folds full-width forms and the Kangxi Radicals block; the CJK Radicals Supplement
    (U+2E80–U+2EFF, e.g. ⻓ → 长) is folded by Unicode's EquivalentUnifiedIdeograph table; 林業 → 林业 by
    OpenCC's character table (indexer.variants), one character for one.
    """
    folded = unicodedata.normalize("NFKC", text)
    if any("\u2e80" <= ch <= "\u2eff" for ch in folded):
        folded = folded.translate(_RADICALS)
    if _fold_variants:
        folded = folded.translate(traditional_to_simplified())
    return _SPACE.sub(" ", folded.lower()).strip()


def join_cjk_lines(text: str) -> str:
    """Undo what PDF layout did to Chinese text: wrapped lines and letter-spaced glyphs are joined.

    A line break is removed where Chinese meets Chinese or a digit across it, and where Chinese meets a
    Latin letter after a full line (at least 80% of the longest line, 10 characters or more); spaces
    between two Chinese characters on one line are removed. Returns the text a reader sees.
    """
    text = _GAP.sub("", text)
    if _LATIN_WRAP.search(text):
        widths = [len(line.strip()) for line in text.splitlines()]
        full = max(10, int(0.8 * max(widths, default=0)))

        def wrapped(match: re.Match[str]) -> str:
            start = text.rfind("\n", 0, match.start()) + 1
            return "" if len(text[start:match.start()].strip()) >= full else match.group()

        text = _LATIN_WRAP.sub(wrapped, text)
    return _WRAP.sub("", text)


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
