"""Check a zip-based file (OOXML, ODF, OFD) before anything inflates it: a zip bomb is refused unread.

A 950 KB .docx can inflate to 1 GB. The declared sizes in the central directory are checked first,
then each part is read with a cap, because declared sizes can lie.
"""

from __future__ import annotations

import zipfile
from pathlib import Path

MAX_PART_BYTES = 64 * 1024 * 1024
MAX_TOTAL_BYTES = 256 * 1024 * 1024
MAX_RATIO = 200  # inflated / compressed, per part larger than 1 MB


class ZipBomb(ValueError):
    """The file would inflate beyond the limits; the message says so in Chinese."""


def check(source: Path | zipfile.ZipFile, *, max_part: int = MAX_PART_BYTES,
          max_total: int = MAX_TOTAL_BYTES) -> None:
    """Raise ZipBomb when a part or the whole archive declares more than the limits (bytes), or an extreme ratio.

    `source` is a path or an open ZipFile. Raises zipfile.BadZipFile when it is not a zip.
    """
    if isinstance(source, zipfile.ZipFile):
        _check(source.infolist(), max_part, max_total)
        return
    with zipfile.ZipFile(source) as package:
        _check(package.infolist(), max_part, max_total)


def _check(infos: list[zipfile.ZipInfo], max_part: int, max_total: int) -> None:
    total = 0
    for info in infos:
        if info.file_size > max_part:
            raise ZipBomb(f"文件中的 {info.filename} 解压后达 {info.file_size // 2**20} MB，可能是压缩炸弹，已拒绝")
        if info.file_size > 2**20 and info.file_size > MAX_RATIO * max(1, info.compress_size):
            ratio = info.file_size // max(1, info.compress_size)
            raise ZipBomb(f"文件中的 {info.filename} 压缩比异常（{ratio} 倍），可能是压缩炸弹，已拒绝")
        total += info.file_size
    if total > max_total:
        raise ZipBomb(f"文件解压后共 {total // 2**20} MB，超过上限，可能是压缩炸弹，已拒绝")


def read_part(package: zipfile.ZipFile, name: str, *, limit: int = MAX_PART_BYTES) -> bytes | None:
    """Return one part's bytes (None when absent), reading at most `limit` bytes; raise ZipBomb past it."""
    try:
        info = package.getinfo(name)
    except KeyError:
        return None
    with package.open(info) as fh:
        data = fh.read(limit + 1)
    if len(data) > limit:
        raise ZipBomb(f"文件中的 {name} 解压后超过 {limit // 2**20} MB，可能是压缩炸弹，已拒绝")
    return data
