"""目标绩效考核: the year's targets per department (目标责任书), the quarterly 自查 reports with a status
per target, and the reminders sent about them (assessment/service.py holds the rules)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, Float, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from core.models.base import Base, UTCDateTime, utcnow
from core.models.org import Department, User


class AssessmentTarget(Base):
    """One target of a department's 目标责任书 for a year.

    `category` is a code of assessment.service.CATEGORIES (业务工作目标 ...); `q1`..`q4` say what is due
    by the end of each quarter (empty: nothing set); `weight` is the target's points (None: 1).
    """

    __tablename__ = "assessment_target"
    __table_args__ = (Index("ix_assessment_target_year_department", "year", "department_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    year: Mapped[int] = mapped_column(Integer)
    department_id: Mapped[int] = mapped_column(ForeignKey("department.id"))
    category: Mapped[str] = mapped_column(String(16))
    content: Mapped[str] = mapped_column(Text)
    measure: Mapped[str] = mapped_column(Text, default="")
    person: Mapped[str] = mapped_column(String(100), default="")
    q1: Mapped[str] = mapped_column(Text, default="")
    q2: Mapped[str] = mapped_column(Text, default="")
    q3: Mapped[str] = mapped_column(Text, default="")
    q4: Mapped[str] = mapped_column(Text, default="")
    weight: Mapped[float | None] = mapped_column(Float)
    created_by_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    department: Mapped[Department] = relationship()

    def milestone(self, quarter: int) -> str:
        """Return what is due by the end of `quarter` (1-4)."""
        return str(getattr(self, f"q{quarter}", "") or "")


class SelfCheck(Base):
    """A department's quarterly 自查 report. `state`: "submitted" or "returned" (by the office, with a
    reason); `late` is judged at the first submission against the due date."""

    __tablename__ = "assessment_self_check"
    __table_args__ = (UniqueConstraint("year", "quarter", "department_id", name="uq_assessment_self_check_period"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    year: Mapped[int] = mapped_column(Integer)
    quarter: Mapped[int] = mapped_column(Integer)
    department_id: Mapped[int] = mapped_column(ForeignKey("department.id"))
    state: Mapped[str] = mapped_column(String(16), default="submitted")
    summary: Mapped[str] = mapped_column(Text, default="")
    submitted_by_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"))
    on_behalf: Mapped[bool] = mapped_column(Boolean, default=False)
    first_submitted_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    submitted_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    late: Mapped[bool] = mapped_column(Boolean, default=False)
    returned_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    returned_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    return_reason: Mapped[str] = mapped_column(Text, default="")
    attachment_name: Mapped[str | None] = mapped_column(String(255))
    attachment_sha256: Mapped[str | None] = mapped_column(String(64))
    attachment_size: Mapped[int | None] = mapped_column(Integer)
    attachment_type: Mapped[str | None] = mapped_column(String(100))

    department: Mapped[Department] = relationship()
    submitted_by: Mapped[User] = relationship(foreign_keys=[submitted_by_id])
    returned_by: Mapped[User | None] = relationship(foreign_keys=[returned_by_id])
    items: Mapped[list[SelfCheckItem]] = relationship(
        back_populates="report", order_by="SelfCheckItem.id", cascade="all, delete-orphan")


class SelfCheckItem(Base):
    """The status of one target in a 自查 report (`status`: a code of assessment.service.STATUSES)."""

    __tablename__ = "assessment_self_check_item"
    __table_args__ = (UniqueConstraint("report_id", "target_id", name="uq_assessment_self_check_item_report"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    report_id: Mapped[int] = mapped_column(ForeignKey("assessment_self_check.id"), index=True)
    target_id: Mapped[int] = mapped_column(ForeignKey("assessment_target.id"), index=True)
    status: Mapped[str] = mapped_column(String(16))
    evidence: Mapped[str] = mapped_column(Text, default="")

    report: Mapped[SelfCheck] = relationship(back_populates="items")
    target: Mapped[AssessmentTarget] = relationship()


class SelfCheckReminder(Base):
    """A reminder sent about a quarter's 自查 (kind "department": to a department that has not submitted;
    "office": to the office, listing who is missing). One row per (year, quarter, kind, department)."""

    __tablename__ = "assessment_reminder"
    __table_args__ = (UniqueConstraint("year", "quarter", "kind", "department_id",
                                       name="uq_assessment_reminder_once"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    year: Mapped[int] = mapped_column(Integer)
    quarter: Mapped[int] = mapped_column(Integer)
    kind: Mapped[str] = mapped_column(String(16))
    department_id: Mapped[int] = mapped_column(ForeignKey("department.id"))
    sent_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
