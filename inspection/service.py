"""督查督办事项: 立项, 进展反馈 on a schedule, 催办, the 办结 report, its judgement and the leader's confirmation.

Rules (issue 14 §3, ../shared/docs/domain.md "督查督办"):
- The office (core.org.is_office) registers items (立项): from a 收文 (批示件 or 上级来文; the item links the
  document and takes its title as content unless given), from a meeting's decisions (会议议定事项, one item
  a line), from a key-task plan (重点工作, one item a line with its milestones) or by hand. Each item has a
  分管领导 (a leader), a lead unit (主办), co-units (协办), a responsible person of the lead unit, a kind
  (ordinary / urgent) and a deadline: set by hand, else the last milestone, else `settings.inspection
  .deadline_workdays[kind]` working days after 立项 on the bureau's calendar (ordinary 22, urgent 5).
- 进展反馈 is due on a schedule (`due_dates`): weekly, monthly or quarterly on the last working day of each
  period (the period of 立项 only when it ends at least 3 / 10 / 30 days later), or at each milestone; dates
  on or after the deadline are replaced by the 办结 report. A due date is met by a report made after the
  previous due date; one not met by the end of its day is overdue (逾期) until a report comes.
- The office chases the responsible person (催办); the `settings.supervision.escalate_after_reminders`-th
  reminder also goes to the person's department head; nobody is chased about one item twice within
  `settings.supervision.reminder_interval_minutes`; an inactive person is not chased (the message says
  who holds the item now).
- The lead unit submits the 办结 report; the office accepts it (办结待确认) or returns it with reasons
  (back to 办理中); the 分管领导 confirms (已办结).
- The office and leaders see every item; a department sees items it leads or co-handles; the
  responsible person sees theirs.

Every refusal is an InspectionError (a DomainError) naming what to do.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session, selectinload

from config import Settings
from core import audit, calendar, org
from core.calendar import WorkCalendar
from core.messages import N_, DomainError, msg
from core.models import Department, User
from core.models.base import utcnow
from core.models.documents import Document
from core.models.inspection import (
    InspectionFeedback,
    InspectionItem,
    InspectionMilestone,
    InspectionOverdueMark,
    InspectionReminder,
)
from core.permissions import Role
from notifications import notify

SOURCE_NAMES = {
    "instruction": N_("批示件"),
    "document": N_("上级来文"),
    "meeting": N_("会议议定事项"),
    "plan": N_("重点工作"),
    "manual": N_("其他事项"),
}
KIND_NAMES = {"ordinary": N_("一般"), "urgent": N_("紧急")}
SCHEDULE_NAMES = {
    "weekly": N_("每周反馈"),
    "monthly": N_("每月反馈"),
    "quarterly": N_("每季度反馈"),
    "milestones": N_("按节点反馈"),
    "none": N_("不定期反馈"),
}
STATE_NAMES = {
    "in_progress": N_("办理中"),
    "reported": N_("办结待审核"),
    "accepted": N_("办结待确认"),
    "closed": N_("已办结"),
}
OPEN = "in_progress"
# The period of 立项 counts only when its end is at least this many days after 立项.
FIRST_PERIOD_GAP = {"weekly": 3, "monthly": 10, "quarterly": 30}
MAX_CONTENT = 2000
MAX_SOURCE = 300
MAX_REPORT = 4000
MAX_LINES = 50
REPEAT_WINDOW = timedelta(minutes=2)  # the same form posted twice within this is refused (已处理)


class InspectionError(DomainError):
    """A 督查督办 action was refused; the message says why and what to do."""


@dataclass
class ItemDraft:
    """What the office fills in at 立项 (ids of users and departments; local dates)."""

    content: str = ""
    source_kind: str = "manual"
    source_text: str = ""
    document_id: int | None = None
    leader_id: int | None = None
    lead_department_id: int | None = None
    co_department_ids: tuple[int, ...] = ()
    person_id: int | None = None
    kind: str = "ordinary"
    deadline: date | None = None
    schedule: str = "monthly"
    milestones: tuple[tuple[date, str], ...] = ()
    registered_on: date | None = None  # None: today (an earlier date records an item registered on paper)


# ---- who ------------------------------------------------------------------------------------------


def sees_all(settings: Settings, user: User) -> bool:
    """The office and the bureau's leaders see every item."""
    return user.active and (org.is_office(settings, user) or Role.LEADER in user.role_codes)


def can_see(settings: Settings, item: InspectionItem, user: User) -> bool:
    """Return True when `user` may open the item (see the module rules)."""
    if sees_all(settings, user) or item.person_id == user.id:
        return True
    dept = user.department_id
    return dept is not None and (dept == item.lead_department_id or dept in (item.co_departments or []))


def in_lead_unit(item: InspectionItem, user: User) -> bool:
    """The responsible person and the people of the lead unit report for the item."""
    return user.active and (user.id == item.person_id or user.department_id == item.lead_department_id)


def may_report_progress(item: InspectionItem, user: User) -> bool:
    """The lead unit, the co-units and the responsible person submit 进展反馈."""
    return in_lead_unit(item, user) or (user.active and user.department_id in (item.co_departments or []))


def _require_office(settings: Settings, actor: User, what: str) -> None:
    if not org.is_office(settings, actor):
        raise InspectionError(msg("%(what)s由办公室办理。", what=msg(what)))


# ---- deadlines and schedules ------------------------------------------------------------------------


