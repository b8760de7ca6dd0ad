"""督查督办事项: items registered on their own (from a 收文, a meeting's decisions, a key-task plan or by
hand), their milestones, 进展反馈, 催办 and the worker's overdue marks. Rules: inspection/service.py.

Not to be confused with 督办 (core/models/supervision.py), which follows 公文 deadlines.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, Date, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from core.models.base import Base, UTCDateTime, utcnow
from core.models.org import Department, User


class InspectionItem(Base):
    """One 督查督办事项.

    `source_kind`: instruction (批示件), document (上级来文), meeting (会议议定事项), plan (重点工作) or
    manual; `document_id` links the 收文 it came from. `co_departments` holds department ids (协办).
    `state`: in_progress (办理中), reported (办结报告待审核), accepted (办结待领导确认), closed (已办结).
    `schedule`: how often 进展反馈 is due (weekly, monthly, quarterly, milestones, none).
    `completed_on`: the local date of the 办结 report the office accepted (None until then).
    """

    __tablename__ = "inspection_item"
    __table_args__ = (
        Index("ix_inspection_item_state", "state"),
        Index("ix_inspection_item_lead_department_id", "lead_department_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    source_kind: Mapped[str] = mapped_column(String(16))
    source_text: Mapped[str] = mapped_column(String(300), default="")
    document_id: Mapped[int | None] = mapped_column(ForeignKey("document.id"))
    content: Mapped[str] = mapped_column(Text)
    leader_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"))
    lead_department_id: Mapped[int] = mapped_column(ForeignKey("department.id"))
    co_departments: Mapped[list[Any]] = mapped_column(JSON, default=list)
    person_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"))
    kind: Mapped[str] = mapped_column(String(16), default="ordinary")
    registered_on: Mapped[date] = mapped_column(Date)
    deadline: Mapped[date] = mapped_column(Date)
    schedule: Mapped[str] = mapped_column(String(16), default="monthly")
    state: Mapped[str] = mapped_column(String(16), default="in_progress")
    closing_report: Mapped[str] = mapped_column(Text, default="")
    reported_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    return_reason: Mapped[str] = mapped_column(Text, default="")
    judged_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    judged_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    completed_on: Mapped[date | None] = mapped_column(Date)
    confirmed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    confirmed_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    filed_relpath: Mapped[str | None] = mapped_column(String(1024))  # 归档: where its record was written
    created_by_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    leader: Mapped[User] = relationship(foreign_keys=[leader_id])
    person: Mapped[User] = relationship(foreign_keys=[person_id])
    created_by: Mapped[User] = relationship(foreign_keys=[created_by_id])
    lead_department: Mapped[Department] = relationship(foreign_keys=[lead_department_id])
    milestones: Mapped[list[InspectionMilestone]] = relationship(
        back_populates="item", order_by="InspectionMilestone.due_on", cascade="all, delete-orphan")
    feedback: Mapped[list[InspectionFeedback]] = relationship(
        back_populates="item", order_by="InspectionFeedback.id", cascade="all, delete-orphan")


class InspectionMilestone(Base):
    """A milestone of an item: what is due (`what`) by a local date (`due_on`)."""

    __tablename__ = "inspection_milestone"

    id: Mapped[int] = mapped_column(primary_key=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("inspection_item.id"), index=True)
    due_on: Mapped[date] = mapped_column(Date)
    what: Mapped[str] = mapped_column(String(300))

    item: Mapped[InspectionItem] = relationship(back_populates="milestones")


class InspectionFeedback(Base):
    """进展反馈 from a unit (or the 办结 report, kind "closing"); `at` is when it was submitted."""

    __tablename__ = "inspection_feedback"

    id: Mapped[int] = mapped_column(primary_key=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("inspection_item.id"), index=True)
    kind: Mapped[str] = mapped_column(String(16), default="progress")
    body: Mapped[str] = mapped_column(Text)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"))
    department_id: Mapped[int | None] = mapped_column(ForeignKey("department.id"))
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    item: Mapped[InspectionItem] = relationship(back_populates="feedback")
    user: Mapped[User] = relationship(foreign_keys=[user_id])
    department: Mapped[Department | None] = relationship(foreign_keys=[department_id])


class InspectionReminder(Base):
    """催办 of an item's responsible person; `escalated_to` when it also went to their department head."""

    __tablename__ = "inspection_reminder"
    __table_args__ = (Index("ix_inspection_reminder_item_id_target_id", "item_id", "target_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("inspection_item.id"))
    target_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"))
    by_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"))
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    note: Mapped[str] = mapped_column(Text, default="")
    escalated_to_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))

    target: Mapped[User] = relationship(foreign_keys=[target_id])
    by: Mapped[User] = relationship(foreign_keys=[by_id])
    escalated_to: Mapped[User | None] = relationship(foreign_keys=[escalated_to_id])


class InspectionOverdueMark(Base):
    """The worker's mark that a due date of an item was missed (what: feedback or deadline); one per
    item, kind of date and date, so the bell rings once."""

    __tablename__ = "inspection_overdue_mark"
    __table_args__ = (UniqueConstraint("item_id", "what", "due_on", name="uq_inspection_overdue_mark"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("inspection_item.id"), index=True)
    what: Mapped[str] = mapped_column(String(16))
    due_on: Mapped[date] = mapped_column(Date)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
