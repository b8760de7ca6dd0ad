"""The archive watcher (the one home of watchdog): detect and debounce, nothing else.

Paths that changed are remembered; a path is handed on once it has been quiet for the settle window
(a file still being written keeps moving its mtime). Native inotify events on a local disk, polling
when the folder is a network mount. Missed events are caught by the periodic rescan.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from watchdog.events import FileSystemEvent, FileSystemEventHandler
from watchdog.observers import Observer
from watchdog.observers.polling import PollingObserver

from library.scan import relpath_of

log = logging.getLogger("eoffice.indexer")
TICK = 0.1


class ArchiveWatcher(FileSystemEventHandler):
    """Watch `root` recursively and call `on_ready(relpaths)` with settled paths."""

    def __init__(self, root: Path, on_ready: Callable[[list[str]], None], *, settle_seconds: float,
                 polling: bool = False) -> None:
        self.root = root
        self.on_ready = on_ready
        self.settle = settle_seconds
        self.polling = polling
        self._dirty: dict[str, float] = {}
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._observer: Any = None
        self._thread: threading.Thread | None = None

    def on_any_event(self, event: FileSystemEvent) -> None:
        if event.event_type in ("opened", "closed_no_write"):
            return
        now = time.monotonic()
        with self._lock:
            for raw in (event.src_path, getattr(event, "dest_path", "")):
                if raw:
                    rel = relpath_of(self.root, os.fsdecode(raw))
                    if rel is not None:
                        self._dirty[rel] = now

    def start(self) -> None:
        """Start observing and debouncing."""
        self.root.mkdir(parents=True, exist_ok=True)
        self._observer = PollingObserver(timeout=1.0) if self.polling else Observer()
        self._observer.schedule(self, str(self.root), recursive=True)
        self._observer.start()
        self._thread = threading.Thread(target=self._debounce, name="archive-watcher", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        """Stop observing."""
        self._stop.set()
        if self._observer is not None:
            self._observer.stop()
            self._observer.join(5)
        if self._thread is not None:
            self._thread.join(5)

    def mark(self, relpaths: list[str]) -> None:
        """Watch these paths until they settle (files a scan found still being written)."""
        now = time.monotonic()
        with self._lock:
            for rel in relpaths:
                self._dirty.setdefault(rel, now)

    def pending(self) -> int:
        with self._lock:
            return len(self._dirty)

    def _ready(self, rel: str, seen: float, now: float) -> bool:
        path = self.root / rel
        try:
            st = path.stat()
        except FileNotFoundError:
            return True  # deleted or moved away
        if path.is_dir():
            return now - seen >= TICK
        return time.time() - st.st_mtime >= self.settle

    def _debounce(self) -> None:
        while not self._stop.wait(TICK):
            now = time.monotonic()
            with self._lock:
                candidates = list(self._dirty.items())
            settled = {rel: seen for rel, seen in candidates if self._ready(rel, seen, now)}
            if not settled:
                continue
            with self._lock:
                for rel, seen in settled.items():
                    if self._dirty.get(rel) == seen:  # not touched again meanwhile
                        del self._dirty[rel]
            ready = sorted(settled)
            try:
                self.on_ready(ready)
            except Exception:  # try these paths again shortly (the periodic rescan is the last resort)
                log.exception("archive watcher hand-over failed paths=%d", len(ready))
                with self._lock:
                    for rel in ready:
                        self._dirty.setdefault(rel, time.monotonic())
                self._stop.wait(1.0)
