"""A throwaway PostgreSQL cluster from Debian's packages: initdb + pg_ctl in a temp dir, 127.0.0.1, free port.

Used by the PostgreSQL pass of the test suite (tests/support/app.py) and by the scale benchmark. As root the
server runs as the `postgres` user (PostgreSQL refuses to run as root). Durability is switched off:
the cluster lives for one test session only.
"""

from __future__ import annotations

import contextlib
import glob
import os
import pwd
import shutil
import subprocess
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from tests.support import free_port

SUPERUSER = "postgres"


def bin_dir() -> Path | None:
    """Return the newest installed PostgreSQL server bin dir, or None."""
    candidates = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"), key=lambda p: int(p.split("/")[4]))
    override = os.environ.get("TEST_EOFFICE_PG_BIN")
    if override:
        return Path(override)
    return Path(candidates[-1]).parent if candidates else None




@dataclass
class PostgresServer:
    """A running cluster; `url(dbname)` gives a SQLAlchemy URL for one of its databases."""

    root: Path
    port: int
    bin: Path
    run_as: str | None

    @property
    def data(self) -> Path:
        return self.root / "data"

    def url(self, dbname: str = "postgres") -> str:
        return f"postgresql+psycopg://{SUPERUSER}@127.0.0.1:{self.port}/{dbname}"

    def stop(self) -> None:
        """Stop the server (fast shutdown) and remove its directory."""
        with contextlib.suppress(subprocess.SubprocessError, OSError):
            _run(self._cmd("pg_ctl", "-D", str(self.data), "-m", "immediate", "-w", "-t", "30", "stop"),
                 self.run_as, check=False)
        shutil.rmtree(self.root, ignore_errors=True)

    def _cmd(self, tool: str, *args: str) -> list[str]:
        return [str(self.bin / tool), *args]


def start(prefix: str = "eoffice-pg-") -> PostgresServer:
    """Create a cluster in a fresh temp dir, start it on a free port and wait until it accepts connections."""
    pg_bin = bin_dir()
    if pg_bin is None:
        raise RuntimeError("PostgreSQL server binaries not found: apt-get install postgresql (make test does)")
    run_as = SUPERUSER if os.geteuid() == 0 else None
    # Not under pytest's 0700 temp dirs: the postgres user must be able to reach its data dir.
    root = Path(tempfile.mkdtemp(prefix=prefix))
    root.chmod(0o755)
    if run_as:
        user = pwd.getpwnam(run_as)
        os.chown(root, user.pw_uid, user.pw_gid)
    data = root / "data"
    _run([str(pg_bin / "initdb"), "-D", str(data), "-U", SUPERUSER, "--auth=trust", "-E", "UTF8",
          "--locale=C.UTF-8", "--no-sync"], run_as)
    port = free_port()
    options = " ".join([
        "-c listen_addresses=127.0.0.1", f"-c port={port}", f"-c unix_socket_directories={root}",
        "-c fsync=off", "-c synchronous_commit=off", "-c full_page_writes=off",
        "-c max_connections=300", "-c shared_buffers=64MB", "-c log_min_messages=warning",
    ])
    server = PostgresServer(root=root, port=port, bin=pg_bin, run_as=run_as)
    try:
        _run(server._cmd("pg_ctl", "-D", str(data), "-l", str(root / "server.log"), "-o", options,
                         "-w", "-t", "60", "start"), run_as)
        _wait_ready(server)
    except BaseException:
        log = (root / "server.log").read_text(errors="replace")[-2000:] if (root / "server.log").exists() else ""
        server.stop()
        raise RuntimeError(f"PostgreSQL did not start:\n{log}") from None
    return server


def _wait_ready(server: PostgresServer, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while True:
        done = subprocess.run(server._cmd("pg_isready", "-h", "127.0.0.1", "-p", str(server.port)),
                              capture_output=True, check=False)
        if done.returncode == 0:
            return
        if time.monotonic() > deadline:
            raise RuntimeError("pg_isready kept failing")
        time.sleep(0.1)


def _run(cmd: list[str], run_as: str | None, *, check: bool = True) -> subprocess.CompletedProcess[bytes]:
    if run_as:
        cmd = ["runuser", "-u", run_as, "--", *cmd]
    done = subprocess.run(cmd, capture_output=True, check=False, cwd="/")
    if check and done.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd)} failed ({done.returncode}):\n{done.stderr.decode(errors='replace')}")
    return done
