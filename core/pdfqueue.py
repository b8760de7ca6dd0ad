"""The worker's PDF of an office document (a 通报, an issue of 信息专报): the page asks and writes the
.docx at once (python-docx is fast); the worker converts it with LibreOffice (never in a web request,
fileformats.office with its limits); the page then offers the PDF, or the reason it failed and 重试.

One file queue per office under <files dir>/<name>: `<key>.docx` the source, `queue/<key>` the
request, `<key>.pdf` the result or `<key>.failed` the reason. Keys are checked against the office's
pattern, so no request can name a path.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from core.messages import msg
from fileformats import office


@dataclass(frozen=True)
class PdfState:
    """`status`: "none" (never asked), "pending", "ready" or "failed" (`reason`); `made_at` when ready."""

    status: str
    reason: str = ""
    made_at: datetime | None = None


@dataclass(frozen=True)
class PdfQueue:
    """The PDF queue of one office: its folder name under the files dir and the pattern of its keys."""

    name: str
    keys: re.Pattern[str]

    def folder(self, files_dir: Path) -> Path:
        """Where this office's documents and PDFs are kept."""
        return files_dir / self.name

    def _check(self, key: str) -> str:
        if not self.keys.match(key):
            raise ValueError(f"bad document key {key!r}")
        return key

    def request_pdf(self, files_dir: Path, key: str, docx: bytes) -> None:
        """Ask the worker for the PDF of `docx` under `key` (replaces an earlier one). Raises ValueError
        for a key outside the office's pattern."""
        base = self.folder(files_dir)
        (base / "queue").mkdir(parents=True, exist_ok=True)
        (base / f"{self._check(key)}.docx").write_bytes(docx)
        for suffix in (".pdf", ".failed"):
            (base / f"{key}{suffix}").unlink(missing_ok=True)
        (base / "queue" / key).touch()

    def pdf_state(self, files_dir: Path, key: str) -> PdfState:
        """The state of the PDF under `key`."""
        base = self.folder(files_dir)
        self._check(key)
        if (base / "queue" / key).exists():
            return PdfState("pending")
        failed = base / f"{key}.failed"
        if failed.exists():
            return PdfState("failed", failed.read_text(encoding="utf-8"))
        pdf = base / f"{key}.pdf"
        if pdf.exists():
            return PdfState("ready", made_at=datetime.fromtimestamp(pdf.stat().st_mtime, UTC))
        return PdfState("none")

    def pdf_path(self, files_dir: Path, key: str) -> Path | None:
        """The ready PDF under `key`, else None."""
        path = self.folder(files_dir) / f"{self._check(key)}.pdf"
        return path if self.pdf_state(files_dir, key).status == "ready" else None

    def convert_pending(self, files_dir: Path, *, soffice: str = "soffice", timeout: float = 120.0,
                        limit: int = 5) -> int:
        """Convert up to `limit` asked-for .docx files to PDF, oldest first (the worker's job); return how
        many were handled. A failure is kept with its reason for the page to show."""
        queue = self.folder(files_dir) / "queue"
        if not queue.is_dir():
            return 0
        done = 0
        for entry in sorted(queue.iterdir(), key=lambda p: p.stat().st_mtime)[:limit]:
            key = entry.name
            if not self.keys.match(key):
                entry.unlink(missing_ok=True)
                continue
            base = self.folder(files_dir)
            try:
                office.convert(base / f"{key}.docx", "pdf", base / f"{key}.pdf", input_suffix=".docx",
                               soffice=soffice, timeout=timeout)
            except (office.ConversionFailed, OSError) as exc:
                (base / f"{key}.failed").write_text(str(exc) or msg("PDF 生成失败，请稍后重试。"), encoding="utf-8")
            entry.unlink(missing_ok=True)
            done += 1
        return done
