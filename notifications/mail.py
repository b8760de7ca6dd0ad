"""E-mail through the bureau's SMTP server: the only module that speaks SMTP.

`send_pending` is the worker's job: it sends the notifications marked `pending` over one connection,
marks each `sent`, or counts a failure and gives up after `smtp_max_attempts`.
"""

from __future__ import annotations

import contextlib
import logging
import smtplib
import ssl
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import formataddr, make_msgid
from pathlib import Path

from config import Settings
from config.supervision import SupervisionSettings
from core.db import Database
from core.models.base import utcnow
from core.models.supervision import Notification
from notifications import notify

log = logging.getLogger("eoffice.mail")


@dataclass
class MailResult:
    sent: int = 0
    failed: int = 0
    error: str | None = None


def _password(cfg: SupervisionSettings) -> str:
    if cfg.smtp_password_file:
        return Path(cfg.smtp_password_file).read_text(encoding="utf-8").strip()
    return cfg.smtp_password


def connect(cfg: SupervisionSettings) -> smtplib.SMTP:
    """Open an authenticated SMTP connection as configured (STARTTLS / SSL with certificate checks)."""
    context = ssl.create_default_context()
    if cfg.smtp_security == "ssl":
        smtp: smtplib.SMTP = smtplib.SMTP_SSL(cfg.smtp_host, cfg.smtp_port, timeout=cfg.smtp_timeout_seconds,
                                              context=context)
    else:
        smtp = smtplib.SMTP(cfg.smtp_host, cfg.smtp_port, timeout=cfg.smtp_timeout_seconds)
        if cfg.smtp_security == "starttls":
            smtp.starttls(context=context)
    if cfg.smtp_username:
        smtp.login(cfg.smtp_username, _password(cfg))
    return smtp


def message(settings: Settings, *, to: str, name: str, title: str, body: str, link: str) -> EmailMessage:
    """Build the e-mail of one notification (plain text, UTF-8)."""
    cfg = settings.supervision
    mail = EmailMessage()
    mail["From"] = formataddr((settings.organ_name, cfg.smtp_sender))
    mail["To"] = formataddr((name, to))
    mail["Subject"] = f"【{settings.organ_name}】{title}"
    mail["Message-ID"] = make_msgid(domain=cfg.smtp_sender.rpartition("@")[2] or "eoffice")
    text = f"{name}：\n\n{body or title}\n"
    if link and cfg.base_url:
        text += f"\n{cfg.base_url.rstrip('/')}{link}\n"
    text += f"\n—— {settings.organ_name} 办公内网（此邮件由系统发送，请勿回复）\n"
    mail.set_content(text)
    return mail


def send_pending(settings: Settings, db: Database, *, limit: int = 100) -> MailResult:
    """Send the pending notification e-mails; return how many were sent and failed."""
    cfg = settings.supervision
    result = MailResult()
    if not cfg.mail_enabled:
        return result
    with db.session() as session:
        if not notify.has_pending_mail(session):
            return result
    with db.session(write_lock=True) as session:
        batch = notify.pending_mail(session, max_age_hours=cfg.mail_max_age_hours, limit=limit)
        if not batch:
            return result
        try:
            smtp = connect(cfg)
        except (OSError, smtplib.SMTPException) as exc:
            result.error = f"{type(exc).__name__}: {exc}"
            for note, _user in batch:
                _failed(note, result.error, cfg.smtp_max_attempts)
            result.failed = len(batch)
            log.warning("smtp connect failed host=%s error=%s", cfg.smtp_host, result.error)
            return result
        try:
            for note, user in batch:
                if not user.email:
                    note.email_state = "none"
                    continue
                mail = message(settings, to=user.email, name=user.display_name, title=note.title,
                              body=note.body, link=note.link)
                try:
                    smtp.send_message(mail)
                except (OSError, smtplib.SMTPException) as exc:
                    _failed(note, f"{type(exc).__name__}: {exc}", cfg.smtp_max_attempts)
                    result.failed += 1
                    if isinstance(exc, smtplib.SMTPServerDisconnected | OSError):
                        break
                else:
                    note.email_state, note.emailed_at, note.email_error = "sent", utcnow(), None
                    note.email_attempts += 1
                    result.sent += 1
        finally:
            with contextlib.suppress(OSError, smtplib.SMTPException):
                smtp.quit()
    if result.sent or result.failed:
        log.info("mail sent=%d failed=%d", result.sent, result.failed)
    return result


def _failed(note: Notification, error: str, max_attempts: int) -> None:
    note.email_attempts += 1
    note.email_error = error[:1000]
    if note.email_attempts >= max_attempts:
        note.email_state = "failed"
