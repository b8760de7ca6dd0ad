"""The organisation: departments, users, roles and role assignments; the audit log; worker heartbeat."""

from __future__ import annotations

import secrets
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Boolean, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from core.models.base import Base, UTCDateTime, utcnow


class Department(Base):
    __tablename__ = "department"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    name: Mapped[str] = mapped_column(String(100))
    sort_order: Mapped[int] = mapped_column(Integer, default=100)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    source: Mapped[str] = mapped_column(String(16), default="local")

    users: Mapped[list[User]] = relationship(back_populates="department")

    def __repr__(self) -> str:
        return f"<Department {self.code} {self.name}>"


class Role(Base):
    __tablename__ = "role"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    name: Mapped[str] = mapped_column(String(64))


def new_session_token() -> str:
    """Return a fresh random session token (43 URL-safe characters, 256 bits)."""
    return secrets.token_urlsafe(32)


class User(Base):
    __tablename__ = "user_account"

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(128), unique=True)
    display_name: Mapped[str] = mapped_column(String(100))
    department_id: Mapped[int | None] = mapped_column(ForeignKey("department.id"))
    email: Mapped[str | None] = mapped_column(String(254))
    title: Mapped[str | None] = mapped_column(String(100))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    # "local": password_hash is set; "directory": the password is checked by LDAP/AD.
    source: Mapped[str] = mapped_column(String(16), default="local")
    password_hash: Mapped[str | None] = mapped_column(String(255))
    directory_dn: Mapped[str | None] = mapped_column(String(512))
    # The directory's stable identifier of the person's entry (entryUUID / objectGUID): the account
    # follows renames by it, and a login name given to someone else never hands them this account.
    directory_id: Mapped[str | None] = mapped_column(String(64), unique=True)
    # When the directory last saw the password changed (pwdChangedTime / pwdLastSet): a newer one seen at
    # sign-in or sync ends the account's sessions (directory.sync.apply_person).
    directory_password_changed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Highest 密级 this person may see: 0 公开, 1 内部, 2 秘密, 3 机密, 4 绝密.
    clearance: Mapped[int] = mapped_column(Integer, default=1)
    locale: Mapped[str | None] = mapped_column(String(8))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_login_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Random per account; every session cookie carries it and is checked against it on each request.
    # A new value (core.org.end_sessions) ends every session: logout, password change, deactivation,
    # a real change of roles.
    session_token: Mapped[str] = mapped_column(String(64), default=new_session_token)

    department: Mapped[Department | None] = relationship(back_populates="users")
    role_assignments: Mapped[list[RoleAssignment]] = relationship(
        back_populates="user", cascade="all, delete-orphan"
    )

    @property
    def role_codes(self) -> frozenset[str]:
        return frozenset(a.role.code for a in self.role_assignments)

    def __repr__(self) -> str:
        return f"<User {self.username}>"


class RoleAssignment(Base):
    """A role held by a user; `source` keeps manual grants apart from those synced from directory groups."""

    __tablename__ = "role_assignment"
    __table_args__ = (UniqueConstraint("user_id", "role_id", "source", name="uq_role_assignment_grant"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id", ondelete="CASCADE"))
    role_id: Mapped[int] = mapped_column(ForeignKey("role.id"))
    source: Mapped[str] = mapped_column(String(16), default="manual")
    granted_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    user: Mapped[User] = relationship(back_populates="role_assignments")
    role: Mapped[Role] = relationship(lazy="joined")


class AuditEvent(Base):
    """Append-only record of security-relevant events (logins, admin changes)."""

    __tablename__ = "audit_event"
    __table_args__ = (
        Index("ix_audit_event_kind_username_at", "kind", "username", "at"),
        Index("ix_audit_event_kind_address_at", "kind", "address", "at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    kind: Mapped[str] = mapped_column(String(64))
    user_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    # The name as typed (failed logins have no user row); truncated, never a password.
    username: Mapped[str | None] = mapped_column(String(128))
    address: Mapped[str | None] = mapped_column(String(64))
    detail: Mapped[str | None] = mapped_column(Text)
    data: Mapped[dict[str, Any] | None] = mapped_column(JSON)


class WorkerState(Base):
    """One row per worker loop: the heartbeat /healthz reads."""

    __tablename__ = "worker_state"

    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    heartbeat_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    pid: Mapped[int] = mapped_column(Integer)
    host: Mapped[str] = mapped_column(String(255))
    started_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    info: Mapped[dict[str, Any] | None] = mapped_column(JSON)
