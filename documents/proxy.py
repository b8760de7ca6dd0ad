"""职位代理: whoever leaves the office names a proxy for a date range and a scope; nothing stalls.

Tasks stay assigned to the principal; while a window is active the proxy sees them in their 待办 and
may act on them, and every such action is recorded with the principal as `on_behalf_of` (shown as
`代 <name>`). Tasks that arrived before the window go over too only when `move_existing` is set.
签发 goes over only when `allow_sign` is set, only to someone who may sign themselves, and only for
documents within the proxy's own clearance. Windows of one principal never overlap, and a proxy who is
away themselves (or whose absence would make a circle) is refused.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from core import org
from core.calendar import day_end, day_start, local_date, local_today
from core.clearance import cleared
from core.messages import N_, msg
from core.models import User
from core.models.base import utcnow
from core.models.supervision import ProxyGrant
from core.permissions import Permission
from documents.errors import NotFound, WorkflowError

KINDS = ("outgoing", "incoming", "request")
KIND_NAMES = {"outgoing": msg("发文"), "incoming": msg("收文"), "request": msg("签报")}
MAX_DAYS = 366
SIGN_STEP = "sign"


@dataclass(frozen=True)
class GrantRequest:
    principal: User
    proxy: User
    starts_on: date
    ends_on: date
    kinds: Sequence[str] = ()
    allow_sign: bool = False
    move_existing: bool = False
    reason: str = ""


def _scopes_meet(a: Sequence[str], b: Sequence[str]) -> bool:
    return not a or not b or bool(set(a) & set(b))


def _overlapping(session: Session, user_column: Any, user_id: int, starts_on: date, ends_on: date) -> list[ProxyGrant]:
    return list(session.scalars(
        select(ProxyGrant).where(
            user_column == user_id, ProxyGrant.cancelled_at.is_(None),
            ProxyGrant.starts_on <= ends_on, ProxyGrant.ends_on >= starts_on,
        ).order_by(ProxyGrant.starts_on)
    ))


def _fmt(d: date) -> str:
    return msg("%(year)s年%(month)s月%(day)s日", year=d.year, month=d.month, day=d.day)


def create(session: Session, actor: User, req: GrantRequest, *, today: date | None = None) -> ProxyGrant:
    """Name a proxy (the principal themself or an admin); every problem is listed at once."""
    today = today or local_today()
    principal, proxy = req.principal, req.proxy
    is_admin = Permission.ADMIN in org.permissions_of(actor)
    if actor.id != principal.id and not is_admin:
        raise WorkflowError(msg("只能为自己设置职位代理；为他人设置请联系系统管理员。"))
    # Serialise grants of the same people (PostgreSQL row locks; SQLite: the caller's write lock).
    session.scalars(select(User.id).where(User.id.in_([principal.id, proxy.id])).with_for_update()).all()
    problems: list[str] = []
    if proxy.id == principal.id:
        problems.append(msg("代理人不能是本人。"))
    if not proxy.active:
        problems.append(msg("%(display_name)s 的账户已停用，不能担任代理人。", display_name=proxy.display_name))
    if req.ends_on < req.starts_on:
        problems.append(msg("结束日期不能早于开始日期。"))
    elif (req.ends_on - req.starts_on).days >= MAX_DAYS:
        problems.append(msg("代理期限不能超过一年。"))
    if req.ends_on < today:
        problems.append(msg("结束日期已过，请选择今天或以后的日期。"))
    unknown = [k for k in req.kinds if k not in KINDS]
    if unknown:
        problems.append(msg("代理范围只能是发文、收文、签报。"))
    kinds = sorted(set(req.kinds)) if set(req.kinds) != set(KINDS) else []
    if req.allow_sign:
        if Permission.DOCUMENTS_SIGN not in org.permissions_of(principal):
            problems.append(msg(
                "%(display_name)s 本人没有签发权限，无需委托签发。",
                display_name=principal.display_name,
            ))
        elif Permission.DOCUMENTS_SIGN not in org.permissions_of(proxy):
            problems.append(msg(
                "签发只能委托给同样具有签发权限的人，%(display_name)s 没有签发权限。",
                display_name=proxy.display_name,
            ))
    if not problems:
        for other in _overlapping(session, ProxyGrant.principal_id, principal.id, req.starts_on, req.ends_on):
            if _scopes_meet(other.kinds, kinds):
                problems.append(
                    msg(
                        "%(display_name)s 在 %(value)s至%(value2)s 已由 %(display_name2)s 代理，时间重叠。请先修改或"
                        "撤销那条代理。",
                        display_name=principal.display_name,
                        value=_fmt(other.starts_on),
                        value2=_fmt(other.ends_on),
                        display_name2=other.proxy.display_name,
                    )
                )
        for other in _overlapping(session, ProxyGrant.principal_id, proxy.id, req.starts_on, req.ends_on):
            if other.proxy_id == principal.id:
                problems.append(
                    msg(
                        "循环代理：%(display_name)s 在 %(value)s至%(value2)s 已委托 %(display_name2)s 代理，双方不能"
                        "在同一时间互为代理。",
                        display_name=proxy.display_name,
                        value=_fmt(other.starts_on),
                        value2=_fmt(other.ends_on),
                        display_name2=principal.display_name,
                    )
                )
            else:
                problems.append(
                    msg(
                        "%(display_name)s 在 %(value)s至%(value2)s 本人也不在岗（已委托 %(display_name2)s 代理），请"
                        "另选代理人。",
                        display_name=proxy.display_name,
                        value=_fmt(other.starts_on),
                        value2=_fmt(other.ends_on),
                        display_name2=other.proxy.display_name,
                    )
                )
        for other in _overlapping(session, ProxyGrant.proxy_id, principal.id, req.starts_on, req.ends_on):
            problems.append(
                msg(
                    "%(display_name)s 在 %(value)s至%(value2)s 正在代理 %(display_name2)s 的工作，请先为那项代理另行"
                    "安排，以免工作链条中断。",
                    display_name=principal.display_name,
                    value=_fmt(other.starts_on),
                    value2=_fmt(other.ends_on),
                    display_name2=other.principal.display_name,
                )
            )
    if problems:
        raise WorkflowError("\n".join(problems), problems=problems)
    grant = ProxyGrant(
        principal_id=principal.id, proxy_id=proxy.id, starts_on=req.starts_on, ends_on=req.ends_on, kinds=kinds,
        allow_sign=req.allow_sign, move_existing=req.move_existing, reason=(req.reason or "").strip()[:1000],
        created_by_id=actor.id, created_at=utcnow(),
    )
    session.add(grant)
    session.flush()
    session.refresh(grant)
    return grant


def cancel(session: Session, actor: User, grant_id: int, *, now: datetime | None = None) -> ProxyGrant:
    """Cancel a window (the principal, the creator or an admin); a running one ends at this moment."""
    now = now or utcnow()
    grant = session.get(ProxyGrant, grant_id)
    if grant is None or (actor.id not in (grant.principal_id, grant.created_by_id)
                         and Permission.ADMIN not in org.permissions_of(actor)):
        raise NotFound(msg("该代理记录不存在。"))
    if grant.cancelled_at is not None:
        raise WorkflowError(msg("该代理已撤销，无需重复操作。"))
    if effective_end(grant) <= now:
        raise WorkflowError(msg("该代理已经结束，不能撤销。"))
    grant.cancelled_at, grant.cancelled_by_id = now, actor.id
    session.flush()
    return grant


def effective_end(grant: ProxyGrant) -> datetime:
    """Return when the window stops: the end of its last day, or the moment it was cancelled."""
    end = day_end(grant.ends_on)
    return min(end, grant.cancelled_at) if grant.cancelled_at is not None else end


def _is_active(grant: ProxyGrant, moment: datetime) -> bool:
    return day_start(grant.starts_on) <= moment < effective_end(grant)


def active_for_principal(session: Session, principal_id: int, *, now: datetime | None = None) -> list[ProxyGrant]:
    """Return the principal's windows running now."""
    now = now or utcnow()
    today = local_date(now)
    rows = session.scalars(select(ProxyGrant).where(
        ProxyGrant.principal_id == principal_id, ProxyGrant.starts_on <= today, ProxyGrant.ends_on >= today))
    return [g for g in rows if _is_active(g, now)]


