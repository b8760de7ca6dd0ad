"""Exclusive locks: one owner per data dir (the worker) or per index (the writer), across processes,
and one worker per PostgreSQL database across hosts.

`LockFile` is an flock on a local file; the file names the holder so the refusal can say who it is.
flock is unreliable on SMB/NFS, which is why the data dir and the index live on the server's local
disk. A second server with its own data dir but the same PostgreSQL database is caught by
`DatabaseLock`, a session-level advisory lock held on one connection for the owner's life.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import socket
import threading
from pathlib import Path
from typing import IO

from sqlalchemy import Connection, Engine, text


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


class DatabaseLock:
    """A PostgreSQL session-level advisory lock (`key`), held on its own connection until release().

    On SQLite it does nothing: the database file lives in the data dir, which `LockFile` guards.
    PostgreSQL frees the lock by itself when the holder's connection ends (a crash included).
    """

    def __init__(self, engine: Engine, key: int) -> None:
        self.engine = engine
        self.key = key
        self._conn: Connection | None = None
        self.backend_pid: int | None = None  # the PostgreSQL session holding the lock
        self._guard = threading.RLock()  # the heartbeat thread and stop() may use it at once

    def acquire(self) -> bool:
        """Take the lock; return False when another session holds it (SQLite: always True)."""
        with self._guard:
            return self._acquire()

    def _acquire(self) -> bool:
        if self.engine.dialect.name != "postgresql" or self._conn is not None:
            return True
        conn = self.engine.connect()
        try:
            taken = bool(conn.scalar(text("SELECT pg_try_advisory_lock(:key)"), {"key": self.key}))
            backend_pid = conn.scalar(text("SELECT pg_backend_pid()"))
            conn.commit()
        except BaseException:
            conn.close()
            raise
        if not taken:
            conn.close()
            return False
        self._conn, self.backend_pid = conn, backend_pid
        return True

    def still_held(self) -> bool:
        """Check the lock's connection; after a lost connection (a database restart) take it again if free.

        Return False when the connection was lost and another session has taken the lock meanwhile.
        """
        if self.engine.dialect.name != "postgresql":
            return True
        with self._guard:
            return self._check_or_retake()

    def _check_or_retake(self) -> bool:
        if self._conn is not None:
            try:
                self._conn.execute(text("SELECT 1"))
                self._conn.commit()
                return True
            except Exception:
                with contextlib.suppress(Exception):
                    self._conn.invalidate()
                    self._conn.close()
                self._conn = None
        return self._acquire()

    def release(self) -> None:
        """Release the lock and its connection (no-op when not held)."""
        with self._guard:
            self._release()

    def _release(self) -> None:
        if self._conn is None:
            return
        try:
            self._conn.execute(text("SELECT pg_advisory_unlock(:key)"), {"key": self.key})
            self._conn.commit()
        finally:
            self._conn.close()
            self._conn = None
