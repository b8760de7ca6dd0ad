"""The 分析报告 as a PDF: asked for on the summary page, made by the worker (LibreOffice), never in a request.

Files live under <files dir>/assessment/: `<year>-Q<quarter>.pdf` when made, `<year>-Q<quarter>.failed`
with the reason shown to the office, and `queue/<year>-Q<quarter>` while waiting. Each request makes the
report again from the summary as it is then (reports keep coming in after the due date).
"""

from __future__ import annotations

import re
import shutil
import tempfile
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy.orm import Session

from assessment import exports, service
from config import Settings
from core import audit
from core.db import Database
from core.messages import msg
from core.models import User
from fileformats import office

_KEY = re.compile(r"^(\d{4})-Q([1-4])$")


@dataclass(frozen=True)
class PdfState:
    """`status`: "none", "pending", "ready" or "failed"; `made_at` (aware UTC) when ready; `reason` when failed."""

    status: str
    made_at: datetime | None = None
    reason: str = ""


def folder(files_dir: Path) -> Path:
    """Where the PDF reports are kept."""
    return files_dir / "assessment"


def _key(year: int, quarter: int) -> str:
    return f"{year}-Q{quarter}"


def pdf_path(settings: Settings, year: int, quarter: int) -> Path:
    """The PDF of a quarter's report (it exists once made)."""
    return folder(settings.files_dir) / f"{_key(year, quarter)}.pdf"


def state(settings: Settings, year: int, quarter: int) -> PdfState:
    """Return whether the quarter's PDF is waiting, made (and when) or failed (and why)."""
    base = folder(settings.files_dir)
    key = _key(year, quarter)
    if (base / "queue" / key).exists():
        return PdfState("pending")
    failed = base / f"{key}.failed"
    if failed.exists():
        return PdfState("failed", reason=failed.read_text(encoding="utf-8"))
    made = base / f"{key}.pdf"
    if made.exists():
        return PdfState("ready", made_at=datetime.fromtimestamp(made.stat().st_mtime, UTC))
    return PdfState("none")


def request(session: Session, settings: Settings, actor: User, year: int, quarter: int) -> PdfState:
    """The office asks for the quarter's PDF (the worker makes it within seconds); asking again while it
    waits changes nothing. Raises AssessmentError for anyone but the office."""
    if not service.is_office(settings, actor):
        raise service.AssessmentError(msg("分析报告由办公室生成。"))
    service.check_period(year, quarter)
    current = state(settings, year, quarter)
    if current.status == "pending":
        return current
    queue = folder(settings.files_dir) / "queue"
    queue.mkdir(parents=True, exist_ok=True)
    (folder(settings.files_dir) / f"{_key(year, quarter)}.failed").unlink(missing_ok=True)
    (queue / _key(year, quarter)).touch()
    audit.record(session, "assessment.analysis.pdf", user=actor, detail=_key(year, quarter),
                 data={"year": year, "quarter": quarter})
    return PdfState("pending")


def generate_pending(settings: Settings, db: Database, *, limit: int = 3) -> int:
    """Make the PDFs asked for (worker job): the .docx of exports.analysis_docx through LibreOffice.
    A failure is kept with its reason for the page. Returns how many requests were handled."""
    base = folder(settings.files_dir)
    queue = base / "queue"
    if not queue.is_dir():
        return 0
    done = 0
    for entry in sorted(queue.iterdir(), key=lambda p: p.stat().st_mtime)[:limit]:
        match = _KEY.match(entry.name)
        if match is None:
            entry.unlink(missing_ok=True)
            continue
        year, quarter = int(match.group(1)), int(match.group(2))
        try:
            with db.session() as session:
                data = exports.analysis_docx(service.build_summary(session, settings, year, quarter),
                                             settings.organ_name)
            with tempfile.TemporaryDirectory(prefix="eoffice-assessment-") as tmp:
                source = Path(tmp) / "report.docx"
                source.write_bytes(data)
                made = office.convert(source, "pdf", Path(tmp) / "report.pdf", input_suffix=".docx",
                                      soffice=settings.printing.soffice,
                                      timeout=settings.printing.conversion_timeout_seconds)
                shutil.move(str(made), base / f"{entry.name}.pdf")
        except (office.ConversionFailed, OSError, ValueError) as exc:
            (base / f"{entry.name}.failed").write_text(str(exc) or msg("分析报告生成失败"), encoding="utf-8")
        entry.unlink(missing_ok=True)
        done += 1
    return done
