"""Filing under DA/T 22-2015: the 档号, the 归档章 data, the 处理单 PDF and the item's folder in the archive.

An item (件) is the document with its attachments and its processing sheet. Its folder is
<archive_dir>/<机构代码>/<年度>/<档号> <题名>/, where the archive watcher picks it up for the index.
reportlab is imported here only; Chinese text uses its built-in CID font STSong-Light (no font files).
"""

from __future__ import annotations

import io
import re
import shutil
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape

from sqlalchemy import select
from sqlalchemy.orm import Session

from archive import db
from archive.messages import msg
from archive.models import User
from archive.models.base import utcnow
from archive.models.documents import Document, DocumentFile, FilingRecord
from archive.workflow import ledger, storage
from archive.workflow.errors import WorkflowError
from archive.workflow.states import (
    ACTION_NAMES,
    CLASSIFICATION_NAMES,
    KIND_NAMES,
    RETENTION_NAMES,
    URGENCY_NAMES,
    Action,
    Kind,
)

FONT = "STSong-Light"
# Called for every file written: (session, path relative to the archive folder, metadata) -> None.
AttachMetadata = Callable[..., Any]


@dataclass(frozen=True)
class Stamp:
    """The 归档章: what DA/T 22 prints on the first page of an item."""

    fonds: str
    year: int
    piece: int
    department: str
    retention: str
    pages: int | None


def archive_number(fonds: str, category: str, year: int, retention: str, department_code: str, piece: int) -> str:
    """Return a 档号 like J001-WS·2026-Y-BGS-0001 (全宗号-门类代码·年度-保管期限-机构代码-件号)."""
    return f"{fonds}-{category}·{year}-{retention}-{department_code}-{piece:04d}"


def filing_year(doc: Document) -> int:
    """Return the 年度 of the item: when it was signed, received or created (local calendar)."""
    if doc.signed_at is not None:
        return ledger.local_year(doc.signed_at)
    if doc.received_on is not None:
        return doc.received_on.year
    return ledger.local_year(doc.created_at)


def _safe(text: str, limit: int = 60) -> str:
    cleaned = re.sub(r"[\x00-\x1f\x7f/\\:*?\"<>|]", "_", text).strip().strip(".")
    return cleaned[:limit] or "未命名"


def file_document(
    session: Session, settings: Any, doc: Document, actor: User, *, retention: str, fonds: str = "J001",
    category: str = "WS", attach: AttachMetadata | None = None,
) -> FilingRecord:
    """Give the document its 档号 and write its files and 处理单 into the archive folder."""
    if retention not in RETENTION_NAMES:
        raise WorkflowError(msg("请选择保管期限（永久、定期30年或定期10年）。"))
    if session.scalar(select(FilingRecord.id).where(FilingRecord.document_id == doc.id)) is not None:
        raise WorkflowError(msg("该文件已经归档，不能重复归档。"))
    dept = doc.lead_department if doc.kind == Kind.INCOMING and doc.lead_department else doc.department
    year = filing_year(doc)
    piece = ledger.next_value(session, f"dh:{fonds}:{year}:{retention}:{dept.code}")
    number = archive_number(fonds, category, year, retention, dept.code, piece)
    relfolder = Path(dept.code) / str(year) / f"{number} {_safe(doc.title)}"
    files = list(session.scalars(
        select(DocumentFile).where(DocumentFile.document_id == doc.id, DocumentFile.current.is_(True))
        .order_by(DocumentFile.role != "main", DocumentFile.id)
    ))
    pages = 0
    known = False
    for f in files:
        count = storage.page_count(storage.blob_path(settings.files_dir, f.sha256), f.filename)
        if count is not None:
            pages, known = pages + count, True
    record = FilingRecord(
        document_id=doc.id, archive_number=number, fonds=fonds, category=category, year=year, retention=retention,
        department_code=dept.code, piece=piece, title=doc.title, responsible=settings.organ_name,
        doc_number=doc.doc_number, doc_date=_doc_date(doc), pages=pages if known else None,
        classification=doc.classification, folder=str(relfolder), filed_at=utcnow(), filed_by_id=actor.id,
    )
    session.add(record)
    doc.archive_number, doc.retention = number, retention
    session.flush()

    stamp = Stamp(fonds, year, piece, dept.name, retention, record.pages)
    written = _write_folder(session, settings, doc, record, stamp, files, relfolder)
    if attach is not None:
        for rel in written:
            attach(session, rel.as_posix(), archive_number=number, retention=retention,
                   classification=doc.classification, title=doc.title)
    return record


