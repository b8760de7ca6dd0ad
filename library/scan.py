"""Reconcile the archive folder with the database: new, changed, moved and deleted files become outbox rows.

Used by the start-up and periodic rescans (whole folder) and by the watcher (the paths it saw change).
A file is taken only once it has not been modified for the settle window; a move or rename is
recognised by size and SHA-256, so the file keeps its id and extracted text. Each file's device and
inode are recorded (ArchiveFile.identity) and every read checks them (library.safeopen): a file swapped
for another is read again as changed, and a name whose type changed (a file replaced by a symbolic link,
or the reverse) is a new file: the old row leaves the index, the link is listed as skipped with its reason.
"""

from __future__ import annotations

import hashlib
import logging
import os
import stat
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import NamedTuple

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from config import Settings
from core.messages import msg
from core.models.base import utcnow
from core.models.files import ArchiveFile, IndexTask, RecordMetadata
from fileformats.names import UnstorableName, display_name, fs_form, stored_form
from library.layout import department_lookup, ignored, place
from library.safeopen import UnsafeFile, identity_of, open_archive_file

log = logging.getLogger("eoffice.indexer")
# sha256 of a symbolic link's row: a link is listed (with the reason) but never read.
LINK_DIGEST = "symlink"


class Seen(NamedTuple):
    """What the scan saw of an entry: size in bytes (-1: a symbolic link), mtime in ns, and the file's
    identity "st_dev:st_ino" (None for a link)."""

    size: int
    mtime_ns: int
    identity: str | None = None


def seen_of(st: os.stat_result, *, link: bool) -> Seen:
    """The Seen of an lstat result."""
    return Seen(-1, st.st_mtime_ns) if link else Seen(st.st_size, st.st_mtime_ns, identity_of(st))


@dataclass
class ScanReport:
    added: int = 0
    changed: int = 0
    moved: int = 0
    deleted: int = 0
    unchanged: int = 0
    settling: int = 0
    # Paths the watcher reported that are neither on disk nor known: after a folder move, inotify can
    # report later events under the folder's old path, so the caller should rescan the whole folder.
    unknown: int = 0
    seconds: float = 0.0
    settling_paths: list[str] = field(default_factory=list)
    # Folders (and entries) that exist but could not be read (no permission, I/O error of a network
    # mount), stored relpath -> the error: their files keep their rows, so they stay searchable.
    unreadable: dict[str, str] = field(default_factory=dict)

    @property
    def enqueued(self) -> int:
        return self.added + self.changed + self.moved + self.deleted

    def as_dict(self) -> dict[str, float]:
        out: dict[str, float] = {k: getattr(self, k) for k in ("added", "changed", "moved", "deleted", "unchanged",
                                                                "settling", "seconds")}
        out["unreadable"] = len(self.unreadable)
        return out


def enqueue(session: Session, action: str, file_id: int) -> None:
    """Add an outbox row asking the index writer to index or delete a file."""
    session.add(IndexTask(action=action, file_id=file_id))


def sha256_of(root: Path, relpath: str, size: int | None = None, identity: str | None = None) -> str:
    """Return the SHA-256 of root/relpath (stored form), read without following links.

    A symbolic link gets LINK_DIGEST (listed, never read). `identity` is the device/inode the walk saw
    (Seen.identity). Raises UnsafeFile when the file cannot be read safely (`.missing` when it vanished,
    `.changed` when it is another file than the one seen), OSError on I/O errors.
    """
    if size is not None and size < 0:
        return LINK_DIGEST
    digest = hashlib.sha256()
    with open_archive_file(root, relpath, expected_identity=identity) as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def relpath_of(root: Path, path: str | os.PathLike[str]) -> str | None:
    """Return the stored relative path of `path` (fileformats.names), or None when outside, ignored or unstorable."""
    try:
        rel = PurePosixPath(Path(path).relative_to(root).as_posix())
    except ValueError:
        return None
    if not rel.parts or rel.as_posix() == "." or any(ignored(p) for p in rel.parts):
        return None
    try:
        return stored_form(rel.as_posix())
    except UnstorableName:
        return None


def walk(root: Path, start: str = "", problems: dict[str, str] | None = None) -> dict[str, Seen]:
    """Return {relpath: Seen(size, mtime_ns, identity)} of every regular file and symbolic link under root/start.

    Paths are in the stored form (fileformats.names). A symbolic link is listed with size -1 (never
    followed, never read: the scan records it with the reason). Folders and entries that exist but cannot
    be read are skipped with a log line and put into `problems` (stored relpath -> error; "" is the
    root); names that cannot be stored are skipped with a log line; one bad entry never stops the walk.
    """
    out: dict[str, Seen] = {}
    stack = [root / fs_form(start) if start else root]
    while stack:
        folder = stack.pop()
        try:
            entries = list(os.scandir(folder))
        except (FileNotFoundError, NotADirectoryError):
            continue
        except OSError as exc:
            log.warning("archive folder not readable path=%r error=%s", str(folder), exc)
            _note(problems, root, folder, exc)
            continue
        for entry in entries:
            if ignored(entry.name):
                continue
            try:
                is_link = entry.is_symlink()
                is_dir = not is_link and entry.is_dir(follow_symlinks=False)
                is_file = not is_link and entry.is_file(follow_symlinks=False)
                if not (is_link or is_dir or is_file):
                    continue  # FIFOs, sockets, devices
                if is_dir:
                    stack.append(Path(entry.path))
                    continue
                st = entry.stat(follow_symlinks=False)
                rel = stored_form(Path(entry.path).relative_to(root).as_posix())
            except FileNotFoundError:
                continue
            except UnstorableName:
                log.warning("archive file name uses reserved private-use characters, skipped path=%r", entry.path)
                continue
            except OSError as exc:
                log.warning("archive entry not readable path=%r error=%s", entry.path, exc)
                _note(problems, root, Path(entry.path), exc)
                continue
            out[rel] = seen_of(st, link=is_link)
    return out


