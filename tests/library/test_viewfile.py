"""The in-place reader Whoosh's mapped segment files go through behaves like the BytesIO it replaces."""

from __future__ import annotations

import io
import pickle

from whoosh.filedb import compound

from library import engine


def test_view_file_reads_like_bytesio():
    blocks = [{"ids": list(range(7, 57)), "max": 1.0}, ("头", 2), b"x" * 9000]
    data = b"".join(pickle.dumps(b, -1) for b in blocks) + b"line one\nline two\nlast"
    view, plain = engine._ViewFile(memoryview(data)), io.BytesIO(data)
    for expected in blocks:
        assert pickle.load(view) == expected == pickle.load(plain)
        assert view.tell() == plain.tell()
    assert list(view) == list(plain)
    for args in ((0,), (5, 0), (-4, 2), (3, 1)):
        assert view.seek(*args) == plain.seek(*args)
        assert view.read(7) == plain.read(7)
    view.seek(0)
    into = bytearray(16)
    assert view.readinto(into) == 16 and bytes(into) == data[:16]


def test_segments_are_opened_without_copying():
    assert compound.BufferFile is engine._MappedBufferFile
    buffer = bytearray(b"0123456789")
    wrapped = engine._MappedBufferFile(memoryview(buffer))
    buffer[0:1] = b"X"  # a copy would not see this
    assert wrapped.read(3) == b"X12"
