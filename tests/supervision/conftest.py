"""Helpers for supervision tests: people of the demo bureau, documents driven through their routes,
and a real SMTP server (aiosmtpd) on a free local port."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, datetime
from email import message_from_bytes, policy
from email.message import EmailMessage
from typing import Any

import pytest
from sqlalchemy import select

from archive import org
from archive.db import Database
from archive.models import User
from archive.models.documents import Document, StepAssignment
from archive.workflow import services
from archive.workflow.services import DraftFields
from config import Settings
from tests.conftest import make_settings
from tests.support import (
    free_port,
    make_pdf,
)


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
            doc = services.create_document(s, actor, kind=kind, fields=DraftFields(
                title=title, main_recipients="各区县林业局", **fields))
            services.add_file(s, self.settings.files_dir, doc.id, actor, role="main", filename="正文.pdf",
                              data=make_pdf(title))
            return doc.id

    def submit(self, doc_id: int, username: str = "lz_staff") -> None:
        with self.db.session(write_lock=True) as s:
            doc = s.get(Document, doc_id)
            services.submit(s, self.settings, doc_id, People(s).__getattr__(username), expected_version=doc.version)

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
            services.complete(s, self.settings, doc_id, people.__getattr__(username), aid, opinion=opinion,
                              params=services.StepInput(**params),
                              on_behalf_of=people.__getattr__(on_behalf_of) if on_behalf_of else None)

    def to_head(self, title: str = "关于开展春季造林绿化工作的通知", **fields: Any) -> int:
        """A submitted 发文 waiting for lz_head (处室审核)."""
        doc_id = self.draft(title=title, **fields)
        self.submit(doc_id)
        return doc_id


@pytest.fixture
def docs(db: Database, settings: Settings) -> Docs:
    return Docs(db, settings)




@dataclass
class Mailbox:
    """What the test SMTP server received."""

    host: str
    port: int
    messages: list[tuple[str, list[str], EmailMessage]] = field(default_factory=list)

    def to(self, address: str) -> list[EmailMessage]:
        return [m for _f, rcpt, m in self.messages if address in rcpt]


class _Handler:
    def __init__(self, box: Mailbox) -> None:
        self.box = box

    async def handle_DATA(self, server, session, envelope):  # type: ignore[no-untyped-def]
        parsed = message_from_bytes(envelope.content, policy=policy.default)
        self.box.messages.append((envelope.mail_from, list(envelope.rcpt_tos), parsed))
        return "250 Message accepted for delivery"


@pytest.fixture
def smtp_server() -> Iterator[Mailbox]:
    """A real SMTP server (aiosmtpd) on 127.0.0.1 and a free port, stopped after the test."""
    from aiosmtpd.controller import Controller

    box = Mailbox("127.0.0.1", free_port())
    controller = Controller(_Handler(box), hostname=box.host, port=box.port)
    controller.start()
    try:
        yield box
    finally:
        controller.stop()


@pytest.fixture
def mail_settings(settings: Settings, smtp_server: Mailbox) -> Settings:
    """The test's settings with SMTP pointing at the local test server."""
    return make_settings(
        settings.data_dir, EOFFICE_DATABASE_URL=settings.database_url,
        EOFFICE_SUPERVISION_SMTP_HOST=smtp_server.host, EOFFICE_SUPERVISION_SMTP_PORT=str(smtp_server.port),
        EOFFICE_SUPERVISION_SMTP_SENDER="oa@bureau.lan", EOFFICE_SUPERVISION_BASE_URL="https://oa.bureau.lan",
    )


def at(day: date, hour: int = 10) -> datetime:
    """A moment on a local (Asia/Shanghai) day."""
    from archive.supervision.calendar import LOCAL_TZ

    return datetime(day.year, day.month, day.day, hour, tzinfo=LOCAL_TZ)
