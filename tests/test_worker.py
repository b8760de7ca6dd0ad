"""The worker: one owner per data dir, heartbeat, failing jobs do not stop it."""

from __future__ import annotations

import subprocess
import sys
import time

import pytest

from archive.models import WorkerState
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
        worker.beat()
    finally:
        worker.stop()
    assert len(calls) >= 3  # the job kept running after failing
    assert job.last_error == "RuntimeError: boom"
    with db.session() as s:
        state = s.get(WorkerState, "worker")
        assert state is not None and state.info["jobs"]["flaky"]["last_error"] == "RuntimeError: boom"
