"""Plain text (.txt, .md, .csv): UTF-8, UTF-16 with BOM, GB18030/GBK, Big5, detected by charset-normalizer.

A decode that looks like nonsense (legacy non-Chinese encodings, binary data) is refused, not indexed.
"""

from __future__ import annotations

import codecs
import unicodedata
from pathlib import Path

from charset_normalizer import from_bytes

from indexer import extract

_BOMS = ((codecs.BOM_UTF8, "utf-8-sig"), (codecs.BOM_UTF16_LE, "utf-16"), (codecs.BOM_UTF16_BE, "utf-16"))
_CANDIDATES = ["utf_8", "gb18030", "big5", "utf_16", "cp1252", "latin_1", "shift_jis", "euc_kr", "cp1251"]


def read(path: Path) -> extract.Content:
    """Return the decoded text of a text file."""
    data = path.read_bytes()
    return extract.Content(decode(data))


def decode(data: bytes) -> str:
    """Decode bytes of unknown encoding or raise ExtractionError."""
    for bom, encoding in _BOMS:
        if data.startswith(bom):
            return _checked(data.decode(encoding, errors="replace"))
    try:
        return _checked(data.decode("utf-8"))
    except UnicodeDecodeError:
        pass
    # Detectors guess poorly on short Chinese files; GBK text decodes strictly and stays in GB2312.
    try:
        text = data.decode("gb18030")
    except UnicodeDecodeError:
        text = ""
    if text and _mostly_gb2312(text):
        return _checked(text)
    best = from_bytes(data, cp_isolation=_CANDIDATES).best()
    if best is None:
        raise extract.ExtractionError("damaged", "无法识别文本编码（不是 UTF-8、GBK、Big5 等常见编码）")
    return _checked(str(best))


def _mostly_gb2312(text: str) -> bool:
    wide = [ch for ch in text[:20000] if ord(ch) > 0x7F]
    if not wide:
        return True
    common = 0
    for ch in wide:
        try:
            ch.encode("gb2312")
            common += 1
        except UnicodeEncodeError:
            pass
    return common / len(wide) >= 0.9


def _checked(text: str) -> str:
    if not text:
        return text
    sample = text[:20000]
    bad = sum(1 for ch in sample if _odd(ch))
    if bad / len(sample) > 0.05:
        raise extract.ExtractionError("damaged", "文本解码后大部分是乱码，未索引（请另存为 UTF-8）")
    return text


def _odd(ch: str) -> bool:
    if ch in "\n\r\t":
        return False
    cat = unicodedata.category(ch)
    # Control characters, unassigned/private-use code points and the replacement character mean garbage.
    return cat in ("Cc", "Cn", "Co", "Cs") or ch == "\ufffd"
