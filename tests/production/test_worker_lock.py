"""Only one worker owns a data dir: a second `eoffice worker` started by mistake refuses, clearly."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import pytest
from sqlalchemy import select

from core.models import WorkerState
from tests.production import procs
from tests.support import wait_for
from tests.support.app import settings_env


@pytest.mark.slow
def test_second_worker_process_refuses_and_first_keeps_running(settings, db, tmp_path):
    env = settings_env(settings)
    first = procs.spawn(["worker"], env, tmp_path / "first.log")
    try:
        lock = settings.data_dir / "worker.lock"
        wait_for(lambda: lock.exists() and f"pid {first.pid}" in lock.read_text(), timeout=30,
                 what="first worker's lock")

        def heartbeat() -> WorkerState | None:
            with db.session() as session:
                return session.scalar(select(WorkerState).where(WorkerState.pid == first.pid))

        wait_for(heartbeat, timeout=30, what="first worker's heartbeat")

        # A second `eoffice worker`, and `eoffice run` (which embeds a worker), started at the same time.
        with ThreadPoolExecutor(2) as pool:
            second_future = pool.submit(procs.run, ["worker"], env, 60)
            embedded_future = pool.submit(procs.run, ["run", "--port", "0"], env, 60)
            second, embedded = second_future.result(), embedded_future.result()
        assert second.returncode != 0
        assert "另一个 eoffice worker 已在运行" in second.stderr
        assert f"pid {first.pid}" in second.stderr  # the message names the holder
        assert "Traceback" not in second.stderr
        assert embedded.returncode != 0 and "另一个 eoffice worker 已在运行" in embedded.stderr
        assert first.poll() is None, "the first worker must keep running"
    finally:
        assert procs.stop(first) == 0, (tmp_path / "first.log").read_text()

    # Once the first one has stopped, the lock is free again.
    third = procs.spawn(["worker"], env, tmp_path / "third.log")
    try:
        wait_for(lambda: f"pid {third.pid}" in lock.read_text(), timeout=30, what="third worker's lock")
    finally:
        procs.stop(third)
