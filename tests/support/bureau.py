"""Acting as the demo bureau's people in tests: look people up, drive documents through their routes
(one write transaction per call, as a web request would), switch the signed-in account, read a page.

Used by the tests of documents, supervision, circulation, notifications and the offices; fixtures `docs`
and `flow` (loaded by pytest_plugins in tests/conftest.py).
"""

from __future__ import annotations

import io
import re
from datetime import date, datetime
from typing import Any

import pytest
from sqlalchemy import select

from config import Settings
from core import org
from core.db import Database
from core.models import User
from core.models.documents import (
    Document,
    RouteStep,
    StepAssignment,
)
from documents import drafting, engine
from documents.drafting import DraftFields
from documents.engine import StepInput
from tests.library.realfiles import docx_bytes
from tests.support import make_pdf


class People:
    """Look up demo users inside a session."""

    def __init__(self, session: Any) -> None:
        self.session = session

    def __getattr__(self, username: str) -> User:
        user = org.user_by_username(self.session, username)
        assert user is not None, username
        return user


class Docs:
    """Drive documents through the routing services, one write transaction per call."""

    def __init__(self, db: Database, settings: Settings) -> None:
        self.db, self.settings = db, settings

    def draft(self, username: str = "lz_staff", *, title: str = "关于开展春季造林绿化工作的通知",
              kind: str = "outgoing", **fields: Any) -> int:
        with self.db.session(write_lock=True) as s:
            actor = People(s).__getattr__(username)
            doc = drafting.create_document(s, actor, kind=kind, fields=DraftFields(
                title=title, main_recipients="各区县林业局", **fields))
            drafting.add_file(s, self.settings.files_dir, doc.id, actor, role="main", filename="正文.pdf",
                              data=make_pdf(title))
            return doc.id

    def submit(self, doc_id: int, username: str = "lz_staff") -> None:
        with self.db.session(write_lock=True) as s:
            doc = s.get(Document, doc_id)
            drafting.submit(s, self.settings, doc_id, People(s).__getattr__(username), expected_version=doc.version)

    def pending(self, doc_id: int) -> list[str]:
        with self.db.session() as s:
            return [u for (u,) in s.execute(
                select(User.username).join(StepAssignment, StepAssignment.user_id == User.id)
                .where(StepAssignment.document_id == doc_id, StepAssignment.state == "pending"))]

    def assignment(self, doc_id: int, username: str) -> int:
        with self.db.session() as s:
            user = People(s).__getattr__(username)
            aid = s.scalar(select(StepAssignment.id).where(
                StepAssignment.document_id == doc_id, StepAssignment.user_id == user.id,
                StepAssignment.state == "pending"))
            assert aid is not None, f"{username} holds nothing on {doc_id}; pending: {self.pending(doc_id)}"
            return aid

    def approve(self, doc_id: int, username: str, *, on_behalf_of: str | None = None, opinion: str = "同意",
                **params: Any) -> None:
        holder = on_behalf_of or username
        aid = self.assignment(doc_id, holder)
        with self.db.session(write_lock=True) as s:
            people = People(s)
            engine.complete(s, self.settings, doc_id, people.__getattr__(username), aid, opinion=opinion,
                              params=engine.StepInput(**params),
                              on_behalf_of=people.__getattr__(on_behalf_of) if on_behalf_of else None)

    def to_head(self, title: str = "关于开展春季造林绿化工作的通知", **fields: Any) -> int:
        """A submitted 发文 waiting for lz_head (处室审核)."""
        doc_id = self.draft(title=title, **fields)
        self.submit(doc_id)
        return doc_id


class Flow:
    """Acts on documents, each call in its own write transaction (as a web request would)."""

    def __init__(self, db: Database, settings: Settings) -> None:
        self.db = db
        self.settings = settings

    def user(self, session: Any, username: str):
        user = org.user_by_username(session, username)
        assert user is not None, username
        return user

    def draft(
        self, username: str = "lz_staff", *, kind: str = "outgoing", title: str = "关于开展春季造林绿化工作的通知",
        plan: dict | None = None, classification: int = 1, template: str | None = None, **fields: Any,
    ) -> int:
        with self.db.session(write_lock=True) as s:
            actor = self.user(s, username)
            doc = drafting.create_document(
                s, actor, kind=kind, template_code=template,
                fields=DraftFields(title=title, classification=classification, main_recipients="各区县林业局",
                                   **fields),
            )
            drafting.add_file(s, self.settings.files_dir, doc.id, actor, role="main", filename="正文.pdf",
                              data=make_pdf(title))
            if plan is not None:
                drafting.set_plan(s, doc.id, actor, plan, expected_version=doc.version)
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
            drafting.submit(s, self.settings, doc_id, self.user(s, username), expected_version=self.version(doc_id))

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

    def approve(self, doc_id: int, username: str, opinion: str = "同意", **params: Any):
        aid = self.assignment(doc_id, username)
        assert aid is not None, f"{username} has nothing to do on document {doc_id} (active: {self.active(doc_id)})"
        with self.db.session(write_lock=True) as s:
            return engine.complete(s, self.settings, doc_id, self.user(s, username), aid, opinion=opinion,
                                     params=StepInput(**params)).id

    def step_id(self, doc_id: int, name: str) -> int:
        with self.db.session() as s:
            doc = s.get(Document, doc_id)
            return s.scalar(select(RouteStep.id).where(RouteStep.document_id == doc_id,
                                                       RouteStep.route_round == doc.route_round,
                                                       RouteStep.name == name))


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
            engine.complete(s, settings, doc_id, user, aid, opinion="同意")
            done += 1
    return done


