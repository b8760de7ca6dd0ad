"""The audit log: append security-relevant events and count recent login failures."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from archive.models import AuditEvent, User
from archive.models.base import utcnow

LOGIN_SUCCESS = "login.success"
LOGIN_FAILURE = "login.failure"
LOGIN_REFUSED = "login.rate_limited"


def record(
    session: Session,
    kind: str,
    *,
    user: User | None = None,
    username: str | None = None,
    address: str | None = None,
    detail: str | None = None,
    data: dict[str, Any] | None = None,
) -> AuditEvent:
    """Append one audit event (the caller commits)."""
    event = AuditEvent(
        kind=kind,
        user_id=user.id if user else None,
        username=(username if username is not None else (user.username if user else None) or "")[:128],
        address=(address or "")[:64] or None,
        detail=detail,
        data=data,
    )
    session.add(event)
    return event


def failures_since(
    session: Session, since: datetime, *, username: str | None = None, address: str | None = None
) -> tuple[int, datetime | None]:
    """Return (wrong passwords, the latest one's time) since `since` for an account and/or an address.

    Only failed checks count, never refusals: an attacker who keeps trying while refused does not
    extend the wait.
    """
    stmt = select(func.count(AuditEvent.id), func.max(AuditEvent.at)).where(
        AuditEvent.kind == LOGIN_FAILURE, AuditEvent.at >= since)
    if username is not None:
        stmt = stmt.where(AuditEvent.username == username)
    if address is not None:
        stmt = stmt.where(AuditEvent.address == address)
    count, last = session.execute(stmt).one()
    return int(count or 0), last


def window_start(seconds: int) -> datetime:
    """Return the start of a sliding window ending now."""
    return utcnow() - timedelta(seconds=seconds)


def latest(session: Session, *, limit: int = 100, kinds: tuple[str, ...] = ()) -> list[AuditEvent]:
    """Return the newest audit events, optionally of some kinds only."""
    stmt = select(AuditEvent).order_by(AuditEvent.id.desc()).limit(limit)
    if kinds:
        stmt = stmt.where(or_(*(AuditEvent.kind == k for k in kinds)))
    return list(session.scalars(stmt))
