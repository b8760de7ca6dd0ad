"""What a proxy sees and did: the principals' 待办 a proxy may handle, and the summary of a window."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from core.calendar import LOCAL_TZ, day_start
from core.clearance import cleared
from core.messages import msg
from core.models import User
from core.models.base import utcnow
from core.models.documents import Document, DocumentAction, RouteStep, StepAssignment
from core.models.supervision import ProxyGrant
from documents import proxy
from notifications import notify


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
        if not cleared(actor, doc.classification):  # the principal's task stays theirs; its title is not shown
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
    "approve": msg("同意"),
    "sign": msg("签发"),
    "instruct": msg("批办"),
    "number": msg("编号"),
    "distribute": msg("分发"),
    "file": msg("归档"),
    "return": msg("退回"),
    "send_back": msg("退回来文"),
    "add_signer": msg("加签"),
    "transfer": msg("转办"),
    "comment": msg("意见"),
    "withdraw": msg("撤回"),
}


def send_summary(session: Session, grant: ProxyGrant, *, now: datetime | None = None) -> int:
    """Tell the principal what the proxy did in the window (once); return the number of actions."""
    now = now or utcnow()
    done = actions_in_window(session, grant)
    if proxy.state_of(grant, now) != "cancelled":
        period = f"{grant.starts_on:%Y-%m-%d} 至 {grant.ends_on:%Y-%m-%d}"
        if done:
            lines = [f"{a.at.astimezone(LOCAL_TZ):%m-%d %H:%M} {ACTION_WORDS.get(a.action, a.action)}《{d.title}》"
                     + (msg("：%(opinion)s", opinion=a.opinion) if a.opinion else "") for a, d in done]
            body = msg(
                "%(display_name)s 在代理期间（%(period)s）代您办理了%(n_done)s项：\n",
                display_name=grant.proxy.display_name, period=period, n_done=len(done),
            ) + "\n".join(lines)
        else:
            body = msg(
                "%(display_name)s 在代理期间（%(period)s）没有代您办理任何事项。",
                display_name=grant.proxy.display_name, period=period,
            )
        title = msg(
            "职位代理已结束：%(display_name)s 代办%(n_done)s项",
            display_name=grant.proxy.display_name, n_done=len(done),
        )
        notify.notify(session, grant.principal, "proxy", title, body=body, link="/proxy")
    grant.summary_at = now
    session.flush()
    return len(done)

