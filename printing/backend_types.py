"""What every print backend shares: IPP job states, a submission, a job's status, the errors and the Protocol.

A leaf module: printing.backends (the spool backend and the factory) and printing.cups_backend import
it, so neither imports the other's types.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

from printing.routing import PrinterState

# IPP job states.
PENDING, HELD, PROCESSING, STOPPED, CANCELED, ABORTED, COMPLETED = 3, 4, 5, 6, 7, 8, 9
FINAL_STATES = frozenset({CANCELED, ABORTED, COMPLETED})


class PrintServerUnavailable(RuntimeError):
    """The print server did not answer (down, refused, or past the deadline): try again later."""


class PrintBackendError(RuntimeError):
    """The print server refused this request for good (unknown queue, bad document)."""


@dataclass(frozen=True)
class Submission:
    queue: str
    pdf_path: Path
    title: str
    username: str
    options: dict[str, str]
    number: int  # the eoffice job id
    uuid: str  # unique per eoffice job, sent as job-uuid: finds a job whose submission outcome was unknown


@dataclass(frozen=True)
class JobStatus:
    job_id: int
    state: int
    queue: str = ""
    message: str = ""
    reasons: tuple[str, ...] = field(default_factory=tuple)


class PrintBackend(Protocol):
    """What the dispatcher needs from a print system. Every method may raise PrintServerUnavailable."""

    name: str

    def printers(self, timeout: float | None = None) -> dict[str, PrinterState]: ...

    def submit(self, sub: Submission) -> int: ...

    def find(self, uuid: str) -> int | None: ...

    def job_states(self, job_ids: list[int]) -> dict[int, JobStatus]: ...

    def release(self, job_id: int, username: str) -> None: ...

    def hold(self, job_id: int, username: str) -> None: ...

    def cancel(self, job_id: int, username: str) -> None: ...

    def move(self, job_id: int, queue: str, username: str) -> None: ...
