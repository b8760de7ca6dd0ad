"""The running indexer: a real watchdog observer on a temp folder, the outbox, the single writer."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from sqlalchemy import func, select

from core.models.files import ArchiveFile, IndexTask
from library import engine, service
from tests.library import corpus, realfiles
from tests.library.searching import hits
from tests.support import wait_for
from tests.support.app import settings_env


def _row(db, relpath):
    with db.session() as session:
        return session.scalar(select(ArchiveFile).where(ArchiveFile.relpath == relpath))


def test_dropped_file_becomes_searchable(isettings, db, indexer):
    target = isettings.archive_dir / "BGS" / "2024" / "森林防火通知.txt"
    target.parent.mkdir(parents=True)
    started = time.monotonic()
    corpus.write_txt(target, "关于做好今冬明春森林防火工作的紧急通知 成林发〔2024〕3号")
    wait_for(lambda: hits(isettings, "今冬明春") == {"BGS/2024/森林防火通知.txt"})
    latency = time.monotonic() - started
    assert latency < isettings.indexer.settle_seconds + 3.0
    row = _row(db, "BGS/2024/森林防火通知.txt")
    assert row.outcome == "indexed" and row.year == 2024 and row.department.code == "BGS"
    # Office lock and temp files are never taken.
    (target.parent / "~$森林防火通知.docx").write_bytes(b"lock")
    (target.parent / "草稿.tmp").write_text("今冬明春")
    time.sleep(isettings.indexer.settle_seconds + 0.6)
    assert hits(isettings, "今冬明春") == {"BGS/2024/森林防火通知.txt"}


def test_file_still_being_written_is_not_indexed_half_way(isettings, db, indexer):
    target = isettings.archive_dir / "BGS" / "2024" / "长文件.txt"
    target.parent.mkdir(parents=True)
    parts = [f"第{i}部分 林业工作要点 " * 20 + "\n" for i in range(8)]
    with target.open("w", encoding="utf-8") as fh:
        for part in parts:
            fh.write(part)
            fh.flush()
            time.sleep(isettings.indexer.settle_seconds / 2)  # pauses shorter than the settle window
            assert _row(db, "BGS/2024/长文件.txt") is None
    wait_for(lambda: hits(isettings, "第7部分") == {"BGS/2024/长文件.txt"})
    assert hits(isettings, "第0部分") == {"BGS/2024/长文件.txt"}


def test_rename_move_folder_and_delete(isettings, db, indexer):
    folder = isettings.archive_dir / "BGS" / "2023"
    corpus.write_txt(folder / "甲.txt", "野生动植物保护专项检查方案")
    corpus.write_docx(folder / "乙.docx", "林政资源管理年度报告")
    wait_for(lambda: hits(isettings, "专项检查") and hits(isettings, "年度报告"))
    first = _row(db, "BGS/2023/甲.txt")

    (folder / "甲.txt").rename(folder / "丙.txt")
    # (hits() names files by their database row, which is renamed before the index commit: wait for the index)
    wait_for(lambda: hits(isettings, "filename:丙") == {"BGS/2023/丙.txt"})
    assert hits(isettings, "专项检查") == {"BGS/2023/丙.txt"}
    moved = _row(db, "BGS/2023/丙.txt")
    assert moved.id == first.id and moved.extracted_sha256 == first.sha256  # kept, not extracted again
    assert hits(isettings, "filename:甲") == set() and hits(isettings, "filename:丙") == {"BGS/2023/丙.txt"}

    shutil.move(str(folder), str(isettings.archive_dir / "LZC" / "2023"))
    wait_for(lambda: hits(isettings, "年度报告") == {"LZC/2023/乙.docx"})
    assert hits(isettings, "专项检查") == {"LZC/2023/丙.txt"}
    assert _row(db, "LZC/2023/乙.docx").department.code == "LZC"

    (isettings.archive_dir / "LZC" / "2023" / "乙.docx").unlink()
    wait_for(lambda: hits(isettings, "年度报告") == set())
    assert _row(db, "LZC/2023/乙.docx") is None


def test_second_writer_refuses_to_start(isettings, indexer):
    with pytest.raises(engine.IndexLocked, match="索引写入进程已在运行"):
        engine.IndexWriter(isettings.index_dir)
    with pytest.raises(engine.IndexLocked):
        service.rebuild(isettings, indexer.db)


@pytest.mark.slow
def test_burst_of_1000_files(isettings, db, indexer):
    staging = isettings.data_dir / "staging"
    texts = corpus.documents(1000, seed=3, size=300)
    for i, text in enumerate(texts):
        corpus.write_txt(staging / f"f{i:04d}.txt", f"批次编号X{i:04d}Y\n{text}")
    time.sleep(isettings.indexer.settle_seconds)  # copies keep their mtime, as Samba and cp -p do
    started = time.monotonic()
    shutil.copytree(staging, isettings.archive_dir / "FHB" / "2025", copy_function=shutil.copy2)
    wait_for(lambda: len(hits(isettings, "批次编号")) == 1000, timeout=120, interval=0.25)
    elapsed = time.monotonic() - started
    assert hits(isettings, "X0999Y") == {"FHB/2025/f0999.txt"}
    with db.session() as session:
        assert service.verify(session, isettings).clean
    print(f"burst of 1000 files searchable after {elapsed:.1f} s")


@pytest.mark.slow
def test_worker_killed_mid_batch_recovers(isettings, db, data_dir):
    env = {**os.environ, **settings_env(isettings),
           "EOFFICE_INDEXER_SETTLE_SECONDS": "0.2", "EOFFICE_INDEXER_BATCH_SIZE": "50"}
    env.pop("EOFFICE_CONFIG", None)
    eoffice = str(Path(sys.executable).with_name("eoffice"))
    texts = corpus.documents(400, seed=9, size=600)
    corpus.write_mixed(isettings.archive_dir / "ZLC" / "2022", texts[:120])
    for i, text in enumerate(texts[120:]):
        corpus.write_txt(isettings.archive_dir / "ZLC" / "2021" / f"t{i:04d}.txt", text)
    # Poison among them: text with a lone surrogate, a GBK name, a link to the secret key, a broken .docx.
    poison = isettings.archive_dir / "ZLC" / "2021"
    realfiles.surrogate_pdf(poison / "代理字符.pdf", "毒文件湿地")
    Path(os.fsdecode(os.fsencode(poison) + b"/" + "国标名.txt".encode("gbk"))).write_text("国标名的文件", "utf-8")
    secret = isettings.data_dir / "secret_key"
    secret.write_text("KILL-TEST-SECRET")
    (poison / "链接.txt").symlink_to(secret)
    (poison / "损坏.docx").write_bytes(b"PK\x03\x04broken")
    total = 404
    time.sleep(0.3)

    def indexed() -> int:
        with db.session() as session:
            return session.scalar(select(func.count(ArchiveFile.id)).where(ArchiveFile.indexed_at.is_not(None))) or 0

    worker = subprocess.Popen([eoffice, "worker"], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        wait_for(lambda: indexed() >= 50, timeout=60)
        worker.send_signal(signal.SIGKILL)  # in the middle of the next batches
        worker.wait(10)
        with db.session() as session:
            remaining = session.scalar(select(func.count(IndexTask.id)))
        assert remaining > 0, "the worker finished before it was killed: make the corpus larger"
        worker = subprocess.Popen([eoffice, "worker"], env=env, stdout=subprocess.DEVNULL,
                                  stderr=subprocess.DEVNULL)

        def drained() -> bool:
            with db.session() as session:
                return not session.scalar(select(func.count(IndexTask.id))) and indexed() == total

        wait_for(drained, timeout=120, interval=0.5)
    finally:
        worker.send_signal(signal.SIGTERM)
        try:
            worker.wait(20)
        except subprocess.TimeoutExpired:
            worker.kill()
    with db.session() as session:
        diff = service.verify(session, isettings)
    assert diff.clean, diff
    view = engine.view(isettings.index_dir)
    with view.lock:
        view.refresh()
        assert view.doc_count() == total
    for i in (0, 57, 279):  # content of files indexed before and after the kill
        sample = texts[120 + i][100:108]
        assert f"ZLC/2021/t{i:04d}.txt" in hits(isettings, sample)
    # Each poison ended as its own outcome; none held the healthy files back.
    with db.session() as session:
        outcomes = {f.name: f.outcome for f in session.scalars(select(ArchiveFile).where(
            ArchiveFile.relpath.like("ZLC/2021/%"), ~ArchiveFile.name.like("t%")))}
    assert outcomes == {"代理字符.pdf": "indexed", "国标名.txt": "indexed", "链接.txt": "skipped",
                        "损坏.docx": "damaged"}
    assert hits(isettings, "毒文件湿地") and hits(isettings, "国标名的文件")
    assert hits(isettings, "KILL-TEST-SECRET") == set()
