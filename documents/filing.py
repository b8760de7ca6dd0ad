"""Filing under DA/T 22-2015: the 档号, the 归档章 data, the 发文稿纸 / 收文处理笺 PDF and the item's folder
in the archive.

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

from core import db, storage
from core.messages import msg
from core.models import User
from core.models.base import utcnow
from core.models.documents import Document, DocumentFile, FilingRecord
from documents import ledger
from documents.errors import WorkflowError
from documents.states import (
    ACTION_NAMES,
    CLASSIFICATION_NAMES,
    RETENTION_NAMES,
    URGENCY_NAMES,
    Action,
    Kind,
)

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
    """Give the document its 档号 and write its files and its 稿纸 (处理笺) into the archive folder."""
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
    # One limited child for all the files, at most 2 s of this request: past it the 页数 stays unknown.
    for count in storage.page_counts([(storage.blob_path(settings.files_dir, f.sha256), f.filename) for f in files]):
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
        sheet_name = f"{sheet_title(doc)}.pdf"
        (stage / sheet_name).write_bytes(processing_sheet(session, settings, doc, record, stamp, files))
        written.append(relfolder / sheet_name)
        # The 套红 formal version, when the worker has made it, is the 件's 正本 (the 正文 stays as the draft).
        from documents import formal

        official = formal.path(settings.files_dir, doc, "pdf") if getattr(settings, "files_dir", None) else None
        if official is not None:
            name = f"正本-{doc.doc_number or doc.title}.pdf".replace("/", "_")
            shutil.copyfile(official, stage / name)
            written.append(relfolder / name)
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.move(str(stage), str(target))
    # The 档号 goes back to the ledger if the transaction rolls back: so does the folder.
    db.on_rollback(session, lambda: shutil.rmtree(target, ignore_errors=True))
    return written


# The boxes of the 发文稿纸 / 收文处理笺: (label, step kinds, step keys or None for any key), in print order.
OUTGOING_BOXES: tuple[tuple[str, tuple[str, ...], tuple[str, ...] | None], ...] = (
    ("签发", ("sign",), None),
    ("会签", ("countersign",), None),
    ("核稿", ("approve",), ("office_review",)),
    ("处室审核", ("approve",), ("dept_review",)),
)
INCOMING_BOXES: tuple[tuple[str, tuple[str, ...], tuple[str, ...] | None], ...] = (
    ("初审", ("screen",), None),
    ("拟办意见", ("approve",), ("propose",)),
    ("领导批示", ("instruct",), None),
    ("承办情况", ("handle",), None),
    ("办结", ("approve",), ("conclude",)),
)
_OPINION_ACTIONS = {Action.APPROVE, Action.SIGN, Action.INSTRUCT, Action.COMMENT}


def sheet_title(doc: Document) -> str:
    """发文稿纸 (发文), 签报稿纸 (签报) or 收文处理笺 (收文): the sheet's name, also its file name when filed."""
    return {Kind.INCOMING: "收文处理笺", Kind.REQUEST: "签报稿纸"}.get(Kind(doc.kind), "发文稿纸")


def sheet_opinions(session: Session, doc: Document) -> dict[str, list[str]]:
    """The opinions to print in each box of the sheet: "意见 —— 姓名（代某某） 2026-03-05", oldest first.

    Withdrawn actions are left out; an action taken by a proxy names both (代). Keys are the box labels
    of OUTGOING_BOXES or INCOMING_BOXES (by the document's kind).
    """
    from core.models.documents import RouteStep
    from documents.history import timeline

    steps = {s.id: (s.kind, s.key) for s in session.scalars(select(RouteStep).where(RouteStep.document_id == doc.id))}
    boxes = INCOMING_BOXES if doc.kind == Kind.INCOMING else OUTGOING_BOXES
    out: dict[str, list[str]] = {label: [] for label, _kinds, _keys in boxes}
    for action, withdrawn in timeline(session, doc):
        if withdrawn or action.action not in _OPINION_ACTIONS or action.step_id not in steps:
            continue
        kind, key = steps[action.step_id]
        label = next((lbl for lbl, kinds, keys in boxes if kind in kinds and (keys is None or key in keys)), None)
        if label is None:
            continue
        who = action.actor.display_name
        if action.on_behalf_of is not None:
            who = f"{who}（代{action.on_behalf_of.display_name}）"
        opinion = (action.opinion or "").strip() or ("已阅" if action.action == Action.COMMENT else "同意")
        out[label].append(f"{opinion} —— {who} {_local(action.at)[:10]}")
    return out


