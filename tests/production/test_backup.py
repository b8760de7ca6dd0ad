"""Backup and restore, for real: populate, back up while a worker runs, wipe, restore, compare everything.

Runs in both passes: on SQLite (online backup API) and on PostgreSQL (pg_dump / pg_restore).
"""

from __future__ import annotations

import hashlib
import json
import shutil
import threading
import time
import tomllib
import urllib.request
from pathlib import Path

import pytest
from sqlalchemy import MetaData, select
from sqlalchemy.engine import make_url

import demo
from config import Settings
from core import audit, backup, org
from core.db import Database, connect
from core.models import WorkerState
from intranet import create_app
from library import search
from library import service as index_service
from tests.production import procs
from tests.support import free_port, wait_for
from tests.support.app import AuthActions, on_postgresql, settings_env

# Rows that change by themselves while the system runs (the worker's heartbeat) are not compared.
VOLATILE_TABLES = {"worker_state"}
# indexed_at: when the index last took the file; identity: the device and inode the file has on disk, which
# a restore (new files) changes by nature — the scan then reads the file again as changed.
VOLATILE_COLUMNS = {("archive_file", "indexed_at"), ("archive_file", "identity")}
# In the data dir but not restored as files: rebuildable, transient, secret, or the database itself.
DATA_NOT_BACKED_UP = {"archive", "logs", "index", "spool", "worker.lock", "secret_key", "demo-credentials.txt",
                      "eoffice.db", "eoffice.db-wal", "eoffice.db-shm"}


def populate(settings: Settings, db: Database) -> None:
    """Put real content everywhere a backup must reach: tables, the archive folder, stored files."""
    with db.session() as session:
        new = org.create_user(session, "lz_clerk2", "欧阳明月", department_code="LZC", password="Backup-Passw0rd")
        audit.record(session, "test.populated", user=new, detail="备份前写入的审计记录", data={"件号": 7})
    demo.place_archive_files(settings.archive_dir)
    deep = settings.archive_dir / "办公室" / "2024" / "会议纪要" / "第3次 局务会议纪要.txt"
    deep.parent.mkdir(parents=True)
    deep.write_text("局务会议纪要\n一、关于森林防火工作的部署……\n", encoding="utf-8")
    fire = settings.archive_dir / "LZC" / "2024" / "森林防火工作方案.txt"
    fire.write_text("林政资源管理处森林防火工作方案：加强巡护，严控野外用火。\n", encoding="utf-8")
    (settings.archive_dir / "JHC" / "预算表.xlsx").parent.mkdir()
    (settings.archive_dir / "JHC" / "预算表.xlsx").write_bytes(bytes(range(256)) * 4000)  # binary, ~1 MB
    stored = settings.files_dir / "ab" / "abcdef0123"
    stored.parent.mkdir(parents=True)
    stored.write_bytes("正文 version 1".encode())


def snapshot_tables(db: Database) -> dict[str, list[tuple[str, ...]]]:
    """Every row of every table in the database (as text, sorted), except the volatile ones."""
    out = {}
    tables = MetaData()
    tables.reflect(db.engine)  # what is really there, alembic_version included
    with db.session() as session:
        for table in tables.sorted_tables:
            if table.name in VOLATILE_TABLES:
                continue
            columns = [c for c in table.columns if (table.name, c.name) not in VOLATILE_COLUMNS]
            rows = session.execute(select(*columns)).all()
            out[table.name] = sorted(tuple(_text(v) for v in row) for row in rows)
    return out


def _text(value: object) -> str:
    if isinstance(value, dict | list):
        return json.dumps(value, sort_keys=True, ensure_ascii=False)
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return repr(value)


def snapshot_files(root: Path, skip: set[str] = frozenset()) -> dict[str, str]:
    """SHA-256 of every file under `root`, by relative path."""
    return {
        p.relative_to(root).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(root.rglob("*")) if p.is_file() and p.relative_to(root).parts[0] not in skip
    }


SEARCHES = [("lz_staff", "森林防火"), ("director", "森林防火"), ("director", "林业"), ("admin", "预算")]


