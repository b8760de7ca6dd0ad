"""Scale run on the production stack: PostgreSQL, `eoffice web` under gunicorn (2 workers), `eoffice worker`.

Steps: a throwaway PostgreSQL cluster; the demo bureau; documents, route steps, assignments and actions
cloned in bulk inside PostgreSQL (INSERT ... SELECT generate_series); archive files written to the
archive folder; a full index rebuild (`eoffice index rebuild`) with its process tree's RSS sampled;
then 50 concurrent clients on three pages of the same gunicorn server: a bare Flask page (the
baseline), 待办 (/documents/) and search (/search/?q=...). Figures are plain numbers; latencies in ms.

Sizes: quick mode is a smoke run (about a minute). Full mode uses the issue's 100k documents and
1M actions; archive files default to 5k: the rebuild extracts every file in sandboxed child processes,
and the issue's 200k take hours on two shared cores (measured rate in docs/production.md); set
EOFFICE_BENCH_ARCHIVE_FILES=200000 on a real server for that figure.
"""

from __future__ import annotations

import http.client
import os
import random
import re
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlencode

from sqlalchemy import select, text

from bench.web import concurrently

ROOT = Path(__file__).resolve().parents[1]
PASSWORD = "bench-Passw0rd-1"
BARE_PATH = "/bench/bare"
QUERY = "森林防火"


@dataclass(frozen=True)
class Scale:
    documents: int
    actions_per_document: int
    archive_files: int
    clients: int
    seconds: float


QUICK = Scale(documents=2_000, actions_per_document=10, archive_files=200, clients=50, seconds=3.0)
FULL = Scale(documents=100_000, actions_per_document=10, archive_files=5_000, clients=50, seconds=15.0)


def run(quick: bool = False) -> dict[str, Any]:
    """Build the installation, load it, measure; return the figures."""
    from tests.production import pgserver

    scale = QUICK if quick else FULL
    files = int(os.environ.get("EOFFICE_BENCH_ARCHIVE_FILES", scale.archive_files))
    scale = Scale(scale.documents, scale.actions_per_document, files, scale.clients, scale.seconds)
    server = pgserver.start(prefix="eoffice-bench-pg-")
    work = Path(tempfile.mkdtemp(prefix="eoffice-bench-"))
    started: list[subprocess.Popen[bytes]] = []
    try:
        env = _prepare(server, work)
        out: dict[str, Any] = {"scale": scale.__dict__, "postgresql": _pg_version(server)}
        out["populate"] = _populate(env, scale)
        out["index_rebuild"] = _rebuild(env, work)
        worker = _spawn([str(Path(sys.executable).with_name("eoffice")), "worker"], env, work / "worker.log")
        started.append(worker)
        port = pgserver.free_port()
        web = _spawn([sys.executable, "-m", "bench.production", "serve", str(port)], env, work / "web.log")
        started.append(web)
        _wait_http(port, web, work / "web.log")
        out["pages"] = _measure(port, scale)
        out["worker_rss_mb_under_load"] = round(_rss_tree(worker.pid) / 1e6, 1)
        return out
    finally:
        for process in reversed(started):
            _stop(process)
        server.stop()
        subprocess.run(["rm", "-rf", str(work)], check=False)


# ---- setup ----------------------------------------------------------------------------------------


def _prepare(server: Any, work: Path) -> dict[str, str]:
    import psycopg

    import demo
    from config import load_settings
    from core import migrate
    from core.db import connect

    with psycopg.connect(host="127.0.0.1", port=server.port, user="postgres", dbname="postgres",
                         autocommit=True) as conn:
        conn.execute("CREATE DATABASE eoffice")
    env = {
        "EOFFICE_DATA_DIR": str(work / "var"),
        "EOFFICE_DATABASE_URL": server.url("eoffice"),
        "EOFFICE_DEMO_PASSWORD": PASSWORD,
        "EOFFICE_WEB_WORKERS": "2",
    }
    settings = load_settings(env=env)
    env["EOFFICE_SECRET_KEY"] = settings.secret_key
    db = connect(settings.database_url)
    try:
        migrate.upgrade(db)
        with db.session() as session:
            demo.seed(session, data_dir=settings.data_dir, archive_dir=settings.archive_dir, password=PASSWORD)
    finally:
        db.engine.dispose()
    return env


