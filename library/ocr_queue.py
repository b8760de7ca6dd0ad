"""The OCR queue: scans waiting for their words, read one at a time beside the index writer.

A scan found by the ordinary pipeline is indexed by name at once with outcome ``ocr_queued`` and an
outbox row of action ``ocr``. `read_next` takes the oldest such row, reads the file with Tesseract
(library.ocr, outside any database transaction), then in one write transaction stores the text and the
outcome ``ocr`` (「已识别（OCR）」) and queues an ordinary index task: the writer indexes the stored text
like any other file's. A file changed or deleted meanwhile is left to the ordinary pipeline.
"""

from __future__ import annotations

import logging

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from config import Settings
from core.db import Database
from core.models.files import ArchiveFile, ArchiveFileText, IndexTask
from library import ocr
from library.pipeline import MAX_ATTEMPTS, OCR_ACTION
from library.safeopen import UnsafeFile

log = logging.getLogger("eoffice.indexer")


def requeue(session: Session) -> int:
    """Queue OCR for every ``ocr_queued`` file without an OCR task (after a rebuild); return how many."""
    queued = set(session.scalars(select(IndexTask.file_id).where(IndexTask.action == OCR_ACTION)))
    count = 0
    for fid in session.scalars(select(ArchiveFile.id).where(ArchiveFile.outcome == "ocr_queued")):
        if fid not in queued:
            session.add(IndexTask(action=OCR_ACTION, file_id=fid))
            count += 1
    return count


def waiting(session: Session) -> int:
    """Return the number of scans waiting for OCR."""
    return len(list(session.scalars(select(IndexTask.id).where(IndexTask.action == OCR_ACTION))))


def read_next(settings: Settings, db: Database) -> bool:
    """OCR the oldest waiting scan; return False when none waits. Never raises for a file's fault."""
    cfg = settings.indexer
    with db.session(write_lock=True) as session:
        task = session.scalar(select(IndexTask).where(IndexTask.action == OCR_ACTION).order_by(IndexTask.id).limit(1))
        if task is None:
            return False
        row = session.get(ArchiveFile, task.file_id)
        if row is None or row.outcome != "ocr_queued" or task.attempts >= MAX_ATTEMPTS:
            session.delete(task)
            if row is not None and row.outcome == "ocr_queued":
                row.outcome, row.error = "no_text", "多次识别失败，已跳过；可在索引状态页重试"
            session.commit()
            return True
        task_id, file_id, relpath, sha, identity = task.id, row.id, row.relpath, row.sha256, row.identity
        # A text PDF with scanned pages keeps the text its layer gave; the scanned pages' words are added.
        prior = session.scalar(select(ArchiveFileText.text).where(
            ArchiveFileText.file_id == file_id, ArchiveFileText.sha256 == sha)) or ""
        task.attempts += 1  # counted before the work: a crash in OCR is a failed attempt too
        session.commit()
    outcome, text, error = "ocr", "", None
    try:
        result = ocr.recognize(settings.archive_dir, relpath, cfg, identity=identity)
        text, error = "\n".join(t for t in (prior, result.text) if t)[: cfg.max_text_chars], result.note
        if not text:
            outcome, error = "no_text", "OCR 未识别出文字（可能是图片而非文字扫描件）"
    except ocr.OcrUnavailable as exc:
        outcome, error = "no_text", str(exc)
    except UnsafeFile as exc:
        if exc.missing or exc.changed:  # gone, or swapped since the scan: the scan queues the new file again
            with db.session(write_lock=True) as session:
                session.execute(delete(IndexTask).where(IndexTask.id == task_id))
                session.commit()
            return True
        outcome, error = "skipped", exc.reason
    except ValueError as exc:
        outcome, error = "damaged", str(exc)
    except Exception:  # the task stays and is tried again, up to MAX_ATTEMPTS
        log.exception("OCR failed file=%s", file_id)
        return True
    if prior and outcome in ("no_text", "damaged"):  # the scanned pages failed: the text layer stays indexed
        outcome, text = "indexed", prior[: cfg.max_text_chars]
    with db.session(write_lock=True) as session:
        session.execute(delete(IndexTask).where(IndexTask.id == task_id))
        row = session.get(ArchiveFile, file_id)
        if row is not None and row.sha256 == sha and row.outcome == "ocr_queued":
            session.execute(delete(ArchiveFileText).where(ArchiveFileText.file_id == file_id))
            if text:
                session.add(ArchiveFileText(file_id=file_id, sha256=sha, text=text))
            row.outcome, row.error, row.text_chars, row.extracted_sha256 = outcome, error, len(text), sha
            session.add(IndexTask(action="index", file_id=file_id))
        session.commit()
    log.info("OCR file=%s outcome=%s chars=%d", file_id, outcome, len(text))
    return True