def processing_sheet(
    session: Session, settings: Any, doc: Document, record: FilingRecord | None, stamp: Stamp | None,
    files: list[DocumentFile],
) -> bytes:
    """Render the 发文稿纸 (发文, 签报) or 收文处理笺 (收文) as PDF, fonts embedded (fileformats.pdffonts).

    First page: the sheet bureaus print, as boxes: 签发, 会签, 核稿, 处室审核 (收文: 初审, 拟办, 领导批示,
    承办, 办结) with every opinion, name and date (代 where a proxy acted); 拟稿单位/拟稿人, 文号, 密级,
    缓急, 主送, 抄送, 标题, 附件; the 归档章 and 档号 once filed. Then the full 办理过程 and the file list.
    """
    from reportlab.lib import colors
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.styles import ParagraphStyle
    from reportlab.lib.units import mm
    from reportlab.platypus import PageBreak, Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

    from documents.history import timeline
    from fileformats import pdffonts

    font = pdffonts.cjk_font()
    body = ParagraphStyle("body", fontName=font, fontSize=10.5, leading=15, wordWrap="CJK")
    small = ParagraphStyle("small", parent=body, fontSize=8.5, leading=12)
    label_style = ParagraphStyle("label", parent=body, alignment=1)
    red = colors.HexColor("#b3261e")
    head = ParagraphStyle("head", parent=body, fontSize=20, leading=28, alignment=1, textColor=red)
    sub = ParagraphStyle("sub", parent=body, fontSize=12, leading=18, spaceBefore=8, spaceAfter=4)

    def p(text: object, style: ParagraphStyle = body) -> Paragraph:
        return Paragraph(escape(str(text or "")).replace("\n", "<br/>"), style)

    incoming = doc.kind == Kind.INCOMING
    name = sheet_title(doc)
    story: list[Any] = [p(f"{settings.organ_name}{name}", head), Spacer(1, 3 * mm)]
    opinions = sheet_opinions(session, doc)
    attachments = "；".join(f.filename for f in files if f.role == "attachment") or "无"
    w = 170 * mm
    lw = 22 * mm  # label columns; the table has two label/value pairs per row
    rows: list[list[Any]] = []
    spans: list[tuple[str, tuple[int, int], tuple[int, int]]] = []
    heights: list[float | None] = []

    def full(label: str, value: object, height: float | None = None) -> None:
        rows.append([p(label, label_style), p(value), "", ""])
        spans.append(("SPAN", (1, len(rows) - 1), (3, len(rows) - 1)))
        heights.append(height)

    def pair(*cells: tuple[str, object]) -> None:
        row: list[Any] = []
        for label, value in cells:
            row += [p(label, label_style), p(value)]
        rows.append(row)
        heights.append(None)

    def opinion_box(label: str) -> None:
        full(label, "\n".join(opinions.get(label, [])) or " ", 24 * mm)

    if incoming:
        pair(("来文机关", doc.source_organ or "—"), ("来文字号", doc.source_number or "—"))
        pair(("收文日期", doc.received_on.isoformat() if doc.received_on else "—"),
             ("主办部门", doc.lead_department.name if doc.lead_department else "—"))
        pair(("密级", CLASSIFICATION_NAMES.get(doc.classification, "")), ("缓急", URGENCY_NAMES.get(doc.urgency, "")))
        full("标题", doc.title, 14 * mm)
        full("附件", attachments)
        for label, _kinds, _keys in INCOMING_BOXES:
            opinion_box(label)
    else:
        for label, _kinds, _keys in OUTGOING_BOXES:
            opinion_box(label)
        pair(("拟稿单位", doc.department.name), ("拟稿人", doc.drafter.display_name))
        pair(("文号", doc.doc_number or "—"), ("拟稿日期", _local(doc.created_at)[:10]))
        pair(("密级", CLASSIFICATION_NAMES.get(doc.classification, "")), ("缓急", URGENCY_NAMES.get(doc.urgency, "")))
        full("主送", doc.main_recipients or "—")
        full("抄送", doc.cc_recipients or "—")
        full("标题", doc.title, 14 * mm)
        full("附件", attachments)
    sheet = Table(rows, colWidths=[lw, (w - 2 * lw) / 2] * 2, rowHeights=heights)
    sheet.setStyle(TableStyle([
        ("BOX", (0, 0), (-1, -1), 1.2, red), ("INNERGRID", (0, 0), (-1, -1), 0.6, red),
        ("VALIGN", (0, 0), (-1, -1), "MIDDLE"), ("TEXTCOLOR", (0, 0), (0, -1), red), *spans,
    ]))
    story.append(sheet)
    if stamp is not None and record is not None:
        cells = [
            [p("全宗号", small), p("年度", small), p("件号", small)],
            [p(stamp.fonds), p(stamp.year), p(f"{stamp.piece:04d}")],
            [p("机构", small), p("保管期限", small), p("页数", small)],
            [p(stamp.department), p(RETENTION_NAMES[stamp.retention]), p(stamp.pages if stamp.pages else "—")],
        ]
        seal = Table(cells, colWidths=[28 * mm, 28 * mm, 28 * mm], hAlign="RIGHT")
        seal.setStyle(TableStyle([("BOX", (0, 0), (-1, -1), 1, red), ("INNERGRID", (0, 0), (-1, -1), 0.5, red)]))
        story += [Spacer(1, 3 * mm), p(f"档号：{record.archive_number}"), seal]
    story += [PageBreak()]
    story += [p("办理过程", sub)]
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
        canvas.setFont(font, 8)
        canvas.drawCentredString(A4[0] / 2, 10 * mm, f"— {document.page} —  {record.archive_number if record else ''}")
        canvas.restoreState()

    out = io.BytesIO()
    SimpleDocTemplate(out, pagesize=A4, leftMargin=20 * mm, rightMargin=20 * mm, topMargin=18 * mm,
                      bottomMargin=18 * mm, title=f"{name} {doc.title}", author=settings.organ_name
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
