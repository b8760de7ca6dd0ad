"""Text normalisation and character n-grams: the one definition of "contains" shared by index and query.

A document matches a literal when its normalised text contains the normalised literal (what Ctrl+F
finds, case-insensitive, full-width forms folded by NFKC, whitespace runs folded to one space). The
index holds every character (1-gram) and every adjacent pair (2-gram) not crossing a space; a literal's
grams are a necessary condition, the stored text decides.
"""

from __future__ import annotations

import bisect
import itertools
import operator
import re
import unicodedata
from collections.abc import Iterable

from library.radicals import RADICAL_EQUIVALENTS
from library.variants import traditional_to_simplified

_SPACE = re.compile(r"\s+")
_CJK = "\u2e80-\u2fdf\u3000-\u303f\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\ufe30-\ufe4f\uff00-\uffef"
# A line break is a wrap (not a break of the text) only where the line before it is full and does not end a
# sentence, and Chinese meets Chinese, a digit or a Latin letter across it: "2023\n年度", "〔2025〕12\n号".
# Short lines (headings, 署名, dates) keep their breaks: "第一章\n总则\n第一条".
_WRAP_EDGE = re.compile(rf"[{_CJK}0-9A-Za-z]")
_LATIN = re.compile("[A-Za-z]")  # a wrap between Chinese and a Latin word needs a line of 20 columns at least
_CJK_CHAR = re.compile(rf"[{_CJK}]")
_WIDE = re.compile(r"[\u1100-\u115f\u2e80-\u303e\u3041-\u33ff\u3400-\u4dbf\u4e00-\u9fff\ua960-\ua97f"
                   r"\uac00-\ud7a3\uf900-\ufaff\ufe30-\ufe4f\uff00-\uff60\uffe0-\uffe6]")
_SENTENCE_END = frozenset("。！？；：…!?;:")
_CLOSING_QUOTES = "”’」』\"'"
# A line within 10 % of the text's typical full width counts as full. The full width is at least 20
# columns (10 Chinese characters), or at least 8 columns where two or more lines share it (a narrow
# column, a table cell): a single short line gives no evidence of a wrap.
_FULL_MIN_COLUMNS = 20
_NARROW_MIN_COLUMNS = 8
_FULL_SHARE = 0.9
# Lines that stand alone whatever their width: a bare heading (第一章, 总则) is never continued, and a
# date line (2025年6月1日, 二〇二五年六月一日) never continues the 署名 above it.
_NUMERAL = "一二三四五六七八九十百千零〇两"
_BARE_HEADING = re.compile(rf"^(?:第[{_NUMERAL}\d]+[章节编]|总则|附则)$")
_DATE_LINE = re.compile(rf"^(?:\d{{4}}|[〇零{_NUMERAL}]{{4}})年[\d{_NUMERAL}]{{1,3}}月[\d{_NUMERAL}]{{1,3}}日$")
_INDENTS = (" ", "\t", "\u3000", "\u00a0")
_INDENT_COLUMNS = 4
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
    OpenCC's character table (library.variants), one character for one.
    """
    folded = unicodedata.normalize("NFKC", text)
    if any("\u2e80" <= ch <= "\u2eff" for ch in folded):
        folded = folded.translate(_RADICALS)
    if _fold_variants:
        folded = folded.translate(traditional_to_simplified())
    return _SPACE.sub(" ", folded.lower()).strip()


def join_cjk_lines(text: str) -> str:
    """Undo what PDF layout did to Chinese text: wrapped lines and letter-spaced glyphs are joined.

    Spaces between two Chinese characters on one line are removed. A line break is removed where the line
    before it was wrapped: it is full (within 10 % of the text's typical full line width, measured from the
    text's own lines, Chinese characters counting two columns, an indented first line counting its
    indent; see _full_width) and does not end a sentence (。！？；：), and Chinese meets Chinese, a digit
    or (after a line of 20 columns or more) a Latin letter across the break. Short lines (headings,
    署名, the last line of a paragraph), bare headings (第一章, 总则) and date lines keep their breaks:
    `2023`/`年度` and `〔2025〕12`/`号` inside a paragraph are joined, 「示范市林业局」/「2025年6月1日」
    are not. Returns the text a reader sees.
    """
    text = _GAP.sub("", text)
    if "\n" not in text or not _CJK_CHAR.search(text):
        return text
    lines = text.split("\n")
    # A line that starts indented is the first line of a paragraph: its indent (two characters in 公文, GB/T
    # 9704; one space in what pypdf returns) is part of its width.
    widths = [_columns(line.strip()) + (_INDENT_COLUMNS if line[:1] in _INDENTS else 0) for line in lines]
    full = _full_width(widths)
    if full is None:
        return text
    least = full * _FULL_SHARE
    out = [lines[0]]
    for prev_width, line in zip(widths, lines[1:], strict=False):
        prev = out[-1].rstrip(" \t\r")
        head = line.lstrip(" \t")
        if prev_width >= least and prev and head and _wraps(prev[-1], head[0]) \
                and (prev_width >= _FULL_MIN_COLUMNS or not (_LATIN.match(prev[-1]) or _LATIN.match(head[0]))) \
                and prev.rstrip(_CLOSING_QUOTES)[-1:] not in _SENTENCE_END \
                and not _BARE_HEADING.match(prev.strip()) and not _DATE_LINE.match(head.strip()):
            out[-1] = prev + head
        else:
            out.append(line)
    return "\n".join(out)


def _columns(line: str) -> int:
    """Return the width of a line in columns: a Chinese (wide) character counts two."""
    return len(line) + len(_WIDE.findall(line))


def _full_width(widths: list[int]) -> float | None:
    """Return the typical width of a full line, or None: the width w whose lines (those within 10 % below
    it) hold the most text.

    Full lines of a justified paragraph share (nearly) one width; headings and last lines vary. A width
    under 20 columns counts only when two or more lines reach it, and never under 8 columns.
    """
    long = sorted(w for w in widths if w >= _NARROW_MIN_COLUMNS)
    if not long:
        return None
    mass = [0, *itertools.accumulate(long)]  # mass[i]: the columns of the i narrowest lines
    best: tuple[int, int] | None = None
    for w in set(long):
        lo, hi = bisect.bisect_left(long, w * _FULL_SHARE), bisect.bisect_right(long, w)
        if w < _FULL_MIN_COLUMNS and hi - lo < 2:
            continue
        if best is None or (mass[hi] - mass[lo], w) > best:
            best = (mass[hi] - mass[lo], w)
    return float(best[1]) if best else None


def _wraps(before: str, after: str) -> bool:
    """Return whether a break between these two characters can be a wrap inside a word or phrase."""
    if not (_WRAP_EDGE.match(before) and _WRAP_EDGE.match(after)):
        return False
    return bool(_CJK_CHAR.match(before) or _CJK_CHAR.match(after))


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
