"""All tables. Each feature keeps its models in its own module; this list is the registry."""

from core.models.assessment import AssessmentTarget
from core.models.base import Base
from core.models.directory import DirectoryDeactivation, DirectorySyncRun
from core.models.documents import Document
from core.models.files import ArchiveFile
from core.models.inspection import InspectionItem
from core.models.notices import Notice
from core.models.org import AuditEvent, Department, Role, RoleAssignment, User, WorkerState
from core.models.printing import PrinterStatus, PrintJob
from core.models.reporting import Item
from core.models.supervision import Notification

__all__ = ["ArchiveFile", "AssessmentTarget", "AuditEvent", "Base", "Department", "DirectoryDeactivation",
           "DirectorySyncRun", "Document", "InspectionItem", "Item", "Notice", "Notification", "PrintJob",
           "PrinterStatus", "Role", "RoleAssignment", "User", "WorkerState"]
