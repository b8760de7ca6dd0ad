"""目标绩效考核: the year's targets per department, the quarterly 自查 and the office's summary.

Rules (issue 14 §4, ../shared/docs/domain.md "目标绩效考核", Chengdu seed):
- At the year's start each department has its 目标责任书: targets of a category (业务工作目标,
  党风廉政建设目标, 精神文明建设目标, 其他目标), each with content, a measure (考核标准), the person
  responsible and what is due by the end of each quarter; optional points (weight, default 1).
  Only the office (core.org.is_office) enters targets, one by one or from the XLSX template
  (assessment/importer.py: every row checked, nothing imported until all rows are right).
- Each quarter a department submits a 自查 report: a status per target (未开始, 推进中, 已完成, 滞后;
  what was done is required for 已完成 and 滞后) and an overall summary, optionally one attachment.
  It is due within `settings.assessment.self_check_days` days after the quarter ends: calendar days by
  default (Q1 due 4月5日), or working days on the bureau's calendar when `self_check_day_kind` is
  "working" (core/calendar.py: holidays and 调休 count). A report may be submitted from
  the first day of the quarter's last month. Submitted after the due date (bureau date), it is marked
  late; the mark is judged at the first submission and kept when the office returns it.
- The department's 处室负责人 submits (the office may submit on a department's behalf, recorded as
  such); everyone in the department sees its targets and reports; the office sees all, returns a
  report with its reasons (the department resubmits) and sees the quarter's summary.
- A department is expected to report for a quarter when it has targets for that year.
- The worker reminds (bell) each department that has not submitted once its due date has come, and
  tells the office on that day who is missing; once per department and quarter.

Every refusal is an AssessmentError (a DomainError) naming what to do.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, selectinload

from config import Settings
from core import audit, calendar, org, storage
from core.messages import N_, DomainError, msg
from core.models import Department, User
from core.models.assessment import AssessmentTarget, SelfCheck, SelfCheckItem, SelfCheckReminder
from core.models.base import utcnow
from core.permissions import Role
from notifications import notify

CATEGORIES: dict[str, str] = {
    "work": N_("业务工作目标"),
    "integrity": N_("党风廉政建设目标"),
    "civility": N_("精神文明建设目标"),
    "other": N_("其他目标"),
}
STATUSES: dict[str, str] = {
    "not_started": N_("未开始"),
    "in_progress": N_("推进中"),
    "done": N_("已完成"),
    "behind": N_("滞后"),
}
# Share of a target's points a status earns on the year's assessment page (目标完成 component).
STATUS_CREDIT: dict[str, float] = {"done": 1.0, "in_progress": 0.6, "behind": 0.3, "not_started": 0.0}
QUARTER_NAMES: dict[int, str] = {1: N_("第一季度"), 2: N_("第二季度"), 3: N_("第三季度"), 4: N_("第四季度")}
# How a department stands for a quarter on the summary page.
REPORT_STATES: dict[str, str] = {
    "on_time": N_("按时报送"),
    "late": N_("逾期报送"),
    "returned": N_("已退回"),
    "missing": N_("未报送"),
    "pending": N_("待报送"),
}
COMPONENTS: dict[str, str] = {"targets": N_("目标完成"), "reporting": N_("信息报送"), "inspection": N_("督查督办")}
MAX_CONTENT = 1000
MAX_MEASURE = 1000
MAX_PERSON = 100
MAX_MILESTONE = 500
MAX_EVIDENCE = 2000
MAX_SUMMARY = 5000
MAX_REASON = 2000
MAX_WEIGHT = 100.0


class AssessmentError(DomainError):
    """An assessment action was refused; the message says why and what to do."""


# ---- who may do what -------------------------------------------------------------------------------

is_office = org.is_office


def may_view(settings: Settings, user: User, department_id: int) -> bool:
    """Return True when `user` may see the department's targets and reports (its people, the office)."""
    return is_office(settings, user) or user.department_id == department_id


