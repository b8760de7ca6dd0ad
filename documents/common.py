"""What the document modules share: the write lock and version check of a document, the action record,
its current files and route steps, and the state-table check of an action.

Errors: ConflictError (someone acted first), WorkflowError (an action the state does not allow).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import set_committed_value

from core.db import begin_write as _begin_write
from core.db import changed_rows
from core.messages import msg
from core.models import User
from core.models.base import utcnow
from core.models.documents import (
    Document,
    DocumentAction,
    DocumentFile,
    RouteStep,
    StepAssignment,
)
from documents import hooks
from documents.errors import ConflictError, NotFound, WorkflowError
from documents.history import timeline  # noqa: F401  (part of this module's API)
from documents.states import (
    Action,
    AssignmentState,
    StepState,
    Who,
    transition,
)

MAX_TITLE = 300


# 待办 order: 特急 first, then 加急, then 平件 (StepAssignment.priority).
PRIORITY = {"very_urgent": 0, "urgent": 1, "normal": 2}


def begin_write(session: Session) -> None:
    """Start a write transaction holding the SQLite write lock (see core.db.begin_write)."""
    _begin_write(session)


def lock(session: Session, document_id: int) -> Document:
    doc = session.scalar(
        select(Document)
        .where(Document.id == document_id)
        .with_for_update(of=Document)  # PostgreSQL refuses FOR UPDATE on the outer-joined relations
        .execution_options(populate_existing=True)
    )
    if doc is None:
        raise NotFound(msg("文件不存在，或您没有查看权限。"))
    return doc


def bump(session: Session, doc: Document, expected_version: int | None) -> None:
    seen = doc.version if expected_version is None else expected_version
    result = session.execute(
        update(Document)
        .where(Document.id == doc.id, Document.version == seen)
        .values(version=Document.version + 1, updated_at=utcnow())
        .execution_options(synchronize_session=False)
    )
    if changed_rows(result) != 1:
        raise ConflictError(ALREADY_DONE)
    set_committed_value(doc, "version", seen + 1)


# The answer to a form posted again (or acted on by someone else since the page was shown).
ALREADY_DONE = msg("已处理：该文件刚刚已被他人处理（或此页面已提交过），本次操作未重复执行。请刷新页面查看最新状态。")


def record_action(
    session: Session, doc: Document, action: Action, actor: User, *, step: RouteStep | None = None,
    assignment: StepAssignment | None = None, opinion: str | None = None, reasons: list[str] | None = None,
    data: dict[str, Any] | None = None, on_behalf_of: User | None = None,
) -> DocumentAction:
    record = DocumentAction(
        document_id=doc.id, step_id=step.id if step else None, assignment_id=assignment.id if assignment else None,
        step_name=step.name if step else None, action=action, actor_id=actor.id,
        on_behalf_of_id=on_behalf_of.id if on_behalf_of else None, opinion=opinion, reasons=reasons, data=data,
        at=utcnow(),
    )
    session.add(record)
    session.flush()
    hooks.clear_stale_task_notices(session, doc)  # a task done, withdrawn or moved: its notice is no longer news
    return record


def files_of(session: Session, doc: Document, *, current_only: bool = True) -> list[DocumentFile]:
    """Return the document's files (正文 first), optionally with every earlier version."""
    stmt = select(DocumentFile).where(DocumentFile.document_id == doc.id)
    if current_only:
        stmt = stmt.where(DocumentFile.current.is_(True))
    return list(session.scalars(stmt.order_by(DocumentFile.role != "main", DocumentFile.slot, DocumentFile.version_no)))


def steps_of(session: Session, doc: Document) -> list[RouteStep]:
    """Return the steps of the document's current route, in order."""
    return list(session.scalars(
        select(RouteStep)
        .where(RouteStep.document_id == doc.id, RouteStep.route_round == doc.route_round)
        .order_by(RouteStep.position)
    ))


def active_step(session: Session, doc: Document) -> RouteStep | None:
    return session.scalar(
        select(RouteStep).where(
            RouteStep.document_id == doc.id, RouteStep.route_round == doc.route_round,
            RouteStep.state == StepState.ACTIVE,
        )
    )


def my_assignment(session: Session, doc: Document, user: User) -> StepAssignment | None:
    step = active_step(session, doc)
    if step is None:
        return None
    return session.scalar(
        select(StepAssignment).where(
            StepAssignment.step_id == step.id, StepAssignment.user_id == user.id,
            StepAssignment.state == AssignmentState.PENDING,
        )
    )


def require(session: Session, doc: Document, action: Action, actor: User) -> None:
    rule = transition(doc.state, action)
    if rule is None:
        raise ConflictError(msg("文件当前状态下不能进行此操作（可能已被他人处理）。请刷新页面查看最新状态。"))
    if rule.who == Who.DRAFTER and actor.id != doc.drafter_id:
        raise WorkflowError(msg("只有拟稿人可以进行此操作。"))
