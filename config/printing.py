"""Settings of two-tier printing (department printers and the central print room).

The routing policy is data: which queues each department has, which queues the 文印室 runs, and the
thresholds that send a job to the central room. `printing.routing.Policy` is built from this.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class PrintingSettings:
    # "" = no CUPS: the spool backend writes jobs into <data_dir>/spool/<queue>/ (demo mode).
    # Otherwise "host:port" (or a socket path) of the CUPS server.
    cups_server: str
    # Deadline around every CUPS call made by the worker (pycups itself has no timeout).
    cups_timeout_seconds: float
    # Deadline for live printer states shown by `eoffice printers` and admin pages.
    live_timeout_seconds: float
    # How often the worker's dispatcher submits, follows and retries jobs.
    dispatch_interval_seconds: float
    # Department code -> its queue(s), first preferred.
    department_queues: dict[str, tuple[str, ...]]
    # Department code -> a sibling queue used when all its own queues are down ("" = central room).
    fallback_queues: dict[str, str]
    # The central print room (文印室): its department code and its queue(s) or CUPS class, first preferred.
    central_department: str
    central_queues: tuple[str, ...]
    # Jobs sent to the central room wait for the operator (job-hold-until=indefinite).
    hold_central: bool
    # Rules that send a job to the central room.
    max_department_pages: int  # pages x copies above this
    max_department_classification: int  # 密级 above this (1 = 内部)
    department_media: tuple[str, ...]  # paper sizes a department printer takes (others go central)
    color_to_central: bool
    high_quality_to_central: bool
    # Defaults forced on ordinary department jobs.
    department_duplex: bool
    department_grayscale: bool
    # Department code -> pages per month (pages x copies); absent or 0 = no quota.
    monthly_quota_pages: dict[str, int]
    # Conversion of .docx to PDF.
    soffice: str
    conversion_timeout_seconds: float
    # Page counting of uploads runs in a child with these limits (a hostile PDF cannot hang a web thread).
    pdf_probe_timeout_seconds: float
    pdf_probe_memory_mb: int
    max_copies: int
