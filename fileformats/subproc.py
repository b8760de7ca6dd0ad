"""Run an outside program (pdftotext, LibreOffice, tesseract) on an untrusted file, within limits.

Every such run gets, in the child before exec: an address-space limit (RLIMIT_AS), a CPU-time limit, a
file-size limit for what it writes, its own process group (so a timeout kills everything it started),
and PR_SET_PDEATHSIG, so it dies with its parent when the parent is killed (an extraction child killed at
its deadline leaves no orphaned converter at 100% CPU).
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import resource
import signal
import subprocess
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

_PR_SET_PDEATHSIG = 1
# The most a web request waits for a child it starts (a page count, a paragraph read, a 来文 read, a
# PDF probe): past it the request answers at once and the work is left to the worker or to the person
# (docs/production.md, "Work inside a request").
IN_REQUEST_SECONDS = 2.0


class LimitExceeded(RuntimeError):
    """The program ran past its time limit and was killed with its whole process group."""


@dataclass(frozen=True)
class Finished:
    """How a limited run ended: exit code (negative: killed by that signal), stdout and stderr bytes."""

    returncode: int
    stdout: bytes
    stderr: bytes


def _limits(memory_mb: int, cpu_seconds: int, output_mb: int) -> None:
    # Runs in the child between fork and exec: only async-signal-safe work.
    os.setsid()
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL(None, use_errno=True).prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
    # Never above the limits this process already has (an unprivileged process cannot raise them): a
    # limited child may itself start a limited program (the 套红 child runs LibreOffice).
    if memory_mb:
        _lower(resource.RLIMIT_AS, memory_mb << 20, memory_mb << 20)
    if cpu_seconds:
        _lower(resource.RLIMIT_CPU, cpu_seconds, cpu_seconds + 5)
    if output_mb:
        _lower(resource.RLIMIT_FSIZE, output_mb << 20, output_mb << 20)


def _lower(which: int, soft: int, hard: int) -> None:
    current = resource.getrlimit(which)[1]
    if current != resource.RLIM_INFINITY:
        soft, hard = min(soft, current), min(hard, current)
    resource.setrlimit(which, (soft, hard))


def run_limited(command: Sequence[str], *, timeout: float, memory_mb: int = 1024, output_mb: int = 512,
                cwd: Path | None = None, env: dict[str, str] | None = None,
                nice: int = 0) -> Finished:
    """Run `command` with the limits above; return how it finished.

    `timeout` is wall-clock seconds; at the deadline the whole process group gets SIGKILL and
    LimitExceeded is raised. `memory_mb` limits each process's address space (MB), `output_mb` the
    size of any file it writes. Raises FileNotFoundError when the program is not installed.
    """
    cpu = int(timeout) + 1

    def before_exec() -> None:
        _limits(memory_mb, cpu, output_mb)
        if nice:
            os.nice(nice)

    process = subprocess.Popen(list(command), stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, cwd=cwd, env=env, preexec_fn=before_exec,
                               close_fds=True)
    try:
        out, err = process.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        kill_group(process)
        raise LimitExceeded(f"{Path(command[0]).name} ran longer than {timeout:g} s") from None
    except BaseException:
        kill_group(process)
        raise
    finally:
        # Whatever the program left behind in its group (a forked helper) goes with it.
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(process.pid, signal.SIGKILL)
    return Finished(process.returncode, out, err)


def kill_group(process: subprocess.Popen[bytes]) -> None:
    """SIGKILL the process group of `process` (started by run_limited) and reap the leader."""
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(process.pid, signal.SIGKILL)
    with contextlib.suppress(subprocess.TimeoutExpired):
        process.communicate(timeout=5)
