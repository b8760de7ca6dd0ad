"""The 套红 formal version of a numbered 公文: asked for at 编号, made by the worker, never in a request.

Files live under <files dir>/formal/: `<id>.docx` and `<id>.pdf` when made, `<id>.stamp` with the
content they were made from (the 文号 and the frozen content hash), `<id>.failed` with the reason
shown to people, and `queue/<id>` while waiting. A document whose 文号 or frozen content changed after
its formal version was made is stale: the page asks again (`state`), the worker remakes it.
"""

from __future__ import annotations

import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from core import storage
from core.db import Database
from core.messages import msg
from core.models import Department
from core.models.base import BUREAU_ZONE, utcnow
from core.models.documents import Document, DocumentFile, NumberEntry
from core.terms import CLASSIFICATION_NAMES, CLASSIFIED_FROM, URGENCY_NAMES
from documents import redhead, redhead_templates
from fileformats import office


@dataclass(frozen=True)
class FormalState:
    """`status`: "none" (no 文号 yet), "pending", "ready" or "failed"; `reason` when failed."""

    status: str
    reason: str = ""


def folder(files_dir: Path) -> Path:
    """Where formal versions are kept."""
    return files_dir / "formal"


def composable(filename: str) -> bool:
    """Whether a 正文 of this name can be laid out as the 套红 version (a Word .docx; a PDF or a scan is
    distributed as it is)."""
    return filename.lower().endswith(".docx")


def stamp_of(doc: Document) -> str:
    """What the formal version depends on: the 文号 and the frozen content."""
    return f"{doc.doc_number or ''}|{doc.frozen_hash or ''}|{doc.title}"


def request(files_dir: Path, doc_id: int) -> None:
    """Ask the worker for (a new) formal version of the document (idempotent)."""
    queue = folder(files_dir) / "queue"
    queue.mkdir(parents=True, exist_ok=True)
    (queue / str(doc_id)).touch()
    (folder(files_dir) / f"{doc_id}.failed").unlink(missing_ok=True)
    (folder(files_dir) / f"{doc_id}.failed-stamp").unlink(missing_ok=True)


def state(files_dir: Path, doc: Document) -> FormalState:
    """The formal version's state; a missing or stale one is asked for again (the page shows 生成中)."""
    if not doc.doc_number:
        return FormalState("none")
    base = folder(files_dir)
    failed = base / f"{doc.id}.failed"
    if failed.exists():
        failed_stamp = base / f"{doc.id}.failed-stamp"
        if not failed_stamp.exists() or failed_stamp.read_text(encoding="utf-8") == stamp_of(doc):
            return FormalState("failed", failed.read_text(encoding="utf-8"))
        request(files_dir, doc.id)  # the 文号 or the content changed since it failed: try again
        return FormalState("pending")
    stamp = base / f"{doc.id}.stamp"
    if (base / f"{doc.id}.pdf").exists() and stamp.exists() and stamp.read_text(encoding="utf-8") == stamp_of(doc):
        return FormalState("ready")
    if not (base / "queue" / str(doc.id)).exists():
        request(files_dir, doc.id)
    return FormalState("pending")


def path(files_dir: Path, doc: Document, fmt: str) -> Path | None:
    """The ready formal version as "pdf" or "docx", else None."""
    if state(files_dir, doc).status != "ready":
        return None
    target = folder(files_dir) / f"{doc.id}.{fmt}"
    return target if target.exists() else None