def active_for_proxy(session: Session, proxy_id: int, *, now: datetime | None = None) -> list[ProxyGrant]:
    """Return the windows in which `proxy_id` acts for someone now."""
    now = now or utcnow()
    today = local_date(now)
    rows = session.scalars(select(ProxyGrant).where(
        ProxyGrant.proxy_id == proxy_id, ProxyGrant.starts_on <= today, ProxyGrant.ends_on >= today))
    return [g for g in rows if _is_active(g, now)]


def covers(grant: ProxyGrant, *, kind: str | None, assigned_at: datetime | None) -> bool:
    """Return True when the window covers a task of this document kind assigned at this time."""
    if grant.kinds and kind not in grant.kinds:
        return False
    return grant.move_existing or assigned_at is None or assigned_at >= day_start(grant.starts_on)


def acting_grant(
    session: Session, actor: User, principal: User, *, kind: str | None, step_kind: str | None = None,
    classification: int = 0, assigned_at: datetime | None = None, now: datetime | None = None,
) -> ProxyGrant | None:
    """Return the window that lets `actor` act for `principal` on this task now, or None."""
    if actor.id == principal.id or not actor.active:
        return None
    for grant in active_for_principal(session, principal.id, now=now):
        if grant.proxy_id != actor.id or not covers(grant, kind=kind, assigned_at=assigned_at):
            continue
        if step_kind == SIGN_STEP and not may_sign(grant, actor, classification):
            continue
        return grant
    return None