def _populate(env: dict[str, str], scale: Scale) -> dict[str, Any]:
    """Bulk rows inside PostgreSQL, archive files on disk; returns counts and seconds."""
    from config import load_settings
    from core.db import connect
    from core.models import User
    from core.models.documents import Document, DocumentAction, RouteStep, RouteTemplate, StepAssignment

    settings = load_settings(env=env)
    db = connect(settings.database_url)
    t0 = time.perf_counter()
    try:
        with db.session() as s:
            users = {u.username: u for u in s.scalars(select(User))}
            template = s.scalars(select(RouteTemplate).order_by(RouteTemplate.id)).first()
            assert template is not None, "the demo bureau has no route template"
            drafter = users["lz_staff"]
            doc = Document(kind=template.kind, title="关于做好森林防火工作的通知", department_id=drafter.department_id,
                           drafter_id=drafter.id, template_id=template.id, state="in_progress")
            s.add(doc)
            s.flush()
            step = RouteStep(document_id=doc.id, route_round=1, position=1, key="review", name="部门审核",
                             kind="approve", spec={}, state="active")
            s.add(step)
            s.flush()
            assignment = StepAssignment(step_id=step.id, document_id=doc.id, user_id=users["lz_head"].id,
                                        department_id=drafter.department_id, state="pending")
            action = DocumentAction(document_id=doc.id, action="submit", actor_id=drafter.id, opinion="请审核")
            s.add_all([assignment, action])
            s.flush()
            proto = {"doc": doc.id, "step": step.id, "assignment": assignment.id, "action": action.id}
        user_ids = sorted(u.id for u in users.values())
        n, per = scale.documents - 1, scale.actions_per_document
        with db.engine.begin() as conn:
            _clone(conn, "document", proto["doc"], n, {
                "title": "'关于' || g || '号文件：森林防火与造林绿化工作的通知'",
                "urgency": "CASE WHEN g % 50 = 0 THEN 'urgent' ELSE 'normal' END",
                "created_at": "now() - (g || ' minutes')::interval",
                "updated_at": "now() - (g || ' minutes')::interval",
            })
            _clone(conn, "route_step", proto["step"], n, {"document_id": f"{proto['doc']} + g"})
            # Every step has an assignee, 1 in 20 the 办公室 head, whose 待办 is measured. 2% are still
            # pending (work in progress); the rest were done long ago: about 100 pending items for him.
            pick = f"(ARRAY{user_ids})[1 + (g % {len(user_ids)})]"
            head = users["office_head"].id
            _clone(conn, "step_assignment", proto["assignment"], n, {
                "step_id": f"{proto['step']} + g", "document_id": f"{proto['doc']} + g",
                "user_id": f"CASE WHEN g % 20 = 0 THEN {head} ELSE {pick} END",
                "state": "CASE WHEN g % 1000 < 20 THEN 'pending' ELSE 'done' END",
                "created_at": "now() - (g || ' minutes')::interval",
            })
            _clone(conn, "document_action", proto["action"], n, {
                "document_id": f"{proto['doc']} + g",
                "action": "CASE WHEN a = 1 THEN 'submit' ELSE 'approve' END",
                "actor_id": pick.replace("g %", "(g + a) %"),
                "opinion": "'同意。请' || a || '号经办人阅处'",
                "at": "now() - ((g * 10 + a) || ' minutes')::interval",
            }, per_copy=per)
            for table in ("document", "route_step", "step_assignment", "document_action"):
                conn.execute(text(
                    f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT max(id) FROM {table}))"))
            conn.execute(text("ANALYZE"))
        rows_seconds = time.perf_counter() - t0
        t1 = time.perf_counter()
        _archive_files(settings.archive_dir, scale.archive_files)
        with db.session() as s:
            counts = {t: s.scalar(text(f"SELECT count(*) FROM {t}"))
                      for t in ("document", "step_assignment", "document_action")}
    finally:
        db.engine.dispose()
    return {**counts, "archive_files": scale.archive_files, "rows_seconds": round(rows_seconds, 1),
            "files_seconds": round(time.perf_counter() - t1, 1)}


