"""Every read of an archive file checks it is the file the scan saw (device and inode), and a name whose type
changed is a new file (issue 16 §1). Real files, real links, the real extraction child and download view."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from sqlalchemy import select

from core.models.files import ArchiveFile, IndexTask
from library import scan, service
from library.safeopen import CHANGED_REASON, LINK_REASON, UnsafeFile
from library.sandbox import _extract_job
from tests.library import corpus
from tests.library.searching import hits

BEFORE = "交换前的正常内容，林政资源年度报告。"
AFTER = "交换后的冒充内容，绝不能被读出来了。"  # the same length in UTF-8: a same-size swap


def _row(db, relpath: str) -> ArchiveFile:
    with db.session() as session:
        row = session.scalar(select(ArchiveFile).where(ArchiveFile.relpath == relpath))
        assert row is not None, relpath
        session.expunge(row)
        return row


def _swap_same_size(path: Path, text: str) -> None:
    """Replace `path` by another file (another inode) of the same size and the same mtime."""
    old = path.stat()
    data = text.encode("utf-8")
    assert len(data) == old.st_size
    spare = path.with_name(".swap.tmp")
    spare.write_bytes(data)
    os.utime(spare, ns=(old.st_atime_ns, old.st_mtime_ns))
    os.replace(spare, path)


def test_a_same_size_swap_between_scan_and_read_is_not_read_through(isettings, db, client, auth):
    assert len(BEFORE.encode()) == len(AFTER.encode())
    root = isettings.archive_dir
    path = root / "BGS" / "2025" / "年报.txt"
    corpus.write_txt(path, BEFORE)
    os.utime(path, ns=(1_700_000_000 * 10**9, 1_700_000_000 * 10**9))  # settled
    service.rebuild(isettings, db)
    row = _row(db, "BGS/2025/年报.txt")
    assert row.outcome == "indexed" and row.identity == f"{path.stat().st_dev}:{path.stat().st_ino}"

    _swap_same_size(path, AFTER)  # between the scan and the next read: same name, size and mtime
    result = _extract_job((str(root), row.relpath, row.size, row.identity), max_chars=10_000)
    assert result.outcome == "pending" and result.error == CHANGED_REASON and "冒充" not in (result.text or "")
    with pytest.raises(UnsafeFile) as refused:
        scan.sha256_of(root, row.relpath, row.size, row.identity)
    assert refused.value.changed

    auth.login("archivist")
    with client.get(f"/search/files/{row.id}/download", follow_redirects=True) as resp:
        body = resp.get_data(as_text=True)
    assert AFTER not in body and "无法下载" in body and CHANGED_REASON in body

    from printing.service import PrintError, _copy_archive_file

    with pytest.raises(PrintError, match="被修改或替换"):
        _copy_archive_file(isettings, row.relpath, isettings.data_dir / "copy.txt", identity=row.identity)

    with db.session(write_lock=True) as session:  # the next scan sees another file: read again as changed
        report = scan.reconcile(session, isettings, settle_seconds=0)
        session.commit()
    assert report.changed == 1
    service.rebuild(isettings, db)
    again = _row(db, "BGS/2025/年报.txt")
    assert again.id == row.id and again.identity != row.identity and again.outcome == "indexed"
    assert hits(isettings, "冒充内容") == {"BGS/2025/年报.txt"} and hits(isettings, "交换前") == set()
    with client.get(f"/search/files/{row.id}/download") as resp:
        assert resp.status_code == 200 and resp.get_data() == AFTER.encode()


def test_a_file_replaced_by_a_link_is_a_new_file_listed_as_skipped(isettings, db):
    root = isettings.archive_dir / "BGS" / "2025"
    corpus.write_txt(root / "换链.txt", BEFORE)
    service.rebuild(isettings, db)
    old = _row(db, "BGS/2025/换链.txt")
    (root / "换链.txt").unlink()
    (root / "换链.txt").symlink_to(isettings.data_dir / "secret_key")
    with db.session(write_lock=True) as session:
        report = scan.reconcile(session, isettings, settle_seconds=0)
        tasks = [(t.action, t.file_id) for t in session.scalars(select(IndexTask))]
        session.commit()
    assert report.deleted == 1 and report.added == 1
    assert ("delete", old.id) in tasks  # the old file leaves the index
    service.rebuild(isettings, db)
    new = _row(db, "BGS/2025/换链.txt")
    assert new.sha256 == scan.LINK_DIGEST
    assert new.outcome == "skipped" and new.error == LINK_REASON
    assert hits(isettings, "交换前") == set()
