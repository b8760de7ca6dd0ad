"""`eoffice web` under gunicorn: worker processes from settings, the desk's address behind nginx, key=value logs."""

from __future__ import annotations

import http.cookiejar
import os
import re
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

import pytest
from sqlalchemy import select

from core import audit
from core.models import AuditEvent
from tests.production import procs
from tests.support import free_port, wait_for
from tests.support.app import DEMO_PASSWORD, csrf_from, settings_env


def children_of(pid: int) -> list[int]:
    """PIDs whose parent is `pid` (read from /proc)."""
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            if int(stat.rpartition(")")[2].split()[1]) == pid:
                found.append(int(entry.name))
    return found


def healthy(url: str) -> bool:
    try:
        with urllib.request.urlopen(url + "/healthz", timeout=2) as resp:
            return resp.status == 200
    except OSError:
        return False


@pytest.mark.slow
def test_gunicorn_serves_with_workers_from_settings_behind_a_proxy(settings, db, tmp_path):
    port = free_port()
    env = {**settings_env(settings), "EOFFICE_WEB_WORKERS": "2", "EOFFICE_WEB_PROXIES": "1"}
    log = tmp_path / "web.log"
    web = procs.spawn(["web", "--host", "127.0.0.1", "--port", str(port)], env, log)
    url = f"http://127.0.0.1:{port}"
    try:
        wait_for(lambda: web.poll() is not None or healthy(url), timeout=60, what="gunicorn")
        assert web.poll() is None, log.read_text()
        wait_for(lambda: len(children_of(web.pid)) == 2, timeout=30, what="two gunicorn workers")

        # A browser session through "nginx": the desk's address arrives in X-Forwarded-For.
        jar = http.cookiejar.CookieJar()
        opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
        opener.addheaders = [("X-Forwarded-For", "10.20.30.40")]
        token = csrf_from(opener.open(url + "/login", timeout=10).read().decode())
        form = urllib.parse.urlencode({"username": "lz_staff", "password": "wrong", "csrf_token": token}).encode()
        try:
            opener.open(url + "/login", data=form, timeout=10)
            raise AssertionError("a wrong password must be refused")
        except urllib.error.HTTPError as exc:
            assert exc.code == 401
        form = urllib.parse.urlencode({"username": "lz_staff", "password": DEMO_PASSWORD,
                                       "csrf_token": token}).encode()
        home = opener.open(url + "/login", data=form, timeout=10).read().decode()
        assert "陈晓明" in home

        with db.session() as session:
            failure = session.scalar(select(AuditEvent).where(AuditEvent.kind == audit.LOGIN_FAILURE))
            assert failure is not None and failure.address == "10.20.30.40"
    finally:
        code = procs.stop(web, timeout=40)
    assert code == 0, log.read_text()
    text = log.read_text()
    assert re.search(r"INFO gunicorn\.error pid=\d+ Booting worker", text)
    assert 'remote=10.20.30.40 method=POST path="/login" query="" status=401' in text
    assert not [pid for pid in children_of(web.pid) if os.path.exists(f"/proc/{pid}")]


def test_web_refuses_an_old_schema(settings, db, tmp_path):
    from sqlalchemy import text

    # As if one feature's migration had not been applied yet (the code is newer than the database).
    with db.engine.begin() as connection:
        newest = connection.execute(text("SELECT max(version_num) FROM alembic_version")).scalar_one()
        connection.execute(text("DELETE FROM alembic_version WHERE version_num = :v"), {"v": newest})
    db.engine.dispose()
    done = procs.run(["web", "--port", str(free_port())], settings_env(settings), timeout=60)
    assert done.returncode != 0
    assert "eoffice db upgrade" in done.stderr
