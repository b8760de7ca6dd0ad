"""Open a file of the archive folder without following links, and check what was opened.

Anyone with write access to the Samba share can replace a file by a symbolic link (or a hard link) to
something outside it, for example the data dir's ``secret_key``. Every read of an archive file (hash at
scan, extraction, preview, download, printing) goes through `open_archive_file`:

- each folder on the way is opened with ``O_NOFOLLOW | O_DIRECTORY`` relative to the one before, so a
  folder swapped for a link is refused too, and ``..`` is never taken;
- the file itself with ``O_NOFOLLOW`` (``ELOOP`` on a link) and ``O_NONBLOCK`` (a FIFO does not hang);
- the opened file must be a regular file with exactly one link (a hard link to a file elsewhere looks
  like a regular file, and only its link count tells);
- when the caller knows what the scan saw, a different size or a different device/inode (`identity`,
  "st_dev:st_ino", stored in ArchiveFile.identity) means the file was swapped meanwhile: it is not read
  through, and the next scan reads the new file as changed.
"""

from __future__ import annotations

import contextlib
import errno
import os
import stat
from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO

from fileformats.names import fs_form


class UnsafeFile(OSError):
    """The path is a link, not a regular file, has other hard links, vanished (`missing`) or is not the size
    the scan saw (`changed`: being written, read again later); `reason` says which (Chinese)."""

    def __init__(self, reason: str, *, missing: bool = False, changed: bool = False) -> None:
        super().__init__(reason)
        self.reason = reason
        self.missing = missing
        self.changed = changed


_DIR_FLAGS = os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | os.O_CLOEXEC
_FILE_FLAGS = os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC

LINK_REASON = "这是符号链接，为安全起见不跟随读取；请把文件本身放入资料库"
CHANGED_REASON = "文件在读取时被修改或替换，稍后会重新读取"
HARDLINK_REASON = "该文件有多个硬链接，为安全起见不读取；请复制一份普通文件放入资料库"


def identity_of(st: os.stat_result) -> str:
    """The identity of a file as stored in ArchiveFile.identity: "st_dev:st_ino"."""
    return f"{st.st_dev}:{st.st_ino}"


def open_fd(root: Path, relpath: str, *, expected_size: int | None = None,
            expected_identity: str | None = None) -> int:
    """Return a read-only descriptor of root/relpath (stored form, see fileformats.names); the caller closes it.

    `expected_size` and `expected_identity` ("st_dev:st_ino", `identity_of`) are what the scan saw; None
    checks nothing. Raises UnsafeFile (link, FIFO/device, several hard links, missing: `.missing`, or
    swapped for another file: `.changed`).
    """
    parts = [p for p in fs_form(relpath).split("/") if p]
    if not parts or any(p in (".", "..") for p in parts):
        raise UnsafeFile("文件路径无效")
    try:
        dir_fd = os.open(root, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
    except FileNotFoundError:
        raise UnsafeFile("资料库文件夹不存在", missing=True) from None
    try:
        for part in parts[:-1]:
            try:
                nxt = os.open(part, _DIR_FLAGS, dir_fd=dir_fd)
            except FileNotFoundError:
                raise UnsafeFile("文件已不在资料库中", missing=True) from None
            except NotADirectoryError:
                raise UnsafeFile("路径中的文件夹已被替换（符号链接或普通文件），为安全起见不读取") from None
            except OSError as exc:
                if exc.errno == errno.ELOOP:
                    raise UnsafeFile("路径中的文件夹是符号链接，为安全起见不跟随读取") from None
                raise UnsafeFile(f"无法打开文件夹：{exc.strerror}") from None
            os.close(dir_fd)
            dir_fd = nxt
        try:
            fd = os.open(parts[-1], _FILE_FLAGS, dir_fd=dir_fd)
        except FileNotFoundError:
            raise UnsafeFile("文件已不在资料库中", missing=True) from None
        except PermissionError:
            raise UnsafeFile("服务器没有读取该文件的权限；请管理员检查共享文件夹的权限") from None
        except OSError as exc:
            if exc.errno == errno.ELOOP:
                raise UnsafeFile(LINK_REASON) from None
            raise UnsafeFile(f"无法打开文件：{exc.strerror}") from None
    finally:
        os.close(dir_fd)
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode):
            raise UnsafeFile("这不是普通文件（文件夹、管道或设备），不读取")
        if st.st_nlink > 1:
            raise UnsafeFile(HARDLINK_REASON)
        if expected_size is not None and st.st_size != expected_size:
            raise UnsafeFile(CHANGED_REASON, changed=True)
        if expected_identity is not None and identity_of(st) != expected_identity:
            raise UnsafeFile(CHANGED_REASON, changed=True)  # the same name, another file: swapped meanwhile
        os.set_blocking(fd, True)
    except BaseException:
        os.close(fd)
        raise
    return fd


@contextlib.contextmanager
def open_archive_file(root: Path, relpath: str, *, expected_size: int | None = None,
                      expected_identity: str | None = None) -> Iterator[BinaryIO]:
    """Open root/relpath for binary reading the safe way (see module doc and `open_fd`); raises UnsafeFile."""
    fd = open_fd(root, relpath, expected_size=expected_size, expected_identity=expected_identity)
    with os.fdopen(fd, "rb") as fh:
        yield fh
