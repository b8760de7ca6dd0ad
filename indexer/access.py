"""Who may see which archive file: public areas and one's own department for everyone, every department
for archivists and leaders (Permission.ARCHIVE_READ_ALL), and classified files only up to one's clearance."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, and_, false, or_, select, true
from sqlalchemy.orm import Session

from archive.models import User
from archive.models.files import ArchiveFile
from archive.org import permissions_of
from archive.permissions import Permission


@dataclass(frozen=True)
class Scope:
    """What one user may see, in a form both SQL and the index filter can apply."""

    may_search: bool
    read_all: bool
    department_id: int | None
    clearance: int

    def allows(self, department_id: int | None, public: bool, classification: int) -> bool:
        """Return True when a file with these attributes is visible."""
        if not self.may_search or classification > self.clearance:
            return False
        return self.read_all or public or (department_id is not None and department_id == self.department_id)

    def clause(self) -> ColumnElement[bool]:
        """Return the SQL condition on ArchiveFile for the same rule."""
        if not self.may_search:
            return false()
        area: Any = true() if self.read_all else or_(
            ArchiveFile.public.is_(True),
            ArchiveFile.department_id == self.department_id if self.department_id is not None else false(),
        )
        return and_(ArchiveFile.classification <= self.clearance, area)


def scope_for(user: User | None) -> Scope:
    """Return the visibility scope of `user` (None: sees nothing)."""
    if user is None or not user.active:
        return Scope(False, False, None, -1)
    perms = permissions_of(user)
    return Scope(
        may_search=Permission.ARCHIVE_SEARCH in perms or Permission.ARCHIVE_READ_ALL in perms,
        read_all=Permission.ARCHIVE_READ_ALL in perms,
        department_id=user.department_id,
        clearance=user.clearance,
    )


def visible_file(session: Session, user: User | None, file_id: int) -> ArchiveFile | None:
    """Return the archive file if `user` may see it, else None (the same answer for missing and forbidden)."""
    return session.scalar(select(ArchiveFile).where(ArchiveFile.id == file_id, scope_for(user).clause()))


def visible_files(session: Session, user: User | None, file_ids: Iterable[int]) -> dict[int, ArchiveFile]:
    """Return the visible ones among `file_ids`, by id."""
    ids = list(file_ids)
    if not ids:
        return {}
    stmt = select(ArchiveFile).where(ArchiveFile.id.in_(ids), scope_for(user).clause())
    return {f.id: f for f in session.scalars(stmt)}