def _clone(conn: Any, table: str, source_id: int, n: int, overrides: dict[str, str], per_copy: int = 1) -> None:
    """Insert n (x per_copy) copies of row `source_id` of `table` with fresh ids.

    `overrides` are SQL expressions over g = 1..n (and a = 1..per_copy); other columns keep the source's
    values, so columns added by later migrations are filled too.
    """
    columns = [r[0] for r in conn.execute(text(
        "SELECT column_name FROM information_schema.columns WHERE table_name = :t ORDER BY ordinal_position"
    ), {"t": table})]
    picked = [c for c in columns if c != "id"]
    values = [overrides.get(c, f"src.{c}") for c in picked]
    conn.execute(text(
        f"INSERT INTO {table} (id, {', '.join(picked)}) SELECT {source_id} + (g - 1) * {per_copy} + a,"
        f" {', '.join(values)} FROM {table} src CROSS JOIN generate_series(1, {n}) g"
        f" CROSS JOIN generate_series(1, {per_copy}) a WHERE src.id = {source_id}"
    ))


def _archive_files(archive_dir: Path, count: int) -> None:
    import demo

    texts = [(demo.DEMO_DATA / source).read_text(encoding="utf-8") for source, *_ in demo.ARCHIVE_FILES]
    paragraphs = [p.strip() for t in texts for p in t.split("\n") if len(p.strip()) > 20]
    rng = random.Random(8)
    departments = ["LZC", "BGS", "ZLC", "FHB", "公开"]
    for i in range(count):
        folder = archive_dir / departments[i % len(departments)] / str(2015 + i % 10)
        folder.mkdir(parents=True, exist_ok=True)
        body = "\n".join(rng.sample(paragraphs, k=min(3, len(paragraphs))))
        (folder / f"材料{i:06d}.txt").write_text(f"第{i}号材料\n{body}\n", encoding="utf-8")


def _pg_version(server: Any) -> str:
    import psycopg

    with psycopg.connect(host="127.0.0.1", port=server.port, user="postgres", dbname="postgres") as conn:
        return str(conn.execute("SHOW server_version").fetchone()[0])


# ---- index rebuild --------------------------------------------------------------------------------


def _rebuild(env: dict[str, str], work: Path) -> dict[str, Any]:
    """Run `eoffice index rebuild` and sample the RSS of its process tree (extraction children included)."""
    process = _spawn([str(Path(sys.executable).with_name("eoffice")), "index", "rebuild"], env, work / "rebuild.log")
    peak_tree = peak_main = 0
    t0 = time.perf_counter()
    while process.poll() is None:
        peak_tree = max(peak_tree, _rss_tree(process.pid))
        peak_main = max(peak_main, _rss(process.pid))
        time.sleep(0.2)
    seconds = time.perf_counter() - t0
    if process.returncode != 0:
        raise RuntimeError(f"index rebuild failed:\n{(work / 'rebuild.log').read_text()[-2000:]}")
    return {"seconds": round(seconds, 1), "peak_rss_mb_main": round(peak_main / 1e6, 1),
            "peak_rss_mb_tree": round(peak_tree / 1e6, 1)}


def _rss(pid: int) -> int:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
    except OSError:
        pass
    return 0


def _rss_tree(pid: int) -> int:
    parents: dict[int, int] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                parents[int(entry.name)] = int((entry / "stat").read_text().rpartition(")")[2].split()[1])
            except (OSError, ValueError, IndexError):
                continue
    tree, frontier = {pid}, [pid]
    while frontier:
        parent = frontier.pop()
        for child, ppid in parents.items():
            if ppid == parent and child not in tree:
                tree.add(child)
                frontier.append(child)
    return sum(_rss(p) for p in tree)


# ---- load -----------------------------------------------------------------------------------------


