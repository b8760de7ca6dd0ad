"""The outbox drain: take index tasks in batches, extract what is stale, write the index, then mark done.

Order per batch: extraction (children) -> text and outcome committed to the database -> index commit ->
tasks deleted. A crash anywhere leaves the tasks in place and the batch is simply done again (every
step is idempotent; text already extracted for the same SHA-256 is not extracted twice). On an index
error the writer is cancelled, never committed.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import delete, func, insert, select, update
from sqlalchemy.orm import Session

from config import Settings
from core.db import Database
from core.messages import msg
from core.models.base import utcnow
from core.models.files import ArchiveFile, ArchiveFileText, IndexTask
from library import engine
from library.extract import IMAGE_KINDS, Extracted, supported_extensions
from library.safeopen import LINK_REASON
from library.sandbox import ExtractorPool
from library.scan import LINK_DIGEST
from library.text import grams, normalize

log = logging.getLogger("eoffice.indexer")
MAX_ATTEMPTS = 5
# Outbox rows of this action are OCR work, taken by the OCR thread (library.ocr_queue), never by a batch.
OCR_ACTION = "ocr"
OCR_KINDS = frozenset(("pdf", *IMAGE_KINDS))


@dataclass
class BatchReport:
    tasks: int = 0
    indexed: int = 0
    deleted: int = 0
    extracted: int = 0
    seconds: float = 0.0
    outcomes: dict[str, int] = field(default_factory=dict)


class Pipeline:
    """Drains the outbox into the index; only the holder of the IndexWriter runs it."""

    def __init__(self, settings: Settings, db: Database, writer: engine.IndexWriter, pool: ExtractorPool) -> None:
        self.settings = settings
        self.db = db
        self.writer = writer
        self.pool = pool
        self.kinds = supported_extensions()
        self.ocr = settings.indexer.ocr_enabled

    def pending(self) -> int:
        """Return the number of tasks waiting."""
        with self.db.session() as session:
            return queue_length(session)

    def run_batch(self, limit: int | None = None, *, before_commit: Callable[[], None] | None = None) -> BatchReport:
        """Process up to `limit` tasks (default: the batch size setting); return what was done.

        A batch whose index write fails is split in halves and each half tried on its own, down to
        single files, so the healthy files go in and only the culprit counts a failed attempt (after
        MAX_ATTEMPTS it is marked damaged and dropped from the queue). Files already extracted are
        not extracted again while halving.
        """
        started = time.monotonic()
        report = BatchReport()
        limit = limit or self.settings.indexer.batch_size
        with self.db.session() as session:
            task_ids = list(session.scalars(select(IndexTask.id).where(IndexTask.action != OCR_ACTION)
                                            .order_by(IndexTask.id).limit(limit)))
        if not task_ids:
            return report
        report.tasks = len(task_ids)
        succeeded, error = self._run_tasks(task_ids, report, {}, before_commit)
        report.seconds = round(time.monotonic() - started, 3)
        if not succeeded and error is not None:
            raise error  # nothing went in: a failure of the index or database itself, not of one file
        return report

    def _run_tasks(self, task_ids: list[int], report: BatchReport, cache: dict[int, Extracted],
                   before_commit: Callable[[], None] | None) -> tuple[int, Exception | None]:
        """Apply the tasks, halving on failure; return (parts applied, the last error)."""
        try:
            self._apply_tasks(task_ids, report, cache, before_commit)
            return 1, None
        except Exception as exc:
            if len(task_ids) == 1:
                log.warning("index task failed task=%s error=%s", task_ids[0], exc)
                with self.db.session(write_lock=True) as session:
                    self._count_failure(session, task_ids)
                return 0, exc
            log.warning("index batch of %d failed (%s); retrying in halves", len(task_ids), exc)
            half = len(task_ids) // 2
            succeeded, last = 0, exc
            for part in (task_ids[:half], task_ids[half:]):
                done, error = self._run_tasks(part, report, cache, before_commit)
                succeeded += done
                last = error or last
            return succeeded, last

    def _apply_tasks(self, task_ids: list[int], report: BatchReport, cache: dict[int, Extracted],
                     before_commit: Callable[[], None] | None) -> None:
        with self.db.session() as session:
            tasks = list(session.scalars(select(IndexTask).where(
                IndexTask.id.in_(task_ids), IndexTask.action != OCR_ACTION).order_by(IndexTask.id)))
            task_ids = [t.id for t in tasks]
            if not tasks:
                return
            actions: dict[int, str] = {}
            for task in tasks:  # the latest task of a file decides
                actions[task.file_id] = task.action
            rows = {f.id: f for f in session.scalars(select(ArchiveFile).where(ArchiveFile.id.in_(list(actions))))}
            wanted = [f for fid, f in rows.items() if actions[fid] == "index"]
            stale = [f for f in wanted if f.outcome == "pending" or f.extracted_sha256 != f.sha256]
            fresh_ids = [f.id for f in wanted if f not in stale]
            texts = dict(session.execute(select(ArchiveFileText.file_id, ArchiveFileText.text)
                                         .where(ArchiveFileText.file_id.in_(fresh_ids))).all()) if fresh_ids else {}
        results: dict[int, Extracted] = {}
        docs: list[int] = []
        deleted = 0
        try:
            for fid, action in actions.items():
                if action == "delete" or fid not in rows:
                    self.writer.delete(fid)
                    deleted += 1
            for fid in fresh_ids:
                self.writer.put(make_doc(rows[fid], texts.get(fid, "")))
                docs.append(fid)
            # Each file is indexed as soon as its child returns, while the other children keep extracting.
            for fid, result in self._extract([f for f in stale if f.id not in cache], cache):
                cache[fid] = result
            for row in stale:
                result = cache[row.id]
                if result.outcome == "pending":
                    continue  # vanished while being read: the scanner removes or re-adds the row
                if result.outcome == "no_text" and self.ocr and row.kind in OCR_KINDS:
                    # A scan: found by name now, by its words once the OCR thread has read it.
                    result = Extracted("ocr_queued", "", result.title, result.year, None)
                elif result.outcome == "indexed" and result.scan_pages and self.ocr and row.kind == "pdf":
                    # Scanned pages inside a text PDF: its text is searchable now, the scanned pages' words
                    # once the OCR thread has read them (added to the stored text).
                    result = Extracted("ocr_queued", result.text, result.title, result.year,
                                       msg("%(pages)s 页是扫描图像，等待文字识别（OCR）", pages=result.scan_pages))
                results[row.id] = result
                _apply(row, result)
                self.writer.put(make_doc(row, result.text))
                docs.append(row.id)
            with self.db.session(write_lock=True) as session:
                self._store(session, rows, results)
            if before_commit is not None:
                before_commit()
            self.writer.commit()
        except BaseException:
            self.writer.cancel()
            raise
        with self.db.session(write_lock=True) as session:
            session.execute(delete(IndexTask).where(IndexTask.id.in_(task_ids)))
            if docs:
                session.execute(update(ArchiveFile).where(ArchiveFile.id.in_(docs)).values(indexed_at=utcnow()))
        report.indexed += len(docs)
        report.deleted += deleted
        report.extracted += len(results)
        for r in results.values():
            report.outcomes[r.outcome] = report.outcomes.get(r.outcome, 0) + 1

    def _extract(self, rows: list[ArchiveFile], cache: dict[int, Extracted]) -> Iterator[tuple[int, Extracted]]:
        root = self.settings.archive_dir
        limit = self.settings.indexer.max_file_mb * 1024 * 1024
        jobs: list[tuple[int, tuple[str, str, int, str | None]]] = []
        for row in rows:
            if row.sha256 == LINK_DIGEST:
                yield row.id, Extracted("skipped", error=LINK_REASON)
            elif row.kind not in self.kinds:
                yield row.id, Extracted("unsupported")
            elif row.size > limit:
                too_big = f"文件超过 {self.settings.indexer.max_file_mb} MB，只按名称检索"
                yield row.id, Extracted("too_large", error=too_big)
            elif row.size == 0:
                yield row.id, Extracted("empty", error="文件大小为0字节")
            else:
                jobs.append((row.id, (str(root), row.relpath, row.size, row.identity)))
        for key, result in self.pool.extract_iter(jobs):
            yield int(key), result  # type: ignore[call-overload]

    def _store(self, session: Session, rows: dict[int, ArchiveFile], results: dict[int, Extracted]) -> None:
        """Record outcomes and texts; only where the file was not changed again meanwhile."""
        if not results:
            return
        ids = list(results)
        current = dict(session.execute(select(ArchiveFile.id, ArchiveFile.sha256).where(ArchiveFile.id.in_(ids))).all())
        session.execute(delete(ArchiveFileText).where(ArchiveFileText.file_id.in_(ids)))
        texts, changes = [], []
        for fid, result in results.items():
            row = rows[fid]
            if fid not in current:
                continue  # deleted meanwhile
            changes.append({"id": fid, "outcome": row.outcome, "error": row.error, "extracted_sha256": row.sha256,
                            "text_chars": row.text_chars, "year": row.year, "title": row.title})
            if result.text:
                texts.append({"file_id": fid, "sha256": row.sha256, "text": result.text})
        if changes:
            session.execute(update(ArchiveFile), changes)  # bulk UPDATE by primary key
        if texts:
            session.execute(insert(ArchiveFileText), texts)
        scans = [fid for fid, result in results.items() if result.outcome == "ocr_queued" and fid in current]
        if scans:
            session.execute(delete(IndexTask).where(IndexTask.action == OCR_ACTION, IndexTask.file_id.in_(scans)))
            session.execute(insert(IndexTask), [{"action": OCR_ACTION, "file_id": fid, "attempts": 0} for fid in scans])

    def _count_failure(self, session: Session, task_ids: list[int]) -> None:
        session.execute(update(IndexTask).where(IndexTask.id.in_(task_ids)).values(attempts=IndexTask.attempts + 1))
        poisoned = list(session.scalars(
            select(IndexTask).where(IndexTask.id.in_(task_ids), IndexTask.attempts >= MAX_ATTEMPTS)))
        for task in poisoned:
            session.execute(update(ArchiveFile).where(ArchiveFile.id == task.file_id).values(
                outcome="damaged", error="多次写入索引失败，已跳过；请查看 worker 日志后重试"))
            session.delete(task)


def _apply(row: ArchiveFile, result: Extracted) -> None:
    # On the detached row: the index document is built from it before the database is written.
    row.outcome = result.outcome
    row.error = result.error
    row.text_chars = len(result.text)
    if row.year is None and result.year:
        row.year = result.year
    if result.title and row.title == Path(row.name).stem:
        row.title = result.title[:500]


def make_doc(row: ArchiveFile, text: str) -> engine.IndexDoc:
    """Return the index document of a file row and its extracted text."""
    body = normalize(text)
    name = normalize(row.name)
    title = normalize(row.title or "")
    return engine.IndexDoc(
        fid=row.id, text=body, grams=grams(body), name=name, title=title, name_grams=grams(name) | grams(title),
        kind=row.kind, department_id=row.department_id, year=row.year, classification=row.classification,
        public=row.public, mtime_ns=row.mtime_ns,
    )


def queue_length(session: Session) -> int:
    """Return the number of outbox rows."""
    return session.scalar(select(func.count(IndexTask.id))) or 0
