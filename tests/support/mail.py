"""A real SMTP server (aiosmtpd) on a free 127.0.0.1 port for the tests of mail: fixtures
`smtp_server` (what it received) and `mail_settings` (the test's settings pointing at it)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from email.message import EmailMessage

import pytest

from config import Settings
from tests.support import free_port


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

    async def handle_DATA(self, server, session, envelope):
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
    from tests.support.app import make_settings

    return make_settings(
        settings.data_dir, EOFFICE_DATABASE_URL=settings.database_url,
        EOFFICE_SUPERVISION_SMTP_HOST=smtp_server.host, EOFFICE_SUPERVISION_SMTP_PORT=str(smtp_server.port),
        EOFFICE_SUPERVISION_SMTP_SENDER="oa@bureau.lan", EOFFICE_SUPERVISION_BASE_URL="https://oa.bureau.lan",
    )