def _measure(port: int, scale: Scale) -> dict[str, Any]:
    head = _login(port, "office_head")
    staff = _login(port, "lz_staff")
    pages = {
        "bare": (BARE_PATH, head),
        "todo": ("/documents/", head),
        "search": (f"/search/?q={quote(QUERY)}", staff),
    }
    results = {}
    for name, (path, cookie) in pages.items():
        _load(port, path, cookie, 4, 1.0)  # warm up every gunicorn worker and thread
        results[name] = _load(port, path, cookie, scale.clients, scale.seconds)
    bare = results["bare"]
    for name in ("todo", "search"):
        results[name]["p95_ratio_to_bare"] = round(results[name]["p95_ms"] / max(bare["p95_ms"], 0.001), 1)
        results[name]["throughput_ratio_to_bare"] = round(results[name]["rps"] / max(bare["rps"], 0.001), 3)
    return results


def _login(port: int, username: str) -> str:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    conn.request("GET", "/login")
    resp = conn.getresponse()
    page = resp.read().decode()
    cookie = (resp.getheader("Set-Cookie") or "").split(";")[0]
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page)
    assert token, "no CSRF token on /login"
    body = urlencode({"username": username, "password": PASSWORD, "csrf_token": token.group(1)})
    conn.request("POST", "/login", body=body, headers={"Cookie": cookie,
                                                      "Content-Type": "application/x-www-form-urlencoded"})
    resp = conn.getresponse()
    resp.read()
    assert resp.status == 302, f"login of {username} answered {resp.status}"
    conn.close()
    return (resp.getheader("Set-Cookie") or cookie).split(";")[0]


def _load(port: int, path: str, cookie: str, clients: int, seconds: float) -> dict[str, Any]:
    latencies: list[float] = []
    errors = [0]
    lock = threading.Lock()
    deadline = time.perf_counter() + seconds

    def client() -> None:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        mine, failed = [], 0
        while time.perf_counter() < deadline:
            t0 = time.perf_counter()
            try:
                conn.request("GET", path, headers={"Cookie": cookie})
                resp = conn.getresponse()
                resp.read()
                ok = resp.status == 200
            except (OSError, http.client.HTTPException):
                conn.close()
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
                ok = False
            if ok:
                mine.append(time.perf_counter() - t0)
            else:
                failed += 1
        conn.close()
        with lock:
            latencies.extend(mine)
            errors[0] += failed

    wall = concurrently(clients, client)
    latencies.sort()

    def pct(p: float) -> float:
        return round(latencies[min(len(latencies) - 1, int(p * len(latencies)))] * 1000, 1) if latencies else 0.0

    return {"requests": len(latencies), "errors": errors[0], "rps": round(len(latencies) / wall, 1),
            "p50_ms": pct(0.50), "p95_ms": pct(0.95)}


# ---- processes ------------------------------------------------------------------------------------


def _spawn(cmd: list[str], env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    full = {k: v for k, v in os.environ.items() if not k.startswith("EOFFICE_")}
    full.update(env)
    with log.open("wb") as out:
        return subprocess.Popen(cmd, env=full, cwd=ROOT, stdout=out, stderr=subprocess.STDOUT,
                                start_new_session=True)


def _stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(40)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(5)


def _wait_http(port: int, process: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"web exited:\n{log.read_text()[-2000:]}")
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            conn.request("GET", BARE_PATH)
            if conn.getresponse().status == 200:
                return
        except OSError:
            pass
        time.sleep(0.2)
    raise RuntimeError("web did not answer within 90 s")


def serve(port: int) -> None:
    """Run `eoffice web`'s gunicorn setup with one extra bare page (the baseline), from EOFFICE_* settings."""
    from config import load_settings
    from intranet import logs
    from intranet.access import public
    from intranet.app import create_app
    from intranet.server import gunicorn_options, serve_gunicorn

    logs.setup("WARNING")
    settings = load_settings()

    @public
    def bare() -> str:
        return "ok"

    def factory():
        app = create_app(settings)
        app.add_url_rule(BARE_PATH, "bench_bare", bare)
        return app

    options = gunicorn_options(settings, "127.0.0.1", port, settings.web.workers)
    options["accesslog"] = None  # 50 clients' access lines would measure the log, not the app
    serve_gunicorn(factory, options)


if __name__ == "__main__":
    if len(sys.argv) == 3 and sys.argv[1] == "serve":
        serve(int(sys.argv[2]))
    else:
        import json

        print(json.dumps(run(quick="--quick" in sys.argv), indent=1, ensure_ascii=False))