def _doc_date(doc: Document) -> date | None:
    moment = doc.signed_at or doc.created_at
    if doc.kind == Kind.INCOMING and doc.received_on:
        return doc.received_on
    return moment.astimezone(ledger.LOCAL_TZ).date() if moment else None


def _write_folder(
    session: Session, settings: Any, doc: Document, record: FilingRecord, stamp: Stamp,
    files: list[DocumentFile], relfolder: Path,
) -> list[Path]:
    # Build the folder aside and move it in at once, so the watcher never sees a half-written item.
    target = settings.archive_dir / relfolder
    if target.exists():
        shutil.rmtree(target)  # left by a filing whose undo could not run (the process died mid-way)
    staging_root = settings.data_dir / "filing-staging"
    staging_root.mkdir(parents=True, exist_ok=True)
    written: list[Path] = []
    with tempfile.TemporaryDirectory(dir=staging_root) as tmp:
        stage = Path(tmp) / "item"
        stage.mkdir()
        attachment_no = 0
        for f in files:
            if f.role == "main":
                name = f"正文-{f.filename}"
            else:
                attachment_no += 1
                name = f"附件{attachment_no}-{f.filename}"
            (stage / name).write_bytes(storage.read(settings.files_dir, f.sha256))
            written.append(relfolder / name)
        (stage / "处理单.pdf").write_bytes(processing_sheet(session, settings, doc, record, stamp, files))
        written.append(relfolder / "处理单.pdf")
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.move(str(stage), str(target))
    # The 档号 goes back to the ledger if the transaction rolls back: so does the folder.
    db.on_rollback(session, lambda: shutil.rmtree(target, ignore_errors=True))
    return written


