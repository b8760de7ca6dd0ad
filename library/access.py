"""Who may see which archive file: public areas and one's own department for everyone, every department
for archivists and leaders (Permission.ARCHIVE_READ_ALL), the filed copy of every 公文 distributed or
passed (传阅) to the person, and classified files only up to one's clearance."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, and_, false, or_, select, true
from sqlalchemy.orm import Session

from core.clearance import cleared, cleared_clause
from core.models import User
from core.models.documents import FilingRecord, ReadReceipt
from core.models.files import ArchiveFile
from core.org import permissions_of
from core.permissions import Permission


@dataclass(frozen=True)
class Scope:
    """What one user may see, in a form both SQL and the index filter can apply."""

    may_search: bool
    read_all: bool
    department_id: int | None
    clearance: int
    # Archive files of filed 公文 the person received (分发 / 传阅): readable wherever they are filed.
    granted: frozenset[int] = frozenset()

    def allows(self, department_id: int | None, public: bool, classification: int, fid: int | None = None) -> bool:
        """Return True when a file with these attributes (and archive file id `fid`) is visible."""
        if not self.may_search or not cleared(self, classification):
            return False
        return (self.read_all or public or (department_id is not None and department_id == self.department_id)
                or (fid is not None and fid in self.granted))

    def clause(self) -> ColumnElement[bool]:
        """Return the SQL condition on ArchiveFile for the same rule."""
        if not self.may_search:
            return false()
        area: Any = true() if self.read_all else or_(
            ArchiveFile.public.is_(True),
            ArchiveFile.department_id == self.department_id if self.department_id is not None else false(),
            ArchiveFile.id.in_(sorted(self.granted)) if self.granted else false(),
        )
        return and_(cleared_clause(self, ArchiveFile.classification), area)


def scope_for(user: User | None, session: Session | None = None) -> Scope:
    """Return the visibility scope of `user` (None: sees nothing).

    With a `session`, the scope also holds the archive files of filed documents distributed or passed
    to the user (their read receipts), so a recipient in another department can open, search and print
    the filed copy (issue 12 §1). Without one, only the area rule applies.
    """
    if user is None or not user.active:
        return Scope(False, False, None, -1)
    perms = permissions_of(user)
    read_all = Permission.ARCHIVE_READ_ALL in perms
    return Scope(
        may_search=Permission.ARCHIVE_SEARCH in perms or read_all,
        read_all=read_all,
        department_id=user.department_id,
        clearance=user.clearance,
        granted=received_files(session, user) if session is not None and not read_all else frozenset(),
    )


def received_files(session: Session, user: User) -> frozenset[int]:
    """Return the ids of archive files that are the filed copy of a 公文 the user received (分发 or 传阅).

    A filed copy is found by its 档号: the filing writes it into the record metadata the indexer
    attaches to every file of the filing folder.
    """
    stmt = (
        select(ArchiveFile.id)
        .join(FilingRecord, FilingRecord.archive_number == ArchiveFile.archive_number)
        .join(ReadReceipt, ReadReceipt.document_id == FilingRecord.document_id)
        .where(ReadReceipt.user_id == user.id, cleared_clause(user, ArchiveFile.classification))
    )
    return frozenset(session.scalars(stmt))


def visible_file(session: Session, user: User | None, file_id: int) -> ArchiveFile | None:
    """Return the archive file if `user` may see it, else None (the same answer for missing and forbidden)."""
    return session.scalar(select(ArchiveFile).where(ArchiveFile.id == file_id, scope_for(user, session).clause()))


def visible_files(session: Session, user: User | None, file_ids: Iterable[int]) -> dict[int, ArchiveFile]:
    """Return the visible ones among `file_ids`, by id."""
    ids = list(file_ids)
    if not ids:
        return {}
    stmt = select(ArchiveFile).where(ArchiveFile.id.in_(ids), scope_for(user, session).clause())
    return {f.id: f for f in session.scalars(stmt)}
