"""The worker: one owner per data dir, heartbeat, failing jobs do not stop it."""

from __future__ import annotations

import subprocess
import sys
import time

import pytest

from core.locks import LockFile
from core.models import WorkerState
from intranet.worker import PeriodicJob, Worker, WorkerAlreadyRunning


def test_second_worker_on_the_same_data_dir_refuses(settings, db):
    first = Worker(settings, db)
    first.start()
    try:
        with pytest.raises(WorkerAlreadyRunning, match="已在运行"):
            Worker(settings, db).start()
    finally:
        first.stop()
    second = Worker(settings, db)
    second.start()  # free again once the first stopped
    second.stop()


def test_second_worker_process_refuses_with_a_clear_message(settings, db):
    first = Worker(settings, db)
    first.start()
    try:
        env = {"EOFFICE_DATA_DIR": str(settings.data_dir), "PATH": "/usr/bin:/bin"}
        eoffice = [sys.executable, "-c", "from intranet.cli import main; main()", "worker"]
        proc = subprocess.run(eoffice, env=env, capture_output=True, text=True, timeout=60)
        assert proc.returncode != 0
        assert "Another eoffice worker" in proc.stderr
    finally:
        first.stop()


def test_heartbeat_and_failing_job(settings, db):
    calls: list[int] = []

    def flaky() -> None:
        calls.append(1)
        raise RuntimeError("boom")

    job = PeriodicJob("flaky", 0.05, flaky)
    worker = Worker(settings, db, jobs=[job])
    worker.start()
    try:
        deadline = time.monotonic() + 10
        while len(calls) < 3 and time.monotonic() < deadline:
            time.sleep(0.05)
        _wait_for_heartbeat(db)
        worker.beat()
    finally:
        worker.stop()
    assert len(calls) >= 3  # the job kept running after failing
    assert job.last_error == "RuntimeError: boom"
    with db.session() as s:
        state = s.get(WorkerState, "worker")
        assert state is not None and state.info["jobs"]["flaky"]["last_error"] == "RuntimeError: boom"


def test_second_worker_on_another_data_dir_but_the_same_postgresql_refuses(settings, db, tmp_path):
    if db.is_sqlite:
        pytest.skip("a SQLite database lives in its data dir, which the lock file guards (PostgreSQL pass only)")
    import dataclasses

    settings = _one_beat(settings)

    first = Worker(settings, db)
    first.start()
    try:
        _wait_for_heartbeat(db)
        elsewhere = dataclasses.replace(settings, data_dir=tmp_path / "second-server")
        with pytest.raises(WorkerAlreadyRunning, match="同一数据库只能有一个 worker") as refused:
            Worker(elsewhere, db).start()
        assert "pid" in str(refused.value)
        probe = LockFile(tmp_path / "second-server" / "worker.lock")
        probe.acquire()  # the refused worker gave its file lock back
        probe.release()
    finally:
        first.stop()
    second = Worker(dataclasses.replace(settings, data_dir=tmp_path / "second-server"), db)
    second.start()  # free again once the first stopped
    second.stop()


def test_worker_that_lost_its_database_lock_to_another_stops(settings, db, tmp_path):
    if db.is_sqlite:
        pytest.skip("PostgreSQL advisory lock (PostgreSQL pass only)")
    import dataclasses

    from sqlalchemy import text

    settings = _one_beat(settings)

    first = Worker(settings, db)
    first.start()
    second = Worker(dataclasses.replace(settings, data_dir=tmp_path / "second-server"), db)
    try:
        _wait_for_heartbeat(db)  # the heartbeat thread's first beat has written the row
        first.beat()
        assert not first.lost_lock
        with db.engine.connect() as conn:  # the database drops the first worker's lock session
            conn.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": first._db_lock.backend_pid})
        second.start()  # the lock was free for a moment: a second worker took it
        first.beat()
        assert first.lost_lock
        for _ in range(100):
            if first._stop.is_set():
                break
            time.sleep(0.05)
        assert first._stop.is_set()
        second.beat()
        assert not second.lost_lock
    finally:
        second.stop()
        first.stop()


def test_worker_takes_its_database_lock_again_after_a_lost_connection(settings, db):
    if db.is_sqlite:
        pytest.skip("PostgreSQL advisory lock (PostgreSQL pass only)")
    from sqlalchemy import text

    worker = Worker(_one_beat(settings), db)
    worker.start()
    try:
        _wait_for_heartbeat(db)
        lost = worker._db_lock.backend_pid
        with db.engine.connect() as conn:
            conn.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": lost})
        worker.beat()
        assert not worker.lost_lock and worker._db_lock.backend_pid not in (None, lost)
    finally:
        worker.stop()


def _wait_for_heartbeat(db) -> None:
    """Wait until the heartbeat thread has written its row, so a beat() called by the test only updates it."""
    for _ in range(200):
        with db.session() as session:
            if session.get(WorkerState, "worker") is not None:
                return
        time.sleep(0.05)
    raise AssertionError("no heartbeat row after 10 s")


def _one_beat(settings):
    """Settings whose heartbeat thread beats once at start and then not for an hour: the test beats."""
    import dataclasses

    return dataclasses.replace(settings, worker=dataclasses.replace(settings.worker, heartbeat_seconds=3600))
