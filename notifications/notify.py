"""In-app notifications (the bell) and their e-mail outbox.

A notification is written in the same transaction as the change it reports; when the person has an
e-mail address it is also marked `pending`, and the worker's mail job sends it (mail.py). Nothing is
sent from a web request, and nothing is lost while the SMTP server is down.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from core.clearance import cleared
from core.db import changed_rows
from core.messages import N_, Message, to_data
from core.models import User
from core.models.base import utcnow
from core.models.documents import Document
from core.models.supervision import Notification

KIND_NAMES = {
    "task": N_("新待办"),
    "returned": N_("退回"),
    "reminder": N_("催办"),
    "escalation": N_("催办升级"),
    "circulation": N_("传阅"),
    "overdue": N_("逾期"),
    "proxy": N_("职位代理"),
    "info": N_("消息"),
    "notice": N_("通知公告"),
}
MAX_TITLE = 300
MAX_BODY = 8000


def notify(
    session: Session, user: User | int, kind: str, title: str, *, body: str = "", link: str = "",
    document_id: int | None = None,
) -> Notification | None:
    """Add a notification for `user` (the caller commits); it is e-mailed when they have an address.

    Nothing is sent (None) to an inactive account, nor about a document above the person's clearance:
    a notice carries the document's title, and a classified title reaches only people cleared for it.
    """
    if kind not in KIND_NAMES:
        raise ValueError(f"unknown notification kind {kind!r}")
    person = session.get(User, user) if isinstance(user, int) else user
    assert person is not None
    if not person.active:
        return None
    if document_id is not None:
        level = session.scalar(select(Document.classification).where(Document.id == document_id))
        if level is not None and not cleared(person, level):
            return None
    note = Notification(
        user_id=person.id, kind=kind, title=title.strip()[:MAX_TITLE], body=body[:MAX_BODY], link=link[:500],
        title_data=to_data(title) if isinstance(title, Message) else None,
        body_data=to_data(body) if isinstance(body, Message) else None,
        document_id=document_id, created_at=utcnow(), email_state="pending" if person.email else "none",
        email_attempts=0,
    )
    session.add(note)
    return note


def notify_many(session: Session, users: list[User], kind: str, title: str, **kw: Any) -> list[Notification]:
    """Notify each of `users` once (duplicates and inactive accounts are skipped)."""
    seen: set[int] = set()
    out = []
    for user in users:
        if user.id in seen or not user.active:
            continue
        seen.add(user.id)
        note = notify(session, user, kind, title, **kw)
        if note is not None:
            out.append(note)
    return out


def unread_count(session: Session, user: User) -> int:
    """Return how many notifications the user has not read."""
    return int(session.scalar(
        select(func.count(Notification.id)).where(Notification.user_id == user.id, Notification.read_at.is_(None))
    ) or 0)


def latest(session: Session, user: User, *, limit: int = 50, unread_only: bool = False,
           before_id: int | None = None) -> list[Notification]:
    """Return the user's notifications, newest first."""
    stmt = select(Notification).where(Notification.user_id == user.id)
    if unread_only:
        stmt = stmt.where(Notification.read_at.is_(None))
    if before_id:
        stmt = stmt.where(Notification.id < before_id)
    return list(session.scalars(stmt.order_by(Notification.id.desc()).limit(limit)))


def mark_read(session: Session, user: User, notification_id: int | None = None) -> int:
    """Mark one notification (or all when None) of the user as read; return how many changed."""
    stmt = update(Notification).where(Notification.user_id == user.id, Notification.read_at.is_(None))
    if notification_id is not None:
        stmt = stmt.where(Notification.id == notification_id)
    result = session.execute(stmt.values(read_at=utcnow()).execution_options(synchronize_session=False))
    return changed_rows(result)


def get(session: Session, user: User, notification_id: int) -> Notification | None:
    """Return the user's notification with this id, or None (others' notifications are never returned)."""
    return session.scalar(
        select(Notification).where(Notification.id == notification_id, Notification.user_id == user.id)
    )


def has_pending_mail(session: Session) -> bool:
    """Return True when some notification waits to be e-mailed (a cheap check before taking the lock)."""
    return session.scalar(select(Notification.id).where(Notification.email_state == "pending").limit(1)) is not None


def pending_mail(session: Session, *, max_age_hours: float, limit: int = 100,
                 now: datetime | None = None) -> list[tuple[Notification, User]]:
    """Return notifications waiting to be e-mailed; older ones are marked `expired` and left out."""
    now = now or utcnow()
    cutoff = now - timedelta(hours=max_age_hours)
    session.execute(
        update(Notification)
        .where(Notification.email_state == "pending", Notification.created_at < cutoff)
        .values(email_state="expired")
        .execution_options(synchronize_session=False)
    )
    rows = session.execute(
        select(Notification, User).join(User, User.id == Notification.user_id)
        .where(Notification.email_state == "pending")
        .order_by(Notification.id)
        .limit(limit)
    ).all()
    return [(n, u) for n, u in rows]
