"""The outbox drain: an error before the index commit cancels the writer and loses nothing."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from archive.models.files import IndexTask
from indexer import engine, scan
from indexer.pipeline import Pipeline
from indexer.service import make_pool
from tests.indexer import corpus
from tests.indexer.conftest import hits


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
