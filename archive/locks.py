"""Exclusive lock files: one owner per data dir (the worker) or per index (the writer), across processes.

An flock on a local file; the file names the holder so the refusal can say who it is. flock is
unreliable on SMB/NFS, which is why the data dir and the index live on the server's local disk.
"""

from __future__ import annotations

import fcntl
import os
import socket
from pathlib import Path
from typing import IO


class LockHeld(RuntimeError):
    """Another process holds the lock; `holder` says which ("pid 123 on host")."""

    def __init__(self, path: Path, holder: str) -> None:
        super().__init__(f"{path} is held by {holder}")
        self.path = path
        self.holder = holder


class LockFile:
    """An exclusive, non-blocking flock on `path`, held from acquire() until release()."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._fh: IO[str] | None = None

    def acquire(self) -> None:
        """Take the lock or raise LockHeld naming the holder."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fh = self.path.open("a+")
        try:
            fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            fh.seek(0)
            holder = fh.read().strip() or "?"
            fh.close()
            raise LockHeld(self.path, holder) from None
        fh.seek(0)
        fh.truncate()
        fh.write(f"pid {os.getpid()} on {socket.gethostname()}")
        fh.flush()
        self._fh = fh

    def release(self) -> None:
        """Release the lock (no-op when not held)."""
        if self._fh is not None:
            fcntl.flock(self._fh, fcntl.LOCK_UN)
            self._fh.close()
            self._fh = None
