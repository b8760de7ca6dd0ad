"""What a proxy sees and did: the principals' 待办 a proxy may handle, and the summary of a window."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from archive.models import User
from archive.models.base import utcnow
from archive.models.documents import Document, DocumentAction, RouteStep, StepAssignment
from archive.models.supervision import ProxyGrant
from archive.supervision import notify, proxy
from archive.supervision.calendar import LOCAL_TZ, day_start


@dataclass
class DelegatedTask:
    document: Document
    step: RouteStep
    assignment: StepAssignment
    principal: User
    grant: ProxyGrant


def delegated_tasks(session: Session, actor: User, *, now: datetime | None = None) -> list[DelegatedTask]:
    """Return the pending steps of the people `actor` acts for now that the windows cover."""
    now = now or utcnow()
    grants = proxy.active_for_proxy(session, actor.id, now=now)
    if not grants:
        return []
    by_principal = {g.principal_id: g for g in grants}
    rows = session.execute(
        select(Document, RouteStep, StepAssignment)
        .join(StepAssignment, StepAssignment.document_id == Document.id)
        .join(RouteStep, RouteStep.id == StepAssignment.step_id)
        .where(StepAssignment.user_id.in_(list(by_principal)), StepAssignment.state == "pending")
        .order_by(StepAssignment.created_at)
    ).all()
    out = []
    for doc, step, assignment in rows:
        grant = by_principal[assignment.user_id]
        if not proxy.covers(grant, kind=doc.kind, assigned_at=assignment.created_at):
            continue
        if step.kind == proxy.SIGN_STEP and not proxy.may_sign(grant, actor, doc.classification):
            continue
        out.append(DelegatedTask(doc, step, assignment, grant.principal, grant))
    return out


def actions_in_window(session: Session, grant: ProxyGrant) -> list[tuple[DocumentAction, Document]]:
    """Return what the proxy did for the principal during the window, oldest first."""
    return [(a, d) for a, d in session.execute(
        select(DocumentAction, Document).join(Document, Document.id == DocumentAction.document_id)
        .where(DocumentAction.actor_id == grant.proxy_id, DocumentAction.on_behalf_of_id == grant.principal_id,
               DocumentAction.at >= day_start(grant.starts_on), DocumentAction.at < proxy.effective_end(grant))
        .order_by(DocumentAction.id)
    ).all()]


ACTION_WORDS = {
    "approve": "同意", "sign": "签发", "instruct": "批办", "number": "编号", "distribute": "分发", "file": "归档",
    "return": "退回", "send_back": "退回来文", "add_signer": "加签", "transfer": "转办", "comment": "意见",
    "withdraw": "撤回",
}


def send_summary(session: Session, grant: ProxyGrant, *, now: datetime | None = None) -> int:
    """Tell the principal what the proxy did in the window (once); return the number of actions."""
    now = now or utcnow()
    done = actions_in_window(session, grant)
    if proxy.state_of(grant, now) != "cancelled":
        period = f"{grant.starts_on:%Y-%m-%d} 至 {grant.ends_on:%Y-%m-%d}"
        if done:
            lines = [f"{a.at.astimezone(LOCAL_TZ):%m-%d %H:%M} {ACTION_WORDS.get(a.action, a.action)}《{d.title}》"
                     + (f"：{a.opinion}" if a.opinion else "") for a, d in done]
            body = f"{grant.proxy.display_name} 在代理期间（{period}）代您办理了{len(done)}项：\n" + "\n".join(lines)
        else:
            body = f"{grant.proxy.display_name} 在代理期间（{period}）没有代您办理任何事项。"
        title = f"职位代理已结束：{grant.proxy.display_name} 代办{len(done)}项"
        notify.notify(session, grant.principal, "proxy", title, body=body, link="/proxy")
    grant.summary_at = now
    session.flush()
    return len(done)

