"""Print jobs (the outbox the worker's dispatcher submits to CUPS) and the last known printer states."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Boolean, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from core.models.base import Base, UTCDateTime, utcnow
from core.models.org import Department, User


class PrintJob(Base):
    """One print request, from the web to the end of the CUPS job.

    States: preparing (waiting for conversion) -> queued (waiting to be submitted, retried while the
    print server is away) -> held (in CUPS, waiting for the 文印室) / printing -> completed, cancelled,
    aborted; failed when the document cannot be printed at all.
    """

    __tablename__ = "print_job"
    __table_args__ = (
        Index("ix_print_job_state", "state"),
        Index("ix_print_job_user_created", "user_id", "created_at"),
        Index("ix_print_job_department_created", "department_id", "created_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    # Sent to CUPS as job-uuid: finds the job again when a submission's outcome was unknown.
    uuid: Mapped[str] = mapped_column(String(36), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"))
    # The login name CUPS sees as the job's user (kept even if the account is renamed later).
    username: Mapped[str] = mapped_column(String(128))
    department_id: Mapped[int | None] = mapped_column(ForeignKey("department.id"))

    title: Mapped[str] = mapped_column(String(255))
    source_kind: Mapped[str] = mapped_column(String(16))  # upload, archive, document
    source_ref: Mapped[str | None] = mapped_column(String(1024))
    original_path: Mapped[str] = mapped_column(String(1024))  # our stored copy (under data_dir/printing)
    pdf_path: Mapped[str | None] = mapped_column(String(1024))
    classification: Mapped[int] = mapped_column(Integer, default=1)

    # What was asked for.
    media: Mapped[str] = mapped_column(String(32), default="A4")
    color: Mapped[bool] = mapped_column(Boolean, default=False)
    quality: Mapped[str] = mapped_column(String(16), default="normal")
    copies: Mapped[int] = mapped_column(Integer, default=1)
    page_ranges: Mapped[str] = mapped_column(String(255), default="")
    prefer_central: Mapped[bool] = mapped_column(Boolean, default=False)
    # Two-sided (True), one-sided (False), or None: the routing policy's default (duplex on department printers).
    duplex: Mapped[bool | None] = mapped_column(Boolean, nullable=True, default=None)

    # What the document turned out to be, and where it goes.
    document_pages: Mapped[int | None] = mapped_column(Integer)
    pages: Mapped[int | None] = mapped_column(Integer)  # after page ranges, per copy
    tier: Mapped[str | None] = mapped_column(String(16))
    queue: Mapped[str | None] = mapped_column(String(128))
    reasons: Mapped[list[Any] | None] = mapped_column(JSON)
    options: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    held: Mapped[bool] = mapped_column(Boolean, default=False)

    state: Mapped[str] = mapped_column(String(16), default="preparing")
    message: Mapped[str | None] = mapped_column(Text)
    cups_job_id: Mapped[int | None] = mapped_column(Integer)
    cups_state: Mapped[int | None] = mapped_column(Integer)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    submitted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    # An operator's (or owner's) request the dispatcher carries out: release, cancel, move.
    action: Mapped[str | None] = mapped_column(String(16))
    action_queue: Mapped[str | None] = mapped_column(String(128))
    action_by: Mapped[str | None] = mapped_column(String(128))
    released_by: Mapped[str | None] = mapped_column(String(128))

    user: Mapped[User] = relationship(lazy="joined")
    department: Mapped[Department | None] = relationship(lazy="joined")

    @property
    def impressions(self) -> int:
        return (self.pages or 0) * (self.copies or 1)

    def __repr__(self) -> str:
        return f"<PrintJob {self.id} {self.state} {self.queue}>"


class PrinterStatus(Base):
    """The last state of each queue as the dispatcher saw it: pages read this, never CUPS itself."""

    __tablename__ = "printer_status"

    queue: Mapped[str] = mapped_column(String(128), primary_key=True)
    state: Mapped[int] = mapped_column(Integer, default=3)
    accepting: Mapped[bool] = mapped_column(Boolean, default=True)
    message: Mapped[str | None] = mapped_column(Text)
    reasons: Mapped[list[Any] | None] = mapped_column(JSON)
    reachable: Mapped[bool] = mapped_column(Boolean, default=True)
    jobs: Mapped[int] = mapped_column(Integer, default=0)
    checked_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    seen_at: Mapped[datetime | None] = mapped_column(UTCDateTime)  # last time the server answered
