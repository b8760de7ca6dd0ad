"""Baseline: a bare Flask page and the signed-in home page through waitress, with concurrent clients."""

from __future__ import annotations

import http.client
import logging
import random
import re
import statistics
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from flask import Flask

import demo
from config import load_settings
from core import migrate
from core.db import connect
from intranet import create_app
from intranet.server import make_server

PASSWORD = "bench-password-1"


@contextmanager
def demo_bureau(prefix: str) -> Iterator[tuple[Any, Any]]:
    """Yield (settings, database) of a fresh demo bureau in a temporary data dir (SQLite), migrated and
    seeded with the demo accounts; the engine is disposed and the folder removed afterwards."""
    with tempfile.TemporaryDirectory(prefix=prefix) as tmp:
        settings = load_settings(env={"EOFFICE_DATA_DIR": str(Path(tmp) / "var"), "EOFFICE_DEMO_PASSWORD": PASSWORD})
        db = connect(settings.database_url)
        try:
            migrate.upgrade(db)
            with db.session() as s:
                demo.seed(s, data_dir=settings.data_dir, archive_dir=settings.archive_dir, password=PASSWORD)
            yield settings, db
        finally:
            db.engine.dispose()


@contextmanager
def generated_bureau(prefix: str, generate: Callable[[Any, random.Random], int],
                     out: dict[str, object]) -> Iterator[tuple[Any, Any]]:
    """`demo_bureau` filled by `generate(db, rnd)` (a fixed seed, so runs compare; returns how many items it
    made), timed into `out` ("items", "generate_s") and ANALYZEd, so the queries measured meet the
    planner's statistics."""
    with demo_bureau(prefix) as (settings, db):
        t0 = time.perf_counter()
        out["items"] = generate(db, random.Random(14))
        out["generate_s"] = round(time.perf_counter() - t0, 2)
        with db.engine.connect() as conn:
            conn.exec_driver_sql("ANALYZE")
        yield settings, db


def _serve(app: Flask) -> tuple[object, int]:
    server = make_server(app, "127.0.0.1", 0, threads=8)
    port = server.effective_port
    threading.Thread(target=server.run, daemon=True).start()
    return server, port


def percentiles(samples: list[float]) -> dict[str, float]:
    """Return p50 and p95 of latencies in seconds, as milliseconds."""
    ordered = sorted(samples)
    return {"p50_ms": round(1000 * statistics.median(ordered), 2),
            "p95_ms": round(1000 * ordered[max(0, round(0.95 * len(ordered)) - 1)], 2)}


def load(port: int, path: Callable[[], str], cookie: str, clients: int, per_client: int) -> dict[str, float]:
    """GET path() per_client times from each of `clients` threads; return throughput and latency."""
    latencies: list[float] = []
    lock = threading.Lock()
    errors: list[int] = []

    def client() -> None:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        mine = []
        for _ in range(per_client):
            t0 = time.perf_counter()
            conn.request("GET", path(), headers={"Cookie": cookie})
            resp = conn.getresponse()
            resp.read()
            if resp.status != 200:
                errors.append(resp.status)
            mine.append(time.perf_counter() - t0)
        conn.close()
        with lock:
            latencies.extend(mine)

    wall = concurrently(clients, client)
    if errors:
        raise RuntimeError(f"{len(errors)} requests failed, e.g. HTTP {errors[0]}")
    return {"requests": len(latencies), "rps": round(len(latencies) / wall, 1), **percentiles(latencies)}


def concurrently(clients: int, client: Callable[[], None]) -> float:
    """Run `client` in `clients` threads at once; return the wall time in seconds until all are done."""
    started = time.perf_counter()
    threads = [threading.Thread(target=client) for _ in range(clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return time.perf_counter() - started


def _login_cookie(port: int) -> str:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    conn.request("GET", "/login")
    resp = conn.getresponse()
    html = resp.read().decode()
    cookie = resp.getheader("Set-Cookie", "").split(";")[0]
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', html).group(1)
    body = urlencode({"username": "clerk", "password": PASSWORD, "csrf_token": token})
    conn.request("POST", "/login", body=body, headers={
        "Cookie": cookie, "Content-Type": "application/x-www-form-urlencoded"})
    resp = conn.getresponse()
    resp.read()
    assert resp.status == 302, resp.status
    return resp.getheader("Set-Cookie", "").split(";")[0]


def run(quick: bool = False) -> dict[str, object]:
    """Measure the bare page and the home page with 20 concurrent clients."""
    logging.getLogger("waitress.queue").setLevel(logging.ERROR)
    clients, per_client = (10, 20) if quick else (20, 100)
    with tempfile.TemporaryDirectory() as tmp:
        settings = load_settings(env={"EOFFICE_DATA_DIR": tmp, "EOFFICE_DEMO_PASSWORD": PASSWORD})
        db = connect(settings.database_url)
        migrate.upgrade(db)
        with db.session() as s:
            demo.seed(s, data_dir=Path(tmp), archive_dir=settings.archive_dir, password=PASSWORD)
        bare = Flask("bare")
        bare.add_url_rule("/", "bare", lambda: "ok")
        bare_server, bare_port = _serve(bare)
        app_server, app_port = _serve(create_app(settings, db=db))
        try:
            baseline = load(bare_port, lambda: "/", "", clients, per_client)
            cookie = _login_cookie(app_port)
            home = load(app_port, lambda: "/", cookie, clients, per_client)
        finally:
            bare_server.close()
            app_server.close()
            db.engine.dispose()
    return {
        "clients": clients,
        "bare_flask": baseline,
        "home_page": home,
        "home_p95_ratio_to_bare": round(home["p95_ms"] / baseline["p95_ms"], 2),
        "home_rps_ratio_to_bare": round(home["rps"] / baseline["rps"], 2),
    }