def snapshot_searches(settings: Settings, db: Database) -> dict[tuple[str, str], list[str]]:
    """The files each user finds for some queries, in result order."""
    out = {}
    with db.session() as session:
        for username, query in SEARCHES:
            result = search.search(session, settings, org.user_by_username(session, username), query, per_page=100)
            assert result.index_ready
            out[(username, query)] = [hit.file.relpath for hit in result.hits]
    return out


def heartbeat(db: Database) -> bool:
    with db.session() as session:
        return session.get(WorkerState, "worker") is not None


def serve_once(url: str) -> bool:
    try:
        with urllib.request.urlopen(url + "/healthz", timeout=2) as resp:
            return resp.status == 200
    except OSError:
        return False


def wipe(settings: Settings, db: Database, request: pytest.FixtureRequest) -> None:
    """Lose everything: the data dir (with the archive folder and, on SQLite, the database) and the database."""
    db.engine.dispose()
    shutil.rmtree(settings.data_dir)
    if on_postgresql():
        cluster = request.getfixturevalue("postgres_server")
        name = make_url(settings.database_url).database
        cluster.drop_database(name)
        cluster.execute(f"CREATE DATABASE {name}")  # a new, empty database, as the admin would create it


def serve_while(url: str, stop: threading.Event, answers: list[int]) -> None:
    """Keep the web server busy (pages and health) until `stop` is set."""
    while not stop.is_set():
        for path in ("/healthz", "/login"):
            try:
                with urllib.request.urlopen(url + path, timeout=5) as resp:
                    answers.append(resp.status)
            except OSError:
                answers.append(0)


