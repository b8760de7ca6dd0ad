"""Deadlines, overdue and due-soon lists, 催办 with escalation to the department head.

A document's deadline is the one set by hand, else the default from its urgency counted in working
days from its first submission (settings [supervision] deadline_days). An item is open while its
document is 流转中 (the holders are the people with pending steps) or 退回修改 (the drafter holds it).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from types import SimpleNamespace

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from config.supervision import SupervisionSettings
from core import org
from core.calendar import WorkCalendar, local_date, local_today
from core.clearance import cleared, cleared_clause
from core.messages import msg
from core.models import Department, User
from core.models.base import utcnow
from core.models.documents import Document, DocumentAction, StepAssignment
from core.models.supervision import Reminder
from core.permissions import Permission, Role
from documents import hooks, proxy, standing
from documents.due import default_deadline
from notifications import notify
from supervision.errors import NotFound, SupervisionError

OPEN_STATES = ("active", "returned")
MAX_NOTE = 1000





def submitted_at(session: Session, document_ids: list[int]) -> dict[int, datetime]:
    """Return the first submission time of each document (documents never submitted are absent)."""
    out: dict[int, datetime] = {}
    for chunk in _chunks(document_ids, 500):
        rows = session.execute(
            select(DocumentAction.document_id, func.min(DocumentAction.at))
            .where(DocumentAction.document_id.in_(chunk), DocumentAction.action == "submit")
            .group_by(DocumentAction.document_id)
        ).all()
        out.update({d: at for d, at in rows if at is not None})
    return out


def _chunks(items: list[int], size: int) -> list[list[int]]:
    return [items[i:i + size] for i in range(0, len(items), size)]


def effective_deadline(cfg: SupervisionSettings, cal: WorkCalendar, doc: Document,
                       submitted: datetime | None) -> date | None:
    """Return the deadline that applies: set by hand, else the default from urgency and submission."""
    if doc.deadline is not None:
        return doc.deadline
    start = submitted or doc.created_at
    return default_deadline(cfg, cal, doc.urgency, local_date(start)) if start else None


@dataclass(frozen=True)
class DueMark:
    """How an open document stands against its deadline: "overdue", "soon" or "" (on time), and the date."""

    state: str
    due: date
    days: int  # working days overdue (state "overdue") or left (otherwise)


def due_marks(session: Session, cfg: SupervisionSettings, cal: WorkCalendar, docs: list[Document], *,
              today: date | None = None) -> dict[int, DueMark]:
    """Return the due mark of each open document among `docs` (documents not open or without a deadline are
    absent): overdue, due within `due_soon_days` working days, or on time. One query for all of them."""
    today = today or local_today()
    open_docs = [d for d in docs if d.state in OPEN_STATES]
    if not open_docs:
        return {}
    submitted = submitted_at(session, [d.id for d in open_docs])
    out: dict[int, DueMark] = {}
    for doc in open_docs:
        due = effective_deadline(cfg, cal, doc, submitted.get(doc.id))
        if due is None:
            continue
        if due < today:
            out[doc.id] = DueMark("overdue", due, max(1, cal.workdays_between(due, today)))
        else:
            left = cal.workdays_between(today, due)
            out[doc.id] = DueMark("soon" if left <= cfg.due_soon_days else "", due, left)
    return out


@dataclass
class OpenItem:
    """An open document with its deadline, the working days left (negative: overdue) and who holds it."""

    document: Document
    due: date
    days_left: int
    holders: list[User] = field(default_factory=list)
    department_id: int | None = None
    reminders: int = 0

    @property
    def overdue(self) -> bool:
        return self.days_left < 0

    @property
    def overdue_days(self) -> int:
        return max(0, -self.days_left)


def open_items(
    session: Session, cfg: SupervisionSettings, cal: WorkCalendar, *, today: date | None = None,
    department_id: int | None = None, holder: User | None = None, viewer: User | None = None,
    drafted: bool = False,
) -> list[OpenItem]:
    """Return every open item with its deadline, most overdue first; optionally of a department or holder.

    With `viewer`, only items whose 密级 the viewer is cleared for (lists shown to a person never carry a
    classified title above their clearance).
    """
    today = today or local_today()
    stmt = select(Document).where(Document.state.in_(OPEN_STATES))
    if viewer is not None:
        stmt = stmt.where(cleared_clause(viewer, Document.classification))
    if department_id is not None:
        stmt = stmt.where(func.coalesce(Document.lead_department_id, Document.department_id) == department_id)
    docs = list(session.scalars(stmt))
    if holder is not None:
        held = set(session.scalars(select(StepAssignment.document_id).where(
            StepAssignment.user_id == holder.id, StepAssignment.state == "pending")))
        docs = [d for d in docs if d.id in held or (d.state == "returned" and d.drafter_id == holder.id)
                or (drafted and d.drafter_id == holder.id)]  # 我的期限: what I drafted counts too
    if not docs:
        return []
    ids = [d.id for d in docs]
    submitted = submitted_at(session, ids)
    holders: dict[int, list[User]] = defaultdict(list)
    for chunk in _chunks(ids, 500):
        for doc_id, user in session.execute(
            select(StepAssignment.document_id, User).join(User, User.id == StepAssignment.user_id)
            .where(StepAssignment.document_id.in_(chunk), StepAssignment.state == "pending")
            .order_by(StepAssignment.id)
        ).all():
            if all(u.id != user.id for u in holders[doc_id]):
                holders[doc_id].append(user)
    counts: dict[tuple[int, int], int] = {}
    for chunk in _chunks(ids, 500):
        for reminded, target, n in session.execute(
            select(Reminder.document_id, Reminder.target_id, func.count(Reminder.id))
            .where(Reminder.document_id.in_(chunk)).group_by(Reminder.document_id, Reminder.target_id)
        ).all():
            if reminded is not None:
                counts[(reminded, target)] = int(n)
    out = []
    for doc in docs:
        due = effective_deadline(cfg, cal, doc, submitted.get(doc.id))
        if due is None:
            continue
        people = holders.get(doc.id, []) if doc.state == "active" else [doc.drafter]
        out.append(OpenItem(
            document=doc, due=due, days_left=cal.workdays_between(today, due) if due >= today
            else -max(1, cal.workdays_between(due, today)),
            holders=people, department_id=doc.lead_department_id or doc.department_id,
            reminders=sum(counts.get((doc.id, u.id), 0) for u in people),
        ))
    out.sort(key=lambda i: (i.days_left, i.document.id))
    return out


def overdue(items: list[OpenItem]) -> list[OpenItem]:
    """Return the overdue ones."""
    return [i for i in items if i.overdue]


def due_soon(items: list[OpenItem], cfg: SupervisionSettings) -> list[OpenItem]:
    """Return the ones due within `due_soon_days` working days (today included)."""
    return [i for i in items if 0 <= i.days_left <= cfg.due_soon_days]



@dataclass
class ReminderOutcome:
    reminder: Reminder
    count: int
    escalated_to: list[User]


def may_remind(session: Session, actor: User, doc: Document) -> bool:
    """Return True when `actor` may chase the holders of `doc`: 督办 staff, its drafter, its department's head."""
    if not cleared(actor, doc.classification):
        return False  # nobody chases what they may not see
    perms = org.permissions_of(actor)
    if Permission.SUPERVISION in perms and (
        Role.LEADER in actor.role_codes or Role.CLERK in actor.role_codes or Permission.ADMIN in perms
        or actor.department_id in (doc.department_id, doc.lead_department_id)
    ):
        return True
    return actor.id == doc.drafter_id



