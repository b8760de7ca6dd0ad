"""The outbox drain: an error before the index commit cancels the writer and loses nothing."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from core.models.files import IndexTask
from library import engine, scan
from library.pipeline import Pipeline
from library.service import make_pool
from tests.library import corpus
from tests.library.searching import hits


def test_failure_before_commit_cancels_and_retries(isettings, db):
    corpus.write_txt(isettings.archive_dir / "BGS" / "2024" / "a.txt", "湿地保护修复工作方案")
    with db.session(write_lock=True) as session:
        assert scan.reconcile(session, isettings, settle_seconds=0).added == 1
    writer = engine.IndexWriter(isettings.index_dir)
    pool = make_pool(isettings)
    pipeline = Pipeline(isettings, db, writer, pool)
    try:
        def boom() -> None:
            raise RuntimeError("disk full")

        with pytest.raises(RuntimeError, match="disk full"):
            pipeline.run_batch(before_commit=boom)
        assert hits(isettings, "湿地保护") == set()  # nothing half-committed
        with db.session() as session:
            task = session.scalar(select(IndexTask))
            assert task is not None and task.attempts == 1
        report = pipeline.run_batch()  # the same writer works again: it was cancelled, not committed
        assert report.indexed == 1 and report.extracted == 0  # the text stored before the failure is reused
        assert hits(isettings, "湿地保护") == {"BGS/2024/a.txt"}
        with db.session() as session:
            assert session.scalar(select(IndexTask)) is None
    finally:
        pool.close()
        writer.close()


def test_readers_never_fail_while_the_writer_commits(tmp_path):
    """The single writer removes the previous generation's files when it commits; a reader that found
    that generation a moment before looks again instead of failing (a search during indexing)."""
    import threading

    index_dir = tmp_path / "index"
    writer = engine.IndexWriter(index_dir)
    view = engine.IndexView(index_dir)
    errors: list[BaseException] = []
    done = threading.Event()

    def read() -> None:
        while not done.is_set():
            try:
                with view.lock:
                    view.refresh()
            except BaseException as exc:  # any failure of a reader is the finding
                errors.append(exc)
                return

    reader = threading.Thread(target=read)
    reader.start()
    try:
        for n in range(60):
            writer.put(engine.IndexDoc(fid=n + 1, text=f"第{n}号文件", grams={f"文{n}"}, name=f"{n}.txt", title="",
                                       name_grams=set(), kind="txt", department_id=None, year=2026, classification=0,
                                       public=True, mtime_ns=0))
            writer.commit()
    finally:
        done.set()
        reader.join(10)
        writer.close()
    assert errors == []
    with view.lock:
        assert view.refresh() and sum(len(s.metas) for s in view.segments) == 60
