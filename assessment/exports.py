"""The quarter's analysis report (分析报告): an XLSX table (fileformats.tables) and a formatted .docx built
with python-docx, both from a QuarterSummary. Both are fast and made on demand; the PDF goes through
LibreOffice and is made by the worker only (assessment/pdf.py)."""

from __future__ import annotations

import io

from assessment.service import CATEGORIES, QUARTER_NAMES, REPORT_STATES, STATUSES, QuarterSummary
from core import calendar
from fileformats import tables

XLSX_HEADERS = ["处室", "报送情况", "报送时间", "类别", "目标内容", "考核标准", "责任人", "本季度节点", "完成情况",
                "完成情况说明"]


def _when(summary: QuarterSummary, row_index: int) -> str:
    report = summary.rows[row_index].report
    if report is None:
        return ""
    return calendar.local_date(report.submitted_at).isoformat()


def summary_xlsx(summary: QuarterSummary) -> bytes:
    """Return the summary as one sheet: a row per target (departments without a report included)."""
    rows: list[list[object]] = []
    for index, row in enumerate(summary.rows):
        state = REPORT_STATES[row.state]
        for target in row.targets:
            item = row.statuses.get(target.id)
            rows.append([row.department.name, state, _when(summary, index), CATEGORIES.get(target.category, ""),
                         target.content, target.measure, target.person, target.milestone(summary.quarter),
                         STATUSES[item.status] if item else "", item.evidence if item else ""])
    title = f"{summary.year}年{QUARTER_NAMES[summary.quarter]}目标自查"
    return tables.xlsx_bytes(title, XLSX_HEADERS, rows)


def _pct(part: int, whole: int) -> str:
    return f"{100.0 * part / whole:.1f}%" if whole else "—"


def analysis_docx(summary: QuarterSummary, organ_name: str) -> bytes:
    """Return the 分析报告 as a .docx: 报送情况, 目标推进情况, 各处室情况 (a table), 滞后目标, 下一步工作."""
    from docx import Document as new_document
    from docx.enum.text import WD_ALIGN_PARAGRAPH
    from docx.oxml.ns import qn
    from docx.shared import Pt

    doc = new_document()
    normal = doc.styles["Normal"]
    normal.font.name = "FangSong"
    normal.font.size = Pt(14)
    normal.element.get_or_add_rPr().get_or_add_rFonts().set(qn("w:eastAsia"), "仿宋_GB2312")
    quarter = QUARTER_NAMES[summary.quarter]
    title = doc.add_paragraph()
    title.alignment = WD_ALIGN_PARAGRAPH.CENTER
    run = title.add_run(f"{organ_name}\n{summary.year}年{quarter}目标绩效自查情况分析报告")
    run.bold = True
    run.font.size = Pt(20)
    run.element.get_or_add_rPr().get_or_add_rFonts().set(qn("w:eastAsia"), "方正小标宋简体")

    def heading(text: str) -> None:
        para = doc.add_paragraph()
        head = para.add_run(text)
        head.bold = True
        head.element.get_or_add_rPr().get_or_add_rFonts().set(qn("w:eastAsia"), "黑体")

    total = len(summary.rows)
    on_time, late = summary.with_state("on_time"), summary.with_state("late")
    missing = summary.with_state("missing", "pending", "returned")
    heading("一、报送情况")
    text = (f"按照目标绩效管理要求，各处室应于{summary.due.month}月{summary.due.day}日前报送{quarter}目标自查报告。"
            f"应报{total}个处室，按时报送{len(on_time)}个，逾期报送{len(late)}个，未报送（含退回待重报）{len(missing)}个。")
    if late:
        text += f"逾期报送：{'、'.join(r.department.name for r in late)}。"
    if missing:
        text += f"未报送：{'、'.join(r.department.name for r in missing)}。"
    doc.add_paragraph(text)
    counts = summary.status_counts()
    reported_targets = sum(counts.values())
    heading("二、目标推进情况")
    doc.add_paragraph(
        f"已报送处室共有目标{reported_targets}项，"
        f"其中已完成{counts['done']}项（{_pct(counts['done'], reported_targets)}），"
        f"推进中{counts['in_progress']}项，滞后{counts['behind']}项，未开始{counts['not_started']}项。")
    heading("三、各处室情况")
    table = doc.add_table(rows=1, cols=7)
    table.style = "Table Grid"
    for cell, text in zip(table.rows[0].cells, ["处室", "目标数", "已完成", "推进中", "滞后", "未开始", "报送情况"],
                          strict=True):
        cell.text = text
    for row in summary.rows:
        values = [row.department.name, str(len(row.targets)), str(row.count("done")), str(row.count("in_progress")),
                  str(row.count("behind")), str(row.count("not_started")), REPORT_STATES[row.state]]
        for cell, value in zip(table.add_row().cells, values, strict=True):
            cell.text = value
    for table_row in table.rows:
        for cell in table_row.cells:
            for para in cell.paragraphs:
                for cell_run in para.runs:
                    cell_run.font.size = Pt(10.5)
    heading("四、滞后目标")
    behind = [(row, t, row.statuses[t.id]) for row in summary.rows for t in row.targets
              if t.id in row.statuses and row.statuses[t.id].status == "behind"]
    if not behind:
        doc.add_paragraph("本季度无滞后目标。")
    for number, (row, target, item) in enumerate(behind, start=1):
        doc.add_paragraph(f"{number}. {row.department.name}：{target.content}。原因及措施：{item.evidence or '未说明'}")
    heading("五、下一步工作")
    doc.add_paragraph("请滞后目标的责任处室制定整改措施、明确完成时限；未按时报送的处室于三个工作日内补报。"
                      "办公室将结合半年检查和年终考核，对目标推进情况进行跟踪督办。")
    out = io.BytesIO()
    doc.save(out)
    return out.getvalue()
