"""The worker: owns single-writer and slow work (index writer, print dispatcher, timed jobs).

Jobs are listed explicitly in `default_jobs()`. Each runs in its own thread; a heartbeat row in
`worker_state` tells /healthz the worker is alive. A lock file makes sure only one worker owns the
jobs on a data dir, and on PostgreSQL an advisory lock makes sure only one owns them per database
(a second server with its own data dir): a second one refuses to start.
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

from sqlalchemy import select
from sqlalchemy.orm import Session

from config import Settings
from core.db import Database
from core.locks import DatabaseLock, LockFile, LockHeld
from core.models import WorkerState
from core.models.base import utcnow

log = logging.getLogger("eoffice.worker")


class WorkerAlreadyRunning(RuntimeError):
    """Another worker holds the lock on this data dir or on this database."""


# pg_try_advisory_lock key of the worker ("eoffice" in ASCII, as a bigint): one worker per database.
WORKER_LOCK_KEY = 0x656F6666696365


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
        from directory.sync import scheduled_job

        directory_tick = scheduled_job(settings.directory, db)

        def sync_then_reassign() -> object:
            report = directory_tick()
            if report is not None:  # a sync ran: tasks of people it deactivated or moved move on at once
                _reassign(settings, db)
            return report

        jobs.append(PeriodicJob("directory-sync", 30.0, sync_then_reassign))
    if settings.indexer.enabled:  # archive watcher + the single index writer; full rescan every interval
        from library.service import IndexerService

        indexer = IndexerService(settings, db)
        services.append(indexer)
        jobs.append(PeriodicJob("archive-rescan", settings.indexer.rescan_minutes * 60, indexer.rescan))
    # Pending tasks of people who lost the standing (deactivated, role or department changed by the
    # directory or an admin, clearance lowered) move to whoever holds the step now.
    jobs.append(PeriodicJob("standing", 600.0, lambda: _reassign(settings, db)))  # admin edits and sign-ins act at once
    # Previews of uploaded .docx files: LibreOffice runs here, never in a web request.
    from core.storage import convert_previews

    jobs.append(PeriodicJob("previews", 2.0, lambda: convert_previews(
        settings.files_dir, soffice=settings.printing.soffice, timeout=settings.printing.conversion_timeout_seconds)))
    # 通知公告: scheduled notices are announced when their time comes.
    from notices.service import announce_due

    jobs.append(PeriodicJob("notices", 60.0, _in_write_transaction(db, announce_due)))
    # 督查督办: missed 进展反馈 dates and passed deadlines are marked and the person told once (idempotent).
    from inspection.service import mark_overdue

    jobs.append(PeriodicJob("inspection", 600.0, _in_write_transaction(db, lambda s: mark_overdue(s, settings))))
    from inspection.documents import convert_pending as inspection_pdfs  # 督查通报 PDFs (LibreOffice here only)

    jobs.append(PeriodicJob("inspection-pdf", 5.0, lambda: inspection_pdfs(
        settings.files_dir, soffice=settings.printing.soffice, timeout=settings.printing.conversion_timeout_seconds)))
    # 政务信息报送: PDFs of issues and 通报 (LibreOffice here, never in a request); Monday quota reminders.
    from reporting.jobs import scheduled_job as reporting_job

    jobs.append(PeriodicJob("reporting", 5.0, reporting_job(settings, db)))
    # 目标绩效考核: departments missing their quarterly 自查 are reminded when it is due, the office told who.
    from assessment.service import remind_due

    jobs.append(PeriodicJob("assessment", 3600.0, _in_write_transaction(db, lambda s: remind_due(s, settings))))
    from assessment.pdf import generate_pending as assessment_pdfs  # the 分析报告 PDF, asked for on the page

    jobs.append(PeriodicJob("assessment-pdf", 3.0, lambda: assessment_pdfs(settings, db)))
    # 套红: the formal version of numbered documents, asked for at 编号 (documents/formal.py).
    from documents.formal import generate_pending

    jobs.append(PeriodicJob("formal", 3.0, lambda: generate_pending(settings, db)))
    # 收文 intake of scanned 来文: OCR of the first pages, one file at a time at nice 19 (documents/intake_scan.py).
    from documents.intake_scan import read_pending as read_intake_scans

    jobs.append(PeriodicJob("intake-ocr", 2.0, lambda: read_intake_scans(settings)))
    # 督办: the daily overdue digest, proxy window summaries, notification e-mail.
    from supervision.jobs import scheduled_job as supervision_job

    jobs.append(PeriodicJob("supervision", settings.supervision.interval_seconds, supervision_job(settings, db)))
    return jobs, services


def _in_write_transaction(db: Database, work: Callable[[Session], int]) -> Callable[[], int]:
    """A job that runs `work(session)` in one write transaction (Database.session commits on success and
    rolls back on an error) and returns what it counted."""
    def run() -> int:
        with db.session(write_lock=True) as session:
            return work(session)

    return run


def _reassign(settings: Settings, db: Database) -> int:
    from documents.standing import reassign_lost

    with db.session(write_lock=True) as session:
        return len(reassign_lost(session, settings))


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
        self._stopping = threading.Lock()
        self._stopped = False
        self._lock = WorkerLock(self.settings.data_dir)
        self._db_lock = DatabaseLock(self.db.engine, WORKER_LOCK_KEY)
        self.started_at = utcnow()
        self.lost_lock = False  # set when another worker took the database lock: this one stops

    def start(self) -> None:
        """Take the locks, start services and job threads, and begin the heartbeat."""
        self._lock.acquire()
        try:
            if not self._db_lock.acquire():
                raise WorkerAlreadyRunning(_database_lock_message(self.db))
        except BaseException:
            self._lock.release()
            raise
        for service in self.services:
            service.start()
            log.info("service started name=%s", service.name)
        heartbeat = PeriodicJob("heartbeat", self.settings.worker.heartbeat_seconds, self.beat)
        for job in [heartbeat, *self.jobs]:
            thread = threading.Thread(target=self._loop, args=(job,), name=f"job-{job.name}", daemon=True)
            thread.start()
            self._threads.append(thread)

    def stop(self, timeout: float = 10.0) -> None:
        """Stop services and jobs and release the locks (once; a second caller waits for the first)."""
        with self._stopping:
            if self._stopped:
                return
            self._stop.set()
            self._shut_down(timeout)
            self._stopped = True

    def _shut_down(self, timeout: float) -> None:
        for service in reversed(self.services):
            try:
                service.stop()
            except Exception:
                log.exception("service stop failed name=%s", service.name)
        deadline = time.monotonic() + timeout
        for thread in self._threads:
            thread.join(max(0.0, deadline - time.monotonic()))
        self._db_lock.release()
        self._lock.release()

    def wait(self) -> None:
        """Block until stop() is called."""
        self._stop.wait()

    def beat(self) -> None:
        """Check the database lock, then write the heartbeat row with each job's last outcome."""
        if not self._db_lock.still_held():
            self.lost_lock = True
            log.critical("another worker took the database lock while our connection was down: stopping")
            threading.Thread(target=self.stop, name="stop-after-lost-lock", daemon=True).start()
            return
        info = {
            "jobs": {
                j.name: {"runs": j.runs, "last_error": j.last_error} for j in self.jobs
            },
            "services": [s.name for s in self.services],
        }
        # Read-then-write: on SQLite take the write lock up front, or a commit by the indexer in between
        # makes the upgrade fail at once with "database is locked" (the heartbeats lost under load).
        with self.db.session(write_lock=True) as session:
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


def _database_lock_message(db: Database) -> str:
    with db.session() as session:
        state = session.scalar(select(WorkerState).where(WorkerState.name == "worker"))
    holder = f"pid {state.pid} on {state.host}" if state else "?"
    return (
        f"另一个 eoffice worker 已在运行（{holder}），同一数据库只能有一个 worker。"
        f" Another eoffice worker ({holder}) already owns this database; stop it first."
    )


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