def remind(
    session: Session, cfg: SupervisionSettings, actor: User, document_id: int, target_id: int, *,
    note: str = "", now: datetime | None = None,
) -> ReminderOutcome:
    """催办 one holder of an open document; the Nth reminder also goes to their head."""
    now = now or utcnow()
    doc = session.get(Document, document_id)
    if doc is None or not may_remind(session, actor, doc):
        raise NotFound(msg("文件不存在，或您没有催办该文件的权限。"))
    if doc.state not in OPEN_STATES:
        raise SupervisionError(msg("该文件已办结，无需催办。"))
    target = session.get(User, target_id)
    if target is not None and not target.active:
        # Nobody chases an inactive account: its tasks move to whoever holds the step now (if not yet
        # moved), and the reply names them.
        standing.reassign_lost(session, SimpleNamespace(supervision=cfg), user_ids=[target.id])
        now_holding = [u.display_name for u in session.scalars(
            select(User).join(StepAssignment, StepAssignment.user_id == User.id).where(
                StepAssignment.document_id == doc.id, StepAssignment.state == "pending", User.active.is_(True)))]
        who = "、".join(dict.fromkeys(now_holding)) or msg("（暂无在岗办理人，请联系系统管理员指定）")
        raise SupervisionError(msg(
            "%(display_name)s 的账户已停用，不能催办；该事项现由 %(who)s 办理。",
            display_name=target.display_name, who=who,
        ))
    holds = target is not None and (
        session.scalar(select(func.count(StepAssignment.id)).where(
            StepAssignment.document_id == doc.id, StepAssignment.user_id == target.id,
            StepAssignment.state == "pending"))
        or (doc.state == "returned" and doc.drafter_id == target.id)
    )
    if target is None or not holds:
        raise SupervisionError(msg("此人当前没有待办理该文件的事项，无需催办。"))
    if target.id == actor.id:
        raise SupervisionError(msg("不能催办自己。"))
    last = session.scalar(select(func.max(Reminder.at)).where(
        Reminder.document_id == doc.id, Reminder.target_id == target.id))
    if last is not None and now - last < timedelta(minutes=cfg.reminder_interval_minutes):
        wait = cfg.reminder_interval_minutes - int((now - last).total_seconds() // 60)
        raise SupervisionError(msg(
            "刚刚已催办过%(display_name)s，请%(wait)s分钟后再催。",
            display_name=target.display_name, wait=wait,
        ))
    note = (note or "").strip()[:MAX_NOTE]
    count = 1 + int(session.scalar(select(func.count(Reminder.id)).where(
        Reminder.document_id == doc.id, Reminder.target_id == target.id)) or 0)
    reminder = Reminder(document_id=doc.id, target_id=target.id, by_id=actor.id, at=now, note=note)
    session.add(reminder)
    link = hooks.document_link(doc.id)
    body = msg(
        "%(display_name)s 催办：请尽快办理《%(title)s》（第%(count)s次催办）。",
        display_name=actor.display_name, title=doc.title, count=count,
    ) + (f"\n{note}" if note else "")
    notify.notify(session, target, "reminder", msg(
        "催办：%(title)s",
        title=doc.title,
    ), body=body, link=link, document_id=doc.id)
    # Whoever acts for the target now gets the reminder too (职位代理).
    for grant in proxy.active_for_principal(session, target.id, now=now):
        notify.notify(session, grant.proxy, "reminder", msg(
            "催办（代%(display_name)s）：%(title)s",
            display_name=target.display_name, title=doc.title,
        ),
                      body=body, link=link, document_id=doc.id)
    escalated: list[User] = []
    if count >= cfg.escalate_after_reminders:
        escalated = org.heads_of(session, target)
        for head in escalated:
            notify.notify(
                session, head, "escalation", msg("催办升级：%(title)s", title=doc.title),
                body=msg(
                    "%(display_name)s 经%(count)s次催办仍未办理《%(title)s》，请督促。",
                    display_name=target.display_name, count=count, title=doc.title,
                ), link=link,
                document_id=doc.id,
            )
        if escalated:
            reminder.escalated_to_id = escalated[0].id
    session.flush()
    return ReminderOutcome(reminder, count, escalated)


def reminders_of(session: Session, document_id: int) -> list[Reminder]:
    """Return the 催办 record of a document, oldest first."""
    return list(session.scalars(select(Reminder).where(Reminder.document_id == document_id).order_by(Reminder.id)))


def departments_visible(session: Session, cfg: SupervisionSettings, user: User) -> list[Department] | None:
    """Return the departments whose figures the user sees (None: all of them)."""
    perms = org.permissions_of(user)
    if Permission.SUPERVISION not in perms:
        return []
    if (Permission.ADMIN in perms or Role.LEADER in user.role_codes or Role.CLERK in user.role_codes
            or (user.department is not None and user.department.code == cfg.office_department)):
        return None
    return [user.department] if user.department is not None else []