def may_submit(settings: Settings, user: User, department_id: int) -> bool:
    """Return True when `user` may submit the department's 自查 (its 处室负责人, or the office)."""
    if not user.active:
        return False
    if is_office(settings, user):
        return True
    return user.department_id == department_id and Role.DEPT_HEAD in user.role_codes


def _require_office(settings: Settings, user: User, what: str) -> None:
    if not is_office(settings, user):
        raise AssessmentError(msg("%(what)s由办公室负责，请联系办公室。", what=msg(what)))


# ---- quarters and due dates -------------------------------------------------------------------------


def quarter_start(year: int, quarter: int) -> date:
    """Return the first day of the quarter (1-4)."""
    return date(year, 3 * quarter - 2, 1)


def quarter_end(year: int, quarter: int) -> date:
    """Return the last day of the quarter (1-4): 3月31日, 6月30日, 9月30日, 12月31日."""
    return date(year + 1, 1, 1) - timedelta(days=1) if quarter == 4 else date(year, 3 * quarter + 1, 1) - timedelta(
        days=1)


def opens_on(year: int, quarter: int) -> date:
    """Return the first day a quarter's 自查 may be submitted: the first day of its last month."""
    return date(year, 3 * quarter, 1)


def due_date(settings: Settings, cal: calendar.WorkCalendar, year: int, quarter: int) -> date:
    """Return the last day (bureau date, inclusive) to submit the quarter's 自查.

    `self_check_days` after the quarter's last day: calendar days ("calendar", the seed's 5日: Q1 is due
    4月5日), or working days on `cal` ("working": holidays skipped, 调休 days counted).
    """
    cfg = settings.assessment
    end = quarter_end(year, quarter)
    if cfg.self_check_day_kind == "working":
        return cal.add_workdays(end, cfg.self_check_days)
    return end + timedelta(days=cfg.self_check_days)


def check_period(year: int, quarter: int) -> None:
    """Raise AssessmentError unless `year` is 2000-2100 and `quarter` 1-4."""
    if not 2000 <= year <= 2100 or quarter not in QUARTER_NAMES:
        raise AssessmentError(msg("请选择2000至2100年间的年度和第一至第四季度。"))


def last_ended_quarter(today: date) -> tuple[int, int]:
    """Return (year, quarter) of the latest quarter that has ended before `today`."""
    quarter = (today.month - 1) // 3  # the current quarter's predecessor
    return (today.year - 1, 4) if quarter == 0 else (today.year, quarter)


def default_quarter(today: date) -> tuple[int, int]:
    """The quarter a page shows first: the current one from its last month on, else the last ended one."""
    current = (today.month - 1) // 3 + 1
    if today >= opens_on(today.year, current):
        return today.year, current
    return last_ended_quarter(today)


# ---- targets --------------------------------------------------------------------------------------


@dataclass
class TargetDraft:
    """A target as the office fills it in (or as one row of the import)."""

    department_id: int | None
    category: str
    content: str
    measure: str = ""
    person: str = ""
    milestones: tuple[str, str, str, str] = ("", "", "", "")
    weight: float | None = None


def target_problems(draft: TargetDraft) -> list[str]:
    """Return every problem of a target's fields (not the department), each saying what to do."""
    problems: list[str] = []
    if draft.category not in CATEGORIES:
        problems.append(msg("请选择目标类别：%(names)s。", names="、".join(CATEGORIES.values())))
    content = draft.content.strip()
    if not content:
        problems.append(msg("请填写目标内容。"))
    elif len(content) > MAX_CONTENT:
        problems.append(msg("目标内容不能超过%(n)d个字。", n=MAX_CONTENT))
    if len(draft.measure.strip()) > MAX_MEASURE:
        problems.append(msg("考核标准不能超过%(n)d个字。", n=MAX_MEASURE))
    if len(draft.person.strip()) > MAX_PERSON:
        problems.append(msg("责任人不能超过%(n)d个字。", n=MAX_PERSON))
    if any(len(m.strip()) > MAX_MILESTONE for m in draft.milestones):
        problems.append(msg("每季度节点不能超过%(n)d个字。", n=MAX_MILESTONE))
    if draft.weight is not None and not 0 < draft.weight <= MAX_WEIGHT:
        problems.append(msg("分值须大于0且不超过%(n)d；不填则按1分计。", n=int(MAX_WEIGHT)))
    return problems


