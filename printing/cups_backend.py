"""The CUPS backend: the only module that imports pycups (`cups`).

pycups has no timeout (a frozen cupsd blocks a call for a minute or more), and `setServer`/`setUser`
are per thread. So every call runs in a fresh daemon thread that sets server and user itself, and the
caller waits at most `timeout` seconds. A call past its deadline is abandoned, not killed: for a
submission we remember the thread, and the next attempt adopts its result instead of printing twice.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any, TypeVar

import cups

from core.messages import msg
from printing.backend_types import (
    CANCELED,
    FINAL_STATES,
    JobStatus,
    PrintBackendError,
    PrintServerUnavailable,
    Submission,
)
from printing.routing import PrinterState

T = TypeVar("T")
# Abandoned calls still blocked on a frozen server; past this many, fail fast instead of piling up threads.
MAX_STUCK_CALLS = 8
_SERVER_ERRORS = {
    getattr(cups, "IPP_SERVICE_UNAVAILABLE", 0x502),
    getattr(cups, "IPP_INTERNAL_ERROR", 0x500),
}
_NOT_FOUND = {getattr(cups, "IPP_NOT_FOUND", 0x406), getattr(cups, "IPP_NOT_POSSIBLE", 0x404)}


class _Call:
    """One pycups call in its own thread."""

    def __init__(self) -> None:
        self.done = threading.Event()
        self.result: Any = None
        self.error: BaseException | None = None
        self.thread: threading.Thread | None = None


class CupsBackend:
    name = "cups"

    def __init__(self, server: str, *, timeout: float = 5.0) -> None:
        self.server = server
        self.timeout = timeout
        self._lock = threading.Lock()
        self._stuck: list[_Call] = []
        self._inflight: dict[str, _Call] = {}  # job uuid -> a submission past its deadline

    # -- the deadline ---------------------------------------------------------------------------
    def _run(self, fn: Callable[[Any], T], *, user: str = "eoffice", timeout: float | None = None,
             uuid: str | None = None) -> T:
        with self._lock:
            self._stuck = [c for c in self._stuck if not c.done.is_set()]
            if len(self._stuck) >= MAX_STUCK_CALLS:
                raise PrintServerUnavailable(msg(
                    "打印服务器 %(server)s 无响应（多个请求仍未返回）",
                    server=self.server,
                ))
        call = _Call()

        def target() -> None:
            try:
                cups.setServer(self.server)
                cups.setUser(user)
                call.result = fn(cups.Connection())
            except BaseException as exc:  # handed to the waiting caller
                call.error = exc
            finally:
                call.done.set()

        call.thread = threading.Thread(target=target, name="cups-call", daemon=True)
        call.thread.start()
        limit = self.timeout if timeout is None else timeout
        if not call.done.wait(limit):
            with self._lock:
                self._stuck.append(call)
                if uuid is not None:
                    self._inflight[uuid] = call
            raise PrintServerUnavailable(msg(
                "打印服务器 %(server)s 在 %(limit)g 秒内没有响应",
                server=self.server, limit=limit,
            ))
        return _outcome(call, self.server)

    # -- the PrintBackend protocol --------------------------------------------------------------
    def printers(self, timeout: float | None = None) -> dict[str, PrinterState]:
        def fetch(conn: Any) -> dict[str, PrinterState]:
            out = {}
            for name, attrs in conn.getPrinters().items():
                reasons = attrs.get("printer-state-reasons") or []
                if isinstance(reasons, str):
                    reasons = [reasons]
                ptype = int(attrs.get("printer-type", 0))
                out[name] = PrinterState(
                    queue=name,
                    state=int(attrs.get("printer-state", 3)),
                    accepting=not ptype & cups.CUPS_PRINTER_REJECTING,
                    message=str(attrs.get("printer-state-message") or ""),
                    reasons=tuple(r for r in reasons if r != "none"),
                )
            return out

        return self._run(fetch, timeout=timeout)

    def submit(self, sub: Submission) -> int:
        with self._lock:
            earlier = self._inflight.get(sub.uuid)
        if earlier is not None:
            if not earlier.done.is_set():
                raise PrintServerUnavailable(msg("上一次提交尚未得到打印服务器答复，稍后再试"))
            with self._lock:
                self._inflight.pop(sub.uuid, None)
            if earlier.error is None:
                return int(earlier.result)
        options = {**sub.options, "job-uuid": f"urn:uuid:{sub.uuid}"}

        def send(conn: Any) -> int:
            return int(conn.printFile(sub.queue, str(sub.pdf_path), sub.title[:200], options))

        return self._run(send, user=sub.username, uuid=sub.uuid)

    def find(self, uuid: str) -> int | None:
        wanted = f"urn:uuid:{uuid}"

        def search(conn: Any) -> int | None:
            jobs = conn.getJobs(which_jobs="all", requested_attributes=["job-id", "job-uuid"])
            return next((int(j) for j, a in jobs.items() if a.get("job-uuid") == wanted), None)

        return self._run(search)

    def job_states(self, job_ids: list[int]) -> dict[int, JobStatus]:
        wanted = ["job-state", "job-state-reasons", "job-printer-uri", "job-printer-state-message"]

        def fetch(conn: Any) -> dict[int, JobStatus]:
            out = {}
            for job_id in job_ids:
                try:
                    a = conn.getJobAttributes(job_id, requested_attributes=wanted)
                except cups.IPPError as exc:
                    if exc.args and exc.args[0] in _NOT_FOUND:
                        # Purged from the history: CUPS no longer knows it; treat as finished elsewhere.
                        out[job_id] = JobStatus(job_id, CANCELED, "", msg("打印服务器中已无此作业"))
                        continue
                    raise
                reasons = a.get("job-state-reasons") or []
                if isinstance(reasons, str):
                    reasons = [reasons]
                out[job_id] = JobStatus(
                    job_id,
                    int(a.get("job-state", 3)),
                    str(a.get("job-printer-uri", "")).rstrip("/").rsplit("/", 1)[-1],
                    str(a.get("job-printer-state-message") or ""),
                    tuple(reasons),
                )
            return out

        return self._run(fetch)

    def release(self, job_id: int, username: str) -> None:
        self._run(lambda conn: conn.setJobHoldUntil(job_id, "no-hold"), user=username)

    def hold(self, job_id: int, username: str) -> None:
        self._run(lambda conn: conn.setJobHoldUntil(job_id, "indefinite"), user=username)

    def cancel(self, job_id: int, username: str) -> None:
        def cancel(conn: Any) -> None:
            state = int(conn.getJobAttributes(job_id, requested_attributes=["job-state"]).get("job-state", 3))
            if state not in FINAL_STATES:
                conn.cancelJob(job_id)

        self._run(cancel, user=username)

    def move(self, job_id: int, queue: str, username: str) -> None:
        uri = f"ipp://localhost/printers/{queue}"
        self._run(lambda conn: conn.moveJob(job_id=job_id, job_printer_uri=uri), user=username)


def _outcome(call: _Call, server: str) -> Any:
    err = call.error
    if err is None:
        return call.result
    if isinstance(err, RuntimeError) and not isinstance(err, cups.IPPError):
        raise PrintServerUnavailable(msg("无法连接打印服务器 %(server)s：%(err)s", server=server, err=err)) from err
    if isinstance(err, cups.IPPError):
        status = err.args[0] if err.args else 0
        text = err.args[1] if len(err.args) > 1 else str(err)
        if status in _SERVER_ERRORS and "No such" not in str(text):
            raise PrintServerUnavailable(msg(
                "打印服务器 %(server)s 暂不可用：%(text)s",
                server=server, text=text,
            )) from err
        raise PrintBackendError(f"打印服务器拒绝了请求：{text}（IPP {status:#x}）") from err
    if isinstance(err, cups.HTTPError):
        raise PrintServerUnavailable(msg(
            "打印服务器 %(server)s 通信失败（HTTP %(value)s）",
            server=server, value=err.args[0] if err.args else '',
        )) from err
    raise err
