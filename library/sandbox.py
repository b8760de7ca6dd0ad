"""Extraction in child processes with a time and an address-space limit per file.

A hostile or broken file can make a parser loop, allocate without bound or crash: the child is killed
(time), fails its allocation (RLIMIT_AS) or dies, the file is recorded as damaged with the reason, and
a fresh child takes the next file. The worker process itself never parses a file.
"""

from __future__ import annotations

import contextlib
import logging
import os
import resource
import subprocess
import sys
import time
from collections import deque
from collections.abc import Hashable, Iterable, Iterator
from dataclasses import dataclass
from multiprocessing.connection import Connection, wait
from pathlib import Path
from typing import Any

from fileformats.names import fs_form
from library.extract import Extracted, Extractor, extract_file
from library.safeopen import CHANGED_REASON, UnsafeFile, open_fd

log = logging.getLogger("eoffice.indexer")


def _child_main(conn: Connection, memory_mb: int, max_chars: int) -> None:
    limit = memory_mb * 1024 * 1024
    logging.disable(logging.WARNING)  # parsers warn about every odd object; the outcome records what matters
    resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    while True:
        try:
            job = conn.recv()
        except (EOFError, KeyboardInterrupt):
            return
        if job is None:
            return
        result = _extract_job(job, max_chars)
        conn.send(result)
        if result.error and "内存" in result.error:
            return  # the heap may be in a bad state after a MemoryError: let the parent start a fresh child


def _extract_job(job: str | tuple[str, str, int] | tuple[str, str, int, str | None], max_chars: int,
                 registry: dict[str, Extractor] | None = None) -> Extracted:
    """Extract a plain path (trusted callers: tests, benchmarks) or an archive file (root, relpath, size,
    identity: what the scan saw, see library.safeopen).

    An archive file is opened without following links and checked (library.safeopen); the reader gets
    the opened file through /proc/self/fd, so what is read is what was checked. A file that vanished,
    is not the size or the device/inode the scan saw, or was written to while it was read (its size or
    mtime moved) comes back ``pending``: never damaged for being read half-written; the scan that sees
    the change reads it again.
    """
    if isinstance(job, str):
        return extract_file(Path(job), max_chars=max_chars, registry=registry)
    root, relpath, size, *seen = job
    identity = seen[0] if seen else None  # (root, relpath, size) from callers that know no identity
    try:
        fd = open_fd(Path(root), relpath, expected_size=size, expected_identity=identity)
    except UnsafeFile as exc:
        return Extracted("pending" if exc.missing or exc.changed else "skipped", error=exc.reason)
    try:
        before = os.fstat(fd)
        extension = Path(fs_form(relpath)).suffix.lower().lstrip(".")
        result = extract_file(Path(f"/proc/self/fd/{fd}"), max_chars=max_chars, extension=extension,
                              registry=registry)
        after = os.fstat(fd)
        if (after.st_size, after.st_mtime_ns) != (before.st_size, before.st_mtime_ns):
            return Extracted("pending", error=CHANGED_REASON)
        return result
    finally:
        os.close(fd)


# A job: a path, or (archive root, stored relpath, scanned size, scanned identity) for an archive file.
Job = Path | tuple[str, str, int, str | None]


@dataclass
class _Child:
    process: Any
    conn: _Duplex
    job: tuple[Hashable, str | tuple[str, str, int, str | None]] | None = None
    deadline: float = 0.0


