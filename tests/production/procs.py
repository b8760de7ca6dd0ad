"""Run `eoffice` subcommands as real subprocesses with a clean EOFFICE_* environment."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

EOFFICE = str(Path(sys.executable).with_name("eoffice"))


def clean_env(extra: dict[str, str]) -> dict[str, str]:
    """The current environment without any EOFFICE_* variable, plus `extra`."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("EOFFICE_")}
    env.update(extra)
    return env


def run(args: list[str], env: dict[str, str], timeout: float = 120, **kw: object) -> subprocess.CompletedProcess[str]:
    """Run `eoffice ARGS` to completion and return the result (text output)."""
    return subprocess.run([EOFFICE, *args], env=clean_env(env), capture_output=True, text=True,
                          timeout=timeout, check=False, **kw)


def spawn(args: list[str], env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    """Start `eoffice ARGS` in the background, its output in `log`."""
    with log.open("wb") as out:
        return subprocess.Popen([EOFFICE, *args], env=clean_env(env), stdout=out, stderr=subprocess.STDOUT,
                                start_new_session=True)


def stop(process: subprocess.Popen[bytes], timeout: float = 15) -> int:
    """SIGTERM the process (kill it after `timeout`) and return its exit code."""
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(5)
    return process.returncode

