"""Settings of 督办, notifications and e-mail ([supervision] in the TOML files)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal


@dataclass(frozen=True)
class SupervisionSettings:
    # 紧急程度 -> working days from submission to the default deadline (normal 平件, urgent 加急,
    # very_urgent 特急). A deadline set by hand on the document wins.
    deadline_days: dict[str, int]
    # Open items whose deadline is this many working days away or fewer are listed as 即将到期.
    due_soon_days: int
    # The reminder (催办) that makes this many for one person on one item also goes to their head.
    escalate_after_reminders: int
    # A person is not chased about the same item twice within this many minutes.
    reminder_interval_minutes: int
    # The department whose people (with the 督办 permission) see every department's figures.
    office_department: str
    # Format check (GB/T 9704) at 核稿 and 签发: the rules that block the step; the others only warn.
    # Rule codes: number_form, title_kind, upward_signer, classified_marks, attachments, main_recipients,
    # signed_date, cc_duplicates (documents/format_check.py).
    format_blocking: tuple[str, ...]
    # Local hour (Asia/Shanghai) after which the daily overdue digest goes out, on working days.
    digest_hour: int
    # How often the worker looks for due digests, ended proxy windows and e-mail to send.
    interval_seconds: float
    # Start of links in e-mails, e.g. "https://oa.bureau.lan" (empty: links are left out).
    base_url: str
    # SMTP; empty host: no e-mail, in-app notifications only.
    smtp_host: str
    smtp_port: int
    smtp_security: Literal["none", "starttls", "ssl"]
    smtp_username: str
    smtp_password: str
    smtp_password_file: str
    smtp_sender: str
    smtp_timeout_seconds: float
    # A message that failed this many times is given up (the bell still shows it).
    smtp_max_attempts: int
    # Notifications older than this are not e-mailed any more (e.g. after a long SMTP outage).
    mail_max_age_hours: float

    @property
    def mail_enabled(self) -> bool:
        return bool(self.smtp_host)