def to_sign(docs: Docs, **fields) -> int:
    doc_id = docs.to_head(**fields)
    docs.approve(doc_id, "lz_head")
    docs.approve(doc_id, "office_head")
    return doc_id


def at(day: date, hour: int = 10) -> datetime:
    """A moment on a local (Asia/Shanghai) day."""
    from core.calendar import LOCAL_TZ

    return datetime(day.year, day.month, day.day, hour, tzinfo=LOCAL_TZ)


def page(client, doc_id):
    resp = client.get(f"/documents/{doc_id}")
    assert resp.status_code == 200
    return resp.get_data(as_text=True)


def field(html, name):
    match = re.search(rf'name="{name}" value="([^"]*)"', html)
    assert match, name
    return match.group(1)


def switch(client, auth, username):
    auth.logout()
    assert auth.login(username).status_code == 302


@pytest.fixture
def docs(db: Database, settings: Settings) -> Docs:
    """Drive documents through the routing services as the demo bureau's people."""
    return Docs(db, settings)


@pytest.fixture
def flow(db: Database, settings: Settings) -> Flow:
    """Act on documents step by step, one write transaction per call."""
    return Flow(db, settings)


def numbered_document(flow, db, settings, *, word: bool) -> int:
    """A 发文 signed and numbered (its 套红 version asked for, not made), with a Word 正文 when `word`."""
    doc_id = flow.draft(title="关于开展古树名木普查的通知")
    if word:
        with db.session(write_lock=True) as s:
            drafting.add_file(s, settings.files_dir, doc_id, org.user_by_username(s, "lz_staff"), role="main",
                              filename="正文.docx", data=docx_bytes("各区县林业局：请于5月底前完成古树名木普查。"))
            s.commit()
    flow.submit(doc_id)
    for username in ("lz_head", "office_head", "director"):
        flow.approve(doc_id, username)
    flow.approve(doc_id, "clerk", copies=20)  # 编号: asks the worker, does not wait for it
    return doc_id


FULL_PLAN = {"departments": {"countersign": ["ZLC"]}}


def walk_to_number(flow, doc_id):
    flow.submit(doc_id)
    flow.approve(doc_id, "lz_head")
    flow.approve(doc_id, "zl_head", "会签同意")
    flow.approve(doc_id, "office_head", "核稿无误")
    flow.approve(doc_id, "director", "同意印发")


def submit_without_main_text(client, auth):
    """As lz_staff: a draft without its 正文 is submitted (refused), then an .exe is uploaded (refused).

    Returns (the page after 提交, the page after the upload)."""
    auth.login("lz_staff")
    token = auth.csrf("/documents/new?kind=outgoing")
    resp = client.post("/documents/new", data={"csrf_token": token, "kind": "outgoing", "title": "缺正文",
                                               "urgency": "normal", "classification": "1", "retention": "D30"})
    doc_id = int(resp.headers["Location"].rsplit("/", 1)[-1])
    html = page(client, doc_id)
    html = client.post(f"/documents/{doc_id}/submit", data={"csrf_token": auth.csrf("/documents/"),
                                                            "version": field(html, "version")},
                       follow_redirects=True).get_data(as_text=True)
    bad = client.post(f"/documents/{doc_id}/files", data={
        "csrf_token": auth.csrf("/documents/"), "version": field(html, "version"), "role": "main",
        "file": (io.BytesIO(b"MZ\x90\x00"), "setup.exe")}, content_type="multipart/form-data", follow_redirects=True)
    return html, bad.get_data(as_text=True)


def countersigned_by_two_units(db: Database, doc_id: int) -> None:
    """Plan the draft's 会签 with 造林处 (ZLC) and 野保处 (YBC), giving 野保处 a head (yb_head) to hold it."""
    with db.session(write_lock=True) as s:
        doc = s.get(Document, doc_id)
        assert doc is not None
        drafting.set_plan(s, doc_id, org.user_by_username(s, "lz_staff"),
                          {"departments": {"countersign": ["ZLC", "YBC"]}}, expected_version=doc.version)
        org.create_user(s, "yb_head", "野保处长", department_code="YBC", roles=["dept_head"],
                        password="Forest-Desk-2026")