class ExtractorPool:
    """A few long-lived extraction children; `extract_many` spreads files over them."""

    def __init__(self, processes: int, timeout: float, memory_mb: int, max_chars: int) -> None:
        self.size = max(1, processes)
        self.timeout = timeout
        self.memory_mb = memory_mb
        self.max_chars = max_chars
        self._children: list[_Child] = []

    def _spawn(self) -> _Child:
        # A fresh interpreter (not fork): the worker has threads, and a forked copy could inherit held locks.
        to_child_r, to_child_w = os.pipe()
        from_child_r, from_child_w = os.pipe()
        process = subprocess.Popen(
            [sys.executable, "-m", "library.sandbox", str(to_child_r), str(from_child_w), str(self.memory_mb),
             str(self.max_chars)],
            pass_fds=(to_child_r, from_child_w), stdin=subprocess.DEVNULL, close_fds=True,
        )
        os.close(to_child_r)
        os.close(from_child_w)
        conn = _Duplex(Connection(from_child_r, writable=False), Connection(to_child_w, readable=False))
        return _Child(process, conn)

    def _replace(self, child: _Child) -> None:
        if child.process.poll() is None:
            child.process.kill()
        try:
            child.process.wait(5)
        except subprocess.TimeoutExpired:
            log.error("extractor pid=%s did not exit after SIGKILL", child.process.pid)
        child.conn.close()
        self._children.remove(child)

    def extract_many(self, jobs: Iterable[tuple[Hashable, Job]]) -> dict[Hashable, Extracted]:
        """Extract every (key, path) job; return the results by key."""
        return dict(self.extract_iter(jobs))

    def extract_iter(self, jobs: Iterable[tuple[Hashable, Job]]) -> Iterator[tuple[Hashable, Extracted]]:
        """Extract every (key, job) job, yielding (key, result) as each finishes (the caller works meanwhile)."""
        queue: deque[tuple[Hashable, str | tuple[str, str, int, str | None]]] = deque(
            (key, job if isinstance(job, tuple) else str(job)) for key, job in jobs)
        while len(self._children) < min(self.size, max(1, len(queue))):
            self._children.append(self._spawn())
        try:
            while queue or any(c.job for c in self._children):
                self._assign(queue)
                busy = [c for c in self._children if c.job is not None]
                if not busy:
                    continue
                wait_for = max(0.0, min(c.deadline for c in busy) - time.monotonic())
                ready = wait([c.conn.reader for c in busy], timeout=wait_for)
                for child in busy:
                    outcome = self._collect(child, ready)
                    if outcome is not None:
                        yield outcome
        finally:
            for child in [c for c in self._children if c.job is not None]:  # abandoned mid-way
                self._replace(child)

    def _assign(self, queue: deque[tuple[Hashable, str | tuple[str, str, int, str | None]]]) -> None:
        for child in list(self._children):
            if child.job is None and queue:
                child.job = queue.popleft()
                child.deadline = time.monotonic() + self.timeout
                try:
                    child.conn.send(child.job[1])
                except (BrokenPipeError, OSError):
                    queue.appendleft(child.job)
                    self._replace(child)
                    self._children.append(self._spawn())

    def _collect(self, child: _Child, ready: list[Any]) -> tuple[Hashable, Extracted] | None:
        assert child.job is not None
        key, path = child.job
        if child.conn.reader in ready:
            try:
                result: Extracted = child.conn.recv()
            except (EOFError, OSError):
                child.process.wait(5)
                code = child.process.returncode
                result = Extracted("damaged", error=f"解析进程异常退出（代码 {code}），文件可能已损坏")
                log.warning("extractor died path=%s exitcode=%s", path, code)
            else:
                child.job = None
                if not (result.error and "内存" in result.error):
                    return key, result
        elif time.monotonic() >= child.deadline:
            result = Extracted("damaged", error=f"解析超时（超过 {self.timeout:g} 秒），文件可能已损坏")
            log.warning("extractor timed out path=%s", path)
        else:
            return None
        self._replace(child)
        self._children.append(self._spawn())
        return key, result

    def close(self) -> None:
        """Stop the children."""
        for child in list(self._children):
            with contextlib.suppress(BrokenPipeError, OSError):
                child.conn.send(None)
        for child in list(self._children):
            with contextlib.suppress(subprocess.TimeoutExpired):
                child.process.wait(2)
            self._replace(child)


class _Duplex:
    """A pair of one-way connections used like a Pipe end."""

    def __init__(self, reader: Connection, writer: Connection) -> None:
        self.reader = reader
        self.writer = writer

    def send(self, obj: Any) -> None:
        self.writer.send(obj)

    def recv(self) -> Any:
        return self.reader.recv()

    def close(self) -> None:
        self.reader.close()
        self.writer.close()


if __name__ == "__main__":
    _read_fd, _write_fd, _memory, _chars = (int(a) for a in sys.argv[1:5])
    _child_main(_Duplex(Connection(_read_fd, writable=False), Connection(_write_fd, readable=False)),  # type: ignore[arg-type]
                _memory, _chars)
