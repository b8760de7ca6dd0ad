"""The indexer as the worker runs it, and the operations behind `eoffice index rebuild|status|verify`."""

from __future__ import annotations

import logging
import os
import socket
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import delete, func, insert, literal, select
from sqlalchemy.orm import Session

from config import Settings
from core.db import Database
from core.models import WorkerState
from core.models.base import utcnow
from core.models.files import FAILED_OUTCOMES, ArchiveFile, IndexTask
from fileformats.names import display_name
from library import engine, ocr_queue, scan, text, variants
from library.pipeline import MAX_ATTEMPTS, BatchReport, Pipeline, queue_length
from library.sandbox import ExtractorPool
from library.watcher import ArchiveWatcher

log = logging.getLogger("eoffice.indexer")
STATE_NAME = "indexer"
REBUILD_MARKER = "REBUILDING"


def make_pool(settings: Settings) -> ExtractorPool:
    """Return the extraction pool configured by settings."""
    cfg = settings.indexer
    return ExtractorPool(cfg.extract_processes, cfg.extract_timeout_seconds, cfg.extract_memory_mb, cfg.max_text_chars)


class IndexerService:
    """Worker service: the watcher, the start-up reconciliation and the single index writer loop."""

    name = "archive-indexer"

    def __init__(self, settings: Settings, db: Database, *, watch: bool = True) -> None:
        configure(settings)
        self.settings = settings
        self.db = db
        self.watch = watch
        self._stop = threading.Event()
        self._wake = threading.Event()
        self._scan_lock = threading.Lock()
        self._rescan_soon = threading.Event()
        self._thread: threading.Thread | None = None
        self._ocr_thread: threading.Thread | None = None
        self.writer: engine.IndexWriter | None = None
        self.pool: ExtractorPool | None = None
        self.watcher: ArchiveWatcher | None = None
        self.pipeline: Pipeline | None = None
        self.last_scan: float = 0.0
        self.last_error: str | None = None

    def start(self) -> None:
        """Take the writer lock (refusing when another writer runs), then start watching and indexing."""
        self.writer = engine.IndexWriter(self.settings.index_dir)
        ensure_variant_mode(self.settings, self.db)
        self.pool = make_pool(self.settings)
        self.pipeline = Pipeline(self.settings, self.db, self.writer, self.pool)
        if self.watch:
            self.watcher = ArchiveWatcher(self.settings.archive_dir, self.on_paths,
                                          settle_seconds=self.settings.indexer.settle_seconds,
                                          polling=self.settings.indexer.polling)
            self.watcher.start()
        self._thread = threading.Thread(target=self._run, name="archive-indexer", daemon=True)
        self._thread.start()
        if self.settings.indexer.ocr_enabled:
            self._ocr_thread = threading.Thread(target=self._run_ocr, name="archive-ocr", daemon=True)
            self._ocr_thread.start()

    def stop(self) -> None:
        """Stop watching, finish the current batch, release the writer."""
        self._stop.set()
        self._wake.set()
        if self.watcher is not None:
            self.watcher.stop()
        if self._thread is not None:
            self._thread.join(60)
        if self._ocr_thread is not None:
            self._ocr_thread.join(60)
        if self.pool is not None:
            self.pool.close()
        if self.writer is not None:
            self.writer.close()

    def wake(self) -> None:
        """Tell the writer loop there is work (tasks written by this process)."""
        self._wake.set()

    def on_paths(self, relpaths: list[str]) -> None:
        """Reconcile the paths the watcher saw settle."""
        with self._scan_lock, self.db.session(write_lock=True) as session:
            report = scan.reconcile(session, self.settings, paths=relpaths)
        if report.unknown:
            self._rescan_soon.set()
            self._wake.set()
        if report.enqueued:
            self._wake.set()

    def rescan(self) -> scan.ScanReport | None:
        """Compare the whole folder with the database (start-up and periodic job)."""
        with self._scan_lock:
            if self.last_scan and time.monotonic() - self.last_scan < 5:
                return None  # the start-up scan just ran
            with self.db.session(write_lock=True) as session:
                report = scan.reconcile(session, self.settings)
            self.last_scan = time.monotonic()
        if report.settling_paths and self.watcher is not None:
            self.watcher.mark(report.settling_paths)  # taken as soon as they settle, not at the next rescan
        with self.db.session(write_lock=True) as session:
            record_state(session, last_scan=utcnow().isoformat(), last_scan_report=report.as_dict())
        if report.enqueued:
            self._wake.set()
        log.info("archive rescan %s", report.as_dict())
        return report

    def _run(self) -> None:
        assert self.pipeline is not None
        try:
            self.rescan()
        except Exception:
            log.exception("start-up reconciliation failed")
        while not self._stop.is_set():
            if self._rescan_soon.is_set() and time.monotonic() - self.last_scan >= 5:
                self._rescan_soon.clear()
                try:
                    self.rescan()
                except Exception:
                    log.exception("rescan after unexplained watcher events failed")
            try:
                report = self.pipeline.run_batch()
                self.last_error = None
            except Exception as exc:  # the tasks stay in the outbox and are tried again
                self.last_error = f"{type(exc).__name__}: {exc}"[:500]
                log.exception("index batch failed")
                self._stop.wait(2.0)
                continue
            if report.tasks:
                log.info("indexed batch tasks=%d indexed=%d deleted=%d seconds=%.2f", report.tasks,
                         report.indexed, report.deleted, report.seconds)
                continue
            self._wake.wait(self.settings.indexer.poll_seconds)
            self._wake.clear()


    def _run_ocr(self) -> None:
        """Read waiting scans one at a time (low priority children), beside the writer loop, never in it."""
        with self.db.session(write_lock=True) as session:
            ocr_queue.requeue(session)
            session.commit()
        while not self._stop.is_set():
            try:
                did = ocr_queue.read_next(self.settings, self.db)
            except Exception:
                log.exception("OCR queue failed")
                did = False
            if did:
                self._wake.set()  # the writer indexes the text just stored
            else:
                self._stop.wait(self.settings.indexer.poll_seconds * 2)


