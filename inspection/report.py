"""督查通报: per lead unit, for a quarter (or a year) — items, on time, overdue, closed — and its exports.

Counting rules (for a period `first`..`last`, local dates; items counted for their lead unit 主办):
- items: registered on or before `last` and not completed before `first` (handled during the period);
- closed: completed (the office accepted the 办结 report; completed_on = the report's date) in the period;
- on_time: closed in the period on or before the deadline;
- overdue: the deadline fell in the period (before today) and the item was not completed by it;
- missed_reports (通报 only): 进展反馈 due dates in the period (before today) not met by their date.

`year_figures` is what 目标考核 imports (`from inspection.report import year_figures`).
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from config import Settings
from core import calendar, org
from core.messages import msg
from core.models import Department
from core.models.inspection import InspectionItem
from fileformats.tables import xlsx_bytes
from inspection.service import facts_of, report_schedule


@dataclass
class Counts:
    """One unit's figures for a period (see the module rules)."""

    items: int = 0
    on_time: int = 0
    overdue: int = 0
    closed: int = 0
    missed_reports: int = 0

    def as_dict(self) -> dict[str, int]:
        return {"items": self.items, "on_time": self.on_time, "overdue": self.overdue, "closed": self.closed}


def quarter_bounds(year: int, quarter: int) -> tuple[date, date]:
    """First and last day of a quarter (1..4)."""
    if not 1 <= quarter <= 4:
        raise ValueError("quarter must be 1..4")
    first = date(year, 3 * quarter - 2, 1)
    nxt = date(year + 1, 1, 1) if quarter == 4 else date(year, 3 * quarter + 1, 1)
    return first, nxt - timedelta(days=1)


def figures(session: Session, settings: Settings, first: date, last: date, *,
            today: date | None = None, with_reports: bool = True) -> dict[int, Counts]:
    """Return department id -> Counts for the period, for every active department (zeros when none).

    `with_reports=False` leaves `missed_reports` at 0 and skips walking each item's report schedule
    (the year's assessment needs only the four counts)."""
    today = today or calendar.local_today()
    cal = calendar.load(session)
    out = {d.id: Counts() for d in org.departments(session)}
    rows = session.execute(select(InspectionItem.id, InspectionItem.lead_department_id, InspectionItem.registered_on,
                                  InspectionItem.deadline, InspectionItem.completed_on).where(
        InspectionItem.registered_on <= last,
        or_(InspectionItem.completed_on.is_(None), InspectionItem.completed_on >= first))).all()
    # Report dates can fall in the period only for items open at some point of it before today.
    reporting = [r.id for r in rows if with_reports and r.deadline > first and r.registered_on < min(last, today)]
    facts = facts_of(session, reporting) if reporting else {}
    for row in rows:
        counts = out.setdefault(row.lead_department_id, Counts())
        counts.items += 1
        if row.completed_on is not None and first <= row.completed_on <= last:
            counts.closed += 1
            counts.on_time += row.completed_on <= row.deadline
        if first <= row.deadline <= last and row.deadline < today and (
                row.completed_on is None or row.completed_on > row.deadline):
            counts.overdue += 1
        if row.id in facts:
            counts.missed_reports += sum(1 for r in report_schedule(cal, facts[row.id], today)
                                         if first <= r.due_on <= last and r.due_on < today
                                         and r.state in ("missing", "late"))
    return out


def year_figures(session: Session, settings: Settings, year: int) -> dict[int, dict[str, int]]:
    """Return department id -> {"items", "on_time", "overdue", "closed"} for items led by that department in
    `year` (the module's counting rules over 1 January to 31 December), every active department included.
    Imported by 目标考核 as the year's 督查 figures."""
    data = figures(session, settings, date(year, 1, 1), date(year, 12, 31), with_reports=False)
    return {dept: c.as_dict() for dept, c in data.items()}


@dataclass(frozen=True)
class Line:
    department: Department
    counts: Counts

    @property
    def rate(self) -> float | None:
        """按期办结率: on time / (on time + overdue); None without either."""
        base = self.counts.on_time + self.counts.overdue
        return self.counts.on_time / base if base else None


