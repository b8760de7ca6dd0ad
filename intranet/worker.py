"""The worker: owns single-writer and slow work (index writer, print dispatcher, timed jobs).

Jobs are listed explicitly in `default_jobs()`. Each runs in its own thread; a heartbeat row in
`worker_state` tells /healthz the worker is alive. A lock file makes sure only one worker owns the
jobs on a data dir: a second one refuses to start.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from sqlalchemy.orm import Session

from archive.db import Database
from archive.locks import LockFile, LockHeld
from archive.models import WorkerState
from archive.models.base import utcnow
from config import Settings

log = logging.getLogger("eoffice.worker")


class WorkerAlreadyRunning(RuntimeError):
    """Another worker holds the lock on this data dir."""


@dataclass
class PeriodicJob:
    """A function run every `interval_seconds` (the first run right after start)."""

    name: str
    interval_seconds: float
    run: Callable[[], Any]
    last_run: float | None = None
    last_error: str | None = None
    runs: int = 0


class Service(Protocol):
    """Something long-running the worker starts and stops (for example a folder watcher)."""

    name: str

    def start(self) -> None: ...

    def stop(self) -> None: ...


def default_jobs(settings: Settings, db: Database) -> tuple[list[PeriodicJob], list[Service]]:
    """Return every job and service the worker runs. Features add theirs here."""
    jobs: list[PeriodicJob] = []
    services: list[Service] = []
    from printing.dispatcher import Dispatcher  # the print dispatcher: submit, follow, retry

    jobs.append(PeriodicJob("printing", settings.printing.dispatch_interval_seconds, Dispatcher(settings, db).tick))
    if settings.directory.enabled:  # directory sync: on request from /admin/directory and every interval
        from archive.directory.sync import scheduled_job

        jobs.append(PeriodicJob("directory-sync", 30.0, scheduled_job(settings.directory, db)))
    if settings.indexer.enabled:  # archive watcher + the single index writer; full rescan every interval
        from indexer.service import IndexerService

        indexer = IndexerService(settings, db)
        services.append(indexer)
        jobs.append(PeriodicJob("archive-rescan", settings.indexer.rescan_minutes * 60, indexer.rescan))
    # 督办: the daily overdue digest, proxy window summaries, notification e-mail.
    from archive.supervision.jobs import scheduled_job as supervision_job

    jobs.append(PeriodicJob("supervision", settings.supervision.interval_seconds, supervision_job(settings, db)))
    return jobs, services


class WorkerLock(LockFile):
    """The exclusive lock on <data dir>/worker.lock, held for the life of the worker."""

    def __init__(self, data_dir: Path) -> None:
        super().__init__(data_dir / "worker.lock")

    def acquire(self) -> None:
        try:
            super().acquire()
        except LockHeld as held:
            raise WorkerAlreadyRunning(
                f"另一个 eoffice worker 已在运行（{held.holder}），同一数据目录只能有一个 worker。"
                f" Another eoffice worker ({held.holder}) already owns {self.path.parent}; stop it first."
            ) from None


@dataclass
class Worker:
    settings: Settings
    db: Database
    jobs: list[PeriodicJob] = field(default_factory=list)
    services: list[Service] = field(default_factory=list)

    def __post_init__(self) -> None:
        self._stop = threading.Event()
        self._threads: list[threading.Thread] = []
        self._lock = WorkerLock(self.settings.data_dir)
        self.started_at = utcnow()

    def start(self) -> None:
        """Take the lock, start services and job threads, and begin the heartbeat."""
        self._lock.acquire()
        for service in self.services:
            service.start()
            log.info("service started name=%s", service.name)
        heartbeat = PeriodicJob("heartbeat", self.settings.worker.heartbeat_seconds, self.beat)
        for job in [heartbeat, *self.jobs]:
            thread = threading.Thread(target=self._loop, args=(job,), name=f"job-{job.name}", daemon=True)
            thread.start()
            self._threads.append(thread)

    def stop(self, timeout: float = 10.0) -> None:
        """Stop services and jobs and release the lock."""
        self._stop.set()
        for service in reversed(self.services):
            try:
                service.stop()
            except Exception:
                log.exception("service stop failed name=%s", service.name)
        deadline = time.monotonic() + timeout
        for thread in self._threads:
            thread.join(max(0.0, deadline - time.monotonic()))
        self._lock.release()

    def wait(self) -> None:
        """Block until stop() is called."""
        self._stop.wait()

    def beat(self) -> None:
        """Write the heartbeat row with each job's last outcome."""
        info = {
            "jobs": {
                j.name: {"runs": j.runs, "last_error": j.last_error} for j in self.jobs
            },
            "services": [s.name for s in self.services],
        }
        with self.db.session() as session:
            _upsert_state(session, "worker", info, self.started_at)

    def _loop(self, job: PeriodicJob) -> None:
        while not self._stop.is_set():
            started = time.monotonic()
            try:
                job.run()
                job.last_error = None
            except Exception as exc:  # a failing job must not kill the worker
                job.last_error = f"{type(exc).__name__}: {exc}"[:500]
                log.exception("job failed name=%s", job.name)
            job.runs += 1
            job.last_run = time.time()
            elapsed = time.monotonic() - started
            self._stop.wait(max(0.05, job.interval_seconds - elapsed))


def _upsert_state(session: Session, name: str, info: dict[str, Any], started_at: Any) -> None:
    state = session.get(WorkerState, name)
    if state is None:
        state = WorkerState(name=name, pid=os.getpid(), host=socket.gethostname(), started_at=started_at)
        session.add(state)
    state.heartbeat_at = utcnow()
    state.pid = os.getpid()
    state.host = socket.gethostname()
    state.started_at = started_at
    state.info = info
