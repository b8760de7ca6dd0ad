"""The lists: 待办, 已办, 我发起的, 收件 (received), 待阅 counts, and the people of each step.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session
from sqlalchemy.sql.elements import False_

from core import org
from core.clearance import cleared_clause
from core.models import Department, User
from core.models.documents import (
    CIRCULATED_RECEIPT,
    Document,
    DocumentAction,
    ReadReceipt,
    RouteStep,
    StepAssignment,
)
from documents import hooks
from documents.history import timeline  # noqa: F401  (part of this module's API)
from documents.states import (
    COMPLETING_ACTIONS,
    Action,
    AssignmentState,
)


@dataclass
class ListFilter:
    kind: str | None = None
    state: str | None = None
    q: str | None = None
    page: int = 1
    per_page: int = 30


@dataclass
class Listing:
    rows: list[Any]
    total: int
    page: int
    per_page: int

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.per_page))


def _filtered(stmt: Any, flt: ListFilter) -> Any:
    if flt.kind:
        stmt = stmt.where(Document.kind == flt.kind)
    if flt.state:
        stmt = stmt.where(Document.state == flt.state)
    if flt.q and flt.q.strip():
        needle = "%" + flt.q.strip().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        stmt = stmt.where(or_(Document.title.like(needle, escape="\\"), Document.doc_number.like(needle, escape="\\")))
    return stmt


def _page(session: Session, stmt: Any, count_stmt: Any, flt: ListFilter) -> Listing:
    page = max(1, flt.page)
    total = int(session.scalar(count_stmt) or 0)
    rows = session.execute(stmt.limit(flt.per_page).offset((page - 1) * flt.per_page)).all()
    return Listing(rows=list(rows), total=total, page=page, per_page=flt.per_page)


def inbox(session: Session, user: User, flt: ListFilter | None = None, *, rows: bool = True) -> Listing:
    """待办: the steps waiting for the user, most urgent and oldest first; rows are (document, step, assignment)."""
    flt = flt or ListFilter()
    # 职位代理: the principal's tasks an active proxy window covers are listed too.
    delegated = hooks.delegated_clause(session, user)
    plain = isinstance(delegated, False_)
    mine = StepAssignment.user_id == user.id if plain else or_(StepAssignment.user_id == user.id, delegated)
    pending = StepAssignment.state == AssignmentState.PENDING
    if plain and not (flt.kind or flt.state or flt.q):
        count = select(func.count(StepAssignment.id)).where(mine, pending)  # the index alone answers
    else:
        count = _filtered(
            select(func.count(StepAssignment.id)).join(Document, Document.id == StepAssignment.document_id)
            .join(RouteStep, RouteStep.id == StepAssignment.step_id).where(mine, pending), flt)
    if not rows:
        return Listing(rows=[], total=int(session.scalar(count) or 0), page=1, per_page=flt.per_page)
    base = _filtered(
        select(Document, RouteStep, StepAssignment)
        .join(StepAssignment, StepAssignment.document_id == Document.id)
        .join(RouteStep, RouteStep.id == StepAssignment.step_id)
        .where(mine, pending), flt)
    order = (StepAssignment.priority, StepAssignment.created_at, StepAssignment.id)
    return _page(session, base.order_by(*order), count, flt)


def handled(session: Session, user: User, flt: ListFilter | None = None) -> Listing:
    """已办: documents the user acted on (other than drafting them), latest first; rows are (document,)."""
    flt = flt or ListFilter()
    acted = (
        select(DocumentAction.document_id)
        .where(or_(DocumentAction.actor_id == user.id, DocumentAction.on_behalf_of_id == user.id),
               DocumentAction.action.in_([str(a) for a in COMPLETING_ACTIONS | {Action.RETURN, Action.SEND_BACK,
                                                                               Action.TRANSFER}]))
    )
    stmt = _filtered(select(Document).where(Document.id.in_(acted)), flt)
    count = _filtered(select(func.count(Document.id)).where(Document.id.in_(acted)), flt)
    return _page(session, stmt.order_by(Document.updated_at.desc(), Document.id.desc()), count, flt)


def mine(session: Session, user: User, flt: ListFilter | None = None) -> Listing:
    """我发起的: documents the user drafted, newest first; rows are (document,)."""
    flt = flt or ListFilter()
    own = (Document.drafter_id == user.id, cleared_clause(user, Document.classification))  # 密级 raised since: hidden
    stmt = _filtered(select(Document).where(*own), flt)
    count = _filtered(select(func.count(Document.id)).where(*own), flt)
    return _page(session, stmt.order_by(Document.created_at.desc(), Document.id.desc()), count, flt)


def received(session: Session, user: User, *, unread_only: bool = False,
             limit: int = 200) -> list[tuple[Document, ReadReceipt]]:
    """收件: every document distributed (分发) or passed (传阅) to the user, 待阅 first then newest.

    Read ones stay (已阅): nothing a reader received disappears after one opening.
    """
    stmt = (select(Document, ReadReceipt).join(ReadReceipt, ReadReceipt.document_id == Document.id)
            .where(ReadReceipt.user_id == user.id, cleared_clause(user, Document.classification),
                   ReadReceipt.source != CIRCULATED_RECEIPT))  # 传阅 are listed (and counted) by their circulation
    if unread_only:
        stmt = stmt.where(ReadReceipt.read_at.is_(None))
    stmt = stmt.order_by(ReadReceipt.read_at.is_not(None), ReadReceipt.created_at.desc()).limit(limit)
    return [(d, r) for d, r in session.execute(stmt).all()]


def to_read(session: Session, user: User) -> list[tuple[Document, ReadReceipt]]:
    """待阅: documents distributed to the user and not read yet."""
    rows = session.execute(
        select(Document, ReadReceipt).join(ReadReceipt, ReadReceipt.document_id == Document.id)
        .where(ReadReceipt.user_id == user.id, ReadReceipt.read_at.is_(None),
               cleared_clause(user, Document.classification))
        .order_by(ReadReceipt.created_at.desc()).limit(100)
    ).all()
    return [(d, r) for d, r in rows]


def counts(session: Session, user: User, *, inbox_total: int | None = None) -> dict[str, int]:
    """Return the numbers shown on the list tabs (pass the 待办 total when it is already known)."""
    # 已办 is not counted here: on a busy account it means reading every action the person took; its own
    # page shows its total.
    return {
        "inbox": inbox(session, user, rows=False).total if inbox_total is None else inbox_total,
        "mine": int(session.scalar(select(func.count(Document.id)).where(Document.drafter_id == user.id)) or 0),
        "to_read": int(session.scalar(select(func.count(ReadReceipt.id)).where(
            ReadReceipt.user_id == user.id, ReadReceipt.read_at.is_(None),
            ReadReceipt.source != CIRCULATED_RECEIPT)) or 0),
    }


def step_people(session: Session, steps: list[RouteStep]) -> dict[int, list[StepAssignment]]:
    """Return, per step id, the assignments of its latest round (for the route progress)."""
    if not steps:
        return {}
    rounds = {s.id: s.round for s in steps}
    out: dict[int, list[StepAssignment]] = {s.id: [] for s in steps}
    for a in session.scalars(select(StepAssignment).where(StepAssignment.step_id.in_(list(rounds)))
                             .order_by(StepAssignment.id)):
        if a.round == rounds[a.step_id]:
            out[a.step_id].append(a)
    return out


def departments_for_choice(session: Session) -> list[Department]:
    """Return the departments a drafter or leader may pick (countersign, 主办/协办, distribution)."""
    return org.departments(session)