def configure(settings: Settings) -> None:
    """Apply the settings that change how text is normalised in this process (before any normalising)."""
    text.set_variant_folding(settings.indexer.fold_variants)


def ensure_variant_mode(settings: Settings, db: Database) -> int:
    """Re-index every file when the index was built with another traditional/simplified folding mode.

    Called by the index writer's holder at start; an index older than the setting (no mode recorded)
    counts as built without folding. Returns the number of files queued (from their stored text: no
    file is read again).
    """
    want = settings.indexer.fold_variants
    built = variants.index_mode(settings.index_dir)
    if built == ("on" if want else "off"):
        return 0
    with db.session(write_lock=True) as session:
        queued = 0
        if built is not None or want:
            for fid in session.scalars(select(ArchiveFile.id)):
                scan.enqueue(session, "index", fid)
                queued += 1
        session.commit()
    variants.record_mode(settings.index_dir, want)
    if queued:
        log.info("traditional/simplified folding is now %s: %d files queued for re-indexing",
                 "on" if want else "off", queued)
    return queued


def record_state(session: Session, **info: Any) -> None:
    """Merge `info` into the indexer's state row (last scan, last rebuild)."""
    state = session.get(WorkerState, STATE_NAME)
    if state is None:
        state = WorkerState(name=STATE_NAME, pid=os.getpid(), host=socket.gethostname(), info={})
        session.add(state)
    state.heartbeat_at = utcnow()
    state.info = {**(state.info or {}), **info}


# ---------------------------------------------------------------------------------------------- operations


