"""The annual 发文登记簿 and 归档文件目录 as CSV (UTF-8 with BOM, opens in Excel/WPS) and XLSX.

openpyxl is imported here only. Cells that a spreadsheet would run as a formula (=, +, -, @) are
prefixed with an apostrophe: a title typed by a user must never become a formula.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy.orm import Session

from core.clearance import cleared
from core.models import User
from documents import filing, ledger
from documents.states import CLASSIFICATION_NAMES, RETENTION_NAMES, URGENCY_NAMES
from fileformats import tables

REGISTER_HEADERS = ["序号", "文号", "标题", "拟稿部门", "拟稿人", "签发人", "签发日期", "密级", "紧急程度",
                    "主送", "抄送", "份数", "编号时间", "状态", "作废原因"]
CATALOGUE_HEADERS = ["件号", "档号", "责任者", "文号", "题名", "日期", "页数", "密级", "保管期限", "机构", "备注"]


INCOMING_HEADERS = ["序号", "收文日期", "来文机关", "来文字号", "标题", "密级", "紧急程度", "主办部门", "状态"]

HIDDEN_TITLE = "（涉密文件，标题不显示）"


def incoming(session: Session, year: int) -> list[Any]:
    """The 收文 registered in `year` (by 收文日期, else registration time), in order of registration."""
    from datetime import date

    from sqlalchemy import or_, select

    from core.calendar import day_end, day_start
    from core.models.documents import Document
    from documents.states import Kind

    first, last = date(year, 1, 1), date(year, 12, 31)
    # Without a 收文日期, the registration time decides, by the bureau's calendar (Asia/Shanghai): a
    # 收文 registered at 07:00 on 1 January in Beijing belongs to the new year, although UTC says 31 December.
    stmt = (select(Document).where(Document.kind == Kind.INCOMING, or_(
        Document.received_on.between(first, last),
        (Document.received_on.is_(None)) & (Document.created_at >= day_start(first))
        & (Document.created_at < day_end(last))))
        .order_by(Document.id))
    return list(session.scalars(stmt))


def incoming_rows(session: Session, year: int, viewer: User | None = None) -> list[list[Any]]:
    """Return the 收文登记簿 of a year as rows under INCOMING_HEADERS (titles above `viewer`'s clearance hidden)."""
    from documents.states import STATE_NAMES

    rows = []
    for n, doc in enumerate(incoming(session, year), 1):
        hidden = viewer is not None and not cleared(viewer, doc.classification)
        rows.append([
            n, doc.received_on.isoformat() if doc.received_on else "", doc.source_organ or "", doc.source_number or "",
            HIDDEN_TITLE if hidden else doc.title, CLASSIFICATION_NAMES.get(doc.classification, ""),
            URGENCY_NAMES.get(doc.urgency, ""), doc.lead_department.name if doc.lead_department else "",
            STATE_NAMES.get(doc.state, doc.state),
        ])
    return rows


def register_rows(session: Session, year: int, viewer: User | None = None) -> list[list[Any]]:
    """Return the 发文登记簿 of a year as rows under REGISTER_HEADERS.

    With `viewer`, the title and recipients of a document above the viewer's clearance are not shown
    (the number stays: the ledger has no gaps).
    """
    rows = []
    for entry in ledger.entries(session, year=year):
        doc = entry.document
        signer: User | None = doc.signed_by
        hidden = viewer is not None and not cleared(viewer, doc.classification)
        rows.append([
            entry.serial, entry.number, HIDDEN_TITLE if hidden else doc.title, doc.department.name,
            doc.drafter.display_name,
            signer.display_name if signer else "",
            doc.signed_at.astimezone(ledger.LOCAL_TZ).strftime("%Y-%m-%d") if doc.signed_at else "",
            CLASSIFICATION_NAMES.get(doc.classification, ""), URGENCY_NAMES.get(doc.urgency, ""),
            "" if hidden else doc.main_recipients, "" if hidden else doc.cc_recipients, doc.copies or "",
            entry.issued_at.astimezone(ledger.LOCAL_TZ).strftime("%Y-%m-%d %H:%M"),
            "已作废" if entry.voided_at else "有效", entry.void_reason or "",
        ])
    return rows


def catalogue_rows(session: Session, year: int, viewer: User | None = None) -> list[list[Any]]:
    """Return the 归档文件目录 of a year as rows under CATALOGUE_HEADERS (titles above `viewer`'s clearance hidden)."""
    return [
        [r.piece, r.archive_number, r.responsible, r.doc_number or "",
         HIDDEN_TITLE if viewer is not None and not cleared(viewer, r.classification) else r.title,
         r.doc_date.strftime("%Y%m%d") if r.doc_date else "", r.pages or "",
         CLASSIFICATION_NAMES.get(r.classification, ""), RETENTION_NAMES.get(r.retention, r.retention),
         r.department_code, r.remark or ""]
        for r in filing.catalogue(session, year=year)
    ]


def to_csv(headers: Sequence[str], rows: Sequence[Sequence[Any]]) -> bytes:
    """Return CSV bytes with a BOM so Excel and WPS read the Chinese correctly (fileformats.tables)."""
    return tables.csv_bytes(headers, rows)


def to_xlsx(title: str, headers: Sequence[str], rows: Sequence[Sequence[Any]]) -> bytes:
    """Return an XLSX workbook with one sheet, a bold header row and frozen headers (fileformats.tables)."""
    return tables.xlsx_bytes(title, headers, rows)
