"""Decode the bytes of a text file of unknown encoding, as a Chinese office's files come.

Order: a byte-order mark (UTF-8, UTF-16 LE/BE) decides; UTF-16 without a mark is recognised by its
zero bytes (spreadsheet and database exports write it); strict UTF-8; GB18030 when the text stays in
GB2312 (detectors guess poorly on short Chinese text: 24 bytes of GBK read as Korean); then
charset-normalizer among the encodings a bureau meets. A decode that is mostly control characters or
unassigned code points is refused with `UndecodableText`.

One decoder for the archive's extractor and the print path, so both read a file the same way.
"""

from __future__ import annotations

import codecs
import unicodedata

from charset_normalizer import from_bytes

_BOMS = ((codecs.BOM_UTF8, "utf-8-sig"), (codecs.BOM_UTF32_LE, "utf-32"), (codecs.BOM_UTF16_LE, "utf-16"),
         (codecs.BOM_UTF16_BE, "utf-16"))
_CANDIDATES = ["utf_8", "gb18030", "big5", "utf_16", "cp1252", "latin_1", "shift_jis", "euc_kr", "cp1251"]


class UndecodableText(ValueError):
    """The bytes are not text in any encoding we recognise; the message says what to do (Chinese)."""


def decode(data: bytes) -> str:
    """Return the text of `data` (bytes of a text file of unknown encoding). Raises UndecodableText."""
    for bom, encoding in _BOMS:
        if data.startswith(bom):
            return _checked(data.decode(encoding, errors="replace"))
    utf16 = _utf16_without_bom(data)
    if utf16 is not None:
        return _checked(data.decode(utf16, errors="replace"))
    try:
        return _checked(data.decode("utf-8"))
    except UnicodeDecodeError:
        pass
    try:
        text = data.decode("gb18030")
    except UnicodeDecodeError:
        text = ""
    if text and _mostly_gb2312(text):
        return _checked(text)
    best = from_bytes(data, cp_isolation=_CANDIDATES).best()
    if best is None:
        raise UndecodableText("无法识别文本编码（不是 UTF-8、UTF-16、GBK、Big5 等常见编码）；请另存为 UTF-8 文本")
    return _checked(str(best))


def _utf16_without_bom(data: bytes) -> str | None:
    """Return "utf-16-le"/"utf-16-be" when the bytes look like UTF-16 without a byte-order mark.

    ASCII and most CJK text in UTF-16 has a zero byte in every other position for ASCII characters;
    CJK-only text has none, so it is also accepted when an even-length buffer decodes to mostly CJK
    and common punctuation in one byte order and not in UTF-8 or GB18030.
    """
    if len(data) < 4 or len(data) % 2:
        return None
    sample = data[:8192]
    even_zero = sample[0::2].count(0)
    odd_zero = sample[1::2].count(0)
    half = len(sample) // 2
    if odd_zero >= 0.3 * half and even_zero <= 0.05 * half:
        return "utf-16-le"
    if even_zero >= 0.3 * half and odd_zero <= 0.05 * half:
        return "utf-16-be"
    if 0 in sample:
        return None
    for enc in ("utf-8", "gb18030"):
        try:
            data.decode(enc)
            return None
        except UnicodeDecodeError:
            pass
    for enc in ("utf-16-le", "utf-16-be"):
        try:
            text = data.decode(enc)
        except UnicodeDecodeError:
            continue
        cjk = sum(1 for ch in text[:4096] if "\u4e00" <= ch <= "\u9fff" or "\u3000" <= ch <= "\u303f"
                  or "\uff00" <= ch <= "\uffef" or ch in "\r\n\t")
        if cjk >= 0.9 * min(len(text), 4096):
            return enc
    return None


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
        raise UndecodableText("文本解码后大部分是乱码，未读取（请另存为 UTF-8 文本）")
    return text


def _odd(ch: str) -> bool:
    if ch in "\n\r\t\f":
        return False
    cat = unicodedata.category(ch)
    # Control characters, unassigned/private-use code points and the replacement character mean garbage.
    return cat in ("Cc", "Cn", "Co", "Cs") or ch == "\ufffd"