def _note(problems: dict[str, str] | None, root: Path, path: Path, exc: OSError) -> None:
    """Record an unreadable folder or entry under its stored relpath."""
    if problems is None:
        return
    try:
        rel = path.relative_to(root).as_posix()
        problems[stored_form("" if rel == "." else rel)] = exc.strerror or str(exc)
    except (ValueError, UnstorableName):
        pass


def under(relpath: str, folders: Iterable[str]) -> bool:
    """Return whether `relpath` is one of `folders` or lies below one ("" is the whole archive)."""
    return any(not f or relpath == f or relpath.startswith(f + "/") for f in folders)


def _gone(root: Path, relpath: str) -> bool | None:
    """Return True when nothing is at root/relpath (stored form) as an archive path, False when something
    is, None when it cannot be told (a folder on the way cannot be read: no permission, or an I/O error of
    a network mount). A folder on the way that became a symbolic link counts as gone: the archive never
    follows links, so the files it held are no longer in the archive."""
    parts = [p for p in fs_form(relpath).split("/") if p]
    path = root
    try:
        for part in parts[:-1]:
            path = path / part
            if stat.S_ISLNK(os.lstat(path).st_mode):
                return True
        os.lstat(path / parts[-1])
    except (FileNotFoundError, NotADirectoryError, IndexError):
        return True
    except OSError:
        return None
    return False


def reconcile(session: Session, settings: Settings, *, paths: Iterable[str] | None = None,
              settle_seconds: float | None = None) -> ScanReport:
    """Compare the folder (or just `paths`, files or folders) with the database and enqueue the differences."""
    started = time.monotonic()
    root = settings.archive_dir
    settle = settings.indexer.settle_seconds if settle_seconds is None else settle_seconds
    report = ScanReport()
    root.mkdir(parents=True, exist_ok=True)
    if paths is None:
        disk = walk(root, problems=report.unreadable)
        rows = {f.relpath: f for f in session.scalars(select(ArchiveFile))}
    else:
        disk, rows = {}, {}
        for rel in set(paths):
            target = root / fs_form(rel)
            if target.is_symlink():
                disk[rel] = seen_of(target.lstat(), link=True)
            elif target.is_dir():
                disk.update(walk(root, rel, report.unreadable))
            elif target.is_file():
                disk[rel] = seen_of(target.lstat(), link=False)
            stmt = select(ArchiveFile).where(or_(ArchiveFile.relpath == rel, ArchiveFile.relpath.startswith(rel + "/")))
            found = {f.relpath: f for f in session.scalars(stmt)}
            if not found and not target.exists():
                report.unknown += 1
            rows.update(found)

    now_ns = time.time_ns()
    settled: dict[str, Seen] = {}
    for rel, seen in disk.items():
        if now_ns - seen.mtime_ns < settle * 1e9:
            report.settling += 1
            report.settling_paths.append(rel)
        else:
            settled[rel] = seen

    departments = department_lookup(session)
    public = settings.indexer.public_folders
    # A file in a folder that cannot be read now is not deleted: it keeps its row, its text and its place
    # in search (a share that is momentarily unreadable must not empty the archive); the scan reports it.
    missing = {rel: row for rel, row in rows.items() if rel not in disk and not under(rel, report.unreadable)}
    new: list[tuple[str, Seen, str]] = []
    for rel, seen in settled.items():
        size, mtime = seen.size, seen.mtime_ns
        row = rows.get(rel)
        if row is not None and (row.sha256 == LINK_DIGEST) != (size < 0):
            # The name changed type (a file became a symbolic link, or the reverse): a new file. The old row
            # leaves the index now (nothing of the old file is kept under the new entry).
            enqueue(session, "delete", row.id)
            session.delete(row)
            session.flush()
            report.deleted += 1
            row = None
        swapped = row is not None and row.identity is not None and seen.identity is not None \
            and row.identity != seen.identity
        if row is None:
            try:
                new.append((rel, seen, _digest(root, rel, seen)))
            except _Vanished:
                continue
        elif (row.size, row.mtime_ns) != (size, mtime) or swapped or row.sha256.startswith(_REFUSED):
            # Changed, swapped for another file (another inode), or refused last time (no permission, ...):
            # a chmod moves no mtime, so a refused file is looked at again on every scan; it is read once
            # its digest is a real one.
            try:
                digest = _digest(root, rel, seen)
            except _Vanished:
                continue
            if digest != row.sha256:
                # A file swapped for another with the same bytes (a restore, a copy back) was read safely
                # through its new inode above and holds the same text: only its identity is updated.
                row.sha256, row.outcome, row.error, row.changed_at = digest, "pending", None, utcnow()
                enqueue(session, "index", row.id)
                report.changed += 1
            else:
                report.unchanged += 1
            row.size, row.mtime_ns, row.identity = max(size, 0), mtime, seen.identity
        else:
            report.unchanged += 1
            if row.identity is None:
                row.identity = seen.identity  # rows from before identities were recorded

    full = paths is None
    added: list[ArchiveFile] = []
    wanted = [rel for rel, *_ in new]
    filed = {r.relpath: r for r in session.scalars(
        select(RecordMetadata) if full else select(RecordMetadata).where(RecordMetadata.relpath.in_(wanted)))}
    for rel, seen, digest in new:
        size, mtime = seen.size, seen.mtime_ns
        row = _moved_from(session, root, missing, size, digest, full=full)
        if row is not None:
            missing.pop(row.relpath, None)
            _locate(row, rel, departments, public, filed)
            row.mtime_ns, row.identity = mtime, seen.identity
            enqueue(session, "index", row.id)
            report.moved += 1
            continue
        row = ArchiveFile(relpath=rel, size=max(size, 0), mtime_ns=mtime, identity=seen.identity, sha256=digest,
                          outcome="pending", classification=0, text_chars=0)
        _locate(row, rel, departments, public, filed)
        session.add(row)
        added.append(row)
        report.added += 1
    session.flush()
    for row in added:
        enqueue(session, "index", row.id)

    for row in missing.values():
        gone = _gone(root, row.relpath)
        if gone is None:
            report.unreadable[row.relpath] = msg("无法读取所在文件夹")
            continue
        if not gone:
            continue  # still there (a partial scan of a folder that was replaced, for example)
        enqueue(session, "delete", row.id)
        session.delete(row)
        report.deleted += 1
    session.flush()
    if report.unreadable:
        log.warning("archive folders not readable, their files kept: %s",
                    ", ".join(f"{display_name(rel) or '/'} ({why})" for rel, why in sorted(report.unreadable.items())))
    report.seconds = round(time.monotonic() - started, 3)
    return report


