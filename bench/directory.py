"""Directory login p50/p95 (search-then-bind + who-am-i + groups + user upsert) and sync throughput.

Runs against a local slapd started here (tests/directory/slapd.py), with N generated users in one OU,
every user in one big group and every tenth in a nested leader group.
"""

from __future__ import annotations

import statistics
import tempfile
import time
from pathlib import Path

import demo
from config import load_settings
from core import migrate
from core.db import connect
from directory import client, presets
from directory import sync as directory_sync
from tests.directory.bureau import directory_section, to_toml
from tests.directory.slapd import GROUPS, PEOPLE, Slapd, group, person

PASSWORD = "bench-Pass-123"


def _people(n: int) -> str:
    depts = ["林政资源管理处", "造林绿化处", "办公室"]
    return "\n".join(person(f"user{i:05d}", f"测试用户{i:05d}", PASSWORD, department=depts[i % 3])
                     for i in range(n))


def _groups(n: int) -> str:
    members = [f"uid=user{i:05d},{PEOPLE}" for i in range(n)]
    return "\n".join([
        group("eoffice-users", members),
        group("党组成员", members[::10]),
        group("局领导", [f"cn=党组成员,{GROUPS}"]),
    ])


def _percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


def run(quick: bool = False) -> dict:
    """Measure login latency and sync throughput; return plain numbers."""
    users = 1000 if quick else 5000
    logins = 100 if quick else 300
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        started = time.perf_counter()
        slapd = Slapd(root / "slapd").start(_people(users))
        slapd.modify(_groups(users), add=True)
        seed_seconds = time.perf_counter() - started
        try:
            conf = root / "directory.toml"
            conf.write_text(to_toml({"directory": directory_section([slapd.url], page_size=500)}), encoding="utf-8")
            settings = load_settings(env={"EOFFICE_DATA_DIR": str(root / "var"), "EOFFICE_CONFIG": str(conf),
                                          "EOFFICE_DEMO_PASSWORD": "bench-password-1"})
            db = connect(settings.database_url)
            migrate.upgrade(db)
            with db.session() as session:
                demo.seed(session, data_dir=settings.data_dir, archive_dir=settings.archive_dir,
                          password="bench-password-1")
            config = presets.resolve(settings.directory)

            started = time.perf_counter()
            report = directory_sync.sync_all(db, config, trigger="cli")
            sync_seconds = time.perf_counter() - started
            started = time.perf_counter()
            directory_sync.sync_all(db, config, trigger="cli")
            resync_seconds = time.perf_counter() - started

            timings: list[float] = []
            for i in range(logins):
                name = f"user{(i * 37) % users:05d}"
                t0 = time.perf_counter()
                person_entry = client.authenticate(config, name, PASSWORD)
                with db.session() as session:
                    directory_sync.apply_person(session, config, person_entry)
                timings.append((time.perf_counter() - t0) * 1000)
            db.engine.dispose()
        finally:
            slapd.stop()
    return {
        "users": users,
        "slapd_seed_seconds": round(seed_seconds, 2),
        "sync_created": report.created,
        "sync_seconds": round(sync_seconds, 2),
        "sync_users_per_second": round(users / sync_seconds, 1),
        "resync_users_per_second": round(users / resync_seconds, 1),
        "logins": logins,
        "login_p50_ms": round(statistics.median(timings), 2),
        "login_p95_ms": round(_percentile(timings, 0.95), 2),
        "login_max_ms": round(max(timings), 2),
    }


if __name__ == "__main__":
    import json
    import sys

    print(json.dumps(run(quick="--quick" in sys.argv), indent=2))
