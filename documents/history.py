"""A document's history (办理记录): every action in order, each marked when it was later withdrawn.

Its own module because both the step engine (services) and the 处理单 (filing) read it.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from core.models.documents import Document, DocumentAction
from documents.states import Action


def timeline(session: Session, doc: Document) -> list[tuple[DocumentAction, bool]]:
    """Return every action on the document, oldest first, each with whether it was later withdrawn."""
    actions = list(session.scalars(
        select(DocumentAction).where(DocumentAction.document_id == doc.id).order_by(DocumentAction.id)
    ))
    withdrawn = {a.data.get("action_id") for a in actions if a.action == Action.WITHDRAW and a.data}
    return [(a, a.id in withdrawn) for a in actions]
