"""What document routing calls at its moments (documents/engine.py): 职位代理, deadlines, notifications.

Each function is a plain call the routing module makes inside its own transaction; none of them commits.
- `may_act`: may `actor` act on `assignment` (held by someone else) as their proxy, now?
- `delegated_clause`: the SQL condition that adds the tasks one handles as a proxy to one's 待办.
- `delegated_assignment`: on a document page, the principal's pending assignment a proxy may act on.
- `tasks_created`: new pending assignments were made: notify the holders (and their active proxies).
- `returned`: a document was sent back to its drafter: notify them with every reason.
- `submitted`: give a document without a deadline its default one (urgency, working days).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, and_, exists, false, or_, select, update
from sqlalchemy.orm import Session, aliased

from core.calendar import day_start
from core.clearance import cleared, cleared_clause
from core.db import changed_rows
from core.messages import msg
from core.models import User
from core.models.base import utcnow
from core.models.documents import Document, RouteStep, StepAssignment
from core.models.supervision import Notification
from documents import due, proxy
from notifications import notify


def document_link(document_id: int) -> str:
    """Return the intranet path of a document page (for notifications)."""
    return f"/documents/{document_id}"


def may_act(session: Session, actor: User, principal: User, doc: Document, step: RouteStep,
            assignment: StepAssignment, *, now: datetime | None = None) -> bool:
    """Return True when an active window lets `actor` act on `principal`'s assignment of this step.

    Never for a document above the actor's own clearance (密级), whatever the step.
    """
    if not cleared(actor, doc.classification):
        return False
    return proxy.acting_grant(
        session, actor, principal, kind=doc.kind, step_kind=step.kind, classification=doc.classification,
        assigned_at=assignment.created_at, now=now,
    ) is not None


def delegated_clause(session: Session, actor: User, *, now: datetime | None = None) -> ColumnElement[bool]:
    """Return the condition on (Document, RouteStep, StepAssignment) matching the tasks `actor` handles as proxy."""
    parts = []
    mine = aliased(StepAssignment)
    # A proxy who holds a part of the same step sees that step once: as their own task.
    own_part = exists().where(mine.step_id == StepAssignment.step_id, mine.user_id == actor.id,
                              mine.state == "pending")
    for grant in proxy.active_for_proxy(session, actor.id, now=now):
        # A proxy sees and handles only what their own clearance allows (密级), whatever the principal's.
        cond = [StepAssignment.user_id == grant.principal_id, cleared_clause(actor, Document.classification),
                ~own_part]
        if grant.kinds:
            cond.append(Document.kind.in_(list(grant.kinds)))
        if not grant.move_existing:
            cond.append(StepAssignment.created_at >= day_start(grant.starts_on))
        if not proxy.may_sign(grant, actor, 0):
            cond.append(RouteStep.kind != proxy.SIGN_STEP)
        else:
            cond.append(or_(RouteStep.kind != proxy.SIGN_STEP, cleared_clause(actor, Document.classification)))
        parts.append(and_(*cond))
    return or_(*parts) if parts else false()


def delegated_assignment(session: Session, doc: Document, actor: User, step: RouteStep | None,
                         *, now: datetime | None = None) -> tuple[StepAssignment, User] | None:
    """Return (assignment, principal) on the active `step` that `actor` may act on as a proxy, if any."""
    if step is None:
        return None
    grants = proxy.active_for_proxy(session, actor.id, now=now)
    if not grants:
        return None
    pending = session.scalars(select(StepAssignment).where(
        StepAssignment.step_id == step.id, StepAssignment.state == "pending",
        StepAssignment.user_id.in_([g.principal_id for g in grants])).order_by(StepAssignment.id))
    for assignment in pending:
        principal = session.get(User, assignment.user_id)
        if principal is not None and may_act(session, actor, principal, doc, step, assignment, now=now):
            return assignment, principal
    return None


def _task_title(doc: Document, step: RouteStep) -> str:
    return msg("新待办：%(title)s（%(step)s）", title=doc.title, step=msg(step.name))


def tasks_created(session: Session, doc: Document, step: RouteStep, assignments: Iterable[StepAssignment],
                  *, now: datetime | None = None) -> int:
    """Notify each new holder, and whoever acts for them now (职位代理); return how many were notified."""
    now = now or utcnow()
    link = document_link(doc.id)
    count = 0
    assignments = list(assignments)
    # Everyone holding a task on this step now (a proxy who holds one too gets one notice, not two).
    holders = set(session.scalars(select(StepAssignment.user_id).where(
        StepAssignment.step_id == step.id, StepAssignment.state == "pending"))) | {a.user_id for a in assignments}
    for assignment in assignments:
        user = assignment.user if assignment.user is not None else session.get(User, assignment.user_id)
        if user is None:
            continue
        notify.notify(session, user, "task", _task_title(doc, step), body=msg("请办理：%(title)s", title=doc.title),
                      link=link, document_id=doc.id)
        count += 1
        for grant in proxy.active_for_principal(session, user.id, now=now):
            if grant.proxy_id in holders:
                continue  # a holder of the same step already got their own notice: one, not two
            if may_act(session, grant.proxy, user, doc, step, assignment, now=now):
                notify.notify(session, grant.proxy, "task",
                              msg("代%(name)s：%(task)s", name=user.display_name, task=_task_title(doc, step)),
                              body=msg("您正在代理%(name)s的工作，请办理：%(title)s", name=user.display_name,
                                       title=doc.title), link=link, document_id=doc.id)
                count += 1
    return count


def distributed(session: Session, doc: Document, person: User, actor: User) -> None:
    """Tell a recipient that a document was distributed (分发) to them: it is in their 收件."""
    title = (msg("收到公文：%(title)s（%(number)s）", title=doc.title, number=doc.doc_number) if doc.doc_number
             else msg("收到公文：%(title)s", title=doc.title))
    numbered = bool(doc.doc_number) and doc.kind == "outgoing"
    # A numbered 发文 is read in its formal version (套红, made at 编号): the link opens the page there.
    who = actor.display_name
    body = (msg("%(name)s 分发给您，请阅知正式文件（套红 PDF，在页面顶部）。也可在「收件」中查看。", name=who)
            if numbered else msg("%(name)s 分发给您，请阅知。也可在「收件」中查看。", name=who))
    link = document_link(doc.id) + ("#formal-version" if numbered else "")
    notify.notify(session, person, "info", title, body=body, link=link, document_id=doc.id)


def clear_stale_task_notices(session: Session, doc: Document) -> int:
    """Mark read every unread 新待办 notice about `doc` whose person no longer holds a task on it.

    Called after each action on a document, so the bell only counts tasks that are still waiting.
    Returns how many notices were cleared.
    """
    holders = set(session.scalars(select(StepAssignment.user_id).where(
        StepAssignment.document_id == doc.id, StepAssignment.state == "pending")))
    still = set(holders)
    for holder in holders:  # whoever acts for a holder now keeps their notice too
        still.update(g.proxy_id for g in proxy.active_for_principal(session, holder))
    result = session.execute(update(Notification).where(
        Notification.document_id == doc.id, Notification.kind == "task", Notification.read_at.is_(None),
        Notification.user_id.not_in(still)).values(read_at=utcnow()).execution_options(synchronize_session=False))
    return changed_rows(result)


def withdrawn(session: Session, doc: Document, people: Iterable[User], actor: User) -> int:
    """A 撤回 took tasks away: their 新待办 notices are marked read and each person is told 「已撤回」.

    Returns how many were told.
    """
    told = 0
    for person in people:
        session.execute(update(Notification).where(
            Notification.user_id == person.id, Notification.document_id == doc.id, Notification.kind == "task",
            Notification.read_at.is_(None)).values(read_at=utcnow()))
        if notify.notify(session, person, "info", msg("已撤回：%(title)s", title=doc.title),
                         body=msg("%(name)s 撤回了上一步的办理，此事项已不在您的待办中。", name=actor.display_name),
                         link=document_link(doc.id), document_id=doc.id) is not None:
            told += 1
    return told


def returned(session: Session, doc: Document, actor: User, reasons: list[str]) -> None:
    """Tell the drafter the document came back to them, with every reason at once (一次性告知).

    A return to an earlier step makes new tasks there, which `tasks_created` reports.
    """
    body = msg("%(name)s 退回了《%(title)s》，请修改后重新提交。理由：\n%(reasons)s", name=actor.display_name,
               title=doc.title, reasons="\n".join(f"{i}. {r}" for i, r in enumerate(reasons, 1)))
    notify.notify(session, doc.drafter, "returned", msg("退回：%(title)s", title=doc.title), body=body,
                  link=document_link(doc.id), document_id=doc.id)


def submitted(session: Session, settings: Any, doc: Document, *, now: datetime | None = None) -> None:
    """Give a submitted document its default deadline when it has none (settings may be None: defaults)."""
    cfg = getattr(settings, "supervision", None)
    if cfg is not None:
        due.apply_default_deadline(session, cfg, doc, now=now)


def principal_of(session: Session, assignment_id: int, actor: User) -> User | None:
    """Return the holder of the assignment when it is someone else (the actor would act as their proxy)."""
    assignment = session.get(StepAssignment, assignment_id) if assignment_id else None
    if assignment is None or assignment.user_id == actor.id:
        return None
    return session.get(User, assignment.user_id)


def document_read(session: Session, doc: Document, user: User) -> None:
    """The user opened the document: their 传阅 receipts for it become 已阅."""
    from circulation import service as circulation

    circulation.mark_document_read(session, user, doc.id)