def facts_for(session: Session, settings: object, doc: Document) -> redhead.FormalFacts:
    """The 版头, 主体 and 版记 facts of a numbered document (GB/T 9704 §7)."""
    organ = str(getattr(settings, "organ_name", ""))
    office_code = getattr(getattr(settings, "supervision", None), "office_department", "BGS")
    office_dept = session.scalar(select(Department).where(Department.code == office_code))
    entry = session.scalar(select(NumberEntry).where(NumberEntry.document_id == doc.id,
                                                     NumberEntry.voided_at.is_(None)))
    signed = (doc.signed_at or utcnow()).astimezone(BUREAU_ZONE).date()
    issued = (entry.issued_at if entry else utcnow()).astimezone(BUREAU_ZONE).date()
    attachments = tuple(f.filename for f in session.scalars(
        select(DocumentFile).where(DocumentFile.document_id == doc.id, DocumentFile.current.is_(True),
                                   DocumentFile.role == "attachment").order_by(DocumentFile.id)))
    classified = doc.classification >= CLASSIFIED_FROM
    return redhead.FormalFacts(
        organ_name=organ, doc_number=doc.doc_number or "", title=doc.title, main_recipients=doc.main_recipients or "",
        signed_on=signed, issued_by=f"{organ}{office_dept.name}" if office_dept else organ, issued_on=issued,
        cc_recipients=doc.cc_recipients or "", attachments=attachments,
        classification=CLASSIFICATION_NAMES[doc.classification] if classified else "",
        copy_number=f"{1:06d}" if classified else "",
        secrecy_period=(doc.secrecy_period or "") if classified else "",
        urgency=URGENCY_NAMES.get(doc.urgency, "") if doc.urgency != "normal" else "",
        upward=bool(doc.upward),
        signer=doc.signed_by.display_name if doc.upward and doc.signed_by is not None else "",
    )


def generate_pending(settings: object, db: Database, *, limit: int = 5) -> int:
    """Make the formal versions the pages and 编号 asked for (worker job); return how many were handled.

    A failure is remembered with its reason (正文 not a Word file, LibreOffice failed) so the page can
    say it and offer 重试.
    """
    files_dir: Path = getattr(settings, "files_dir")  # noqa: B009  (settings is typed loosely here)
    printing = getattr(settings, "printing", None)
    queue = folder(files_dir) / "queue"
    if not queue.is_dir():
        return 0
    done = 0
    for entry in sorted(queue.iterdir(), key=lambda p: p.stat().st_mtime)[:limit]:
        entry.unlink(missing_ok=True)
        if not entry.name.isdigit():
            continue
        doc_id = int(entry.name)
        with db.session() as session:
            doc = session.get(Document, doc_id)
            if doc is None or not doc.doc_number:
                continue
            facts = facts_for(session, settings, doc)
            stamp = stamp_of(doc)
            main = session.scalar(select(DocumentFile).where(
                DocumentFile.document_id == doc.id, DocumentFile.current.is_(True), DocumentFile.role == "main"))
            main_name, main_sha = (main.filename, main.sha256) if main else ("", "")
            # The red-header template of the organ and kind, else the built-in layout.
            template = redhead_templates.choose(session, files_dir, facts.organ_name, doc.kind)
        base = folder(files_dir)
        failed = base / f"{doc_id}.failed"
        try:
            if not composable(main_name):
                raise ValueError(msg("正文不是 Word 文件（.docx），无法套红排版；请上传 Word 正文后点“重试”。"))
            with tempfile.TemporaryDirectory(prefix="eoffice-formal-") as tmp:
                body = Path(tmp) / "正文.docx"
                shutil.copyfile(storage.blob_path(files_dir, main_sha), body)
                # In a limited child, the 正文's zip checked first: an inflating .docx never reaches this process.
                docx_path, pdf_path = redhead.build_limited(
                    facts, body, Path(tmp) / "out", soffice=getattr(printing, "soffice", "soffice"),
                    timeout=float(getattr(printing, "conversion_timeout_seconds", 120.0)), template=template)
                shutil.move(str(docx_path), base / f"{doc_id}.docx")
                shutil.move(str(pdf_path), base / f"{doc_id}.pdf")
            (base / f"{doc_id}.stamp").write_text(stamp, encoding="utf-8")
            failed.unlink(missing_ok=True)
        except (ValueError, office.ConversionFailed, OSError) as exc:
            failed.write_text(str(exc) or msg("套红排版失败"), encoding="utf-8")
            (base / f"{doc_id}.failed-stamp").write_text(stamp, encoding="utf-8")  # what failed
        done += 1
    return done