def may_sign(grant: ProxyGrant, actor: User, classification: int) -> bool:
    """Return True when the window lets `actor` sign (签发) a document of this 密级 for the principal."""
    return (grant.allow_sign and Permission.DOCUMENTS_SIGN in org.permissions_of(actor)
            and cleared(actor, classification))


def sign_refusal(session: Session, actor: User, principal: User, classification: int, *,
                 now: datetime | None = None) -> str | None:
    """Return why `actor` may not sign for `principal` now (None when nothing stands in the way)."""
    grants = [g for g in active_for_principal(session, principal.id, now=now) if g.proxy_id == actor.id]
    if not grants:
        return msg("您当前不是 %(display_name)s 的代理人。", display_name=principal.display_name)
    if not any(g.allow_sign for g in grants):
        return msg(
            "%(display_name)s 没有委托您代为签发，请退回或等待其本人签发。",
            display_name=principal.display_name,
        )
    if Permission.DOCUMENTS_SIGN not in org.permissions_of(actor):
        return msg("您没有签发权限，不能代为签发。")
    if not cleared(actor, classification):
        return msg("该文件密级高于您的涉密等级，不能代为签发。")
    return None


def grants(session: Session, *, principal: User | None = None, proxy: User | None = None,
           include_past: bool = True, limit: int = 200) -> list[ProxyGrant]:
    """Return windows of a principal and/or a proxy (or all), newest first."""
    stmt = select(ProxyGrant)
    if principal is not None and proxy is not None:
        stmt = stmt.where(or_(ProxyGrant.principal_id == principal.id, ProxyGrant.proxy_id == proxy.id))
    elif principal is not None:
        stmt = stmt.where(ProxyGrant.principal_id == principal.id)
    elif proxy is not None:
        stmt = stmt.where(ProxyGrant.proxy_id == proxy.id)
    if not include_past:
        stmt = stmt.where(ProxyGrant.ends_on >= local_today())
    return list(session.scalars(stmt.order_by(ProxyGrant.starts_on.desc(), ProxyGrant.id.desc()).limit(limit)))


def state_of(grant: ProxyGrant, now: datetime | None = None) -> str:
    """Return 'scheduled', 'active', 'ended' or 'cancelled' (withdrawn before it began) for display."""
    now = now or utcnow()
    begins = day_start(grant.starts_on)
    if grant.cancelled_at is not None and grant.cancelled_at <= begins:
        return "cancelled"
    if now < begins:
        return "scheduled"
    return "active" if now < effective_end(grant) else "ended"


STATE_NAMES = {"scheduled": N_("待生效"), "active": N_("生效中"), "ended": N_("已结束"), "cancelled": N_("已撤销")}


def scope_label(grant: ProxyGrant) -> str:
    """Return the scope in words: 全部 or the document kinds."""
    if not grant.kinds:
        return N_("全部公文")
    return "、".join(KIND_NAMES.get(k, k) for k in grant.kinds)


def ended_without_summary(session: Session, now: datetime | None = None) -> list[ProxyGrant]:
    """Return windows that are over and whose principal has not had the summary yet."""
    now = now or utcnow()
    today = local_date(now)
    rows = session.scalars(select(ProxyGrant).where(
        ProxyGrant.summary_at.is_(None),
        or_(ProxyGrant.ends_on < today, ProxyGrant.cancelled_at.is_not(None)),
    ).order_by(ProxyGrant.id))
    return [g for g in rows if effective_end(g) <= now]


def users_by_name(session: Session, usernames: Iterable[str]) -> list[User]:
    """Return the active users with these login names; raise listing every unknown one."""
    found, missing = [], []
    for name in usernames:
        name = (name or "").strip()
        if not name:
            continue
        user = org.user_by_username(session, name)
        if user is None or not user.active:
            missing.append(name)
        else:
            found.append(user)
    if missing:
        raise WorkflowError(msg("没有在岗的用户：%(value)s", value='、'.join(missing)))
    return found
