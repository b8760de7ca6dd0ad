"""A private cupsd for tests: 127.0.0.1, a free port, every path in a fresh temp dir, stopped by PID.

Queues use two backends of our own in a private ServerBin: `capture` copies each job's file and its
user/title/copies/options into a 1777 folder (a raw `file://` queue would write nothing), `jam` fails
like a paper jam (exit 4 + STATE: +media-jam-error), which stops the printer.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import tempfile
import time
from pathlib import Path

from tests.support import free_port

CAPTURE = r"""#!/bin/sh
# eoffice test backend: keep what was printed.
if [ $# -eq 0 ]; then echo 'direct capture "Unknown" "eoffice capture backend"'; exit 0; fi
out="${DEVICE_URI#capture:}"
name="$PRINTER-$1"
if [ -n "$6" ]; then cp "$6" "$out/$name.data"; else cat > "$out/$name.data"; fi
printf '%s\n%s\n%s\n%s\n' "$2" "$3" "$4" "$5" > "$out/$name.tmp"
mv "$out/$name.tmp" "$out/$name.meta"
exit 0
"""

JAM = r"""#!/bin/sh
# eoffice test backend: a printer with a paper jam.
if [ $# -eq 0 ]; then echo 'direct jam "Unknown" "eoffice jam backend"'; exit 0; fi
cat > /dev/null 2>&1
echo "STATE: +media-jam-error" >&2
echo "ERROR: 卡纸 paper jam" >&2
exit 4
"""




class Cupsd:
    """One cupsd process with its own config, queues and capture folder."""

    def __init__(self) -> None:
        # Not under pytest's 0700 tmp: backends run as user lp and must reach the capture folder.
        self.root = Path(tempfile.mkdtemp(prefix="eoffice-cupsd-"))
        self.root.chmod(0o755)
        self.out = self.root / "out"
        self.out.mkdir()
        self.out.chmod(0o1777)
        self.port = free_port()
        self.server = f"127.0.0.1:{self.port}"
        self.proc: subprocess.Popen[bytes] | None = None
        self._configure()

    def _configure(self) -> None:
        r = self.root
        for d in ("spool", "spool/tmp", "cache", "state", "log", "ppd", "bin/backend"):
            (r / d).mkdir(parents=True, exist_ok=True)
        (r / "spool").chmod(0o710)
        (r / "spool/tmp").chmod(0o1777)
        for sub in ("filter", "cgi-bin", "daemon", "notifier", "monitor", "driver"):
            src = Path("/usr/lib/cups") / sub
            if src.exists():
                (r / "bin" / sub).symlink_to(src)
        for name, text in (("capture", CAPTURE), ("jam", JAM)):
            path = r / "bin/backend" / name
            path.write_text(text)
            path.chmod(0o755)
        (r / "cupsd.conf").write_text(
            f"Listen 127.0.0.1:{self.port}\n"
            "Browsing Off\nWebInterface No\nLogLevel warn\nDefaultAuthType None\n"
            "JobRetryLimit 0\nMaxJobs 0\nPreserveJobHistory Yes\n"
            "<Location />\n  Order allow,deny\n  Allow all\n</Location>\n"
            "<Location /admin>\n  Order allow,deny\n  Allow all\n</Location>\n"
            "<Policy default>\n  <Limit All>\n    Order deny,allow\n    Allow all\n  </Limit>\n</Policy>\n"
        )
        (r / "cups-files.conf").write_text(
            f"ServerRoot {r}\nRequestRoot {r}/spool\nTempDir {r}/spool/tmp\nCacheDir {r}/cache\n"
            f"StateDir {r}/state\nServerBin {r}/bin\nErrorLog {r}/log/error_log\n"
            f"AccessLog {r}/log/access_log\nPageLog {r}/log/page_log\n"
            "User lp\nGroup lp\nSystemGroup root\nFileDevice Yes\n"
        )

    @property
    def env(self) -> dict[str, str]:
        return {**os.environ, "CUPS_SERVER": self.server}

    def start(self) -> Cupsd:
        self.proc = subprocess.Popen(
            ["cupsd", "-f", "-c", str(self.root / "cupsd.conf"), "-s", str(self.root / "cups-files.conf")],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"cupsd exited: {self.log()}")
            ok = subprocess.run(["lpstat", "-r"], env=self.env, capture_output=True, text=True)
            if "is running" in ok.stdout:
                return self
            time.sleep(0.05)
        raise RuntimeError("cupsd did not become ready")

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGCONT)
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)
        self.proc = None

    def freeze(self) -> None:
        assert self.proc is not None
        self.proc.send_signal(signal.SIGSTOP)

    def thaw(self) -> None:
        assert self.proc is not None
        self.proc.send_signal(signal.SIGCONT)

    def cleanup(self) -> None:
        self.stop()
        shutil.rmtree(self.root, ignore_errors=True)

    def add_queue(self, name: str, backend: str = "capture") -> None:
        uri = f"capture:{self.out}" if backend == "capture" else "jam:/"
        subprocess.run(
            ["lpadmin", "-h", self.server, "-p", name, "-E", "-v", uri, "-m", "raw"],
            check=True, capture_output=True, env=self.env,
        )

    def add_class(self, name: str, members: list[str]) -> None:
        for m in members:
            subprocess.run(["lpadmin", "-h", self.server, "-p", m, "-c", name], check=True,
                           capture_output=True, env=self.env)
        for cmd in (["cupsenable", name], ["cupsaccept", name]):
            subprocess.run([*cmd, "-h", self.server], check=True, capture_output=True, env=self.env)

    def captured(self, queue: str | None = None) -> list[dict[str, object]]:
        """Return every job the capture backend printed (optionally on one queue), oldest first."""
        out = []
        for meta in sorted(self.out.glob("*.meta"), key=lambda p: p.stat().st_mtime):
            q, _, job = meta.stem.rpartition("-")
            if queue is not None and q != queue:
                continue
            user, title, copies, options = [*meta.read_text().split("\n"), "", "", "", ""][:4]
            out.append({
                "queue": q, "job_id": int(job), "user": user, "title": title, "copies": copies,
                "options": options, "data": meta.with_suffix(".data").read_bytes(),
            })
        return out

    def log(self) -> str:
        path = self.root / "log" / "error_log"
        return path.read_text(errors="replace")[-3000:] if path.exists() else ""

    def describe(self) -> str:
        return json.dumps({"server": self.server, "root": str(self.root)})
