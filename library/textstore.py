"""The text store: normalised text of every indexed document, appended to one file beside the index.

The index holds (offset, length) of each document's text; queries check candidates against it with
C-speed substring search on a read-only mmap, so no Python objects are built per document. The writer
only appends; space of replaced texts is reclaimed by `eoffice index rebuild`.
"""

from __future__ import annotations

import mmap
import os
from pathlib import Path

STORE_NAME = "texts.bin"


class TextAppender:
    """Append-only writer of the text store (used by the single index writer only)."""

    def __init__(self, index_dir: Path) -> None:
        self.path = index_dir / STORE_NAME
        self._fh = self.path.open("ab")
        self._pos = self._fh.seek(0, os.SEEK_END)

    def append(self, text: str) -> tuple[int, int]:
        """Write `text` and return its (offset, length) in bytes."""
        data = text.encode("utf-8")
        offset = self._pos
        self._fh.write(data)
        self._pos += len(data)
        return offset, len(data)

    def sync(self) -> None:
        """Make appended text durable before the index commit that points at it."""
        self._fh.flush()
        os.fsync(self._fh.fileno())

    @property
    def size(self) -> int:
        return self._pos

    def close(self) -> None:
        self._fh.close()


class TextReader:
    """Read-only view of the text store; remaps when the file grew or was replaced by a rebuild."""

    def __init__(self, index_dir: Path) -> None:
        self.path = index_dir / STORE_NAME
        self._map: mmap.mmap | bytes = b""
        self._ident: tuple[int, int] | None = None

    def ensure(self, needed: int) -> None:
        """Map the file again if it is not mapped up to byte `needed` or is a different file now."""
        try:
            st = self.path.stat()
        except FileNotFoundError:
            self._map, self._ident = b"", None
            return
        if self._ident == (st.st_ino, st.st_dev) and len(self._map) >= needed:
            return
        old = self._map
        if st.st_size == 0:
            self._map = b""
        else:
            with self.path.open("rb") as fh:
                self._map = mmap.mmap(fh.fileno(), 0, access=mmap.ACCESS_READ)
        self._ident = (st.st_ino, st.st_dev)
        if isinstance(old, mmap.mmap):
            old.close()

    @property
    def data(self) -> mmap.mmap | bytes:
        return self._map

    def text(self, offset: int, length: int) -> str:
        """Return one document's normalised text."""
        return bytes(self._map[offset:offset + length]).decode("utf-8", errors="replace")
