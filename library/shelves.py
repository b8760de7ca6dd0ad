"""The 资料库 browser: folders by department and year, and archivists' uploads into the right folder."""

from __future__ import annotations

import os
import re
import unicodedata
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from config import Settings
from core.messages import DomainError, msg
from core.models import Department, User
from core.models.files import ArchiveFile
from library.access import scope_for
from library.layout import ignored

_BAD_CHARS = re.compile(r'[\x00-\x1f\x7f/\\:*?"<>|]')


class UploadError(DomainError):
    """An upload was refused; the message tells the archivist what to do."""


@dataclass(frozen=True)
class Shelf:
    """One folder of the browser: a department (or the public area) and a year, with its file count."""

    department_id: int | None
    department: str
    year: int | None
    count: int


def shelves(session: Session, user: User | None) -> list[Shelf]:
    """Return the folders `user` may see, with counts, by department then newest year."""
    scope = scope_for(user, session)
    stmt = (select(ArchiveFile.department_id, Department.name, ArchiveFile.year, func.count(ArchiveFile.id))
            .outerjoin(Department, Department.id == ArchiveFile.department_id)
            .where(scope.clause())
            .group_by(ArchiveFile.department_id, Department.name, ArchiveFile.year))
    out = [Shelf(dept_id, name or msg(
        "公共区域",
    ), year, count) for dept_id, name, year, count in session.execute(stmt)]
    return sorted(out, key=lambda s: (s.department_id is not None, s.department, -(s.year or 0)))


def files_on_shelf(session: Session, user: User | None, department_id: int | None, year: int | None,
                   *, limit: int = 500) -> list[ArchiveFile]:
    """Return the visible files of one folder, newest first."""
    stmt = select(ArchiveFile).where(scope_for(user, session).clause())
    stmt = stmt.where(ArchiveFile.department_id == department_id if department_id is not None
                      else ArchiveFile.department_id.is_(None))
    stmt = stmt.where(ArchiveFile.year == year if year is not None else ArchiveFile.year.is_(None))
    return list(session.scalars(stmt.order_by(ArchiveFile.mtime_ns.desc()).limit(limit)))


def clean_name(filename: str) -> str:
    """Return a safe file name that keeps Chinese characters (no folders, no control characters)."""
    name = unicodedata.normalize("NFC", filename or "").replace("\\", "/").rsplit("/", 1)[-1]
    name = _BAD_CHARS.sub("_", name).strip().strip(".")
    if not name or ignored(name):
        raise UploadError(msg("文件名无效（不能为空，不能以 . 或 ~$ 开头，不能是临时文件），请改名后再上传。"))
    stem, dot, ext = name.rpartition(".")
    if len(name.encode("utf-8")) > 240:
        keep = 240 - len(ext.encode("utf-8")) - 1
        name = (stem.encode("utf-8")[:keep].decode("utf-8", "ignore") + dot + ext) if dot else name[:80]
    return name


def store_upload(settings: Settings, folder: str, year: int | None, filename: str, stream: BinaryIO,
                 *, limit_bytes: int | None = None) -> str:
    """Write an uploaded file to <archive>/<folder>/<year>/<name> and return its relative path.

    The file is written under a hidden temporary name and renamed into place, so the watcher never
    sees a half-written file; an existing file is never overwritten.
    """
    name = clean_name(filename)
    folder = clean_name(folder)
    target_dir = settings.archive_dir / folder / (str(year) if year else "")
    target = target_dir / name
    if target.exists():
        raise UploadError(msg(
            "资料库中已有同名文件 %(folder)s/%(value)s/%(name)s，请改名后再上传。",
            folder=folder, value=year or '', name=name,
        ))
    target_dir.mkdir(parents=True, exist_ok=True)
    temp = target_dir / f".~upload-{os.getpid()}-{name}"
    try:
        written = 0
        with temp.open("wb") as fh:
            while chunk := stream.read(1 << 20):
                written += len(chunk)
                if limit_bytes is not None and written > limit_bytes:
                    raise UploadError(msg(
                        "文件超过 %(value)s MB 的上限，请压缩或拆分后再上传。",
                        value=limit_bytes // (1024 * 1024),
                    ))
                fh.write(chunk)
        if target.exists():
            raise UploadError(msg("资料库中已有同名文件 %(name)s，请改名后再上传。", name=name))
        os.replace(temp, target)
    finally:
        temp.unlink(missing_ok=True)
    return Path(os.path.relpath(target, settings.archive_dir)).as_posix()
