"""Helpers to drive documents through their routes as the demo bureau's people."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import select

from archive import org
from archive.db import Database
from archive.models.documents import Document, RouteStep, StepAssignment
from archive.workflow import services
from archive.workflow.services import DraftFields, StepInput
from config import Settings
from tests.support import make_pdf


class Flow:
    """Acts on documents, each call in its own write transaction (as a web request would)."""

    def __init__(self, db: Database, settings: Settings) -> None:
        self.db = db
        self.settings = settings

    def user(self, session: Any, username: str):  # type: ignore[no-untyped-def]
        user = org.user_by_username(session, username)
        assert user is not None, username
        return user

    def draft(
        self, username: str = "lz_staff", *, kind: str = "outgoing", title: str = "关于开展春季造林绿化工作的通知",
        plan: dict | None = None, classification: int = 1, template: str | None = None, **fields: Any,
    ) -> int:
        with self.db.session(write_lock=True) as s:
            actor = self.user(s, username)
            doc = services.create_document(
                s, actor, kind=kind, template_code=template,
                fields=DraftFields(title=title, classification=classification, main_recipients="各区县林业局",
                                   **fields),
            )
            services.add_file(s, self.settings.files_dir, doc.id, actor, role="main", filename="正文.pdf",
                              data=make_pdf(title))
            if plan is not None:
                services.set_plan(s, doc.id, actor, plan, expected_version=doc.version)
            return doc.id

    def doc(self, doc_id: int) -> Document:
        with self.db.session() as s:
            doc = s.get(Document, doc_id)
            assert doc is not None
            s.expunge(doc)
            return doc

    def version(self, doc_id: int) -> int:
        return self.doc(doc_id).version

    def submit(self, doc_id: int, username: str = "lz_staff") -> None:
        with self.db.session(write_lock=True) as s:
            services.submit(s, self.settings, doc_id, self.user(s, username), expected_version=self.version(doc_id))

    def assignment(self, doc_id: int, username: str) -> int | None:
        with self.db.session() as s:
            user = self.user(s, username)
            return s.scalar(select(StepAssignment.id).where(
                StepAssignment.document_id == doc_id, StepAssignment.user_id == user.id,
                StepAssignment.state == "pending"))

    def active(self, doc_id: int) -> str | None:
        """Name of the active step."""
        with self.db.session() as s:
            doc = s.get(Document, doc_id)
            step = s.scalar(select(RouteStep).where(RouteStep.document_id == doc_id,
                                                    RouteStep.route_round == doc.route_round,
                                                    RouteStep.state == "active"))
            return step.name if step else None

    def approve(self, doc_id: int, username: str, opinion: str = "同意", **params: Any):  # type: ignore[no-untyped-def]
        aid = self.assignment(doc_id, username)
        assert aid is not None, f"{username} has nothing to do on document {doc_id} (active: {self.active(doc_id)})"
        with self.db.session(write_lock=True) as s:
            return services.complete(s, self.settings, doc_id, self.user(s, username), aid, opinion=opinion,
                                     params=StepInput(**params)).id

    def step_id(self, doc_id: int, name: str) -> int:
        with self.db.session() as s:
            doc = s.get(Document, doc_id)
            return s.scalar(select(RouteStep.id).where(RouteStep.document_id == doc_id,
                                                       RouteStep.route_round == doc.route_round,
                                                       RouteStep.name == name))


@pytest.fixture
def flow(db: Database, settings: Settings) -> Flow:
    return Flow(db, settings)


def complete_all_of(db: Database, settings: Settings, doc_id: int, username: str, *, limit: int = 5) -> int:
    """Let `username` complete every task they hold on the document, step after step; return how many."""
    done = 0
    for _ in range(limit):
        with db.session(write_lock=True) as s:
            user = org.user_by_username(s, username)
            aid = s.scalar(select(StepAssignment.id).where(StepAssignment.document_id == doc_id,
                                                           StepAssignment.user_id == user.id,
                                                           StepAssignment.state == "pending"))
            if aid is None:
                return done
            services.complete(s, settings, doc_id, user, aid, opinion="同意")
            done += 1
    return done