def lines(session: Session, settings: Settings, year: int, quarter: int, *, department_ids: list[int] | None = None,
          today: date | None = None) -> list[Line]:
    """The 通报 rows of a quarter, in the departments' display order (only `department_ids` when given)."""
    first, last = quarter_bounds(year, quarter)
    data = figures(session, settings, first, last, today=today)
    return [Line(d, data.get(d.id, Counts())) for d in org.departments(session)
            if department_ids is None or d.id in department_ids]


HEADERS = (msg("单位"), msg("督办事项"), msg("按期办结"), msg("逾期"), msg("办结"), msg("逾期未反馈（次）"),
           msg("按期办结率"))


def _pct(rate: float | None) -> str:
    return "—" if rate is None else f"{rate * 100:.0f}%"


def _rows(rows: list[Line]) -> list[list[object]]:
    return [[r.department.name, r.counts.items, r.counts.on_time, r.counts.overdue, r.counts.closed,
             r.counts.missed_reports, _pct(r.rate)] for r in rows]


def to_xlsx(rows: list[Line], year: int, quarter: int, headers: list[str]) -> bytes:
    """The 通报 table as an XLSX workbook (`headers` already in the reader's language)."""
    return xlsx_bytes(f"{year}Q{quarter}", headers, _rows(rows))


def to_docx(rows: list[Line], year: int, quarter: int, *, office_name: str, today: date) -> bytes:
    """A formatted 督查通报 (.docx, in Chinese as the document goes out): title, summary, table, notes."""
    from docx import Document as WordDocument
    from docx.enum.text import WD_ALIGN_PARAGRAPH
    from docx.shared import Pt

    doc = WordDocument()
    style = doc.styles["Normal"]
    style.font.name = "FangSong"
    style.font.size = Pt(14)
    title = doc.add_paragraph()
    title.alignment = WD_ALIGN_PARAGRAPH.CENTER
    run = title.add_run(f"关于{year}年第{quarter}季度督查督办事项办理情况的通报")
    run.bold, run.font.size = True, Pt(20)
    total = Counts()
    for r in rows:
        total.items += r.counts.items
        total.on_time += r.counts.on_time
        total.overdue += r.counts.overdue
        total.closed += r.counts.closed
        total.missed_reports += r.counts.missed_reports
    doc.add_paragraph("局机关各处室：")
    doc.add_paragraph(
        f"　　现将{year}年第{quarter}季度督查督办事项办理情况通报如下：本季度在办督办事项{total.items}项，"
        f"办结{total.closed}项，其中按期办结{total.on_time}项；逾期{total.overdue}项；"
        f"逾期未报送进展反馈{total.missed_reports}次。")
    late = [r.department.name for r in rows if r.counts.overdue or r.counts.missed_reports]
    if late:
        doc.add_paragraph(f"　　{'、'.join(late)}存在逾期办理或未按时反馈进展的情况，请抓紧办理并按时报送。")
    else:
        doc.add_paragraph("　　各单位均按期办理、按时反馈，请继续保持。")
    table = doc.add_table(rows=1, cols=7)
    table.style = "Table Grid"
    for cell, text in zip(table.rows[0].cells, ("单位", "督办事项", "按期办结", "逾期", "办结", "逾期未反馈（次）",
                                                "按期办结率"), strict=True):
        cell.text = text
        for p in cell.paragraphs:
            for r in p.runs:
                r.bold = True
    for values in _rows(rows):
        cells = table.add_row().cells
        for cell, value in zip(cells, values, strict=True):
            cell.text = str(value)
    doc.add_paragraph("　　说明：办结以办公室审核通过办结报告为准；按期办结率＝按期办结÷（按期办结＋逾期）。")
    sign = doc.add_paragraph(f"{office_name}\n{today.year}年{today.month}月{today.day}日")
    sign.alignment = WD_ALIGN_PARAGRAPH.RIGHT
    out = io.BytesIO()
    doc.save(out)
    return out.getvalue()