def _moved_from(session: Session, root: Path, missing: dict[str, ArchiveFile], size: int,
                digest: str, *, full: bool) -> ArchiveFile | None:
    for row in missing.values():
        if row.size == size and row.sha256 == digest:
            return row
    if full:
        return None  # a full scan saw every row already
    # The old path may lie outside what this (partial) scan looked at.
    for row in session.scalars(select(ArchiveFile).where(ArchiveFile.size == size, ArchiveFile.sha256 == digest)):
        if _gone(root, row.relpath):
            return row
    return None


_REFUSED = ("unsafe:", "unreadable:")  # digests of files that could not be read (see _digest)


class _Vanished(Exception):
    """The file went away between the listing and the hash."""


def _digest(root: Path, rel: str, seen: Seen) -> str:
    """Return the content hash of a scanned entry; an unreadable file gets a marker naming the refusal.

    A file that cannot be read safely (another hard link, no permission) still gets a row, so it is
    listed with its reason; its digest changes when it becomes readable, and it is read again. One that
    vanished or was swapped since the walk (another inode) is left to the next scan (_Vanished).
    """
    try:
        return sha256_of(root, rel, seen.size, seen.identity)
    except UnsafeFile as exc:
        if exc.missing or exc.changed:
            raise _Vanished from None
        return "unsafe:" + hashlib.sha256(exc.reason.encode()).hexdigest()[:56]
    except OSError as exc:
        return "unreadable:" + str(exc.errno)


def _locate(row: ArchiveFile, rel: str, departments: dict[str, int], public_folders: tuple[str, ...],
            filed: dict[str, RecordMetadata]) -> None:
    """Set a row's path and everything the path and a filed record say about it."""
    placement = place(rel, departments, public_folders)
    old_default_title = row.title is None or row.title == display_name(PurePosixPath(row.relpath or rel).stem)
    row.relpath = rel
    row.name = display_name(placement.name)[:255]
    row.kind = placement.kind
    row.department_id = placement.department_id
    row.public = placement.public
    if placement.year is not None or row.year is None:
        row.year = placement.year
    if old_default_title:
        row.title = display_name(placement.title)[:500]
    record = filed.get(rel)
    if record is not None:
        apply_record(row, record)


def apply_record(row: ArchiveFile, record: RecordMetadata) -> None:
    """Copy 档号, 保管期限, 密级 and 题名 of a filed record onto the file row."""
    if record.archive_number is not None:
        row.archive_number = record.archive_number
    if record.retention is not None:
        row.retention = record.retention
    if record.classification is not None:
        row.classification = record.classification
    if record.title:
        row.title = record.title[:500]
