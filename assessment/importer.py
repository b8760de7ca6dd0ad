"""Targets from the XLSX template (目标责任书导入): every row checked, nothing imported until all are right.

The upload is bounded before anything parses it: at most MAX_BYTES, a zip (an encrypted workbook is an
OLE file, an old .xls too: both are refused with what to do), its declared inflated size checked by
fileformats.zipguard (Python's zipfile never inflates past a member's declared size), then openpyxl in
read-only mode reads at most MAX_ROWS rows of the first sheet. The headers are Chinese and matched by
name (TEMPLATE_HEADERS); the department is its name (or code), the category its label.
"""

from __future__ import annotations

import io
import zipfile
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from assessment.service import CATEGORIES, AssessmentError, TargetDraft, check_period, import_rows, target_problems
from config import Settings
from core import org
from core.messages import DomainError, msg
from core.models import User
from core.models.assessment import AssessmentTarget
from fileformats import tables, zipguard

MAX_BYTES = 2 * 1024 * 1024
MAX_ROWS = 500
MAX_INFLATED = 20 * 1024 * 1024
MAX_COLUMNS = 20
MAX_LISTED = 50  # errors listed at once; the rest are counted

TEMPLATE_HEADERS = ["部门", "类别", "目标内容", "考核标准", "责任人", "一季度", "二季度", "三季度", "四季度", "分值"]
REQUIRED = ("部门", "类别", "目标内容")


def template_bytes() -> bytes:
    """Return the XLSX template the import page offers: the Chinese headers and two example rows."""
    examples = [
        ["造林绿化处", "业务工作目标", "完成人工造林1.2万亩", "以省林业局核查验收面积为准", "杨海涛",
         "完成作业设计", "完成春季造林0.8万亩", "完成补植补造", "全面完成并通过验收", 20],
        ["办公室", "党风廉政建设目标", "落实党风廉政建设主体责任", "全年无违纪违法案件", "王秀英",
         "签订责任书", "开展廉政教育", "开展专项检查", "完成年度考核", 10],
    ]
    return tables.xlsx_bytes("目标责任书", TEMPLATE_HEADERS, examples)


