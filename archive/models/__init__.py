"""All tables. Each feature keeps its models in its own module; this list is the registry."""

from archive.models.assessment import AssessmentTarget  # noqa: F401  (registers the 目标绩效考核 tables)
from archive.models.base import Base
from archive.models.directory import DirectoryDeactivation, DirectorySyncRun  # noqa: F401  (registers the tables)
from archive.models.documents import Document  # noqa: F401  (registers the document and workflow tables)
from archive.models.files import ArchiveFile  # noqa: F401  (registers the archive file and index tables)
from archive.models.inspection import InspectionItem  # noqa: F401  (registers the 督查督办 tables)
from archive.models.notices import Notice  # noqa: F401  (registers the 通知公告 / 公示 tables)
from archive.models.org import AuditEvent, Department, Role, RoleAssignment, User, WorkerState
from archive.models.printing import PrinterStatus, PrintJob  # noqa: F401  (registers the tables)
from archive.models.reporting import Item  # noqa: F401  (registers the 政务信息报送 tables)
from archive.models.supervision import Notification  # noqa: F401  (registers the 督办 / 传阅 tables)

__all__ = ["AuditEvent", "Base", "Department", "Role", "RoleAssignment", "User", "WorkerState"]
