"""Print backends behind one Protocol: CUPS (printing.cups_backend) and a spool folder for the demo."""

from __future__ import annotations

import json
import os
import shutil
import threading
from pathlib import Path

from config import Settings
from core.messages import msg
from printing.backend_types import (  # noqa: F401  (re-exported: the names callers use)
    ABORTED,
    CANCELED,
    COMPLETED,
    FINAL_STATES,
    HELD,
    PENDING,
    PROCESSING,
    STOPPED,
    JobStatus,
    PrintBackend,
    PrintBackendError,
    PrintServerUnavailable,
    Submission,
)
from printing.routing import PrinterState


def make_backend(settings: Settings, queues: list[str]) -> PrintBackend:
    """Return the CUPS backend when a server is configured, else the spool folder backend."""
    if settings.printing.cups_server:
        try:
            from printing.cups_backend import CupsBackend
        except ImportError as exc:
            raise RuntimeError(
                f"[printing] cups_server is set but pycups is not installed ({exc}): "
                "apt install libcups2-dev, then pip install 'eoffice[cups]'"
            ) from exc

        return CupsBackend(settings.printing.cups_server, timeout=settings.printing.cups_timeout_seconds)
    return SpoolBackend(settings.spool_dir, queues)


class SpoolBackend:
    """Writes each job's PDF and a JSON description into <spool>/<queue>/ (embedded demo, no CUPS).

    Held jobs wait as `<id>.json` with state 4 until released; others complete at once. The job id is
    the eoffice job's id, so resubmitting the same job overwrites instead of duplicating.
    """

    name = "spool"

    def __init__(self, spool_dir: Path, queues: list[str]) -> None:
        self.spool_dir = spool_dir
        self.queues = list(queues)
        self._lock = threading.Lock()

    def printers(self, timeout: float | None = None) -> dict[str, PrinterState]:
        out = {}
        for q in self.queues:
            jobs = len(list(self._queue_dir(q).glob("*.json"))) if self._queue_dir(q).exists() else 0
            out[q] = PrinterState(q, 3, True, msg(
                "演示打印目录，共 %(jobs)s 个作业",
                jobs=jobs,
            ) if jobs else msg("演示打印目录"), ())
        return out

    def submit(self, sub: Submission) -> int:
        if sub.queue not in self.queues:
            raise PrintBackendError(msg("没有名为 %(queue)s 的打印队列", queue=sub.queue))
        job_id = sub.number
        held = sub.options.get("job-hold-until", "no-hold") not in ("", "no-hold")
        with self._lock:
            self._remove_everywhere(job_id)
            target = self._queue_dir(sub.queue)
            target.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(sub.pdf_path, target / f"{job_id}.pdf")
            self._write(target / f"{job_id}.json", {
                "job_id": job_id, "queue": sub.queue, "title": sub.title, "user": sub.username,
                "uuid": sub.uuid, "options": sub.options, "state": HELD if held else COMPLETED,
            })
        return job_id

    def find(self, uuid: str) -> int | None:
        for q in self.queues:
            for path in self._queue_dir(q).glob("*.json"):
                if json.loads(path.read_text(encoding="utf-8")).get("uuid") == uuid:
                    return int(path.stem)
        return None

    def job_states(self, job_ids: list[int]) -> dict[int, JobStatus]:
        out = {}
        for job_id in job_ids:
            path = self._locate(job_id)
            if path is None:
                continue
            data = json.loads(path.read_text(encoding="utf-8"))
            out[job_id] = JobStatus(job_id, int(data["state"]), data["queue"], data.get("message", ""))
        return out

    def release(self, job_id: int, username: str) -> None:
        self._update(job_id, state=COMPLETED, released_by=username)

    def hold(self, job_id: int, username: str) -> None:
        self._update(job_id, state=HELD)

    def cancel(self, job_id: int, username: str) -> None:
        self._update(job_id, state=CANCELED, cancelled_by=username)

    def move(self, job_id: int, queue: str, username: str) -> None:
        if queue not in self.queues:
            raise PrintBackendError(msg("没有名为 %(queue)s 的打印队列", queue=queue))
        with self._lock:
            path = self._require(job_id)
            data = json.loads(path.read_text(encoding="utf-8"))
            target = self._queue_dir(queue)
            target.mkdir(parents=True, exist_ok=True)
            os.replace(path.with_suffix(".pdf"), target / f"{job_id}.pdf")
            data["queue"] = queue
            self._write(target / f"{job_id}.json", data)
            path.unlink()

    def _update(self, job_id: int, **changes: object) -> None:
        with self._lock:
            path = self._require(job_id)
            data = json.loads(path.read_text(encoding="utf-8"))
            data.update(changes)
            self._write(path, data)

    def _require(self, job_id: int) -> Path:
        path = self._locate(job_id)
        if path is None:
            raise PrintBackendError(msg("打印作业 %(job_id)s 不存在", job_id=job_id))
        return path

    def _locate(self, job_id: int) -> Path | None:
        for q in self.queues:
            path = self._queue_dir(q) / f"{job_id}.json"
            if path.exists():
                return path
        return None

    def _remove_everywhere(self, job_id: int) -> None:
        for q in self.queues:
            for suffix in (".json", ".pdf"):
                (self._queue_dir(q) / f"{job_id}{suffix}").unlink(missing_ok=True)

    def _queue_dir(self, queue: str) -> Path:
        return self.spool_dir / queue

    @staticmethod
    def _write(path: Path, data: dict[str, object]) -> None:
        tmp = path.with_suffix(".tmp")
        tmp.write_text(json.dumps(data, ensure_ascii=False, indent=1), encoding="utf-8")
        os.replace(tmp, path)

