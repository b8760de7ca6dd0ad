"""通知公告 and 公示: notices to every desk, their read receipts and attachments, and 公示 objections."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, Boolean, Date, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from core.models.base import Base, UTCDateTime, utcnow
from core.models.org import Department, User


class Notice(Base):
    """A 通知公告 (kind "notice") or a 公示 (kind "publicity", with a period on the working-day calendar).

    `audience` is {"all": bool, "departments": [codes], "roles": [codes]}. A notice shows from
    `publish_at` until `expire_at` (None: no end). A 公示 takes objections from `period_start` to
    `period_end` (local dates, inclusive), then the office closes it with an `outcome`.
    """

    __tablename__ = "notice"
    __table_args__ = (Index("ix_notice_publish_at", "publish_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(16), default="notice")
    title: Mapped[str] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(Text, default="")
    author_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"))
    department_id: Mapped[int | None] = mapped_column(ForeignKey("department.id"))
    audience: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    pinned: Mapped[bool] = mapped_column(Boolean, default=False)
    publish_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expire_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    period_start: Mapped[date | None] = mapped_column(Date)
    period_end: Mapped[date | None] = mapped_column(Date)
    period_workdays: Mapped[int | None] = mapped_column(Integer)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    outcome: Mapped[str] = mapped_column(Text, default="")
    filed_relpath: Mapped[str | None] = mapped_column(String(1024))
    withdrawn_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # When the audience was told (bell and mail): at once, or by the worker when a scheduled notice comes due.
    announced_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    author: Mapped[User] = relationship(foreign_keys=[author_id])
    department: Mapped[Department | None] = relationship()
    attachments: Mapped[list[NoticeAttachment]] = relationship(
        back_populates="notice", order_by="NoticeAttachment.id", cascade="all, delete-orphan")


class NoticeAttachment(Base):
    """A file attached to a notice, stored content-addressed like the 公文 files."""

    __tablename__ = "notice_attachment"

    id: Mapped[int] = mapped_column(primary_key=True)
    notice_id: Mapped[int] = mapped_column(ForeignKey("notice.id"), index=True)
    filename: Mapped[str] = mapped_column(String(255))
    sha256: Mapped[str] = mapped_column(String(64))
    size: Mapped[int] = mapped_column(Integer)
    content_type: Mapped[str] = mapped_column(String(100), default="application/octet-stream")

    notice: Mapped[Notice] = relationship(back_populates="attachments")


class NoticeReceipt(Base):
    """Who has read a notice (a row per reader, made when they open it)."""

    __tablename__ = "notice_receipt"
    __table_args__ = (UniqueConstraint("notice_id", "user_id", name="uq_notice_receipt_notice_user"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    notice_id: Mapped[int] = mapped_column(ForeignKey("notice.id"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"), index=True)
    read_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Objection(Base):
    """意见反馈 on a 公示: sent during its period; `anonymous` hides the sender from all but the office."""

    __tablename__ = "notice_objection"

    id: Mapped[int] = mapped_column(primary_key=True)
    notice_id: Mapped[int] = mapped_column(ForeignKey("notice.id"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"))
    anonymous: Mapped[bool] = mapped_column(Boolean, default=False)
    body: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    handling: Mapped[str] = mapped_column(Text, default="")
    handled_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    handled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    user: Mapped[User] = relationship(foreign_keys=[user_id])
    handled_by: Mapped[User | None] = relationship(foreign_keys=[handled_by_id])