def processing_sheet(
    session: Session, settings: Any, doc: Document, record: FilingRecord | None, stamp: Stamp | None,
    files: list[DocumentFile],
) -> bytes:
    """Render the 处理单: the document's facts, its 归档章 and every action with its opinion, as PDF."""
    from reportlab.lib import colors
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.styles import ParagraphStyle
    from reportlab.lib.units import mm
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.cidfonts import UnicodeCIDFont
    from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

    from archive.workflow.history import timeline

    if FONT not in pdfmetrics.getRegisteredFontNames():
        pdfmetrics.registerFont(UnicodeCIDFont(FONT))
    body = ParagraphStyle("body", fontName=FONT, fontSize=10, leading=14, wordWrap="CJK")
    small = ParagraphStyle("small", parent=body, fontSize=8.5, leading=12)
    red = colors.HexColor("#b3261e")
    head = ParagraphStyle("head", parent=body, fontSize=18, leading=24, alignment=1, textColor=red)
    sub = ParagraphStyle("sub", parent=body, fontSize=12, leading=18, spaceBefore=8, spaceAfter=4)

    def p(text: object, style: ParagraphStyle = body) -> Paragraph:
        return Paragraph(escape(str(text or "")).replace("\n", "<br/>"), style)

    grid = TableStyle([
        ("GRID", (0, 0), (-1, -1), 0.5, colors.black),
        ("VALIGN", (0, 0), (-1, -1), "TOP"),
        ("BACKGROUND", (0, 0), (0, -1), colors.HexColor("#f2f2f2")),
    ])
    story: list[Any] = [p(f"{settings.organ_name}", head), p("文件处理单", head), Spacer(1, 4 * mm)]
    if stamp is not None and record is not None:
        cells = [
            [p("全宗号", small), p("年度", small), p("件号", small)],
            [p(stamp.fonds), p(stamp.year), p(f"{stamp.piece:04d}")],
            [p("机构", small), p("保管期限", small), p("页数", small)],
            [p(stamp.department), p(RETENTION_NAMES[stamp.retention]), p(stamp.pages if stamp.pages else "—")],
        ]
        seal = Table(cells, colWidths=[28 * mm, 28 * mm, 28 * mm], hAlign="RIGHT")
        seal.setStyle(TableStyle([("BOX", (0, 0), (-1, -1), 1, colors.HexColor("#b3261e")),
                                  ("INNERGRID", (0, 0), (-1, -1), 0.5, colors.HexColor("#b3261e"))]))
        story += [p(f"档号：{record.archive_number}"), seal, Spacer(1, 3 * mm)]
    facts = [
        ("文件种类", KIND_NAMES.get(doc.kind, doc.kind)),
        ("标题", doc.title),
        ("文号", doc.doc_number or "—"),
        ("密级", CLASSIFICATION_NAMES.get(doc.classification, "")),
        ("紧急程度", URGENCY_NAMES.get(doc.urgency, "")),
        ("拟稿部门", doc.department.name),
        ("拟稿人", doc.drafter.display_name),
        ("主送", doc.main_recipients or "—"),
        ("抄送", doc.cc_recipients or "—"),
    ]
    if doc.kind == Kind.INCOMING:
        facts += [("来文机关", doc.source_organ or "—"), ("来文字号", doc.source_number or "—"),
                  ("收文日期", doc.received_on.isoformat() if doc.received_on else "—")]
    if doc.signed_by is not None and doc.signed_at is not None:
        facts.append(("签发", f"{doc.signed_by.display_name} {_local(doc.signed_at)}"))
    table = Table([[p(k), p(v)] for k, v in facts], colWidths=[28 * mm, 142 * mm])
    table.setStyle(grid)
    story += [table, p("办理过程", sub)]
    rows = [[p("时间", small), p("步骤", small), p("办理人", small), p("办理", small), p("意见", small)]]
    for action, withdrawn in timeline(session, doc):
        who = action.actor.display_name
        if action.on_behalf_of is not None:
            who = f"{who}（代{action.on_behalf_of.display_name}）"
        text = action.opinion or ""
        if action.reasons:
            text = (text + "\n" if text else "") + "\n".join(f"{i}. {r}" for i, r in enumerate(action.reasons, 1))
        data = action.data or {}
        if data.get("changes"):
            text = (text + "\n" if text else "") + "\n".join(data["changes"])
        if data.get("number"):
            text = (text + "\n" if text else "") + f"文号：{data['number']}"
        label = ACTION_NAMES.get(Action(action.action), action.action)
        if withdrawn:
            label += "（已撤回）"
        rows.append([p(_local(action.at), small), p(action.step_name or "—", small), p(who, small),
                     p(label, small), p(text, small)])
    history = Table(rows, colWidths=[30 * mm, 26 * mm, 28 * mm, 20 * mm, 66 * mm], repeatRows=1)
    history.setStyle(TableStyle([("GRID", (0, 0), (-1, -1), 0.5, colors.black), ("VALIGN", (0, 0), (-1, -1), "TOP"),
                                 ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#f2f2f2"))]))
    story += [history, p("文件清单", sub)]
    listing = [[p("文件", small), p("版本", small), p("SHA-256", small)]]
    listing += [[p(("正文：" if f.role == "main" else "附件：") + f.filename, small), p(f.version_no, small),
                 p(f.sha256, small)] for f in files]
    files_table = Table(listing, colWidths=[70 * mm, 12 * mm, 88 * mm])
    files_table.setStyle(TableStyle([("GRID", (0, 0), (-1, -1), 0.5, colors.black)]))
    story.append(files_table)

    def footer(canvas: Any, document: Any) -> None:
        canvas.saveState()
        canvas.setFont(FONT, 8)
        canvas.drawCentredString(A4[0] / 2, 10 * mm, f"— {document.page} —  {record.archive_number if record else ''}")
        canvas.restoreState()

    out = io.BytesIO()
    SimpleDocTemplate(out, pagesize=A4, leftMargin=20 * mm, rightMargin=20 * mm, topMargin=18 * mm,
                      bottomMargin=18 * mm, title=f"文件处理单 {doc.title}", author=settings.organ_name
                      ).build(story, onFirstPage=footer, onLaterPages=footer)
    return out.getvalue()


def _local(moment: Any) -> str:
    return moment.astimezone(ledger.LOCAL_TZ).strftime("%Y-%m-%d %H:%M") if moment else ""


def catalogue(session: Session, *, year: int, department_code: str | None = None) -> list[FilingRecord]:
    """Return the 归档文件目录 of a year: by retention, department and 件号."""
    stmt = select(FilingRecord).where(FilingRecord.year == year)
    if department_code:
        stmt = stmt.where(FilingRecord.department_code == department_code)
    order = {"Y": 0, "D30": 1, "D10": 2}
    records = list(session.scalars(stmt))
    return sorted(records, key=lambda r: (order.get(r.retention, 9), r.department_code, r.piece))
