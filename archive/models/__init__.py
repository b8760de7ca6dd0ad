"""All tables. Each feature keeps its models in its own module; this list is the registry."""

from archive.models.base import Base
from archive.models.org import AuditEvent, Department, Role, RoleAssignment, User, WorkerState

__all__ = ["AuditEvent", "Base", "Department", "Role", "RoleAssignment", "User", "WorkerState"]