def _exists(session: Session, year: int, department_id: int, content: str) -> bool:
    return session.scalar(select(AssessmentTarget.id).where(
        AssessmentTarget.year == year, AssessmentTarget.department_id == department_id,
        AssessmentTarget.content == content.strip())) is not None


def _new_target(year: int, draft: TargetDraft, actor: User, now: datetime) -> AssessmentTarget:
    q1, q2, q3, q4 = (m.strip() for m in draft.milestones)
    assert draft.department_id is not None
    return AssessmentTarget(
        year=year, department_id=draft.department_id, category=draft.category, content=draft.content.strip(),
        measure=draft.measure.strip(), person=draft.person.strip(), q1=q1, q2=q2, q3=q3, q4=q4,
        weight=draft.weight, created_by_id=actor.id, created_at=now)


def add_target(session: Session, settings: Settings, actor: User, year: int, draft: TargetDraft) -> AssessmentTarget:
    """The office adds one target to a department's 目标责任书 for `year` (the caller commits).

    Raises AssessmentError listing every problem; the same content twice for a department and year
    is refused (a double-posted form does not add it twice).
    """
    _require_office(settings, actor, N_("目标录入"))
    check_period(year, 1)
    problems = target_problems(draft)
    department = session.get(Department, draft.department_id) if draft.department_id else None
    if department is None or not department.active:
        problems.insert(0, msg("请选择部门。"))
    elif not problems and _exists(session, year, department.id, draft.content):
        problems.append(msg("%(dept)s %(year)d年已有相同内容的目标（已处理），无需重复录入。",
                            dept=department.name, year=year))
    if problems:
        raise AssessmentError(problems[0], problems=problems)
    target = _new_target(year, draft, actor, utcnow())
    session.add(target)
    session.flush()
    audit.record(session, "assessment.target.create", user=actor,
                 detail=f"{year} {target.department_id}: {target.content}"[:500],
                 data={"target_id": target.id, "year": year, "department_id": target.department_id})
    return target


def delete_target(session: Session, settings: Settings, actor: User, target_id: int) -> AssessmentTarget:
    """The office deletes a target that no 自查 report has reported on yet."""
    _require_office(settings, actor, N_("目标录入"))
    target = session.get(AssessmentTarget, target_id)
    if target is None:
        raise AssessmentError(msg("目标不存在或已删除（已处理）。"))
    if session.scalar(select(SelfCheckItem.id).where(SelfCheckItem.target_id == target.id).limit(1)) is not None:
        raise AssessmentError(msg("该目标已有自查记录，不能删除；如需调整，请在下一季度自查中说明。"))
    audit.record(session, "assessment.target.delete", user=actor, detail=target.content[:500],
                 data={"target_id": target.id, "year": target.year, "department_id": target.department_id})
    session.delete(target)
    session.flush()
    return target


def targets(session: Session, year: int, department_id: int | None = None) -> list[AssessmentTarget]:
    """Return the targets of `year` (of one department when given), by department order, category, entry."""
    stmt = (select(AssessmentTarget).join(Department, Department.id == AssessmentTarget.department_id)
            .where(AssessmentTarget.year == year).options(selectinload(AssessmentTarget.department)))
    if department_id is not None:
        stmt = stmt.where(AssessmentTarget.department_id == department_id)
    order = list(CATEGORIES)
    rows = list(session.scalars(stmt.order_by(Department.sort_order, Department.id, AssessmentTarget.id)))
    return sorted(rows, key=lambda t: (t.department.sort_order, t.department_id,
                                       order.index(t.category) if t.category in order else 99, t.id))


