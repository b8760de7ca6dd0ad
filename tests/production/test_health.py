"""/healthz for monitoring: every part reported, absent parts "not configured", strict mode for HTTP-only monitors."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

import pytest

from core.models import WorkerState
from core.models.base import utcnow
from intranet.worker import Worker

TOKEN = "monitor-token-for-tests"


@pytest.fixture
def settings(settings):
    """The test settings with a monitoring token: these tests read /healthz's details as a monitor does."""
    return settings.replace(web=replace(settings.web, health_token=TOKEN))


@pytest.fixture
def client(app):
    """A client that presents the monitoring token on every request."""
    client = app.test_client()
    client.environ_base["HTTP_AUTHORIZATION"] = f"Bearer {TOKEN}"
    return client


def test_every_part_is_reported(client, settings):
    body = client.get("/healthz").get_json()
    for part in ("database", "worker", "index_queue", "print_queue", "directory", "folders"):
        assert part in body, part
        assert body[part]["status"], part
    assert body["database"]["ok"] is True
    assert body["directory"] == {"ok": None, "status": "not configured"}  # directory login is off by default


def test_live_worker_heartbeat_makes_the_worker_ok(client, settings, db):
    settings.archive_dir.mkdir(parents=True, exist_ok=True)
    Worker(settings, db).beat()  # what the running worker does every heartbeat_seconds
    body = client.get("/healthz").get_json()
    assert body["worker"]["ok"] is True
    assert body["worker"]["heartbeat"]["pid"] > 0 and body["worker"]["heartbeat"]["age_seconds"] < 5
    assert body["folders"]["ok"] is True
    assert body["folders"]["archive_dir"]["writable"] is True


def test_stale_heartbeat_degrades_and_strict_mode_answers_503(client, settings, db):
    settings.archive_dir.mkdir(parents=True, exist_ok=True)
    Worker(settings, db).beat()
    with db.session() as session:
        state = session.get(WorkerState, "worker")
        state.heartbeat_at = state.heartbeat_at - timedelta(seconds=settings.worker.stale_after_seconds + 5)
    resp = client.get("/healthz")
    body = resp.get_json()
    assert resp.status_code == 200 and body["status"] == "degraded"
    assert body["worker"]["ok"] is False
    assert body["worker"]["status"].startswith("heartbeat stale")
    assert client.get("/healthz?strict=1").status_code == 503


def test_missing_archive_folder_is_reported(client, settings, db):
    Worker(settings, db).beat()
    body = client.get("/healthz").get_json()
    assert not settings.archive_dir.exists()
    assert body["folders"]["ok"] is False
    assert body["folders"]["archive_dir"]["status"] == "missing"
    assert body["status"] == "degraded"


def test_stuck_index_and_print_queues_and_a_down_printer_are_reported(client, settings, db):
    from sqlalchemy import select

    from core.models.files import IndexTask
    from core.models.org import User
    from core.models.printing import PrinterStatus, PrintJob

    long_ago = utcnow() - timedelta(hours=2)
    with db.session() as session:
        session.add(IndexTask(action="index", file_id=1, created_at=long_ago))
        user = session.scalar(select(User).where(User.username == "lz_staff"))
        session.add(PrintJob(uuid="00000000-0000-0000-0000-000000000001", user_id=user.id, username=user.username,
                             title="通知", source_kind="upload", original_path="x.pdf", state="queued",
                             created_at=long_ago))
        session.add(PrinterStatus(queue="dept-lzc", state=5, reachable=True, message="media-jam"))
    body = client.get("/healthz").get_json()
    assert body["index_queue"]["ok"] is False and body["index_queue"]["pending"] == 1
    assert body["index_queue"]["oldest_age_seconds"] >= 7000
    assert body["print_queue"]["ok"] is False
    assert body["print_queue"]["by_state"] == {"queued": 1}
    assert body["print_queue"]["printers_down"] == ["dept-lzc"]
    assert "dept-lzc" in body["print_queue"]["status"]
    assert body["status"] == "degraded"


def test_directory_reports_the_last_sync_outcome(settings, db):
    from core.models.directory import DirectorySyncRun
    from intranet import create_app

    with_directory = settings.replace(directory=replace(settings.directory, enabled=True,
                                                        servers=("ldap://127.0.0.1:1",)))
    client = create_app(with_directory, db=db).test_client()
    client.environ_base["HTTP_AUTHORIZATION"] = f"Bearer {TOKEN}"
    assert client.get("/healthz").get_json()["directory"]["status"] == "no sync finished yet"
    with db.session() as session:
        session.add(DirectorySyncRun(trigger="worker", status="ok", finished_at=utcnow() - timedelta(hours=2)))
        session.add(DirectorySyncRun(trigger="worker", status="failed", finished_at=utcnow(),
                                     error="目录服务器无法连接"))
    body = client.get("/healthz").get_json()
    assert body["directory"]["ok"] is False
    assert "目录服务器无法连接" in body["directory"]["status"]
    assert body["directory"]["servers"] == ["ldap://127.0.0.1:1"]
