"""The worker's PDF of a 督查通报: the page asks (the .docx is written at once, python-docx is fast) and the
worker converts it with LibreOffice (never in a web request); the page then offers the PDF.

A file queue under <files dir>/inspection: `<key>.docx` the source, `queue/<key>` the request, `<key>.pdf`
the result or `<key>.failed` the reason. Keys are `bulletin-<year>Q<quarter>`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from archive.messages import msg
from fileformats import office

KEY_RE = re.compile(r"^bulletin-\d{4}Q[1-4]$")


def bulletin_key(year: int, quarter: int) -> str:
    """The key of a quarter's 通报."""
    return f"bulletin-{year:04d}Q{quarter}"


@dataclass(frozen=True)
class PdfState:
    """`status`: "none" (never asked), "pending", "ready" or "failed" (`reason`); `made_at` when ready."""

    status: str
    reason: str = ""
    made_at: datetime | None = None


def folder(files_dir: Path) -> Path:
    """Where the 督查通报 PDFs are kept."""
    return files_dir / "inspection"


def _check(key: str) -> str:
    if not KEY_RE.match(key):
        raise ValueError(f"bad document key {key!r}")
    return key


def request_pdf(files_dir: Path, key: str, docx: bytes) -> None:
    """Ask the worker for the PDF of `docx` under `key` (replaces an earlier one)."""
    base = folder(files_dir)
    (base / "queue").mkdir(parents=True, exist_ok=True)
    (base / f"{_check(key)}.docx").write_bytes(docx)
    for suffix in (".pdf", ".failed"):
        (base / f"{key}{suffix}").unlink(missing_ok=True)
    (base / "queue" / key).touch()


def pdf_state(files_dir: Path, key: str) -> PdfState:
    """The state of the PDF under `key`."""
    base = folder(files_dir)
    _check(key)
    if (base / "queue" / key).exists():
        return PdfState("pending")
    failed = base / f"{key}.failed"
    if failed.exists():
        return PdfState("failed", failed.read_text(encoding="utf-8"))
    pdf = base / f"{key}.pdf"
    if pdf.exists():
        return PdfState("ready", made_at=datetime.fromtimestamp(pdf.stat().st_mtime, UTC))
    return PdfState("none")


def pdf_path(files_dir: Path, key: str) -> Path | None:
    """The ready PDF under `key`, else None."""
    path = folder(files_dir) / f"{_check(key)}.pdf"
    return path if pdf_state(files_dir, key).status == "ready" else None


def convert_pending(files_dir: Path, *, soffice: str = "soffice", timeout: float = 120.0, limit: int = 3) -> int:
    """Convert the asked-for .docx files to PDF (the worker's job); return how many were handled. A failure is
    kept with its reason for the page to show."""
    queue = folder(files_dir) / "queue"
    if not queue.is_dir():
        return 0
    done = 0
    for entry in sorted(queue.iterdir(), key=lambda p: p.stat().st_mtime)[:limit]:
        key = entry.name
        if not KEY_RE.match(key):
            entry.unlink(missing_ok=True)
            continue
        base = folder(files_dir)
        try:
            office.convert(base / f"{key}.docx", "pdf", base / f"{key}.pdf", input_suffix=".docx", soffice=soffice,
                           timeout=timeout)
        except (office.ConversionFailed, OSError) as exc:
            (base / f"{key}.failed").write_text(str(exc) or msg("PDF 生成失败，请稍后重试。"), encoding="utf-8")
        entry.unlink(missing_ok=True)
        done += 1
    return done