def assessed_departments(session: Session, year: int) -> list[Department]:
    """Return the departments with targets in `year` (those expected to report), in the bureau's order."""
    ids = select(AssessmentTarget.department_id).where(AssessmentTarget.year == year).distinct()
    return list(session.scalars(select(Department).where(Department.id.in_(ids))
                                .order_by(Department.sort_order, Department.id)))


def import_rows(session: Session, settings: Settings, actor: User, year: int,
                rows: list[tuple[int, TargetDraft]]) -> list[AssessmentTarget]:
    """Add checked import rows (assessment.importer.parse) as targets; audit the import as one event."""
    _require_office(settings, actor, N_("目标录入"))
    now = utcnow()
    made = [_new_target(year, draft, actor, now) for _row, draft in rows]
    session.add_all(made)
    session.flush()
    audit.record(session, "assessment.targets.import", user=actor, detail=f"{year}: {len(made)}",
                 data={"year": year, "count": len(made), "target_ids": [t.id for t in made][:500]})
    return made


# ---- 自查 -----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ItemEntry:
    """One target's status code (STATUSES) and what was done (evidence)."""

    status: str
    evidence: str = ""


@dataclass
class Attachment:
    filename: str
    data: bytes


def report_for(session: Session, year: int, quarter: int, department_id: int) -> SelfCheck | None:
    """Return the department's 自查 of the quarter, or None when none was submitted."""
    return session.scalar(select(SelfCheck).where(SelfCheck.year == year, SelfCheck.quarter == quarter,
                                                  SelfCheck.department_id == department_id)
                          .options(selectinload(SelfCheck.items)))


def submit(session: Session, settings: Settings, actor: User, department_id: int, year: int, quarter: int,
           entries: Mapping[int, ItemEntry], summary: str = "", *, attachment: Attachment | None = None,
           now: datetime | None = None, tell: bool = True) -> SelfCheck:
    """Submit (or resubmit after a return) the department's 自查 for the quarter (the caller commits).

    `entries` maps every target id of the department's year to its ItemEntry. Raises AssessmentError
    listing every problem: not allowed, too early, already submitted (已处理), a target without a status,
    已完成/滞后 without what was done. Late (submitted after `due_date`, bureau date) is marked at the
    first submission; the office is told (unless `tell` is False: the demo's past).
    """
    now = now or utcnow()
    check_period(year, quarter)
    department = session.get(Department, department_id)
    if department is None:
        raise AssessmentError(msg("部门不存在。"))
    if not may_submit(settings, actor, department_id):
        raise AssessmentError(msg("自查报告由本处室负责人提交；如负责人不在，请联系办公室代报。"))
    today = calendar.local_date(now)
    if today < opens_on(year, quarter):
        raise AssessmentError(msg("%(q)s的自查报告自 %(day)s 起提交。", q=msg(QUARTER_NAMES[quarter]),
                                  day=opens_on(year, quarter).isoformat()))
    existing = report_for(session, year, quarter, department_id)
    if existing is not None and existing.state == "submitted":
        raise AssessmentError(msg("本季度自查报告已提交（已处理）；如需修改，请联系办公室退回。"))
    own = targets(session, year, department_id)
    if not own:
        raise AssessmentError(msg("%(dept)s %(year)d年尚无目标，无需自查；目标由办公室录入。",
                                  dept=department.name, year=year))
    problems: list[str] = []
    for number, target in enumerate(own, start=1):
        entry = entries.get(target.id)
        if entry is None or entry.status not in STATUSES:
            problems.append(msg("第%(n)d项目标（%(content)s）：请选择完成情况。", n=number,
                                content=target.content[:30]))
        elif entry.status in ("done", "behind") and not entry.evidence.strip():
            problems.append(msg("第%(n)d项目标（%(content)s）：请填写完成情况说明（已完成的写成效，滞后的写原因和措施）。",
                                n=number, content=target.content[:30]))
        elif len(entry.evidence.strip()) > MAX_EVIDENCE:
            problems.append(msg("第%(n)d项目标：说明不能超过%(max)d个字。", n=number, max=MAX_EVIDENCE))
    if len(summary.strip()) > MAX_SUMMARY:
        problems.append(msg("总体情况不能超过%(n)d个字。", n=MAX_SUMMARY))
    stored = None
    if attachment is not None and attachment.data:
        try:
            stored = storage.store(settings.files_dir, attachment.filename, attachment.data, role="attachment")
        except storage.FileRefused as exc:
            problems += exc.problems
    if problems:
        raise AssessmentError(problems[0], problems=problems)
    cal = calendar.load(session)
    late = today > due_date(settings, cal, year, quarter)
    on_behalf = actor.department_id != department_id
    if existing is None:
        report = SelfCheck(year=year, quarter=quarter, department_id=department_id, first_submitted_at=now,
                           late=late, return_reason="", state="submitted", summary="", submitted_by_id=actor.id,
                           submitted_at=now, on_behalf=on_behalf)
        try:
            with session.begin_nested():  # two submissions at once (PostgreSQL): the second is refused
                session.add(report)
                session.flush()
        except IntegrityError:
            raise AssessmentError(msg("本季度自查报告已提交（已处理）；如需修改，请联系办公室退回。")) from None
    else:
        report = existing
        report.items.clear()
        session.flush()
    report.state, report.summary, report.on_behalf = "submitted", summary.strip(), on_behalf
    report.submitted_by_id, report.submitted_at = actor.id, now
    if stored is not None:
        report.attachment_name, report.attachment_sha256 = stored.filename, stored.sha256
        report.attachment_size, report.attachment_type = stored.size, stored.content_type
    for target in own:
        entry = entries[target.id]
        report.items.append(SelfCheckItem(target_id=target.id, status=entry.status, evidence=entry.evidence.strip()))
    session.flush()
    audit.record(session, "assessment.self_check.submit", user=actor,
                 detail=f"{year} Q{quarter} {department.name}" + (" late" if report.late else ""),
                 data={"report_id": report.id, "late": report.late, "on_behalf": on_behalf})
    office = [u for u in org.office_people(session, settings) if u.id != actor.id] if tell else []
    notify.notify_many(session, office, "info",
                       msg("%(dept)s 已报送%(year)d年%(q)s目标自查", dept=department.name, year=year,
                           q=msg(QUARTER_NAMES[quarter])),
                       link=report_link(year, quarter, department_id))
    return report