def rebuild(settings: Settings, db: Database, *, progress: Callable[[int, int], None] | None = None,
            chunk: int = 500) -> dict[str, Any]:
    """Reconcile the folder, then rebuild the index from the stored texts in chunked commits (resumable)."""
    started = time.monotonic()
    configure(settings)
    writer = engine.IndexWriter(settings.index_dir)
    pool = make_pool(settings)
    try:
        with db.session(write_lock=True) as session:
            report = scan.reconcile(session, settings, settle_seconds=0)
        marker = settings.index_dir / REBUILD_MARKER
        resumed = marker.exists()
        if not resumed:
            writer.reset()
            variants.record_mode(settings.index_dir, settings.indexer.fold_variants)
            marker.write_text(utcnow().isoformat())
            with db.session(write_lock=True) as session:
                session.execute(delete(IndexTask))  # the index is empty: one "index" task per file replaces them
                session.execute(insert(IndexTask).from_select(
                    ["action", "file_id", "attempts", "created_at"],
                    select(literal("index"), ArchiveFile.id, literal(0),
                           literal(utcnow(), ArchiveFile.changed_at.type)),
                ))
        pipeline = Pipeline(settings, db, writer, pool)
        total = pipeline.pending()
        done = 0
        failures = 0
        while True:
            try:
                batch: BatchReport = pipeline.run_batch(chunk)
            except Exception:
                # One file that fails alone is retried and, after MAX_ATTEMPTS, marked and dropped: go on.
                # Only a failure that repeats without the queue moving stops the rebuild (resumable).
                failures += 1
                if failures > 2 * MAX_ATTEMPTS:
                    raise
                log.warning("rebuild batch failed (%d), continuing", failures, exc_info=True)
                continue
            failures = 0
            if not batch.tasks:
                break
            done += batch.tasks
            if progress is not None:
                progress(done, total)
        # Files that vanished or were written to while they were read came back pending (library.sandbox):
        # one more look at the folder drops the vanished ones and reads the changed ones again.
        with db.session(write_lock=True) as session:
            again = scan.reconcile(session, settings, settle_seconds=0)
        for _ in range(again.enqueued // chunk + 2 * MAX_ATTEMPTS if again.enqueued else 0):
            if not _tolerant_batch(pipeline, chunk):
                break
        if settings.indexer.ocr_enabled:  # scans: read now, so a rebuild ends with every file searchable
            with db.session(write_lock=True) as session:
                ocr_queue.requeue(session)
                session.commit()
            while ocr_queue.read_next(settings, db):
                _tolerant_batch(pipeline, chunk)
            _tolerant_batch(pipeline, chunk)
        marker.unlink(missing_ok=True)
        with db.session(write_lock=True) as session:
            record_state(session, last_rebuild=utcnow().isoformat(), last_scan=utcnow().isoformat(),
                         last_scan_report=report.as_dict())
            outcomes = dict(session.execute(select(ArchiveFile.outcome, func.count(ArchiveFile.id))
                                            .group_by(ArchiveFile.outcome)).all())
            files = sum(outcomes.values())
    finally:
        pool.close()
        writer.close()
    return {"files": files, "tasks": done, "resumed": resumed, "scan": report.as_dict(), "outcomes": outcomes,
            "seconds": round(time.monotonic() - started, 2)}


def _tolerant_batch(pipeline: Pipeline, chunk: int) -> int:
    """Run one batch; return its tasks (-1 when it failed: logged and left to the per-file retries, so one
    file never stops a rebuild)."""
    try:
        return pipeline.run_batch(chunk).tasks
    except Exception:
        log.warning("rebuild batch failed, left to the retries", exc_info=True)
        return -1


@dataclass
class Status:
    files: int
    queue: int
    outcomes: dict[str, int]
    failed: list[ArchiveFile]
    index_docs: int
    index_bytes: int
    segments: int
    last_scan: str | None
    last_rebuild: str | None
    rebuilding: bool
    info: dict[str, Any] = field(default_factory=dict)


def status(session: Session, settings: Settings, *, failed_limit: int = 200) -> Status:
    """Return queue length, counts by outcome, index size, last scan and the failed files."""
    outcomes = dict(session.execute(select(ArchiveFile.outcome, func.count(ArchiveFile.id))
                                    .group_by(ArchiveFile.outcome)).all())
    failed = list(session.scalars(select(ArchiveFile).where(ArchiveFile.outcome.in_(FAILED_OUTCOMES))
                                  .order_by(ArchiveFile.changed_at.desc()).limit(failed_limit)))
    state = session.get(WorkerState, STATE_NAME)
    info = (state.info or {}) if state else {}
    view = engine.view(settings.index_dir)
    with view.lock:
        ready = view.refresh()
        docs = view.doc_count() if ready else 0
        segments = view.segment_count() if ready else 0
    return Status(
        files=sum(outcomes.values()), queue=queue_length(session), outcomes=outcomes, failed=failed,
        index_docs=docs, index_bytes=engine.index_size_bytes(settings.index_dir), segments=segments,
        last_scan=info.get("last_scan"), last_rebuild=info.get("last_rebuild"),
        rebuilding=(settings.index_dir / REBUILD_MARKER).exists(), info=info,
    )


def retry(session: Session, file_ids: list[int] | None = None) -> int:
    """Extract the given failed files again (all failed files when None); return how many were queued."""
    stmt = select(ArchiveFile).where(ArchiveFile.outcome.in_(FAILED_OUTCOMES))
    if file_ids is not None:
        stmt = select(ArchiveFile).where(ArchiveFile.id.in_(file_ids))
    count = 0
    for row in session.scalars(stmt):
        row.extracted_sha256 = None
        row.outcome = "pending"
        row.error = None
        scan.enqueue(session, "index", row.id)
        count += 1
    return count


@dataclass
class Differences:
    only_on_disk: list[str] = field(default_factory=list)
    only_in_database: list[str] = field(default_factory=list)
    changed_on_disk: list[str] = field(default_factory=list)
    not_in_index: list[str] = field(default_factory=list)
    only_in_index: list[int] = field(default_factory=list)
    stale_in_index: list[str] = field(default_factory=list)
    unreadable: list[str] = field(default_factory=list)  # folders that exist but cannot be read: "path (error)"
    queue: int = 0

    @property
    def clean(self) -> bool:
        return not (self.only_on_disk or self.only_in_database or self.changed_on_disk or self.not_in_index
                    or self.only_in_index or self.stale_in_index or self.unreadable)


def verify(session: Session, settings: Settings) -> Differences:
    """Compare folder, database and index; return every difference."""
    diff = Differences(queue=queue_length(session))
    problems: dict[str, str] = {}
    disk = scan.walk(settings.archive_dir, problems=problems)
    rows = {f.relpath: f for f in session.scalars(select(ArchiveFile))}
    diff.only_on_disk = sorted(set(disk) - set(rows))
    # Files of a folder that cannot be read are kept (library.scan): listed as the folder's problem instead.
    diff.only_in_database = sorted(r for r in set(rows) - set(disk) if not scan.under(r, problems))
    diff.unreadable = [f"{display_name(rel) or '/'} ({why})" for rel, why in sorted(problems.items())]
    diff.changed_on_disk = sorted(r for r, seen in disk.items() if r in rows and (
        (rows[r].size, rows[r].mtime_ns) != (max(seen.size, 0), seen.mtime_ns)
        or rows[r].identity not in (None, seen.identity)))
    view = engine.view(settings.index_dir)
    with view.lock:
        indexed = {m.fid: m for m in view.all_docs()} if view.refresh() else {}
    by_id = {f.id: f for f in rows.values()}
    diff.not_in_index = sorted(f.relpath for f in rows.values() if f.id not in indexed)
    diff.only_in_index = sorted(set(indexed) - set(by_id))
    for fid, meta in indexed.items():
        row = by_id.get(fid)
        if row is not None and (meta.department_id != row.department_id or meta.classification != row.classification
                                or meta.public != row.public or meta.year != row.year):
            diff.stale_in_index.append(row.relpath)
    diff.stale_in_index.sort()
    return diff


def last_scan_time(info: dict[str, Any]) -> datetime | None:
    """Return the time of the last scan recorded in the state info."""
    value = info.get("last_scan")
    return datetime.fromisoformat(value) if value else None