def default_deadline(settings: Settings, cal: WorkCalendar, kind: str, registered_on: date) -> date:
    """The deadline of an item without one: `deadline_workdays[kind]` working days after 立项."""
    days = int(settings.inspection.deadline_workdays.get(kind, settings.inspection.deadline_workdays["ordinary"]))
    return cal.add_workdays(registered_on, days)


def _last_workday(cal: WorkCalendar, first: date, last: date) -> date | None:
    day = last
    while day >= first:
        if cal.is_workday(day):
            return day
        day -= timedelta(days=1)
    return None


def _period(schedule: str, day: date) -> tuple[date, date]:
    if schedule == "weekly":
        start = day - timedelta(days=day.weekday())
        return start, start + timedelta(days=6)
    months = 1 if schedule == "monthly" else 3
    first_month = (day.month - 1) // months * months + 1
    start = date(day.year, first_month, 1)
    nxt = date(start.year + (first_month + months - 1) // 12, (first_month + months - 1) % 12 + 1, 1)
    return start, nxt - timedelta(days=1)


@dataclass(frozen=True)
class Facts:
    """What the schedule and the standing of an item depend on (read from an item or straight from rows)."""

    id: int
    schedule: str
    registered_on: date
    deadline: date
    state: str
    reported_on: date | None
    milestone_days: tuple[date, ...]
    feedback_days: tuple[date, ...]  # local dates of every report (progress and closing), ascending

    @classmethod
    def of(cls, item: InspectionItem) -> Facts:
        """The facts of a loaded item (its milestones and feedback are read)."""
        return cls(item.id, item.schedule, item.registered_on, item.deadline, item.state,
                   calendar.local_date(item.reported_at) if item.reported_at else None,
                   tuple(m.due_on for m in item.milestones),
                   tuple(sorted(calendar.local_date(f.at) for f in item.feedback)))


def _facts(item: InspectionItem | Facts) -> Facts:
    return item if isinstance(item, Facts) else Facts.of(item)


def facts_of(session: Session, ids: list[int] | None = None, *, open_only: bool = False) -> dict[int, Facts]:
    """Read the facts of many items in three plain queries (no ORM objects: the lists and the 通报 stay fast).
    `ids` None: every item (only open ones with `open_only`)."""
    stmt = select(InspectionItem.id, InspectionItem.schedule, InspectionItem.registered_on, InspectionItem.deadline,
                  InspectionItem.state, InspectionItem.reported_at)
    if open_only:
        stmt = stmt.where(InspectionItem.state == OPEN)
    rows: list[Any] = []
    for chunk in ([ids[i:i + 500] for i in range(0, len(ids), 500)] if ids is not None else [None]):
        rows += session.execute(stmt if chunk is None else stmt.where(InspectionItem.id.in_(chunk))).all()
    wanted = {r[0] for r in rows}
    milestones: dict[int, list[date]] = {}
    feedback: dict[int, list[date]] = {}
    # Only the wanted items' rows are read (by id, in chunks) when they are few against the table.
    few = ids is not None and len(wanted) <= 5000
    chunks = [sorted(wanted)[i:i + 500] for i in range(0, len(wanted), 500)] if few else [None]
    for chunk in chunks:
        stmt_m = select(InspectionMilestone.item_id, InspectionMilestone.due_on)
        stmt_f = select(InspectionFeedback.item_id, InspectionFeedback.at)
        if chunk is not None:
            stmt_m = stmt_m.where(InspectionMilestone.item_id.in_(chunk))
            stmt_f = stmt_f.where(InspectionFeedback.item_id.in_(chunk))
        for item_id, due in session.execute(stmt_m):
            if item_id in wanted:
                milestones.setdefault(item_id, []).append(due)
        for item_id, at in session.execute(stmt_f):
            if item_id in wanted:
                feedback.setdefault(item_id, []).append(calendar.local_date(at))
    return {r[0]: Facts(r[0], r[1], r[2], r[3], r[4], calendar.local_date(r[5]) if r[5] else None,
                        tuple(milestones.get(r[0], ())), tuple(sorted(feedback.get(r[0], ())))) for r in rows}


def due_dates(cal: WorkCalendar, item: InspectionItem | Facts) -> list[date]:
    """Return the dates 进展反馈 is due (local dates, ascending; see the module rules).

    weekly / monthly / quarterly: the last working day of each period from 立项 to before the deadline;
    milestones: each milestone date before the deadline; none: no date.
    """
    f = _facts(item)
    if f.schedule == "milestones":
        return sorted({d for d in f.milestone_days if f.registered_on < d < f.deadline})
    if f.schedule not in FIRST_PERIOD_GAP:
        return []
    out: list[date] = []
    start, end = _period(f.schedule, f.registered_on)
    while start < f.deadline and len(out) < 500:
        day = _last_workday(cal, start, end)
        if day is not None and f.registered_on < day < f.deadline and (
                out or (day - f.registered_on).days >= FIRST_PERIOD_GAP[f.schedule]):
            out.append(day)
        start, end = _period(f.schedule, end + timedelta(days=1))
    return out


@dataclass(frozen=True)
class DueReport:
    """One due date of 进展反馈 and what became of it: on_time, late (reported after it), missing, upcoming."""

    due_on: date
    state: str
    reported_on: date | None


REPORT_STATE_NAMES = {"on_time": N_("按时反馈"), "late": N_("逾期后反馈"), "missing": N_("逾期未反馈"),
                      "upcoming": N_("待反馈")}


def report_schedule(cal: WorkCalendar, item: InspectionItem | Facts, today: date) -> list[DueReport]:
    """Return each due date with its state: met by the first report after the previous due date."""
    f = _facts(item)
    days = f.feedback_days
    out: list[DueReport] = []
    previous: date | None = None
    for due in due_dates(cal, f):
        first = next((d for d in days if (previous is None or d > previous)), None)
        if first is not None and first <= due:
            out.append(DueReport(due, "on_time", first))
        elif first is not None and first <= today:
            out.append(DueReport(due, "late", first))
        elif due < today and f.state == OPEN:
            out.append(DueReport(due, "missing", None))
        elif due < today:
            out.append(DueReport(due, "late", f.reported_on))
        else:
            out.append(DueReport(due, "upcoming", None))
        previous = due
    return out


@dataclass(frozen=True)
class ItemStatus:
    """Where an open item stands today: the missed report date, the deadline passed, the next date due."""

    item: InspectionItem
    report_overdue_since: date | None  # the due date of the report that has not come
    deadline_overdue: bool
    next_due: date | None  # the next report or the deadline, whichever comes first (open items)
    days_left: int | None  # working days from today to `next_due`
    due_soon: bool

    @property
    def overdue(self) -> bool:
        """逾期: the deadline passed without a 办结 report, or a 进展反馈 has not come after its date."""
        return self.deadline_overdue or self.report_overdue_since is not None


@dataclass(frozen=True)
class Standing:
    """ItemStatus without the item (computed from Facts)."""

    report_overdue_since: date | None
    deadline_overdue: bool
    next_due: date | None
    days_left: int | None
    due_soon: bool

    @property
    def overdue(self) -> bool:
        return self.deadline_overdue or self.report_overdue_since is not None


def standing(settings: Settings, cal: WorkCalendar, facts: Facts, today: date) -> Standing:
    """Return the standing of an item today from its facts (see ItemStatus)."""
    if facts.state != OPEN:
        return Standing(None, False, None, None, False)
    schedule = report_schedule(cal, facts, today)
    missing = [r.due_on for r in schedule if r.state == "missing"]
    upcoming = [r.due_on for r in schedule if r.state == "upcoming"]
    next_due = min([*upcoming, facts.deadline]) if facts.deadline >= today else (upcoming[0] if upcoming else None)
    days_left = cal.workdays_between(today, next_due) if next_due is not None else None
    deadline_overdue = facts.deadline < today
    soon = (not missing and not deadline_overdue and days_left is not None
            and 0 <= days_left <= settings.inspection.due_soon_days)
    return Standing(missing[-1] if missing else None, deadline_overdue, next_due, days_left, soon)


def status(settings: Settings, cal: WorkCalendar, item: InspectionItem, today: date) -> ItemStatus:
    """Return the item's standing today (see ItemStatus)."""
    st = standing(settings, cal, Facts.of(item), today)
    return ItemStatus(item, st.report_overdue_since, st.deadline_overdue, st.next_due, st.days_left, st.due_soon)


# ---- 立项 -------------------------------------------------------------------------------------------


def incoming_documents(session: Session, *, limit: int = 200) -> list[Document]:
    """The 收文 an item may be registered from (newest first)."""
    return list(session.scalars(select(Document).where(Document.kind == "incoming")
                                .order_by(Document.id.desc()).limit(limit)))


def leaders(session: Session) -> list[User]:
    """The active 局领导 who may be an item's 分管领导."""
    return org.users_with_role(session, Role.LEADER)


def _problems(session: Session, settings: Settings, draft: ItemDraft, today: date) -> tuple[list[str], Document | None]:
    problems: list[str] = []
    doc: Document | None = None
    if draft.source_kind not in SOURCE_NAMES:
        problems.append(msg("请选择事项来源。"))
    if draft.document_id is not None:
        doc = session.get(Document, draft.document_id)
        if doc is None or doc.kind != "incoming":
            problems.append(msg("所选收文不存在，请重新选择。"))
            doc = None
    elif draft.source_kind in ("instruction", "document") and not draft.source_text.strip():
        problems.append(msg("请选择来源收文，或填写来源（如批示人和文号）。"))
    content = draft.content.strip() or (doc.title if doc is not None else "")
    if not content:
        problems.append(msg("请填写督办事项内容。"))
    elif len(content) > MAX_CONTENT:
        problems.append(msg("事项内容不能超过%(n)d个字。", n=MAX_CONTENT))
    if len(draft.source_text) > MAX_SOURCE:
        problems.append(msg("来源说明不能超过%(n)d个字。", n=MAX_SOURCE))
    leader = session.get(User, draft.leader_id) if draft.leader_id else None
    if leader is None or not leader.active or Role.LEADER not in leader.role_codes:
        problems.append(msg("请选择分管领导（局领导）。"))
    lead = session.get(Department, draft.lead_department_id) if draft.lead_department_id else None
    if lead is None or not lead.active:
        problems.append(msg("请选择主办单位。"))
    co = set(draft.co_department_ids)
    known = {d.id for d in org.departments(session)}
    if co - known:
        problems.append(msg("所选协办单位不存在，请重新选择。"))
    if lead is not None and lead.id in co:
        problems.append(msg("主办单位不能同时是协办单位。"))
    person = session.get(User, draft.person_id) if draft.person_id else None
    if person is None or not person.active:
        problems.append(msg("请选择责任人。"))
    elif lead is not None and person.department_id != lead.id:
        problems.append(msg("责任人须是主办单位（%(dept)s）的人员。", dept=lead.name))
    if draft.kind not in KIND_NAMES:
        problems.append(msg("请选择事项类别（一般或紧急）。"))
    if draft.schedule not in SCHEDULE_NAMES:
        problems.append(msg("请选择进展反馈频次。"))
    registered = draft.registered_on or today
    if registered > today:
        problems.append(msg("立项日期不能晚于今天。"))
    if draft.deadline is not None and draft.deadline <= registered:
        problems.append(msg("办理时限须晚于立项日期。"))
    for due, what in draft.milestones:
        if due <= registered:
            problems.append(msg("节点日期 %(day)s 须晚于立项日期。", day=due.isoformat()))
        if not what.strip():
            problems.append(msg("请填写 %(day)s 节点的工作内容。", day=due.isoformat()))
    if draft.schedule == "milestones" and not draft.milestones:
        problems.append(msg("按节点反馈的事项须填写工作节点。"))
    if draft.deadline is not None and any(d > draft.deadline for d, _ in draft.milestones):
        problems.append(msg("工作节点不能晚于办理时限。"))
    return problems, doc


def register(session: Session, settings: Settings, actor: User, draft: ItemDraft, *,
             today: date | None = None, now: datetime | None = None) -> InspectionItem:
    """立项: create an item (the caller commits); raise InspectionError listing every problem.

    The deadline defaults as the module says; the responsible person and the heads of the lead unit are
    told. The same item posted twice within two minutes is refused as 已处理.
    """
    _require_office(settings, actor, N_("督查督办立项"))
    now = now or utcnow()
    today = today or calendar.local_today(now)
    problems, doc = _problems(session, settings, draft, today)
    if problems:
        raise InspectionError(problems[0], problems=problems)
    content = draft.content.strip() or (doc.title if doc is not None else "")
    source_text = draft.source_text.strip()
    if doc is not None and not source_text:
        source_text = "　".join(x for x in (doc.source_organ or "", doc.source_number or "", f"《{doc.title}》") if x)
    assert draft.lead_department_id is not None and draft.leader_id is not None and draft.person_id is not None
    repeat = session.scalar(select(InspectionItem.id).where(
        InspectionItem.created_by_id == actor.id, InspectionItem.content == content,
        InspectionItem.lead_department_id == draft.lead_department_id,
        InspectionItem.created_at >= now - REPEAT_WINDOW))
    if repeat is not None:
        raise InspectionError(msg("已处理：该事项刚刚已立项，请勿重复提交。"))
    registered = draft.registered_on or today
    cal = calendar.load(session)
    if draft.deadline is not None:
        deadline = draft.deadline
    elif draft.milestones:
        deadline = max(d for d, _ in draft.milestones)
    else:
        deadline = default_deadline(settings, cal, draft.kind, registered)
    item = InspectionItem(
        source_kind=draft.source_kind, source_text=source_text[:MAX_SOURCE], document_id=draft.document_id,
        content=content, leader_id=draft.leader_id, lead_department_id=draft.lead_department_id,
        co_departments=sorted(set(draft.co_department_ids)), person_id=draft.person_id, kind=draft.kind,
        registered_on=registered, deadline=deadline, schedule=draft.schedule, state=OPEN, closing_report="",
        return_reason="", created_by_id=actor.id, created_at=now, updated_at=now,
        milestones=[InspectionMilestone(due_on=d, what=w.strip()[:300]) for d, w in sorted(draft.milestones)],
    )
    session.add(item)
    session.flush()
    audit.record(session, "inspection.register", user=actor, detail=f"item {item.id}",
                 data={"item": item.id, "source": item.source_kind, "deadline": deadline.isoformat()})
    people = [item.person, *org.users_with_role(session, Role.DEPT_HEAD, item.lead_department_id)]
    notify.notify_many(session, [p for p in people if p.id != actor.id], "task",
                       msg("督查督办：%(content)s", content=_short(content)),
                       body=msg("办理时限：%(day)s。请按期报送进展反馈。", day=deadline.isoformat()),
                       link=link_for(item.id))
    return item


_DATE = r"(\d{4})[-/.年](\d{1,2})[-/.月](\d{1,2})日?"


def parse_milestones(text: str) -> tuple[tuple[date, str], ...]:
    """Parse milestones written one a line (or separated by ；) as "2027-03-31 完成方案"; InspectionError names
    each line that is not a date followed by what is due."""
    out: list[tuple[date, str]] = []
    problems: list[str] = []
    for raw in re.split(r"[\n；;]", text or ""):
        part = raw.strip()
        if not part:
            continue
        m = re.match(_DATE + r"\s*[:：，,]?\s*(.*)$", part)
        if m is None:
            problems.append(msg("节点“%(text)s”格式不对，应为：2027-03-31 完成内容。", text=part[:40]))
            continue
        try:
            day = date(int(m.group(1)), int(m.group(2)), int(m.group(3)))
        except ValueError:
            problems.append(msg("节点“%(text)s”的日期不存在。", text=part[:40]))
            continue
        out.append((day, m.group(4).strip()))
    if problems:
        raise InspectionError(problems[0], problems=problems)
    return tuple(out)


def parse_lines(text: str, *, with_milestones: bool) -> list[tuple[str, tuple[tuple[date, str], ...]]]:
    """Split a meeting's decisions or a key-task plan into items: one a line; in a plan each line is
    "事项内容｜2027-03-31 节点；2027-06-30 节点". InspectionError names the bad lines."""
    out: list[tuple[str, tuple[tuple[date, str], ...]]] = []
    problems: list[str] = []
    lines = [line.strip() for line in (text or "").splitlines() if line.strip()]
    if not lines:
        raise InspectionError(msg("请填写事项，每行一项。"))
    if len(lines) > MAX_LINES:
        raise InspectionError(msg("一次最多登记%(n)d项。", n=MAX_LINES))
    for number, line in enumerate(lines, 1):
        content, _, rest = line.partition("｜") if "｜" in line else line.partition("|")
        content = re.sub(r"^\s*[（(]?\d+[)）.、]\s*", "", content).strip()
        milestones: tuple[tuple[date, str], ...] = ()
        try:
            if with_milestones:
                milestones = parse_milestones(rest)
                if not milestones:
                    raise InspectionError(msg("请在“｜”后填写工作节点，如：2027-03-31 完成方案。"))
        except InspectionError as exc:
            problems.append(msg("第%(n)d行：%(problem)s", n=number, problem=exc.message))
            continue
        if not content:
            problems.append(msg("第%(n)d行：请填写事项内容。", n=number))
            continue
        out.append((content, milestones))
    if problems:
        raise InspectionError(problems[0], problems=problems)
    return out


def register_many(session: Session, settings: Settings, actor: User, base: ItemDraft, text: str, *,
                  today: date | None = None) -> list[InspectionItem]:
    """立项 of several items at once: a meeting's decisions (base.source_kind "meeting", one a line) or a
    key-task plan ("plan", each line with its milestones); the other fields come from `base`. Nothing is
    registered unless every line is right (the caller rolls back on InspectionError)."""
    _require_office(settings, actor, N_("督查督办立项"))
    entries = parse_lines(text, with_milestones=base.source_kind == "plan")
    if not base.source_text.strip():
        raise InspectionError(msg("请填写来源（会议名称或工作计划名称）。"))
    made = []
    for number, (content, milestones) in enumerate(entries, 1):
        draft = ItemDraft(**{**base.__dict__, "content": content, "milestones": milestones or base.milestones,
                             "schedule": "milestones" if milestones else base.schedule})
        try:
            made.append(register(session, settings, actor, draft, today=today))
        except InspectionError as exc:
            raise InspectionError(msg("第%(n)d项：%(problem)s", n=number, problem=exc.message),
                                  problems=[msg("第%(n)d项：%(problem)s", n=number, problem=p)
                                            for p in (exc.problems or [exc.message])]) from None
    return made


def _short(text: str, n: int = 40) -> str:
    return text if len(text) <= n else text[: n - 1] + "…"


def link_for(item_id: int) -> str:
    """The item's page (a path, for notifications)."""
    return f"/inspection/{item_id}"


# ---- reading --------------------------------------------------------------------------------------


def get(session: Session, settings: Settings, user: User, item_id: int) -> InspectionItem:
    """Return the item when the user may see it; InspectionError otherwise (the same for a missing one)."""
    item = session.get(InspectionItem, item_id)
    if item is None or not can_see(settings, item, user):
        raise InspectionError(msg("督办事项不存在，或您无权查看。"))
    return item


@dataclass(frozen=True)
class Filters:
    """List filters: state code, lead-or-co department id, source kind, overdue only, the user's own."""

    state: str | None = None
    department_id: int | None = None
    source: str | None = None
    overdue: bool = False
    due_soon: bool = False
    mine: bool = False


def items_for(session: Session, settings: Settings, user: User, filters: Filters = Filters(), *,
              today: date | None = None, limit: int = 300) -> list[ItemStatus]:
    """Return the items the user sees that match `filters`, each with its standing: overdue first, then open
    ones by deadline, then the others newest first; at most `limit`. `mine`: the user is responsible, the
    分管领导, or heads the lead unit. Reads plain rows first and loads only the items shown."""
    today = today or calendar.local_today()
    stmt = select(InspectionItem.id, InspectionItem.lead_department_id, InspectionItem.co_departments,
                  InspectionItem.person_id, InspectionItem.leader_id, InspectionItem.state,
                  InspectionItem.source_kind, InspectionItem.deadline)
    if filters.state in STATE_NAMES:
        stmt = stmt.where(InspectionItem.state == filters.state)
    if filters.source in SOURCE_NAMES:
        stmt = stmt.where(InspectionItem.source_kind == filters.source)
    if filters.overdue or filters.due_soon:
        stmt = stmt.where(InspectionItem.state == OPEN)
    everything = sees_all(settings, user)
    dept, head = user.department_id, Role.DEPT_HEAD in user.role_codes
    rows: list[Any] = []
    for row in session.execute(stmt):
        co = row.co_departments or []
        if not (everything or row.person_id == user.id or (dept is not None and (dept == row.lead_department_id
                                                                                  or dept in co))):
            continue
        if filters.department_id and filters.department_id != row.lead_department_id and filters.department_id \
                not in co:
            continue
        if filters.mine and not (row.person_id == user.id or row.leader_id == user.id
                                 or (head and dept is not None and row.lead_department_id == dept)):
            continue
        rows.append(row)
    cal = calendar.load(session)
    open_ids = [r.id for r in rows if r.state == OPEN]
    facts = facts_of(session, open_ids) if open_ids else {}
    standings = {i: standing(settings, cal, f, today) for i, f in facts.items()}
    if filters.overdue:
        rows = [r for r in rows if r.id in standings and standings[r.id].overdue]
    if filters.due_soon:
        rows = [r for r in rows if r.id in standings and standings[r.id].due_soon]
    closed_ = Standing(None, False, None, None, False)

    def order(r: Any) -> tuple[bool, bool, int, int]:
        st = standings.get(r.id, closed_)
        return (not st.overdue, r.state != OPEN, r.deadline.toordinal() if r.state == OPEN else 0, -r.id)

    rows.sort(key=order)
    chosen = [r.id for r in rows[:limit]]
    loaded = {i.id: i for i in session.scalars(select(InspectionItem).where(InspectionItem.id.in_(chosen))
                                               .options(selectinload(InspectionItem.person),
                                                        selectinload(InspectionItem.lead_department)))} \
        if chosen else {}
    out = []
    for item_id in chosen:
        st = standings.get(item_id, closed_)
        out.append(ItemStatus(loaded[item_id], st.report_overdue_since, st.deadline_overdue, st.next_due,
                              st.days_left, st.due_soon))
    return out


def due_items(session: Session, settings: Settings, user: User, *, today: date | None = None) -> list[ItemStatus]:
    """The user's open items that are overdue or due soon (for the home page), overdue first.

    "The user's": they are its responsible person, its 分管领导, or the head of its lead unit. Each entry is
    an ItemStatus: `.item` (InspectionItem; link with `link_for(item.id)`), `.overdue`, `.due_soon`,
    `.next_due` (date or None), `.days_left`, `.report_overdue_since`, `.deadline_overdue`.
    """
    rows = items_for(session, settings, user, Filters(mine=True), today=today)
    return [s for s in rows if s.overdue or s.due_soon]


def reminders_of(session: Session, item_id: int) -> list[InspectionReminder]:
    """The 催办 record of an item, oldest first."""
    return list(session.scalars(select(InspectionReminder).where(InspectionReminder.item_id == item_id)
                                .order_by(InspectionReminder.id)))


def department_names(session: Session, ids: list[int]) -> list[str]:
    """The names of the departments with these ids (in display order)."""
    if not ids:
        return []
    return [d.name for d in org.departments(session, include_inactive=True) if d.id in set(ids)]


# ---- 进展反馈 and 办结 --------------------------------------------------------------------------------


def _open_item(session: Session, settings: Settings, actor: User, item_id: int) -> InspectionItem:
    item = get(session, settings, actor, item_id)
    if item.state != OPEN:
        raise InspectionError(msg("已处理：该事项当前为“%(state)s”，不在办理中。", state=msg(STATE_NAMES[item.state])))
    return item


def submit_feedback(session: Session, settings: Settings, actor: User, item_id: int, body: str, *,
                    now: datetime | None = None) -> InspectionFeedback:
    """进展反馈 from the lead unit, a co-unit or the responsible person while the item is 办理中."""
    now = now or utcnow()
    item = _open_item(session, settings, actor, item_id)
    if not may_report_progress(item, actor):
        raise InspectionError(msg("进展反馈由主办、协办单位或责任人报送。"))
    text = (body or "").strip()
    if not text:
        raise InspectionError(msg("请填写进展情况。"))
    if len(text) > MAX_REPORT:
        raise InspectionError(msg("进展情况不能超过%(n)d个字。", n=MAX_REPORT))
    if any(f.user_id == actor.id and f.body == text and f.at >= now - REPEAT_WINDOW for f in item.feedback):
        raise InspectionError(msg("已处理：这条进展反馈刚刚已报送。"))
    row = InspectionFeedback(item_id=item.id, kind="progress", body=text, user_id=actor.id,
                             department_id=actor.department_id, at=now)
    item.feedback.append(row)
    item.updated_at = now
    session.flush()
    audit.record(session, "inspection.feedback", user=actor, detail=f"item {item.id}", data={"item": item.id})
    return row


def submit_closing(session: Session, settings: Settings, actor: User, item_id: int, report: str, *,
                   now: datetime | None = None) -> InspectionItem:
    """The lead unit's 办结 report: the item waits for the office's judgement (办结待审核)."""
    now = now or utcnow()
    item = _open_item(session, settings, actor, item_id)
    if not in_lead_unit(item, actor):
        raise InspectionError(msg("办结报告由主办单位（%(dept)s）报送。", dept=item.lead_department.name))
    text = (report or "").strip()
    if not text:
        raise InspectionError(msg("请填写办结报告（办理过程和结果）。"))
    if len(text) > MAX_REPORT:
        raise InspectionError(msg("办结报告不能超过%(n)d个字。", n=MAX_REPORT))
    item.closing_report, item.reported_at, item.state, item.updated_at = text, now, "reported", now
    item.feedback.append(InspectionFeedback(kind="closing", body=text, user_id=actor.id,
                                            department_id=actor.department_id, at=now))
    audit.record(session, "inspection.closing", user=actor, detail=f"item {item.id}", data={"item": item.id})
    notify.notify_many(session, [p for p in org.office_people(session, settings) if p.id != actor.id], "info",
                       msg("办结报告待审核：%(content)s", content=_short(item.content)), link=link_for(item.id))
    session.flush()
    return item


def judge(session: Session, settings: Settings, actor: User, item_id: int, *, accept: bool, reason: str = "",
          now: datetime | None = None) -> InspectionItem:
    """The office judges the 办结 report: accept (办结待确认 by the 分管领导) or return with reasons (办理中)."""
    now = now or utcnow()
    _require_office(settings, actor, N_("办结审核"))
    item = get(session, settings, actor, item_id)
    if item.state != "reported":
        raise InspectionError(msg("已处理：该事项没有待审核的办结报告（当前为“%(state)s”）。",
                                  state=msg(STATE_NAMES[item.state])))
    item.judged_at, item.judged_by_id, item.updated_at = now, actor.id, now
    if accept:
        assert item.reported_at is not None
        item.state, item.completed_on, item.return_reason = "accepted", calendar.local_date(item.reported_at), ""
        notify.notify(session, item.leader, "task", msg("请确认办结：%(content)s", content=_short(item.content)),
                      link=link_for(item.id))
    else:
        text = (reason or "").strip()
        if not text:
            raise InspectionError(msg("退回须写明理由，告知主办单位还需做什么。"))
        item.state, item.return_reason, item.reported_at = OPEN, text[:MAX_REPORT], None
        notify.notify(session, item.person, "returned",
                      msg("办结报告被退回：%(content)s", content=_short(item.content)),
                      body=text[:300], link=link_for(item.id))
    audit.record(session, "inspection.judge", user=actor, detail=f"item {item.id}",
                 data={"item": item.id, "accept": accept})
    session.flush()
    return item


def confirm(session: Session, settings: Settings, actor: User, item_id: int, *,
            now: datetime | None = None) -> InspectionItem:
    """The 分管领导 confirms an accepted item (确认办结 → 已办结)."""
    now = now or utcnow()
    item = get(session, settings, actor, item_id)
    if item.leader_id != actor.id:
        raise InspectionError(msg("办结由分管领导（%(name)s）确认。", name=item.leader.display_name))
    if item.state != "accepted":
        raise InspectionError(msg("已处理：该事项当前为“%(state)s”，无需确认。", state=msg(STATE_NAMES[item.state])))
    item.state, item.confirmed_at, item.confirmed_by_id, item.updated_at = "closed", now, actor.id, now
    audit.record(session, "inspection.confirm", user=actor, detail=f"item {item.id}", data={"item": item.id})
    notify.notify_many(session, [item.person, *org.office_people(session, settings)], "info",
                       msg("已确认办结：%(content)s", content=_short(item.content)), link=link_for(item.id))
    session.flush()
    return item


def reassign(session: Session, settings: Settings, actor: User, item_id: int, person_id: int | None, *,
             now: datetime | None = None) -> InspectionItem:
    """The office changes the responsible person of an item not yet closed (an active person of the lead unit);
    the new person is told."""
    now = now or utcnow()
    _require_office(settings, actor, N_("更换责任人"))
    item = get(session, settings, actor, item_id)
    if item.state == "closed":
        raise InspectionError(msg("该事项已办结，无需更换责任人。"))
    person = session.get(User, person_id) if person_id else None
    if person is None or not person.active:
        raise InspectionError(msg("请选择责任人。"))
    if person.department_id != item.lead_department_id:
        raise InspectionError(msg("责任人须是主办单位（%(dept)s）的人员。", dept=item.lead_department.name))
    if person.id == item.person_id:
        raise InspectionError(msg("已处理：%(name)s 已是该事项的责任人。", name=person.display_name))
    before = item.person_id
    item.person_id, item.updated_at = person.id, now
    session.flush()
    session.refresh(item, ["person"])
    audit.record(session, "inspection.reassign", user=actor, detail=f"item {item.id}",
                 data={"item": item.id, "from": before, "to": person.id})
    notify.notify(session, person, "task", msg("督查督办：%(content)s", content=_short(item.content)),
                  body=msg("您已被指定为该事项的责任人，办理时限：%(day)s。", day=item.deadline.isoformat()),
                  link=link_for(item.id))
    return item


# ---- 催办 ------------------------------------------------------------------------------------------


@dataclass
class ReminderOutcome:
    reminder: InspectionReminder
    count: int
    escalated_to: list[User]


def remind(session: Session, settings: Settings, actor: User, item_id: int, *, note: str = "",
           now: datetime | None = None) -> ReminderOutcome:
    """催办 the responsible person of an open item (the office); the Nth reminder also goes to their head."""
    now = now or utcnow()
    _require_office(settings, actor, N_("催办"))
    item = _open_item(session, settings, actor, item_id)
    target = item.person
    if not target.active:
        heads = org.users_with_role(session, Role.DEPT_HEAD, item.lead_department_id)
        who = "、".join(h.display_name for h in heads) or msg("（暂无在岗负责人，请联系系统管理员）")
        raise InspectionError(msg(
            "%(name)s 的账户已停用，不能催办；该事项现由主办单位%(dept)s负责人 %(who)s 负责，请先更换责任人。",
            name=target.display_name, dept=item.lead_department.name, who=who))
    if target.id == actor.id:
        raise InspectionError(msg("不能催办自己。"))
    cfg = settings.supervision
    last = session.scalar(select(func.max(InspectionReminder.at)).where(
        InspectionReminder.item_id == item.id, InspectionReminder.target_id == target.id))
    if last is not None and now - last < timedelta(minutes=cfg.reminder_interval_minutes):
        wait = cfg.reminder_interval_minutes - int((now - last).total_seconds() // 60)
        raise InspectionError(msg("刚刚已催办过%(name)s，请%(wait)s分钟后再催。", name=target.display_name, wait=wait))
    count = 1 + int(session.scalar(select(func.count(InspectionReminder.id)).where(
        InspectionReminder.item_id == item.id, InspectionReminder.target_id == target.id)) or 0)
    note = (note or "").strip()[:500]
    row = InspectionReminder(item_id=item.id, target_id=target.id, by_id=actor.id, at=now, note=note)
    session.add(row)
    body = msg("%(name)s 催办：请尽快报送《%(content)s》的办理进展（第%(count)s次催办）。",
               name=actor.display_name, content=_short(item.content), count=count) + (f"\n{note}" if note else "")
    notify.notify(session, target, "reminder", msg("督查督办催办：%(content)s", content=_short(item.content)),
                  body=body, link=link_for(item.id))
    escalated: list[User] = []
    if count >= cfg.escalate_after_reminders:
        escalated = org.heads_of(session, target)
        for head in escalated:
            notify.notify(session, head, "escalation", msg("催办升级：%(content)s", content=_short(item.content)),
                          body=msg("%(name)s 经%(count)s次催办仍未报送《%(content)s》的办理进展，请督促。",
                                   name=target.display_name, count=count, content=_short(item.content)),
                          link=link_for(item.id))
        if escalated:
            row.escalated_to_id = escalated[0].id
    audit.record(session, "inspection.remind", user=actor, detail=f"item {item.id}",
                 data={"item": item.id, "target": target.id, "count": count})
    session.flush()
    return ReminderOutcome(row, count, escalated)


# ---- the worker ------------------------------------------------------------------------------------


def mark_overdue(session: Session, settings: Settings, *, today: date | None = None) -> int:
    """Mark missed report dates and passed deadlines of open items and tell the responsible person once per
    item and date (idempotent: an InspectionOverdueMark row per item, kind of date and date); return how
    many marks were made. The worker runs it; the caller commits."""
    today = today or calendar.local_today()
    cal = calendar.load(session)
    marked = {(m.item_id, m.what, m.due_on) for m in session.scalars(
        select(InspectionOverdueMark).join(InspectionItem, InspectionItem.id == InspectionOverdueMark.item_id)
        .where(InspectionItem.state == OPEN))}
    made = 0
    for facts in facts_of(session, open_only=True).values():
        st = standing(settings, cal, facts, today)
        found = []
        if st.report_overdue_since is not None:
            found.append(("feedback", st.report_overdue_since))
        if st.deadline_overdue:
            found.append(("deadline", facts.deadline))
        for what, day in found:
            if (facts.id, what, day) in marked:
                continue
            item = session.get(InspectionItem, facts.id)
            assert item is not None
            session.add(InspectionOverdueMark(item_id=item.id, what=what, due_on=day, at=utcnow()))
            title = (msg("进展反馈逾期：%(content)s", content=_short(item.content)) if what == "feedback"
                     else msg("督办事项逾期：%(content)s", content=_short(item.content)))
            body = (msg("应于 %(day)s 报送的进展反馈尚未报送，请尽快报送。", day=day.isoformat()) if what == "feedback"
                    else msg("办理时限 %(day)s 已过，请尽快办结并报送办结报告。", day=day.isoformat()))
            notify.notify(session, item.person, "overdue", title, body=body, link=link_for(item.id))
            made += 1
    session.flush()
    return made


# ---- 归档 ------------------------------------------------------------------------------------------------


def file_to_archive(session: Session, settings: Settings, actor: User, item_id: int) -> str:
    """The office files a closed item (已办结) into the office's archive folder: one UTF-8 text file with
    its source, content, 分管领导, units, deadline, every 进展反馈, the 办结 report, the office's judgement
    and the leader's confirmation, which the indexer picks up like any file of the share.

    Returns the path relative to the archive root. Raises InspectionError when the actor is not the
    office, the item is not closed, or it was filed already (「已处理」, with where).
    """
    _require_office(settings, actor, N_("归档"))
    item = get(session, settings, actor, item_id)
    if item.state != "closed":
        raise InspectionError(msg("事项确认办结后才能归档。"))
    if item.filed_relpath:
        raise InspectionError(msg("已处理：该事项已归档（%(path)s）。", path=item.filed_relpath))
    year = item.registered_on.year
    safe = re.sub(r'[\x00-\x1f\\/:*?"<>|]+', "", item.content)[:40].strip() or "督查事项"
    relpath = f"{org.office_code(settings)}/{year}/督查督办-{safe}-{item.id}.txt"
    target = Path(settings.archive_dir) / relpath
    target.parent.mkdir(parents=True, exist_ok=True)
    co = "、".join(department_names(session, item.co_departments or [])) or "—"
    lines = [f"督查督办事项（{year}年，编号{item.id}）", "",
             f"来源：{msg(SOURCE_NAMES[item.source_kind])}{'：' + item.source_text if item.source_text else ''}",
             f"事项内容：{item.content}", f"分管领导：{item.leader.display_name}",
             f"主办单位：{item.lead_department.name}；协办单位：{co}；责任人：{item.person.display_name}",
             f"立项日期：{item.registered_on}；办理时限：{item.deadline}", ""]
    for fb in item.feedback:
        label = "办结报告" if fb.kind == "closing" else "进展反馈"
        lines.append(f"{label}（{fb.user.display_name}，{calendar.local_date(fb.at)}）：{fb.body}")
    confirmed = calendar.local_date(item.confirmed_at) if item.confirmed_at else "—"
    lines += ["", f"办结日期：{item.completed_on}", f"确认办结：{item.leader.display_name}（{confirmed}）",
              f"归档：{actor.display_name}（{calendar.local_today()}）"]
    tmp = target.with_suffix(".tmp")
    tmp.write_text("\n".join(lines) + "\n", encoding="utf-8")
    tmp.replace(target)
    item.filed_relpath = relpath
    audit.record(session, "inspection.file", user=actor, detail=f"item {item.id}: {relpath}", data={"item": item.id})
    session.flush()
    return relpath


def waiting_judgement(session: Session) -> int:
    """How many 办结 reports wait for the office's judgement (办结报告待审核), for the office's front page."""
    return int(session.scalar(select(func.count(InspectionItem.id)).where(InspectionItem.state == "reported")) or 0)