def return_report(session: Session, settings: Settings, actor: User, report_id: int, reason: str) -> SelfCheck:
    """The office returns a submitted 自查 with its reasons (一次性告知); the department is told."""
    _require_office(settings, actor, N_("退回自查报告"))
    report = session.get(SelfCheck, report_id)
    if report is None:
        raise AssessmentError(msg("自查报告不存在。"))
    if report.state == "returned":
        raise AssessmentError(msg("该自查报告已退回（已处理），等待处室重新报送。"))
    text = reason.strip()
    if not text:
        raise AssessmentError(msg("请填写退回原因，说明需要补充或修改的内容。"))
    if len(text) > MAX_REASON:
        raise AssessmentError(msg("退回原因不能超过%(n)d个字。", n=MAX_REASON))
    report.state, report.returned_at, report.returned_by_id, report.return_reason = "returned", utcnow(), actor.id, text
    audit.record(session, "assessment.self_check.return", user=actor, detail=text[:500],
                 data={"report_id": report.id})
    people = _department_people(session, report.department_id)
    notify.notify_many(session, people, "returned",
                       msg("%(year)d年%(q)s目标自查被退回", year=report.year, q=msg(QUARTER_NAMES[report.quarter])),
                       body=text[:300], link=report_link(report.year, report.quarter, report.department_id))
    return report


def report_link(year: int, quarter: int, department_id: int) -> str:
    """The 自查 page of a department's quarter (a path, for notifications)."""
    return f"/assessment/self-check?year={year}&quarter={quarter}&department={department_id}"


def _department_people(session: Session, department_id: int) -> list[User]:
    """The department's 处室负责人, or everyone in it when it has none."""
    people = list(session.scalars(select(User).where(User.department_id == department_id, User.active.is_(True))
                                  .order_by(User.id)))
    heads = [u for u in people if Role.DEPT_HEAD in u.role_codes]
    return heads or people


