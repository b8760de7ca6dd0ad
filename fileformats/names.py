"""File names as the archive folder holds them: raw bytes, often not UTF-8, stored as database text.

Linux file names are bytes. Python hands a name that is not valid UTF-8 over as a `str` holding lone
surrogates (PEP 383 `surrogateescape`: byte 0xBB becomes U+DCBB), which no database column can store.
Zips and USB sticks made on Chinese Windows carry GBK names, so such names are ordinary in a bureau.

The stored form (``ArchiveFile.relpath``) maps each escaped byte U+DC80..U+DCFF to the private-use
code point U+EF80..U+EFFF (the same range MirBSD's OPTU-16 uses for the same purpose). The mapping is
reversible, so the raw bytes stay the file's identity: two names that decode alike are two files.
A genuinely UTF-8 name that already holds U+EF80..U+EFFF would be ambiguous; `stored_form` refuses it
(`UnstorableName`), and the scanner lists such a file nowhere rather than open the wrong one.

What people see (``ArchiveFile.name``/``title``) is `display_name`: the bytes decoded as GB18030 when
they decode cleanly, else the name with the bad bytes shown as ``\\xNN``.
"""

from __future__ import annotations

import os
import re

_ESCAPED = re.compile("[\udc80-\udcff]")
_STORED = re.compile("[\uef80-\uefff]")
_LONE_SURROGATE = re.compile("[\ud800-\udfff]")
_OFFSET = 0xEF80 - 0xDC80


class UnstorableName(ValueError):
    """A UTF-8 name holds the private-use code points the stored form reserves; it cannot be kept."""


def stored_form(fs_name: str) -> str:
    """Return the database form of a file-system name (a `str` from os.scandir/os.fsdecode).

    Raises UnstorableName for a UTF-8 name that holds U+EF80..U+EFFF (ambiguous with an escaped byte).
    """
    if _STORED.search(fs_name):
        raise UnstorableName(fs_name)
    if not _ESCAPED.search(fs_name):
        return fs_name
    return _ESCAPED.sub(lambda m: chr(ord(m.group()) + _OFFSET), fs_name)


def fs_form(stored: str) -> str:
    """Return the file-system `str` of a stored name (inverse of `stored_form`); os.fsencode gives the bytes."""
    if not _STORED.search(stored):
        return stored
    return _STORED.sub(lambda m: chr(ord(m.group()) - _OFFSET), stored)


def raw_bytes(stored: str) -> bytes:
    """Return the bytes of the name on disk."""
    return os.fsencode(fs_form(stored))


def display_name(stored: str) -> str:
    """Return what a person should read for a stored name or path.

    Bytes that are not UTF-8 are decoded as GB18030 (what Chinese Windows writes) when the whole name
    decodes cleanly, else each bad byte is shown as ``\\xNN``. Control characters (a newline in a name)
    are shown as ``\\n``-style escapes so a name always stays on one line.
    """
    if _STORED.search(stored):
        data = raw_bytes(stored)
        try:
            text = data.decode("gb18030")
        except UnicodeDecodeError:
            text = data.decode("utf-8", errors="backslashreplace")
    else:
        text = stored
    return "".join(ch if ch.isprintable() or ch == " " else ch.encode("unicode_escape").decode("ascii")
                   for ch in text)


def clean_text(text: str) -> str:
    """Return `text` safe for the database and the index: surrogate pairs joined, lone ones and NUL removed.

    Extractors can return UTF-16 surrogates (pypdf with broken ToUnicode maps) which UTF-8 cannot encode,
    and NUL, which PostgreSQL text refuses. Everything else is kept.
    """
    if "\x00" in text:
        text = text.replace("\x00", "")
    if not _LONE_SURROGATE.search(text):
        return text
    # Join valid high+low pairs into their code point, then drop what is still alone.
    joined = text.encode("utf-16-le", "surrogatepass").decode("utf-16-le", "replace")
    if "\ufffd" in joined and "\ufffd" not in text:
        joined = joined.replace("\ufffd", "")
    return _LONE_SURROGATE.sub("", joined)
