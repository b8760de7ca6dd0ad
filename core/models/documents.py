"""Official documents and their routing: documents, file versions, route templates and steps, the
append-only action log, the 文号 ledger, filing records (档号) and read receipts.

States and transitions are NOT here: they live in documents/states.py.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    Date,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    false,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from core.models.base import Base, UTCDateTime, utcnow
from core.models.org import Department, User


class RouteTemplate(Base):
    """A route as data: an ordered list of step specifications (see documents/routes.py)."""

    __tablename__ = "route_template"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    name: Mapped[str] = mapped_column(String(100))
    kind: Mapped[str] = mapped_column(String(16))
    steps: Mapped[list[Any]] = mapped_column(JSON)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))


class Document(Base):
    __tablename__ = "document"
    __table_args__ = (
        Index("ix_document_drafter_id_created_at", "drafter_id", "created_at"),
        Index("ix_document_state", "state"),
        Index("ix_document_doc_number", "doc_number"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(16))
    title: Mapped[str] = mapped_column(String(300))
    urgency: Mapped[str] = mapped_column(String(16), default="normal")
    # 0 公开, 1 内部, 2 秘密, 3 机密, 4 绝密 (same scale as User.clearance)
    classification: Mapped[int] = mapped_column(Integer, default=1)
    main_recipients: Mapped[str] = mapped_column(Text, default="")
    cc_recipients: Mapped[str] = mapped_column(Text, default="")
    # 上行文 (to a higher organ: 发文字号 left, 签发人 right, GB/T 9704-2012 §7.2.5); 保密期限 of a classified
    # document, printed after 密级★ (§7.2.2), e.g. "1年" or "长期".
    upward: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    secrecy_period: Mapped[str | None] = mapped_column(String(20))
    department_id: Mapped[int] = mapped_column(ForeignKey("department.id"))
    drafter_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"))
    deadline: Mapped[date | None] = mapped_column(Date)
    # 收文 only
    source_organ: Mapped[str | None] = mapped_column(String(200))
    source_number: Mapped[str | None] = mapped_column(String(100))
    received_on: Mapped[date | None] = mapped_column(Date)

    template_id: Mapped[int] = mapped_column(ForeignKey("route_template.id"))
    # The drafter's adjustments within what the template allows: {"skip": [...], "departments": {...}}
    route_plan: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    route_round: Mapped[int] = mapped_column(Integer, default=0)
    state: Mapped[str] = mapped_column(String(16), default="draft")
    # Bumped by every action: a conditional UPDATE on it makes concurrent actions fail cleanly.
    version: Mapped[int] = mapped_column(Integer, default=1)

    doc_number: Mapped[str | None] = mapped_column(String(64))
    signed_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    signed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    frozen_hash: Mapped[str | None] = mapped_column(String(64))
    frozen_snapshot: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    # 收文 承办: chosen at 批办
    lead_department_id: Mapped[int | None] = mapped_column(ForeignKey("department.id"))
    co_departments: Mapped[list[Any]] = mapped_column(JSON, default=list)
    # 分发: {"departments": [codes], "users": [usernames]}
    distribution: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    copies: Mapped[int | None] = mapped_column(Integer)
    retention: Mapped[str] = mapped_column(String(4), default="D30")
    archive_number: Mapped[str | None] = mapped_column(String(64), unique=True)

    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    completed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    department: Mapped[Department] = relationship(foreign_keys=[department_id], lazy="joined")
    drafter: Mapped[User] = relationship(foreign_keys=[drafter_id], lazy="joined")
    signed_by: Mapped[User | None] = relationship(foreign_keys=[signed_by_id])
    lead_department: Mapped[Department | None] = relationship(foreign_keys=[lead_department_id])
    template: Mapped[RouteTemplate] = relationship()


class DocumentFile(Base):
    """One stored version of one file of a document; `slot` groups the versions of the same file."""

    __tablename__ = "document_file"
    __table_args__ = (
        UniqueConstraint("document_id", "slot", "version_no", name="uq_document_file_version"),
        Index("ix_document_file_document_id", "document_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    document_id: Mapped[int] = mapped_column(ForeignKey("document.id"))
    slot: Mapped[str] = mapped_column(String(36))
    role: Mapped[str] = mapped_column(String(16))  # main (正文) | attachment
    version_no: Mapped[int] = mapped_column(Integer)
    filename: Mapped[str] = mapped_column(String(255))
    sha256: Mapped[str] = mapped_column(String(64))
    size: Mapped[int] = mapped_column(Integer)
    content_type: Mapped[str] = mapped_column(String(100))
    current: Mapped[bool] = mapped_column(Boolean, default=True)
    uploaded_by_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"))
    uploaded_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    uploaded_by: Mapped[User] = relationship()


class RouteStep(Base):
    """One step of a document's route; `route_round` separates submissions, `round` re-entries."""

    __tablename__ = "route_step"
    __table_args__ = (Index("ix_route_step_document_id_route_round", "document_id", "route_round"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    document_id: Mapped[int] = mapped_column(ForeignKey("document.id"))
    route_round: Mapped[int] = mapped_column(Integer)
    position: Mapped[int] = mapped_column(Integer)
    key: Mapped[str] = mapped_column(String(32))
    name: Mapped[str] = mapped_column(String(100))
    kind: Mapped[str] = mapped_column(String(16))
    mode: Mapped[str] = mapped_column(String(8), default="one")
    quorum: Mapped[int | None] = mapped_column(Integer)
    spec: Mapped[dict[str, Any]] = mapped_column(JSON)
    state: Mapped[str] = mapped_column(String(12), default="waiting")
    round: Mapped[int] = mapped_column(Integer, default=0)
    added_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    assignments: Mapped[list[StepAssignment]] = relationship(back_populates="step", order_by="StepAssignment.id")


class StepAssignment(Base):
    """A person who may act on a step; `department_id` is the unit counted in 会签 / 承办."""

    __tablename__ = "step_assignment"
    __table_args__ = (
        # 待办: a person's pending tasks, most urgent first, oldest first, straight from the index.
        Index("ix_step_assignment_inbox", "user_id", "state", "priority", "created_at"),
        Index("ix_step_assignment_step_id", "step_id"),
        Index("ix_step_assignment_document_id", "document_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    step_id: Mapped[int] = mapped_column(ForeignKey("route_step.id"))
    document_id: Mapped[int] = mapped_column(ForeignKey("document.id"))
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"))
    department_id: Mapped[int | None] = mapped_column(ForeignKey("department.id"))
    lead: Mapped[bool] = mapped_column(Boolean, default=False)
    # 0 特急, 1 加急, 2 平件: copied from the document so the 待办 order needs no join.
    priority: Mapped[int] = mapped_column(Integer, default=2)
    round: Mapped[int] = mapped_column(Integer, default=0)
    # pending | done | superseded | cancelled | transferred
    state: Mapped[str] = mapped_column(String(12), default="pending")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    acted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    step: Mapped[RouteStep] = relationship(back_populates="assignments")
    user: Mapped[User] = relationship(lazy="joined")
    department: Mapped[Department | None] = relationship()


class DocumentAction(Base):
    """Append-only: who did what on which step, for whom (职位代理), with which opinion."""

    __tablename__ = "document_action"
    __table_args__ = (
        Index("ix_document_action_document_id_id", "document_id", "id"),
        Index("ix_document_action_actor_id_document_id", "actor_id", "document_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    document_id: Mapped[int] = mapped_column(ForeignKey("document.id"))
    step_id: Mapped[int | None] = mapped_column(ForeignKey("route_step.id"))
    assignment_id: Mapped[int | None] = mapped_column(ForeignKey("step_assignment.id"))
    step_name: Mapped[str | None] = mapped_column(String(100))
    action: Mapped[str] = mapped_column(String(16))
    actor_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"))
    on_behalf_of_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    opinion: Mapped[str | None] = mapped_column(Text)
    reasons: Mapped[list[Any] | None] = mapped_column(JSON)
    data: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    actor: Mapped[User] = relationship(foreign_keys=[actor_id], lazy="joined")
    on_behalf_of: Mapped[User | None] = relationship(foreign_keys=[on_behalf_of_id])
    document: Mapped[Document] = relationship(foreign_keys=[document_id])


class SequenceCounter(Base):
    """Last value issued per scope (文号 per code and year; 件号 per fonds, year, retention, department)."""

    __tablename__ = "sequence_counter"

    scope: Mapped[str] = mapped_column(String(120), primary_key=True)
    last_value: Mapped[int] = mapped_column(Integer, default=0)


class NumberEntry(Base):
    """One line of the 发文登记簿: an issued 文号, kept forever; a void keeps its reason."""

    __tablename__ = "number_entry"
    __table_args__ = (UniqueConstraint("code", "year", "serial", name="uq_number_entry_serial"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(32))
    year: Mapped[int] = mapped_column(Integer)
    serial: Mapped[int] = mapped_column(Integer)
    number: Mapped[str] = mapped_column(String(64), unique=True)
    document_id: Mapped[int] = mapped_column(ForeignKey("document.id"), index=True)
    issued_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    issued_by_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"))
    voided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    voided_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    void_reason: Mapped[str | None] = mapped_column(Text)

    document: Mapped[Document] = relationship()
    issued_by: Mapped[User] = relationship(foreign_keys=[issued_by_id])


class FilingRecord(Base):
    """A filed item (件) under DA/T 22-2015 with its 档号 and 归档章 data."""

    __tablename__ = "filing_record"
    __table_args__ = (
        UniqueConstraint("fonds", "year", "retention", "department_code", "piece", name="uq_filing_record_piece"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    document_id: Mapped[int] = mapped_column(ForeignKey("document.id"), unique=True)
    archive_number: Mapped[str] = mapped_column(String(64), unique=True)
    fonds: Mapped[str] = mapped_column(String(16))
    category: Mapped[str] = mapped_column(String(8), default="WS")
    year: Mapped[int] = mapped_column(Integer)
    retention: Mapped[str] = mapped_column(String(4))
    department_code: Mapped[str] = mapped_column(String(32))
    piece: Mapped[int] = mapped_column(Integer)
    title: Mapped[str] = mapped_column(String(300))
    responsible: Mapped[str] = mapped_column(String(200))
    doc_number: Mapped[str | None] = mapped_column(String(64))
    doc_date: Mapped[date | None] = mapped_column(Date)
    pages: Mapped[int | None] = mapped_column(Integer)
    classification: Mapped[int] = mapped_column(Integer)
    remark: Mapped[str | None] = mapped_column(Text)
    folder: Mapped[str] = mapped_column(String(500))
    filed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    filed_by_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"))

    document: Mapped[Document] = relationship()


# ReadReceipt.source: made by 分发, or by a 传阅 of the document (whose circulation receipt lists and counts it).
DISTRIBUTED_RECEIPT = "distribute"
CIRCULATED_RECEIPT = "circulate"


class ReadReceipt(Base):
    """待阅 / 已阅 for one person and one document (分发 creates them; 传阅 extends them)."""

    __tablename__ = "read_receipt"
    __table_args__ = (
        UniqueConstraint("document_id", "user_id", name="uq_read_receipt_document_user"),
        Index("ix_read_receipt_user_id_read_at", "user_id", "read_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    document_id: Mapped[int] = mapped_column(ForeignKey("document.id"))
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"))
    source: Mapped[str] = mapped_column(String(16), default="distribute")
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    read_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    user: Mapped[User] = relationship(foreign_keys=[user_id])


class RedheadTemplate(Base):
    """A red-header (套红) template: a .docx with docxtpl placeholders (documents/redhead.py
    `context`) that the formal version of a document is laid out with, chosen by 发文机关 and kind
    (documents/redhead_templates.py `choose`). The file is stored under the data dir as
    `stored_name`; a `builtin` one (the demo bureau's) is written afresh by code each time it is used."""

    __tablename__ = "redhead_template"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100))
    organ: Mapped[str] = mapped_column(String(100), default="")  # 发文机关; "" = any
    kind: Mapped[str] = mapped_column(String(16), default="")  # documents.states.Kind value; "" = any
    filename: Mapped[str] = mapped_column(String(255))  # as uploaded
    stored_name: Mapped[str] = mapped_column(String(80))  # under <files dir>/redhead_templates/
    size: Mapped[int] = mapped_column(Integer, default=0)
    builtin: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    uploaded_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    uploaded_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    uploaded_by: Mapped[User | None] = relationship()
