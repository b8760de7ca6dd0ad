"""Who may see a document (visibility): the people on its route, its department's readers, the
recipients of 分发 and 传阅, within their clearance (core/clearance.py).

Errors: NotFound (missing and not visible look the same on purpose).
"""

from __future__ import annotations

from sqlalchemy import exists, or_, select
from sqlalchemy.orm import Session

from core.clearance import cleared
from core.messages import msg
from core.models import User
from core.models.documents import (
    Document,
    DocumentAction,
    ReadReceipt,
    StepAssignment,
)
from core.permissions import Role
from documents.errors import NotFound
from documents.history import timeline  # noqa: F401  (part of this module's API)
from documents.states import (
    State,
    is_classified,
)


def on_route(session: Session, doc: Document, user: User) -> bool:
    """Return True for the drafter and everyone assigned, acting or on the distribution of the document."""
    if doc.drafter_id == user.id:
        return True
    checks = [
        exists().where(StepAssignment.document_id == doc.id, StepAssignment.user_id == user.id),
        exists().where(
            DocumentAction.document_id == doc.id,
            or_(DocumentAction.actor_id == user.id, DocumentAction.on_behalf_of_id == user.id),
        ),
        exists().where(ReadReceipt.document_id == doc.id, ReadReceipt.user_id == user.id),
    ]
    return bool(session.scalar(select(or_(*checks))))


def can_view(session: Session, doc: Document, user: User) -> bool:
    """Return True when the user may see the document (drafter, department heads, route, leaders, archivists)."""
    if not user.active:
        return False
    if doc.state == State.CANCELLED:
        return doc.drafter_id == user.id
    roles = user.role_codes
    by_role = (
        Role.LEADER in roles
        or (Role.DEPT_HEAD in roles and user.department_id == doc.department_id)
        or (Role.ARCHIVIST in roles and doc.state == State.FILED)
    )
    if is_classified(doc.classification):
        # 秘密 and above: only people on the route and cleared roles, and only with enough clearance.
        return cleared(user, doc.classification) and (by_role or on_route(session, doc, user))
    return by_role or on_route(session, doc, user)


def get_document(session: Session, document_id: int, user: User) -> Document:
    """Return the document when the user may see it; otherwise raise NotFound (same for absent ones)."""
    doc = session.get(Document, document_id)
    if doc is None or not can_view(session, doc, user):
        raise NotFound(msg("文件不存在，或您没有查看权限。"))
    return doc