def attachment_of(session: Session, settings: Settings, user: User, report_id: int) -> SelfCheck:
    """Return a report with an attachment the user may see; AssessmentError otherwise."""
    report = session.get(SelfCheck, report_id)
    if report is None or not report.attachment_sha256 or not may_view(settings, user, report.department_id):
        raise AssessmentError(msg("附件不存在。"))
    return report


@dataclass(frozen=True)
class QuarterState:
    """A department's quarter on its own page: due date, its report (or None) and state (REPORT_STATES)."""

    year: int
    quarter: int
    due: date
    opens: date
    report: SelfCheck | None
    state: str


def report_state(report: SelfCheck | None, due: date, today: date) -> str:
    """Return the REPORT_STATES code of a report (None: missing once `due` has passed, else pending)."""
    if report is None:
        return "missing" if today > due else "pending"
    if report.state == "returned":
        return "returned"
    return "late" if report.late else "on_time"


def department_quarters(session: Session, settings: Settings, year: int, department_id: int, *,
                        today: date | None = None) -> list[QuarterState]:
    """The four quarters of a department's year: due dates, reports and states."""
    today = today or calendar.local_today()
    cal = calendar.load(session)
    reports = {r.quarter: r for r in session.scalars(select(SelfCheck).where(
        SelfCheck.year == year, SelfCheck.department_id == department_id))}
    out = []
    for quarter in QUARTER_NAMES:
        due = due_date(settings, cal, year, quarter)
        report = reports.get(quarter)
        out.append(QuarterState(year, quarter, due, opens_on(year, quarter), report, report_state(report, due, today)))
    return out


# ---- the office's summary ---------------------------------------------------------------------------


@dataclass
class DepartmentRow:
    """A department's standing for a quarter: its state code (REPORT_STATES), its report and targets."""

    department: Department
    state: str
    report: SelfCheck | None
    targets: list[AssessmentTarget]
    statuses: dict[int, SelfCheckItem] = field(default_factory=dict)  # target id -> item

    def count(self, status: str) -> int:
        return sum(1 for item in self.statuses.values() if item.status == status)


@dataclass
class QuarterSummary:
    """Who has reported for a quarter and the status of every target (the office's summary page)."""

    year: int
    quarter: int
    due: date
    today: date
    rows: list[DepartmentRow]

    @property
    def reported(self) -> list[DepartmentRow]:
        return [r for r in self.rows if r.state in ("on_time", "late")]

    def with_state(self, *states: str) -> list[DepartmentRow]:
        return [r for r in self.rows if r.state in states]

    def status_counts(self) -> dict[str, int]:
        """How many targets of reported departments stand in each status (codes of STATUSES)."""
        counts = dict.fromkeys(STATUSES, 0)
        for row in self.reported:
            for item in row.statuses.values():
                counts[item.status] = counts.get(item.status, 0) + 1
        return counts

    @property
    def target_count(self) -> int:
        return sum(len(r.targets) for r in self.rows)


def summary(session: Session, settings: Settings, actor: User, year: int, quarter: int, *,
            today: date | None = None) -> QuarterSummary:
    """The office's summary of a quarter: every assessed department's state (按时报送, 逾期报送, 已退回,
    未报送 once the due date has passed, 待报送 before) and its targets' statuses. Office only."""
    _require_office(settings, actor, N_("自查汇总"))
    return build_summary(session, settings, year, quarter, today=today)


