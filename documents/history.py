"""A document's history (办理记录): every action in order, each marked when it was later withdrawn; the
versions of its 正文 and which of them a person has not seen since they last acted.

Its own module because the step engine, the document page and the 处理单 (filing) read it.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from core.models import User
from core.models.documents import Document, DocumentAction, DocumentFile
from documents.states import Action


def timeline(session: Session, doc: Document) -> list[tuple[DocumentAction, bool]]:
    """Return every action on the document, oldest first, each with whether it was later withdrawn."""
    actions = list(session.scalars(
        select(DocumentAction).where(DocumentAction.document_id == doc.id).order_by(DocumentAction.id)
    ))
    withdrawn = {a.data.get("action_id") for a in actions if a.action == Action.WITHDRAW and a.data}
    return [(a, a.id in withdrawn) for a in actions]


def main_versions(session: Session, doc: Document) -> list[DocumentFile]:
    """Every version of the 正文, oldest first."""
    return list(session.scalars(select(DocumentFile).where(DocumentFile.document_id == doc.id,
                                                           DocumentFile.role == "main")
                                .order_by(DocumentFile.version_no)))


def changed_since_last_action(session: Session, doc: Document, user: User) -> tuple[int, int] | None:
    """(old, new) 正文 file ids when the 正文 changed since `user` last acted on the document (what 核稿 and
    the signer are shown: the changes of a returned draft, issue 13 §5), else None."""
    last = session.scalar(select(DocumentAction.at).where(DocumentAction.document_id == doc.id,
                                                          DocumentAction.actor_id == user.id)
                          .order_by(DocumentAction.id.desc()).limit(1))
    versions = main_versions(session, doc)
    if last is None or len(versions) < 2:
        return None
    seen = [v for v in versions if v.uploaded_at <= last]
    if not seen or seen[-1].id == versions[-1].id:
        return None
    return seen[-1].id, versions[-1].id
