"""Test helpers."""

from __future__ import annotations

from config import Settings
from library.access import Scope
from library.search import matching_ids

EVERYTHING = Scope(True, True, None, 99)


def hits(settings: Settings, query: str) -> set[str]:
    """Return the relative paths of every file matching `query` (no permission limits)."""
    from sqlalchemy import select

    from core.db import connect
    from core.models.files import ArchiveFile

    ids = {fid for fid, _ in matching_ids(settings, EVERYTHING, query)}
    db = connect(settings.database_url)
    try:
        with db.session() as session:
            return set(session.scalars(select(ArchiveFile.relpath).where(ArchiveFile.id.in_(ids))))
    finally:
        db.engine.dispose()