def build_summary(session: Session, settings: Settings, year: int, quarter: int, *,
                  today: date | None = None) -> QuarterSummary:
    """The summary of `summary` without the office check (the worker's PDF job; callers check)."""
    check_period(year, quarter)
    today = today or calendar.local_today()
    due = due_date(settings, calendar.load(session), year, quarter)
    all_targets = targets(session, year)
    reports = {r.department_id: r for r in session.scalars(
        select(SelfCheck).where(SelfCheck.year == year, SelfCheck.quarter == quarter)
        .options(selectinload(SelfCheck.items), selectinload(SelfCheck.submitted_by)))}
    rows = []
    for department in assessed_departments(session, year):
        report = reports.get(department.id)
        state = report_state(report, due, today)
        own = [t for t in all_targets if t.department_id == department.id]
        items = {i.target_id: i for i in report.items} if report is not None and report.state == "submitted" else {}
        rows.append(DepartmentRow(department, state, report, own, items))
    return QuarterSummary(year, quarter, due, today, rows)


# ---- the year's assessment --------------------------------------------------------------------------


def target_scores(session: Session, year: int) -> dict[int, float]:
    """Return department id -> 目标完成 score (0-100) for `year`.

    Each target earns its points (weight, default 1) times STATUS_CREDIT of its status in the
    department's latest submitted 自查 of the year; a target not reported earns nothing.
    """
    latest: dict[int, SelfCheck] = {}
    for row in session.scalars(select(SelfCheck).where(SelfCheck.year == year, SelfCheck.state == "submitted")
                               .options(selectinload(SelfCheck.items)).order_by(SelfCheck.quarter)):
        latest[row.department_id] = row
    points: dict[int, float] = {}
    earned: dict[int, float] = {}
    for target in targets(session, year):
        weight = target.weight if target.weight is not None else 1.0
        points[target.department_id] = points.get(target.department_id, 0.0) + weight
        report = latest.get(target.department_id)
        status = next((i.status for i in report.items if i.target_id == target.id), None) if report else None
        earned[target.department_id] = earned.get(target.department_id, 0.0) + weight * STATUS_CREDIT.get(
            status or "", 0.0)
    return {d: round(100.0 * earned[d] / points[d], 1) for d in points if points[d] > 0}


def reporting_component(scores: Mapping[int, float], department_ids: list[int]) -> dict[int, float]:
    """Turn 信息报送 points (reporting.ranking.year_scores) into 0-100: the best department gets 100,
    the others in proportion; a negative score counts as 0. No positive score at all means no data (the
    office has not run 信息报送 that year): no department gets a score for it."""
    best = max((scores.get(d, 0.0) for d in department_ids), default=0.0)
    if best <= 0:
        return {}
    return {d: round(100.0 * max(0.0, scores.get(d, 0.0)) / best, 1) for d in department_ids}


def inspection_component(figures: Mapping[int, Mapping[str, int]], department_ids: list[int]) -> dict[int, float]:
    """Turn 督查 figures (inspection.report.year_figures: items/on_time/overdue/closed) into 0-100: the share
    of a department's items that are not overdue. A department without items has no score for it."""
    out: dict[int, float] = {}
    for d in department_ids:
        f = figures.get(d) or {}
        items = int(f.get("items", 0) or 0)
        if items > 0:
            out[d] = round(100.0 * max(0, items - int(f.get("overdue", 0) or 0)) / items, 1)
    return out


def combine(components: Mapping[str, float | None], weights: Mapping[str, float]) -> float | None:
    """Return the weighted total of the named components (0-100): sum(weight x score) / sum(weight) over
    the components that have a score (None: not counted, the others' weights carry the total)."""
    present = [(weights.get(name, 0.0), score) for name, score in components.items() if score is not None]
    total_weight = sum(w for w, _s in present)
    if total_weight <= 0:
        return None
    return round(sum(w * s for w, s in present) / total_weight, 1)


@dataclass
class YearRow:
    department: Department
    components: dict[str, float | None]
    total: float | None
    rank: int = 0