@pytest.mark.slow
def test_populate_backup_while_running_wipe_restore_everything_is_back(settings, db, tmp_path, request):
    populate(settings, db)
    env = settings_env(settings)
    # The worker's first rounds write their own rows (printer states, job runs): they belong in the backup.
    worker = procs.spawn(["worker"], env, tmp_path / "worker.log")
    try:
        wait_for(lambda: heartbeat(db), timeout=30, what="worker heartbeat")
        time.sleep(1.0)
    finally:
        assert procs.stop(worker) == 0, (tmp_path / "worker.log").read_text()
    index_service.rebuild(settings, db)  # the archive is indexed and searchable before the backup
    searches_before = snapshot_searches(settings, db)
    assert searches_before[("lz_staff", "森林防火")], "the populated archive must have hits"
    tables_before = snapshot_tables(db)
    archive_before = snapshot_files(settings.archive_dir)
    data_before = snapshot_files(settings.data_dir, skip=DATA_NOT_BACKED_UP)

    # The backup runs while gunicorn serves requests.
    port = free_port()
    web = procs.spawn(["web", "--port", str(port), "--workers", "2"], env, tmp_path / "web.log")
    url = f"http://127.0.0.1:{port}"
    stop, answers = threading.Event(), []
    try:
        wait_for(lambda: web.poll() is not None or serve_once(url), timeout=60, what="eoffice web")
        busy = threading.Thread(target=serve_while, args=(url, stop, answers))
        busy.start()
        done = procs.run(["backup", str(tmp_path / "backups")], env)
        stop.set()
        busy.join(30)
    finally:
        stop.set()
        procs.stop(web)
    assert done.returncode == 0, done.stderr
    assert answers and set(answers) == {200}, "the web kept answering during the backup"
    (made,) = (tmp_path / "backups").iterdir()
    assert made.name.startswith("eoffice-backup-") and str(made) in done.stdout

    manifest = json.loads((made / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["database"]["dialect"] == db.engine.dialect.name
    listed = {(f["area"], f["path"]): f["sha256"] for f in manifest["files"]}
    assert listed[("archive", "办公室/2024/会议纪要/第3次 局务会议纪要.txt")] == archive_before[
        "办公室/2024/会议纪要/第3次 局务会议纪要.txt"]
    assert {p for a, p in listed if a == "archive"} == set(archive_before)
    assert ("data", "files/ab/abcdef0123") in listed
    assert not any(p.startswith(("index/", "logs/")) or p == "secret_key" for _a, p in listed)
    settings_text = (made / "settings.toml").read_text(encoding="utf-8")
    assert settings.secret_key not in settings_text and "demo-Passw0rd" not in settings_text

    wipe(settings, db, request)
    assert not settings.data_dir.exists()

    done = procs.run(["restore", str(made)], env)
    assert done.returncode == 0, done.stderr
    assert "恢复完成" in done.stdout

    restored = connect(settings.database_url)
    try:
        after = snapshot_tables(restored)
        for name in tables_before:  # one table at a time, so a failure names it
            assert after.get(name) == tables_before[name], name
        assert after == tables_before
        assert snapshot_files(settings.archive_dir) == archive_before
        assert snapshot_files(settings.data_dir, skip=DATA_NOT_BACKED_UP) == data_before
        assert "search index rebuilt" in done.stdout
        assert snapshot_searches(settings, restored) == searches_before
        # And the restored system works: the account made before the backup signs in.
        app = create_app(settings.replace(secret_key="after-restore"), db=restored)
        client = app.test_client()
        assert AuthActions(client).login("lz_clerk2", "Backup-Passw0rd").status_code == 302
        assert "欧阳明月" in client.get("/").get_data(as_text=True)
    finally:
        restored.engine.dispose()


def test_damaged_backup_is_refused_before_anything_is_restored(settings, db, tmp_path, request):
    populate(settings, db)
    made = backup.backup(settings, db, tmp_path / "backups").path
    victim = made / "files" / "archive" / "JHC" / "预算表.xlsx"
    data = bytearray(victim.read_bytes())
    data[1000] ^= 0xFF  # one flipped bit's worth of rot
    victim.write_bytes(bytes(data))
    (made / "files" / "data" / "files" / "ab" / "abcdef0123").unlink()

    check = procs.run(["verify-backup", "--quiet", str(made)], {})
    assert check.returncode != 0
    assert "内容不符 changed: files/archive/JHC/预算表.xlsx" in check.stderr
    assert "缺少 missing: files/data/files/ab/abcdef0123" in check.stderr

    wipe(settings, db, request)
    settings.data_dir.mkdir()
    target = connect(settings.database_url)
    try:
        with pytest.raises(backup.BackupError, match="nothing restored"):
            backup.restore(made, settings, target)
    finally:
        target.engine.dispose()
    assert not settings.archive_dir.exists()


def test_damaged_manifest_is_noticed(settings, db, tmp_path):
    made = backup.backup(settings, db, tmp_path / "b").path
    text = (made / "manifest.json").read_text(encoding="utf-8")
    (made / "manifest.json").write_text(text.replace('"size": ', '"size": 1', 1), encoding="utf-8")
    with pytest.raises(backup.BackupError, match="damaged"):
        backup.verify(made)


def test_restore_refuses_a_data_dir_or_database_in_use(settings, db, tmp_path):
    made = backup.backup(settings, db, tmp_path / "b").path
    with pytest.raises(backup.BackupError, match="not empty"):
        backup.restore(made, settings, db)  # the live database still has its tables
    with db.session() as session:  # and nothing was touched
        assert org.user_by_username(session, "director") is not None


def test_secrets_only_when_asked(settings, db, tmp_path):
    plain = backup.backup(settings, db, tmp_path / "plain").path
    assert not (plain / "files" / "data" / "secret_key").exists()
    written = tomllib.loads((plain / "settings.toml").read_text(encoding="utf-8"))
    assert written["secret_key"] == "" and written["demo_password"] == ""
    assert written["web"]["port"] == settings.web.port and written["organ_name"] == "示范市林业局"
    full = backup.backup(settings, db, tmp_path / "full", include_secrets=True).path
    assert (full / "files" / "data" / "secret_key").read_text().strip() == settings.secret_key
    assert settings.secret_key in (full / "settings.toml").read_text(encoding="utf-8")
    assert (full / "settings.toml").stat().st_mode & 0o077 == 0
