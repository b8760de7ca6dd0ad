"""督办 and 传阅: the working-day calendar, 职位代理 windows, notifications, 催办 records, circulation.

Documents and archive files live on other migration branches, so `document_id` / `archive_file_id`
here are plain indexed integers, not foreign keys (a branch may be applied before the other).
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, Boolean, Date, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from core.models.base import Base, UTCDateTime, utcnow
from core.models.org import Department, User


class CalendarYear(Base):
    """A year whose holidays and 调休 days are known; `provisional` until checked against the State Council."""

    __tablename__ = "calendar_year"

    year: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    source: Mapped[str] = mapped_column(String(200), default="")
    provisional: Mapped[bool] = mapped_column(Boolean, default=False)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))


class CalendarDay(Base):
    """An exception to Monday-Friday: a holiday on a weekday, or a 调休 working weekend day."""

    __tablename__ = "calendar_day"
    __table_args__ = (Index("ix_calendar_day_year", "year"),)

    day: Mapped[date] = mapped_column(Date, primary_key=True)
    year: Mapped[int] = mapped_column(Integer)
    workday: Mapped[bool] = mapped_column(Boolean)
    name: Mapped[str] = mapped_column(String(50), default="")


class ProxyGrant(Base):
    """职位代理: `proxy` acts for `principal` from `starts_on` to `ends_on` (local dates, inclusive)."""

    __tablename__ = "proxy_grant"
    __table_args__ = (
        Index("ix_proxy_grant_principal_id_starts_on", "principal_id", "starts_on"),
        Index("ix_proxy_grant_proxy_id_starts_on", "proxy_id", "starts_on"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    principal_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"))
    proxy_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"))
    starts_on: Mapped[date] = mapped_column(Date)
    ends_on: Mapped[date] = mapped_column(Date)
    # Document kinds covered ("outgoing", "incoming", "request"); empty: all.
    kinds: Mapped[list[Any]] = mapped_column(JSON, default=list)
    allow_sign: Mapped[bool] = mapped_column(Boolean, default=False)
    # Also hand over the 待办 that were waiting before the window began.
    move_existing: Mapped[bool] = mapped_column(Boolean, default=False)
    reason: Mapped[str] = mapped_column(Text, default="")
    created_by_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    cancelled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    cancelled_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    # When the principal was sent the summary of what the proxy did (once, after the window).
    summary_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    principal: Mapped[User] = relationship(foreign_keys=[principal_id], lazy="joined")
    proxy: Mapped[User] = relationship(foreign_keys=[proxy_id], lazy="joined")


class Notification(Base):
    """One in-app message (bell), with its e-mail delivery state when SMTP is configured."""

    __tablename__ = "notification"
    __table_args__ = (
        Index("ix_notification_user_id_read_at", "user_id", "read_at"),
        Index("ix_notification_email_state", "email_state"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(16))
    title: Mapped[str] = mapped_column(String(300))
    body: Mapped[str] = mapped_column(Text, default="")
    # The same as catalog messages (core.messages.to_data), so the bell shows them in the reader's language.
    title_data: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    body_data: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    link: Mapped[str] = mapped_column(String(500), default="")
    document_id: Mapped[int | None] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    read_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # none (no address or SMTP off) | pending | sent | failed
    email_state: Mapped[str] = mapped_column(String(8), default="none")
    email_attempts: Mapped[int] = mapped_column(Integer, default=0)
    email_error: Mapped[str | None] = mapped_column(Text)
    emailed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class Reminder(Base):
    """催办: who chased whom about what, and when; `escalated_to` when it went to the head as well."""

    __tablename__ = "reminder"
    __table_args__ = (
        Index("ix_reminder_document_id_target_id", "document_id", "target_id"),
        Index("ix_reminder_circulation_id_target_id", "circulation_id", "target_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    document_id: Mapped[int | None] = mapped_column(Integer)
    circulation_id: Mapped[int | None] = mapped_column(Integer)
    target_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"))
    # None: the system (daily overdue run).
    by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    note: Mapped[str] = mapped_column(Text, default="")
    escalated_to_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))

    target: Mapped[User] = relationship(foreign_keys=[target_id], lazy="joined")
    by: Mapped[User | None] = relationship(foreign_keys=[by_id], lazy="joined")
    escalated_to: Mapped[User | None] = relationship(foreign_keys=[escalated_to_id])


class Circulation(Base):
    """传阅: a document or an archive file sent to people for reading."""

    __tablename__ = "circulation"
    __table_args__ = (
        Index("ix_circulation_sender_id_created_at", "sender_id", "created_at"),
        Index("ix_circulation_document_id", "document_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    document_id: Mapped[int | None] = mapped_column(Integer)
    archive_file_id: Mapped[int | None] = mapped_column(Integer)
    title: Mapped[str] = mapped_column(String(300))
    classification: Mapped[int] = mapped_column(Integer, default=0)
    note: Mapped[str] = mapped_column(Text, default="")
    sender_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"))
    # Recipients may pass it on to colleagues of their own department.
    allow_pass_on: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    sender: Mapped[User] = relationship(lazy="joined")
    receipts: Mapped[list[CirculationReceipt]] = relationship(
        back_populates="circulation", order_by="CirculationReceipt.id"
    )


class CirculationReceipt(Base):
    """待阅 / 已阅 of one recipient; recalled receipts leave the recipient's list but stay on record."""

    __tablename__ = "circulation_receipt"
    __table_args__ = (
        UniqueConstraint("circulation_id", "user_id", name="uq_circulation_receipt_circulation_user"),
        Index("ix_circulation_receipt_user_id_read_at", "user_id", "read_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    circulation_id: Mapped[int] = mapped_column(ForeignKey("circulation.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"))
    added_by_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"))
    # The department named when the recipient came in as part of a whole department.
    via_department_id: Mapped[int | None] = mapped_column(ForeignKey("department.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    read_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    recalled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    recalled_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))

    circulation: Mapped[Circulation] = relationship(back_populates="receipts")
    user: Mapped[User] = relationship(foreign_keys=[user_id], lazy="joined")
    added_by: Mapped[User] = relationship(foreign_keys=[added_by_id])
    via_department: Mapped[Department | None] = relationship()


class JobRun(Base):
    """A once-a-day job that ran (daily overdue digest): the primary key makes it run exactly once."""

    __tablename__ = "supervision_job_run"

    name: Mapped[str] = mapped_column(String(32), primary_key=True)
    day: Mapped[date] = mapped_column(Date, primary_key=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    count: Mapped[int] = mapped_column(Integer, default=0)
