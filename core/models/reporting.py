"""政务信息报送: outside units and their accounts, items, adoptions, publication issues, 约稿 calls,
weekly-quota reminders.

A unit is a department (``department_id``) or an outside unit (下属单位, ``outside_unit_id``): every item,
call target and reminder names exactly one of the two. The rules live in reporting/service.py.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, Boolean, Date, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from core.models.base import Base, UTCDateTime, utcnow
from core.models.org import Department, User


class OutsideUnit(Base):
    """A 下属单位 outside the bureau's departments that reports information (kept by the office)."""

    __tablename__ = "reporting_outside_unit"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    sort_order: Mapped[int] = mapped_column(Integer, default=100)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class UnitMember(Base):
    """An account attached to an outside unit: it submits for that unit instead of its department."""

    __tablename__ = "reporting_unit_member"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"), unique=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("reporting_outside_unit.id"), index=True)

    user: Mapped[User] = relationship()
    unit: Mapped[OutsideUnit] = relationship()


class Call(Base):
    """约稿: the office asks chosen units for items on a theme by a deadline (a local date)."""

    __tablename__ = "reporting_call"

    id: Mapped[int] = mapped_column(primary_key=True)
    theme: Mapped[str] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(Text, default="")
    deadline: Mapped[date] = mapped_column(Date)
    # Unit keys ("d:<department id>" or "u:<outside unit id>") the call goes to.
    units: Mapped[list[Any]] = mapped_column(JSON, default=list)
    created_by_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    created_by: Mapped[User] = relationship()


class Item(Base):
    """An information item a unit submits. `entered_by` may be the office entering it for the unit.

    `submitted_at` is the first submission (what the 通报 counts, and what the 突发事件 clock is measured
    against); `week_start` is the local Monday of that day. `status`: "submitted" (with the office),
    "returned" (一次性告知 reasons in `return_reasons`, the unit edits and resubmits) or "adopted".
    """

    __tablename__ = "reporting_item"
    __table_args__ = (
        Index("ix_reporting_item_submitted_at", "submitted_at"),
        Index("ix_reporting_item_week_start", "week_start"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    department_id: Mapped[int | None] = mapped_column(ForeignKey("department.id"), index=True)
    outside_unit_id: Mapped[int | None] = mapped_column(ForeignKey("reporting_outside_unit.id"), index=True)
    title: Mapped[str] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(Text, default="")
    category: Mapped[str] = mapped_column(String(16), default="work")
    event_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    late: Mapped[bool] = mapped_column(Boolean, default=False)
    status: Mapped[str] = mapped_column(String(16), default="submitted")
    entered_by_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"))
    on_behalf: Mapped[bool] = mapped_column(Boolean, default=False)
    call_id: Mapped[int | None] = mapped_column(ForeignKey("reporting_call.id"), index=True)
    submitted_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    week_start: Mapped[date] = mapped_column(Date)
    resubmitted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    return_reasons: Mapped[list[Any]] = mapped_column(JSON, default=list)
    returned_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    returned_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    times_returned: Mapped[int] = mapped_column(Integer, default=0)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    department: Mapped[Department | None] = relationship()
    outside_unit: Mapped[OutsideUnit | None] = relationship()
    entered_by: Mapped[User] = relationship(foreign_keys=[entered_by_id])
    returned_by: Mapped[User | None] = relationship(foreign_keys=[returned_by_id])
    call: Mapped[Call | None] = relationship()
    attachments: Mapped[list[ItemAttachment]] = relationship(
        back_populates="item", order_by="ItemAttachment.id", cascade="all, delete-orphan")
    adoptions: Mapped[list[Adoption]] = relationship(back_populates="item", order_by="Adoption.id")


class ItemAttachment(Base):
    """A file attached to an item, stored content-addressed like the 公文 files."""

    __tablename__ = "reporting_attachment"

    id: Mapped[int] = mapped_column(primary_key=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("reporting_item.id"), index=True)
    filename: Mapped[str] = mapped_column(String(255))
    sha256: Mapped[str] = mapped_column(String(64))
    size: Mapped[int] = mapped_column(Integer)
    content_type: Mapped[str] = mapped_column(String(100), default="application/octet-stream")

    item: Mapped[Item] = relationship(back_populates="attachments")


class Issue(Base):
    """An issue of one of the office's publications, numbered per year (信息专报 2026年第3期)."""

    __tablename__ = "reporting_issue"
    __table_args__ = (UniqueConstraint("publication", "year", "number", name="uq_reporting_issue_number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    publication: Mapped[str] = mapped_column(String(50))
    year: Mapped[int] = mapped_column(Integer)
    number: Mapped[int] = mapped_column(Integer)
    created_by_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    @property
    def label(self) -> str:
        """The issue's name as printed: 信息专报 2026年第3期."""
        return f"{self.publication} {self.year}年第{self.number}期"


class Adoption(Base):
    """采用 of an item at one level: "office" (into an issue of the office's publication), "department"
    (上级主管部门), "province" (省级) or "national" (国家级); once per item and level."""

    __tablename__ = "reporting_adoption"
    __table_args__ = (UniqueConstraint("item_id", "level", name="uq_reporting_adoption_item_level"),
                      Index("ix_reporting_adoption_adopted_on", "adopted_on"))

    id: Mapped[int] = mapped_column(primary_key=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("reporting_item.id"), index=True)
    level: Mapped[str] = mapped_column(String(16))
    issue_id: Mapped[int | None] = mapped_column(ForeignKey("reporting_issue.id"), index=True)
    adopted_on: Mapped[date] = mapped_column(Date)
    note: Mapped[str] = mapped_column(String(200), default="")
    recorded_by_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    item: Mapped[Item] = relationship(back_populates="adoptions")
    issue: Mapped[Issue | None] = relationship()


class QuotaReminder(Base):
    """A unit was reminded that it missed the quota of the week starting `week_start` (once per unit and week)."""

    __tablename__ = "reporting_reminder"
    __table_args__ = (UniqueConstraint("unit_key", "week_start", name="uq_reporting_reminder_unit_week"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    unit_key: Mapped[str] = mapped_column(String(16))
    week_start: Mapped[date] = mapped_column(Date)
    sent_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    people: Mapped[int] = mapped_column(Integer, default=0)