def read_rows(data: bytes, filename: str) -> list[tuple[int, dict[str, Any]]]:
    """Return the data rows of the first sheet as (row number, {header: value}), empty rows skipped.

    Raises AssessmentError for an empty, too large, non-xlsx, encrypted or broken file, a zip bomb,
    missing headers, no data rows or more than MAX_ROWS rows: each message says what to do.
    """
    if not filename.lower().endswith(".xlsx"):
        raise AssessmentError(msg("请上传 .xlsx 格式的表格（可下载本页的模板填写）。"))
    if not data:
        raise AssessmentError(msg("文件是空的，请在模板中填写目标后再导入。"))
    if len(data) > MAX_BYTES:
        raise AssessmentError(msg("文件超过 %(mb)d MB，请拆分后分批导入（每次不超过%(rows)d行）。",
                                  mb=MAX_BYTES // (1024 * 1024), rows=MAX_ROWS))
    if data.startswith(b"\xd0\xcf\x11\xe0"):
        raise AssessmentError(msg("文件已加密，或是旧版 .xls 格式：请取消密码保护，另存为 .xlsx 后再导入。"))
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as package:
            zipguard.check(package, max_part=MAX_INFLATED, max_total=MAX_INFLATED)
    except zipguard.ZipBomb:
        raise AssessmentError(msg("文件解压后过大，可能已损坏或被篡改，已拒绝；请用模板重新填写后导入。")) from None
    except (zipfile.BadZipFile, OSError, ValueError):
        raise AssessmentError(msg("文件不是有效的 .xlsx 表格，可能已损坏：请用 Excel 或 WPS 打开后另存为 .xlsx 再导入。"
                                  )) from None
    rows = _sheet_rows(data)
    if not rows:
        raise AssessmentError(msg("文件中没有内容，请在模板中填写目标后再导入。"))
    headers = [str(h).strip() if h is not None else "" for h in rows[0][1]]
    missing = [h for h in REQUIRED if h not in headers]
    if missing:
        raise AssessmentError(msg("表头缺少：%(names)s。请下载本页的模板，按模板的表头填写。",
                                  names="、".join(missing)))
    out = []
    for number, values in rows[1:]:
        record = {h: values[i] if i < len(values) else None for i, h in enumerate(headers) if h}
        if any(v is not None and str(v).strip() for v in record.values()):
            out.append((number, record))
    if not out:
        raise AssessmentError(msg("文件中只有表头，没有目标，请填写后再导入。"))
    return out


def _sheet_rows(data: bytes) -> list[tuple[int, list[Any]]]:
    from openpyxl import load_workbook

    unreadable = msg("文件无法读取，可能已加密或损坏：请取消密码保护，用 Excel 或 WPS 另存为 .xlsx 后再导入。")
    try:
        book = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception:  # openpyxl raises many types for a damaged package (KeyError, ValueError, XML errors)
        raise AssessmentError(unreadable) from None
    try:
        if not book.worksheets:
            return []
        sheet = book.worksheets[0]
        rows: list[tuple[int, list[Any]]] = []
        try:
            for number, values in enumerate(sheet.iter_rows(max_col=MAX_COLUMNS, values_only=True), start=1):
                if number > MAX_ROWS + 1:
                    raise AssessmentError(msg("表格超过%(n)d行，请拆分后分批导入。", n=MAX_ROWS))
                rows.append((number, list(values)))
        except DomainError:
            raise
        except Exception:
            raise AssessmentError(unreadable) from None
        return rows
    finally:
        book.close()


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return str(value).strip()


def parse(session: Session, year: int, rows: list[tuple[int, dict[str, Any]]]) -> tuple[
        list[tuple[int, TargetDraft]], list[str]]:
    """Check every row; return (drafts, problems), each problem "第N行：what is wrong and what to do"."""
    departments = org.departments(session)
    by_name = {d.name: d for d in departments} | {d.code: d for d in departments}
    categories = {label: code for code, label in CATEGORIES.items()}
    existing = {(d, c) for d, c in session.execute(select(AssessmentTarget.department_id, AssessmentTarget.content)
                                                   .where(AssessmentTarget.year == year))}
    seen: dict[tuple[int, str], int] = {}
    drafts: list[tuple[int, TargetDraft]] = []
    problems: list[str] = []
    for number, record in rows:
        row_problems: list[str] = []
        dept_name = _text(record.get("部门"))
        department = by_name.get(dept_name)
        if not dept_name:
            row_problems.append(msg("请填写部门名称，例如：造林绿化处。"))
        elif department is None:
            row_problems.append(msg("部门「%(name)s」不存在，请填写部门全称，例如：造林绿化处。", name=dept_name[:30]))
        category_label = _text(record.get("类别"))
        category = categories.get(category_label, "")
        weight: float | None = None
        raw_weight = record.get("分值")
        if raw_weight is not None and _text(raw_weight):
            try:
                weight = float(_text(raw_weight))
            except ValueError:
                row_problems.append(msg("分值「%(value)s」不是数字，请填写数字或留空。", value=_text(raw_weight)[:20]))
        draft = TargetDraft(
            department_id=department.id if department else None, category=category,
            content=_text(record.get("目标内容")), measure=_text(record.get("考核标准")),
            person=_text(record.get("责任人")),
            milestones=(_text(record.get("一季度")), _text(record.get("二季度")), _text(record.get("三季度")),
                        _text(record.get("四季度"))),
            weight=weight)
        field_problems = target_problems(draft)
        if category_label and not category:
            wrong = msg("类别「%(value)s」无效，请填写：%(names)s。", value=category_label[:30],
                        names="、".join(CATEGORIES.values()))
            field_problems = [wrong, *field_problems[1:]]
        row_problems += field_problems
        if department is not None and draft.content:
            key = (department.id, draft.content)
            if key in existing:
                row_problems.append(msg("%(dept)s %(year)d年已有相同目标，请删除此行（不要重复导入）。",
                                        dept=department.name, year=year))
            elif key in seen:
                row_problems.append(msg("与第%(n)d行重复，请删除其中一行。", n=seen[key]))
            else:
                seen[key] = number
        for problem in row_problems:
            problems.append(msg("第%(row)d行：%(problem)s", row=number, problem=problem))
        if not row_problems:
            drafts.append((number, draft))
    return drafts, problems


def import_file(session: Session, settings: Settings, actor: User, year: int, filename: str,
                data: bytes) -> list[AssessmentTarget]:
    """Import the targets of an uploaded template for `year` (the caller commits); all rows or none.

    Raises AssessmentError whose `problems` list every wrong row (row number, what, what to do; the
    first MAX_LISTED, then how many more).
    """
    if not org.is_office(settings, actor):
        raise AssessmentError(msg("目标由办公室录入或导入。"))
    check_period(year, 1)
    rows = read_rows(data, filename)
    drafts, problems = parse(session, year, rows)
    if problems:
        listed = problems[:MAX_LISTED]
        if len(problems) > MAX_LISTED:
            listed.append(msg("……另有%(n)d处错误。", n=len(problems) - MAX_LISTED))
        head = msg("未导入任何目标：%(n)d处错误，请改正后重新导入整个文件。", n=len(problems))
        raise AssessmentError(head, problems=[head, *listed])
    return import_rows(session, settings, actor, year, drafts)
