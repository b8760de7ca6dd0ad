"""Metadata filed by the document workflow (档号, 保管期限, 密级, 题名), attached to archive files by path."""

from __future__ import annotations

from pathlib import PurePosixPath

from sqlalchemy import select
from sqlalchemy.orm import Session

from core.messages import DomainError, msg
from core.models.base import utcnow
from core.models.files import CLASSIFICATIONS, ArchiveFile, RecordMetadata
from library.scan import apply_record, enqueue


class RecordError(DomainError):
    """The record metadata was refused; the message says why."""


def clean_relpath(relpath: str) -> str:
    """Return a POSIX path relative to the archive folder, or raise RecordError."""
    path = PurePosixPath(str(relpath).replace("\\", "/").lstrip("/"))
    if not path.parts or any(part in ("..", ".") for part in path.parts):
        raise RecordError(msg("档案路径无效：%(relpath)s", relpath=relpath))
    return path.as_posix()


def attach_record_metadata(
    session: Session,
    relpath: str,
    *,
    archive_number: str | None,
    retention: str | None,
    classification: int | None,
    title: str | None,
) -> ArchiveFile | None:
    """Record 档号, 保管期限, 密级 and 题名 for the file at `relpath`, indexed yet or not (the caller commits).

    The values are kept by path and applied when the indexer first sees the file; when the file is
    already known they are applied now and the file is re-indexed. None leaves a value unchanged.
    Returns the file row when it exists already.
    """
    rel = clean_relpath(relpath)
    if classification is not None and classification not in CLASSIFICATIONS:
        raise RecordError(msg("密级无效：%(classification)s（应为 0 公开 至 4 绝密）", classification=classification))
    record = session.get(RecordMetadata, rel)
    if record is None:
        record = RecordMetadata(relpath=rel)
        session.add(record)
    if archive_number is not None:
        record.archive_number = archive_number.strip()[:64] or None
    if retention is not None:
        record.retention = retention.strip()[:16] or None
    if classification is not None:
        record.classification = classification
    if title is not None:
        record.title = title.strip()[:500] or None
    record.updated_at = utcnow()
    session.flush()
    row = session.scalar(select(ArchiveFile).where(ArchiveFile.relpath == rel))
    if row is not None:
        apply_record(row, record)
        enqueue(session, "index", row.id)
        session.flush()
    return row