def year_assessment(session: Session, settings: Settings, year: int,
                    department_id: int | None = None) -> list[YearRow]:
    """The year's assessment per assessed department: the named components 目标完成 (target_scores),
    信息报送 (reporting.ranking.year_scores) and 督查督办 (inspection.report.year_figures), each 0-100, and
    their total with `settings.assessment.component_weights`; ranked by total (ties share a rank).
    `department_id` keeps one department's row (its rank among all)."""
    from inspection.report import year_figures
    from reporting.ranking import year_scores

    departments = assessed_departments(session, year)
    ids = [d.id for d in departments]
    own = target_scores(session, year)
    reporting = reporting_component(year_scores(session, settings, year), ids)
    inspection = inspection_component(year_figures(session, settings, year), ids)
    weights = settings.assessment.component_weights
    rows = []
    for department in departments:
        parts: dict[str, float | None] = {"targets": own.get(department.id, 0.0),
                                          "reporting": reporting.get(department.id),
                                          "inspection": inspection.get(department.id)}
        rows.append(YearRow(department, parts, combine(parts, weights)))
    rank_rows(rows)
    return [r for r in rows if department_id is None or r.department.id == department_id]


def rank_rows(rows: list[YearRow]) -> None:
    """Sort by total, highest first, and give ranks (equal totals share a rank; no total: last)."""
    rows.sort(key=lambda r: (r.total is None, -(r.total or 0.0), r.department.sort_order))
    previous: float | None = None
    for position, row in enumerate(rows, start=1):
        row.rank = rows[position - 2].rank if position > 1 and row.total == previous else position
        previous = row.total


# ---- reminders (worker) ----------------------------------------------------------------------------


def remind_due(session: Session, settings: Settings, *, today: date | None = None) -> int:
    """Remind about the latest quarter whose due date has come (up to 7 days after it; worker job).

    Each assessed department without a submitted 自查 is told once (bell, to its 处室负责人); the office
    is told once who is missing. Idempotent: a SelfCheckReminder row per (quarter, kind, department).
    Returns how many notifications were made.
    """
    today = today or calendar.local_today()
    cal = calendar.load(session)
    year, quarter = last_ended_quarter(today)
    due = due_date(settings, cal, year, quarter)
    if today < due:  # the previous quarter may still be in its window
        year, quarter = (year - 1, 4) if quarter == 1 else (year, quarter - 1)
        due = due_date(settings, cal, year, quarter)
    if not due <= today <= due + timedelta(days=7):
        return 0
    sent = {(k, d) for k, d in session.execute(select(SelfCheckReminder.kind, SelfCheckReminder.department_id).where(
        SelfCheckReminder.year == year, SelfCheckReminder.quarter == quarter))}
    submitted = set(session.scalars(select(SelfCheck.department_id).where(
        SelfCheck.year == year, SelfCheck.quarter == quarter, SelfCheck.state == "submitted")))
    missing = [d for d in assessed_departments(session, year) if d.id not in submitted and d.active]
    made = 0
    now = utcnow()
    for department in missing:
        if ("department", department.id) in sent:
            continue
        made += len(notify.notify_many(
            session, _department_people(session, department.id), "reminder",
            msg("请报送%(year)d年%(q)s目标自查报告（截止 %(due)s）", year=year, q=msg(QUARTER_NAMES[quarter]),
                due=due.isoformat()),
            link=report_link(year, quarter, department.id)))
        session.add(SelfCheckReminder(year=year, quarter=quarter, kind="department", department_id=department.id,
                                      sent_at=now))
    office = org.department_by_code(session, org.office_code(settings))
    if missing and office is not None and ("office", office.id) not in sent:
        made += len(notify.notify_many(
            session, org.office_people(session, settings), "info",
            msg("%(year)d年%(q)s目标自查截止 %(due)s，尚未报送：%(names)s", year=year, q=msg(QUARTER_NAMES[quarter]),
                due=due.isoformat(), names="、".join(d.name for d in missing)),
            link=f"/assessment/summary?year={year}&quarter={quarter}"))
        session.add(SelfCheckReminder(year=year, quarter=quarter, kind="office", department_id=office.id, sent_at=now))
    session.flush()
    return made


def labels() -> dict[str, Any]:
    """The label tables a page needs (codes -> untranslated Chinese labels)."""
    return {"categories": CATEGORIES, "statuses": STATUSES, "quarters": QUARTER_NAMES, "states": REPORT_STATES,
            "components": COMPONENTS}
